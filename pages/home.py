"""Home: each role's figures for this month, straight from the database."""

import altair as alt
import pandas as pd
import streamlit as st

from survey import overview
from survey.core.i18n import label
from ui.format import count, local_time, pct, points
from ui.insight import chart as draw_chart
from ui.session import lang, require_page, tr
from ui.text import plain

user = require_page(__file__)
st.title(tr("home.welcome", name=plain(user.display_name)))
today = overview.local_today()
month = overview.Period.month_to_date(today)


def quality_figures() -> None:
    figures = overview.quality_figures(month)
    rate = figures.response_rate
    cols = st.columns(4)
    cols[0].metric(
        tr("home.responses_month"),
        count(figures.responses),
        delta=figures.responses - figures.responses_last_month,
        help=tr("home.vs_last_month", n=count(figures.responses_last_month)),
    )
    cols[1].metric(
        tr("home.response_rate"),
        pct(rate.estimate),
        help=tr(
            "home.response_rate_help",
            completed=rate.successes,
            delivered=rate.n,
            low=pct(rate.ci_low),
            high=pct(rate.ci_high),
        ),
    )
    cols[2].metric(
        tr("home.open_cases"), count(figures.open_cases), help=tr("home.overdue_cases", n=figures.overdue_cases)
    )
    cols[3].metric(
        tr("home.sending_campaigns"),
        count(figures.sending_campaigns),
        help=tr("home.queued_invitations", n=figures.queued_invitations),
    )
    st.caption(f"{tr('home.live_surveys')}: {figures.live_surveys}")


def executive_figures() -> None:
    figures = overview.executive_figures(month)
    csat, nps = figures.csat, figures.nps
    cols = st.columns(3)
    cols[0].metric(
        tr("home.csat_month"),
        pct(csat.estimate),
        help=tr("home.csat_help", n=csat.n, low=pct(csat.ci_low), high=pct(csat.ci_high)),
    )
    cols[1].metric(
        tr("home.nps_month"),
        points(nps.estimate),
        help=tr("home.nps_help", n=nps.n, low=points(nps.ci_low), high=points(nps.ci_high)),
    )
    cols[2].metric(tr("home.vip_responses"), count(figures.vip_responses))
    st.caption(f"n = {count(csat.n)} · 95% CI {pct(csat.ci_low)}–{pct(csat.ci_high)}")


def agent_figures() -> None:
    figures = overview.agent_figures(month, user.id)
    cols = st.columns(3)
    cols[0].metric(tr("home.phone_queue"), count(figures.phone_queue))
    cols[1].metric(
        tr("home.my_cases"), count(figures.open_cases), help=tr("home.overdue_cases", n=figures.overdue_cases)
    )
    cols[2].metric(tr("home.my_responses"), count(figures.responses))


def admin_figures() -> None:
    figures = overview.admin_figures()
    by_role = figures.users_by_role
    cols = st.columns(3)
    cols[0].metric(
        tr("home.users"),
        count(sum(by_role.values())),
        help=", ".join(f"{label('role', r, lang())}: {n}" for r, n in sorted(by_role.items())),
    )
    cols[1].metric(tr("home.responses_total"), count(figures.total_responses))
    cols[2].metric(
        tr("home.database"), figures.database_kind, help=tr("home.schema", revision=", ".join(figures.schema_revisions))
    )
    if figures.recent_activity:
        st.subheader(tr("home.recent_activity"))
        st.dataframe(
            pd.DataFrame(
                [
                    {tr("audit.when"): local_time(e.at), tr("audit.who"): e.username, tr("audit.action"): e.action}
                    for e in figures.recent_activity
                ]
            ),
            hide_index=True,
            width="stretch",
        )


def daily_chart() -> None:
    data = pd.DataFrame(overview.recent_daily_responses(today), columns=["day", "n"])
    st.subheader(tr("home.recent_responses"))
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("day:T", title=tr("home.date")),
            y=alt.Y("n:Q", title=tr("home.count")),
            tooltip=[alt.Tooltip("day:T", title=tr("home.date")), alt.Tooltip("n:Q", title=tr("home.count"))],
        )
    )
    draw_chart(chart, width="stretch")


FIGURES = {"quality": quality_figures, "executive": executive_figures, "agent": agent_figures, "admin": admin_figures}

FIGURES[user.role]()
if user.role in ("quality", "executive"):
    daily_chart()
