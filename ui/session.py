"""Who is signed in, in which language; login and logout.

A staff member is signed in by a server-side session (survey.accounts.sessions): the token comes
from the cookie the plain /login route set, or from a sign-in in this app session's own form,
and ``st.session_state`` keeps only the token. Every rerun checks that token against its session
row (``current_user``, one indexed lookup), so signing out in another tab, a password reset, a
disabled account and the idle and absolute limits all end an open tab at its next click.
Streamlit runs a widget's callback before the script, so before that check: a callback that
acts is wrapped in ``action``, which checks the session row first.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec

import streamlit as st

from survey.accounts import service as accounts
from survey.accounts.service import COOKIE_NAME, SignedInUser
from survey.core.clients import client_of
from survey.core.i18n import DEFAULT_LANGUAGE, LANGUAGES, normalise_language, t
from ui.outage import DATABASE_DOWN, database_unavailable
from ui.registry import spec_for

TOKEN_KEY = "staff_session_token"
USER_KEY = "signed_in_user"  # the user the frame checked, only while it runs the page
LANG_KEY = "ui_language"
LANG_WIDGET_KEY = "language_select"
LANG_CHOSEN_KEY = "ui_language_chosen"
ENDED_KEY = "staff_session_ended"  # a click came after the session had ended: say so at sign-in

P = ParamSpec("P")


def lang() -> str:
    return st.session_state.get(LANG_KEY, DEFAULT_LANGUAGE)


def tr(key: str, **fields) -> str:
    """The UI text of `key` in the session's language."""
    return t(key, lang(), **fields)


def _cookie(name: str) -> str | None:
    """A cookie the browser sent with this session's first request (none under AppTest)."""
    value = st.context.cookies.get(name)
    return value if isinstance(value, str) else None


def _session_token() -> str | None:
    """This app session's staff session: from its own sign-in, else the browser's cookie."""
    return st.session_state.get(TOKEN_KEY) or _cookie(COOKIE_NAME)


def signed_in_by_cookie() -> bool:
    """Whether this tab's session is the browser's cookie session (the one /logout ends)."""
    token = st.session_state.get(TOKEN_KEY)
    return token is not None and token == _cookie(COOKIE_NAME)


def current_user() -> SignedInUser | None:
    """The signed-in user, checked against the server-side session row now (None: show the
    sign-in page)."""
    token = _session_token()
    user = accounts.session_user(token)
    if user is None:
        st.session_state.pop(TOKEN_KEY, None)
        return None
    if TOKEN_KEY not in st.session_state:  # the first run of a tab opened with the cookie
        st.session_state[TOKEN_KEY] = token
        if not st.session_state.get(LANG_CHOSEN_KEY):
            st.session_state[LANG_KEY] = normalise_language(user.language)
    return user


def action(callback: Callable[P, None]) -> Callable[P, None]:
    """A widget callback that acts, run only while this tab's staff session is live.

    Streamlit runs ``on_click`` / ``on_change`` callbacks before the script, that is before the
    frame checks the session: a tab whose session has ended meanwhile (signed out in another
    tab, a password reset, a disabled account, the idle or absolute limit) could otherwise act
    once more. So the callback checks the session row first, the same lookup as the frame's;
    when the session has ended it does nothing, and the rerun that follows the click shows the
    sign-in page, saying why. With the database down it does nothing either: the rerun shows
    the outage notice."""

    @functools.wraps(callback)
    def checked(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            live = current_user() is not None
        except DATABASE_DOWN:
            return
        if not live:
            st.session_state[ENDED_KEY] = True
            return
        callback(*args, **kwargs)

    return checked


@contextmanager
def checked_for_this_run(user: SignedInUser) -> Iterator[None]:
    """While the frame runs a page: the user it has just checked, so that ``require_page`` need
    not look again (one session lookup per rerun). Gone when the run ends, however it ends."""
    st.session_state[USER_KEY] = user
    try:
        yield
    finally:
        st.session_state.pop(USER_KEY, None)


def _client_address() -> str:
    """The address the login throttle counts this browser under (behind trusted proxies too)."""
    headers = st.context.headers
    forwarded_for = headers.get_all("x-forwarded-for") if headers else []
    return client_of(st.context.ip_address, forwarded_for, None, "http").address


def sign_in(username: str, password: str) -> str | None:
    """Try a login; returns an error message, or None when signed in."""
    if not username.strip() or not password:
        return tr("login.missing")
    outcome = accounts.sign_in(username, password, client=_client_address(), replaces=_session_token())
    if outcome.user is None:
        return outcome.message(lang())
    st.session_state[TOKEN_KEY] = outcome.token
    if not st.session_state.get(LANG_CHOSEN_KEY):  # a choice made on the login screen wins
        st.session_state[LANG_KEY] = normalise_language(outcome.user.language)
    return None


def sign_out() -> None:
    """End this tab's staff session everywhere it is used (a session started by this app's own
    form; a cookie session is ended by the POST to /logout, which also clears the cookie)."""
    accounts.sign_out(st.session_state.pop(TOKEN_KEY, None))


def _language_chosen() -> None:
    """Switch this session's language; a signed-in user's choice is kept on their account, so
    reloads, other tabs and later sign-ins open in it."""
    chosen = st.session_state[LANG_WIDGET_KEY]
    st.session_state[LANG_KEY] = chosen
    st.session_state[LANG_CHOSEN_KEY] = True
    _redraw_choices_in_new_language()
    try:
        user = accounts.session_user(_session_token())
        if user is not None:
            accounts.set_language(user.id, chosen)
    except DATABASE_DOWN:
        pass  # the page says the database is down; the switch still holds for this session


def _redraw_choices_in_new_language() -> None:
    """A select box keeps showing its choice in the words it was drawn with (the browser holds
    that text) until the script sets its value: setting every choice to itself redraws each one
    in the new language and keeps what was chosen. Buttons, uploads, tables and charts hold no
    text or number value and are left alone (they cannot be set)."""
    for key, value in list(st.session_state.items()):
        if key != LANG_WIDGET_KEY and _is_choice(value):
            st.session_state[key] = value


def _is_choice(value) -> bool:
    def plain(item) -> bool:
        return isinstance(item, (str, int)) and not isinstance(item, bool)

    return plain(value) or (isinstance(value, (list, tuple)) and all(plain(item) for item in value))


def language_switch() -> None:
    """The sidebar language picker, showing the language in effect (draw it after the user is
    known: their saved language applies from the first run); the session's language is the one
    source of truth."""
    st.session_state[LANG_WIDGET_KEY] = lang()
    st.sidebar.selectbox(
        t("app.language", lang()),
        LANGUAGES,
        key=LANG_WIDGET_KEY,
        on_change=_language_chosen,
        format_func=lambda code: {"zh-CN": "中文", "en": "English"}[code],
    )


def login_form() -> None:
    if st.session_state.pop(ENDED_KEY, False):
        st.warning(tr("login.session_ended"))
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


def require_page(script_path: str) -> SignedInUser:
    """Call first in every page. A visitor gets the login form (and, once signed in, the
    page they asked for); a user whose role may not open the page gets a refusal.

    Takes the user the frame checked in this same run; a page that Streamlit runs without the
    frame (its pages/ folder mode, before st.navigation has first been called) checks itself."""
    try:
        user = st.session_state.get(USER_KEY) or current_user()
    except DATABASE_DOWN as exc:
        database_unavailable(exc, lang())
    if user is None:
        login_form()
        st.stop()
    if user.role not in spec_for(script_path).roles:
        st.error(tr("app.no_access"))
        st.stop()
    return user
