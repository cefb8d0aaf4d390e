"""A quality team's first week (issue 11), each role in a real browser (Playwright driving Debian's
chromium) against `streamlit run app.py`, on a small world made through the service layer.

Two journey groups, one server each:

- with the scheduler running (every 2 s) and a local SMS gateway: the quality team sees which
  channels can send, is refused on one that cannot, confirms a launch that a double click
  makes once, and reads the Jobs page in local time; a diamond customer answers a personal
  link on a phone, keeps the answers across a language switch, is promised a call, and a case
  opens with nobody clicking;
- without the scheduler: an agent's phone queue moves on and proposes a call-back outside the
  quiet hours; the admin adds a user without a default role and reads the week in the audit
  log; an executive's English outlives a reload, and back in Chinese the chart dates are Chinese.

Everything is checked on the page, as the person reads it; the database only where the brief is
"exactly one" (campaigns, cases).
"""

from __future__ import annotations

import re
import time
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from survey.accounts import auth
from survey.core import db as database
from survey.core.config import settings
from survey.distribution import service as distribution
from survey.distribution.audience import Audience
from survey.distribution.personal_links import create_personal_link
from survey.distribution.sampling import SamplingPlan
from survey.models import Campaign, FollowUpCase, User
from tests.distribution_support import GATEWAY_TOKEN, SmsGatewayServer, add_customers, published_survey
from tests.respondent_support import REPAIR_ANSWERS, answer, client
from tests.support import APP_READY, LiveApp, free_port, server_env, staff_sign_in

pytestmark = pytest.mark.slow

SURVEY = "repair-revisit"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SCHEDULER_INTERVAL = 2  # seconds
CASE_WAIT = 10 * SCHEDULER_INTERVAL  # a few intervals: the cases job runs after two others on a loaded machine
LOCAL_TIME = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}$")
ENGLISH_MONTHS = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)")
PASSWORDS = {"root": "root-password", "qi": "quality-pass", "li": "agent-pass", "boss": "executive-pass"}


# ---------------------------------------------------------------- reading the page like a person


def settle(page) -> None:
    """Wait for the rerun a click started to finish drawing."""
    page.wait_for_timeout(300)
    page.wait_for_selector(APP_READY)


def main_of(page):
    return page.get_by_test_id("stMain")


def choose(page, label: str, option: str) -> None:
    """Pick ``option`` in the select box labelled ``label``. Scrolled into view first: a dropdown
    opened while the page still scrolls towards it closes again."""
    box = main_of(page).get_by_test_id("stSelectbox").filter(has=page.get_by_text(label, exact=True))
    box.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    box.click()
    page.get_by_role("option", name=option, exact=True).click()
    settle(page)


def shown_choice(page, label: str) -> str:
    """What a select box shows: its choice, else its placeholder."""
    box = main_of(page).get_by_test_id("stSelectbox").filter(has=page.get_by_text(label, exact=True)).locator("input")
    return box.input_value() or f"({box.get_attribute('placeholder')})"


def alerts(page) -> list[str]:
    return [alert.inner_text() for alert in main_of(page).get_by_test_id("stAlert").all()]


def said(page, text: str) -> bool:
    """Whether the page says ``text`` in a message box (waiting for the rerun that shows an
    action's outcome; a timeout names the text that never came)."""
    main_of(page).get_by_test_id("stAlert").filter(has_text=text).first.wait_for(timeout=30_000)
    return any(text in alert for alert in alerts(page))


def table_rows(frame) -> list[dict[str, str]]:
    """A st.dataframe's rows as a screen reader reads them (the grid's accessible table)."""
    frame.locator("table[role=grid] tbody td").first.wait_for(state="attached")
    return frame.locator("table[role=grid]").evaluate("""table => {
        const head = [...table.querySelectorAll('thead th')].map(cell => cell.textContent);
        return [...table.querySelectorAll('tbody tr')].map(row => Object.fromEntries(
            [...row.querySelectorAll('td')].map((cell, i) => [head[i], cell.textContent])));
    }""")


def rows_once(frame, shown, what: str) -> list[dict[str, str]]:
    """The table's rows once ``shown(rows)`` holds: a rerun redraws the table a moment after
    the script has finished."""
    return wait_for(lambda: rows if shown(rows := table_rows(frame)) else None, 10, what)


def local_now() -> datetime:
    return datetime.now(settings().timezone).replace(tzinfo=None)


def assert_local_time(text: str, *, within: timedelta = timedelta(minutes=10)) -> None:
    """A time shown in Chinese, in SURVEY_TIMEZONE (not UTC, eight hours away), and recent."""
    assert "+00:00" not in text and LOCAL_TIME.match(text), text
    shown = datetime.strptime(text, "%Y年%m月%d日 %H:%M")
    assert abs(shown - local_now()) < within, (text, local_now())


@contextmanager
def person(browser_page, base_url: str, username: str, path: str = "/", *, viewport=DESKTOP):
    """A browser of one's own (cookies, language), signed in and on ``path``."""
    context = browser_page.context.browser.new_context(viewport=viewport, locale="zh-CN")
    context.set_default_timeout(60_000)
    try:
        page = context.new_page()
        staff_sign_in(page, base_url, username, PASSWORDS[username], path=path)
        yield page
    finally:
        context.close()


def wait_for(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.25)
    raise AssertionError(f"{what} not within {timeout} s")


def user_id(db, username: str) -> int:
    return db.exec(select(User).where(User.username == username)).one().id


def start_app(db_url: str, data_dir, **extra: str) -> LiveApp:
    database.dispose_engines()
    port = free_port()
    app = LiveApp(server_env(db_url, data_dir, SURVEY_BASE_URL=f"http://127.0.0.1:{port}", **extra), port)
    app.wait_healthy()
    return app


# ---------------------------------------------------------------- group 1: the scheduler runs the product


@pytest.fixture
def scheduled_app(db_url, tmp_path):
    """Quality staff; three customers whose repairs closed two days ago (an SMS audience); a
    diamond customer with a personal link; SMS configured (a local gateway), email not; the
    scheduler on, every two seconds."""
    with database.session() as db:
        auth.create_user(db, "qi", "quality", PASSWORDS["qi"], display_name="齐质量")
        published_survey(db, SURVEY)
        add_customers(db, 3, prefix="S", region="Hangzhou")
        vip = add_customers(db, 1, prefix="V", tier="diamond", region="Ningbo")[0]
        invitation, _ = create_personal_link(db, SURVEY, vip.external_id, event_ticket=f"T-{vip.external_id}")
        token = invitation.token
    with SmsGatewayServer() as gateway:
        app = start_app(
            db_url,
            tmp_path / "server",
            SURVEY_SCHEDULER="on",
            SURVEY_SCHEDULER_INTERVAL=str(SCHEDULER_INTERVAL),
            SURVEY_SMS_URL=gateway.url,
            SURVEY_SMS_TOKEN=GATEWAY_TOKEN,
        )
        try:
            yield app, token
        finally:
            app.stop()


def sent_campaigns() -> list[tuple[int, str]]:
    """(id, channel) of every campaign sent by SMS or email."""
    with database.session() as db:
        return [(c.id, c.channel) for c in db.exec(select(Campaign).where(Campaign.channel.in_(("sms", "email"))))]


def quality_launches_a_campaign_once(page) -> None:
    main = main_of(page)
    channels = main.get_by_test_id("stCaptionContainer").filter(has_text="发送渠道").first.inner_text()
    assert "✅ 短信：已配置" in channels and "⚠️ 邮件未配置：请设置 SURVEY_SMTP_URL, SURVEY_SMTP_FROM。" in channels, (
        channels
    )

    # Email is not configured: the launch is refused, naming the settings to fill in.
    choose(page, "发送渠道", "邮件")
    main.get_by_role("button", name="发起活动…").click()
    settle(page)
    assert said(page, "邮件未配置：请设置 SURVEY_SMTP_URL, SURVEY_SMTP_FROM。 配置完成前无法发送。")
    assert main.get_by_role("button", name="确认发起").is_disabled()
    main.get_by_role("button", name="取消").click()
    settle(page)
    assert sent_campaigns() == []

    # SMS: the confirmation says how many, by which channel, and shows the message.
    choose(page, "发送渠道", "短信")
    main.get_by_role("button", name="发起活动…").click()
    settle(page)
    confirmation = main.get_by_test_id("stVerticalBlock").filter(has=page.get_by_text("请确认", exact=True)).last
    summary = confirmation.inner_text()
    assert "将通过短信邀请 3 位客户" in summary and "符合条件的客户共 3 位" in summary, summary
    assert re.search(r"您好，诚邀您评价本次服务.*/s/x{22}", confirmation.get_by_test_id("stCode").inner_text())
    assert sent_campaigns() == []  # nothing happens before the confirmation

    main.get_by_role("button", name="确认发起").dblclick()  # an impatient double click
    assert said(page, "已发起：3 份邀请")
    settle(page)
    launched = sent_campaigns()
    assert len(launched) == 1 and launched[0][1] == "sms", launched
    assert said(page, f"活动 #{launched[0][0]} 已发起：3 份邀请")

    main.get_by_role("tab", name="已发起的活动").click()  # it opens on the new campaign, named in words
    listed = shown_choice(page, "调查活动")
    assert re.fullmatch(
        rf"#{launched[0][0]} · 装移维服务回访 \d{{4}}年\d{{1,2}}月\d{{1,2}}日 \d{{2}}:\d{{2}} · 短信", listed
    ), listed


def quality_reads_the_jobs_page(page) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text("后台任务").click()
    settle(page)
    assert page.url.endswith("/jobs")
    main = main_of(page)
    assert main.get_by_text("调度器正在运行").is_visible()
    rows = table_rows(main.get_by_test_id("stDataFrame"))
    assert [r["任务"] for r in rows] == [
        "邀请与规则（到期、自动回访、配额、提醒）",
        "发送队列（短信、邮件）",
        "回访工单规则与评论主题",
    ]
    for row in rows:
        assert row["结果"] in ("成功", "运行中"), row  # every two seconds: one may be running right now
        assert_local_time(row["上次运行"])
        assert_local_time(row["下次运行"])
    main.get_by_role("button", name="立即运行").first.click()
    settle(page)
    assert said(page, "已安排“邀请与规则（到期、自动回访、配额、提醒）”立即运行，几秒内开始。")


def customer_answers_on_a_phone(browser_page, base_url: str, token: str) -> None:
    context = browser_page.context.browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    context.set_default_timeout(60_000)
    phone = context.new_page()
    try:
        phone.goto(f"{base_url}/s/{token}")
        phone.get_by_text("客户0您好").wait_for()
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # nothing sideways
        chosen = ("#i-overall-0", "#i-fault_repair-0", "#i-staff_attitude-1", "#i-resolved-1", "#i-nps-0")
        for radio in chosen:
            phone.locator(f"label:has({radio})").click()
        phone.locator("label:has(#i-what_wrong-3)").click()  # what went wrong: the repair
        phone.locator("textarea[name=comment]").fill("修了三次还没好")

        phone.get_by_role("button", name="English").click()
        phone.get_by_role("button", name="Submit").wait_for()
        assert phone.locator("html").get_attribute("lang") == "en"
        for box in (*chosen, "#i-what_wrong-3"):
            assert phone.locator(box).is_checked(), f"{box} lost in the language switch"
        assert phone.locator("textarea[name=comment]").input_value() == "修了三次还没好"

        phone.get_by_role("button", name="Submit").click()
        promise = phone.get_by_text("A member of our team will contact you within")
        promise.wait_for()
        assert promise.is_visible()
    finally:
        context.close()

    def opened_case():
        with database.session() as db:
            return db.exec(select(FollowUpCase)).all()

    cases = wait_for(opened_case, CASE_WAIT, "a follow-up case for the diamond customer's low score")
    assert len(cases) == 1 and cases[0].rule_code == "vip-low-overall"


def test_quality_team_and_customer_with_the_scheduler_running(scheduled_app, browser_page):
    app, token = scheduled_app
    with person(browser_page, app.base_url, "qi", "/campaigns") as page:
        quality_launches_a_campaign_once(page)
        quality_reads_the_jobs_page(page)
    customer_answers_on_a_phone(browser_page, app.base_url, token)


# ---------------------------------------------------------------- group 2: staff pages, no scheduler


def quiet_hours_around_this_time_tomorrow() -> tuple[str, int]:
    """Quiet hours holding the hour a call-back would default to (this time tomorrow), and the
    hour they end: the default must move there, whatever time the test runs."""
    hour = local_now().hour
    end = (hour + 2) % 24
    return f"{hour:02d}:00-{end:02d}:00", end


@pytest.fixture
def staff_app(db_url, tmp_path):
    """An admin, a quality lead, an agent and an executive; a phone revisit campaign (launched by
    the quality lead) for two customers; four answers this week for the dashboard."""
    quiet, quiet_end = quiet_hours_around_this_time_tomorrow()
    with database.session() as db:
        auth.create_user(db, "root", "admin", PASSWORDS["root"], display_name="Root")
        auth.create_user(db, "qi", "quality", PASSWORDS["qi"], display_name="齐质量")
        auth.create_user(db, "li", "agent", PASSWORDS["li"], display_name="李坐席")
        auth.create_user(db, "boss", "executive", PASSWORDS["boss"], display_name="Boss")
        published_survey(db, SURVEY)
        add_customers(db, 2, prefix="P", region="Ningbo")
        quality = user_id(db, "qi")
    distribution.launch_campaign(
        quality,
        SURVEY,
        Audience(survey_code=SURVEY, events=True, channel="phone"),
        SamplingPlan(),
        "phone",
        name="电话回访",
    )
    with database.session() as db:
        answered = add_customers(db, 4, prefix="E", region="Hangzhou", tier="gold", start=10)
        tokens = [
            create_personal_link(db, SURVEY, c.external_id, event_ticket=f"T-{c.external_id}")[0].token
            for c in answered
        ]
    respondent = client()
    for i, token in enumerate(tokens):
        page = respondent.get(f"/s/{token}").text
        answer(respondent, f"/s/{token}", page, {**REPAIR_ANSWERS, "overall": str(3 + i % 3)})
    app = start_app(db_url, tmp_path / "server", SURVEY_QUIET_HOURS=quiet)
    try:
        yield app, quiet_end
    finally:
        app.stop()


def agent_works_the_phone_queue(page, quiet_end: int) -> None:
    main = main_of(page)
    assert main.get_by_text("待回访：2 位客户").is_visible()
    first = shown_choice(page, "选择客户")
    assert first in ("客户0 · 装移维服务回访", "客户1 · 装移维服务回访"), first
    card = main.get_by_text("语言 ").first.inner_text()  # the customer's card, in words
    assert "普通 · 宁波 · 个人客户 · 语言 中文" in card and "zh-CN" not in card, card

    main.get_by_text("约定回拨", exact=True).click()
    settle(page)
    proposed = datetime.fromisoformat(main.get_by_test_id("stDateTimeInput").locator("input").input_value())
    assert proposed.hour == quiet_end and proposed.minute == 0, proposed  # moved to where the quiet hours end
    assert proposed > local_now()

    main.get_by_text("无人接听", exact=True).click()
    settle(page)
    main.get_by_role("button", name="记录本次通话").click()
    settle(page)
    assert said(page, "已记录：无人接听。")
    following = shown_choice(page, "选择客户")
    assert following != first and following.endswith("装移维服务回访"), (first, following)


def admin_adds_a_user_and_reads_the_audit_log(page) -> None:
    main = main_of(page)
    form = main.get_by_test_id("stForm")
    assert shown_choice(page, "角色") == "(请选择角色)"  # no default role

    form.get_by_label("用户名").fill("zhao")
    form.get_by_label("显示名称").fill("赵敏")
    form.get_by_label("初始密码（至少8位）").fill("zhao-password")
    main.get_by_role("button", name="新增用户").click()
    settle(page)
    assert said(page, "请选择新用户的角色。")
    assert form.get_by_label("用户名").input_value() == "zhao"  # what was typed is still there
    assert form.get_by_label("显示名称").input_value() == "赵敏"

    choose(page, "角色", "回访坐席")
    form.get_by_label("初始密码（至少8位）").fill("zhao-password")
    main.get_by_role("button", name="新增用户").click()
    settle(page)
    assert said(page, "已创建用户 zhao。")
    users = {row["用户名"]: row for row in table_rows(main.get_by_test_id("stDataFrame"))}
    assert users["zhao"]["角色"] == "回访坐席" and users["zhao"]["最近登录"] == "从未"
    assert_local_time(users["root"]["最近登录"])

    page.get_by_test_id("stSidebarNav").get_by_text("审计日志").click()
    settle(page)
    newest = table_rows(main_of(page).get_by_test_id("stDataFrame"))  # newest first
    done = {(row["操作人"], row["操作"]) for row in newest}
    assert ("root", "创建用户") in done and ("li", "电话回访：记录通话") in done, done  # clicks, not "system"
    created = next(row for row in newest if row["操作"] == "创建用户")
    assert "zhao" in created["详情"] and "回访坐席" in created["详情"] and "agent" not in created["详情"], created
    for row in newest:
        assert_local_time(row["时间"])
    choose(page, "按用户筛选", "qi")
    by_quality = rows_once(
        main_of(page).get_by_test_id("stDataFrame"),
        lambda rows: rows and {row["操作人"] for row in rows} == {"qi"},
        "only qi's actions",
    )
    assert "创建回访活动" in {row["操作"] for row in by_quality}, by_quality  # the phone campaign's launch


def switch_language(page, name: str) -> None:
    page.get_by_test_id("stSidebar").get_by_role("combobox").click()
    page.get_by_role("option", name=name, exact=True).click()
    settle(page)


def trend_axis_labels(page, title: str) -> list[str]:
    chart = main_of(page).get_by_test_id("stVegaLiteChart").filter(has_text=title).first
    chart.locator("g.role-axis-label text").first.wait_for()
    return chart.locator("g.role-axis-label text").all_text_contents()


def executive_keeps_english_then_reads_chinese_dates(browser_page, base_url: str, page) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text("管理层看板").click()
    page.get_by_role("heading", name="管理层看板").wait_for()
    settle(page)
    switch_language(page, "English")
    page.get_by_role("heading", name="Executive dashboard").wait_for()
    choose(page, "Period", "Last 12 months")  # months on the axis whatever the day of the quarter
    assert any(ENGLISH_MONTHS.search(text) for text in trend_axis_labels(page, "Period"))

    page.reload()  # a new page load: a new Streamlit session
    page.wait_for_selector(APP_READY)
    page.get_by_role("heading", name="Executive dashboard").wait_for()
    assert page.get_by_test_id("stSidebar").get_by_role("combobox").input_value() == "English"

    with person(browser_page, base_url, "boss", "/executive") as elsewhere:  # another browser: kept per user
        elsewhere.get_by_role("heading", name="Executive dashboard").wait_for()
        switch_language(elsewhere, "中文")
        elsewhere.get_by_role("heading", name="管理层看板").wait_for()
        choose(elsewhere, "时间范围", "近 12 个月")
        labels = trend_axis_labels(elsewhere, "时期")
        assert not any(ENGLISH_MONTHS.search(text) for text in labels), labels
        assert any("月" in text for text in labels), labels
        periods = main_of(elsewhere).get_by_text(re.compile(r"^本期 \d{4}年\d{1,2}月\d{1,2}日 至")).inner_text()
        assert "去年同期" in periods and not ENGLISH_MONTHS.search(periods), periods


def test_agent_admin_and_executive_in_their_first_week(staff_app, browser_page):
    app, quiet_end = staff_app
    with person(browser_page, app.base_url, "li", "/phone") as page:
        agent_works_the_phone_queue(page, quiet_end)
    with person(browser_page, app.base_url, "root", "/users") as page:
        admin_adds_a_user_and_reads_the_audit_log(page)
    with person(browser_page, app.base_url, "boss", "/") as page:
        executive_keeps_english_then_reads_chinese_dates(browser_page, app.base_url, page)
