"""A small world for the closed-loop tests: customers of each tier with a service event, and
responses to the repair revisit saved the way the link page saves them."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from survey.accounts import auth
from survey.collect.responses import Snapshot, record_response
from survey.design.definitions import create_survey, live_version, survey_by_code
from survey.design.templates import template
from survey.models import Customer, ServiceEvent, utcnow

HAPPY = {"overall": 5, "fault_repair": 5, "staff_attitude": 5, "resolved": 1, "nps": 10}


def repair_survey(db):
    return survey_by_code(db, "repair-revisit") or create_survey(
        db, template("repair-revisit"), publish=True, template="repair-revisit"
    )


def customer(
    db,
    external_id: str,
    tier: str = "gold",
    *,
    region: str = "Hangzhou",
    team: str = "Hangzhou Crew 1",
    repeated_fault: bool = False,
    phone: str | None = "13912345678",
    email: str | None = "kehu@example.cn",
    name: str = "李明",
    language: str = "zh-CN",
):
    """A customer with one closed repair (by `team`); returns (customer, event)."""
    person = Customer(
        external_id=external_id, name=name, phone=phone, email=email, tier=tier, region=region, language=language
    )
    db.add(person)
    db.flush()
    event = ServiceEvent(
        customer_id=person.id,
        external_ticket_id=f"T-{external_id}",
        kind="repair",
        touch_point="field_crew",
        region=region,
        team=team,
        repeated_fault=repeated_fault,
        occurred_at=utcnow() - timedelta(days=2),
        closed_at=utcnow() - timedelta(days=1),
    )
    db.add(event)
    db.flush()
    return person, event


def respond(db, person: Customer, event: ServiceEvent | None, **answers):
    """A response of `person` to the repair revisit (happy unless told otherwise)."""
    version = live_version(db, repair_survey(db))
    values = {**HAPPY, **answers}
    snapshot = Snapshot(
        customer_id=person.id,
        event_id=event.id if event else None,
        tier=person.tier,
        region=person.region,
        segment=person.segment,
        touch_point=event.touch_point if event else None,
        event_kind=event.kind if event else None,
        team=event.team if event else None,
    )
    return record_response(db, version, values, snapshot, channel="link", language=person.language)


def staff(db, username: str, role: str, team: str | None = None):
    return auth.create_user(db, username, role, f"{username}-password", team=team)


def user(db, username: str):
    return db.exec(select(auth.User).where(auth.User.username == username)).one()
