"""The sidebar language switch in a real browser (Playwright driving Debian's chromium): every
widget takes the new language at once, and the choice outlives a reload (it is kept on the
account, not in the tab)."""

import pytest

from survey.accounts import auth
from survey.core import db as database
from tests.support import APP_READY, staff_sign_in

pytestmark = pytest.mark.slow


@pytest.fixture
def quality_user(db_url):
    with database.session() as db:
        auth.create_user(db, "qi", "quality", "quality-pass", display_name="Qi")  # reads Chinese
    database.dispose_engines()


def shown_choice(page, label: str) -> str:
    """The text a select box shows for its current choice."""
    box = page.get_by_test_id("stSelectbox").filter(has=page.get_by_text(label, exact=True))
    return box.locator("input").input_value()


def test_switching_to_english_relabels_the_page_and_survives_a_reload(quality_user, live_app, browser_page):
    page = browser_page
    staff_sign_in(page, live_app.base_url, "qi", "quality-pass")
    page.get_by_test_id("stSidebarNav").get_by_text("管理层看板").click()
    page.get_by_role("heading", name="管理层看板").wait_for()
    page.wait_for_selector(APP_READY)
    assert shown_choice(page, "时间范围") == "本季度至今"

    page.get_by_test_id("stSidebar").get_by_role("combobox").click()
    page.get_by_role("option", name="English").click()
    page.get_by_role("heading", name="Executive dashboard").wait_for()
    page.wait_for_selector(APP_READY)
    assert shown_choice(page, "Period") == "This quarter to date"  # not the Chinese text it was drawn with
    main = page.get_by_test_id("stMain")
    assert main.get_by_text("Week", exact=True).is_visible() and main.get_by_text("Month", exact=True).is_visible()

    page.reload()
    page.wait_for_selector(APP_READY)
    page.get_by_role("heading", name="Executive dashboard").wait_for()
    assert page.get_by_test_id("stSidebar").get_by_role("combobox").input_value() == "English"
