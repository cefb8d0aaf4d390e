"""What the pages ask about staff accounts: the users admin page, team membership, and reading
the audit log.

Each function opens its own transaction, takes plain values (ids, strings, the acting staff
member's id) and returns frozen dataclasses that stay valid once the session is closed. Who may
do what is checked here as well as by the page's navigation: accounts are the admin's; quality
staff also set the team a colleague works in (cases are routed to teams).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlmodel import Session

from survey.accounts import auth
from survey.accounts import sessions as staff_sessions
from survey.accounts.auth import AuthError
from survey.accounts.sessions import COOKIE_NAME
from survey.core import audit
from survey.core import db as database
from survey.core.config import settings
from survey.core.i18n import normalise_language, t
from survey.core.vocab import Role
from survey.models import AuditLog, User

__all__ = [
    "AuditChoices",
    "AuditEntry",
    "AuthError",
    "StaffUser",
    "add_user",
    "audit_choices",
    "audit_log",
    "list_users",
    "reset_password",
    "set_active",
    "set_language",
    "set_team",
    "COOKIE_NAME",
    "SignIn",
    "SignedInUser",
    "session_user",
    "sign_in",
    "sign_out",
]

TEAM_EDITORS = (Role.ADMIN, Role.QUALITY)


@dataclass(frozen=True)
class StaffUser:
    id: int
    username: str
    display_name: str
    role: str
    team: str | None
    language: str
    active: bool
    last_login_at: datetime | None

    @classmethod
    def of(cls, user: User) -> StaffUser:
        return cls(
            user.id,
            user.username,
            user.display_name,
            user.role,
            user.team,
            user.language,
            user.active,
            user.last_login_at,
        )


def _acting_as(db: Session, actor_id: int, roles: tuple[str, ...], refusal_key: str) -> User:
    actor = auth.acting_user(db, actor_id)
    if actor.role not in roles:
        raise AuthError(key=refusal_key)
    return actor


def _admin(db: Session, actor_id: int) -> User:
    return _acting_as(db, actor_id, (Role.ADMIN,), "errors.accounts.admins_only")


def _target(db: Session, user_id: int) -> User:
    user = db.get(User, user_id)
    if user is None:
        raise AuthError(key="errors.accounts.no_user", user_id=user_id)
    return user


def list_users() -> list[StaffUser]:
    """Every account, by role then username."""
    with database.session() as db:
        return [StaffUser.of(user) for user in auth.list_users(db)]


def add_user(
    actor_id: int,
    username: str,
    role: str,
    password: str,
    *,
    display_name: str = "",
    language: str = "zh-CN",
    team: str | None = None,
) -> StaffUser:
    with database.session() as db:
        user = auth.create_user(
            db,
            username,
            role,
            password,
            display_name=display_name,
            language=language,
            team=team or None,
            actor=_admin(db, actor_id),
        )
        return StaffUser.of(user)


def reset_password(actor_id: int, user_id: int, password: str) -> None:
    """A new password; it signs the user out of every browser."""
    with database.session() as db:
        auth.set_password(db, _target(db, user_id), password, actor=_admin(db, actor_id))


def set_active(actor_id: int, user_id: int, active: bool) -> None:
    """Enable or disable an account; disabling ends its sessions (never one's own account)."""
    with database.session() as db:
        auth.set_active(db, _target(db, user_id), active, actor=_admin(db, actor_id))


def set_team(actor_id: int, user_id: int, team: str | None) -> None:
    """The team a user works in (admins, and quality staff who route cases)."""
    with database.session() as db:
        actor = _acting_as(db, actor_id, TEAM_EDITORS, "errors.accounts.team_editors_only")
        auth.set_team(db, _target(db, user_id), team, actor=actor)


def set_language(user_id: int, language: str) -> None:
    """A staff member's own choice of language: the app opens in it from now on, in every
    browser and session (the sidebar switch and the sign-in page's language links save it)."""
    with database.session() as db:
        _target(db, user_id).language = normalise_language(language)


# ---------------------------------------------------------------- the audit log


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    username: str
    action: str
    entity: str
    entity_id: str | None
    detail: dict

    @classmethod
    def of(cls, entry: AuditLog) -> AuditEntry:
        return cls(entry.at, entry.username, entry.action, entry.entity, entry.entity_id, dict(entry.detail or {}))


@dataclass(frozen=True)
class AuditChoices:
    """What the audit log can be filtered by: the actions and usernames it holds."""

    actions: list[str]
    usernames: list[str]


def audit_choices() -> AuditChoices:
    with database.session() as db:
        return AuditChoices(audit.known_actions(db), audit.known_usernames(db))


def audit_log(
    *,
    action: str | None = None,
    username: str | None = None,
    start: date | None = None,
    end: date | None = None,
    limit: int = 1000,
) -> list[AuditEntry]:
    """Newest first, optionally of one action, one user, and the local days ``start`` to ``end``
    (both included)."""
    zone = settings().timezone
    since = datetime.combine(start, time.min, zone) if start else None
    until = datetime.combine(end + timedelta(days=1), time.min, zone) if end else None
    with database.session() as db:
        return [
            AuditEntry.of(e)
            for e in audit.entries(db, action=action, username=username, since=since, until=until, limit=limit)
        ]


# ---------------------------------------------------------------- signing in and out


@dataclass(frozen=True)
class SignedInUser:
    """Whose staff session this is, as pages need it on every rerun."""

    id: int
    username: str
    display_name: str
    role: str
    language: str

    @classmethod
    def of(cls, user: User) -> SignedInUser:
        return cls(user.id, user.username, user.display_name or user.username, user.role, user.language)


@dataclass(frozen=True)
class SignIn:
    """A sign-in's outcome: the user and their new session token, or why not (``error`` as in
    ``auth.LoginResult``)."""

    user: SignedInUser | None
    token: str | None = None
    error: str | None = None
    retry_after_seconds: int = 0

    def message(self, lang: str) -> str:
        """Why the sign-in was refused, for the person at the form."""
        if self.error == "locked":
            return t("login.locked", lang, seconds=self.retry_after_seconds)
        if self.error == "throttled":
            return t("login.throttled", lang, minutes=max(1, math.ceil(self.retry_after_seconds / 60)))
        if self.error == "inactive":
            return t("login.inactive", lang)
        return t("login.invalid", lang)


def sign_in(username: str, password: str, *, client: str, replaces: str | None = None) -> SignIn:
    """Check a password and start a staff session, ending ``replaces`` (the browser's previous one).

    Three steps, so that no database lock is held while the slow password hash is computed:
    count the attempt against the user and the ``client`` address (checking their locks) and
    commit; check the password; record the outcome and start the session.
    """
    with database.session() as db:
        attempt = auth.begin_login(db, username, client=client)
    if attempt.refused is not None:
        return SignIn(None, error=attempt.refused.error, retry_after_seconds=attempt.refused.retry_after_seconds)
    password_ok = auth.password_matches(attempt, password)
    with database.session() as db:
        result = auth.finish_login(db, attempt, password_ok, password)
        if result.user is None:
            return SignIn(None, error=result.error, retry_after_seconds=result.retry_after_seconds)
        return SignIn(SignedInUser.of(result.user), staff_sessions.start(db, result.user, replaces=replaces))


def session_user(token: str | None) -> SignedInUser | None:
    """The user of a live staff session, or None (unknown, revoked, idle or too old, disabled).
    Checked against the session row on every rerun of an open tab: one indexed lookup."""
    if not token:
        return None
    with database.session() as db:
        user = staff_sessions.resolve(db, token)
        return SignedInUser.of(user) if user is not None else None


def sign_out(token: str | None) -> None:
    """End a staff session in every tab and process that uses it."""
    with database.session() as db:
        staff_sessions.revoke(db, token)
