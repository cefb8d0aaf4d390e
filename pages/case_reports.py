"""Case reports: opened, closed and overdue by team; the cases overdue now and why they were
opened; cases by category; time to close; recovery rate; root causes by month; and a recurring
root cause turned into a draft service change."""

from datetime import date, timedelta

import altair as alt
import pandas as pd
import streamlit as st

from survey.cases import service as cases
from survey.core.i18n import label, team_label
from survey.core.vocab import Role
from survey.overview import local_today
from ui import feedback
from ui.format import count, local_time, pct, points
from ui.insight import chart as draw_chart
from ui.registry import pages_for
from ui.session import lang, require_page, tr
from ui.text import plain

PAGE = "case_reports"
user = require_page(__file__)
st.title(tr("cases.reports_page"))
CHANGES_PAGE = "pages/changes.py"


def draft_change(cause: cases.Recurring, start: date, end: date) -> None:
    try:
        change_id = cases.draft_service_change(user.id, cause, start, end)
    except cases.CaseError as exc:
        feedback.refused(PAGE, exc)
    else:
        feedback.success(PAGE, tr("cases.change_created", id=change_id))
    st.rerun()


today = local_today()
picked = st.date_input(
    tr("cases.period"), (today - timedelta(days=89), today), key="case_reports_period", max_value=today
)
if not isinstance(picked, tuple) or len(picked) != 2:
    st.info(tr("cases.pick_period"))
    st.stop()
start, end = picked

report = cases.case_report(start, end)
teams, times, recovery = report.by_team, report.close_times, report.recovery

cols = st.columns(5)
cols[0].metric(tr("cases.opened"), count(report.opened))
cols[1].metric(tr("cases.closed"), count(report.closed))
cols[2].metric(tr("cases.overdue_now"), count(report.overdue_now))
cols[3].metric(
    tr("cases.median_close"),
    tr("cases.hours", h=points(times.median_hours)),
    help=tr(
        "cases.close_help",
        n=times.n,
        p25=points(times.p25_hours),
        p75=points(times.p75_hours),
        p90=points(times.p90_hours),
        sla=pct(times.within_sla.estimate) if times.within_sla else "—",
    ),
)
rate = recovery.rate
cols[4].metric(
    tr("cases.recovery_rate"),
    pct(rate.estimate if rate else None),
    help=tr(
        "cases.recovery_help",
        recovered=recovery.recovered,
        answered=recovery.answered,
        asked=recovery.asked,
        low=pct(rate.ci_low if rate else None),
        high=pct(rate.ci_high if rate else None),
    ),
)
if rate:
    st.caption(rate.summary("zh-CN" if lang() == "zh-CN" else "en"))

st.subheader(tr("cases.by_team"))
if teams.empty:
    st.info(tr("cases.no_cases_period"))
else:
    st.dataframe(
        teams.assign(team=[team_label(t, lang()) for t in teams["team"]]).rename(
            columns={
                "team": tr("cases.team"),
                "opened": tr("cases.opened"),
                "closed": tr("cases.closed"),
                "open": tr("cases.open_now"),
                "overdue": tr("cases.overdue_now"),
                "median_hours": tr("cases.median_hours"),
            }
        ),
        hide_index=True,
        width="stretch",
    )

if report.overdue:
    st.subheader(tr("cases.overdue_list"))
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "#": r.id,
                    tr("cases.team"): team_label(r.team, lang()),
                    tr("cases.assignee"): r.assignee or tr("cases.nobody"),
                    tr("cases.due"): local_time(r.due_at),
                    tr("cases.category"): label("dimension", r.category, lang()),
                    tr("cases.reason"): cases.reason_text(r.reason, lang()),
                }
                for r in report.overdue
            ]
        ),
        hide_index=True,
        width="stretch",
    )
if not report.by_category.empty:
    st.subheader(tr("cases.opened_by_category"))
    st.dataframe(
        pd.DataFrame(
            {
                tr("cases.category"): [label("dimension", c, lang()) or "—" for c in report.by_category["category"]],
                tr("cases.case_count"): report.by_category["cases"],
            }
        ),
        hide_index=True,
        width="stretch",
    )

left, right = st.columns(2)
with left:
    st.subheader(tr("cases.time_to_close"))
    chart = (
        alt.Chart(times.distribution)
        .mark_bar()
        .encode(
            x=alt.X("bin:N", sort=list(cases.CLOSE_BIN_LABELS), title=tr("cases.time_to_close")),
            y=alt.Y("cases:Q", title=tr("cases.case_count")),
            tooltip=[alt.Tooltip("bin:N"), alt.Tooltip("cases:Q", title=tr("cases.case_count"))],
        )
    )
    draw_chart(chart, width="stretch")
with right:
    st.subheader(tr("cases.root_causes_month"))
    causes = report.root_causes
    if causes.empty:
        st.info(tr("cases.no_root_causes"))
    else:
        causes = causes.assign(
            cause=[label("dimension", c, lang()) for c in causes["root_cause"]], month=pd.to_datetime(causes["month"])
        )
        chart = (
            alt.Chart(causes)
            .mark_bar()
            .encode(
                x=alt.X("yearmonth(month):O", title=tr("cases.month")),
                y=alt.Y("cases:Q", title=tr("cases.case_count")),
                color=alt.Color("cause:N", title=tr("cases.root_cause")),
                tooltip=[
                    alt.Tooltip("yearmonth(month):O", title=tr("cases.month")),
                    alt.Tooltip("cause:N", title=tr("cases.root_cause")),
                    alt.Tooltip("cases:Q", title=tr("cases.case_count")),
                ],
            )
        )
        draw_chart(chart, width="stretch")

st.subheader(tr("cases.recurring"))
st.caption(tr("cases.recurring_help"))
changes_page = next((p.path for p in pages_for(user.role) if p.path == CHANGES_PAGE), None)
outcome = feedback.show(PAGE)
if outcome is not None and outcome.kind == "success" and changes_page:
    st.page_link(changes_page, label=tr("cases.open_changes"), icon=":material/open_in_new:")
if not report.recurring:
    st.info(tr("cases.no_recurring"))
for cause in report.recurring:
    row = st.columns([3, 2, 2])
    scope = ", ".join(
        [
            *cause.regions,
            *(label("touch_point", t, lang()) for t in cause.touch_points),
            *(label("tier", t, lang()) for t in cause.tiers),
        ]
    ) or tr("cases.scope_everywhere")
    row[0].markdown(
        f"**{label('dimension', cause.root_cause, lang())}** · "
        f"{tr('cases.recurring_line', n=cause.cases, months=cause.months)}  \n{plain(scope)}"
    )
    if cause.change_id:
        row[1].caption(tr("cases.change_drafted", id=cause.change_id))
    if user.role in (Role.QUALITY, Role.ADMIN) and row[2].button(
        tr("cases.draft_change"), key=f"case_draft_{cause.root_cause}"
    ):
        draft_change(cause, start, end)
