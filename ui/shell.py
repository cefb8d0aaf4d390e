"""The staff app's frame: database readiness, language, login, per-role navigation."""

from __future__ import annotations

import html
from pathlib import Path

import streamlit as st

from survey import bootstrap
from ui.outage import DATABASE_DOWN, database_unavailable
from ui.registry import pages_for
from ui.session import (
    checked_for_this_run,
    current_user,
    lang,
    language_switch,
    login_form,
    sign_out,
    signed_in_by_cookie,
    tr,
)
from ui.text import plain

# A plain form: the browser posts it to /logout, which ends the session and clears the cookie.
LOGOUT_FORM = (
    '<form method="post" action="/logout"><button type="submit" style="font:inherit;cursor:pointer;'
    "padding:.25rem .75rem;border:1px solid rgba(49,51,63,.2);border-radius:.5rem;"
    'background:transparent;color:inherit">{label}</button></form>'
)

# Served by the app itself: a ":material/..." page icon makes every browser fetch the favicon
# from a public CDN, and an on-premises install must make no outbound call.
ICON = Path(__file__).with_name("icon.png")


def run() -> None:
    st.set_page_config(page_title=tr("app.title"), page_icon=str(ICON), layout="wide")
    try:
        bootstrap.prepare()
        user = current_user()
        language_switch()
        if user is None:
            st.navigation(
                [st.Page(login_page, title=tr("login.title"), icon=":material/login:")], position="hidden"
            ).run()
            return
        sections: dict[str, list] = {}
        for spec in pages_for(user.role):
            sections.setdefault(tr(spec.section), []).append(
                st.Page(
                    spec.path, title=tr(spec.title_key), icon=spec.icon, url_path=spec.url_path, default=spec.default
                )
            )
        page = st.navigation(sections)
        with st.sidebar:
            st.caption(tr("app.signed_in_as", name=plain(user.display_name), role=tr(f"role.{user.role}")))
            sign_out_control()
        with checked_for_this_run(user):
            page.run()
    except DATABASE_DOWN as exc:
        database_unavailable(exc, lang())


def sign_out_control() -> None:
    """A browser signed in through /login signs out with a POST to /logout, which also clears its
    cookie; a session started by this app's own sign-in form ends with a button."""
    if signed_in_by_cookie():
        st.html(LOGOUT_FORM.format(label=html.escape(tr("app.logout"))))
    else:
        st.button(tr("app.logout"), key="logout", icon=":material/logout:", on_click=sign_out)


def login_page() -> None:
    st.title(tr("app.title"))
    st.caption(tr("app.tagline"))
    login_form()
