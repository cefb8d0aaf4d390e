"""What people see of the scheduled jobs and what they may do: the Jobs page and `survey jobs status`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from survey.accounts.auth import acting_user
from survey.core import db as database
from survey.core.audit import record
from survey.core.errors import Refused
from survey.jobs.scheduler import JOB_NAMES, LEASE_NAME, JobOutcome
from survey.models import ScheduledJob, SchedulerLease, utcnow


@dataclass(frozen=True)
class JobState:
    name: str
    next_run_at: datetime | None
    last_started_at: datetime | None
    last_finished_at: datetime | None
    last_outcome: JobOutcome | None
    last_counts: dict[str, int]  # what the last successful run did, by kind
    last_error: str | None
    last_error_at: datetime | None
    runs: int
    failures: int


@dataclass(frozen=True)
class SchedulerState:
    jobs: tuple[JobState, ...]
    runner: str | None  # who holds the lease, if anyone does now
    runner_since: datetime | None


def scheduler_state(url: str | None = None, *, now: datetime | None = None) -> SchedulerState:
    """Every job, including those that have never run, and the runner holding the lease."""
    now = now or utcnow()
    with database.session(url) as db:
        rows = {job.name: job for job in db.execute(sa.select(ScheduledJob)).scalars()}
        lease = db.get(SchedulerLease, LEASE_NAME)
    states = []
    for name in JOB_NAMES:
        row = rows.get(name)
        states.append(
            JobState(
                name=name,
                next_run_at=row.next_run_at if row else None,
                last_started_at=row.last_started_at if row else None,
                last_finished_at=row.last_finished_at if row else None,
                last_outcome=JobOutcome(row.last_outcome) if row and row.last_outcome else None,
                last_counts=_counts(row.last_summary) if row else {},
                last_error=row.last_error if row else None,
                last_error_at=row.last_error_at if row else None,
                runs=row.runs if row else 0,
                failures=row.failures if row else 0,
            )
        )
    live = lease is not None and lease.expires_at > now
    return SchedulerState(tuple(states), lease.holder if live else None, lease.acquired_at if live else None)


def _counts(stored: str) -> dict[str, int]:
    try:
        counts = json.loads(stored or "{}")
    except ValueError:  # a summary written as text by an earlier version
        return {}
    return counts if isinstance(counts, dict) else {}


def request_run(name: str, actor_id: int | None = None, url: str | None = None, *, now: datetime | None = None) -> bool:
    """Bring a job's next run forward to now (the runner picks it up within seconds); audited
    under the staff member who asked."""
    if name not in JOB_NAMES:
        raise Refused(key="errors.jobs.unknown_job", name=name)
    now = now or utcnow()
    row = ScheduledJob.__table__.c
    with database.session(url) as db:
        actor = acting_user(db, actor_id) if actor_id is not None else None
        record(db, actor, "jobs.run_now", "scheduledjob", name)
        changed = db.execute(
            sa.update(ScheduledJob.__table__).where(row.name == name, row.next_run_at > now).values(next_run_at=now)
        ).rowcount
        if not changed:
            db.execute(
                database.upsert_insert(db)(ScheduledJob)
                .values(
                    name=name,
                    next_run_at=now,
                    last_summary="",
                    last_runner="",
                    runs=0,
                    failures=0,
                )
                .on_conflict_do_nothing()
            )
    return True
