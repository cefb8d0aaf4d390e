"""Staff UI through streamlit.testing (AppTest): login, per-role navigation, refusal without login."""

import pytest
from sqlmodel import func, select
from streamlit.testing.v1 import AppTest

from survey.accounts import auth
from survey.core import db as database
from survey.models import Response, User
from tests.apptest_support import DEMO_LOGINS, open_app, sign_in

ADMIN_PAGES = ("pages/users.py", "pages/audit.py")


def responses_this_month() -> int:
    from survey import overview

    with database.session() as db:
        first = overview.local_today().replace(day=1)
        return db.exec(select(func.count(Response.id)).where(Response.answered_on >= first)).one()


def can_open(at: AppTest, page: str) -> bool:
    try:
        at.switch_page(page).run()
    except ValueError:  # not among this run's navigation pages
        return False
    return not at.error


def test_visitor_sees_only_the_login_form(db_url):
    at = open_app()
    assert at.text_input(key="login_password")
    assert not at.metric
    for page in ("pages/home.py", *ADMIN_PAGES):
        with pytest.raises(ValueError):
            at.switch_page(page)


def test_wrong_password_is_refused_with_a_message(demo_url):
    at = sign_in(open_app(), "executive", "not-the-password")
    assert at.error and at.text_input(key="login_password")
    assert not at.metric


@pytest.mark.parametrize("role", ["admin", "quality", "agent", "executive"])
def test_each_role_gets_a_home_with_real_figures_and_only_its_pages(demo_url, role):
    at = sign_in(open_app(), role, DEMO_LOGINS[role])
    assert at.title[0].value.startswith("欢迎")
    figures = {m.label: m.value for m in at.metric}
    assert len(figures) >= 3
    if role == "quality":
        assert int(figures["本月回收问卷"].replace(",", "")) == responses_this_month() > 0
    if role == "executive":
        assert figures["本月满意度 (CSAT)"].endswith("%")
        assert "95%" in next(m.help for m in at.metric if m.label == "本月满意度 (CSAT)")
    if role == "admin":
        assert figures["累计回收问卷"] == "30,000"
    for page in ADMIN_PAGES:
        assert can_open(at, page) == (role == "admin")


def test_logout_returns_to_the_login_form(demo_url):
    at = sign_in(open_app(), "quality", "quality-demo")
    at.button(key="logout").click().run()
    assert at.text_input(key="login_password") and not at.metric


def test_repeated_failures_are_slowed_down(db_url):
    with database.session() as db:
        auth.create_user(db, "zhang.wei", "quality", "right-password")
    at = open_app()
    for _ in range(auth.FREE_ATTEMPTS + 1):
        sign_in(at, "zhang.wei", "wrong-password")
    message = at.error[0].value
    assert "秒后重试" in message
    sign_in(at, "zhang.wei", "right-password")
    assert at.text_input(key="login_password"), "a locked account must not sign in, even with the right password"


def test_switching_language_translates_the_ui(demo_url):
    at = open_app()
    at.selectbox(key="language_select").select("en").run()
    assert at.title[0].value == "Service Quality Surveys"
    sign_in(at, "executive", "executive-demo")  # their stored preference is zh-CN; the choice wins
    assert at.title[0].value.startswith("Welcome")
    assert "CSAT this month" in [m.label for m in at.metric]
    at.selectbox(key="language_select").select("zh-CN").run()
    assert at.title[0].value.startswith("欢迎")


def test_disabling_a_user_ends_their_session(db_url):
    with database.session() as db:
        auth.create_user(db, "admin1", "admin", "admin-password")
        auth.create_user(db, "zhao", "quality", "quality-pass")
    at = sign_in(open_app(), "zhao", "quality-pass")
    assert at.metric
    with database.session() as db:
        auth.set_active(db, db.exec(select(User).where(User.username == "zhao")).one(), False)
    at.run()
    assert at.text_input(key="login_password") and not at.metric


def test_admin_adds_a_user_who_can_then_sign_in(db_url):
    with database.session() as db:
        auth.create_user(db, "root", "admin", "admin-password")
    at = sign_in(open_app(), "root", "admin-password")
    at.switch_page("pages/users.py").run()
    at.text_input(key="new_username").input("chen.jing")
    at.selectbox(key="new_role").select("agent")
    at.text_input(key="new_password").input("agent-password")
    at.button(key="add_user_submit").click().run()
    assert not at.exception and not at.error
    assert [s.value for s in at.success] == ["已创建用户 chen.jing。"]
    with database.session() as db:
        assert auth.authenticate(db, "chen.jing", "agent-password").user.role == "agent"
    at.switch_page("pages/audit.py").run()
    assert "创建用户" in at.dataframe[0].value.to_string()


def test_admin_is_told_what_each_account_change_did_and_cannot_disable_themselves(db_url):
    with database.session() as db:
        auth.create_user(db, "root", "admin", "admin-password")
        auth.create_user(db, "zhao", "quality", "quality-pass")
    at = sign_in(open_app(), "root", "admin-password")
    at.switch_page("pages/users.py").run()
    at.selectbox(key="manage_user").select("zhao").run()
    at.text_input(key="reset_password_value").input("new-quality-pass")
    at.button(key="reset_password_submit").click().run()
    assert [s.value for s in at.success] == ["已重置 zhao 的密码。"]
    at.button(key="toggle_active").click().run()
    assert [s.value for s in at.success] == ["已停用 zhao。"]
    at.selectbox(key="manage_user").select("root").run()
    at.button(key="toggle_active").click().run()
    assert not at.exception and [e.value for e in at.error] == ["不能停用自己的账号。"]
    with database.session() as db:
        zhao = db.exec(select(User).where(User.username == "zhao")).one()
        assert not zhao.active and auth.authenticate(db, "root", "admin-password").ok
