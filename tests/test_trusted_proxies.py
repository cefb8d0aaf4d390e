"""Behind a reverse proxy: X-Forwarded-For and X-Forwarded-Proto count only when the connection
comes from an address in SURVEY_TRUSTED_PROXIES (IPv4-mapped IPv6 included), for the public-link
rate limit, the login throttle and the cookies' Secure flag alike."""

import re

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from survey.accounts import auth
from survey.collect import public_links
from survey.core import db as database
from survey.web.app import middleware, routes
from tests.respondent_support import HALL_ANSWERS, published, read_form


@pytest.fixture
def hall_link(db_url, monkeypatch):
    monkeypatch.setenv("SURVEY_PUBLIC_RATE_LIMIT", "1")
    with database.session() as db:
        public_links.create_public_link(
            db, published(db, "hall-visit"), "ningbo-hall-2", touch_point="business_hall", region="Ningbo"
        )
    return "/p/ningbo-hall-2"


def answer_from(peer: str, path: str, headers: dict) -> str:
    """A new device whose request reaches us from `peer`, carrying `headers`."""
    visitor = TestClient(Starlette(routes=routes()), client=(peer, 40000))
    html = visitor.get(path, headers=headers).text
    return visitor.post(path, data={**read_form(html).hidden, **HALL_ANSWERS, "_action": "next"}, headers=headers).text


def test_visitors_behind_a_trusted_proxy_on_the_same_host_each_have_their_own_limit(hall_link, monkeypatch):
    monkeypatch.setenv("SURVEY_TRUSTED_PROXIES", "127.0.0.1")
    proxy = "::ffff:127.0.0.1"  # how a dual-stack socket reports a local IPv4 proxy
    assert "感谢" in answer_from(proxy, hall_link, {"x-forwarded-for": "198.51.100.1"})
    assert "感谢" in answer_from(proxy, hall_link, {"x-forwarded-for": "198.51.100.2"})
    assert "请稍后再试" in answer_from(proxy, hall_link, {"x-forwarded-for": "198.51.100.1"})


def test_forwarded_headers_from_anyone_else_are_ignored(hall_link, monkeypatch):
    monkeypatch.setenv("SURVEY_TRUSTED_PROXIES", "127.0.0.1")
    assert "感谢" in answer_from("203.0.113.5", hall_link, {"x-forwarded-for": "198.51.100.1"})
    assert "请稍后再试" in answer_from("203.0.113.5", hall_link, {"x-forwarded-for": "198.51.100.2"})


def session_cookie_from(peer: str, headers: dict) -> str:
    browser = TestClient(
        Starlette(routes=routes(), middleware=middleware()), client=(peer, 40000), follow_redirects=False
    )
    page = browser.get("/login", headers=headers)
    token = re.search(r'name="_form" value="([^"]+)"', page.text).group(1)
    nonce = page.cookies["survey_login"]  # the browser speaks HTTPS to the proxy: it sends it back
    answer = browser.post(
        "/login",
        headers={**headers, "cookie": f"survey_login={nonce}"},
        data={"_form": token, "next": "/", "username": "li", "password": "quality-pass"},
    )
    assert answer.status_code == 303
    return next(c for c in answer.headers.get_list("set-cookie") if c.startswith("survey_session="))


def test_the_session_cookie_is_secure_when_a_trusted_proxy_says_https(db_url, monkeypatch):
    monkeypatch.setenv("SURVEY_TRUSTED_PROXIES", "10.0.0.0/8")
    with database.session() as db:
        auth.create_user(db, "li", "quality", "quality-pass")
    https = {"x-forwarded-proto": "https", "x-forwarded-for": "198.51.100.7"}
    assert "Secure" in session_cookie_from("10.1.2.3", https)
    assert "Secure" not in session_cookie_from("203.0.113.5", https)


def test_the_client_of_a_request():
    from survey.core.clients import client_of

    trusted = "127.0.0.1, 10.0.0.0/8, 2001:db8::/32"
    assert client_of("203.0.113.5", ["198.51.100.1"], "https", "http", trusted=trusted) == ("203.0.113.5", "http")
    assert client_of("::ffff:127.0.0.1", ["198.51.100.1"], "https", "http", trusted=trusted) == (
        "198.51.100.1",
        "https",
    )
    # each proxy appends what it saw: the nearest address we do not trust is the visitor
    assert (
        client_of("10.0.0.1", ["6.6.6.6, 198.51.100.1, 10.0.0.9"], None, "http", trusted=trusted).address
        == "198.51.100.1"
    )
    assert client_of("2001:db8::1", ["::ffff:198.51.100.3"], None, "http", trusted=trusted).address == "198.51.100.3"
    assert client_of("127.0.0.1", [], None, "http", trusted=trusted).address == "127.0.0.1"
    assert client_of("127.0.0.1", ["198.51.100.1"], "gopher", "http", trusted=trusted).scheme == "http"
    assert client_of("::ffff:198.51.100.4", ["1.2.3.4"], None, "http", trusted="").address == "198.51.100.4"
    assert client_of(None, [], None, "http", trusted="").address == "unknown"
