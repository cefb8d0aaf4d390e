"""The case pages' service: the queue each scope shows, a case worked through it and read back
after its session closed, and who may run the rules, draft a change or change the settings."""

from __future__ import annotations

from datetime import timedelta

import pytest

from survey.accounts.service import audit_log
from survey.cases import service as cases
from survey.core import db as database
from survey.overview import local_today
from tests.cases_support import customer, repair_survey, respond, staff


@pytest.fixture
def world(db_url):
    """Two cases of the Hangzhou crew: C1's goes to the crew's agent, C2's waits unassigned."""
    with database.session() as db:
        repair_survey(db)
        ids = {
            name: staff(db, name, role, team=team).id
            for name, role, team in (
                ("crew", "agent", "Hangzhou Crew 1"),
                ("lead", "quality", None),
                ("boss", "executive", None),
            )
        }
        respond(db, *customer(db, "C1", "gold"), overall=1)
        respond(db, *customer(db, "C2", "gold"), overall=1)
    cases.apply_rules(ids["lead"])
    cases.reassign(ids["lead"], 2, None, team="Hangzhou Crew 1")
    return ids


def test_each_scope_shows_its_cases_and_no_status_chosen_means_every_status(world):
    crew, lead = world["crew"], world["lead"]
    assert [r.id for r in cases.case_queue(crew, "mine")] == [1]
    assert [r.id for r in cases.case_queue(crew, "unassigned")] == [2]
    assert [r.id for r in cases.case_queue(lead, "team", team="Hangzhou Crew 1")] == [1, 2]
    assert cases.case_queue(lead, "mine") == []
    assert cases.teams() == ["Hangzhou Crew 1"]
    cases.change_status(crew, 1, "contacted")
    cases.resolve(crew, 1, "billing")
    assert [r.id for r in cases.case_queue(lead, "all", statuses=list(cases.OPEN_STATUSES))] == [2]
    assert [r.id for r in cases.case_queue(lead, "all", statuses=["resolved"])] == [1]
    assert sorted(r.id for r in cases.case_queue(lead, "all")) == [1, 2]


def test_a_case_worked_through_the_service_reads_back_with_its_history(world, monkeypatch):
    monkeypatch.setenv("SURVEY_SMS_URL", "http://127.0.0.1:9/sms")  # configured; nothing is sent in this test
    monkeypatch.setenv("SURVEY_SMS_TOKEN", "token")
    crew = world["crew"]
    cases.change_status(crew, 1, "contacted", note="已致电客户")
    cases.add_note(crew, 1, "客户同意退费")
    cases.resolve(crew, 1, "billing", note="已退费", send_recontact=True)
    cases.record_phone_answer(crew, 1, True)
    case = cases.case_view(1)
    assert (case.status, case.root_cause, case.recovered, case.next_statuses) == (
        "resolved",
        "billing",
        True,
        ("open",),
    )
    assert case.customer_phone == "13912345678" and case.recontact_status == "queued"
    assert "客户同意退费" in case.notes and case.answers
    status_changes = [
        (e.old_value, e.new_value, e.who, cases.reason_text(e.note, "en")) for e in case.history if e.field == "status"
    ]
    assert status_changes == [
        (None, "open", None, "Overall satisfaction rated 1 (at most 2) · Gold"),  # the rules
        ("open", "contacted", "crew", "已致电客户"),
        ("contacted", "resolved", "crew", "已退费"),
    ]


def test_refusals_keep_their_message_and_change_nothing(world):
    with pytest.raises(cases.CaseError, match="can become contacted, unreachable, not resolved"):
        cases.resolve(world["crew"], 1, "billing")
    with pytest.raises(cases.CaseError, match="only agents"):
        cases.change_status(world["boss"], 1, "contacted")
    assert cases.case_view(1).status == "open"


def test_only_quality_staff_and_admins_run_the_rules_draft_changes_and_change_the_settings(world):
    crew, lead = world["crew"], world["lead"]
    settings = cases.case_settings()
    assert [r.code for r in settings.rules][:2] == ["vip-low-overall", "vip-nps-detractor"]
    assert {w.username for w in settings.workers} == {"crew", "lead"}
    longer = cases.LoopSettings(
        {**settings.loop.sla_hours, "gold": 36}, settings.loop.lookback_days, settings.loop.fallback
    )
    routes = [cases.RouteSpec("Hangzhou Crew 2", ("Hangzhou",))]
    for refused in (
        lambda: cases.apply_rules(crew),
        lambda: cases.save_loop_settings(crew, longer),
        lambda: cases.save_routes(crew, routes),
        lambda: cases.save_rule(crew, settings.rules[0]),
    ):
        with pytest.raises(cases.CaseError, match="only quality staff and admins"):
            refused()
    cases.save_loop_settings(lead, longer)
    cases.save_routes(lead, routes)
    assert cases.case_settings().loop.sla_for("gold") == 36 and cases.case_settings().routes == routes
    with pytest.raises(ValueError, match="name in zh-CN and en"):
        cases.save_rule(lead, cases.RuleSpec("vip-low-overall", "", "", "score", {"question": "overall", "at_most": 2}))


def test_the_report_counts_the_period_and_a_recurring_cause_becomes_a_draft_change(world):
    crew, lead = world["crew"], world["lead"]
    cases.change_status(crew, 1, "contacted")
    cases.resolve(crew, 1, "billing")
    today = local_today()
    report = cases.case_report(today - timedelta(days=6), today)
    assert (report.opened, report.closed, report.close_times.n) == (2, 1, 1)
    assert report.by_team["team"].tolist() == ["Hangzhou Crew 1"] and report.recurring == []  # 1 case: no pattern
    cause = cases.Recurring("billing", 1, 1, (), (), (), None)
    with pytest.raises(cases.CaseError, match="only quality staff and admins"):
        cases.draft_service_change(crew, cause, today - timedelta(days=6), today)
    change_id = cases.draft_service_change(lead, cause, today - timedelta(days=6), today)
    drafted = audit_log(action="service_change.draft")
    assert [(e.username, e.entity_id, e.detail["root_cause"]) for e in drafted] == [("lead", str(change_id), "billing")]
