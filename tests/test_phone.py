"""Phone revisits: the agents' queue, call attempts and their history, and answers keyed in by
an agent under the same rules as the link, saved with channel "agent"."""

from datetime import timedelta

import pytest
from sqlmodel import func, select
from streamlit.testing.v1 import AppTest

from survey import overview
from survey.accounts import auth
from survey.collect import phone, service
from survey.collect.visit import LinkState
from survey.core import db as database
from survey.design.definitions import live_version
from survey.models import Answer, CallAttempt, Campaign, Customer, Invitation, Response, ServiceEvent, User, utcnow
from tests.apptest_support import signed_in
from tests.respondent_support import REPAIR_ANSWERS, customer, published

PHONE_FIELDS = {code: [value] for code, value in REPAIR_ANSWERS.items()}


@pytest.fixture
def agents(db_url):
    with database.session() as db:
        return {
            name: auth.create_user(db, name, "agent", f"{name}-password", display_name=name.title()).id
            for name in ("li", "zhou")
        }


def phone_invitation(
    db, external_id: str, *, assigned_to: int | None = None, language: str = "zh-CN", **changes
) -> int:
    survey = published(db)
    campaign = db.exec(select(Campaign).where(Campaign.channel == "phone")).first()
    if campaign is None:
        campaign = Campaign(
            name="Repair revisit by phone",
            survey_id=survey.id,
            version_id=live_version(db, survey).id,
            channel="phone",
            status="sending",
        )
        db.add(campaign)
        db.flush()
    person = customer(db, external_id, language=language, name=f"客户{external_id}")
    event = db.exec(select(ServiceEvent).where(ServiceEvent.customer_id == person.id)).one()
    settings = {"status": "queued", "expires_at": utcnow() + timedelta(days=7), **changes}
    invitation = Invitation(
        campaign_id=campaign.id,
        customer_id=person.id,
        event_id=event.id,
        channel="phone",
        token=f"phone-token-{external_id}",
        language=language,
        assigned_to_id=assigned_to,
        **settings,
    )
    db.add(invitation)
    db.flush()
    return invitation.id


def queue_ids(agent_id: int) -> list[int]:
    with database.session() as db:
        return [entry.invitation_id for entry in phone.queue(db, agent_id)]


def test_the_queue_holds_my_calls_and_unassigned_ones_only(agents):
    with database.session() as db:
        mine = phone_invitation(db, "C1", assigned_to=agents["li"])
        free = phone_invitation(db, "C2")
        phone_invitation(db, "C3", assigned_to=agents["zhou"])
        phone_invitation(db, "C4", expires_at=utcnow() - timedelta(hours=1))
        phone_invitation(db, "C5", status="completed")
        opted = phone_invitation(db, "C6")
        db.get(Customer, db.get(Invitation, opted).customer_id).opted_out = True
    assert sorted(queue_ids(agents["li"])) == sorted([mine, free])
    with database.session() as db:
        assert overview.phone_queue(db, agents["li"]) == 2 == phone.queue_count(db, agents["li"])


def test_call_backs_come_first_when_due_and_last_until_then(agents):
    with database.session() as db:
        never = phone_invitation(db, "C1")
        retry = phone_invitation(db, "C2")
        later = phone_invitation(db, "C3")
        due = phone_invitation(db, "C4")
        li = agents["li"]
        phone.record_attempt(db, retry, li, "no_answer")
        phone.record_attempt(db, later, li, "call_back", callback_at=utcnow() + timedelta(hours=3))
        phone.record_attempt(db, due, li, "call_back", callback_at=utcnow() + timedelta(minutes=1))
    in_two_minutes = utcnow() + timedelta(minutes=2)
    with database.session() as db:
        order = [e.invitation_id for e in phone.queue(db, agents["li"], now=in_two_minutes)]
    assert order == [due, never, retry, later]


def test_refusals_and_wrong_numbers_leave_the_queue_and_history_is_kept(agents):
    li = agents["li"]
    with database.session() as db:
        refused = phone_invitation(db, "C1")
        wrong = phone_invitation(db, "C2")
        quiet = phone_invitation(db, "C3")
        phone.record_attempt(db, refused, li, "refused", note="不方便")
        phone.record_attempt(db, wrong, li, "wrong_number")
        phone.record_attempt(db, quiet, li, "no_answer")
        phone.record_attempt(db, quiet, li, "no_answer")
        with pytest.raises(phone.CallError, match="time in the future"):
            phone.record_attempt(db, quiet, li, "call_back", callback_at=utcnow() - timedelta(hours=1))
    assert queue_ids(li) == [quiet]
    with database.session() as db:
        [entry] = phone.queue(db, li)
        assert (entry.attempts, entry.last_outcome) == (2, "no_answer")
        assert db.exec(select(func.count(CallAttempt.id))).one() == 4


def test_opening_a_call_takes_it_so_no_colleague_calls_the_same_customer(agents):
    with database.session() as db:
        free = phone_invitation(db, "C1")
        call = phone.open_call(db, free, agents["li"])
        assert call.state == LinkState.OPEN and call.customer.external_id == "C1"
    assert queue_ids(agents["zhou"]) == []
    with database.session() as db, pytest.raises(phone.CallError, match="another agent"):
        phone.open_call(db, free, agents["zhou"])


def test_answers_are_checked_like_the_link_and_saved_as_an_agent_response(agents):
    li = agents["li"]
    with database.session() as db:
        invitation_id = phone_invitation(db, "C1", assigned_to=li)
    incomplete = phone.save_answers(invitation_id, li, {"overall": ["2"], "nps": ["11"]})
    assert not incomplete.saved
    assert {c: p.key for c, p in incomplete.problems.items()} == {
        "fault_repair": "answer.required",
        "staff_attitude": "answer.required",
        "resolved": "answer.required",
        "what_wrong": "answer.required",
        "nps": "answer.out_of_range",
    }
    saved = phone.save_answers(invitation_id, li, PHONE_FIELDS, note="客户很满意")
    assert saved.saved
    with database.session() as db:
        response = db.get(Response, saved.response_id)
        invitation = db.get(Invitation, invitation_id)
        attempts = db.exec(select(CallAttempt).where(CallAttempt.invitation_id == invitation_id)).all()
        answers = db.exec(select(func.count(Answer.id)).where(Answer.response_id == response.id)).one()
    assert (response.channel, response.agent_id, response.tier, response.event_kind) == ("agent", li, "gold", "repair")
    assert answers == len(REPAIR_ANSWERS) and invitation.status == "completed"
    assert [(a.outcome, a.note) for a in attempts] == [("answered", "客户很满意")]
    assert phone.save_answers(invitation_id, li, PHONE_FIELDS).state == LinkState.ANSWERED
    assert queue_ids(li) == []


def test_the_script_speaks_the_customers_language(agents):
    with database.session() as db:
        english = phone_invitation(db, "C1", language="en")
        call = phone.open_call(db, english, agents["li"])
        lines = phone.script(call, "Li")
    assert lines[0] == (
        "Hello, am I speaking with 客户C1? This is Li from customer service. I am calling about "
        "your repair on 4 March 2026. Could you spare a minute for a short follow-up?"
    )
    assert lines[-1] == "Thank you. Your answers help us improve."


def test_a_taken_call_carries_what_the_agent_sees_and_its_history(agents):
    li, zhou = agents["li"], agents["zhou"]
    with database.session() as db:
        invitation_id = phone_invitation(db, "C1")
    assert [e.invitation_id for e in service.phone_queue(li)] == [invitation_id]
    service.record_call(li, invitation_id, "no_answer", note="无人接听")
    call = service.take_call(li, invitation_id)
    assert call.state == LinkState.OPEN and call.customer.name == "客户C1" and call.customer.tier == "gold"
    assert call.event is not None and call.event.kind == "repair" and call.event.day.isoformat() == "2026-03-04"
    assert [(past.outcome, past.note) for past in call.history] == [("no_answer", "无人接听")]
    assert call.script[0].startswith("您好，请问是客户C1吗？我是客服代表Li。")
    assert call.piped["name"] == "客户C1" and {q.code for q in call.questions} >= set(REPAIR_ANSWERS)
    with pytest.raises(phone.CallError, match="another agent"):
        service.take_call(zhou, invitation_id)
    with pytest.raises(phone.CallError, match="another agent"):
        service.record_call(zhou, invitation_id, "refused")


def test_the_demo_agent_has_a_queue(demo_url):
    with database.session() as db:
        agent = db.exec(select(User).where(User.username == "agent")).one()
        entries = phone.queue(db, agent.id)
        assert len(entries) == overview.phone_queue(db, agent.id) > 0


# ---------------------------------------------------------------- the page


def open_phone_page(username: str, password: str) -> AppTest:
    return signed_in(username, password, "pages/phone.py")


def test_an_agent_keys_in_answers_on_the_phone_page(agents):
    with database.session() as db:
        invitation_id = phone_invitation(db, "C1")
    at = open_phone_page("li", "li-password")
    assert "您好，请问是客户C1吗？我是客服代表Li。" in at.info[0].value
    prefix = f"phone_{invitation_id}__"
    at.radio(key=prefix + "overall").set_value(1).run()
    assert at.multiselect(key=prefix + "what_wrong")  # a low score brings "what went wrong?"
    at.button(key="phone_save").click().run()
    assert at.error and "需要补充或修改" in at.error[0].value
    with database.session() as db:
        assert db.exec(select(func.count(Response.id))).one() == 0
    for code in ("fault_repair", "staff_attitude"):
        at.radio(key=prefix + code).set_value(2)
    at.radio(key=prefix + "resolved").set_value(0)
    at.radio(key=prefix + "nps").set_value(3)
    at.multiselect(key=prefix + "what_wrong").set_value(["fault_repair", "repeated_fault"])
    at.button(key="phone_save").click().run()
    assert not at.exception and at.success[0].value == "回答已保存。"
    with database.session() as db:
        response = db.exec(select(Response)).one()
        chosen = db.exec(select(Answer.value_text).where(Answer.question_code == "what_wrong")).all()
    assert response.channel == "agent" and sorted(chosen) == ["fault_repair", "repeated_fault"]
    assert any("目前没有待回访的客户" in info.value for info in at.info)


def test_an_agent_records_a_call_back(agents):
    with database.session() as db:
        invitation_id = phone_invitation(db, "C1")
    at = open_phone_page("zhou", "zhou-password")
    at.radio(key=f"phone_outcome_{invitation_id}").set_value("call_back").run()
    at.text_area(key=f"phone_note_{invitation_id}").input("晚上七点后方便")
    at.button(key="phone_record").click().run()
    assert not at.exception and "已记录：约定回拨" in at.success[0].value
    with database.session() as db:
        attempt = db.exec(select(CallAttempt)).one()
    assert attempt.outcome == "call_back" and attempt.callback_at > utcnow() and attempt.note == "晚上七点后方便"


def test_the_phone_page_is_for_agents(agents):
    with database.session() as db:
        auth.create_user(db, "qa", "quality", "quality-password")
    at = signed_in("qa", "quality-password")
    with pytest.raises(ValueError):
        at.switch_page("pages/phone.py")


def test_after_an_outcome_is_recorded_the_page_moves_to_the_next_customer(agents):
    with database.session() as db:
        first = phone_invitation(db, "C1")
        second = phone_invitation(db, "C2")
    at = open_phone_page("li", "li-password")
    assert at.selectbox(key="phone_pick").value == first
    at.radio(key=f"phone_outcome_{first}").set_value("no_answer").run()
    at.button(key="phone_record").click().run()
    assert not at.exception and "已记录：无人接听" in at.success[0].value
    assert at.selectbox(key="phone_pick").value == second
    assert "您好，请问是客户C2吗？" in at.info[0].value


def test_a_call_back_is_proposed_outside_the_quiet_hours(agents, monkeypatch):
    from datetime import UTC, datetime

    afternoon, evening = datetime(2026, 12, 3, 6, 30, tzinfo=UTC), datetime(2026, 12, 3, 13, 30, tzinfo=UTC)
    assert phone.default_callback(afternoon).isoformat() == "2026-12-04T14:00:00+08:00"  # this time tomorrow
    assert phone.default_callback(evening).isoformat() == "2026-12-05T08:00:00+08:00"  # not 21:00: the morning
    monkeypatch.setenv("SURVEY_QUIET_HOURS", "20:00-09:30")
    assert phone.default_callback(afternoon - timedelta(hours=6)).isoformat() == "2026-12-04T09:30:00+08:00"
    monkeypatch.delenv("SURVEY_QUIET_HOURS")
    with database.session() as db:
        invitation_id = phone_invitation(db, "C1")
    at = open_phone_page("zhou", "zhou-password")
    at.radio(key=f"phone_outcome_{invitation_id}").set_value("call_back").run()
    proposed = at.get("date_time_input")[0].value
    assert 8 <= proposed.hour < 21, proposed
