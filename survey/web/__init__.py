"""Plain HTTP routes served beside the Streamlit UI by ``st.App``: health, respondent pages.

Starlette only: no Streamlit here (docs/ARCHITECTURE.md, import rules), so a customer's phone gets a few
kilobytes of HTML instead of megabytes of script.
"""
