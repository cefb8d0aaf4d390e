"""Staff accounts: argon2 password hashes, login with throttling, roles.

Throttling lives in the database (``User.failed_logins``, ``User.locked_until``) so it holds
across browser sessions and app processes: after ``FREE_ATTEMPTS`` failures each further
failure locks the account twice as long as the one before (2 s, 4 s, 8 s ..., capped at
``MAX_LOCK_SECONDS``). Unknown usernames cost one hash too, so response time does not reveal
which accounts exist. One network address may fail ``ADDRESS_FAILURES`` times per
``ADDRESS_WINDOW_SECONDS``, whatever usernames it tries.

An attempt is counted *before* its password is checked (``begin_login``), in statements that
check the lock and count at once, and forgiven when the password proves right
(``finish_login``): so fifty wrong passwords posted at the same moment check no more than
``FREE_ATTEMPTS + 1`` of them, and each one checked is counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlmodel import Session, col, select

from survey.accounts import sessions as staff_sessions
from survey.core import ratelimit
from survey.core.audit import record
from survey.core.clients import UNKNOWN
from survey.core.errors import SurveyError
from survey.core.vocab import Role
from survey.models import User, utcnow

FREE_ATTEMPTS = 3
MAX_LOCK_SECONDS = 15 * 60
MIN_PASSWORD_LENGTH = 8
ADDRESS_FAILURES = 30  # sign-ins that did not succeed, from one network address ...
ADDRESS_WINDOW_SECONDS = 15 * 60  # ... per quarter of an hour, whatever usernames they tried

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class AuthError(SurveyError, ValueError):
    """A refused account operation, with a message fit for the user."""


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    error: str | None = None  # "invalid" | "locked" | "inactive" | "throttled" (the address)
    retry_after_seconds: int = 0

    @property
    def ok(self) -> bool:
        return self.user is not None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError(key="errors.accounts.password_too_short", length=MIN_PASSWORD_LENGTH)


def create_user(
    db: Session,
    username: str,
    role: str,
    password: str,
    *,
    display_name: str = "",
    language: str = "zh-CN",
    team: str | None = None,
    actor: User | None = None,
) -> User:
    username = username.strip()
    if not username or len(username) > 64 or any(ch.isspace() for ch in username):
        raise AuthError(key="errors.accounts.bad_username")
    if role not in {r.value for r in Role}:
        raise AuthError(key="errors.accounts.unknown_role", role=role, roles=", ".join(r.value for r in Role))
    check_password_strength(password)
    if db.exec(select(User).where(User.username == username)).first():
        raise AuthError(key="errors.accounts.user_exists", username=username)
    user = User(
        username=username,
        role=role,
        password_hash=hash_password(password),
        display_name=display_name or username,
        language=language,
        team=team,
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
    staff_sessions.revoke_user(db, user.id)  # a changed password signs out every browser
    record(db, actor, "user.password", "user", user.id, {"username": user.username})


def _lock_seconds(failed_logins: int) -> int:
    over = failed_logins - FREE_ATTEMPTS
    return 0 if over <= 0 else min(2**over, MAX_LOCK_SECONDS)


@dataclass(frozen=True)
class Attempt:
    """A sign-in counted before its password is checked (``begin_login``)."""

    username: str
    client: str
    now: datetime
    user_id: int | None = None  # None: no such user; a dummy hash is checked all the same
    password_hash: str = _DUMMY_HASH
    failed_logins: int = 0  # the user's failures, this attempt included
    refused: LoginResult | None = None  # refused before any password is checked


def begin_login(db: Session, username: str, *, client: str = UNKNOWN, now: datetime | None = None) -> Attempt:
    """Count a sign-in attempt, as a failure until its password proves right.

    The address's counter goes up in one atomic upsert (survey.core.ratelimit). The user's goes
    up in one UPDATE that matches only an account that is not locked now, so the lock is checked
    in the same statement that counts: the database runs simultaneous attempts one after the
    other, and once one of them has set a lock the rest match no row and are refused unchecked.
    The updated row stays locked to this transaction, so setting ``locked_until`` from the count
    it returned belongs to the same step. Commit before checking the password (it is slow), so
    nobody waits on that lock meanwhile.
    """
    now = now or utcnow()
    username = username.strip()
    moment = now.timestamp()
    if not ratelimit.allow(db, _address_key(client), ADDRESS_FAILURES, ADDRESS_WINDOW_SECONDS, now=moment):
        wait = ratelimit.seconds_left(ADDRESS_WINDOW_SECONDS, now=moment)
        return Attempt(username, client, now, refused=LoginResult(None, "throttled", wait))
    not_locked = sa.or_(col(User.locked_until).is_(None), col(User.locked_until) <= now)
    counted = db.execute(
        sa.update(User)
        .where(col(User.username) == username, not_locked)
        .values(failed_logins=User.failed_logins + 1)
        .returning(User.id, User.password_hash, User.failed_logins)
    ).first()
    if counted is None:
        return _unknown_or_locked(db, username, client, now)
    user_id, password_hash, failed_logins = counted
    if lock := _lock_seconds(failed_logins):
        db.execute(sa.update(User).where(col(User.id) == user_id).values(locked_until=now + timedelta(seconds=lock)))
    return Attempt(username, client, now, user_id, password_hash, failed_logins)


def _unknown_or_locked(db: Session, username: str, client: str, now: datetime) -> Attempt:
    """No row was counted: no such user (checked against a dummy hash, to take as long), or locked."""
    locked_until = db.exec(select(User.locked_until).where(User.username == username)).one_or_none()
    if locked_until is None:  # no such user, or a lock that ended a moment ago: a plain "wrong"
        return Attempt(username, client, now)
    seconds = int((locked_until - now).total_seconds()) + 1
    return Attempt(username, client, now, refused=LoginResult(None, "locked", max(seconds, 1)))


def password_matches(attempt: Attempt, password: str) -> bool:
    """The slow step (argon2), outside any transaction; an unknown user costs one hash too."""
    return _safe_verify(attempt.password_hash, password)


def finish_login(db: Session, attempt: Attempt, password_ok: bool, password: str) -> LoginResult:
    """How a counted attempt ends: a wrong password stays counted and is audited; the right one
    clears the user's failures and takes this attempt off the address's count."""
    user = db.get(User, attempt.user_id) if attempt.user_id is not None else None
    if user is None:
        return LoginResult(None, "invalid")
    if not password_ok:
        record(db, user, "login.failed", "user", user.id, {"failed_logins": attempt.failed_logins})
        lock = _lock_seconds(attempt.failed_logins)
        return LoginResult(None, "locked" if lock else "invalid", lock)
    ratelimit.forgive(db, _address_key(attempt.client), ADDRESS_WINDOW_SECONDS, now=attempt.now.timestamp())
    user.failed_logins = 0
    user.locked_until = None
    db.add(user)
    if not user.active:
        return LoginResult(None, "inactive")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = attempt.now
    record(db, user, "login", "user", user.id)
    return LoginResult(user)


def authenticate(
    db: Session, username: str, password: str, *, client: str = UNKNOWN, now: datetime | None = None
) -> LoginResult:
    """Check a login within the caller's transaction (the CLI, tests). Staff sign-in
    (``survey.accounts.service.sign_in``) takes the same steps in two transactions, so that
    no lock is held while the password hash is computed."""
    attempt = begin_login(db, username, client=client, now=now)
    if attempt.refused is not None:
        return attempt.refused
    return finish_login(db, attempt, password_matches(attempt, password), password)


def _address_key(client: str) -> str:
    return f"login:{client}"


def _safe_verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def has_password(user: User, password: str) -> bool:
    """Whether ``password`` is the user's password (no login is recorded, nothing is throttled)."""
    return _safe_verify(user.password_hash, password)


def ensure_first_admin(db: Session, password: str | None) -> User | None:
    """Create user 'admin' from SURVEY_ADMIN_PASSWORD when the database has no admin yet."""
    if not password:
        return None
    if db.exec(select(User).where(User.role == Role.ADMIN)).first():
        return None
    return create_user(db, "admin", Role.ADMIN, password, display_name="Administrator")


def set_active(db: Session, user: User, active: bool, *, actor: User | None = None) -> None:
    if actor is not None and actor.id == user.id and not active:
        raise AuthError(key="errors.accounts.cannot_disable_self")
    user.active = active
    db.add(user)
    if not active:
        staff_sessions.revoke_user(db, user.id)
    record(db, actor, "user.enable" if active else "user.disable", "user", user.id, {"username": user.username})


def set_team(db: Session, user: User, team: str | None, *, actor: User | None = None) -> None:
    """The team a user works in (follow-up cases are routed to teams)."""
    team = (team or "").strip() or None
    if team is not None and len(team) > 64:
        raise AuthError(key="errors.accounts.team_too_long")
    old, user.team = user.team, team
    db.add(user)
    record(db, actor, "user.team", "user", user.id, {"username": user.username, "old": old, "new": team})


def list_users(db: Session) -> list[User]:
    return list(db.exec(select(User).order_by(User.role, User.username)))


def acting_user(db: Session, user_id: int) -> User:
    """The signed-in staff member as a row of this session, for the audit trail of an action.

    Refuses an account disabled since its page was drawn: disabling one ends its sessions, and
    nothing it still has open may act in its name."""
    user = db.get(User, user_id)
    if user is None:
        raise AuthError(key="errors.accounts.account_gone")
    if not user.active:
        raise AuthError(key="errors.accounts.account_disabled")
    return user
