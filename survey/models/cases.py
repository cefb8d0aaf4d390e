"""Tables of the closed loop (issue 6): case rules and settings, which responses the rules have
seen, comment-theme keywords and the themes found, and drafts of service changes made from
recurring root causes. The cases themselves are ``FollowUpCase`` and ``FollowUpCaseEvent``
(survey.models).

- ``CaseRule``: "a VIP scoring overall <= 2 opens a high-priority case"; quality staff edit the
  parameters (``params``: tiers, question code, threshold, themes) in the app.
- ``CaseSetting``: small named settings of the loop (SLA hours per tier, how far back the rules
  look, who gets cases no team member can take, the theme-keyword version).
- ``CaseRoute``: which team takes a case, by the response's region, touch point and tier (first
  matching route wins; no match: the team of the service event).
- ``ResponseCheck``: one row per response the rules have evaluated, so `survey cases run` is
  idempotent and only looks at new responses, whatever order concurrent writers commit in.
- ``ThemeKeyword`` / ``CommentTheme``: the editable keyword rules of survey.cases.themes and the
  themes each free-text answer was classified into (with the keyword version that did it).
- ``CaseChange``: a service change drafted from cases of one root cause (so the report shows
  which causes already have one).
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import JSON, Field, SQLModel

from survey.models.base import utcnow


class FollowUpCase(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("response_id", "rule_code"),)

    id: int | None = Field(default=None, primary_key=True)
    response_id: int | None = Field(default=None, foreign_key="response.id", index=True)
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    rule_code: str = Field(max_length=40)
    reason: str = Field(max_length=500)  # JSON codes, see survey.cases.reasons (older rows: text)
    category: str | None = Field(default=None, max_length=32)  # root-cause category it was routed by
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


class CaseRule(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True, index=True)
    name_zh: str = Field(max_length=200)
    name_en: str = Field(max_length=200)
    kind: str = Field(max_length=24)  # survey.cases.RuleKind
    enabled: bool = True
    priority: str = Field(default="normal", max_length=12)
    position: int = 0  # evaluation order: the first matching rule names the case
    params: dict = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by_id: int | None = Field(default=None, foreign_key="user.id")


class CaseSetting(SQLModel, table=True):
    key: str = Field(primary_key=True, max_length=40)
    value: dict = Field(default_factory=dict, sa_type=JSON)
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by_id: int | None = Field(default=None, foreign_key="user.id")


class CaseRoute(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    position: int = 0
    regions: list = Field(default_factory=list, sa_type=JSON)  # empty = any
    touch_points: list = Field(default_factory=list, sa_type=JSON)  # empty = any
    tiers: list = Field(default_factory=list, sa_type=JSON)  # empty = any
    categories: list = Field(default_factory=list, sa_type=JSON)  # root-cause categories; empty = any
    team: str = Field(max_length=64)
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by_id: int | None = Field(default=None, foreign_key="user.id")


class ResponseCheck(SQLModel, table=True):
    response_id: int = Field(primary_key=True, foreign_key="response.id")
    checked_at: datetime = Field(default_factory=utcnow)
    case_id: int | None = Field(default=None, foreign_key="followupcase.id")


class ThemeKeyword(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("language", "theme", "phrase"),)

    id: int | None = Field(default=None, primary_key=True)
    theme: str = Field(max_length=32)
    language: str = Field(max_length=8)
    phrase: str = Field(max_length=100)  # terms separated by spaces, found in one clause
    weight: float = 1.0  # negative weights argue against the theme
    enabled: bool = True
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by_id: int | None = Field(default=None, foreign_key="user.id")


class CommentTheme(SQLModel, table=True):
    answer_id: int = Field(primary_key=True, foreign_key="answer.id")
    theme: str = Field(primary_key=True, max_length=32)
    response_id: int = Field(foreign_key="response.id", index=True)
    version: int = Field(index=True)
    score: float = 0.0


class CaseChange(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    service_change_id: int = Field(foreign_key="servicechange.id", unique=True)
    root_cause: str = Field(max_length=32, index=True)
    cases: int
    since: date
    until: date
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
