"""Staff accounts: hashed passwords, roles, throttled logins, first admin."""

from datetime import timedelta

import pytest
from sqlmodel import select

from survey import bootstrap
from survey.accounts import auth
from survey.accounts import service as accounts
from survey.core import db as database
from survey.models import AuditLog, User, utcnow


def make_user(role="quality", password="correct-horse"):
    with database.session() as db:
        return auth.create_user(db, "li.na", role, password, display_name="李娜")


def login(password, now=None):
    with database.session() as db:
        return auth.authenticate(db, "li.na", password, now=now)


def test_password_is_stored_as_argon2_hash_not_text(db_url):
    make_user()
    with database.session() as db:
        stored = db.exec(select(User)).one()
    assert stored.password_hash.startswith("$argon2")
    assert "correct-horse" not in stored.password_hash


def test_right_password_signs_in_and_wrong_one_does_not(db_url):
    make_user()
    assert login("correct-horse").ok
    result = login("wrong-password")
    assert not result.ok and result.error == "invalid"
    assert login("correct-horse").user.username == "li.na"


def test_unknown_user_is_refused_like_a_wrong_password(db_url):
    with database.session() as db:
        result = auth.authenticate(db, "nobody", "whatever-pass")
    assert result.error == "invalid"


def test_repeated_failures_lock_the_account_for_growing_times(db_url):
    make_user()
    now = utcnow()
    for _ in range(auth.FREE_ATTEMPTS):
        assert login("wrong", now=now).error == "invalid"
    locked = login("wrong", now=now)
    assert locked.error == "locked" and locked.retry_after_seconds >= 1
    # even the right password waits out the lock
    assert login("correct-horse", now=now).error == "locked"
    after = now + timedelta(seconds=locked.retry_after_seconds + 1)
    second_lock = login("wrong", now=after)
    assert second_lock.retry_after_seconds > locked.retry_after_seconds
    later = after + timedelta(seconds=second_lock.retry_after_seconds + 1)
    assert login("correct-horse", now=later).ok
    with database.session() as db:
        assert db.exec(select(User)).one().failed_logins == 0


def test_disabled_account_cannot_sign_in(db_url):
    make_user()
    with database.session() as db:
        auth.set_active(db, db.exec(select(User)).one(), False)
    assert login("correct-horse").error == "inactive"


def test_weak_password_unknown_role_and_duplicates_are_refused(db_url):
    with database.session() as db:
        with pytest.raises(auth.AuthError, match="at least 8"):
            auth.create_user(db, "a", "quality", "short")
        with pytest.raises(auth.AuthError, match="unknown role"):
            auth.create_user(db, "a", "boss", "long-enough")
    make_user()
    with database.session() as db, pytest.raises(auth.AuthError, match="already exists"):
        auth.create_user(db, "li.na", "agent", "long-enough")


def test_first_admin_comes_from_the_environment_once(db_url, monkeypatch):
    monkeypatch.setenv("SURVEY_ADMIN_PASSWORD", "first-admin-pass")
    bootstrap.prepare()
    bootstrap.forget_prepared()
    monkeypatch.setenv("SURVEY_ADMIN_PASSWORD", "another-password")
    bootstrap.prepare()
    with database.session() as db:
        admins = db.exec(select(User).where(User.role == "admin")).all()
        assert [a.username for a in admins] == ["admin"]
        assert auth.authenticate(db, "admin", "first-admin-pass").ok


def test_account_changes_are_audited(db_url):
    make_user()
    login("wrong")
    with database.session() as db:
        actions = [e.action for e in db.exec(select(AuditLog).order_by(AuditLog.id))]
    assert actions == ["user.create", "login.failed"]


def test_only_admins_manage_accounts_through_the_service_and_quality_staff_may_set_teams(db_url):
    with database.session() as db:
        root = auth.create_user(db, "root", "admin", "admin-password").id
        lead = auth.create_user(db, "lead", "quality", "quality-password").id
    agent = accounts.add_user(root, "chen", "agent", "agent-password", display_name="陈静", team="Crew 1")
    assert (agent.username, agent.display_name, agent.role, agent.team, agent.active) == (
        "chen",
        "陈静",
        "agent",
        "Crew 1",
        True,
    )
    for refused in (
        lambda: accounts.add_user(lead, "wang", "agent", "agent-password"),
        lambda: accounts.reset_password(lead, agent.id, "new-password"),
        lambda: accounts.set_active(lead, agent.id, False),
    ):
        with pytest.raises(auth.AuthError, match="only admins"):
            refused()
    with pytest.raises(auth.AuthError, match="only admins and quality staff"):
        accounts.set_team(agent.id, agent.id, "Crew 2")
    accounts.set_team(lead, agent.id, "Crew 2")
    accounts.reset_password(root, agent.id, "new-password")
    with pytest.raises(auth.AuthError, match="cannot disable your own account"):
        accounts.set_active(root, root, False)
    accounts.set_active(root, agent.id, False)
    listed = {u.username: u for u in accounts.list_users()}
    assert listed["chen"].team == "Crew 2" and not listed["chen"].active and listed["root"].active
    with database.session() as db:
        assert auth.authenticate(db, "chen", "new-password").error == "inactive"


def test_the_audit_log_reads_newest_first_and_filters_by_action_or_user(db_url):
    with database.session() as db:
        root = auth.create_user(db, "root", "admin", "admin-password").id
    accounts.add_user(root, "chen", "agent", "agent-password")
    accounts.reset_password(root, 2, "new-password")
    assert [e.action for e in accounts.audit_log()] == ["user.password", "user.create", "user.create"]
    assert [(e.username, e.entity_id) for e in accounts.audit_log(action="user.create", username="root")] == [
        ("root", "2")
    ]
    choices = accounts.audit_choices()
    assert choices.actions == ["user.create", "user.password"] and choices.usernames == ["root", "system"]
