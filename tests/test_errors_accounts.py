"""Account refusals reach a Chinese-speaking admin in Chinese; the CLI keeps its English."""

import pytest

from survey.accounts import auth
from survey.accounts import service as accounts
from survey.accounts.auth import AuthError
from survey.core import db as database


def test_a_taken_username_is_refused_in_the_readers_language(db_url):
    with database.session() as db:
        auth.create_user(db, "li.na", "quality", "correct-horse")
    with database.session() as db, pytest.raises(AuthError) as refused:
        auth.create_user(db, "li.na", "agent", "correct-horse")
    assert refused.value.text("zh-CN") == "用户“li.na”已存在。"
    assert str(refused.value) == "user 'li.na' already exists"


def test_only_admins_manage_accounts_says_so_in_chinese(db_url):
    with database.session() as db:
        quality = auth.create_user(db, "wang.fang", "quality", "correct-horse")
        agent = auth.create_user(db, "zhao.lei", "agent", "correct-horse")
        quality_id, agent_id = quality.id, agent.id
    with pytest.raises(AuthError) as refused:
        accounts.set_active(quality_id, agent_id, False)
    assert refused.value.text("zh-CN") == "只有管理员可以管理员工账号。"
    assert str(refused.value) == "only admins manage staff accounts"


def test_a_short_password_names_the_minimum_in_both_languages():
    with pytest.raises(AuthError) as refused:
        auth.check_password_strength("short")
    assert refused.value.text("zh-CN") == f"密码至少需要 {auth.MIN_PASSWORD_LENGTH} 个字符。"
    assert str(refused.value) == f"password must be at least {auth.MIN_PASSWORD_LENGTH} characters"
