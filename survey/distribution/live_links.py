"""One live invitation per customer, survey and service event.

A customer can be asked about the same service event from several places: a campaign, a
revisit rule, a personal link made on the design page or with `survey link`, a second click.
Each of them asks here first:

- A *live* invitation (queued, sent, opened or started, and still within its time) about the
  same customer, survey and event is the one link. Asking for a personal link again returns
  it, or replaces it when asked to (the old link then shows "this link was replaced");
  campaigns and revisit rules leave the customer out.
- An event the customer has answered the survey about is never asked about again. Saving an
  answer checks the same (``survey.collect.responses.complete_invitation``), so even two
  tokens made before this rule existed cannot both be answered.

"No event" (a survey about the relationship, not about a visit) is a subject of its own: one
live invitation at a time, and a new one once that one is answered or over (the fatigue rules
pace them).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from survey.collect.responses import answered_about
from survey.collect.visit import EXPIRY_GRACE
from survey.core.audit import record
from survey.core.vocab import InvitationStatus
from survey.models import Campaign, Delivery, DeliveryStatus, Invitation, Response

LIVE_STATUSES = (InvitationStatus.QUEUED, InvitationStatus.SENT, InvitationStatus.OPENED, InvitationStatus.STARTED)
CHUNK = 500  # ids per IN list (SQLite's limit on bound values is far above)


def is_live(now: datetime) -> sa.ColumnElement[bool]:
    """An invitation that can still be answered (a customer who opened it in time keeps the
    grace period of ``survey.collect.visit``)."""
    return sa.and_(
        Invitation.status.in_(LIVE_STATUSES),
        sa.or_(
            Invitation.expires_at.is_(None),
            Invitation.expires_at > now,
            sa.and_(
                Invitation.opened_at.is_not(None),
                Invitation.opened_at < Invitation.expires_at,
                Invitation.expires_at > now - EXPIRY_GRACE,
            ),
        ),
    )


def _about(survey_id, customer_id, event_id):
    """Invitations of this survey to this customer about this event (``None``: about no event)."""
    same_event = Invitation.event_id.is_(None) if event_id is None else Invitation.event_id == event_id
    return (
        sa.select(Invitation.id)
        .join(Campaign, Campaign.id == Invitation.campaign_id)
        .where(Campaign.survey_id == survey_id, Invitation.customer_id == customer_id, same_event)
    )


def taken(survey_id, customer_id, event_id, now: datetime) -> sa.ColumnElement[bool]:
    """SQL: this customer must not get another invitation of the survey about this event (a
    live one exists, or they answered). Arguments may be values or columns of an outer query;
    ``event_id=None`` means invitations about no event."""
    live = _about(survey_id, customer_id, event_id).where(is_live(now)).exists()
    if event_id is None:
        return live
    return sa.or_(live, answered_about(survey_id, customer_id, event_id))


def live_invitation(
    db: Session, survey_id: int, customer_id: int, event_id: int | None, now: datetime
) -> Invitation | None:
    """The customer's live invitation of the survey about the event, newest first, if any."""
    found = db.execute(
        _about(survey_id, customer_id, event_id).where(is_live(now)).order_by(Invitation.id.desc()).limit(1)
    ).scalar()
    return db.get(Invitation, found) if found is not None else None


def taken_events(db: Session, survey_id: int, event_ids: Iterable[int], now: datetime) -> set[int]:
    """Of these events, those about which the survey must not ask again (a live invitation or an answer)."""
    ids = sorted(set(event_ids))
    found: set[int] = set()
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        found.update(
            db.execute(
                sa.select(Invitation.event_id)
                .join(Campaign, Campaign.id == Invitation.campaign_id)
                .where(Campaign.survey_id == survey_id, Invitation.event_id.in_(chunk), is_live(now))
            ).scalars()
        )
        found.update(
            db.execute(
                sa.select(Response.event_id).where(Response.survey_id == survey_id, Response.event_id.in_(chunk))
            ).scalars()
        )
    return found


def supersede(db: Session, invitation: Invitation, *, actor=None, now: datetime) -> None:
    """The invitation stops working (its link shows "this link was replaced") and its unsent
    messages are dropped; a newer invitation about the same event takes its place."""
    invitation.status = InvitationStatus.SUPERSEDED
    invitation.draft = {}
    db.add(invitation)
    db.execute(
        sa.update(Delivery)
        .where(Delivery.invitation_id == invitation.id, Delivery.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.SKIPPED, last_error="the link was replaced by a newer one")
    )
    record(db, actor, "invitation.supersede", "invitation", invitation.id, {"at": now.isoformat()})
