"""Tables of collection: phone-call attempts, the shared form-signing secret, rate counters.

- ``CallAttempt`` keeps every call an agent makes for a phone revisit (survey.collect.phone), so the
  queue knows who asked to be called back and when, and who refused.
- ``ServerSecret`` holds secrets every app process must share (the key that signs respondent
  forms); it lives in the database because several processes may serve one PostgreSQL.
- ``RateCounter`` counts hits per key per time window (survey.core.ratelimit), also shared by
  every process.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from survey.models.base import utcnow


class PublicLink(SQLModel, table=True):
    """An anonymous link (and QR code) for a counter, tagged with where it hangs."""

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=40, unique=True, index=True)
    survey_id: int = Field(foreign_key="survey.id")
    touch_point: str | None = Field(default=None, max_length=24)
    region: str | None = Field(default=None, max_length=64)
    team: str | None = Field(default=None, max_length=64)
    label: str = Field(default="", max_length=200)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)


class Response(SQLModel, table=True):
    """One completed questionnaire. At most one per invitation (unique constraint)."""

    __table_args__ = (
        sa.Index("ix_response_survey_answered", "survey_id", "answered_on"),
        sa.Index("ix_response_region_answered", "region", "answered_on"),
        sa.Index("ix_response_tier_answered", "tier", "answered_on"),
        sa.Index("ix_response_device_key", "device_key"),  # public links: has this device answered?
    )

    id: int | None = Field(default=None, primary_key=True)
    invitation_id: int | None = Field(default=None, foreign_key="invitation.id", unique=True)
    survey_id: int = Field(foreign_key="survey.id")
    version_id: int = Field(foreign_key="surveyversion.id")
    channel: str = Field(max_length=12)
    language: str = Field(default="zh-CN", max_length=8)
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    event_id: int | None = Field(default=None, foreign_key="serviceevent.id")
    agent_id: int | None = Field(default=None, foreign_key="user.id")
    public_link_id: int | None = Field(default=None, foreign_key="publiclink.id")
    device_key: str | None = Field(default=None, max_length=64)
    started_at: datetime | None = None
    submitted_at: datetime = Field(default_factory=utcnow)
    answered_on: date = Field(index=True)
    # Snapshot at answer time: the customer's tier or region may change later,
    # the statistics must not.
    tier: str | None = Field(default=None, max_length=16)
    region: str | None = Field(default=None, max_length=64)
    touch_point: str | None = Field(default=None, max_length=24)
    segment: str | None = Field(default=None, max_length=32)
    event_kind: str | None = Field(default=None, max_length=24)
    team: str | None = Field(default=None, max_length=64)
    # The survey.insight.rollup refresh that counted this response (None: not yet counted).
    rollup_batch: int | None = Field(default=None, index=True)


class Answer(SQLModel, table=True):
    """One answer value. Multiple choice stores one row per chosen option; a rating matrix
    one row per item (``item_code``)."""

    __table_args__ = (sa.Index("ix_answer_code_value", "question_code", "value_num"),)

    id: int | None = Field(default=None, primary_key=True)
    response_id: int = Field(foreign_key="response.id", index=True)
    question_code: str = Field(max_length=40)
    item_code: str | None = Field(default=None, max_length=40)
    value_num: float | None = None
    value_text: str | None = None


class CallAttempt(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    invitation_id: int = Field(foreign_key="invitation.id", index=True)
    agent_id: int | None = Field(default=None, foreign_key="user.id")
    at: datetime = Field(default_factory=utcnow)
    outcome: str = Field(max_length=16)  # survey.core.vocab.CallOutcome
    callback_at: datetime | None = None
    note: str = Field(default="", max_length=1000)


class ServerSecret(SQLModel, table=True):
    name: str = Field(primary_key=True, max_length=40)
    value: str = Field(max_length=128)
    created_at: datetime = Field(default_factory=utcnow)


class RateCounter(SQLModel, table=True):
    __table_args__ = (sa.Index("ix_ratecounter_window_start", "window_start"),)

    key: str = Field(primary_key=True, max_length=200)
    window_start: int = Field(primary_key=True)  # Unix time the window began
    hits: int = 0
