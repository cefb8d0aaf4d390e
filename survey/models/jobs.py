"""Tables of the scheduler (``survey.jobs.scheduler``): who runs the jobs, and how each job went."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel


class SchedulerLease(SQLModel, table=True):
    """The one runner of the scheduled jobs: a lease that its holder renews while it lives.

    Another process takes over only after ``expires_at``, so a runner that died stops holding
    the jobs within a lease period, and two live runners never both hold it."""

    name: str = Field(primary_key=True, max_length=32)
    holder: str = Field(max_length=120)
    acquired_at: datetime
    expires_at: datetime


class ScheduledJob(SQLModel, table=True):
    """One scheduled job: when it runs next, and how its last run went (the Jobs page reads this).

    A run claims its slot by moving ``next_run_at`` forward in one conditional UPDATE, so a slot
    runs once even if two runners ever met."""

    name: str = Field(primary_key=True, max_length=32)
    next_run_at: datetime
    last_started_at: datetime | None = None
    last_finished_at: datetime | None = None
    last_outcome: str | None = Field(default=None, max_length=16)  # JobOutcome
    last_summary: str = Field(default="", max_length=2000)
    last_error: str | None = Field(default=None, max_length=2000)
    last_error_at: datetime | None = None
    last_runner: str = Field(default="", max_length=120)
    runs: int = 0
    failures: int = 0
