"""Tables of collection: phone-call attempts, the shared form-signing secret, rate counters.

- ``CallAttempt`` keeps every call an agent makes for a phone revisit (survey.phone), so the
  queue knows who asked to be called back and when, and who refused.
- ``ServerSecret`` holds secrets every app process must share (the key that signs respondent
  forms); it lives in the database because several processes may serve one PostgreSQL.
- ``RateCounter`` counts hits per key per time window (survey.ratelimit), also shared by
  every process.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from survey.models import utcnow


class CallAttempt(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    invitation_id: int = Field(foreign_key="invitation.id", index=True)
    agent_id: int | None = Field(default=None, foreign_key="user.id")
    at: datetime = Field(default_factory=utcnow)
    outcome: str = Field(max_length=16)               # survey.vocab.CallOutcome
    callback_at: datetime | None = None
    note: str = Field(default="", max_length=1000)


class ServerSecret(SQLModel, table=True):
    name: str = Field(primary_key=True, max_length=40)
    value: str = Field(max_length=128)
    created_at: datetime = Field(default_factory=utcnow)


class RateCounter(SQLModel, table=True):
    __table_args__ = (sa.Index("ix_ratecounter_window_start", "window_start"),)

    key: str = Field(primary_key=True, max_length=200)
    window_start: int = Field(primary_key=True)       # Unix time the window began
    hits: int = 0
