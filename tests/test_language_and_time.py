"""One language at a time, kept per user, and every date and time in the reader's language and
local time (issue 11): the sidebar switch, chart locales, the PDF's charts, staff tables."""

from __future__ import annotations

import json
import re
from datetime import datetime

import altair as alt
import pandas as pd
import pytest
from sqlmodel import select

from survey.accounts import auth
from survey.core import db as database
from survey.core.dates import local_datetime_text
from survey.insight import charts
from survey.insight import report as report_export
from survey.models import AuditLog, User
from tests.apptest_support import DEMO_LOGINS, open_app, sign_in, signed_in

EXECUTIVE = "pages/executive.py"


def chosen_language(at) -> str:
    return at.selectbox(key="language_select").value


def switch_language(at, language: str):
    at.selectbox(key="language_select").select(language).run()
    assert not at.exception, at.exception
    return at


# ---------------------------------------------------------------- the switch


@pytest.fixture
def staff(db_url):
    with database.session() as db:
        auth.create_user(db, "qi", "quality", "quality-pass", display_name="Qi")  # stored: zh-CN
        auth.create_user(db, "mary", "executive", "executive-pass", language="en")


def test_english_chosen_once_is_the_language_of_every_page_and_every_next_session(staff):
    at = signed_in("qi", "quality-pass")
    assert chosen_language(at) == "zh-CN"
    # AppTest keeps a st.navigation app's sidebar only in the run right after signing in: switch there
    switch_language(at, "en")
    assert at.title[0].value.startswith("Welcome")
    at.switch_page(EXECUTIVE).run()
    assert at.title[0].value == "Executive dashboard"
    period = at.selectbox(key="exec_period")
    assert period.value == "quarter_to_date" and "This quarter to date" in period.options
    assert at.radio(key="exec_grain").options == ["Week", "Month"]
    assert at.radio(key="exec_vip_weights").options == ["Configured weights", "From key-driver importance"]

    again = sign_in(open_app(), "qi", "quality-pass")  # a new session of the same user
    assert chosen_language(again) == "en" and again.title[0].value.startswith("Welcome")
    with database.session() as db:
        assert db.exec(select(User).where(User.username == "qi")).one().language == "en"


def test_the_switch_shows_the_language_the_user_reads(staff):
    at = sign_in(open_app(), "mary", "executive-pass")  # stored preference: English
    assert chosen_language(at) == "en" and at.title[0].value.startswith("Welcome")
    switch_language(at, "zh-CN")
    assert at.title[0].value.startswith("欢迎")
    assert chosen_language(sign_in(open_app(), "mary", "executive-pass")) == "zh-CN"


# ---------------------------------------------------------------- charts and the PDF


def _weekly_chart() -> alt.Chart:
    weeks = pd.DataFrame({"week": pd.date_range("2026-01-07", periods=16, freq="W-WED"), "n": range(16)})
    return alt.Chart(weeks).mark_line().encode(x="week:T", y="n:Q")


def test_chart_specs_carry_the_readers_locale():
    config = charts.localised(_weekly_chart(), "zh-CN").to_dict()["config"]
    time = config["locale"]["time"]
    assert time["shortMonths"][2] == "3月" and time["shortDays"][3] == "周三" and time["days"][0] == "星期日"
    assert config["axisTemporal"]["format"]["month"] == "%b"
    assert config["timeFormat"] == "%Y年%-m月%-d日"
    english = charts.localised(_weekly_chart(), "en").to_dict()["config"]["locale"]["time"]
    assert english["shortMonths"][2] == "Mar" and english["shortDays"][3] == "Wed"


@pytest.mark.parametrize("lang, march, not_shown", [("zh-CN", "3月", "Mar"), ("en", "Mar", "3月")])
def test_report_charts_are_drawn_with_month_names_in_the_report_language(lang, march, not_shown):
    svg = report_export.chart_image(_weekly_chart(), lang, None, svg=True)
    labels = set(re.findall(r">([^<]+)</text>", svg))
    assert march in labels and not_shown not in labels


def test_the_executive_page_draws_its_charts_in_the_session_language(demo_url):
    at = signed_in("executive", DEMO_LOGINS["executive"], EXECUTIVE)
    specs = [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]
    assert len(specs) >= 3, "the trend, the breakdowns and the drivers"
    for spec in specs:
        time = spec["config"]["locale"]["time"]
        assert time["shortMonths"][2] == "3月" and time["shortDays"][3] == "周三"


# ---------------------------------------------------------------- local time in staff tables


def _cells(at):
    for frame in at.dataframe:
        table = frame.value
        for column in table.columns:
            yield column, table[column]


@pytest.mark.parametrize(
    "page", ["pages/audit.py", "pages/users.py", "pages/jobs.py", "pages/cases.py", "pages/home.py"]
)
def test_staff_tables_show_local_time_in_words_never_utc_offsets(demo_url, page):
    at = signed_in("admin", DEMO_LOGINS["admin"], page)
    assert at.dataframe, f"{page} shows a table"
    for column, values in _cells(at):
        assert not pd.api.types.is_datetime64_any_dtype(values), f"{page}: {column} is a raw datetime column"
        shown = values.astype(str)
        assert not shown.str.contains(r"\+00:00|T\d\d:\d\d|UTC", regex=True).any(), (page, column, shown.tolist())


def test_the_audit_log_reads_in_local_time(demo_url):
    at = signed_in("admin", DEMO_LOGINS["admin"], "pages/audit.py")
    with database.session() as db:
        newest = db.exec(select(AuditLog).order_by(AuditLog.id.desc())).first()
    assert at.dataframe[0].value.iloc[0, 0] == local_datetime_text(newest.at, "zh-CN")


def test_local_times_cross_midnight_into_the_next_local_day():
    assert local_datetime_text(datetime.fromisoformat("2026-03-04T17:30:00+00:00"), "zh-CN") == "2026年3月5日 01:30"
    assert local_datetime_text(datetime.fromisoformat("2026-03-04T17:30:00+00:00"), "en") == "5 Mar 2026, 01:30"
