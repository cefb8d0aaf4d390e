"""Staff sign-in as plain routes, and the gate in front of the staff UI.

- ``GET /login`` a light sign-in form; ``POST /login`` checks the password (with the same
  throttling as everywhere, survey.auth), starts a server-side session and sets an HttpOnly
  cookie, then returns to the page asked for.
- ``/logout`` ends the session and clears the cookie.
- ``StaffGate`` answers any browser page request for the staff UI without a valid session with
  a redirect to ``/login``: a visitor never receives the staff app, and a signed-in user keeps
  their session across reloads, deep links and app processes (Streamlit's own session state
  lives and dies with one websocket).
"""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse
from starlette.routing import BaseRoute, Route

from survey.accounts import auth

from survey.core import signing

from survey.accounts import sessions as staff_sessions
from survey.core import db as database
from survey.core.config import settings
from survey.core.i18n import LANGUAGES, normalise_language, t
from survey.web.render import ENV

# Paths the gate lets through: Streamlit's own assets and API, and the public routes.
OPEN_PREFIXES = ("/_stcore/", "/static/", "/component/", "/media/", "/app/static/", "/s/", "/p/",
                 "/healthz", "/login", "/logout", "/favicon")
MAX_LOGIN_BYTES = 8 * 1024
FORM_SCOPE = "staff-login"
HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}


def safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect to somewhere else."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _language(request: Request, posted: dict[str, str] | None = None) -> str:
    chosen = (posted or {}).get("lang") or request.query_params.get("lang")
    if chosen:
        return normalise_language(chosen)
    accepted = request.headers.get("accept-language", "")
    return "en" if accepted.lower().startswith("en") else "zh-CN"


def _page(lang: str, next_path: str, *, error: str = "", username: str = "", status: int = 200) -> HTMLResponse:
    with database.session() as db:
        token = signing.sign_form(signing.form_key(db), FORM_SCOPE, 0)
    texts = {key: t(f"login.{key}", lang) for key in ("title", "username", "password", "submit")}
    texts |= {"app": t("app.title", lang), "tagline": t("app.tagline", lang)}
    languages = [(code, {"zh-CN": "中文", "en": "English"}[code],
                  "" if code == lang else "/login?" + urlencode({"lang": code, "next": next_path}))
                 for code in LANGUAGES]
    html = ENV.get_template("login.html").render(
        lang=lang, texts=texts, languages=languages, form_token=token, next=next_path, error=error,
        username=username)
    return HTMLResponse(html, status_code=status, headers=HEADERS)


async def login_form(request: Request) -> HTMLResponse:
    return await run_in_threadpool(_page, _language(request), safe_next(request.query_params.get("next")))


async def login_submit(request: Request):
    body = await request.body()
    if len(body) > MAX_LOGIN_BYTES:
        return await run_in_threadpool(_page, "zh-CN", "/", error="", status=413)
    posted = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return await run_in_threadpool(_sign_in, posted, _language(request, posted), request.url.scheme)


def _sign_in(posted: dict[str, str], lang: str, scheme: str):
    next_path = safe_next(posted.get("next"))
    username, password = posted.get("username", "").strip(), posted.get("password", "")
    with database.session() as db:
        genuine = signing.form_is_genuine(signing.form_key(db), posted.get("_form", ""), FORM_SCOPE, 0)
        if not genuine:   # a form we did not serve (or a very old one): ask again, check nothing
            return _page(lang, next_path, username=username, status=400)
        if not username or not password:
            return _page(lang, next_path, error=t("login.missing", lang), username=username, status=400)
        result = auth.authenticate(db, username, password)
        token = staff_sessions.start(db, result.user) if result.ok else None
    if token is None:
        error = {"locked": t("login.locked", lang, seconds=result.retry_after_seconds),
                 "inactive": t("login.inactive", lang)}.get(result.error, t("login.invalid", lang))
        return _page(lang, next_path, error=error, username=username, status=401)
    response = RedirectResponse(next_path, status_code=303)
    secure = scheme == "https" or settings().base_url.startswith("https://")
    response.set_cookie(staff_sessions.COOKIE_NAME, token, max_age=int(staff_sessions.MAX_AGE.total_seconds()),
                        httponly=True, samesite="lax", secure=secure, path="/")
    # The language picked on this page carries into the app (a choice beats the stored preference).
    response.set_cookie(staff_sessions.LANGUAGE_COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax",
                        secure=secure, path="/")
    return response


async def logout(request: Request) -> RedirectResponse:
    token = request.cookies.get(staff_sessions.COOKIE_NAME)

    def end() -> None:
        with database.session() as db:
            staff_sessions.revoke(db, token)

    await run_in_threadpool(end)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(staff_sessions.COOKIE_NAME, path="/")
    return response


def routes() -> list[BaseRoute]:
    return [
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login_submit, methods=["POST"]),
        Route("/logout", logout, methods=["GET", "POST"]),
    ]


def signed_in(token: str | None) -> bool:
    with database.session() as db:
        return staff_sessions.resolve(db, token) is not None


class StaffGate:
    """ASGI middleware: browser page requests for the staff UI need a valid session."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD") and self._guarded(scope):
            request = Request(scope)
            if not await run_in_threadpool(signed_in, request.cookies.get(staff_sessions.COOKIE_NAME)):
                target = scope["path"] + (("?" + scope["query_string"].decode()) if scope["query_string"] else "")
                await RedirectResponse("/login?next=" + quote(target, safe="/"), status_code=303)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    @staticmethod
    def _guarded(scope) -> bool:
        path = scope["path"]
        if path.startswith(OPEN_PREFIXES):
            return False
        accept = dict(scope.get("headers") or []).get(b"accept", b"").decode()
        return "text/html" in accept   # a browser navigating to a staff page, not an asset
