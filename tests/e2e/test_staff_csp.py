"""Staff pages in a real browser (Playwright driving Debian's chromium) against `streamlit run
app.py`: what customers wrote shows as text, the Content-Security-Policy blocks a remote image
that got onto a page all the same, and Streamlit's own scripts, styles and Vega charts still
work under it without a single violation (issue 16)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from survey.accounts import auth
from survey.cases.rules import run_rules
from survey.core import db as database
from survey.insight import rollup
from tests.cases_support import customer, repair_survey, respond
from tests.support import APP_READY, LiveApp, free_port, server_env, staff_sign_in

pytestmark = pytest.mark.slow
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
COMMENT = "账单乱扣费 bill [官方补偿通道](https://evil.example/refund) ![](http://attacker.example/x.png)"
NAME = "王芳[官方补偿通道](https://evil.example/refund)![](http://attacker.example/n.png)"
REMOTE_IMAGE = "http://203.0.113.7/pixel.png"  # TEST-NET-3: nobody's address
# Each CSP violation the page sees, with where it happened (Streamlit's own would show up here).
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(
    {directive: e.violatedDirective, blocked: e.blockedURI, page: document.location.pathname}));
"""


@pytest.fixture
def planted_app(db_url, tmp_path):
    """The app on a small world: an admin, a dozen answers (so the dashboard has charts), and a
    customer whose imported name and comment carry a link and images."""
    with database.session() as db:
        auth.create_user(db, "root", "admin", "admin-password", display_name="Root")
        repair_survey(db)
        for number in range(12):
            person, event = customer(db, f"C{number}", region="Ningbo" if number % 2 else "Hangzhou")
            respond(db, person, event, overall=4 + number % 2)  # happy: the only case is the one below
        person, event = customer(db, "EVIL", name=NAME)
        respond(db, person, event, overall=1, comment=COMMENT)
    run_rules()
    rollup.refresh(db_url)
    database.dispose_engines()
    app = LiveApp(server_env(db_url, tmp_path / "server"), free_port())
    try:
        app.wait_healthy()
        yield app
    finally:
        app.stop()


@pytest.fixture
def watched(browser_page):
    """The browser page, refusing (and recording) every request to another host, and recording
    every CSP violation."""
    outbound: list[str] = []

    def refuse_other_hosts(route):
        url = route.request.url
        if url.startswith(("data:", "blob:")) or (urlsplit(url).hostname or "") in LOCAL_HOSTS:
            route.continue_()
        else:
            outbound.append(url)
            route.abort()

    browser_page.route("**/*", refuse_other_hosts)
    browser_page.add_init_script(RECORD_VIOLATIONS)
    return browser_page, outbound


def opened(page, base_url: str, path: str):
    response = page.goto(base_url + path)
    page.wait_for_selector(APP_READY)
    page.wait_for_load_state("networkidle")
    return response


def violations(page) -> list[dict]:
    return page.evaluate("window.__violations")


def visible_text(page) -> str:
    return page.locator("[data-testid='stMain']").inner_text().replace("\u2060", "")


def test_what_customers_wrote_shows_as_text_and_fetches_nothing(planted_app, watched):
    page, outbound = watched
    staff_sign_in(page, planted_app.base_url, "root", "admin-password", path="/themes")
    page.get_by_text("评论示例").wait_for()
    assert COMMENT in visible_text(page)
    opened(page, planted_app.base_url, "/cases")
    assert NAME in visible_text(page)
    main = page.locator("[data-testid='stMain']")
    assert main.locator("a[href*='evil.example']").count() == 0
    assert main.locator("img[src*='attacker']").count() == 0
    assert outbound == []


def test_staff_pages_send_a_policy_that_blocks_a_remote_image_and_lets_streamlit_draw(planted_app, watched):
    page, outbound = watched
    staff_sign_in(page, planted_app.base_url, "root", "admin-password")
    response = opened(page, planted_app.base_url, "/executive")
    policy = response.headers.get("content-security-policy", "")
    assert "img-src 'self' data: blob:" in policy and "script-src 'self'" in policy and "'unsafe-eval'" not in policy
    page.locator("[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg").first.wait_for()
    seen = violations(page)
    for path in ("/themes", "/cases", "/design"):
        opened(page, planted_app.base_url, path)
        seen += violations(page)
    assert seen == []  # Streamlit's own assets all allowed

    page.evaluate(
        "src => { const img = document.createElement('img'); img.src = src; document.body.append(img); }", REMOTE_IMAGE
    )  # as if a comment had still become an image
    page.wait_for_timeout(1500)
    assert outbound == []  # the browser never asked for it
    assert {(v["directive"], v["blocked"]) for v in violations(page)} == {("img-src", REMOTE_IMAGE)}
