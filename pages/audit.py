"""Audit log (admin): who changed surveys, sent campaigns, exported data or changed users."""

import pandas as pd
import streamlit as st

from survey.accounts import service as accounts
from survey.core.tabular import dataframe_csv
from ui.session import require_page, tr

require_page(__file__)
st.title(tr("page.audit"))

choices = accounts.audit_choices()
left, right = st.columns(2)
action = left.selectbox(tr("audit.filter_action"), ["", *choices.actions], key="audit_action")
username = right.selectbox(tr("audit.filter_user"), ["", *choices.usernames], key="audit_user")
rows = accounts.audit_log(action=action or None, username=username or None)
if not rows:
    st.info(tr("audit.empty"))
else:
    table = pd.DataFrame([{
        tr("audit.when"): e.at, tr("audit.who"): e.username, tr("audit.action"): e.action,
        tr("audit.entity"): f"{e.entity} {e.entity_id or ''}".strip(), tr("audit.detail"): str(e.detail or ""),
    } for e in rows])
    st.dataframe(table, hide_index=True, width="stretch")
    st.download_button(tr("audit.download"), dataframe_csv(table),
                       file_name="audit_log.csv", mime="text/csv", key="audit_download")
