"""Streamlit helpers shared by the staff pages: session, login, navigation, formatting.

Pages stay thin: they read widgets, call survey/ and stats/, and draw.
"""
