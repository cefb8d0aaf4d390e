"""`survey link --survey CODE --customer EXTERNAL_ID [--lang zh-CN|en]`: the contract."""

import re
import subprocess
import sys

from click.testing import CliRunner
from sqlmodel import select

from survey.cli import main
from survey.core import db as database
from survey.models import Campaign, Invitation
from tests.respondent_support import answer, client, customer, published

LINK = re.compile(r"^(?P<base>.+)/s/(?P<token>[A-Za-z0-9_-]{22})$")


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def make_customer(language="zh-CN"):
    with database.session() as db:
        published(db)
        customer(db, "C42", language=language)


def test_prints_a_personal_link_on_the_configured_base_address(db_url, monkeypatch):
    make_customer()
    monkeypatch.setenv("SURVEY_BASE_URL", "https://survey.example.cn/")
    result = run("link", "--survey", "repair-revisit", "--customer", "C42", "--lang", "en")
    assert result.exit_code == 0, result.output
    found = LINK.match(result.output.strip())
    assert found and found["base"] == "https://survey.example.cn"
    assert len(result.output.strip()) <= 70  # a link and a short message fit one SMS
    with database.session() as db:
        invitation = db.exec(select(Invitation).where(Invitation.token == found["token"])).one()
        campaign = db.get(Campaign, invitation.campaign_id)
    assert (invitation.language, invitation.status, campaign.name) == ("en", "sent", "Ad-hoc links")
    page = client().get(f"/s/{found['token']}")
    assert page.status_code == 200 and 'lang="en"' in page.text


def test_the_default_base_and_language_and_one_campaign_for_all_ad_hoc_links(db_url):
    make_customer(language="en")
    first = run("link", "--survey", "repair-revisit", "--customer", "C42")
    second = run("link", "--survey", "repair-revisit", "--customer", "C42", "--event", "T-C42")
    assert first.output.startswith("http://localhost:8501/s/") and first.output != second.output
    with database.session() as db:
        invitations = db.exec(select(Invitation)).all()
        assert len(db.exec(select(Campaign)).all()) == 1
    assert [i.language for i in invitations] == ["en", "en"] and invitations[1].event_id is not None


def test_the_printed_link_answers_by_form_post(db_url):
    make_customer()
    token = LINK.match(run("link", "--survey", "repair-revisit", "--customer", "C42").output.strip())["token"]
    browser = client()
    done = answer(
        browser,
        f"/s/{token}",
        browser.get(f"/s/{token}").text,
        {"overall": "4", "fault_repair": "4", "staff_attitude": "4", "resolved": "1", "nps": "8"},
    )
    assert "感谢您的评价" in done.text


def test_errors_are_one_line_and_a_nonzero_exit(db_url):
    make_customer()
    cases = {
        ("--survey", "nope", "--customer", "C42"): "Error: no survey with code 'nope'",
        ("--survey", "repair-revisit", "--customer", "C404"): "Error: no customer with external id 'C404'",
        (
            "--survey",
            "repair-revisit",
            "--customer",
            "C42",
            "--event",
            "T-9",
        ): "Error: customer 'C42' has no service event with ticket 'T-9'",
    }
    for args, message in cases.items():
        result = run("link", *args)
        assert result.exit_code != 0 and result.output.strip() == message
    assert run("link", "--survey", "repair-revisit", "--customer", "C42", "--lang", "fr").exit_code == 2


def test_an_unpublished_survey_gets_no_links(db_url):
    from survey.design.definitions import create_survey
    from survey.design.templates import template

    with database.session() as db:
        definition = template("hall-visit")
        definition["code"] = "draft-only"
        create_survey(db, definition)
        customer(db, "C42")
    result = run("link", "--survey", "draft-only", "--customer", "C42")
    assert result.exit_code == 1 and "has no published version; publish it first" in result.output


def test_link_is_a_command_of_the_installed_console_script():
    result = subprocess.run([sys.executable, "-m", "survey.cli", "link", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "--customer" in result.stdout and "SURVEY_BASE_URL" in result.stdout
