"""Entry point: `streamlit run app.py` serves the staff UI and the plain respondent routes."""

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from survey.web.app import lifespan, middleware, prepare_or_exit, routes

# The staff UI builds its navigation per role (ui/shell.py, st.navigation). Without this,
# Streamlit treats the pages/ folder as its legacy multipage mode until some session first
# opens "/": a deep link such as /jobs then runs pages/jobs.py alone, with every page's file
# name in the sidebar and no language switch or sign-out.
PagesManager.uses_pages_directory = False

prepare_or_exit()
app = st.App("staff_app.py", routes=routes(), middleware=middleware(), lifespan=lifespan)
