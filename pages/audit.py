"""Audit log (admin): who changed surveys, sent campaigns, exported data or changed users; read
in words and local time, filtered by dates, person and action."""

from datetime import timedelta

import pandas as pd
import streamlit as st

from survey.accounts import service as accounts
from survey.core.audit import action_text, detail_text, entity_text
from survey.core.tabular import dataframe_csv
from survey.overview import local_today
from ui.format import local_time
from ui.session import lang, require_page, tr

require_page(__file__)
st.title(tr("page.audit"))
RECENT_DAYS = 30

choices = accounts.audit_choices()
today = local_today()
period, person, kind = st.columns([2, 1, 1])
picked = period.date_input(
    tr("audit.filter_period"),
    (today - timedelta(days=RECENT_DAYS - 1), today),
    key="audit_period",
    max_value=today + timedelta(days=1),
)
username = person.selectbox(
    tr("audit.filter_user"), ["", *choices.usernames], key="audit_user", format_func=lambda u: u or tr("audit.any")
)
action = kind.selectbox(
    tr("audit.filter_action"),
    ["", *choices.actions],
    key="audit_action",
    format_func=lambda a: action_text(a, lang()) if a else tr("audit.any"),
)
start, end = (
    picked
    if isinstance(picked, tuple) and len(picked) == 2
    else (picked[0], picked[0])
    if isinstance(picked, tuple) and picked
    else (None, None)
)
rows = accounts.audit_log(action=action or None, username=username or None, start=start, end=end)
if not rows:
    st.info(tr("audit.empty"))
else:
    table = pd.DataFrame(
        [
            {
                tr("audit.when"): local_time(e.at),
                tr("audit.who"): e.username,
                tr("audit.action"): action_text(e.action, lang()),
                tr("audit.entity"): entity_text(e.entity, e.entity_id, lang()),
                tr("audit.detail"): detail_text(e.detail, lang()),
            }
            for e in rows
        ]
    )
    st.dataframe(table, hide_index=True, width="stretch")
    st.download_button(
        tr("audit.download"), dataframe_csv(table), file_name="audit_log.csv", mime="text/csv", key="audit_download"
    )
