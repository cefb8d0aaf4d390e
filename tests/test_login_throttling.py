"""Sign-in throttling under simultaneous requests, through the real /login route.

Every password that is checked is counted, and the lock is checked in the same statement that
counts, so fifty wrong passwords posted at the same moment try no more than the free attempts
and one more. One network address cannot keep guessing across many usernames either.
"""

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import func, select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from survey.accounts import auth
from survey.core import db as database
from survey.models import AuditLog, StaffSession, User
from survey.web.app import middleware, routes

PARALLEL = 50


@pytest.fixture
def account(db_url):
    with database.session() as db:
        auth.create_user(db, "li", "quality", "quality-pass")


def opened_login_page(address: str) -> tuple[TestClient, str]:
    """A browser at `address` that has opened /login: its cookies and the form's token."""
    browser = TestClient(
        Starlette(routes=routes(), middleware=middleware()), client=(address, 50000), follow_redirects=False
    )
    token = re.search(r'name="_form" value="([^"]+)"', browser.get("/login").text).group(1)
    return browser, token


def post_login(page: tuple[TestClient, str], username: str, password: str):
    browser, token = page
    return browser.post("/login", data={"_form": token, "next": "/", "username": username, "password": password})


def at_the_same_moment(posts) -> tuple[list, float]:
    """Run the posts in threads released together by a barrier: their answers, and how many
    seconds passed from the release to the last answer."""
    barrier = threading.Barrier(len(posts) + 1)

    def run(post):
        barrier.wait()
        return post()

    with ThreadPoolExecutor(len(posts)) as pool:
        answers = [pool.submit(run, post) for post in posts]
        barrier.wait()
        started = time.monotonic()
        results = [answer.result() for answer in answers]
    return results, time.monotonic() - started


def guesses_allowed_within(seconds: float) -> int:
    """What the lock schedule lets anyone check in `seconds`, however many posts: the free
    attempts, one more that sets the first lock (2 s), and one each time a lock has run out."""
    allowed, lock, waited = auth.FREE_ATTEMPTS + 1, 2, 0
    while waited + lock <= seconds:
        waited, lock, allowed = waited + lock, lock * 2, allowed + 1
    return allowed


def audited(action: str) -> int:
    with database.session() as db:
        return db.exec(select(func.count()).select_from(AuditLog).where(AuditLog.action == action)).one()


def stored_user() -> User:
    with database.session() as db:
        return db.exec(select(User).where(User.username == "li")).one()


def test_simultaneous_wrong_passwords_are_each_counted_and_lock_the_rest_out(account):
    pages = [opened_login_page(f"198.51.100.{i}") for i in range(PARALLEL)]  # many machines, one account
    answers, seconds = at_the_same_moment(
        [lambda page=page: post_login(page, "li", "wrong-password") for page in pages]
    )
    assert [a.status_code for a in answers] == [401] * PARALLEL
    checked = audited("login.failed")
    assert checked == stored_user().failed_logins, "every password checked is counted"
    assert checked <= guesses_allowed_within(seconds), "the lock stops the others before their password is checked"
    assert stored_user().locked_until is not None
    assert sum("秒后重试" in a.text for a in answers) >= PARALLEL - checked  # refused unchecked, told to wait


def test_the_right_password_among_simultaneous_guesses_gets_no_extra_tries(account):
    pages = [opened_login_page(f"198.51.100.{i}") for i in range(PARALLEL)]
    passwords = ["wrong-password"] * (PARALLEL - 1) + ["quality-pass"]
    _, seconds = at_the_same_moment(
        [lambda page=page, pw=pw: post_login(page, "li", pw) for page, pw in zip(pages, passwords)]
    )
    checked = audited("login.failed") + audited("login")
    assert checked <= guesses_allowed_within(seconds), f"{checked} passwords were checked in {seconds:.1f} s"
    with database.session() as db:
        assert len(db.exec(select(StaffSession)).all()) == audited("login") <= 1


def test_one_address_cannot_keep_guessing_across_usernames(account, monkeypatch):
    monkeypatch.setattr(auth, "ADDRESS_FAILURES", 5)  # the real limit is larger; the rule is the same
    for index in range(5):
        assert post_login(opened_login_page("203.0.113.9"), f"guess{index}", "wrong-password").status_code == 401
    refused = post_login(opened_login_page("203.0.113.9"), "li", "quality-pass")
    assert refused.status_code == 429 and "登录失败次数过多" in refused.text
    assert audited("login") == 0
    assert post_login(opened_login_page("203.0.113.10"), "li", "quality-pass").status_code == 303
