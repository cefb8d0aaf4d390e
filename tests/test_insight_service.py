"""The insight service the executive and service-changes pages call: what the dashboard's filter
row offers, who may record a service change, the recorded changes as plain values (newest
first, and changed by an edit so the analyses are computed again), and the one Filters type."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlmodel import select

from survey.core import db as database
from survey.core.errors import Refused
from survey.core.filters import Filters
from survey.core.vocab import Tier, TouchPoint
from survey.insight import metrics, service
from survey.insight.service import ChangeError, ChangeInput
from survey.models import AuditLog
from tests.cases_support import customer, repair_survey, respond, staff


def test_the_same_choice_in_another_order_is_the_same_filter_and_a_backward_range_is_refused():
    picked = Filters(date(2026, 1, 1), date(2026, 1, 31), surveys=(2, 1), regions=("Ningbo", "Hangzhou"))
    assert picked == Filters(date(2026, 1, 1), date(2026, 1, 31), surveys=(1, 2), regions=("Hangzhou", "Ningbo"))
    with pytest.raises(Refused, match=r"ends \(2026-01-01\) before it starts \(2026-02-01\)"):
        Filters(date(2026, 2, 1), date(2026, 1, 1))


def test_figures_per_period_refuse_an_open_date_range(db_url):
    with database.get_engine().connect() as conn, pytest.raises(Refused, match="start and an end date"):
        metrics.level_counts(conn, "overall", Filters(end=date(2026, 1, 31)))


def test_the_dashboard_filter_row_offers_the_counted_regions_and_every_touch_point_and_tier(db_url):
    with database.session() as db:
        respond(db, *customer(db, "C1", "gold", region="Ningbo"))
    service.data_version()  # the rollup counts the response
    choices = service.filter_choices()
    assert choices.regions == ("Ningbo",)
    assert choices.tiers == tuple(t.value for t in Tier) and choices.touch_points == tuple(t.value for t in TouchPoint)
    (survey,) = choices.surveys
    assert survey.code == "repair-revisit" and survey.label("zh-CN") == f"{survey.name_zh} (repair-revisit)"


def test_only_quality_staff_record_a_change_and_read_it_back_as_plain_values(db_url):
    with database.session() as db:
        repair_survey(db)
        lead, boss = staff(db, "lead", "quality").id, staff(db, "boss", "executive").id
    assert ("overall", "overall") in service.rating_questions("repair-revisit")
    queue_rule = ChangeInput(
        title="  新派单规则 ",
        title_en="Dispatch rule",
        changed_on=date(2026, 3, 2),
        regions=["Hangzhou"],
        question_code="overall",
    )
    with pytest.raises(ChangeError, match="only the quality team"):
        service.save_change(boss, queue_rule)
    assert service.recorded_changes() == []

    first = service.save_change(lead, queue_rule)
    second = service.save_change(lead, ChangeInput(title="账单改版", changed_on=date(2026, 4, 1), dimension="billing"))
    assert first.title == "新派单规则" and first.regions == ("Hangzhou",)
    before = tuple(service.recorded_changes())
    assert [c.id for c in before] == [second.id, first.id]  # newest first

    service.save_change(lead, replace(queue_rule, regions=["Hangzhou", "Ningbo"]), change_id=first.id)
    after = tuple(service.recorded_changes())
    assert after != before and after[1].regions == ("Hangzhou", "Ningbo")  # an edit renews the analyses' key
    with database.session() as db:
        actions = [(e.username, e.action) for e in db.exec(select(AuditLog).order_by(AuditLog.id))]
    assert actions[-3:] == [
        ("lead", "service_change.create"),
        ("lead", "service_change.create"),
        ("lead", "service_change.update"),
    ]
