"""Forms posted from another site: the sign-in form is bound to the browser that opened it,
state-changing plain routes refuse a foreign Origin or Referer (politely on customer pages), a
post without either still works (old phones), and /logout answers POST only."""

import re

import pytest
from sqlmodel import func, select
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from survey.accounts import auth
from survey.collect import public_links
from survey.core import db as database
from survey.models import Response, StaffSession
from survey.web.app import middleware, routes
from tests.respondent_support import HALL_ANSWERS, personal_token, published, read_form
from tests.respondent_support import client as customer_browser

BROWSER = {"accept": "text/html,application/xhtml+xml"}
FOREIGN = "https://evil.example"


def staff_browser() -> TestClient:
    app = Starlette(
        routes=[*routes(), Route("/{path:path}", lambda _r: PlainTextResponse("staff app"))], middleware=middleware()
    )
    return TestClient(app, base_url="http://testserver", follow_redirects=False)


@pytest.fixture
def accounts(db_url):
    with database.session() as db:
        auth.create_user(db, "li", "quality", "quality-pass")
        auth.create_user(db, "mallory", "agent", "mallory-pass")


def form_token(browser: TestClient) -> str:
    return re.search(r'name="_form" value="([^"]+)"', browser.get("/login").text).group(1)


def login_data(token: str, username="li", password="quality-pass") -> dict:
    return {"_form": token, "next": "/", "username": username, "password": password}


def sessions() -> int:
    with database.session() as db:
        return len(db.exec(select(StaffSession)).all())


def signed_in(browser: TestClient) -> bool:
    return browser.get("/", headers=BROWSER).status_code == 200


def test_a_login_form_fetched_by_another_site_cannot_sign_in_someone_elses_browser(accounts):
    attacker_token = form_token(staff_browser())  # fetched by the attacker's server
    victim = staff_browser()  # the victim's browser, auto-posting
    answer = victim.post("/login", data=login_data(attacker_token, "mallory", "mallory-pass"))
    assert answer.status_code == 400 and sessions() == 0 and not signed_in(victim)
    assert 'name="_form"' in answer.text  # a fresh form to sign in for real


def test_sign_in_posted_from_another_site_is_refused(accounts):
    browser = staff_browser()
    for header in ({"origin": FOREIGN}, {"referer": FOREIGN + "/page"}, {"origin": "null"}):
        assert browser.post("/login", data=login_data(form_token(browser)), headers=header).status_code == 403
    assert sessions() == 0
    own = browser.post("/login", data=login_data(form_token(browser)), headers={"origin": "http://testserver"})
    assert own.status_code == 303 and signed_in(browser)


def test_logout_is_a_post_from_this_site_only(accounts):
    browser = staff_browser()
    browser.post("/login", data=login_data(form_token(browser)))
    browser.get("/logout")
    assert signed_in(browser), "a link or an image to /logout must not sign anyone out"
    assert browser.post("/logout", headers={"origin": FOREIGN}).status_code == 403
    assert signed_in(browser)
    assert browser.post("/logout", headers={"origin": "http://testserver"}).status_code == 303
    assert not signed_in(browser)


@pytest.fixture
def hall_link(db_url):
    with database.session() as db:
        public_links.create_public_link(
            db, published(db, "hall-visit"), "ningbo-hall-2", touch_point="business_hall", region="Ningbo"
        )
    return "/p/ningbo-hall-2"


def post_answers(visitor: TestClient, path: str, headers: dict | None = None):
    html = visitor.get(path).text
    return visitor.post(path, data={**read_form(html).hidden, **HALL_ANSWERS, "_action": "next"}, headers=headers)


def saved_responses() -> int:
    with database.session() as db:
        return db.exec(select(func.count(Response.id))).one()


def test_a_public_link_refuses_answers_posted_from_another_site_politely(hall_link):
    refused = post_answers(customer_browser(), hall_link, {"origin": FOREIGN})
    assert refused.status_code == 403 and "<h1>" in refused.text and "Traceback" not in refused.text
    assert saved_responses() == 0
    assert "感谢" in post_answers(customer_browser(), hall_link).text  # an old phone: no header
    assert "感谢" in post_answers(customer_browser(), hall_link, {"origin": "http://testserver"}).text
    assert saved_responses() == 2


def test_a_personal_link_refuses_a_post_from_another_site(db_url):
    with database.session() as db:
        token = personal_token(db)
    visitor = customer_browser()
    html = visitor.get(f"/s/{token}").text
    refused = visitor.post(
        f"/s/{token}", data={**read_form(html).hidden, "overall": "5"}, headers={"referer": FOREIGN + "/x"}
    )
    assert refused.status_code == 403 and saved_responses() == 0


def test_customer_pages_let_the_browser_name_their_origin_on_posts():
    """Referrer-Policy no-referrer makes browsers send `Origin: null` on every post, which looks
    foreign; same-origin still keeps the link's token from other sites."""
    from survey.web.respondent import SECURITY_HEADERS

    assert SECURITY_HEADERS["Referrer-Policy"] == "same-origin"
