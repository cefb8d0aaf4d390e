"""The executive dashboard as files to forward: its figures as CSV and the page as a PDF report.

The PDF is set in Noto Sans SC when the font package (``pylopdf-fonts-zh-cn``, SIL Open
Font License) is installed, so a Chinese report reads as the page does; without it the
report falls back to English with a built-in font rather than printing empty boxes.
Charts are the page's Altair charts rendered to PNG by vl-convert (no browser needed).
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache, partial
from pathlib import Path

import pandas as pd

from stats import fmt_p
from survey.core.dates import date_text, local_datetime_text
from survey.core.i18n import label, t
from survey.core.tabular import csv_text
from survey.insight import charts, metrics
from survey.insight.dashboard import Dashboard
from survey.models import utcnow

KPI_KEYS = ("csat", "nps", "vip_index", "response_rate")
BREAKDOWNS = ("region", "touch_point", "tier", "dimension")


# ---------------------------------------------------------------- CSV


def csv_bytes(
    board: Dashboard, lang: str, *, survey_names: Mapping[int, str] | None = None, generated_at: datetime | None = None
) -> bytes:
    """Every figure of the dashboard as a spreadsheet a reader can forward as it is (UTF-8 with
    a BOM, so Excel reads Chinese; every cell neutralised by ``survey.core.tabular``).

    Leading rows say what the figures are of: when they were generated (local time), the
    periods, the filters, the metric, the grain and the weighting. Then one table in ``lang``:
    section, item, period, metric, value, 95% CI, n, difference with its CI, p, adjusted p,
    note. Metrics, groups and periods are named in words; shares are in percent (one
    decimal), scores on their scale (two decimals); n is a whole number.
    """
    names = survey_names or board.surveys
    header = [t(f"report.csv.col.{column}", lang) for column in CSV_COLUMNS]
    rows = [
        *_csv_context(board, lang, names, generated_at or utcnow()),
        [],
        header,
        *(_csv_cells(row, lang) for row in _figures(board, lang, names)),
    ]
    return csv_text(rows[0], rows[1:]).encode("utf-8")


CSV_COLUMNS = (
    "section",
    "item",
    "period",
    "metric",
    "value",
    "ci_low",
    "ci_high",
    "n",
    "difference",
    "diff_ci_low",
    "diff_ci_high",
    "p_value",
    "p_adjusted",
    "note",
)


@dataclass(frozen=True)
class _Figure:
    """One line of the figures table, before it is put in words."""

    section: str
    item: str
    period: str
    metric: str
    value: float | None = None
    ci: tuple = (None, None)
    n: float | None = None
    difference: float | None = None
    diff_ci: tuple = (None, None)
    p: float | None = None
    p_adjusted: float | None = None
    note: str = ""


def _filter_texts(board: Dashboard, lang: str, survey_names: Mapping[int, str]) -> dict[str, str]:
    """The filters in effect, in words ("all" where nothing was picked)."""
    f = board.request.filters
    everything = t("insight.all", lang)
    return {
        "surveys": ", ".join(survey_names.get(s, str(s)) for s in f.surveys) or everything,
        "regions": ", ".join(_group("region", r, lang) for r in f.regions) or everything,
        "touch_points": ", ".join(label("touch_point", x, lang) for x in f.touch_points) or everything,
        "tiers": ", ".join(label("tier", x, lang) for x in f.tiers) or everything,
        "weighted": t("report.yes" if board.request.weighted else "report.no", lang),
    }


def _span(start, end, lang: str) -> str:
    return f"{date_text(start, lang)} – {date_text(end, lang)}"


def _csv_context(board: Dashboard, lang: str, survey_names: Mapping[int, str], generated_at: datetime) -> list[list]:
    p, request = board.periods, board.request
    filters = _filter_texts(board, lang, survey_names)
    return [
        [t("report.title", lang)],
        [t("report.csv.generated", lang), local_datetime_text(generated_at, lang)],
        [t("report.csv.current", lang), _span(p.current.start, p.current.end, lang)],
        [t("report.csv.previous", lang), _span(p.previous.start, p.previous.end, lang)],
        [t("report.csv.last_year", lang), _span(p.last_year.start, p.last_year.end, lang)],
        *([t(f"exec.{key}", lang), filters[key]] for key in ("surveys", "regions", "touch_points", "tiers")),
        [t("exec.metric", lang), t(f"metric.{request.metric}", lang)],
        [t("exec.grain", lang), t(f"grain.{request.grain}", lang)],
        [t("exec.weighted", lang), filters["weighted"]],
        [t("exec.vip_weights", lang), t(f"vip_weights.{request.vip_weights}", lang)],
    ]


def _group(column: str, value: str, lang: str) -> str:
    """A group value in words ('' is the unknown group)."""
    if value == "":
        return t("insight.unknown", lang)
    return label("dimension" if column in ("dimension", "driver") else column, value, lang)


def _figures(board: Dashboard, lang: str, survey_names: Mapping[int, str]) -> Iterator[_Figure]:
    kpis = t("exec.kpis", lang)
    for key in KPI_KEYS:
        kpi = board.kpis[key]
        for period in ("current", "previous", "last_year"):
            result = getattr(kpi, period)
            if result is not None:
                yield _Figure(
                    kpis,
                    t(f"metric.{key}", lang),
                    t(f"report.csv.{period}", lang),
                    key,
                    result.estimate,
                    (result.ci_low, result.ci_high),
                    sum(result.n) if isinstance(result.n, tuple) else result.n,
                    note=result.summary(lang),
                )
        for which in ("previous", "last_year"):
            test = getattr(kpi, f"vs_{which}")
            if test is not None:
                yield _Figure(
                    kpis,
                    t(f"metric.{key}", lang),
                    t(f"exec.which.{which}", lang),
                    key,
                    difference=test.estimate,
                    diff_ci=(test.ci_low, test.ci_high),
                    p=test.p_value,
                    p_adjusted=getattr(kpi, f"p_holm_{which}"),
                    note=f"{test.summary(lang)} {t('report.csv.holm', lang)}",
                )
    n = board.kpis["n"]
    yield _Figure(kpis, t("metric.n", lang), t("report.csv.current", lang), "n", n=n.n)
    metric = board.request.metric
    trend = t("exec.trend", lang)
    for record in board.trend.table.to_dict("records"):
        notes = [t("chart.partial", lang)] * bool(record["partial"]) + [t("report.csv.signal", lang)] * bool(
            record.get("signal")
        )
        yield _Figure(
            trend,
            t(f"metric.{metric}", lang),
            date_text(record["period"], lang),
            metric,
            record["estimate"],
            (record["ci_low"], record["ci_high"]),
            record["n"],
            note="; ".join(notes),
        )
    for column in BREAKDOWNS:
        shown = "index" if column == "dimension" else metric
        section = f"{t('exec.breakdown', lang)}: {t(f'breakdown.{column}', lang)}"
        for record in board.breakdowns[column].to_dict("records"):
            yield _Figure(
                section,
                _group(column, record["group"], lang),
                t("report.csv.current", lang),
                shown,
                record["value"],
                (record["ci_low"], record["ci_high"]),
                record["n"],
                record.get("difference"),
                (record.get("diff_ci_low"), record.get("diff_ci_high")),
                record.get("p_value"),
                record.get("p_holm"),
                t("chart.small", lang) if record["small"] else "",
            )
    for part, column in (("by_tier", "tier"), ("by_region", "region"), ("dimensions", "dimension")):
        for record in board.vip[part].to_dict("records"):
            yield _Figure(
                t(f"vip.{part}", lang),
                _group(column, record["group"], lang),
                t("report.csv.current", lang),
                "index",
                record["value"],
                (record["ci_low"], record["ci_high"]),
                record["n"],
                record.get("difference"),
                p=record.get("p_value"),
                p_adjusted=record.get("p_holm"),
            )
    for record in board.vip["movers"].to_dict("records"):
        yield _Figure(
            t("vip.movers", lang),
            _group("dimension", record["group"], lang),
            t("exec.which.previous", lang),
            "index",
            record["value"],
            n=record["n"],
            difference=record["change"],
            diff_ci=(record["ci_low"], record["ci_high"]),
            p=record["p_value"],
            p_adjusted=record["p_holm"],
        )
    if board.drivers is not None:
        drivers, r2 = board.drivers, board.drivers.r2
        survey = survey_names.get(board.drivers_survey, "")
        for record in drivers.table.to_dict("records"):
            importance = t(
                "report.csv.importance",
                lang,
                share=_percent(record["share"]),
                low=_percent(record["ci_low"] / r2),
                high=_percent(record["ci_high"] / r2),
            )
            yield _Figure(
                f"{t('exec.drivers', lang)}: {survey}",
                _group("driver", record["driver"], lang),
                t("exec.preset.last_12_months", lang),
                "index",
                record["performance"],
                (record["performance_ci_low"], record["performance_ci_high"]),
                drivers.n,
                note=f"{importance}; {t('quadrant.' + record['quadrant'], lang)}",
            )


def _percent(share: float) -> str:
    return f"{100 * share:.0f}%"


def _csv_cells(figure: _Figure, lang: str) -> list:
    metric = figure.metric

    def scaled(value) -> float | None:
        if value is None or pd.isna(value):
            return None
        return round(float(metrics.shown(metric, value)), 1 if metric in metrics.PERCENT_METRICS else 2)

    return [
        figure.section,
        figure.item,
        figure.period,
        t(f"metric.{metric}", lang),
        scaled(figure.value),
        scaled(figure.ci[0]),
        scaled(figure.ci[1]),
        None if figure.n is None else round(float(figure.n)),
        scaled(figure.difference),
        scaled(figure.diff_ci[0]),
        scaled(figure.diff_ci[1]),
        _p(figure.p, ""),
        _p(figure.p_adjusted, ""),
        figure.note,
    ]


# ---------------------------------------------------------------- PDF


def cjk_font_path() -> Path | None:
    try:
        import pylopdf_fonts_zh_cn
    except ImportError:
        return None
    path = pylopdf_fonts_zh_cn.sans_path()
    return path if path.exists() else None


def cjk_font_available() -> bool:
    return cjk_font_path() is not None


@cache
def _register_chart_font(directory: str) -> None:
    import vl_convert

    vl_convert.register_font_directory(directory)


def chart_image(chart, lang: str, font: Path | None, *, svg: bool = False) -> bytes | str:
    """A chart as the report prints it (PNG; SVG text when ``svg``): months, weekdays and
    numbers in ``lang`` as on the page. vl-convert is handed the same d3 locales the spec
    carries, so every label it formats, wherever it comes from, speaks ``lang``."""
    import vl_convert

    config = {}
    if font is not None:
        _register_chart_font(str(font.parent))
        config["font"] = "Noto Sans SC"
    spec = charts.localised(chart.properties(width=640), lang, **config).to_dict()
    locale = charts.vega_locale(lang)
    render = vl_convert.vegalite_to_svg if svg else partial(vl_convert.vegalite_to_png, scale=2)
    return render(spec, format_locale=locale["number"], time_format_locale=locale["time"])


class _Report:
    """A thin layer over fpdf2: headings, paragraphs, tables and images in one font.

    Every text is printed as written: region, team and survey names come from imports and
    staff, so nothing is read as markup (fpdf2 reads none without ``markdown=True``, used
    nowhere here) and the page-count placeholder ``{nb}`` is switched off (the report numbers
    no pages, and fpdf2 would otherwise replace it in any text).
    """

    def __init__(self, font: Path | None):
        from fpdf import FPDF

        self.pdf = FPDF(orientation="P", format="A4")
        self.pdf.alias_nb_pages(None)
        self.pdf.set_auto_page_break(True, margin=14)
        self.pdf.set_margins(14, 14, 14)
        self.pdf.add_page()
        if font is not None:
            self.pdf.add_font("Report", fname=str(font))
            self.family = "Report"
        else:
            self.family = "Helvetica"
        self.font = font

    def text(self, value: str) -> str:
        """Helvetica knows Latin-1 only: fold what it cannot print."""
        if self.font is not None:
            return value
        for wide, plain in (
            ("–", "-"),
            ("—", "-"),
            ("−", "-"),
            ("±", "+/-"),
            ("²", "2"),
            ("“", '"'),
            ("”", '"'),
            ("’", "'"),
            ("·", "-"),
            ("α", "alpha"),
            ("×", "x"),
            ("≥", ">="),
        ):
            value = value.replace(wide, plain)
        return value.encode("latin-1", "replace").decode("latin-1")

    def heading(self, value: str, size: int = 13) -> None:
        self.pdf.set_font(self.family, size=size)
        self.pdf.multi_cell(0, size * 0.55, self.text(value), align="L", new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(1)

    def paragraph(self, value: str, size: int = 8.5) -> None:
        self.pdf.set_font(self.family, size=size)
        self.pdf.multi_cell(0, size * 0.5, self.text(value), align="L", new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(1)

    def table(self, header: list[str], rows: list[list[str]], size: float = 7.5) -> None:
        from fpdf.fonts import FontFace

        self.pdf.set_font(self.family, size=size)
        headings = FontFace(emphasis="", fill_color=(232, 236, 241))  # one font file: no bold face
        with self.pdf.table(line_height=size * 0.55, text_align="LEFT", headings_style=headings) as table:
            for row in [header, *rows]:
                line = table.row()
                for cell in row:
                    line.cell(self.text(str(cell)))
        self.pdf.ln(2)

    def image(self, png: bytes) -> None:
        self.pdf.image(io.BytesIO(png), w=self.pdf.epw)
        self.pdf.ln(2)

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def pdf_bytes(board: Dashboard, lang: str, *, survey_names: Mapping[int, str] | None = None) -> bytes:
    """The dashboard as a PDF report in ``lang`` (English when no Chinese font is installed);
    dates, times and chart axes in that language, times in local time."""
    font = cjk_font_path()
    lang = lang if font is not None else "en"
    names = survey_names or board.surveys
    report = _Report(font)
    p = board.periods
    report.heading(t("report.title", lang), 16)
    report.paragraph(
        t("report.generated", lang, at=local_datetime_text(utcnow(), lang))
        + " · "
        + t(
            "exec.periods",
            lang,
            a=date_text(p.current.start, lang),
            b=date_text(p.current.end, lang),
            c=date_text(p.previous.start, lang),
            d=date_text(p.previous.end, lang),
            e=date_text(p.last_year.start, lang),
            f=date_text(p.last_year.end, lang),
        )
    )
    report.paragraph(t("report.filters", lang, **_filter_texts(board, lang, names)))
    _kpi_section(report, board, lang)
    _trend_section(report, board, lang, font)
    _breakdown_section(report, board, lang)
    _vip_section(report, board, lang)
    _drivers_section(report, board, lang, font, names)
    report.heading(t("report.methods", lang), 11)
    for key in ("csat", "nps", "vip_index", "response_rate"):
        report.paragraph(f"{t(f'metric.{key}', lang)}: {t(f'metric.{key}.help', lang)}", 7.5)
    report.paragraph(t("exec.holm_note", lang) + " " + t("exec.breakdown_caption", lang), 7.5)
    return report.output()


def _number(metric: str, value, digits: int = 1, signed: bool = False) -> str:
    if value is None or pd.isna(value):
        return "-"
    shown = metrics.shown(metric, value)
    unit = ("pp" if signed else "%") if metric in metrics.PERCENT_METRICS else ""
    return f"{shown:+.{digits}f}{unit}" if signed else f"{shown:.{digits}f}{unit}"


def _p(p, missing: str = "-") -> str:
    return missing if p is None or pd.isna(p) else ("<0.001" if p < 0.001 else f"{p:.3f}")


def _kpi_section(report: _Report, board: Dashboard, lang: str) -> None:
    report.heading(t("exec.kpis", lang), 12)
    rows = []
    for key in KPI_KEYS:
        kpi = board.kpis[key]
        current = kpi.current
        value = (
            f"{_number(key, current.estimate)} ({_number(key, current.ci_low)} - {_number(key, current.ci_high)})"
            if current is not None
            else t("exec.no_value", lang)
        )
        changes = []
        for which in ("previous", "last_year"):
            test = getattr(kpi, f"vs_{which}")
            p_holm = getattr(kpi, f"p_holm_{which}")
            changes.append(
                "-"
                if test is None
                else f"{_number(key, test.estimate, signed=True)} (p_Holm {_p(p_holm)}"
                f"{', ' + t('exec.significant', lang) if p_holm is not None and p_holm < 0.05 else ''})"
            )
        rows.append([t(f"metric.{key}", lang), value, f"{kpi.n:,}", *changes])
    n = board.kpis["n"]
    rows.append([t("metric.n", lang), f"{n.n:,}", "", f"{n.n - n.n_previous:+,}", f"{n.n - n.n_last_year:+,}"])
    report.table(t("report.kpi_header", lang).split("|"), rows)


def _trend_section(report: _Report, board: Dashboard, lang: str, font: Path | None) -> None:
    trend, metric = board.trend, board.request.metric
    report.heading(f"{t('exec.trend', lang)}: {t(f'metric.{metric}', lang)}", 12)
    if trend.table.empty:
        report.paragraph(t("exec.no_data", lang))
        return
    chart = charts.trend_chart(
        trend.table, trend.changes, metric, charts.texts(lang), board.periods.current.start, board.periods.current.end
    )
    report.image(chart_image(chart, lang, font))
    report.paragraph(
        t(
            "exec.trend_caption",
            lang,
            metric=t(f"metric.{metric}", lang),
            grain=t(f"grain.{board.request.grain}", lang),
            chart=trend.chart_kind,
        )
    )
    if trend.mann_kendall is not None:
        report.paragraph(
            t(
                f"exec.mk.{trend.verdict}",
                lang,
                slope=_number(metric, trend.slope_per_month, 3, True),
                p=fmt_p(trend.mann_kendall.p_value),
            )
        )


def _group_rows(table: pd.DataFrame, metric: str, column: str, lang: str) -> list[list[str]]:
    rows = []
    for record in table.to_dict("records"):
        rows.append(
            [
                _group(column, record["group"], lang),
                _number(metric, record["value"], 2),
                f"{_number(metric, record['ci_low'], 2)} - {_number(metric, record['ci_high'], 2)}",
                f"{int(record['n']):,}" + (" *" if record.get("small") else ""),
                _number(metric, record.get("difference"), 2, True),
                _p(record.get("p_holm")),
            ]
        )
    return rows


def _breakdown_section(report: _Report, board: Dashboard, lang: str) -> None:
    report.heading(t("exec.breakdown", lang), 12)
    header = [
        t("col.group", lang),
        t("col.value", lang),
        t("col.ci", lang),
        t("col.n", lang),
        t("col.difference", lang),
        t("col.p_holm", lang),
    ]
    for column in BREAKDOWNS:
        table = board.breakdowns[column]
        if table.empty:
            continue
        metric = "index" if column == "dimension" else board.request.metric
        report.paragraph(t(f"breakdown.{column}", lang), 9.5)
        report.table(header, _group_rows(table, metric, column, lang))
    report.paragraph(t("exec.breakdown_caption", lang) + " (* n < 30)", 7.5)


def _vip_section(report: _Report, board: Dashboard, lang: str) -> None:
    report.heading(t("exec.vip", lang), 12)
    if board.vip["by_tier"].empty:
        report.paragraph(t("exec.vip_none", lang))
        return
    header = [
        t("col.group", lang),
        t("col.value", lang),
        t("col.ci", lang),
        t("col.n", lang),
        t("col.difference", lang),
        t("col.p_holm", lang),
    ]
    for part, column in (("by_tier", "tier"), ("by_region", "region"), ("dimensions", "dimension")):
        report.paragraph(t(f"vip.{part}", lang), 9.5)
        report.table(header, _group_rows(board.vip[part], "index", column, lang))


def _drivers_section(
    report: _Report, board: Dashboard, lang: str, font: Path | None, survey_names: Mapping[int, str]
) -> None:
    report.heading(t("exec.drivers", lang), 12)
    drivers = board.drivers
    if drivers is None:
        report.paragraph(t("drivers.none", lang))
        return
    table = drivers.table.assign(
        label=[label("dimension", d, lang) for d in drivers.table["driver"]],
        quadrant_label=[t(f"quadrant.{q}", lang) for q in drivers.table["quadrant"]],
    )
    report.image(chart_image(charts.quadrant_chart(table, charts.texts(lang)), lang, font))
    report.table(
        [
            t("col.rank", lang),
            t("chart.driver", lang),
            t("col.importance", lang),
            t("col.performance", lang),
            t("col.quadrant", lang),
        ],
        [
            [str(r["rank"]), r["label"], f"{100 * r['share']:.0f}%", f"{r['performance']:.1f}", r["quadrant_label"]]
            for r in table.to_dict("records")
        ],
    )
    report.paragraph(
        t(
            "drivers.caption",
            lang,
            survey=survey_names.get(board.drivers_survey, ""),
            n=f"{drivers.n:,}",
            r2=f"{drivers.r2:.2f}",
        ),
        7.5,
    )
