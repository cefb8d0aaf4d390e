"""The survey domain: models, database, design, distribution, collection, metrics, cases.

Never imports streamlit (DESIGN.md layers).
"""
