"""The `survey` command: the contract operators script against."""

import subprocess
import sys
import traceback

import pytest
from click.testing import CliRunner
from sqlmodel import select

from survey.cli import main
from survey.core import db as database
from survey.models import User


def run(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def test_db_upgrade_reports_the_revision(db_url):
    result = run("db", "upgrade")
    assert result.exit_code == 0
    assert "revision" in result.output


def test_user_add_with_password_from_stdin_creates_a_working_login(db_url):
    result = run("user", "add", "wang.fang", "--role", "agent", "--password-stdin", input="s3cret-pass\n")
    assert result.exit_code == 0, result.output
    from survey.accounts import auth

    with database.session() as db:
        assert auth.authenticate(db, "wang.fang", "s3cret-pass").ok
        assert db.exec(select(User.role).where(User.username == "wang.fang")).one() == "agent"


def test_user_add_prompts_for_the_password_twice(db_url):
    result = run("user", "add", "zhao.lei", "--role", "quality", input="long-password\nlong-password\n")
    assert result.exit_code == 0, result.output


def test_errors_are_one_clear_line_and_a_nonzero_exit(db_url):
    run("user", "add", "li", "--role", "agent", "--password-stdin", input="s3cret-pass\n")
    duplicate = run("user", "add", "li", "--role", "agent", "--password-stdin", input="s3cret-pass\n")
    assert duplicate.exit_code != 0
    assert duplicate.output.strip() == "Error: user 'li' already exists"
    weak = run("user", "add", "zhou", "--role", "agent", "--password-stdin", input="short\n")
    assert weak.exit_code != 0 and "at least 8 characters" in weak.output
    assert "Traceback" not in duplicate.output + weak.output


def test_unreachable_database_is_named_not_a_traceback(monkeypatch):
    monkeypatch.setenv("SURVEY_DATABASE_URL", "postgresql://postgres@127.0.0.1:1/none")
    result = run("db", "upgrade")
    assert result.exit_code != 0
    assert "cannot reach the database at postgresql" in result.output
    assert "Traceback" not in result.output


def test_malformed_database_url_is_named(monkeypatch):
    monkeypatch.setenv("SURVEY_DATABASE_URL", "not a url at all")
    result = run("db", "upgrade")
    assert result.exit_code != 0
    assert "SURVEY_DATABASE_URL is malformed" in result.output
    monkeypatch.setenv("SURVEY_DATABASE_URL", "mysql://root@localhost/x")
    assert "only sqlite and postgresql" in run("db", "upgrade").output


def test_the_console_script_is_installed(tmp_path):
    result = subprocess.run([sys.executable, "-m", "survey.cli", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "demo" in result.stdout and "user" in result.stdout


def test_a_refusal_is_one_line_and_exit_1(db_url):
    result = run("customer", "erase", "C404", "--yes")
    assert result.exit_code == 1
    assert result.output == "Error: no customer with external id 'C404'\n"


@pytest.mark.parametrize("bug", [KeyError("phone"), ValueError("not a refusal"), RuntimeError("broken")])
def test_a_bug_keeps_its_traceback_instead_of_a_one_line_error(db_url, monkeypatch, bug):
    def broken(*args, **kwargs):
        raise bug

    monkeypatch.setattr("survey.privacy.erasure.erase_customer", broken)
    result = CliRunner().invoke(main, ["customer", "erase", "C1", "--yes"])
    assert result.exception is bug  # not turned into click's one-line error
    assert "Error:" not in result.output
    assert traceback.format_exception(*result.exc_info)[-1].startswith(type(bug).__name__)
