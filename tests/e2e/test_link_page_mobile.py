"""The customer's page on a 390 px phone, in Debian's chromium: every tap target at least 44 px,
the 0-10 row wrapped rather than squeezed, and no control without an accessible name (axe-core)."""

from __future__ import annotations

import pytest

from survey.core import db as database
from tests.respondent_support import client, personal_token

pytestmark = pytest.mark.slow

PHONE = {"width": 390, "height": 844}
TAP_TARGETS = "label:has(input), button, a, textarea"


def link_page_html(db_url, lang: str) -> str:
    with database.session() as db:
        token = personal_token(db)
    return client().get(f"/s/{token}?lang={lang}").text


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_every_tap_target_is_at_least_44_px_on_a_phone(db_url, browser_page, lang):
    page = browser_page
    page.set_viewport_size(PHONE)
    page.set_content(link_page_html(db_url, lang))
    small = page.eval_on_selector_all(
        TAP_TARGETS,
        """els => els
        .filter(e => e.offsetParent !== null)
        .map(e => ({what: e.outerHTML.slice(0, 80), w: e.getBoundingClientRect().width,
                    h: e.getBoundingClientRect().height}))
        .filter(box => box.w < 44 || box.h < 44)""",
    )
    assert small == []
    nps_rows = page.eval_on_selector_all("#q-nps .scale label", "els => new Set(els.map(e => e.offsetTop)).size")
    assert nps_rows == 2
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # nothing sideways


def test_no_control_lacks_an_accessible_name(db_url, browser_page):
    from axe_playwright_python.sync_playwright import Axe

    page = browser_page
    page.set_viewport_size(PHONE)
    page.set_content(link_page_html(db_url, "zh-CN"))
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa"]}})
    violations = {item["id"]: [node["html"] for node in item["nodes"]] for item in results.response["violations"]}
    assert "label" not in violations and "button-name" not in violations, violations
    assert violations == {}, violations
