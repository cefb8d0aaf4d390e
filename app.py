"""Entry point: `streamlit run app.py` serves the staff UI and the plain respondent routes."""

import streamlit as st

from survey.web.app import lifespan, middleware, prepare_or_exit, routes

prepare_or_exit()
app = st.App("staff_app.py", routes=routes(), middleware=middleware(), lifespan=lifespan)
