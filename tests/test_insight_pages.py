"""The executive and service-changes pages (AppTest) for each role, and their exports."""

import csv
import io
import re
from datetime import UTC, date, datetime

import pandas as pd
import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from survey.core import db as database
from survey.core.dates import date_text
from survey.core.filters import Filters
from survey.insight import dashboard as insight
from survey.insight import metrics
from survey.insight import report as report_export
from survey.insight import service as insight_service
from survey.models import AuditLog, ServiceChange
from tests import apptest_support
from tests.apptest_support import DEMO_LOGINS

EXECUTIVE, CHANGES = "pages/executive.py", "pages/changes.py"


def signed_in(role: str, language: str = "zh-CN") -> AppTest:
    """A demo user, who reads the pages in ``language``."""
    return apptest_support.signed_in(
        role, DEMO_LOGINS[role], language=None if language == "zh-CN" else language, timeout=120
    )


def opened(at: AppTest, page: str) -> AppTest:
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def test_executive_sees_every_headline_figure_with_its_comparisons(demo_url):
    at = opened(signed_in("executive", "en"), EXECUTIVE)
    figures = {m.label: m for m in at.metric}
    assert {"CSAT", "NPS", "VIP index", "Response rate", "Responses (n)"} <= set(figures)
    assert figures["CSAT"].value.endswith("%") and figures["Response rate"].value.endswith("%")
    assert "significant" in figures["CSAT"].delta  # marked significant or not
    captions = " ".join(c.value for c in at.caption)
    assert "vs a year earlier" in captions and "95% CI" in captions
    assert "Mann-Kendall" in " ".join(m.value for m in at.markdown)
    assert len(at.dataframe) >= 4  # breakdowns, VIP and drivers tables
    assert [b.label for b in at.get("download_button")] == ["Download the figures (CSV)", "Download the report (PDF)"]


def test_the_tiles_agree_with_the_metrics_module(demo_url):
    at = opened(signed_in("executive", "en"), EXECUTIVE)
    assert at.selectbox(key="exec_period").value == "quarter_to_date"
    start, end = _quarter_to_date()
    with database.get_engine().connect() as conn:
        counts = metrics.level_counts(conn, "overall", Filters(start, end))
    scale = metrics.Scale(1, 5)
    expected = metrics.METRICS["csat"].estimate(scale.counts(counts.iloc[0]), scale)
    csat = next(m for m in at.metric if m.label == "CSAT")
    assert csat.value == f"{100 * expected.estimate:.1f}%"
    n = next(m for m in at.metric if m.label == "Responses (n)")
    assert n.value == f"{expected.n:,}"


def _quarter_to_date():
    from survey.overview import local_today

    today = local_today()
    return today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1), today


def test_filters_and_weighting_change_the_figures_and_show_the_effective_n(demo_url):
    at = opened(signed_in("executive", "en"), EXECUTIVE)
    # Twelve months hold thousands of answers on any day; the first days of a quarter hold few,
    # and a city's CSAT could then equal the province's by chance.
    at.selectbox(key="exec_period").select("last_12_months").run()
    before = next(m for m in at.metric if m.label == "CSAT").value
    at.multiselect(key="exec_regions").select("Wenzhou").run()
    wenzhou = next(m for m in at.metric if m.label == "CSAT").value
    assert wenzhou != before
    at.toggle(key="exec_weighted").set_value(True).run()
    assert not at.exception
    expander_text = " ".join(c.value for c in at.caption)
    assert "effective n" in expander_text and "anonymous" in expander_text
    at.radio(key="exec_grain").set_value("month").run()
    assert not at.exception and next(m for m in at.metric if m.label == "CSAT").value.endswith("%")


@pytest.mark.slow  # CI runs it; the quick loop keeps a lighter test of the same feature
@pytest.mark.parametrize("role, allowed", [("executive", True), ("quality", True), ("admin", True), ("agent", False)])
def test_who_may_open_the_insight_pages(demo_url, role, allowed):
    at = signed_in(role)
    for page in (EXECUTIVE, CHANGES):
        if allowed:
            assert not opened(at, page).error
        else:
            with pytest.raises(ValueError):  # not in this role's navigation at all
                at.switch_page(page)


def test_changes_page_shows_every_change_with_a_verdict_and_its_tests(demo_url):
    at = opened(signed_in("executive", "en"), CHANGES)
    table = at.dataframe[0].value
    with database.session() as db:
        assert len(table) == len(db.exec(select(ServiceChange)).all())
    assert "FDR-adjusted p (primary)" in table.columns
    verdict = (at.success or at.info)[0].value
    assert verdict.startswith("After “") and "95% CI" in verdict
    assert any("后" in c.value for c in at.caption)  # the verdict in the other language too
    assert "Only the quality team" in " ".join(c.value for c in at.caption)
    assert not at.get("form")  # executives read, they do not record


def shown_texts(at: AppTest) -> list[str]:
    """Every sentence and table cell the page shows."""
    texts = [
        element.value
        for kind in ("title", "subheader", "markdown", "caption", "info", "success", "warning")
        for element in getattr(at, kind)
    ]
    for frame in at.dataframe:
        texts += [*map(str, frame.value.columns), *map(str, frame.value.to_numpy().ravel())]
    return texts


@pytest.mark.slow  # CI runs it; the quick loop keeps a lighter test of the same feature
@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_every_service_change_is_explained_in_words_not_identifiers(demo_url, language):
    at = opened(signed_in("executive", language), CHANGES)
    for change in insight_service.recorded_changes():
        at.selectbox(key="changes_choose").set_value(change.id).run()
        assert not at.exception
        identifiers = [text for text in shown_texts(at) if IDENTIFIER.search(text)]
        assert not identifiers, (change.title_en, identifiers)


def test_quality_records_a_change_that_is_then_analysed(db_url_with_demo):
    at = opened(signed_in("quality", "en"), CHANGES)
    at.selectbox(key="change_survey").select("hall-visit").run()
    at.text_input(key="change_title").input("新排队屏")
    at.text_input(key="change_title_en").input("New queue screens")
    at.date_input(key="change_date").set_value(date(2026, 3, 2))
    at.multiselect(key="change_regions").select("Jiaxing")
    at.multiselect(key="change_touch_points").select("business_hall")
    at.selectbox(key="change_question").select("business_handling")
    at.button(key="change_save").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with database.session() as db:
        saved = db.exec(select(ServiceChange).where(ServiceChange.title_en == "New queue screens")).one()
        assert saved.regions == ["Jiaxing"] and saved.created_by_id is not None
        assert db.exec(select(AuditLog).where(AuditLog.action == "service_change.create")).first()
    table = at.dataframe[0].value
    assert "New queue screens" in set(table.iloc[:, 1])


def test_a_change_without_a_question_is_refused_with_a_reason(db_url_with_demo):
    at = opened(signed_in("quality", "en"), CHANGES)
    at.text_input(key="change_title").input("Something")
    at.button(key="change_save").click().run()
    assert "question or the dimension" in at.error[0].value


@pytest.fixture
def db_url_with_demo(db_url):
    """A writable demo (small): recording changes must not touch the shared read-only demo."""
    from survey import demo

    demo.generate(db_url, seed=5, responses=3000, end=date(2026, 10, 31))
    return db_url


def read_dashboard_csv(data: bytes) -> tuple[dict[str, str], pd.DataFrame]:
    """The dashboard CSV's leading rows (what its figures are of) and its table of figures."""
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    blank = lines.index([])
    context = {line[0]: (line[1] if len(line) > 1 else "") for line in lines[:blank]}
    return context, pd.DataFrame(lines[blank + 2 :], columns=lines[blank + 1])


IDENTIFIER = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")  # difference_in_differences, last_year, vip_index


def test_csv_export_holds_the_page_figures_rounded_in_words_with_the_filters_in_effect(demo_url):
    start, end = _quarter_to_date()
    board = insight.dashboard(
        database.get_engine(), insight.Request(Filters(start, end, regions=("Hangzhou",)), weighted=True)
    )
    generated = datetime(2026, 3, 4, 17, 30, tzinfo=UTC)
    context, table = read_dashboard_csv(report_export.csv_bytes(board, "zh-CN", generated_at=generated))
    assert context["生成时间"] == "2026年3月5日 01:30"  # local time, no "+00:00"
    assert context["本期"] == f"{date_text(start, 'zh-CN')} – {date_text(end, 'zh-CN')}"
    assert (context["地区"], context["服务触点"], context["按邀请人群加权"]) == ("杭州", "全部", "是")
    assert context["趋势与分组指标"] == "满意度 (CSAT)"
    csat = table[(table["项目"] == "满意度 (CSAT)") & (table["时期"] == "本期")].iloc[0]
    assert float(csat["数值"]) == round(100 * board.kpis["csat"].current.estimate, 1)
    numbers = table[["数值", "95% 区间下限", "95% 区间上限", "差异", "差异 95% 区间下限", "差异 95% 区间上限"]]
    assert numbers.map(lambda cell: re.fullmatch(r"(-?\d+(\.\d{1,2})?)?", cell) is not None).all().all()
    assert table["样本量"].map(lambda cell: re.fullmatch(r"(\d+)?", cell) is not None).all()  # whole numbers
    assert {"核心指标", "趋势", "分组对比: 地区", "分组对比: 服务维度", "按等级的 VIP 指数"} <= set(table["部分"])
    assert "杭州" in set(table[table["部分"] == "分组对比: 地区"]["项目"])
    change = table[(table["项目"] == "满意度 (CSAT)") & (table["时期"] == "较上期")]
    assert (change["校正后 p 值"] != "").all()  # Holm-adjusted p travels with the figures
    cells = [cell for column in table for cell in table[column]] + list(context) + list(context.values())
    assert not [cell for cell in cells if IDENTIFIER.search(cell)]


@pytest.mark.slow  # CI runs it; the quick loop keeps a lighter test of the same feature
@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_pdf_report_renders_in_the_chosen_language(demo_url, lang):
    board = insight.dashboard(database.get_engine(), insight.Request(Filters(*_quarter_to_date())))
    pdf = report_export.pdf_bytes(board, lang)
    assert pdf.startswith(b"%PDF") and len(pdf) > 20_000
    fonts = b"NotoSansSC" in pdf
    assert fonts == (report_export.cjk_font_available())  # the Chinese font is embedded when installed
