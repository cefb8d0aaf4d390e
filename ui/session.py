"""Who is signed in, in which language; login and logout.

Login state lives in ``st.session_state`` (one browser session) and is re-checked against the
database on every run, so disabling a user ends their session at their next click.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from survey.accounts import auth

from survey.accounts import sessions as staff_sessions
from survey.core import db as database
from survey.core.i18n import DEFAULT_LANGUAGE, LANGUAGES, normalise_language, t
from survey.models import User
from ui.registry import spec_for

USER_KEY = "signed_in_user"
LANG_KEY = "ui_language"
LANG_WIDGET_KEY = "language_select"
LANG_CHOSEN_KEY = "ui_language_chosen"


@dataclass(frozen=True)
class SessionUser:
    id: int
    username: str
    display_name: str
    role: str
    language: str

    @classmethod
    def of(cls, user: User) -> SessionUser:
        return cls(user.id, user.username, user.display_name or user.username, user.role, user.language)


def lang() -> str:
    return st.session_state.get(LANG_KEY, DEFAULT_LANGUAGE)


def tr(key: str, **fields) -> str:
    """The UI text of `key` in the session's language."""
    return t(key, lang(), **fields)


def _cookie(name: str) -> str | None:
    """A cookie the browser sent with this session's first request (none under AppTest)."""
    value = st.context.cookies.get(name)
    return value if isinstance(value, str) else None


def _session_cookie() -> str | None:
    """The staff session token set by the plain /login route."""
    return _cookie(staff_sessions.COOKIE_NAME)


def current_user() -> SessionUser | None:
    """The signed-in user, checked against the database on every run: a browser session from
    the /login cookie (survives reloads), or a sign-in made in this app session's own form."""
    token = _session_cookie()
    with database.session() as db:
        if token and (from_cookie := staff_sessions.resolve(db, token)) is not None:
            user = SessionUser.of(from_cookie)
            if USER_KEY not in st.session_state and not st.session_state.get(LANG_CHOSEN_KEY):
                chosen_at_login = _cookie(staff_sessions.LANGUAGE_COOKIE)
                st.session_state[LANG_KEY] = normalise_language(chosen_at_login or user.language)
            st.session_state[USER_KEY] = user
            return user
        user = st.session_state.get(USER_KEY)
        if user is None:
            return None
        stored = db.get(User, user.id)
        if stored is None or not stored.active or stored.role != user.role:
            st.session_state.pop(USER_KEY, None)
            return None
    return user


def sign_in(username: str, password: str) -> str | None:
    """Try a login; returns an error message, or None when signed in."""
    if not username.strip() or not password:
        return tr("login.missing")
    with database.session() as db:
        result = auth.authenticate(db, username, password)
        if result.ok:
            st.session_state[USER_KEY] = SessionUser.of(result.user)
            if not st.session_state.get(LANG_CHOSEN_KEY):   # a choice made on the login screen wins
                st.session_state[LANG_KEY] = normalise_language(result.user.language)
            return None
    if result.error == "locked":
        return tr("login.locked", seconds=result.retry_after_seconds)
    if result.error == "inactive":
        return tr("login.inactive")
    return tr("login.invalid")


def sign_out() -> None:
    """End this app session and the browser's cookie session (everywhere it is used)."""
    with database.session() as db:
        staff_sessions.revoke(db, _session_cookie())
    st.session_state.pop(USER_KEY, None)


def _language_chosen() -> None:
    st.session_state[LANG_KEY] = st.session_state[LANG_WIDGET_KEY]
    st.session_state[LANG_CHOSEN_KEY] = True


def language_switch() -> None:
    """The sidebar language picker; the session's language is the one source of truth."""
    st.session_state[LANG_WIDGET_KEY] = lang()
    st.sidebar.selectbox(
        t("app.language", lang()), LANGUAGES, key=LANG_WIDGET_KEY, on_change=_language_chosen,
        format_func=lambda code: {"zh-CN": "中文", "en": "English"}[code],
    )


def login_form() -> None:
    with st.form("login"):
        st.subheader(tr("login.title"))
        username = st.text_input(tr("login.username"), key="login_username")
        password = st.text_input(tr("login.password"), type="password", key="login_password")
        submitted = st.form_submit_button(tr("login.submit"), key="login_submit", type="primary")
    if submitted:
        error = sign_in(username, password)
        if error:
            st.error(error)
        else:
            st.rerun()


def require_page(script_path: str) -> SessionUser:
    """Call first in every page. A visitor gets the login form (and, once signed in, the
    page they asked for); a user whose role may not open the page gets a refusal."""
    user = current_user()
    if user is None:
        login_form()
        st.stop()
    if user.role not in spec_for(script_path).roles:
        st.error(tr("app.no_access"))
        st.stop()
    return user
