"""Helpers for AppTest runs of the staff app: open it, sign in, go to a page.

Streamlit's caches live in the test process and outlive a test: conftest's autouse fixture
``_clear_streamlit_caches`` starts each test with none.
"""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.support import PROJECT_ROOT

STAFF_APP = str(PROJECT_ROOT / "staff_app.py")
DEMO_LOGINS = {"admin": "admin-demo", "quality": "quality-demo", "agent": "agent-demo", "executive": "executive-demo"}


def open_app(timeout: float = 90) -> AppTest:
    at = AppTest.from_file(STAFF_APP, default_timeout=timeout)
    at.run()
    assert not at.exception, at.exception
    return at


def sign_in(at: AppTest, username: str, password: str) -> AppTest:
    """The in-app login form (AppTest has no browser to carry the session cookie)."""
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    at.button(key="login_submit").click().run()
    assert not at.exception, at.exception
    return at


def signed_in(
    username: str, password: str, page: str | None = None, *, language: str | None = None, timeout: float = 90
) -> AppTest:
    """The app after ``username`` signed in, on ``page`` when given, in ``language`` when given."""
    at = open_app(timeout)
    if language is not None:
        at.selectbox(key="language_select").select(language).run()
    sign_in(at, username, password)
    if page is not None:
        at.switch_page(page).run()
        assert not at.exception, at.exception
    return at
