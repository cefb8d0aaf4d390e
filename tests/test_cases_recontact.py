"""A recontact end to end: a case is resolved, the one-question survey goes out through the real
local SMS gateway or SMTP server, the customer answers on the link page, and `survey cases run`
writes the answer onto the case."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from sqlmodel import select

from survey.cases import workflow as cases
from survey.cases.recontact import resolve
from survey.cases.rules import run_rules
from survey.cli import main
from survey.core import db as database
from survey.distribution.sending import run_queue
from survey.models import AuditLog, FollowUpCase, Invitation
from tests.cases_support import customer, repair_survey, respond, staff, user
from tests.distribution_support import SmsGatewayServer, SmtpSink, configure_channels
from tests.respondent_support import answer, client

LINK = re.compile(r"https?://\S+/s/([A-Za-z0-9_-]+)")


def resolved_with_recontact(external_id: str, **person) -> int:
    with database.session() as db:
        repair_survey(db)
        staff(db, f"agent_{external_id}", "agent", team=f"Team {external_id}")
        respond(db, *customer(db, external_id, "gold", team=f"Team {external_id}", **person), overall=1)
    run_rules()
    with database.session() as db:
        case = db.exec(select(FollowUpCase).order_by(FollowUpCase.id.desc())).first()
        agent = user(db, f"agent_{external_id}")
        cases.change_status(db, case.id, "contacted", agent, note="客户同意重新上门")
        resolve(db, case.id, agent, "fault_repair", note="更换光猫", recontact=True)
        return case.id


def answer_link(token: str, satisfied: str, question: str = "您对我们的处理结果满意吗？") -> str:
    browser = client()
    page = browser.get(f"/s/{token}")
    assert page.status_code == 200 and question in page.text
    return answer(browser, f"/s/{token}", page.text, {"handling_satisfied": satisfied}).text


def case_of(case_id: int) -> FollowUpCase:
    with database.session() as db:
        return db.get(FollowUpCase, case_id)


def test_an_sms_recontact_answered_satisfied_marks_the_case_recovered(db_url, monkeypatch):
    with SmsGatewayServer() as gateway:
        configure_channels(monkeypatch, sms=gateway)
        case_id = resolved_with_recontact("R1")
        assert run_queue().sent == 1
    (message,) = gateway.delivered
    assert message["to"] == "13912345678" and "您对处理结果满意吗" in message["text"]
    with database.session() as db:
        sent = db.exec(select(AuditLog).where(AuditLog.action == "campaign.send")).one()
        assert sent.detail["sent"] == 1 and {"case.resolved", "case.recontact_send"} <= set(
            db.exec(select(AuditLog.action)).all()
        )
    token = LINK.search(message["text"]).group(1)
    assert "感谢您的回复" in answer_link(token, "1")
    assert case_of(case_id).recovered is None  # recorded by the next run, not before
    result = CliRunner().invoke(main, ["cases", "run"])
    assert result.exit_code == 0 and "recontact answers recorded: 1" in result.output
    case = case_of(case_id)
    assert case.recovered is True and case.status == "resolved"
    with database.session() as db:
        trail = [(e.field, e.new_value, e.note) for e, _ in cases.history(db, case_id)]
    assert ("recovered", "True", "recontact survey") in trail and trail[-2][0] == "recontact"
    assert "recontact answers recorded: 0" in CliRunner().invoke(main, ["cases", "run"]).output


def test_an_email_recontact_answered_unsatisfied_is_not_recovered_and_no_case_opens_from_it(db_url, monkeypatch):
    with SmtpSink() as smtp:
        configure_channels(monkeypatch, smtp=smtp)
        case_id = resolved_with_recontact("R2", phone=None, language="en")
        assert run_queue().sent == 1
    (message,) = smtp.messages
    assert message["To"] == "kehu@example.cn" and message["Subject"] == "Are you satisfied with how we handled it?"
    token = LINK.search(message.get_body(("plain",)).get_content()).group(1)
    assert "Thank you for letting us know" in answer_link(token, "0", "Are you satisfied with how we handled it?")
    report = run_rules()
    assert report.recontacts_recorded == 1 and report.opened == 0  # the recontact answer is no new complaint
    assert case_of(case_id).recovered is False


def test_a_recontact_needs_a_resolved_case_and_a_way_to_reach_the_customer(db_url):
    with database.session() as db:
        repair_survey(db)
        staff(db, "ag", "agent")
        respond(db, *customer(db, "NOCONTACT", "gold", phone=None, email=None), overall=1)
    run_rules()
    with database.session() as db:
        agent = user(db, "ag")
        cases.change_status(db, 1, "contacted", agent)
    with pytest.raises(cases.CaseError, match="no phone or email"), database.session() as db:
        resolve(db, 1, user(db, "ag"), "billing", recontact=True)
    assert case_of(1).status == "contacted"  # resolving and sending are all or nothing
    with database.session() as db:
        resolve(db, 1, user(db, "ag"), "billing")
        cases.record_phone_recontact(db, 1, True, user(db, "ag"))
        assert db.exec(select(Invitation)).first() is None
    assert case_of(1).recovered is True


def contacted_case(external_id: str, **person) -> int:
    with database.session() as db:
        repair_survey(db)
        staff(db, f"agent_{external_id}", "agent", team=f"Team {external_id}")
        respond(db, *customer(db, external_id, "gold", team=f"Team {external_id}", **person), overall=1)
    run_rules()
    with database.session() as db:
        case = db.exec(select(FollowUpCase).order_by(FollowUpCase.id.desc())).first()
        cases.change_status(db, case.id, "contacted", user(db, f"agent_{external_id}"))
        return case.id


def test_a_recontact_on_a_channel_not_configured_is_refused_naming_the_setting_or_queued_when_asked(db_url):
    case_id = contacted_case("C1", phone="13812345678", email=None)
    with pytest.raises(cases.CaseError, match="SURVEY_SMS_URL") as refused, database.session() as db:
        resolve(db, case_id, user(db, "agent_C1"), "billing", recontact=True)
    assert refused.value.settings == ("SURVEY_SMS_URL", "SURVEY_SMS_TOKEN")
    assert case_of(case_id).status == "contacted"  # not resolved, nothing sent: all or nothing
    with database.session() as db:
        invitation = db.get(
            Invitation,
            resolve(
                db, case_id, user(db, "agent_C1"), "billing", recontact=True, queue_until_configured=True
            ).recontact_invitation_id,
        )
    assert (invitation.channel, invitation.status) == ("sms", "queued")  # waits in the queue for SMS


def test_a_recontact_goes_by_the_configured_channel_the_customer_can_get(db_url, monkeypatch):
    with SmtpSink() as smtp:
        configure_channels(monkeypatch, smtp=smtp)  # email only
        case_id = contacted_case("C2", phone="13812345678", email="c2@example.cn")
        with database.session() as db:
            invitation = db.get(
                Invitation,
                resolve(db, case_id, user(db, "agent_C2"), "billing", recontact=True).recontact_invitation_id,
            )
        assert invitation.channel == "email"
        assert run_queue().sent == 1 and len(smtp.messages) == 1
