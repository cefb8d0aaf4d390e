"""The scheduler: one runner holds the jobs, each slot runs once, failures are recorded, a
stopped runner hands over, and the product runs itself (a low VIP score becomes a case)."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
import sqlalchemy as sa

from survey.core import db as database
from survey.jobs.scheduler import JOB_NAMES, Job, JobOutcome, Scheduler
from survey.jobs.service import request_run, scheduler_state
from survey.models import FollowUpCase
from tests.respondent_support import personal_token, read_form
from tests.support import PROJECT_ROOT, LiveApp, free_port, server_env

START = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


class Clock:
    """A clock the test moves by hand, shared by the runners of one test."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> None:
        self.now += by


def recording_jobs(log: list, fail: set[str] = frozenset()) -> tuple[Job, ...]:
    def make(name):
        def run(slot):
            log.append((name, slot))
            if name in fail:
                raise RuntimeError(f"{name} broke")
            return {"done": 1}

        return Job(name, run)

    return tuple(make(name) for name in JOB_NAMES)


def runner(name: str, clock: Clock, log: list, **kwargs) -> Scheduler:
    return Scheduler(jobs=recording_jobs(log, **kwargs), interval=MINUTE, clock=clock, name=name)


def test_of_two_runners_one_runs_each_job_once_per_slot(db_url):
    clock, log = Clock(), []
    first, second = runner("first", clock, log), runner("second", clock, log)
    for _ in range(3):
        ran = first.tick() + second.tick() + first.tick()  # extra ticks within a slot do nothing
        assert sorted(name for name, _ in ran) == sorted(JOB_NAMES)
        clock.advance(MINUTE)
    assert len(log) == 3 * len(JOB_NAMES) == len(set(log))
    state = scheduler_state(now=clock.now)
    assert state.runner == "first"
    assert all(job.runs == 3 and job.last_outcome == JobOutcome.OK for job in state.jobs)
    assert all(job.next_run_at == clock.now for job in state.jobs)


def test_a_failing_job_is_recorded_and_the_others_go_on(db_url):
    clock, log = Clock(), []
    ran = dict(runner("only", clock, log, fail={"sending"}).tick())
    assert ran == {"invitations": JobOutcome.OK, "sending": JobOutcome.FAILED, "cases": JobOutcome.OK}
    jobs = {job.name: job for job in scheduler_state(now=clock.now).jobs}
    assert jobs["sending"].last_error == "RuntimeError: sending broke" and jobs["sending"].failures == 1
    assert jobs["sending"].last_error_at == START
    assert jobs["cases"].last_counts == {"done": 1} and jobs["cases"].last_error is None


def test_a_dead_runner_is_replaced_after_its_lease_and_a_stopped_one_at_once(db_url):
    clock, log = Clock(), []
    first, second = runner("first", clock, log), runner("second", clock, log)
    assert first.tick() and not second.tick()
    clock.advance(2 * MINUTE)  # the first stopped ticking (died) ...
    assert not second.tick()  # ... but its lease (3 intervals) still holds
    clock.advance(2 * MINUTE)
    assert second.tick() and scheduler_state(now=clock.now).runner == "second"
    second.release_lease()  # a clean stop hands over without waiting
    assert first.hold_lease() and scheduler_state(now=clock.now).runner == "first"


def test_run_now_brings_the_next_run_forward(db_url):
    clock, log = Clock(), []
    only = runner("only", clock, log)
    only.tick()
    clock.advance(timedelta(seconds=10))
    assert only.tick() == []
    request_run("cases", now=clock.now)
    assert only.tick() == [("cases", JobOutcome.OK)]
    with pytest.raises(ValueError):
        request_run("no-such-job")


@pytest.mark.slow  # a real `survey worker` process
def test_the_worker_stops_gracefully_on_sigterm_and_releases_its_lease(db_url, tmp_path):
    env = server_env(db_url, tmp_path)
    worker = subprocess.Popen(
        [sys.executable, "-m", "survey.cli", "worker", "--interval", "1"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while scheduler_state().runner is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert scheduler_state().runner is not None
    finally:
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=60)
    assert worker.returncode == 0, output
    assert "stopped" in output and "Traceback" not in output
    assert scheduler_state().runner is None  # released at once, not after the lease


# ---------------------------------------------------------------- with real app processes

RAN = re.compile(r"scheduler (\S+): job (\w+) \(slot (\S+)\) ok")


def _runs(*apps: LiveApp) -> list[tuple[str, str, str]]:
    return [match.groups() for app in apps for match in RAN.finditer(app.log())]


@pytest.mark.slow
def test_two_app_processes_on_postgresql_run_each_job_exactly_once(postgres_url, tmp_path):
    database.dispose_engines()
    apps = [
        LiveApp(
            server_env(postgres_url, tmp_path / f"app{i}", SURVEY_SCHEDULER="on", SURVEY_SCHEDULER_INTERVAL="1"),
            free_port(),
        )
        for i in range(2)
    ]
    try:
        for app in apps:
            app.wait_healthy()
        deadline = time.monotonic() + 90
        while min([sum(1 for _, job, _ in _runs(*apps) if job == name) for name in JOB_NAMES]) < 3:
            assert time.monotonic() < deadline, apps[0].log() + apps[1].log()
            time.sleep(0.5)
        runs = _runs(*apps)
    finally:
        for app in apps:
            app.stop()
    slots = [(job, slot) for _, job, slot in runs]
    assert len(slots) == len(set(slots)), "a slot ran twice"
    assert len({runner for runner, _, _ in runs}) == 1, "both processes ran jobs while both were alive"


@pytest.mark.slow
def test_a_low_vip_score_on_a_link_becomes_a_case_with_nobody_touching_anything(db_url, tmp_path):
    with database.session() as db:
        token = personal_token(db, tier="diamond")
    database.dispose_engines()
    app = LiveApp(
        server_env(db_url, tmp_path / "app", SURVEY_SCHEDULER="on", SURVEY_SCHEDULER_INTERVAL="2"), free_port()
    )
    try:
        app.wait_healthy()
        with requests.Session() as browser:
            url = f"{app.base_url}/s/{token}"
            form = read_form(browser.get(url, timeout=30).text)
            done = browser.post(
                url,
                timeout=30,
                data={
                    **form.hidden,
                    "_action": "next",
                    "overall": "1",
                    "what_wrong": "fault_repair",
                    "fault_repair": "1",
                    "staff_attitude": "2",
                    "resolved": "0",
                    "nps": "0",
                    "comment": "修了三次还没好",
                },
            )
            assert done.status_code == 200
        deadline = time.monotonic() + 120
        while True:
            with database.session() as db:
                cases = db.execute(sa.select(FollowUpCase)).scalars().all()
            if cases or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert len(cases) == 1, app.log()
    finally:
        app.stop()
    assert cases[0].status == "open"
