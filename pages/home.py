"""Home: each role's figures for this month, straight from the database."""

import altair as alt
import pandas as pd
import streamlit as st

from survey.core import db as database
from survey import overview
from survey.core.i18n import label
from ui.format import count, pct, points
from ui.session import lang, require_page, tr

user = require_page(__file__)
st.title(tr("home.welcome", name=user.display_name))
today = overview.local_today()
month = overview.Period.month_to_date(today)


def quality_figures(db) -> None:
    this_month = overview.responses_between(db, month)
    last_month = overview.responses_between(db, month.previous_month_same_days())
    rate = overview.response_rate(db, month)
    open_cases, overdue = overview.open_cases(db)
    sending, queued = overview.sending_campaigns(db)
    cols = st.columns(4)
    cols[0].metric(tr("home.responses_month"), count(this_month), delta=this_month - last_month,
                   help=tr("home.vs_last_month", n=count(last_month)))
    cols[1].metric(tr("home.response_rate"), pct(rate.estimate),
                   help=tr("home.response_rate_help", completed=rate.successes, delivered=rate.n,
                           low=pct(rate.ci_low), high=pct(rate.ci_high)))
    cols[2].metric(tr("home.open_cases"), count(open_cases), help=tr("home.overdue_cases", n=overdue))
    cols[3].metric(tr("home.sending_campaigns"), count(sending), help=tr("home.queued_invitations", n=queued))
    st.caption(f"{tr('home.live_surveys')}: {overview.live_surveys(db)}")


def executive_figures(db) -> None:
    csat = overview.csat(db, month)
    nps = overview.nps(db, month)
    cols = st.columns(3)
    cols[0].metric(tr("home.csat_month"), pct(csat.estimate),
                   help=tr("home.csat_help", n=csat.n, low=pct(csat.ci_low), high=pct(csat.ci_high)))
    cols[1].metric(tr("home.nps_month"), points(nps.estimate),
                   help=tr("home.nps_help", n=nps.n, low=points(nps.ci_low), high=points(nps.ci_high)))
    cols[2].metric(tr("home.vip_responses"), count(overview.responses_between(db, month, vip_only=True)))
    st.caption(f"n = {count(csat.n)} · 95% CI {pct(csat.ci_low)}–{pct(csat.ci_high)}")


def agent_figures(db) -> None:
    mine, overdue = overview.open_cases(db, assignee_id=user.id)
    cols = st.columns(3)
    cols[0].metric(tr("home.phone_queue"), count(overview.phone_queue(db, user.id)))
    cols[1].metric(tr("home.my_cases"), count(mine), help=tr("home.overdue_cases", n=overdue))
    cols[2].metric(tr("home.my_responses"), count(overview.responses_between(db, month, agent_id=user.id)))


def admin_figures(db) -> None:
    cols = st.columns(3)
    by_role = overview.users_by_role(db)
    cols[0].metric(tr("home.users"), count(sum(by_role.values())),
                   help=", ".join(f"{label('role', r, lang())}: {n}" for r, n in sorted(by_role.items())))
    cols[1].metric(tr("home.responses_total"), count(overview.total_responses(db)))
    cols[2].metric(tr("home.database"), database.get_engine().dialect.name,
                   help=tr("home.schema", revision=", ".join(sorted(database.current_revisions()))))
    entries = overview.recent_audit(db)
    if entries:
        st.subheader(tr("home.recent_activity"))
        st.dataframe(pd.DataFrame([{tr("audit.when"): e.at, tr("audit.who"): e.username,
                                    tr("audit.action"): e.action} for e in entries]),
                     hide_index=True, width="stretch")


def daily_chart(db) -> None:
    data = pd.DataFrame(overview.daily_responses(db, today=today), columns=["day", "n"])
    st.subheader(tr("home.recent_responses"))
    chart = alt.Chart(data).mark_bar().encode(
        x=alt.X("day:T", title=tr("home.date")), y=alt.Y("n:Q", title=tr("home.count")),
        tooltip=[alt.Tooltip("day:T", title=tr("home.date")), alt.Tooltip("n:Q", title=tr("home.count"))],
    )
    st.altair_chart(chart, width="stretch")


FIGURES = {"quality": quality_figures, "executive": executive_figures, "agent": agent_figures,
           "admin": admin_figures}

with database.session() as db:
    FIGURES[user.role](db)
    if user.role in ("quality", "executive"):
        daily_chart(db)
