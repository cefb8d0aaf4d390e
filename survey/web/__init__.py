"""Plain HTTP routes served beside the Streamlit UI by ``st.App``: health, respondent pages.

Starlette only: no Streamlit here (DESIGN.md layers), so a customer's phone gets a few
kilobytes of HTML instead of megabytes of script.
"""
