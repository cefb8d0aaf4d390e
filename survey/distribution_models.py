"""Tables of distribution: the message outbox and the event-triggered revisit rules.

- ``Delivery`` is one message to one customer: an invitation's first message (sequence 0) or
  its n-th reminder (sequence n). It carries the sending state machine of ``survey.sending``
  (claim token, attempts, idempotency key); ``Invitation.status`` mirrors the outcome of
  sequence 0 for the funnel and for the respondent pages.
- ``TriggerRule`` is "every repair closed -> repair revisit one day later, 100% of VIPs,
  30% of standard customers"; each rule owns a standing campaign its invitations belong to.
- ``RuleDecision`` records what a rule decided for each event (invited or why not), so an
  event is never considered twice by the same rule, whoever runs the jobs and how often.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import JSON, Field, SQLModel

from survey.models import utcnow


class DeliveryStatus(StrEnum):
    PENDING = "pending"        # waiting for its turn (or for quiet hours to end, or a retry)
    CLAIMED = "claimed"        # reserved by a sender's batch, not yet handed to the channel
    SENDING = "sending"        # being handed to the channel right now
    SENT = "sent"
    FAILED = "failed"          # permanent failure, or retries exhausted
    UNCERTAIN = "uncertain"    # a sender died mid-send on a channel that cannot dedupe: staff decide
    SKIPPED = "skipped"        # not sent on purpose: opted out, answered, expired, quota met


class Delivery(SQLModel, table=True):
    __table_args__ = (
        sa.UniqueConstraint("invitation_id", "sequence"),
        sa.Index("ix_delivery_status_next", "status", "next_attempt_at"),
        sa.Index("ix_delivery_channel_claimed", "channel", "claimed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    invitation_id: int = Field(foreign_key="invitation.id", index=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    sequence: int = 0                     # 0: the invitation; n: the n-th reminder
    channel: str = Field(max_length=12)
    idempotency_key: str = Field(max_length=40, unique=True)
    status: str = Field(default=DeliveryStatus.PENDING, max_length=12)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    claim_token: str | None = Field(default=None, max_length=40)
    claimed_at: datetime | None = None
    claimed_by: str | None = Field(default=None, max_length=120)
    sent_at: datetime | None = None
    provider_id: str | None = Field(default=None, max_length=120)
    last_error: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(default_factory=utcnow)


class TriggerRule(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True, index=True)
    name: str = Field(max_length=200)
    survey_id: int = Field(foreign_key="survey.id")
    campaign_id: int = Field(foreign_key="campaign.id")
    event_kinds: list = Field(default_factory=list, sa_type=JSON)
    touch_points: list = Field(default_factory=list, sa_type=JSON)   # empty = any
    regions: list = Field(default_factory=list, sa_type=JSON)        # empty = any
    delay_hours: int = 24
    rates: dict = Field(default_factory=dict, sa_type=JSON)          # tier -> share invited (0..1)
    channel: str = Field(max_length=12)
    fatigue_days: int = 30
    active: bool = True
    active_from: datetime = Field(default_factory=utcnow)            # events closed before are ignored
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class RuleDecision(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("rule_id", "event_id"),)

    id: int | None = Field(default=None, primary_key=True)
    rule_id: int = Field(foreign_key="triggerrule.id", index=True)
    event_id: int = Field(foreign_key="serviceevent.id")
    outcome: str = Field(max_length=16)   # invited | sampled_out | opted_out | no_contact | fatigue | repeat
    invitation_id: int | None = Field(default=None, foreign_key="invitation.id")
    decided_at: datetime = Field(default_factory=utcnow)
