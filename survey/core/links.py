"""Personal and public link addresses, and the tokens inside them.

A token carries 128 bits from ``secrets`` in 22 URL-safe characters, so
``https://host/s/<token>`` plus a short message still fits one SMS.
"""

from __future__ import annotations

import secrets

from survey.core.config import settings

TOKEN_BYTES = 16  # 128 bits


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def personal_link(token: str, base_url: str | None = None) -> str:
    return f"{(base_url or settings().base_url).rstrip('/')}/s/{token}"


def public_link(slug: str, base_url: str | None = None) -> str:
    return f"{(base_url or settings().base_url).rstrip('/')}/p/{slug}"
