"""Every rerun of the staff app checks the server-side session row, not a copy kept in the
browser session: a session revoked, expired or belonging to a changed account ends an open tab
at its next click; signing in again replaces the browser's session."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from survey.accounts import auth
from survey.accounts import sessions as staff_sessions
from survey.core import db as database
from survey.models import StaffSession, User
from survey.web.app import middleware, routes
from tests.apptest_support import open_app, sign_in


@pytest.fixture
def zhao(db_url) -> int:
    with database.session() as db:
        return auth.create_user(db, "zhao", "quality", "quality-pass").id


def shows_sign_in(at) -> bool:
    return any(field.key == "login_password" for field in at.text_input) and not at.metric


def signed_in_tab():
    at = sign_in(open_app(), "zhao", "quality-pass")
    assert at.metric and not shows_sign_in(at)
    return at


def test_a_session_revoked_between_reruns_shows_the_sign_in_page(zhao):
    at = signed_in_tab()
    with database.session() as db:
        staff_sessions.revoke_user(db, zhao)      # e.g. signed out in another tab of the same browser
    at.run()
    assert shows_sign_in(at)


def test_a_password_reset_by_an_admin_ends_an_open_tab(zhao):
    at = signed_in_tab()
    with database.session() as db:
        auth.set_password(db, db.get(User, zhao), "a-new-password")
    at.run()
    assert shows_sign_in(at)


def test_the_idle_limit_applies_to_an_open_tab(zhao):
    at = signed_in_tab()
    with database.session() as db:
        for row in db.exec(select(StaffSession)):
            row.last_seen_at -= staff_sessions.IDLE_TIMEOUT + timedelta(minutes=1)
            db.add(row)
    at.run()
    assert shows_sign_in(at)


def test_signing_out_ends_the_server_side_session(zhao):
    at = signed_in_tab()
    at.button(key="logout").click().run()
    assert shows_sign_in(at)
    with database.session() as db:
        rows = db.exec(select(StaffSession)).all()
    assert rows and all(row.revoked_at is not None for row in rows)


def test_checking_a_session_is_one_query(zhao):
    with database.session() as db:
        token = staff_sessions.start(db, db.get(User, zhao))
    statements = []
    engine = database.get_engine()
    listener = lambda *args: statements.append(args[2])   # noqa: E731  (conn, cursor, statement, ...)
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        with database.session() as db:
            assert staff_sessions.resolve(db, token).username == "zhao"
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1


def test_signing_in_again_replaces_the_browsers_session(zhao):
    browser = TestClient(Starlette(routes=[*routes(), Route("/{path:path}", lambda _r: PlainTextResponse("app"))],
                                   middleware=middleware()), follow_redirects=False)

    def login():
        token = re.search(r'name="_form" value="([^"]+)"', browser.get("/login").text).group(1)
        answer = browser.post("/login", data={"_form": token, "next": "/", "username": "zhao",
                                              "password": "quality-pass"})
        assert answer.status_code == 303
        return browser.cookies["survey_session"]

    first, second = login(), login()
    assert first != second
    with database.session() as db:
        assert staff_sessions.resolve(db, first) is None
        assert staff_sessions.resolve(db, second).username == "zhao"
