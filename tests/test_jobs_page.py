"""The Jobs page: each job's last run, outcome, next run and last error, in words and local time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from survey.core import db as database
from survey.core.audit import entries
from survey.jobs.scheduler import JOBS, Job, Scheduler
from survey.jobs.service import scheduler_state
from tests.apptest_support import signed_in
from tests.cases_support import staff

RUN_AT = datetime(2026, 12, 3, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai


def failing_sends(_slot):
    raise ConnectionError("SMS gateway refused the connection")


def run_jobs_once() -> None:
    jobs = tuple(
        Job(job.name, failing_sends if job.name == "sending" else (lambda _slot: {"cases_opened": 2})) for job in JOBS
    )
    Scheduler(jobs=jobs, interval=timedelta(minutes=1), clock=lambda: RUN_AT, name="app-1").tick()


def test_quality_staff_read_each_jobs_outcome_in_local_time_and_can_run_one_now(db_url):
    with database.session() as db:
        staff(db, "qa", "quality")
    run_jobs_once()
    app = signed_in("qa", "qa-password", page="pages/jobs.py")
    table = app.dataframe[0].value
    rows = {row["任务"]: row for row in table.to_dict("records")}
    sending = rows["发送队列（短信、邮件）"]
    assert sending["结果"] == "失败" and sending["上次运行"] == "2026年12月3日 09:30"
    assert "SMS gateway refused the connection" in sending["最近错误"] and "+00:00" not in sending["最近错误"]
    assert rows["回访工单规则与评论主题"]["结果"] == "成功"
    assert any("新建回访工单：2" in block.value for block in app.markdown)
    assert rows["回访工单规则与评论主题"]["下次运行"] == "2026年12月3日 09:31"

    app.button(key="jobs_run_cases").click().run()
    assert scheduler_state().jobs[2].next_run_at <= datetime.now(UTC)
    with database.session() as db:
        asked = [(e.username, e.entity_id) for e in entries(db, action="jobs.run_now")]
    assert asked == [("qa", "cases")]
    assert any("几秒内" in w.value or "没有运行中的调度器" in w.value for w in [*app.success, *app.warning])
