"""Security headers on the staff app's responses: Streamlit's page, scripts, styles and API.

The Content-Security-Policy lets a staff page load only what this app serves: no image,
script, style sheet, font or frame from another host, no plugin, no ``<base>``, forms post only
here, and no other site may frame the staff app. Customer text is already shown as plain text
(ui/text.py); the policy is the second wall behind it: had a comment still become
``![](http://attacker/x.png)``, no staff browser would fetch the image and tell the attacker
which staff page it was on. ``Referrer-Policy: same-origin`` keeps staff addresses from any
other site all the same.

What Streamlit itself needs (checked in a real browser, tests/e2e/test_staff_csp.py):
- its one inline script (``window.prerenderReady = false`` in its index.html), allowed by
  hash; the hash is taken from the installed Streamlit's page, so an upgrade keeps working;
- inline styles (its CSS-in-JS writes ``<style>`` elements as it draws): 'unsafe-inline' for
  styles only, which runs no code;
- data: and blob: images and media (icons, st.image, downloads), fonts from the app itself;
- its websocket to this host: 'self' covers it in current browsers, ws: and wss: in those that
  predate CSP level 3 (a script would still need this page's permission to run at all);
- Vega charts: Streamlit draws them with Vega's expression interpreter, no 'unsafe-eval';
- WebAssembly: its protobuf decoder tries a small wasm module for 64-bit numbers (and falls
  back to JavaScript); 'wasm-unsafe-eval' lets it compile WebAssembly, never JavaScript text.

The plain routes (/login, /s/, /p/ and their notices) send their own stricter policy: a
response that already carries one keeps it.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import re
from functools import cache
from pathlib import Path

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)


def streamlit_index() -> Path | None:
    """Streamlit's own page as installed (found, not imported: survey/ never imports streamlit)."""
    spec = importlib.util.find_spec("streamlit")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "static" / "index.html"
    return path if path.is_file() else None


def inline_script_hashes(html: str) -> list[str]:
    """CSP source expressions ('sha256-...') for each inline <script> of a page."""
    return [
        f"'sha256-{base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()}'"
        for body in INLINE_SCRIPT.findall(html)
    ]


@cache
def staff_policy() -> str:
    index = streamlit_index()
    hashes = inline_script_hashes(index.read_text(encoding="utf-8")) if index else []
    return "; ".join(
        [
            "default-src 'self'",
            " ".join(["script-src 'self' 'wasm-unsafe-eval'", *hashes]),
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "media-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src 'self' ws: wss:",
            "worker-src 'self' blob:",
            "frame-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'self'",
        ]
    )


class StaffPageHeaders:
    """ASGI middleware: the staff app's security headers on every HTTP response without its own."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message):
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                added = [(name, value) for name, value in self.headers() if name not in present]
                message = {**message, "headers": [*message.get("headers", []), *added]}
            await send(message)

        await self.app(scope, receive, with_headers)

    @staticmethod
    def headers() -> list[tuple[bytes, bytes]]:
        return [
            (b"content-security-policy", staff_policy().encode()),
            (b"referrer-policy", b"same-origin"),
            (b"x-content-type-options", b"nosniff"),
        ]
