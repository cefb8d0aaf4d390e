"""Executive dashboard: headline figures with their tests, trend, breakdowns, VIP view, drivers."""

import pandas as pd
import streamlit as st

from survey.core.i18n import label
from survey.insight import charts
from survey.insight import report as report_export
from survey.insight.service import Request
from survey.overview import local_today
from ui import format as fmt
from ui import insight as view
from ui.filters import filter_row, period_input
from ui.session import lang, require_page, tr
from ui.text import plain

user = require_page(__file__)
language, text = view.fixed_language()
st.title(tr("page.executive"))
version = view.data_version()
url = view.current_url()
options = view.filter_options(url, version)
today = local_today()

# ---------------------------------------------------------------- filters
top = st.columns([1.2, 1.6, 1.2, 1.2, 1.2])
preset = top[0].selectbox(
    tr("exec.period"),
    view.PRESETS,
    index=view.PRESETS.index("quarter_to_date"),
    format_func=lambda p: text(f"exec.preset.{p}"),
    key="exec_period",
)
start, end = view.preset_range(preset, today)
if preset == "custom":
    start, end = period_input(tr("exec.dates"), (start, end), "exec_dates", container=top[0], max_value=today) or (
        start,
        end,
    )
filters = filter_row("exec", options, (start, end), columns=top[1:], language=language)
survey_names = {survey.id: survey.label(language) for survey in options.surveys}
second = st.columns([1.6, 1, 1.4, 1.4])
metric = second[0].selectbox(
    tr("exec.metric"),
    ["csat", "index", "mean", "nps", "ces"],
    format_func=lambda m: text(f"metric.{m}"),
    key="exec_metric",
)
grain = second[1].radio(
    tr("exec.grain"), ["week", "month"], format_func=lambda g: text(f"grain.{g}"), horizontal=True, key="exec_grain"
)
weighted = second[2].toggle(tr("exec.weighted"), help=tr("exec.weighted_help"), key="exec_weighted")
vip_source = second[3].radio(
    tr("exec.vip_weights"),
    ["configured", "drivers"],
    format_func=lambda v: text(f"vip_weights.{v}"),
    horizontal=True,
    key="exec_vip_weights",
)
drivers_survey = st.session_state.get("exec_drivers_survey")

board = view.dashboard(url, version, Request(filters, metric, grain, weighted, vip_source, drivers_survey))
periods = board.periods
st.caption(
    tr(
        "exec.periods",
        a=fmt.day(periods.current.start),
        b=fmt.day(periods.current.end),
        c=fmt.day(periods.previous.start),
        d=fmt.day(periods.previous.end),
        e=fmt.day(periods.last_year.start),
        f=fmt.day(periods.last_year.end),
    )
    + " · "
    + tr("exec.data_version", version=version)
)

# ---------------------------------------------------------------- headline figures
st.subheader(tr("exec.kpis"))


def significance(p_holm) -> str:
    if p_holm is None:
        return tr("exec.no_comparison")
    return tr("exec.significant") if p_holm < 0.05 else tr("exec.not_significant")


tiles = st.columns(5)
for column, key in zip(tiles, ("csat", "nps", "vip_index", "response_rate", "n")):
    kpi = board.kpis[key]
    with column:
        if key == "n":
            st.metric(
                tr("metric.n"),
                fmt.count(kpi.n),
                delta=fmt.count_change(kpi.n - kpi.n_previous),
                delta_color="off",
                help=tr("metric.n.help"),
                border=True,
            )
            st.caption(tr("exec.vs_last_year_n", diff=fmt.count_change(kpi.n - kpi.n_last_year)))
            continue
        value = fmt.metric(key, kpi.current.estimate) if kpi.current else tr("exec.no_value")
        delta = None
        if kpi.vs_previous is not None:
            delta = f"{fmt.metric_change(key, kpi.vs_previous.estimate)} ({significance(kpi.p_holm_previous)})"
        # colour only a significant change: an executive reads colour as "this moved"
        significant = kpi.p_holm_previous is not None and kpi.p_holm_previous < 0.05
        st.metric(
            tr(f"metric.{key}"),
            value,
            delta=delta,
            delta_color="normal" if significant else "off",
            help=tr(f"metric.{key}.help"),
            border=True,
            delta_description=tr("exec.vs_previous_short"),
        )
        year = fmt.metric_change(key, kpi.vs_last_year.estimate if kpi.vs_last_year is not None else None)
        st.caption(tr("exec.vs_last_year", diff=year, sig=significance(kpi.p_holm_last_year)))
        if kpi.current is not None:
            st.caption(
                f"95% CI {fmt.metric(key, kpi.current.ci_low)} – {fmt.metric(key, kpi.current.ci_high)}"
                f" · n = {fmt.count(kpi.n)}"
            )
        elif key == "vip_index":
            st.caption(tr("exec.vip_none"))
with st.expander(tr("exec.tests")):
    st.caption(tr("exec.holm_note"))
    for key in ("csat", "nps", "vip_index", "response_rate"):
        kpi = board.kpis[key]
        if kpi.current is not None:
            st.markdown(f"**{tr(f'metric.{key}')}**: {kpi.current.summary(lang())}")
        for which in ("previous", "last_year"):
            test = getattr(kpi, f"vs_{which}")
            if test is not None:
                st.markdown(
                    "- "
                    + tr(
                        "exec.test_line",
                        metric=tr(f"metric.{key}"),
                        which=tr(f"exec.which.{which}"),
                        summary=test.summary(lang()),
                        p=fmt.p_value(getattr(kpi, f"p_holm_{which}")),
                    )
                )
        if kpi.n_effective:
            st.caption(
                tr(
                    "exec.kish",
                    n_eff=fmt.count(kpi.n_effective),
                    deff=fmt.number(kpi.n / kpi.n_effective),
                    excluded=fmt.count(kpi.excluded),
                )
            )

# ---------------------------------------------------------------- trend
st.subheader(tr("exec.trend"))
trend = board.trend
chart_texts = charts.texts(language)
if trend.table.empty:
    st.info(tr("exec.no_data"))
else:
    view.chart(
        charts.trend_chart(trend.table, trend.changes, metric, chart_texts, start, end),
        width="stretch",
        key="trend_chart",
    )
    st.caption(
        tr("exec.trend_caption", metric=tr(f"metric.{metric}"), grain=tr(f"grain.{grain}"), chart=trend.chart_kind)
    )
    if trend.mann_kendall is not None:
        st.markdown(
            tr(
                f"exec.mk.{trend.verdict}",
                slope=fmt.metric_change(metric, trend.slope_per_month, 3),
                p=fmt.p_value(trend.mann_kendall.p_value),
            )
        )
    else:
        st.markdown(tr("exec.mk.too_short"))
    signals = trend.table.loc[trend.table["signal"].astype(bool), "period"]
    if len(signals):
        st.caption(tr("exec.signals", periods=", ".join(fmt.day(p) for p in signals)))

# ---------------------------------------------------------------- breakdowns
st.subheader(tr("exec.breakdown"))
tabs = st.tabs([tr(f"breakdown.{k}") for k in ("region", "touch_point", "tier", "dimension")])
for tab, column in zip(tabs, ("region", "touch_point", "tier", "dimension")):
    table = board.breakdowns[column]
    with tab:
        if table.empty:
            st.info(tr("exec.no_data"))
            continue
        shown_metric = "index" if column == "dimension" else metric
        left, right = st.columns([1.3, 1])
        left.dataframe(view.interval_table(table, shown_metric, column), hide_index=True, width="stretch")
        chart_data = table.assign(label=[view.group_label(column, g) for g in table["group"]])
        view.chart(charts.interval_chart(chart_data, shown_metric, chart_texts), container=right, width="stretch")
        st.caption(tr("exec.dimension_caption" if column == "dimension" else "exec.breakdown_caption"))

# ---------------------------------------------------------------- VIP view
st.subheader(tr("exec.vip"))
vip = board.vip
weights_text = ", ".join(f"{label('dimension', d, lang())} {fmt.number(w)}" for d, w in board.vip_index_weights.items())
st.caption(tr("vip.caption", weights=weights_text))
if vip["by_tier"].empty:
    st.info(tr("exec.vip_none"))
else:
    left, right = st.columns(2)
    for column, key in ((left, "tier"), (right, "region")):
        with column:
            st.markdown(f"**{tr(f'vip.by_{key}')}**")
            st.dataframe(
                view.interval_table(vip[f"by_{key}"], "index", key, with_rest=False), hide_index=True, width="stretch"
            )
    left, right = st.columns(2)
    with left:
        st.markdown(f"**{tr('vip.dimensions')}**")
        st.dataframe(view.interval_table(vip["dimensions"], "index", "dimension"), hide_index=True, width="stretch")
    with right:
        st.markdown(f"**{tr('vip.movers')}**")
        movers = vip["movers"]
        if not movers.empty:
            st.dataframe(
                pd.DataFrame(
                    {
                        tr("col.group"): [view.group_label("dimension", g) for g in movers["group"]],
                        tr("col.value"): movers["value"].round(1),
                        tr("col.previous"): movers["previous"].round(1),
                        tr("col.change"): [fmt.metric_change("index", c) for c in movers["change"]],
                        tr("col.diff_ci"): [
                            f"{fmt.metric_change('index', lo)} – {fmt.metric_change('index', hi)}"
                            for lo, hi in zip(movers["ci_low"], movers["ci_high"])
                        ],
                        tr("col.p_holm"): [fmt.p_cell(p) for p in movers["p_holm"]],
                    }
                ),
                hide_index=True,
                width="stretch",
            )

# ---------------------------------------------------------------- drivers
st.subheader(tr("exec.drivers"))
if survey_names:
    st.selectbox(
        tr("drivers.survey"),
        list(survey_names),
        format_func=survey_names.get,
        key="exec_drivers_survey",
        index=list(survey_names).index(board.drivers_survey) if board.drivers_survey in survey_names else 0,
    )
drivers = board.drivers
if drivers is None:
    st.info(tr("drivers.none"))
else:
    table = drivers.table.assign(
        label=[view.group_label("driver", d) for d in drivers.table["driver"]],
        quadrant_label=[tr(f"quadrant.{q}") for q in drivers.table["quadrant"]],
    )
    left, right = st.columns([1.2, 1])
    view.chart(charts.quadrant_chart(table, chart_texts), container=left, width="stretch", key="drivers_chart")
    right.dataframe(
        pd.DataFrame(
            {
                tr("col.rank"): table["rank"],
                tr("chart.driver"): table["label"],
                tr("col.importance"): [fmt.pct(s, 0) for s in table["share"]],
                tr("col.ci"): [
                    f"{fmt.pct(lo / drivers.r2, 0)} – {fmt.pct(hi / drivers.r2, 0)}"
                    for lo, hi in zip(table["ci_low"], table["ci_high"])
                ],
                tr("col.performance"): table["performance"].round(1),
                tr("col.quadrant"): table["quadrant_label"],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    st.caption(
        tr(
            "drivers.caption",
            survey=plain(survey_names.get(board.drivers_survey, "")),
            n=fmt.count(drivers.n),
            r2=fmt.number(drivers.r2),
        )
    )
    if "repeated_fault" in set(drivers.table["driver"]):
        st.caption(tr("drivers.repeated"))
    for warning in drivers.caveats(lang(), names=dict(zip(table["driver"], table["label"]))):
        st.caption(f"⚠ {warning}")

# ---------------------------------------------------------------- export
st.subheader(tr("exec.export"))
left, right = st.columns(2)
left.download_button(
    tr("export.csv"),
    lambda: report_export.csv_bytes(board, language, survey_names=survey_names),
    file_name=f"executive-{start}-{end}.csv",
    mime="text/csv",
    key="export_csv",
    icon=":material/table:",
)
right.download_button(
    tr("export.pdf"),
    lambda: report_export.pdf_bytes(board, language, survey_names=survey_names),
    file_name=f"executive-{start}-{end}.pdf",
    mime="application/pdf",
    key="export_pdf",
    icon=":material/picture_as_pdf:",
)
if not report_export.cjk_font_available():
    right.caption(tr("export.font_note"))
st.caption(tr("exec.unweighted_note"))
