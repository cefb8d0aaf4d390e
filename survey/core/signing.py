"""Signed respondent forms, with a key every app process shares.

A respondent form carries ``_form = <issued>.<mac>``: an HMAC of what the server rendered (the
link, the page number and any state the form carries) and when. A post whose mac does not
match was not made from a page we served (cross-site forgery, or tampering with the page
number or the carried answers); one older than ``FORM_MAX_AGE`` is stale. Either way the
customer sees the page again with their answers kept, never an error.

The key is SURVEY_SECRET_KEY when set, otherwise a random key created once in the database
(``serversecret``), so every process serving the same database signs alike.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

from sqlmodel import Session, select

from survey.core.config import settings
from survey.core.db import upsert_insert
from survey.models import ServerSecret, utcnow

FORM_KEY_NAME = "form"
FORM_MAX_AGE = 24 * 3600
CLOCK_SKEW = 300


def form_key(db: Session) -> bytes:
    configured = settings().secret_key
    if configured:
        return configured.encode()
    stored = db.exec(select(ServerSecret.value).where(ServerSecret.name == FORM_KEY_NAME)).first()
    if stored is None:
        # Two processes may get here together: the first insert wins, both read its key.
        db.execute(
            upsert_insert(db)(ServerSecret)
            .values(
                name=FORM_KEY_NAME,
                value=secrets.token_hex(32),
                created_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["name"])
        )
        stored = db.exec(select(ServerSecret.value).where(ServerSecret.name == FORM_KEY_NAME)).one()
    return stored.encode()


def sign_form(key: bytes, scope: str, page: int, state: str = "", *, now: float | None = None) -> str:
    issued = int(time.time() if now is None else now)
    return f"{issued}.{_mac(key, scope, page, state, issued)}"


def form_is_genuine(
    key: bytes, token: str, scope: str, page: int, state: str = "", *, now: float | None = None
) -> bool:
    issued_text, _, mac = (token or "").partition(".")
    if not (issued_text.isascii() and issued_text.isdigit()):  # "²" is a digit to isdigit, not to int
        return False
    age = (time.time() if now is None else now) - int(issued_text)
    if not -CLOCK_SKEW <= age <= FORM_MAX_AGE:
        return False
    # As bytes: compare_digest refuses a str holding non-ASCII, which a forged form may send.
    expected = _mac(key, scope, page, state, int(issued_text)).encode()
    return hmac.compare_digest(mac.encode("utf-8", "replace"), expected)


def _mac(key: bytes, scope: str, page: int, state: str, issued: int) -> str:
    message = "\n".join((scope, str(page), str(issued), state)).encode()
    return base64.urlsafe_b64encode(hmac.new(key, message, hashlib.sha256).digest()).rstrip(b"=").decode()
