"""From design to a counted answer, in a real browser (Playwright driving Debian's chromium)
against `streamlit run app.py`: sign in as the quality team, build a survey from a template,
publish it, make a personal link, open it as the customer, answer, and see it counted."""

import re

import pytest

from survey.accounts import auth
from survey.core import db as database
from tests.respondent_support import customer
from tests.support import APP_READY, LiveApp, free_port, server_env, staff_sign_in

pytestmark = pytest.mark.slow


@pytest.fixture
def app_with_links(db_url, tmp_path):
    """The server, with SURVEY_BASE_URL pointing at itself so its links open here."""
    with database.session() as db:
        auth.create_user(db, "qi", "quality", "quality-pass", display_name="Qi")
        customer(db, "C100", name="王芳")
    database.dispose_engines()
    port = free_port()
    app = LiveApp(server_env(db_url, tmp_path / "server", SURVEY_BASE_URL=f"http://127.0.0.1:{port}"), port)
    try:
        app.wait_healthy()
        yield app
    finally:
        app.stop()


def settle(page) -> None:
    page.wait_for_timeout(300)
    page.wait_for_selector(APP_READY)


def test_quality_builds_publishes_and_sees_a_customers_answer_counted(app_with_links, browser_page):
    page, base = browser_page, app_with_links.base_url
    staff_sign_in(page, base, "qi", "quality-pass")
    page.get_by_test_id("stSidebarNav").get_by_text("问卷设计").click()
    settle(page)

    # Build from the repair-revisit template (the first one offered) and publish it.
    page.get_by_label("问卷代码", exact=True).fill("repair-2026")
    page.get_by_role("button", name="创建草稿").click()
    page.get_by_text("已创建问卷 repair-2026（草稿）。").wait_for()
    page.get_by_role("tab", name="发布与版本").click()
    page.get_by_role("button", name="发布版本 1").click()
    page.get_by_text("版本 1 已发布。").wait_for()

    # A personal link for customer C100.
    page.get_by_role("tab", name="链接与二维码").click()
    page.get_by_label("客户编号", exact=True).fill("C100")
    page.get_by_role("button", name="生成链接").click()
    page.get_by_text("已生成个人链接：").wait_for()
    shown = page.get_by_test_id("stCode").inner_text()
    link = re.search(r"http://127\.0\.0\.1:\d+/s/[A-Za-z0-9_-]{22}", shown).group(0)

    # The customer opens it: one light request, no script, and answers.
    customer_page = page.context.browser.new_page(viewport={"width": 390, "height": 844})  # the customer's phone
    requests = []
    customer_page.on("requestfinished", lambda request: requests.append(request))
    customer_page.goto(link)
    customer_page.get_by_text("王芳您好").wait_for()
    assert [r.url for r in requests] == [link]
    assert len(requests[0].response().body()) < 60_000
    customer_page.locator("label:has(#i-overall-1)").click()  # 2 of 5: "what went wrong?" appears
    assert customer_page.locator("#q-what_wrong").is_visible()
    customer_page.locator("label:has(#i-overall-3)").click()  # 4 of 5: it goes away again
    assert not customer_page.locator("#q-what_wrong").is_visible()
    for radio in ("#i-fault_repair-4", "#i-staff_attitude-4", "#i-resolved-0", "#i-nps-9"):
        customer_page.locator(f"label:has({radio})").click()
    customer_page.locator("textarea[name=comment]").fill("师傅很准时")
    customer_page.get_by_role("button", name="提交").click()
    customer_page.get_by_text("感谢您的评价，我们会持续改进！").wait_for()

    # Back in the staff UI (same session: a reload would sign out) the answer is counted.
    page.get_by_test_id("stSidebarNav").get_by_text("问卷设计").click()
    settle(page)
    counted = page.get_by_test_id("stMetric").filter(has_text="回收份数")
    counted.get_by_text("1", exact=True).wait_for()
