"""The survey domain, one package per capability; docs/ARCHITECTURE.md has the map and the import rules.

Never imports streamlit: pages call each package's ``service`` module.
"""
