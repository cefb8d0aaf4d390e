"""Staff sessions behind the plain /login route and the gate in front of the staff UI."""

import re
from datetime import timedelta

import pytest
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
from survey.web.staff_auth import safe_next


def staff_page(_request):
    return PlainTextResponse("staff app")


@pytest.fixture
def client(db_url):
    with database.session() as db:
        auth.create_user(db, "li", "quality", "quality-pass")
    app = Starlette(routes=[*routes(), Route("/{path:path}", staff_page)], middleware=middleware())
    return TestClient(app, base_url="http://testserver", follow_redirects=False)


def login(client, username="li", password="quality-pass", next_path="/"):
    form = client.get("/login", params={"next": next_path})
    token = re.search(r'name="_form" value="([^"]+)"', form.text).group(1)
    return client.post("/login", data={"_form": token, "next": next_path, "username": username, "password": password})


BROWSER = {"accept": "text/html,application/xhtml+xml"}


def test_a_visitor_is_sent_to_login_with_the_page_to_return_to(client):
    response = client.get("/executive?x=1", headers=BROWSER)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/executive%3Fx%3D1"


def test_assets_health_and_respondent_links_are_not_gated(client):
    assert client.get("/static/js/app.js", headers={"accept": "*/*"}).status_code == 200
    assert client.get("/healthz").status_code == 200
    assert client.get("/s/not-a-real-token", headers=BROWSER).status_code == 404  # the polite page


def test_signing_in_sets_an_httponly_cookie_and_returns_to_the_page(client):
    response = login(client, next_path="/executive")
    assert response.status_code == 303 and response.headers["location"] == "/executive"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("survey_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert client.get("/executive", headers=BROWSER).text == "staff app"
    with database.session() as db:
        stored = db.exec(select(StaffSession)).one()
    assert stored.token_hash != client.cookies["survey_session"]  # only the hash is kept


def test_wrong_password_and_forged_forms_start_no_session(client):
    assert login(client, password="wrong-password").status_code == 401
    forged = client.post("/login", data={"_form": "1.forged", "username": "li", "password": "quality-pass"})
    assert forged.status_code == 400
    with database.session() as db:
        assert db.exec(select(StaffSession)).all() == []


def test_only_local_paths_are_followed_after_sign_in():
    assert safe_next("/cases?id=3") == "/cases?id=3"
    for hostile in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "", None):
        assert safe_next(hostile) == "/"


def test_logout_revokes_the_session_everywhere(client):
    login(client)
    token = client.cookies["survey_session"]
    assert client.post("/logout").status_code == 303
    client.cookies.set("survey_session", token)  # a copy of the old cookie is no use
    assert client.get("/", headers=BROWSER).status_code == 303


def test_disabling_a_user_or_changing_the_password_ends_their_sessions(db_url):
    with database.session() as db:
        user = auth.create_user(db, "wu", "agent", "agent-password")
        first, second = staff_sessions.start(db, user), staff_sessions.start(db, user)
    with database.session() as db:
        assert staff_sessions.resolve(db, first).username == "wu"
        auth.set_password(db, db.get(User, user.id), "new-password-1")
    with database.session() as db:
        assert staff_sessions.resolve(db, first) is None and staff_sessions.resolve(db, second) is None
        third = staff_sessions.start(db, db.get(User, user.id))
    with database.session() as db:
        auth.set_active(db, db.get(User, user.id), False)
    with database.session() as db:
        assert staff_sessions.resolve(db, third) is None


def test_idle_sessions_expire(db_url):
    with database.session() as db:
        user = auth.create_user(db, "zhou", "agent", "agent-password")
        token = staff_sessions.start(db, user)
    with database.session() as db:
        row = db.exec(select(StaffSession)).one()
        row.last_seen_at = row.last_seen_at - staff_sessions.IDLE_TIMEOUT - timedelta(minutes=1)
        db.add(row)
    with database.session() as db:
        assert staff_sessions.resolve(db, token) is None
