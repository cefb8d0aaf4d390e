"""Follow-up cases: rules open them once (idempotent), SLAs set their due time, routes and round
robin assign them, and only the allowed status transitions happen, each in the history."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlmodel import func, select

from survey.cases import workflow as cases
from survey.cases.reasons import describe
from survey.cases.recontact import resolve
from survey.cases.rules import run_rules
from survey.cases.settings import (
    LoopSettings,
    RouteSpec,
    RuleSpec,
    save_loop_settings,
    save_routes,
    save_rule,
)
from survey.cases.workflow import CaseError, change_status
from survey.cli import main
from survey.core import db as database
from survey.models import AuditLog, FollowUpCase, FollowUpCaseEvent, utcnow
from tests.cases_support import customer, repair_survey, respond, staff, user


@pytest.fixture
def world(db_url):
    with database.session() as db:
        repair_survey(db)
        staff(db, "crew_a", "agent", team="Hangzhou Crew 1")
        staff(db, "crew_b", "agent", team="Hangzhou Crew 1")
        staff(db, "lead", "quality")
    return db_url


def all_cases() -> list[FollowUpCase]:
    with database.session() as db:
        return list(db.exec(select(FollowUpCase).order_by(FollowUpCase.id)))


def test_each_default_rule_opens_a_case_and_happy_or_standard_answers_do_not(world):
    with database.session() as db:
        respond(db, *customer(db, "VIP-LOW", "silver"), overall=2)
        respond(db, *customer(db, "STD-LOW", "standard"), overall=1)  # not a VIP
        respond(db, *customer(db, "GOLD-DET", "gold"), nps=6)
        respond(db, *customer(db, "SILVER-DET", "silver"), nps=3)  # detractor rule: diamond/gold only
        respond(db, *customer(db, "REPEAT", "standard", repeated_fault=True))
        respond(db, *customer(db, "SAID-REPEAT", "standard"), what_wrong=["repeated_fault"], overall=3)
        respond(db, *customer(db, "COMMENT", "standard"), comment="上个月话费多扣了三十元，账单看不懂")
        respond(db, *customer(db, "PRAISE", "diamond"), comment="师傅很专业，态度很好")
    report = run_rules()
    assert report.evaluated == 8 and report.opened == 5
    assert sorted(c.rule_code for c in all_cases()) == [
        "complaint-comment",
        "repeated-fault",
        "repeated-fault",
        "vip-low-overall",
        "vip-nps-detractor",
    ]
    by_reason = sorted(describe(c.reason, "en") for c in all_cases())
    assert "Overall satisfaction rated 2 (at most 2) · Silver" in by_reason
    assert "Likelihood to recommend rated 6 (at most 6) · Gold" in by_reason
    assert "Repeated fault (flagged on the ticket)" in by_reason
    assert "Repeated fault (the customer says so)" in by_reason
    assert any(r.startswith("Comment names Billing") for r in by_reason)


def test_running_again_opens_nothing_new_and_the_cli_says_so(world):
    with database.session() as db:
        respond(db, *customer(db, "C1", "gold"), overall=1)
    first = CliRunner().invoke(main, ["cases", "run"])
    assert first.exit_code == 0 and "cases opened: 1" in first.output
    second = CliRunner().invoke(main, ["cases", "run"])
    assert second.exit_code == 0 and "responses evaluated: 0" in second.output and "cases opened: 0" in second.output
    with database.session() as db:
        respond(db, *customer(db, "C2", "diamond"), overall=1)
    run_rules()
    assert len(all_cases()) == 2


def test_the_scheduled_jobs_apply_the_case_rules(world):
    from survey import jobs

    with database.session() as db:
        respond(db, *customer(db, "C1", "gold"), overall=1)
    assert "cases: cases opened: 1" in jobs.run(send=False).lines()
    assert "cases: cases opened: 0" in jobs.run(send=False).lines()


def test_a_response_matching_several_rules_opens_one_case_and_a_second_trigger_joins_the_open_case(world):
    with database.session() as db:
        person, event = customer(db, "C1", "gold")
        respond(db, person, event, overall=1, nps=2, comment="网速太慢，经常掉线")
    run_rules()
    (case,) = all_cases()
    assert case.rule_code == "vip-low-overall" and case.priority == "high"
    assert "Likelihood to recommend rated 2" in describe(case.reason, "en")
    assert "Network quality" in describe(case.reason, "en")
    with database.session() as db:
        respond(db, person, event, overall=2)
    assert run_rules().added_to_open == 1
    assert len(all_cases()) == 1
    with database.session() as db:
        fields = db.exec(select(FollowUpCaseEvent.field).where(FollowUpCaseEvent.case_id == case.id)).all()
    assert "trigger" in fields


def test_the_sla_of_the_tier_sets_the_due_time_and_can_be_edited(world):
    now = utcnow()
    with database.session() as db:
        respond(db, *customer(db, "D", "diamond"), overall=1)
        respond(db, *customer(db, "S", "standard"), comment="The agent was rude to me")
    run_rules(now=now)
    due = {c.rule_code: c.due_at - c.opened_at for c in all_cases()}
    assert due == {"vip-low-overall": timedelta(hours=24), "complaint-comment": timedelta(hours=72)}
    with database.session() as db:
        save_loop_settings(
            db, LoopSettings({"diamond": 4, "gold": 8, "silver": 24, "standard": 96}), actor=user(db, "lead")
        )
        respond(db, *customer(db, "S2", "standard"), comment="My bill is wrong")
    run_rules(now=now)
    assert all_cases()[-1].due_at - all_cases()[-1].opened_at == timedelta(hours=96)
    with database.session() as db, pytest.raises(ValueError, match="SLA"):
        save_loop_settings(db, LoopSettings({"diamond": 0, "gold": 8, "silver": 24, "standard": 96}))


def test_responses_older_than_the_lookback_open_no_case(world):
    with database.session() as db:
        response = respond(db, *customer(db, "OLD", "gold"), overall=1)
        response.answered_on = response.answered_on - timedelta(days=45)
        db.add(response)
    assert run_rules().opened == 0


def test_quality_staff_edit_a_rule_and_disable_another(world):
    with database.session() as db:
        lead = user(db, "lead")
        save_rule(
            db,
            RuleSpec(
                "vip-low-overall",
                "总体低分",
                "Low overall",
                "score",
                {"tiers": [], "question": "overall", "at_most": 1},
                "normal",
            ),
            actor=lead,
        )
        save_rule(
            db,
            RuleSpec(
                "complaint-comment",
                "评论",
                "Comment",
                "comment_theme",
                {"tiers": [], "themes": ["billing"]},
                enabled=False,
            ),
            actor=lead,
        )
        respond(db, *customer(db, "STD1", "standard"), overall=1, comment="账单有问题")
        respond(db, *customer(db, "STD2", "standard"), overall=2)
    run_rules()
    (case,) = all_cases()
    assert case.rule_code == "vip-low-overall" and case.priority == "normal"
    assert "Comment" not in describe(case.reason, "en")
    with database.session() as db, pytest.raises(ValueError, match="threshold"):
        save_rule(
            db, RuleSpec("vip-low-overall", "x", "x", "score", {"tiers": [], "question": "overall", "at_most": 11})
        )
    with database.session() as db:
        assert db.exec(select(func.count()).select_from(AuditLog).where(AuditLog.action == "case_rule.save")).one() == 2


def test_cases_go_round_the_team_and_routes_send_them_to_another_team(world):
    with database.session() as db:
        for i in range(4):
            respond(db, *customer(db, f"G{i}", "gold", team="Hangzhou Crew 1"), overall=1)
    run_rules()
    assert [c.team for c in all_cases()] == ["Hangzhou Crew 1"] * 4
    with database.session() as db:
        names = {u: user(db, u).id for u in ("crew_a", "crew_b")}
    assert sorted(c.assignee_id for c in all_cases()) == sorted([names["crew_a"], names["crew_b"]] * 2)
    with database.session() as db:
        staff(db, "vip_desk", "agent", team="VIP Desk")
        save_routes(db, [RouteSpec("VIP Desk", tiers=("diamond",))], actor=user(db, "lead"))
        respond(db, *customer(db, "D1", "diamond"), overall=1)
    run_rules()
    last = all_cases()[-1]
    with database.session() as db:
        assert last.team == "VIP Desk" and last.assignee_id == user(db, "vip_desk").id


def test_a_team_without_members_falls_back_to_all_agents_or_stays_unassigned(world):
    with database.session() as db:
        respond(db, *customer(db, "N1", "gold", team="Ningbo Crew 9"), overall=1)
    run_rules()
    assert all_cases()[0].assignee_id is not None and all_cases()[0].team == "Ningbo Crew 9"
    with database.session() as db:
        save_loop_settings(db, LoopSettings(fallback="nobody"))
        respond(db, *customer(db, "N2", "gold", team="Ningbo Crew 9"), overall=1)
    run_rules()
    assert all_cases()[1].assignee_id is None


def test_status_transitions_are_validated_and_every_change_is_in_the_history(world):
    with database.session() as db:
        respond(db, *customer(db, "C1", "gold", team="Hangzhou Crew 1"), overall=1)
    run_rules()
    case_id = all_cases()[0].id
    with database.session() as db:
        agent = db.get(cases.User, all_cases()[0].assignee_id)
        other = user(db, "crew_b" if agent.username == "crew_a" else "crew_a")
        with pytest.raises(CaseError, match="can become contacted, unreachable, not resolved"):
            change_status(db, case_id, "resolved", agent, root_cause="billing")
        with pytest.raises(CaseError, match="assigned to someone else"):
            change_status(db, case_id, "contacted", other)
    with database.session() as db:
        change_status(db, case_id, "contacted", db.get(cases.User, agent.id), note="客户在开会，稍后回电")
    with database.session() as db, pytest.raises(CaseError, match="root cause"):
        change_status(db, case_id, "resolved", db.get(cases.User, agent.id))
    with database.session() as db:
        resolve(db, case_id, db.get(cases.User, agent.id), "billing", note="已退费")
    with database.session() as db, pytest.raises(CaseError, match="needs a note"):
        change_status(db, case_id, "open", user(db, "lead"))
    with database.session() as db:
        change_status(db, case_id, "open", user(db, "lead"), note="客户又来电投诉")
        change_status(db, case_id, "unreachable", user(db, "lead"), note="三次未接")
    with database.session() as db:
        case = db.get(FollowUpCase, case_id)
        trail = [(e.field, e.old_value, e.new_value) for e, _ in cases.history(db, case_id)]
        actions = db.exec(select(AuditLog.action).where(AuditLog.entity == "followupcase")).all()
    assert case.status == "unreachable" and case.root_cause == "billing" and case.resolved_at is not None
    assert [t for t in trail if t[0] == "status"] == [
        ("status", None, "open"),
        ("status", "open", "contacted"),
        ("status", "contacted", "resolved"),
        ("status", "resolved", "open"),
        ("status", "open", "unreachable"),
    ]
    assert ("root_cause", None, "billing") in trail
    assert {"case.contacted", "case.resolved", "case.open", "case.unreachable"} <= set(actions)


def test_executives_cannot_change_cases_and_agents_cannot_reassign(world):
    with database.session() as db:
        respond(db, *customer(db, "C1", "gold"), overall=1)
        staff(db, "boss", "executive")
    run_rules()
    with database.session() as db:
        with pytest.raises(CaseError, match="only agents"):
            change_status(db, 1, "contacted", user(db, "boss"))
        with pytest.raises(CaseError, match="only quality"):
            cases.reassign(db, 1, None, user(db, "crew_a"))
        cases.reassign(db, 1, user(db, "crew_b").id, user(db, "lead"), team="Hangzhou Crew 1")


def test_my_cases_list_overdue_first(world):
    now = utcnow()
    with database.session() as db:
        respond(db, *customer(db, "LATE", "standard"), comment="账单多扣钱")
    run_rules(now=now - timedelta(hours=80))  # due after 72 h: overdue now
    with database.session() as db:
        respond(db, *customer(db, "SOON", "gold"), overall=1)
    run_rules(now=now)
    with database.session() as db:
        rows = cases.case_list(db, now=now)
    assert [r.overdue for r in rows] == [True, False]
    assert rows[0].due_at < rows[1].due_at
