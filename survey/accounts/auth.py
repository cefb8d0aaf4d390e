"""Staff accounts: argon2 password hashes, login with throttling, roles.

Throttling lives in the database (``User.failed_logins``, ``User.locked_until``) so it holds
across browser sessions and app processes: after ``FREE_ATTEMPTS`` failures each further
failure locks the account twice as long as the one before (2 s, 4 s, 8 s ..., capped at
``MAX_LOCK_SECONDS``). Unknown usernames cost one hash too, so response time does not reveal
which accounts exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlmodel import Session, select

from survey.accounts import sessions as staff_sessions
from survey.core.audit import record
from survey.models import User, utcnow
from survey.core.vocab import Role

FREE_ATTEMPTS = 3
MAX_LOCK_SECONDS = 15 * 60
MIN_PASSWORD_LENGTH = 8

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class AuthError(ValueError):
    """A refused account operation, with a message fit for the user."""


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    error: str | None = None           # "invalid" | "locked" | "inactive"
    retry_after_seconds: int = 0

    @property
    def ok(self) -> bool:
        return self.user is not None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")


def create_user(
    db: Session, username: str, role: str, password: str, *,
    display_name: str = "", language: str = "zh-CN", team: str | None = None,
    actor: User | None = None,
) -> User:
    username = username.strip()
    if not username or len(username) > 64 or any(ch.isspace() for ch in username):
        raise AuthError("username must be 1-64 characters without spaces")
    if role not in {r.value for r in Role}:
        raise AuthError(f"unknown role '{role}'; choose one of: {', '.join(r.value for r in Role)}")
    check_password_strength(password)
    if db.exec(select(User).where(User.username == username)).first():
        raise AuthError(f"user '{username}' already exists")
    user = User(
        username=username, role=role, password_hash=hash_password(password),
        display_name=display_name or username, language=language, team=team,
    )
    db.add(user)
    db.flush()
    record(db, actor, "user.create", "user", user.id, {"username": username, "role": role})
    return user


def set_password(db: Session, user: User, password: str, *, actor: User | None = None) -> None:
    check_password_strength(password)
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    db.add(user)
    staff_sessions.revoke_user(db, user.id)   # a changed password signs out every browser
    record(db, actor, "user.password", "user", user.id, {"username": user.username})


def _lock_seconds(failed_logins: int) -> int:
    over = failed_logins - FREE_ATTEMPTS
    return 0 if over <= 0 else min(2 ** over, MAX_LOCK_SECONDS)


def authenticate(db: Session, username: str, password: str, *, now: datetime | None = None) -> LoginResult:
    """Check a login. Commits nothing itself; the caller's session does."""
    now = now or utcnow()
    user = db.exec(select(User).where(User.username == username.strip())).first()
    if user is None:
        _safe_verify(_DUMMY_HASH, password)
        return LoginResult(None, "invalid")
    if user.locked_until and user.locked_until > now:
        return LoginResult(None, "locked", int((user.locked_until - now).total_seconds()) + 1)
    if not _safe_verify(user.password_hash, password):
        user.failed_logins += 1
        lock = _lock_seconds(user.failed_logins)
        user.locked_until = now + timedelta(seconds=lock) if lock else None
        db.add(user)
        record(db, user, "login.failed", "user", user.id, {"failed_logins": user.failed_logins})
        return LoginResult(None, "locked" if lock else "invalid", lock)
    if not user.active:
        return LoginResult(None, "inactive")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    db.add(user)
    record(db, user, "login", "user", user.id)
    return LoginResult(user)


def _safe_verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def ensure_first_admin(db: Session, password: str | None) -> User | None:
    """Create user 'admin' from SURVEY_ADMIN_PASSWORD when the database has no admin yet."""
    if not password:
        return None
    if db.exec(select(User).where(User.role == Role.ADMIN)).first():
        return None
    return create_user(db, "admin", Role.ADMIN, password, display_name="Administrator")


def set_active(db: Session, user: User, active: bool, *, actor: User | None = None) -> None:
    if actor is not None and actor.id == user.id and not active:
        raise AuthError("you cannot disable your own account")
    user.active = active
    db.add(user)
    if not active:
        staff_sessions.revoke_user(db, user.id)
    record(db, actor, "user.enable" if active else "user.disable", "user", user.id, {"username": user.username})


def set_team(db: Session, user: User, team: str | None, *, actor: User | None = None) -> None:
    """The team a user works in (follow-up cases are routed to teams)."""
    team = (team or "").strip() or None
    if team is not None and len(team) > 64:
        raise AuthError("a team name has at most 64 characters")
    old, user.team = user.team, team
    db.add(user)
    record(db, actor, "user.team", "user", user.id, {"username": user.username, "old": old, "new": team})


def list_users(db: Session) -> list[User]:
    return list(db.exec(select(User).order_by(User.role, User.username)))


def acting_user(db: Session, user_id: int) -> User:
    """The signed-in staff member as a row of this session, for the audit trail of an action."""
    user = db.get(User, user_id)
    if user is None:
        raise AuthError("this account no longer exists; sign in again")
    return user
