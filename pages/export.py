"""Export responses as CSV or Excel with the dashboard's filters (executives get phone numbers
masked); every export is in the audit log."""

from datetime import timedelta

import streamlit as st

from survey.core.errors import SurveyError
from survey.core.filters import filter_choices
from survey.core.vocab import Role
from survey.overview import local_today
from survey.privacy.service import EXPORT_FORMATS, export_responses
from ui import feedback
from ui.filters import filter_row, period_input
from ui.session import require_page, tr
from ui.text import plain

user = require_page(__file__)
st.title(tr("export.page"))
READY_KEY = "export_ready"
MIME = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}

choices = filter_choices()
today = local_today()
with st.form("export_form"):
    top = st.columns(2)
    period = period_input(tr("cases.period"), (today - timedelta(days=29), today), "export_period", container=top[0])
    file_format = top[1].radio(
        tr("export.format"),
        EXPORT_FORMATS,
        key="export_format",
        horizontal=True,
        format_func=lambda f: tr(f"export.format_{f}"),
    )
    filters = filter_row("export", choices, period)
    with_contact = st.checkbox(
        tr("export.with_contact"),
        key="export_contact",
        help=tr("export.masked_help") if user.role == Role.EXECUTIVE else None,
    )
    prepare = st.form_submit_button(tr("export.prepare"), key="export_prepare", type="primary")

if prepare:
    if filters is None:
        st.error(tr("cases.pick_period"))
        st.stop()
    try:
        with st.spinner(tr("export.working")):
            st.session_state[READY_KEY] = export_responses(user.id, filters, file_format, with_contact=with_contact)
    except SurveyError as exc:  # e.g. more rows than Excel holds: the message says what to do
        st.session_state.pop(READY_KEY, None)
        st.error(plain(feedback.refusal_text(exc)))

if READY_KEY in st.session_state:
    ready = st.session_state[READY_KEY]
    st.success(tr("export.ready", rows=ready.rows))
    st.download_button(
        tr("export.download", name=ready.name),
        ready.data,
        file_name=ready.name,
        mime=MIME[ready.file_format],
        key="export_download",
    )
