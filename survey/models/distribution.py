"""Tables of distribution: the message outbox and the event-triggered revisit rules.

- ``Delivery`` is one message to one customer: an invitation's first message (sequence 0) or
  its n-th reminder (sequence n). It carries the sending state machine of ``survey.distribution.sending``
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

from survey.models.base import json_dict, utcnow


class Customer(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    external_id: str = Field(max_length=64, unique=True, index=True)
    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=32, index=True)
    email: str | None = Field(default=None, max_length=254)
    tier: str = Field(default="standard", max_length=16, index=True)
    region: str = Field(max_length=64, index=True)
    segment: str = Field(default="consumer", max_length=32)
    language: str = Field(default="zh-CN", max_length=8)
    opted_out: bool = False
    opted_out_at: datetime | None = None
    erased_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ServiceEvent(SQLModel, table=True):
    __table_args__ = (sa.Index("ix_serviceevent_kind_closed", "kind", "closed_at"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    external_ticket_id: str | None = Field(default=None, max_length=64, unique=True)
    kind: str = Field(max_length=24)
    touch_point: str = Field(max_length=24)
    region: str = Field(max_length=64)
    team: str | None = Field(default=None, max_length=64)
    category: str | None = Field(default=None, max_length=32)  # complaint category, if any
    repeated_fault: bool = False
    occurred_at: datetime
    closed_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class Campaign(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    survey_id: int = Field(foreign_key="survey.id", index=True)
    version_id: int = Field(foreign_key="surveyversion.id")
    channel: str = Field(max_length=12)
    status: str = Field(default="draft", max_length=12)
    audience: dict = json_dict()  # the filters that picked it, for the record
    sampling: dict = json_dict()  # method, n, strata, allocation, quotas
    # Message templates chosen for this campaign (survey.distribution.messages): {"invitation": {lang: text}, ...}
    messages: dict = Field(default_factory=dict, sa_type=JSON, sa_column_kwargs={"server_default": "{}"})
    expires_days: int = 14
    remind_after_days: int | None = None
    max_reminders: int = 0
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    launched_at: datetime | None = None
    # Made when the launch form is drawn: a second click or a reload with the same key launches nothing new.
    launch_key: str | None = Field(default=None, max_length=40, unique=True)


class Invitation(SQLModel, table=True):
    __table_args__ = (sa.Index("ix_invitation_campaign_status", "campaign_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id")
    customer_id: int = Field(foreign_key="customer.id", index=True)
    event_id: int | None = Field(default=None, foreign_key="serviceevent.id", index=True)
    token: str = Field(max_length=48, unique=True, index=True)
    channel: str = Field(max_length=12)
    language: str = Field(default="zh-CN", max_length=8)
    status: str = Field(default="queued", max_length=12)
    stratum: str | None = Field(default=None, max_length=120)
    assigned_to_id: int | None = Field(default=None, foreign_key="user.id")
    expires_at: datetime | None = None
    queued_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
    failed_at: datetime | None = None
    last_error: str | None = Field(default=None, max_length=1000)
    attempts: int = 0
    next_attempt_at: datetime | None = None
    opened_at: datetime | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    opted_out_at: datetime | None = None
    reminder_count: int = 0
    last_reminded_at: datetime | None = None
    draft: dict = json_dict()  # answers of completed pages, kept for a returning customer


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting for its turn (or for quiet hours to end, or a retry)
    CLAIMED = "claimed"  # reserved by a sender's batch, not yet handed to the channel
    SENDING = "sending"  # being handed to the channel right now
    SENT = "sent"
    FAILED = "failed"  # permanent failure, or retries exhausted
    UNCERTAIN = "uncertain"  # a sender died mid-send on a channel that cannot dedupe: staff decide
    SKIPPED = "skipped"  # not sent on purpose: opted out, answered, expired, quota met


class Delivery(SQLModel, table=True):
    __table_args__ = (
        sa.UniqueConstraint("invitation_id", "sequence"),
        sa.Index("ix_delivery_status_next", "status", "next_attempt_at"),
        sa.Index("ix_delivery_channel_claimed", "channel", "claimed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    invitation_id: int = Field(foreign_key="invitation.id", index=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    sequence: int = 0  # 0: the invitation; n: the n-th reminder
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
    touch_points: list = Field(default_factory=list, sa_type=JSON)  # empty = any
    regions: list = Field(default_factory=list, sa_type=JSON)  # empty = any
    delay_hours: int = 24
    rates: dict = Field(default_factory=dict, sa_type=JSON)  # tier -> share invited (0..1)
    channel: str = Field(max_length=12)
    fatigue_days: int = 30
    active: bool = True
    active_from: datetime = Field(default_factory=utcnow)  # events closed before are ignored
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class RuleDecision(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("rule_id", "event_id"),)

    id: int | None = Field(default=None, primary_key=True)
    rule_id: int = Field(foreign_key="triggerrule.id", index=True)
    event_id: int = Field(foreign_key="serviceevent.id")
    outcome: str = Field(max_length=16)  # invited | sampled_out | opted_out | no_contact | fatigue | already_invited
    invitation_id: int | None = Field(default=None, foreign_key="invitation.id")
    decided_at: datetime = Field(default_factory=utcnow)
