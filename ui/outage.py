"""The staff app while the database cannot be reached: a polite notice, not a traceback.

The frame (ui/shell.py) and ``require_page`` (a page run on its own) both end their run here
when the database is down; the retry button reruns, and the tab works again once the database is
back, still signed in. What went wrong goes to the log in one line, not to the screen (it names
the database host and user).
"""

from __future__ import annotations

import logging
from typing import NoReturn

import streamlit as st
from sqlalchemy.exc import OperationalError

from survey.core import db as database
from survey.core.i18n import t

log = logging.getLogger(__name__)

DATABASE_DOWN = (database.DatabaseError, OperationalError)


def database_unavailable(exc: Exception, lang: str) -> NoReturn:
    log.warning("staff app: database unavailable: %s", database.unavailable_reason(exc))
    st.warning(t("app.unavailable", lang), icon=":material/cloud_off:")
    st.button(t("app.retry", lang), key="database_retry", icon=":material/refresh:")
    st.stop()
