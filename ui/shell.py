"""The staff app's frame: database readiness, language, login, per-role navigation."""

from __future__ import annotations

import streamlit as st

from survey import bootstrap
from survey.core import db as database
from ui.registry import pages_for
from ui.session import current_user, language_switch, login_form, sign_out, tr


def run() -> None:
    st.set_page_config(page_title=tr("app.title"), page_icon=":material/insights:", layout="wide")
    try:
        bootstrap.prepare()
    except database.DatabaseError as exc:
        st.error(tr("app.database_error", error=exc))
        st.stop()
    language_switch()
    user = current_user()
    if user is None:
        st.navigation([st.Page(login_page, title=tr("login.title"), icon=":material/login:")],
                      position="hidden").run()
        return
    sections: dict[str, list] = {}
    for spec in pages_for(user.role):
        sections.setdefault(tr(spec.section), []).append(
            st.Page(spec.path, title=tr(spec.title_key), icon=spec.icon, url_path=spec.url_path,
                    default=spec.default))
    page = st.navigation(sections)
    with st.sidebar:
        st.caption(tr("app.signed_in_as", name=user.display_name, role=tr(f"role.{user.role}")))
        st.button(tr("app.logout"), key="logout", icon=":material/logout:", on_click=sign_out)
    page.run()


def login_page() -> None:
    st.title(tr("app.title"))
    st.caption(tr("app.tagline"))
    login_form()
