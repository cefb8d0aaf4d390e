"""Users (admin): accounts, roles, passwords, enabling and disabling."""

import pandas as pd
import streamlit as st

from survey.accounts import auth
from survey.core import db as database
from survey.core.i18n import LANGUAGES, label
from survey.models import User
from survey.core.vocab import Role
from ui.session import lang, require_page, tr

admin = require_page(__file__)
st.title(tr("page.users"))

with database.session() as db:
    users = auth.list_users(db)
st.dataframe(pd.DataFrame([{
    tr("users.username"): u.username, tr("users.display_name"): u.display_name,
    tr("users.role"): label("role", u.role, lang()), tr("users.team"): u.team or "",
    tr("users.active"): u.active, tr("users.last_login"): u.last_login_at,
} for u in users]), hide_index=True, width="stretch")

add_tab, manage_tab = st.tabs([tr("users.add"), tr("users.reset_password") + " / " + tr("users.toggle_active")])

with add_tab, st.form("add_user", clear_on_submit=True):
    username = st.text_input(tr("users.username"), key="new_username")
    display_name = st.text_input(tr("users.display_name"), key="new_display_name")
    role = st.selectbox(tr("users.role"), [r.value for r in Role], format_func=lambda r: label("role", r, lang()),
                        key="new_role")
    team = st.text_input(tr("users.team"), key="new_team")
    language = st.selectbox(tr("users.language"), LANGUAGES, key="new_language")
    password = st.text_input(tr("users.password"), type="password", key="new_password")
    if st.form_submit_button(tr("users.add"), key="add_user_submit", type="primary"):
        try:
            with database.session() as db:
                auth.create_user(db, username, role, password, display_name=display_name, language=language,
                                 team=team or None, actor=db.get(User, admin.id))
            st.success(tr("users.created", username=username))
            st.rerun()
        except auth.AuthError as exc:
            st.error(str(exc))

with manage_tab:
    chosen = st.selectbox(tr("users.select"), [u.username for u in users], key="manage_user")
    target = next(u for u in users if u.username == chosen)
    with st.form("reset_password", clear_on_submit=True):
        new_password = st.text_input(tr("users.new_password"), type="password", key="reset_password_value")
        if st.form_submit_button(tr("users.reset_password"), key="reset_password_submit"):
            try:
                with database.session() as db:
                    auth.set_password(db, db.get(User, target.id), new_password, actor=db.get(User, admin.id))
                st.success(tr("users.password_reset_done", username=chosen))
            except auth.AuthError as exc:
                st.error(str(exc))
    if st.button(tr("users.toggle_active"), key="toggle_active"):
        try:
            with database.session() as db:
                auth.set_active(db, db.get(User, target.id), not target.active, actor=db.get(User, admin.id))
            st.success(tr("users.deactivated" if target.active else "users.activated", username=chosen))
            st.rerun()
        except auth.AuthError as exc:
            st.error(tr("users.cannot_disable_self") if target.id == admin.id else str(exc))
