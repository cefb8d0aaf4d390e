"""Saving responses: the answers, the version they answered, and a snapshot of the facts the
statistics group by (tier, region, touch point, segment, event kind, team), taken at answer
time because a customer's tier or region may change later and the figures must not.

Exactly one response per invitation: callers hold the invitation row (``lock_invitation``
inside ``survey.core.db.exclusive_session``), and the unique constraint on
``response.invitation_id`` stops whatever slips past (the loser's transaction fails with
IntegrityError, which callers turn into "already answered").

And one answer per customer, survey and service event, whichever link or call it comes
through: ``complete_invitation`` refuses a second one (AlreadyAnswered). Two tokens about the
same event take turns there (the exclusive session on SQLite, an advisory lock on the event
on PostgreSQL), so they cannot both get in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from survey.collect.answering import Value, answer_rows
from survey.core.config import settings
from survey.core.vocab import EventKind, InvitationStatus, TouchPoint
from survey.models import Customer, Invitation, PublicLink, Response, ServiceEvent, SurveyVersion, utcnow

# What a visitor at a public link's touch point has just done (the demo tags hall answers so).
PUBLIC_EVENT_KINDS = {
    TouchPoint.BUSINESS_HALL: EventKind.HALL_VISIT,
    TouchPoint.HOTLINE: EventKind.HOTLINE_CALL,
    TouchPoint.ONLINE_HALL: EventKind.ONLINE_ORDER,
    TouchPoint.ACCOUNT_MANAGER: EventKind.ACCOUNT_VISIT,
}


class AlreadyAnswered(Exception):
    """The invitation has its response already (a double click, a second tab, a late retry)."""


@dataclass(frozen=True)
class Snapshot:
    customer_id: int | None = None
    event_id: int | None = None
    tier: str | None = None
    region: str | None = None
    touch_point: str | None = None
    segment: str | None = None
    event_kind: str | None = None
    team: str | None = None


def invitation_snapshot(db: Session, invitation: Invitation) -> Snapshot:
    customer = db.get(Customer, invitation.customer_id)
    event = db.get(ServiceEvent, invitation.event_id) if invitation.event_id else None
    return Snapshot(
        customer_id=customer.id,
        event_id=event.id if event else None,
        tier=customer.tier,
        region=customer.region,
        segment=customer.segment,
        touch_point=event.touch_point if event else None,
        event_kind=event.kind if event else None,
        team=event.team if event else None,
    )


def public_snapshot(link: PublicLink) -> Snapshot:
    return Snapshot(
        region=link.region,
        touch_point=link.touch_point,
        team=link.team,
        event_kind=PUBLIC_EVENT_KINDS.get(link.touch_point),
    )


def record_response(
    db: Session,
    version: SurveyVersion,
    values: Mapping[str, Value],
    snapshot: Snapshot,
    *,
    channel: str,
    language: str,
    invitation_id: int | None = None,
    agent_id: int | None = None,
    public_link_id: int | None = None,
    device_key: str | None = None,
    started_at: datetime | None = None,
) -> Response:
    now = utcnow()
    response = Response(
        invitation_id=invitation_id,
        survey_id=version.survey_id,
        version_id=version.id,
        channel=channel,
        language=language,
        agent_id=agent_id,
        public_link_id=public_link_id,
        device_key=device_key,
        started_at=started_at,
        submitted_at=now,
        answered_on=now.astimezone(settings().timezone).date(),
        **asdict(snapshot),
    )
    db.add(response)
    db.flush()
    db.add_all(answer_rows(response.id, values))
    return response


def lock_invitation(db: Session, *, token: str | None = None, invitation_id: int | None = None) -> Invitation | None:
    """Read an invitation and hold it until the transaction ends (PostgreSQL row lock; on
    SQLite the exclusive session already holds the database)."""
    query = select(Invitation).with_for_update()
    query = query.where(Invitation.token == token) if token is not None else query.where(Invitation.id == invitation_id)
    return db.exec(query).first()


def answered_about(survey_id, customer_id, event_id) -> sa.Exists:
    """EXISTS: a response of this customer to this survey about this service event (the
    arguments may be values or columns of an outer query)."""
    return (
        sa.select(Response.id)
        .where(Response.survey_id == survey_id, Response.customer_id == customer_id, Response.event_id == event_id)
        .exists()
    )


def event_answered(db: Session, survey_id: int, customer_id: int, event_id: int | None) -> bool:
    """Has the customer answered this survey about this event, through any link or call?"""
    if event_id is None:
        return False  # no event: each new invitation is a new question (fatigue rules pace them)
    return bool(db.execute(sa.select(answered_about(survey_id, customer_id, event_id))).scalar())


def hold_event(db: Session, survey_id: int, event_id: int) -> None:
    """PostgreSQL: one answer about a (survey, event) saved at a time, until the transaction
    ends (SQLite's exclusive session already serialises every answer)."""
    if db.get_bind().dialect.name == "postgresql":
        digest = hashlib.blake2b(f"answer:{survey_id}:{event_id}".encode(), digest_size=8).digest()
        db.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": int.from_bytes(digest, "big", signed=True)})


def complete_invitation(
    db: Session,
    invitation: Invitation,
    version: SurveyVersion,
    values: Mapping[str, Value],
    *,
    channel: str,
    language: str,
    agent_id: int | None = None,
) -> Response:
    """The invitation's one response; raises AlreadyAnswered when it has one, or when the
    customer answered this survey about the same event through another link or call."""
    if invitation.status == InvitationStatus.COMPLETED or invitation.completed_at is not None:
        raise AlreadyAnswered
    if invitation.event_id is not None:
        hold_event(db, version.survey_id, invitation.event_id)
        if event_answered(db, version.survey_id, invitation.customer_id, invitation.event_id):
            raise AlreadyAnswered
    response = record_response(
        db,
        version,
        values,
        invitation_snapshot(db, invitation),
        channel=channel,
        language=language,
        invitation_id=invitation.id,
        agent_id=agent_id,
        started_at=invitation.started_at or utcnow(),
    )
    invitation.status = InvitationStatus.COMPLETED
    invitation.completed_at = response.submitted_at
    invitation.started_at = invitation.started_at or response.submitted_at
    invitation.draft = {}
    db.add(invitation)
    return response
