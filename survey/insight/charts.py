"""Altair charts of the insight pages, shared by the pages and the exported report.

Every function takes data already computed (``survey.insight``, ``survey.insight.impact``)
and the texts to show (translated by the caller), so the same chart renders in the app and
in the PDF.  Values are shown on the metric's display scale (``metrics.shown``).
``localised`` gives any chart its reader's language for dates and numbers: the pages draw
through it (``ui.insight.chart``) and so does the report.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from survey.core import dates
from survey.core.i18n import t
from survey.insight.metrics import shown

TEXT_KEYS = (
    "period",
    "value",
    "partial",
    "complete",
    "change",
    "small",
    "enough",
    "group",
    "importance",
    "performance",
    "driver",
    "quadrant",
    "treated",
    "comparison",
    "before",
    "after",
    "relative",
    "difference",
)
BAND = "#9ecae1"
LINE = "#1f77b4"
ALERT = "#d62728"
MUTED = "#7f7f7f"
CHANGE = "#ff7f0e"


def texts(lang: str) -> dict[str, str]:
    """The charts' axis and legend texts in ``lang``."""
    return {key: t(f"chart.{key}", lang) for key in TEXT_KEYS} | {
        "change_title_column": "title" if lang == "zh-CN" else "title_en"
    }


def vega_locale(lang: str) -> dict:
    """Vega's locale (d3 ``number`` and ``time`` definitions) for ``lang``, from CLDR."""
    return {"number": dates.d3_number_locale(lang), "time": dates.d3_time_locale(lang)}


def localised(chart: alt.TopLevelMixin, lang: str, **config) -> alt.TopLevelMixin:
    """``chart`` with month and weekday names, date formats and numbers in ``lang``: axis
    ticks read "3月", "3月4日" (or "Mar", "4 Mar"), tooltips "2026年3月4日". ``config`` adds
    further top-level configuration (a chart has one: configure it only here)."""
    return chart.configure(
        locale=vega_locale(lang),
        timeFormat=dates.d3_date_format(lang),
        axisTemporal=alt.AxisConfig(format=dates.d3_axis_formats(lang)),
        **config,
    )


def trend_chart(
    table: pd.DataFrame, changes: pd.DataFrame, metric: str, texts: dict[str, str], period_start=None, period_end=None
) -> alt.LayerChart:
    """The metric by period with its 95% band, control limits, out-of-control points and
    service changes as labelled rules; the chosen period is shaded."""
    data = table.assign(
        **{c: shown(metric, table[c]) for c in ("estimate", "ci_low", "ci_high", "lcl", "ucl", "centre") if c in table}
    )
    data["kind"] = data["partial"].map({True: texts["partial"], False: texts["complete"]})
    x = alt.X("period:T", title=texts["period"])
    base = alt.Chart(data).encode(x=x)
    tooltip = [
        alt.Tooltip("period:T", title=texts["period"]),
        alt.Tooltip("estimate:Q", title=texts["value"], format=".2f"),
        alt.Tooltip("ci_low:Q", title="95% CI −", format=".2f"),
        alt.Tooltip("ci_high:Q", title="95% CI +", format=".2f"),
        alt.Tooltip("n:Q", title="n", format=","),
    ]
    layers = [
        base.mark_area(color=BAND, opacity=0.35).encode(
            y=alt.Y("ci_low:Q", title=texts["value"], scale=alt.Scale(zero=False)), y2="ci_high:Q"
        ),
        base.mark_line(color=LINE).encode(y="estimate:Q"),
        base.mark_point(filled=True, color=LINE).encode(
            y="estimate:Q", shape=alt.Shape("kind:N", title=None), tooltip=tooltip
        ),
    ]
    if "ucl" in data and data["ucl"].notna().any():
        layers += [
            base.mark_line(color=MUTED, strokeDash=[4, 4]).encode(y="ucl:Q"),
            base.mark_line(color=MUTED, strokeDash=[4, 4]).encode(y="lcl:Q"),
            base.mark_line(color=MUTED, strokeDash=[1, 3]).encode(y="centre:Q"),
            alt.Chart(data[data["signal"].astype(bool)])
            .mark_point(color=ALERT, size=120, strokeWidth=2)
            .encode(x=x, y="estimate:Q", tooltip=tooltip),
        ]
    if period_start is not None:
        span = pd.DataFrame({"start": [pd.Timestamp(period_start)], "end": [pd.Timestamp(period_end)]})
        layers.insert(0, alt.Chart(span).mark_rect(color="#eeeeee", opacity=0.6).encode(x="start:T", x2="end:T"))
    if not changes.empty:
        rules = changes.assign(label=changes[texts["change_title_column"]])
        layers += [
            alt.Chart(rules)
            .mark_rule(color=CHANGE, strokeWidth=1.5)
            .encode(x="date:T", tooltip=[alt.Tooltip("label:N", title=texts["change"]), alt.Tooltip("date:T")]),
            alt.Chart(rules)
            .mark_text(color=CHANGE, angle=270, align="left", baseline="bottom", dx=-4, dy=-2, fontSize=10)
            .encode(x="date:T", y=alt.value(4), text="label:N"),
        ]
    return alt.layer(*layers).properties(height=320)


def interval_chart(table: pd.DataFrame, metric: str, texts: dict[str, str]) -> alt.LayerChart:
    """Each group's value with its 95% interval; small groups drawn hollow."""
    data = table.assign(
        value=shown(metric, table["value"]),
        ci_low=shown(metric, table["ci_low"]),
        ci_high=shown(metric, table["ci_high"]),
        size=table["small"].map({True: texts["small"], False: texts["enough"]}),
    )
    y = alt.Y("label:N", sort=None, title=None, axis=alt.Axis(labelOverlap=False, labelLimit=160))
    tooltip = [
        alt.Tooltip("label:N", title=texts["group"]),
        alt.Tooltip("value:Q", format=".2f", title=texts["value"]),
        alt.Tooltip("n:Q", format=","),
    ]
    return alt.layer(
        alt.Chart(data)
        .mark_rule(color=MUTED)
        .encode(y=y, x=alt.X("ci_low:Q", title=texts["value"], scale=alt.Scale(zero=False)), x2="ci_high:Q"),
        alt.Chart(data)
        .mark_point(size=70, color=LINE)
        .encode(
            y=y,
            x="value:Q",
            fill=alt.Fill("size:N", scale=alt.Scale(range=[LINE, "white"]), title=None),
            tooltip=tooltip,
        ),
    ).properties(height=max(120, 34 * len(data)))


def quadrant_chart(table: pd.DataFrame, texts: dict[str, str]) -> alt.LayerChart:
    """Importance (share of R²) against performance (0-100), split at the means: high
    importance and low performance is where to act first."""
    data = table.assign(importance=100 * table["share"])
    x_mid, y_mid = data["importance"].mean(), data["performance"].mean()
    points = alt.Chart(data).encode(
        x=alt.X("importance:Q", title=texts["importance"]),
        y=alt.Y("performance:Q", title=texts["performance"], scale=alt.Scale(zero=False)),
        tooltip=[
            alt.Tooltip("label:N", title=texts["driver"]),
            alt.Tooltip("importance:Q", format=".1f"),
            alt.Tooltip("performance:Q", format=".1f"),
            alt.Tooltip("quadrant_label:N", title=texts["quadrant"]),
        ],
    )
    return alt.layer(
        alt.Chart(pd.DataFrame({"x": [x_mid]})).mark_rule(color=MUTED, strokeDash=[4, 4]).encode(x="x:Q"),
        alt.Chart(pd.DataFrame({"y": [y_mid]})).mark_rule(color=MUTED, strokeDash=[4, 4]).encode(y="y:Q"),
        points.mark_point(filled=True, size=120).encode(color=alt.Color("quadrant_label:N", title=texts["quadrant"])),
        points.mark_text(align="left", dx=8, fontSize=11).encode(text="label:N"),
    ).properties(height=340)


def impact_series_chart(
    series: pd.DataFrame, fitted: pd.DataFrame | None, changed_on, ends_on, texts: dict[str, str]
) -> alt.LayerChart:
    """The scope's series (and the comparison group's), the fitted line and the
    counterfactual without the change; the change as a rule, an event window shaded."""
    data = series.assign(
        group_label=series["group"].map({"treated": texts["treated"], "comparison": texts["comparison"]})
    )
    x = alt.X("time:T", title=texts["period"])
    layers = [
        alt.Chart(data)
        .mark_point(filled=True, opacity=0.7)
        .encode(
            x=x,
            y=alt.Y("mean:Q", title=texts["value"], scale=alt.Scale(zero=False)),
            color=alt.Color("group_label:N", title=None),
            size=alt.Size("n:Q", legend=None),
            tooltip=["time:T", alt.Tooltip("mean:Q", format=".2f"), "n:Q", "group_label:N"],
        )
    ]
    if fitted is not None:
        lines = fitted.rename(columns={"time": "t_time"})
        layers += [
            alt.Chart(lines).mark_line(color=LINE).encode(x=alt.X("t_time:T"), y="fitted:Q"),
            alt.Chart(lines).mark_line(color=MUTED, strokeDash=[5, 4]).encode(x="t_time:T", y="counterfactual:Q"),
        ]
    if ends_on is not None:
        window = pd.DataFrame({"start": [pd.Timestamp(changed_on)], "end": [pd.Timestamp(ends_on)]})
        layers.insert(0, alt.Chart(window).mark_rect(color=CHANGE, opacity=0.15).encode(x="start:T", x2="end:T"))
    else:
        layers.append(
            alt.Chart(pd.DataFrame({"date": [pd.Timestamp(changed_on)]}))
            .mark_rule(color=CHANGE, strokeWidth=2)
            .encode(x="date:T")
        )
    return alt.layer(*layers).properties(height=300)


def event_study_chart(event_study: pd.DataFrame, texts: dict[str, str]) -> alt.LayerChart:
    """Treated-minus-comparison difference per period relative to the last period before the
    change, with 95% intervals: flat before the change is what parallel trends look like."""
    data = event_study.assign(phase=event_study["post"].map({True: texts["after"], False: texts["before"]}))
    x = alt.X("relative:Q", title=texts["relative"])
    return alt.layer(
        alt.Chart(pd.DataFrame({"y": [0]})).mark_rule(color=MUTED).encode(y="y:Q"),
        alt.Chart(pd.DataFrame({"x": [0.5]})).mark_rule(color=CHANGE, strokeDash=[4, 4]).encode(x="x:Q"),
        alt.Chart(data)
        .mark_rule()
        .encode(
            x=x, y=alt.Y("ci_low:Q", title=texts["difference"]), y2="ci_high:Q", color=alt.Color("phase:N", title=None)
        ),
        alt.Chart(data)
        .mark_point(filled=True)
        .encode(
            x=x,
            y="estimate:Q",
            color="phase:N",
            tooltip=["period:T", alt.Tooltip("estimate:Q", format=".2f"), alt.Tooltip("p_value:Q", format=".3f")],
        ),
    ).properties(height=260)
