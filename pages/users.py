"""Users (admin): accounts, roles, passwords, enabling and disabling."""

from collections.abc import Callable

import pandas as pd
import streamlit as st

from survey.accounts import service as accounts
from survey.core.i18n import LANGUAGES, label, team_label
from survey.core.vocab import Role
from ui import feedback
from ui.format import local_time
from ui.session import lang, require_page, tr

PAGE = "users"
admin = require_page(__file__)
st.title(tr("page.users"))


def act(action: Callable[[], object], done: str, *, refused: str | None = None) -> None:
    """Run an account change; what happened shows after the rerun (`refused` replaces a refusal's text)."""
    try:
        action()
    except accounts.AuthError as exc:
        if refused:
            feedback.error(PAGE, refused)
        else:
            feedback.refused(PAGE, exc)
    else:
        feedback.success(PAGE, done)
    st.rerun()


NEW_USER_FIELDS = ("new_username", "new_display_name", "new_role", "new_team", "new_language", "new_password")


def add_user(username: str, role: str | None, password: str, display_name: str, language: str, team: str) -> None:
    """Create the account; a refusal keeps what was typed, success empties the form for the next."""
    if role is None:
        feedback.error(PAGE, tr("users.choose_role"))
        return
    try:
        accounts.add_user(
            admin.id, username, role, password, display_name=display_name, language=language, team=team or None
        )
    except accounts.AuthError as exc:
        feedback.refused(PAGE, exc)
        return
    feedback.success(PAGE, tr("users.created", username=username.strip()))
    for key in NEW_USER_FIELDS:  # widgets keep their values across reruns unless removed
        st.session_state.pop(key, None)


feedback.show(PAGE)
users = accounts.list_users()
st.dataframe(
    pd.DataFrame(
        [
            {
                tr("users.username"): u.username,
                tr("users.display_name"): u.display_name,
                tr("users.role"): label("role", u.role, lang()),
                tr("users.team"): team_label(u.team, lang()),
                tr("users.active"): u.active,
                tr("users.last_login"): local_time(u.last_login_at, never=tr("words.never")),
            }
            for u in users
        ]
    ),
    hide_index=True,
    width="stretch",
)

add_tab, manage_tab = st.tabs([tr("users.add"), tr("users.reset_password") + " / " + tr("users.toggle_active")])

with add_tab, st.form("add_user"):
    username = st.text_input(tr("users.username"), key="new_username")
    display_name = st.text_input(tr("users.display_name"), key="new_display_name")
    # No default role: an admin account made by a missed click is the most dangerous mistake here.
    role = st.selectbox(
        tr("users.role"),
        [r.value for r in Role],
        index=None,
        placeholder=tr("users.role_placeholder"),
        format_func=lambda r: label("role", r, lang()),
        key="new_role",
    )
    team = st.text_input(tr("users.team"), key="new_team")
    language = st.selectbox(
        tr("users.language"),
        LANGUAGES,
        key="new_language",
        format_func=lambda code: {"zh-CN": "中文", "en": "English"}[code],
    )
    password = st.text_input(tr("users.password"), type="password", key="new_password")
    if st.form_submit_button(tr("users.add"), key="add_user_submit", type="primary"):
        add_user(username, role, password, display_name, language, team)
        st.rerun()

with manage_tab:
    chosen = st.selectbox(tr("users.select"), [u.username for u in users], key="manage_user")
    target = next(u for u in users if u.username == chosen)
    with st.form("reset_password", clear_on_submit=True):
        new_password = st.text_input(tr("users.new_password"), type="password", key="reset_password_value")
        if st.form_submit_button(tr("users.reset_password"), key="reset_password_submit"):
            act(
                lambda: accounts.reset_password(admin.id, target.id, new_password),
                tr("users.password_reset_done", username=chosen),
            )
    if st.button(tr("users.toggle_active"), key="toggle_active"):
        act(
            lambda: accounts.set_active(admin.id, target.id, not target.active),
            tr("users.deactivated" if target.active else "users.activated", username=chosen),
            refused=tr("users.cannot_disable_self") if target.id == admin.id else None,
        )
