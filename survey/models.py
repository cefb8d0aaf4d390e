"""The data model (SQLModel tables) for DESIGN.md's domain.

Conventions:
- Times are timezone-aware UTC datetimes (``utcnow()``; SQLModel's UTCDateTime refuses
  naive ones); ``Response.answered_on`` is the answer's
  *local* calendar date (SURVEY_TIMEZONE), because weeks, months and holidays are local.
- Vocabulary fields (tier, kind, status, ...) hold the string values of ``survey.vocab``.
- Lists and small structures (scopes, options, display conditions) are JSON columns.
- The schema itself is owned by the Alembic migrations in ``survey/migrations``; a test fails
  when these models and the migrations drift apart.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


def _json_list() -> Any:
    return Field(default_factory=list, sa_type=JSON)


def _json_dict() -> Any:
    return Field(default_factory=dict, sa_type=JSON)


def _json_optional() -> Any:
    return Field(default=None, sa_type=JSON, nullable=True)


# ---------------------------------------------------------------- people

class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    display_name: str = Field(default="", max_length=120)
    role: str = Field(max_length=16)
    password_hash: str = Field(max_length=255)
    language: str = Field(default="zh-CN", max_length=8)
    team: str | None = Field(default=None, max_length=64)
    active: bool = True
    failed_logins: int = 0
    locked_until: datetime | None = None
    last_login_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class StaffSession(SQLModel, table=True):
    """A signed-in browser: the cookie holds a random token, the database only its hash, so a
    session survives reloads and several app processes, and logout or disabling the user
    revokes it everywhere (see survey.staff_sessions)."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    revoked_at: datetime | None = None


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


# ---------------------------------------------------------------- surveys

class Survey(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True, index=True)
    name_zh: str = Field(max_length=200)
    name_en: str = Field(max_length=200)
    status: str = Field(default="draft", max_length=12)
    default_language: str = Field(default="zh-CN", max_length=8)
    template: str | None = Field(default=None, max_length=40)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    closed_at: datetime | None = None


class SurveyVersion(SQLModel, table=True):
    """One version of a survey's questions. Frozen once published (survey.design enforces it)."""

    __table_args__ = (sa.UniqueConstraint("survey_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id", index=True)
    number: int
    status: str = Field(default="draft", max_length=12)
    title_zh: str = Field(default="", max_length=200)
    title_en: str = Field(default="", max_length=200)
    intro_zh: str = Field(default="", max_length=2000)
    intro_en: str = Field(default="", max_length=2000)
    thanks_zh: str = Field(default="", max_length=2000)
    thanks_en: str = Field(default="", max_length=2000)
    created_at: datetime = Field(default_factory=utcnow)
    published_at: datetime | None = None
    published_by_id: int | None = Field(default=None, foreign_key="user.id")


class Question(SQLModel, table=True):
    """A question of one survey version. ``code`` is stable across versions (trends follow it)."""

    __table_args__ = (sa.UniqueConstraint("version_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="surveyversion.id", index=True)
    position: int
    page: int = 1
    code: str = Field(max_length=40)
    type: str = Field(max_length=16)
    dimension: str | None = Field(default=None, max_length=32)
    required: bool = True
    text_zh: str = Field(max_length=1000)
    text_en: str = Field(max_length=1000)
    help_zh: str = Field(default="", max_length=1000)
    help_en: str = Field(default="", max_length=1000)
    scale_min: int | None = None
    scale_max: int | None = None
    labels: dict = _json_dict()      # {"low": {"zh-CN": .., "en": ..}, "high": {...}}
    options: list = _json_list()     # [{"value": "a", "zh-CN": .., "en": ..}]
    items: list = _json_list()       # matrix rows: [{"code": "x", "zh-CN": .., "en": ..}]
    condition: dict | None = _json_optional()  # {"question": "overall", "op": "<=", "value": 2}
    max_length: int | None = None


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


# ---------------------------------------------------------------- distribution

class Campaign(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    survey_id: int = Field(foreign_key="survey.id", index=True)
    version_id: int = Field(foreign_key="surveyversion.id")
    channel: str = Field(max_length=12)
    status: str = Field(default="draft", max_length=12)
    audience: dict = _json_dict()    # the filters that picked it, for the record
    sampling: dict = _json_dict()    # method, n, strata, allocation, quotas
    # Message templates chosen for this campaign (survey.messages): {"invitation": {lang: text}, ...}
    messages: dict = Field(default_factory=dict, sa_type=JSON, sa_column_kwargs={"server_default": "{}"})
    expires_days: int = 14
    remind_after_days: int | None = None
    max_reminders: int = 0
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    launched_at: datetime | None = None


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
    draft: dict = _json_dict()       # answers of completed pages, kept for a returning customer


class Response(SQLModel, table=True):
    """One completed questionnaire. At most one per invitation (unique constraint)."""

    __table_args__ = (
        sa.Index("ix_response_survey_answered", "survey_id", "answered_on"),
        sa.Index("ix_response_region_answered", "region", "answered_on"),
        sa.Index("ix_response_tier_answered", "tier", "answered_on"),
        sa.Index("ix_response_device_key", "device_key"),   # public links: has this device answered?
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
    # The survey.rollup refresh that counted this response (None: not yet counted).
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


# ---------------------------------------------------------------- improvement loop

class ServiceChange(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(default="service_change", max_length=16)
    title: str = Field(max_length=200)
    title_en: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=4000)
    changed_on: date = Field(index=True)
    ends_on: date | None = None          # for external events with a duration
    regions: list = _json_list()         # empty = all
    touch_points: list = _json_list()
    tiers: list = _json_list()
    dimension: str | None = Field(default=None, max_length=32)
    question_code: str | None = Field(default=None, max_length=40)
    survey_code: str | None = Field(default=None, max_length=40)
    owner: str = Field(default="", max_length=120)
    expected_effect: str = Field(default="", max_length=500)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class FollowUpCase(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("response_id", "rule_code"),)

    id: int | None = Field(default=None, primary_key=True)
    response_id: int | None = Field(default=None, foreign_key="response.id", index=True)
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    rule_code: str = Field(max_length=40)
    reason: str = Field(max_length=500)
    priority: str = Field(default="normal", max_length=12)
    status: str = Field(default="open", max_length=12, index=True)
    assignee_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    team: str | None = Field(default=None, max_length=64)
    opened_at: datetime = Field(default_factory=utcnow)
    due_at: datetime
    contacted_at: datetime | None = None
    resolved_at: datetime | None = None
    root_cause: str | None = Field(default=None, max_length=32)
    notes: str = Field(default="", max_length=8000)
    recontact_invitation_id: int | None = Field(default=None, foreign_key="invitation.id")
    recovered: bool | None = None


class FollowUpCaseEvent(SQLModel, table=True):
    """The history of a case: every change, who made it and when."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="followupcase.id", index=True)
    at: datetime = Field(default_factory=utcnow)
    user_id: int | None = Field(default=None, foreign_key="user.id")
    field: str = Field(max_length=32)
    old_value: str | None = Field(default=None, max_length=500)
    new_value: str | None = Field(default=None, max_length=500)
    note: str = Field(default="", max_length=2000)


class AuditLog(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    user_id: int | None = Field(default=None, foreign_key="user.id")
    username: str = Field(default="", max_length=64)
    action: str = Field(max_length=40, index=True)
    entity: str = Field(default="", max_length=40)
    entity_id: str | None = Field(default=None, max_length=64)
    detail: dict = _json_dict()
