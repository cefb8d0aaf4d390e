"""Staff sign-in in a real browser (Playwright driving Debian's chromium) against `streamlit run app.py`:
the gate, the plain /login page, sessions that survive reloads, roles, sign-out."""

import pytest

from survey.accounts import auth
from survey.core import db as database
from tests.support import APP_READY, staff_sign_in

pytestmark = pytest.mark.slow


@pytest.fixture
def accounts(db_url):
    with database.session() as db:
        auth.create_user(db, "root", "admin", "admin-password", display_name="Root")
        auth.create_user(db, "qi", "quality", "quality-pass", display_name="Qi")
    database.dispose_engines()


def test_a_visitor_gets_the_login_page_not_the_staff_app(accounts, live_app, browser_page):
    page = browser_page
    page.goto(live_app.base_url + "/audit")
    page.wait_for_url("**/login?next=/audit")
    assert page.locator("[data-testid='stApp']").count() == 0
    assert "审计日志" not in page.content()


def test_admin_signs_in_keeps_the_session_across_reloads_and_signs_out(accounts, live_app, browser_page):
    page = browser_page
    staff_sign_in(page, live_app.base_url, "root", "admin-password")
    page.get_by_text("欢迎，Root").wait_for()
    nav = page.get_by_test_id("stSidebarNav")
    assert nav.get_by_text("用户管理").is_visible() and nav.get_by_text("审计日志").is_visible()
    page.reload()
    page.wait_for_selector(APP_READY)
    page.get_by_text("欢迎，Root").wait_for()
    page.get_by_role("button", name="退出登录").click()
    page.get_by_role("button", name="登录", exact=True).wait_for()
    page.goto(live_app.base_url + "/")
    page.wait_for_url("**/login**")


def test_a_deep_link_leads_to_the_page_after_sign_in(accounts, live_app, browser_page):
    page = browser_page
    staff_sign_in(page, live_app.base_url, "root", "admin-password", path="/audit")
    assert page.url.endswith("/audit")
    page.get_by_role("heading", name="审计日志").wait_for()


def test_quality_user_cannot_reach_admin_pages_even_by_url(accounts, live_app, browser_page):
    page = browser_page
    staff_sign_in(page, live_app.base_url, "qi", "quality-pass")
    page.get_by_text("欢迎，Qi").wait_for()
    assert page.get_by_test_id("stSidebarNav").get_by_text("用户管理").count() == 0
    page.goto(live_app.base_url + "/users")
    page.wait_for_selector(APP_READY)
    page.wait_for_timeout(1000)
    assert page.get_by_text("新增用户").count() == 0


def test_wrong_password_shows_an_error_on_the_login_page(accounts, live_app, browser_page):
    page = browser_page
    page.goto(live_app.base_url + "/")
    page.wait_for_url("**/login**")
    page.get_by_label("用户名").fill("root")
    page.get_by_label("密码").fill("nope-nope")
    page.get_by_role("button", name="登录", exact=True).click()
    page.get_by_text("用户名或密码错误。").wait_for()
    assert "/login" in page.url


def test_english_chosen_on_the_login_page_carries_into_the_app(accounts, live_app, browser_page):
    page = browser_page
    page.goto(live_app.base_url + "/")
    page.wait_for_url("**/login**")
    page.get_by_role("link", name="English").click()
    page.get_by_label("Username").fill("qi")
    page.get_by_label("Password").fill("quality-pass")
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_selector(APP_READY)
    page.get_by_text("Welcome, Qi").wait_for()


def test_signing_out_in_one_tab_signs_out_the_other_tab(accounts, live_app, browser_page):
    context = browser_page.context.browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.set_default_timeout(60_000)
    page, other = context.new_page(), context.new_page()  # two tabs of one browser: one cookie
    staff_sign_in(page, live_app.base_url, "root", "admin-password")
    page.get_by_text("欢迎，Root").wait_for()
    other.goto(live_app.base_url + "/")
    other.wait_for_selector(APP_READY)
    other.get_by_text("欢迎，Root").wait_for()
    page.get_by_role("button", name="退出登录").click()  # a POST to /logout
    page.wait_for_url("**/login**")
    other.get_by_test_id("stSidebarNav").get_by_text("审计日志").click()  # the open tab's next click
    other.get_by_role("button", name="登录", exact=True).wait_for()
    assert other.get_by_role("heading", name="审计日志").count() == 0
