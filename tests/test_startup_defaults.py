"""Safe defaults at start: the automatic demo only fills the default embedded SQLite file (or a
database whose operator asked for it), and demo logins are called out at every start."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from survey import bootstrap
from survey.accounts import auth
from survey.core import db as database
from survey.core.config import settings
from survey.demo.generate import DEMO_USERS
from survey.models import Customer, Response, User


def counts(url: str | None = None) -> tuple[int, int, int]:
    with database.session(url) as db:
        return tuple(db.exec(select(func.count(model.id))).one() for model in (User, Customer, Response))


def warned_logins(stderr: str) -> set[str]:
    """The usernames named by the demo-login warning (one line ending ': admin, quality, ...')."""
    (line,) = [line for line in stderr.splitlines() if "demo" in line]
    assert "-demo" not in line, "the warning names the users, not their passwords"
    return set(line.rsplit(": ", 1)[1].split(", "))


@pytest.fixture
def auto_demo_unset(monkeypatch):
    """As an operator starts the product: SURVEY_AUTO_DEMO not set at all (a small demo if it runs)."""
    monkeypatch.delenv("SURVEY_AUTO_DEMO", raising=False)
    monkeypatch.setenv("SURVEY_DEMO_RESPONSES", "500")


def test_a_configured_database_starts_empty_without_demo_users(db_url, auto_demo_unset):
    assert settings().auto_demo is False
    bootstrap.prepare()
    assert counts() == (0, 0, 0)


def test_the_default_embedded_file_gets_the_demo(auto_demo_unset):
    assert settings().auto_demo is True
    bootstrap.prepare()
    users, customers, responses = counts()
    assert users == len(DEMO_USERS) and customers > 0 and responses > 0
    database.dispose_engines()


def test_a_configured_database_gets_the_demo_when_asked(db_url, auto_demo_unset, monkeypatch):
    monkeypatch.setenv("SURVEY_AUTO_DEMO", "1")
    bootstrap.prepare()
    assert counts()[2] > 0


def test_every_start_warns_about_demo_logins_still_in_use(db_url, capsys):
    with database.session() as db:
        for username, role, password, _ in DEMO_USERS:
            auth.create_user(db, username, role, password)
    bootstrap.prepare()
    assert warned_logins(capsys.readouterr().err) == {username for username, *_ in DEMO_USERS}
    with database.session() as db:
        admin = db.exec(select(User).where(User.username == "admin")).one()
        auth.set_password(db, admin, "a-real-admin-password")
    bootstrap.forget_prepared()
    bootstrap.prepare()
    assert warned_logins(capsys.readouterr().err) == {"quality", "agent", "executive"}
