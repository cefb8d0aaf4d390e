"""Scheduled work: `survey jobs run` (one pass, for cron), `survey jobs status`, `survey worker`."""

from __future__ import annotations

import logging
import signal
import threading

import click

from survey.cli.common import friendly_errors, schema_ready


@click.group("jobs")
def jobs_group() -> None:
    """Scheduled work."""


@jobs_group.command("run")
@click.option("--no-send", is_flag=True, help="Do everything except sending.")
@friendly_errors
def jobs_run(no_send: bool) -> None:
    """Expire, apply revisit rules, withdraw full quotas, queue reminders, send. Idempotent."""
    from survey import jobs

    schema_ready()
    for line in jobs.run(send=not no_send).lines():
        click.echo(line)


@jobs_group.command("status")
@friendly_errors
def jobs_status() -> None:
    """Each scheduled job's last run, outcome and next run (times in SURVEY_TIMEZONE)."""
    from survey.core.config import settings
    from survey.jobs.service import scheduler_state

    schema_ready()
    state = scheduler_state()
    zone = settings().timezone

    def local(moment) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S") if moment else "never"

    click.echo(f"runner: {state.runner or 'none running'}")
    for job in state.jobs:
        click.echo(
            f"{job.name}\tlast run {local(job.last_started_at)}\t{job.last_outcome or 'never run'}\t"
            f"next {local(job.next_run_at)}\truns {job.runs}, failures {job.failures}"
        )
        if job.last_error:
            click.echo(f"  last error ({local(job.last_error_at)}): {job.last_error}")


@click.command("worker")
@click.option(
    "--interval",
    type=click.IntRange(min=1),
    default=None,
    help="Seconds between runs of each job (default: SURVEY_SCHEDULER_INTERVAL or 60).",
)
@friendly_errors
def worker(interval: int | None) -> None:
    """Run the scheduled jobs until stopped (SIGTERM or Ctrl-C finish the job in hand first).

    For deployments that set SURVEY_SCHEDULER=off on the app processes. Several workers may
    run: one holds the lease and runs the jobs, the others wait to take over."""
    from datetime import timedelta

    from survey.jobs.scheduler import Scheduler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    schema_ready()
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    scheduler = Scheduler(interval=timedelta(seconds=interval) if interval else None)
    click.echo(f"worker {scheduler.name}: running the jobs every {scheduler.interval.total_seconds():g} s", err=True)
    scheduler.run_until(stop)
    click.echo(f"worker {scheduler.name}: stopped", err=True)


COMMANDS = (jobs_group, worker)
