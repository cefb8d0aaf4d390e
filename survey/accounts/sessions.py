"""Staff sign-in sessions that outlive a browser reload.

Streamlit keeps ``st.session_state`` per websocket, so a reload or a deep link would sign staff
out. Instead the plain ``/login`` route (survey.web.staff_auth) sets an HttpOnly cookie with a
random token; the database keeps only its SHA-256, so a stolen database does not hand out
sessions. A session ends after ``IDLE_TIMEOUT`` without use or ``MAX_AGE`` in all, at logout,
or when the user is disabled or changes password (``revoke_user``).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from survey.models import StaffSession, User, utcnow

COOKIE_NAME = "survey_session"
IDLE_TIMEOUT = timedelta(hours=8)
MAX_AGE = timedelta(days=7)
TOUCH_EVERY = timedelta(minutes=5)  # write last_seen_at at most this often


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(db: Session, user: User, *, replaces: str | None = None) -> str:
    """A new session for `user`; returns the token for the cookie. Signing in again ends the
    browser's previous session (``replaces``): a token someone saw before sign-in is no use after."""
    revoke(db, replaces)
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.add(
        StaffSession(
            token_hash=_hash(token), user_id=user.id, created_at=now, last_seen_at=now, expires_at=now + MAX_AGE
        )
    )
    return token


def resolve(db: Session, token: str | None) -> User | None:
    """The active user behind a session token, or None (unknown, expired, revoked, disabled).

    Runs on every rerun of every open staff tab, so it is one lookup by the unique token hash,
    joined to its user."""
    if not token:
        return None
    found = db.exec(
        select(StaffSession, User)
        .join(User, col(User.id) == col(StaffSession.user_id))
        .where(StaffSession.token_hash == _hash(token))
    ).first()
    if found is None:
        return None
    row, user = found
    now = utcnow()
    if row.revoked_at is not None or row.expires_at <= now or now - row.last_seen_at > IDLE_TIMEOUT:
        return None
    if not user.active:
        return None
    if now - row.last_seen_at > TOUCH_EVERY:
        row.last_seen_at = now
        db.add(row)
    return user


def revoke(db: Session, token: str | None) -> None:
    if token:
        db.execute(
            sa.update(StaffSession)
            .where(StaffSession.token_hash == _hash(token), StaffSession.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )


def revoke_user(db: Session, user_id: int) -> None:
    """End every session of a user (disabled, or password changed)."""
    db.execute(
        sa.update(StaffSession)
        .where(StaffSession.user_id == user_id, StaffSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
