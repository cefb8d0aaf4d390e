"""Tables of design."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from survey.models.base import json_dict, json_list, json_optional, utcnow


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
    labels: dict = json_dict()  # {"low": {"zh-CN": .., "en": ..}, "high": {...}}
    options: list = json_list()  # [{"value": "a", "zh-CN": .., "en": ..}]
    items: list = json_list()  # matrix rows: [{"code": "x", "zh-CN": .., "en": ..}]
    condition: dict | None = json_optional()  # {"question": "overall", "op": "<=", "value": 2}
    max_length: int | None = None
