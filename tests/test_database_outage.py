"""With the database unreachable, staff routes answer a polite page with a way to retry, like
the customer pages, and recover by themselves; /healthz tells visitors only the status."""

import logging
import re

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from survey.accounts import auth
from survey.core import db as database
from survey.web.app import middleware, routes
from tests.apptest_support import open_app, sign_in

UNREACHABLE = "postgresql://survey_user@127.0.0.1:1/survey_db"  # nothing listens on port 1
BROWSER = {"accept": "text/html,application/xhtml+xml"}


def staff_browser() -> TestClient:
    app = Starlette(
        routes=[*routes(), Route("/{path:path}", lambda _r: PlainTextResponse("staff app"))], middleware=middleware()
    )
    return TestClient(app, raise_server_exceptions=False, follow_redirects=False)


def is_polite_unavailable(response, retry_path: str) -> bool:
    return (
        response.status_code == 503
        and "服务暂时不可用" in response.text
        and "Traceback" not in response.text
        and f'href="{retry_path}"' in response.text
        and response.headers.get("retry-after") is not None
    )


def test_staff_routes_answer_a_polite_page_while_the_database_is_down_and_recover(db_url, monkeypatch, caplog):
    with database.session() as db:
        auth.create_user(db, "li", "quality", "quality-pass")
    monkeypatch.setenv("SURVEY_DATABASE_URL", UNREACHABLE)
    browser = staff_browser()
    caplog.set_level(logging.INFO)
    assert is_polite_unavailable(browser.get("/login"), "/login")
    assert browser.get("/executive", headers=BROWSER).headers["location"] == "/login?next=/executive"
    browser.cookies.set("survey_session", "a-session-the-gate-cannot-check-now")
    assert is_polite_unavailable(browser.get("/executive?tab=2", headers=BROWSER), "/executive?tab=2")
    posted = browser.post("/login", data={"_form": "1.x", "username": "li", "password": "quality-pass"})
    assert is_polite_unavailable(posted, "/login")
    assert not [r for r in caplog.records if r.exc_info], "one line in the log, not a traceback"
    monkeypatch.setenv("SURVEY_DATABASE_URL", db_url)  # the database is back
    page = browser.get("/login")
    assert page.status_code == 200 and 'name="_form"' in page.text


def test_healthz_tells_a_visitor_only_the_status(monkeypatch):
    monkeypatch.setenv("SURVEY_DATABASE_URL", UNREACHABLE)
    response = staff_browser().get("/healthz")
    assert response.status_code == 503 and response.json() == {"status": "error", "database": "unreachable"}
    for secret in ("127.0.0.1", "survey_user", "survey_db", ":1"):
        assert secret not in response.text


def sign_in_by_route(browser: TestClient, username: str, password: str) -> None:
    token = re.search(r'name="_form" value="([^"]+)"', browser.get("/login").text).group(1)
    answer = browser.post("/login", data={"_form": token, "next": "/", "username": username, "password": password})
    assert answer.status_code == 303


def test_healthz_gives_a_signed_in_admin_the_database_details(db_url):
    with database.session() as db:
        auth.create_user(db, "root", "admin", "admin-password")
        auth.create_user(db, "li", "quality", "quality-pass")
    anonymous = staff_browser().get("/healthz").json()
    assert anonymous == {"status": "ok", "database": "ok"}
    quality = staff_browser()
    sign_in_by_route(quality, "li", "quality-pass")
    assert quality.get("/healthz").json() == anonymous
    admin = staff_browser()
    sign_in_by_route(admin, "root", "admin-password")
    details = admin.get("/healthz").json()
    backend = "sqlite" if db_url.startswith("sqlite") else "postgresql"
    assert details["status"] == "ok" and details["backend"] == backend and details["url"].startswith(backend)


def test_an_open_staff_tab_shows_a_polite_notice_while_the_database_is_down(db_url, monkeypatch):
    with database.session() as db:
        auth.create_user(db, "li", "quality", "quality-pass")
    at = sign_in(open_app(), "li", "quality-pass")
    assert at.metric
    monkeypatch.setenv("SURVEY_DATABASE_URL", UNREACHABLE)
    at.run()
    assert not at.exception
    shown = " ".join(element.value for element in [*at.warning, *at.error])
    assert "服务暂时不可用" in shown and "127.0.0.1" not in shown and "survey_db" not in shown
    monkeypatch.setenv("SURVEY_DATABASE_URL", db_url)
    at.button(key="database_retry").click().run()
    assert not at.exception and at.metric, "back on the page, still signed in"
