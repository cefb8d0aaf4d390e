"""Export responses as CSV or Excel with the dashboard's filters (executives get phone numbers
masked); every export is in the audit log."""

import tempfile
from datetime import timedelta
from pathlib import Path

import streamlit as st

from survey.accounts import auth
from survey.core import db as database
from survey.core.i18n import label
from survey.overview import local_today
from survey.privacy.export import FORMATS, write_export
from survey.core.filters import ResponseFilters, filter_choices
from survey.core.vocab import Role
from ui.session import lang, require_page, tr

user = require_page(__file__)
st.title(tr("export.page"))
READY_KEY = "export_ready"
MIME = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}

with database.session() as db:
    choices = filter_choices(db)
today = local_today()
with st.form("export_form"):
    top = st.columns(2)
    picked = top[0].date_input(tr("cases.period"), (today - timedelta(days=29), today), key="export_period")
    fmt = top[1].radio(tr("export.format"), FORMATS, key="export_format", horizontal=True,
                       format_func=lambda f: tr(f"export.format_{f}"))
    cols = st.columns(4)
    surveys = cols[0].multiselect(tr("themes.surveys"), [i for i, _ in choices["surveys"]], placeholder=tr("app.choose_filter"), key="export_surveys",
                                  format_func=dict(choices["surveys"]).get)
    regions = cols[1].multiselect(tr("themes.regions"), choices["regions"], placeholder=tr("app.choose_filter"), key="export_regions")
    touch_points = cols[2].multiselect(tr("themes.touch_points"), choices["touch_points"], placeholder=tr("app.choose_filter"), key="export_touch_points",
                                       format_func=lambda t: label("touch_point", t, lang()))
    tiers = cols[3].multiselect(tr("themes.tiers"), choices["tiers"], placeholder=tr("app.choose_filter"), key="export_tiers",
                                format_func=lambda t: label("tier", t, lang()))
    with_contact = st.checkbox(tr("export.with_contact"), key="export_contact",
                               help=tr("export.masked_help") if user.role == Role.EXECUTIVE else None)
    prepare = st.form_submit_button(tr("export.prepare"), key="export_prepare", type="primary")

if prepare:
    if not isinstance(picked, tuple) or len(picked) != 2:
        st.error(tr("cases.pick_period"))
        st.stop()
    filters = ResponseFilters(picked[0], picked[1], tuple(surveys), tuple(regions), tuple(touch_points), tuple(tiers))
    folder = Path(tempfile.mkdtemp(prefix="survey-export-"))
    out = folder / f"responses_{picked[0]}_{picked[1]}.{fmt}"
    with st.spinner(tr("export.working")), database.session() as db:
        rows = write_export(db, filters, out, fmt, actor=auth.acting_user(db, user.id), role=user.role,
                            with_contact=with_contact)
    st.session_state[READY_KEY] = (out.name, out.read_bytes(), fmt, rows)
    out.unlink()
    folder.rmdir()

if READY_KEY in st.session_state:
    name, data, fmt, rows = st.session_state[READY_KEY]
    st.success(tr("export.ready", rows=rows))
    st.download_button(tr("export.download", name=name), data, file_name=name, mime=MIME[fmt], key="export_download")
