"""Every rerun of the staff app checks the server-side session row, not a copy kept in the
browser session: a session revoked, expired or belonging to a changed account ends an open tab
at its next click; signing in again replaces the browser's session."""

import ast
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
from survey.accounts import service as accounts
from survey.accounts import sessions as staff_sessions
from survey.core import db as database
from survey.jobs.service import scheduler_state
from survey.models import AuditLog, StaffSession, User
from survey.web.app import middleware, routes
from tests.apptest_support import open_app, sign_in
from tests.support import PROJECT_ROOT


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
        staff_sessions.revoke_user(db, zhao)  # e.g. signed out in another tab of the same browser
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
    listener = lambda *args: statements.append(args[2])  # noqa: E731  (conn, cursor, statement, ...)
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        with database.session() as db:
            assert staff_sessions.resolve(db, token).username == "zhao"
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1


def test_signing_in_again_replaces_the_browsers_session(zhao):
    browser = TestClient(
        Starlette(
            routes=[*routes(), Route("/{path:path}", lambda _r: PlainTextResponse("app"))], middleware=middleware()
        ),
        follow_redirects=False,
    )

    def login():
        token = re.search(r'name="_form" value="([^"]+)"', browser.get("/login").text).group(1)
        answer = browser.post(
            "/login", data={"_form": token, "next": "/", "username": "zhao", "password": "quality-pass"}
        )
        assert answer.status_code == 303
        return browser.cookies["survey_session"]

    first, second = login(), login()
    assert first != second
    with database.session() as db:
        assert staff_sessions.resolve(db, first) is None
        assert staff_sessions.resolve(db, second).username == "zhao"


def test_a_button_clicked_in_a_tab_whose_session_was_revoked_does_nothing_and_shows_the_sign_in_page(zhao):
    """Streamlit runs a button's callback before the page script: the callback checks the session too."""
    at = signed_in_tab()
    at.switch_page("pages/jobs.py").run()
    assert not at.exception and not shows_sign_in(at)
    with database.session() as db:
        staff_sessions.revoke_user(db, zhao)  # signed out in another tab, while this one shows the page
    jobs_before = scheduler_state().jobs
    at.button(key="jobs_run_cases").click().run()
    assert not at.exception and shows_sign_in(at)
    assert any("刚才的操作未执行" in warning.value for warning in at.warning), "the sign-in page says why"
    assert scheduler_state().jobs == jobs_before, "no job was asked to run"


# The widget callbacks that need no live session: each checks what it needs itself.
SESSION_FREE_CALLBACKS = {
    "_language_chosen",  # the language picker works on the sign-in page; it saves only for a live session
    "sign_out",  # ending a session that has already ended changes nothing
}


def is_action(function: ast.FunctionDef) -> bool:
    return any(
        (isinstance(d, ast.Name) and d.id == "action") or (isinstance(d, ast.Attribute) and d.attr == "action")
        for d in function.decorator_list
    )


def widget_callbacks(tree: ast.Module) -> list[tuple[int, str]]:
    """(line, name) of every function passed as a widget's on_click / on_change / on_submit."""
    return [
        (node.lineno, keyword.value.id)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        for keyword in node.keywords
        if keyword.arg in ("on_click", "on_change", "on_submit") and isinstance(keyword.value, ast.Name)
    ]


def test_every_widget_callback_on_a_staff_page_checks_the_session_first():
    unchecked = []
    for path in sorted([*(PROJECT_ROOT / "pages").glob("*.py"), *(PROJECT_ROOT / "ui").glob("*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        functions = {node.name: node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
        for line, name in widget_callbacks(tree):
            if name not in SESSION_FREE_CALLBACKS and not (name in functions and is_action(functions[name])):
                unchecked.append(f"{path.relative_to(PROJECT_ROOT)}:{line} {name}")
    assert not unchecked, "widget callbacks not wrapped in ui.session.action: " + ", ".join(unchecked)


def test_a_disabled_account_can_no_longer_act_through_the_services(zhao):
    with database.session() as db:
        root = auth.create_user(db, "root", "admin", "admin-password")
        auth.set_active(db, db.get(User, zhao), False, actor=root)
        audited = len(db.exec(select(AuditLog)).all())
    with pytest.raises(auth.AuthError, match="sign in again"):
        accounts.set_team(zhao, zhao, "Crew 9")
    with database.session() as db:
        assert db.get(User, zhao).team is None
        assert len(db.exec(select(AuditLog)).all()) == audited
