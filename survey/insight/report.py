"""The executive dashboard as files to forward: its figures as CSV and the page as a PDF report.

The PDF is set in Noto Sans SC when the font package (``pylopdf-fonts-zh-cn``, SIL Open
Font License) is installed, so a Chinese report reads as the page does; without it the
report falls back to English with a built-in font rather than printing empty boxes.
Charts are the page's Altair charts rendered to PNG by vl-convert (no browser needed).
"""

from __future__ import annotations

import io
from datetime import datetime
from functools import cache
from pathlib import Path

import pandas as pd

from stats import fmt_p
from survey.insight import charts

from survey.insight import metrics
from survey.core.config import settings
from survey.core.tabular import dataframe_csv
from survey.core.i18n import label, t
from survey.insight.dashboard import Dashboard

KPI_KEYS = ("csat", "nps", "vip_index", "response_rate")
BREAKDOWNS = ("region", "touch_point", "tier", "dimension")


# ---------------------------------------------------------------- CSV

def csv_bytes(board: Dashboard) -> bytes:
    """Every figure of the dashboard as one tidy table (UTF-8 with BOM, so Excel reads Chinese).

    Columns: section, item, period, value, ci_low, ci_high, n, difference, diff_ci_low,
    diff_ci_high, p_value, p_adjusted, note.  Shares are in percent, scores on their scale.
    """
    rows: list[dict] = []
    for key in KPI_KEYS:
        kpi = board.kpis[key]
        for period in ("current", "previous", "last_year"):
            result = getattr(kpi, period)
            if result is not None:
                rows.append(_row("kpi", key, period, key, result.estimate, result.ci_low, result.ci_high,
                                 sum(result.n) if isinstance(result.n, tuple) else result.n, note=result.method))
        for which in ("previous", "last_year"):
            test = getattr(kpi, f"vs_{which}")
            if test is not None:
                rows.append(_row("kpi_change", key, f"vs_{which}", key, difference=test.estimate,
                                 diff_ci=(test.ci_low, test.ci_high), p=test.p_value,
                                 p_adjusted=getattr(kpi, f"p_holm_{which}"), note=f"{test.method}; Holm"))
    n = board.kpis["n"]
    rows.append(_row("kpi", "n", "current", "n", n=n.n))
    metric = board.request.metric
    for record in board.trend.table.to_dict("records"):
        rows.append(_row("trend", metric, record["period"].date().isoformat(), metric, record["estimate"],
                         record["ci_low"], record["ci_high"], record["n"],
                         note=("partial; " if record["partial"] else "") + ("out of control" if record.get("signal") else "")))
    for column in BREAKDOWNS:
        shown = "index" if column == "dimension" else metric
        for record in board.breakdowns[column].to_dict("records"):
            rows.append(_row(f"breakdown_{column}", record["group"], "current", shown, record["value"],
                             record["ci_low"], record["ci_high"], record["n"], difference=record.get("difference"),
                             diff_ci=(record.get("diff_ci_low"), record.get("diff_ci_high")),
                             p=record.get("p_value"), p_adjusted=record.get("p_holm"),
                             note="small" if record["small"] else ""))
    for part in ("by_tier", "by_region", "dimensions"):
        for record in board.vip[part].to_dict("records"):
            rows.append(_row(f"vip_{part}", record["group"], "current", "index", record["value"], record["ci_low"],
                             record["ci_high"], record["n"], difference=record.get("difference"),
                             p=record.get("p_value"), p_adjusted=record.get("p_holm")))
    for record in board.vip["movers"].to_dict("records"):
        rows.append(_row("vip_movers", record["group"], "vs_previous", "index", record["value"],
                         difference=record["change"], diff_ci=(record["ci_low"], record["ci_high"]),
                         p=record["p_value"], p_adjusted=record["p_holm"], n=record["n"]))
    if board.drivers is not None:
        for record in board.drivers.table.to_dict("records"):
            rows.append(_row("drivers", record["driver"], "last_12_months", "index", record["performance"],
                             record["performance_ci_low"], record["performance_ci_high"], board.drivers.n,
                             difference=record["importance"], diff_ci=(record["ci_low"], record["ci_high"]),
                             note=f"importance = share of R² {record['share']:.3f}; {record['quadrant']}"))
    frame = pd.DataFrame(rows, columns=["section", "item", "period", "value", "ci_low", "ci_high", "n", "difference",
                                        "diff_ci_low", "diff_ci_high", "p_value", "p_adjusted", "note"])
    return dataframe_csv(frame)


def _row(section, item, period, metric, value=None, ci_low=None, ci_high=None, n=None, *, difference=None,
         diff_ci=(None, None), p=None, p_adjusted=None, note="") -> dict:
    def scaled(v):
        return None if v is None or pd.isna(v) else float(metrics.shown(metric, v))
    return {"section": section, "item": item, "period": period, "value": scaled(value), "ci_low": scaled(ci_low),
            "ci_high": scaled(ci_high), "n": n, "difference": scaled(difference), "diff_ci_low": scaled(diff_ci[0]),
            "diff_ci_high": scaled(diff_ci[1]), "p_value": p, "p_adjusted": p_adjusted, "note": note}


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


def _chart_png(chart, font: Path | None) -> bytes:
    import vl_convert

    if font is not None:
        _register_chart_font(str(font.parent))
        chart = chart.configure(font="Noto Sans SC")
    return vl_convert.vegalite_to_png(chart.properties(width=640).to_dict(), scale=2)


class _Report:
    """A thin layer over fpdf2: headings, paragraphs, tables and images in one font."""

    def __init__(self, font: Path | None):
        from fpdf import FPDF

        self.pdf = FPDF(orientation="P", format="A4")
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
        for wide, plain in (("–", "-"), ("—", "-"), ("−", "-"), ("±", "+/-"), ("²", "2"), ("“", '"'), ("”", '"'),
                            ("’", "'"), ("·", "-"), ("α", "alpha"), ("×", "x"), ("≥", ">=")):
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
        headings = FontFace(emphasis="", fill_color=(232, 236, 241))   # one font file: no bold face
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


def pdf_bytes(board: Dashboard, lang: str) -> bytes:
    """The dashboard as a PDF report in ``lang`` (English when no Chinese font is installed)."""
    font = cjk_font_path()
    lang = lang if font is not None else "en"
    report = _Report(font)
    p = board.periods
    report.heading(t("report.title", lang), 16)
    generated = datetime.now(settings().timezone).strftime("%Y-%m-%d %H:%M")
    report.paragraph(t("report.generated", lang, at=generated) + " · " + t(
        "exec.periods", lang, a=p.current.start, b=p.current.end, c=p.previous.start, d=p.previous.end,
        e=p.last_year.start, f=p.last_year.end))
    f = board.request.filters
    everything = t("insight.all", lang)
    report.paragraph(t("report.filters", lang,
                       surveys=", ".join(board.surveys.get(s, str(s)) for s in f.surveys) or everything,
                       regions=", ".join(label("region", r, lang) for r in f.regions) or everything,
                       touch_points=", ".join(label("touch_point", x, lang) for x in f.touch_points) or everything,
                       tiers=", ".join(label("tier", x, lang) for x in f.tiers) or everything,
                       weighted=t("report.yes" if board.request.weighted else "report.no", lang)))
    _kpi_section(report, board, lang)
    _trend_section(report, board, lang, font)
    _breakdown_section(report, board, lang)
    _vip_section(report, board, lang)
    _drivers_section(report, board, lang, font)
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


def _p(p) -> str:
    return "-" if p is None or pd.isna(p) else ("<0.001" if p < 0.001 else f"{p:.3f}")


def _kpi_section(report: _Report, board: Dashboard, lang: str) -> None:
    report.heading(t("exec.kpis", lang), 12)
    rows = []
    for key in KPI_KEYS:
        kpi = board.kpis[key]
        current = kpi.current
        value = (f"{_number(key, current.estimate)} ({_number(key, current.ci_low)} - {_number(key, current.ci_high)})"
                 if current is not None else t("exec.no_value", lang))
        changes = []
        for which in ("previous", "last_year"):
            test = getattr(kpi, f"vs_{which}")
            p_holm = getattr(kpi, f"p_holm_{which}")
            changes.append("-" if test is None else f"{_number(key, test.estimate, signed=True)} (p_Holm {_p(p_holm)}"
                           f"{', ' + t('exec.significant', lang) if p_holm is not None and p_holm < 0.05 else ''})")
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
    chart = charts.trend_chart(trend.table, trend.changes, metric, charts.texts(lang),
                               board.periods.current.start, board.periods.current.end)
    report.image(_chart_png(chart, font))
    report.paragraph(t("exec.trend_caption", lang, metric=t(f"metric.{metric}", lang),
                       grain=t(f"grain.{board.request.grain}", lang), chart=trend.chart_kind))
    if trend.mann_kendall is not None:
        report.paragraph(t(f"exec.mk.{trend.verdict}", lang, slope=_number(metric, trend.slope_per_month, 3, True),
                           p=fmt_p(trend.mann_kendall.p_value)))


def _group_rows(table: pd.DataFrame, metric: str, column: str, lang: str) -> list[list[str]]:
    rows = []
    for record in table.to_dict("records"):
        group = t("insight.unknown", lang) if record["group"] == "" else label(
            "dimension" if column == "dimension" else column, record["group"], lang)
        rows.append([group, _number(metric, record["value"], 2),
                     f"{_number(metric, record['ci_low'], 2)} - {_number(metric, record['ci_high'], 2)}",
                     f"{int(record['n']):,}" + (" *" if record.get("small") else ""),
                     _number(metric, record.get("difference"), 2, True), _p(record.get("p_holm"))])
    return rows


def _breakdown_section(report: _Report, board: Dashboard, lang: str) -> None:
    report.heading(t("exec.breakdown", lang), 12)
    header = [t("col.group", lang), t("col.value", lang), t("col.ci", lang), t("col.n", lang),
              t("col.difference", lang), t("col.p_holm", lang)]
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
    header = [t("col.group", lang), t("col.value", lang), t("col.ci", lang), t("col.n", lang),
              t("col.difference", lang), t("col.p_holm", lang)]
    for part, column in (("by_tier", "tier"), ("by_region", "region"), ("dimensions", "dimension")):
        report.paragraph(t(f"vip.{part}", lang), 9.5)
        report.table(header, _group_rows(board.vip[part], "index", column, lang))


def _drivers_section(report: _Report, board: Dashboard, lang: str, font: Path | None) -> None:
    report.heading(t("exec.drivers", lang), 12)
    drivers = board.drivers
    if drivers is None:
        report.paragraph(t("drivers.none", lang))
        return
    table = drivers.table.assign(label=[label("dimension", d, lang) for d in drivers.table["driver"]],
                                 quadrant_label=[t(f"quadrant.{q}", lang) for q in drivers.table["quadrant"]])
    report.image(_chart_png(charts.quadrant_chart(table, charts.texts(lang)), font))
    report.table([t("col.rank", lang), t("chart.driver", lang), t("col.importance", lang),
                  t("col.performance", lang), t("col.quadrant", lang)],
                 [[str(r["rank"]), r["label"], f"{100 * r['share']:.0f}%", f"{r['performance']:.1f}", r["quadrant_label"]]
                  for r in table.to_dict("records")])
    report.paragraph(t("drivers.caption", lang, survey=board.surveys.get(board.drivers_survey, ""),
                       n=f"{drivers.n:,}", r2=f"{drivers.r2:.2f}"), 7.5)
