"""Audit log (admin): who changed surveys, sent campaigns, exported data or changed users."""

import pandas as pd
import streamlit as st

from survey.core import audit
from survey.core import db as database
from ui.session import require_page, tr

require_page(__file__)
st.title(tr("page.audit"))

with database.session() as db:
    actions = audit.known_actions(db)
    usernames = audit.known_usernames(db)
left, right = st.columns(2)
action = left.selectbox(tr("audit.filter_action"), [""] + actions, key="audit_action")
username = right.selectbox(tr("audit.filter_user"), [""] + usernames, key="audit_user")
with database.session() as db:
    rows = audit.entries(db, action=action or None, username=username or None)
if not rows:
    st.info(tr("audit.empty"))
else:
    table = pd.DataFrame([{
        tr("audit.when"): e.at, tr("audit.who"): e.username, tr("audit.action"): e.action,
        tr("audit.entity"): f"{e.entity} {e.entity_id or ''}".strip(), tr("audit.detail"): str(e.detail or ""),
    } for e in rows])
    st.dataframe(table, hide_index=True, width="stretch")
    st.download_button(tr("audit.download"), table.to_csv(index=False).encode("utf-8-sig"),
                       file_name="audit_log.csv", mime="text/csv", key="audit_download")
