"""The staff UI script (Streamlit). app.py serves it through st.App; AppTest runs it directly."""

from ui.shell import run

run()
