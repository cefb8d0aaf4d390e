"""The scheduler: the product's jobs run every minute without cron, exactly once per slot.

Every app process (``streamlit run app.py``) starts a scheduler thread unless
SURVEY_SCHEDULER=off; a deployment may instead run ``survey worker`` processes. However many
there are, the jobs run in one place at a time:

- **One runner.** A runner works only while it holds the ``schedulerlease`` row. It takes the
  row when it is free or expired, and renews it on every tick, each in one conditional
  statement, so two live runners never both hold it; a runner that dies stops holding it
  after one lease period (a clean stop releases it at once) and another takes over.
- **One run per slot.** A job's run claims its slot by moving ``scheduledjob.next_run_at``
  forward in one conditional UPDATE (``WHERE next_run_at <= now``); only the runner whose
  UPDATE changed the row runs it. So even a runner that lost its lease mid-run (a long send)
  cannot run the same slot as its successor.
- **Every run is recorded.** Start, end, outcome, what it did (counts by kind), the last error and
  counts of runs and failures stay on the job's row, for the Jobs page. A failing job is
  logged with its traceback and tried again at its next slot; the other jobs go on.

The jobs themselves are idempotent (``survey jobs run`` may run at any rate), so a slot that
a dead runner left half done is simply done again at the next one.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa

from survey.cases.rules import run_rules
from survey.core import db as database
from survey.core.config import settings
from survey.distribution.sending import run_queue
from survey.jobs.tasks import close_campaigns, run_invitation_steps
from survey.models import ScheduledJob, SchedulerLease, utcnow

log = logging.getLogger(__name__)

LEASE_NAME = "jobs"
LEASE_PERIODS = 3  # a lease outlives this many job intervals without renewal
SUMMARY_LIMIT = 2000


class JobOutcome(StrEnum):
    RUNNING = "running"
    OK = "ok"
    FAILED = "failed"


Counts = dict[str, int]  # what a run did, by kind: stored as JSON, shown in the reader's language


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[datetime], Counts]  # does the work due at this time; says how much it did


def _invitations(now: datetime) -> Counts:
    report = close_campaigns(run_invitation_steps(now))
    return {
        "expired": report.expired,
        "invited_by_rules": sum(run.invited for run in report.rules.values()),
        "withdrawn": report.withdrawn,
        "reminders": report.reminders,
        "campaigns_finished": report.closed,
    }


def _sending(_now: datetime) -> Counts:
    report = run_queue(clock=utcnow)  # a long batch reads the clock as it goes
    return {
        "sent": report.sent,
        "failed": report.failed,
        "retrying": report.retrying,
        "uncertain": report.uncertain,
        "deferred_quiet": report.deferred_quiet,
    }


def _cases(now: datetime) -> Counts:
    report = run_rules(now=now)
    return {
        "comments_classified": report.comments_classified,
        "evaluated": report.evaluated,
        "cases_opened": report.opened,
        "added_to_open": report.added_to_open,
        "recontacts_recorded": report.recontacts_recorded,
    }


JOBS: tuple[Job, ...] = (
    Job("invitations", _invitations),  # expiry, revisit rules, quotas, reminders, finished campaigns
    Job("sending", _sending),  # the send queue
    Job("cases", _cases),  # follow-up case rules, comment themes, recontact answers
)
JOB_NAMES = tuple(job.name for job in JOBS)


def runner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Scheduler:
    """Runs due jobs while it holds the lease. ``tick()`` is one pass; ``run_until`` loops."""

    def __init__(
        self,
        *,
        url: str | None = None,
        jobs: Sequence[Job] = JOBS,
        interval: timedelta | None = None,
        clock: Callable[[], datetime] = utcnow,
        name: str | None = None,
    ) -> None:
        self.url = url
        self.jobs = tuple(jobs)
        self.interval = interval or timedelta(seconds=settings().scheduler_interval_seconds)
        self.clock = clock
        self.name = name or runner_name()

    # ------------------------------------------------------------ the lease

    def hold_lease(self) -> bool:
        """Take or renew the lease; True while this runner holds it."""
        now = self.clock()
        expires = now + self.interval * LEASE_PERIODS
        with database.session(self.url) as db:
            # RETURNING, not rowcount: an ORM insert's rowcount is not the rows written on every driver.
            inserted = db.execute(
                database.upsert_insert(db)(SchedulerLease.__table__)
                .values(
                    name=LEASE_NAME,
                    holder=self.name,
                    acquired_at=now,
                    expires_at=expires,
                )
                .on_conflict_do_nothing()
                .returning(SchedulerLease.__table__.c.name)
            ).first()
            if inserted is not None:
                return True
            lease = SchedulerLease.__table__.c
            taken = db.execute(
                sa.update(SchedulerLease.__table__)
                .where(
                    lease.name == LEASE_NAME,
                    sa.or_(lease.holder == self.name, lease.expires_at <= now),
                )
                .values(
                    holder=self.name,
                    expires_at=expires,
                    acquired_at=sa.case((lease.holder == self.name, lease.acquired_at), else_=now),
                )
            ).rowcount
        return taken == 1

    def release_lease(self) -> None:
        """A clean stop hands the jobs over at once instead of after a lease period."""
        lease = SchedulerLease.__table__.c
        with database.session(self.url) as db:
            db.execute(
                sa.update(SchedulerLease.__table__)
                .where(lease.name == LEASE_NAME, lease.holder == self.name)
                .values(expires_at=self.clock())
            )

    # ------------------------------------------------------------ the jobs

    def ensure_jobs(self) -> None:
        now = self.clock()
        with database.session(self.url) as db:
            db.execute(
                database.upsert_insert(db)(ScheduledJob)
                .values(
                    [
                        {
                            "name": job.name,
                            "next_run_at": now,
                            "last_summary": "",
                            "last_runner": "",
                            "runs": 0,
                            "failures": 0,
                        }
                        for job in self.jobs
                    ]
                )
                .on_conflict_do_nothing()
            )

    def claim(self, job: Job) -> datetime | None:
        """Claim the job's due slot (its start time) by moving its next run forward, if nobody else did."""
        now = self.clock()
        row = ScheduledJob.__table__.c
        with database.session(self.url) as db:
            claimed = (
                db.execute(
                    sa.update(ScheduledJob.__table__)
                    .where(
                        row.name == job.name,
                        row.next_run_at <= now,
                    )
                    .values(
                        next_run_at=now + self.interval,
                        last_started_at=now,
                        last_outcome=JobOutcome.RUNNING,
                        last_runner=self.name,
                        runs=row.runs + 1,
                    )
                ).rowcount
                == 1
            )
        return now if claimed else None

    def run_job(self, job: Job, slot: datetime) -> JobOutcome:
        try:
            summary = job.run(slot)
        except Exception as exc:  # a job's failure is recorded and retried; the others go on
            log.exception("scheduler %s: job %s (slot %s) failed", self.name, job.name, slot.isoformat())
            self._finish(job, JobOutcome.FAILED, {}, f"{type(exc).__name__}: {exc}")
            return JobOutcome.FAILED
        self._finish(job, JobOutcome.OK, summary, None)
        log.info("scheduler %s: job %s (slot %s) ok", self.name, job.name, slot.isoformat())
        return JobOutcome.OK

    def _finish(self, job: Job, outcome: JobOutcome, summary: Counts, error: str | None) -> None:
        now = self.clock()
        row = ScheduledJob.__table__.c
        values: dict = {"last_finished_at": now, "last_outcome": outcome, "last_summary": json.dumps(summary)}
        if error is not None:
            values |= {"last_error": error[:SUMMARY_LIMIT], "last_error_at": now, "failures": row.failures + 1}
        with database.session(self.url) as db:
            db.execute(sa.update(ScheduledJob.__table__).where(row.name == job.name).values(**values))

    def tick(self) -> list[tuple[str, JobOutcome]]:
        """One pass: if this runner holds the lease, run every job whose slot is due."""
        if not self.hold_lease():
            return []
        self.ensure_jobs()
        done = []
        for job in self.jobs:
            if (slot := self.claim(job)) is not None:
                done.append((job.name, self.run_job(job, slot)))
        return done

    def run_until(self, stop: threading.Event, poll_seconds: float | None = None) -> None:
        """Tick until ``stop`` is set; a stop waits for the job in hand, then releases the lease."""
        poll = poll_seconds if poll_seconds is not None else min(5.0, self.interval.total_seconds())
        log.info("scheduler %s started (jobs every %s)", self.name, self.interval)
        try:
            while not stop.is_set():
                try:
                    self.tick()
                except database.DatabaseError as exc:
                    log.warning("scheduler: database unavailable, retrying: %s", exc)
                except sa.exc.OperationalError as exc:
                    log.warning("scheduler: database error, retrying: %s", exc.orig or exc)
                stop.wait(poll)
        finally:
            try:
                self.release_lease()
            except Exception:  # the database may be gone at shutdown; the lease then just expires
                log.warning("scheduler %s could not release its lease", self.name)
            log.info("scheduler %s stopped", self.name)


class BackgroundScheduler:
    """The scheduler on a daemon thread of an app process."""

    def __init__(self, scheduler: Scheduler | None = None) -> None:
        self.scheduler = scheduler or Scheduler()
        self.stop_event = threading.Event()
        self.thread = threading.Thread(
            target=self.scheduler.run_until, args=(self.stop_event,), name="survey-scheduler", daemon=True
        )

    def start(self) -> BackgroundScheduler:
        self.thread.start()
        return self

    def stop(self, timeout: float = 30) -> None:
        self.stop_event.set()
        self.thread.join(timeout)
