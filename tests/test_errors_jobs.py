"""Asking to run a job that does not exist is refused in the reader's language; the CLI's English stays."""

from __future__ import annotations

import pytest

from survey.core.errors import Refused
from survey.jobs import service as jobs


def test_running_an_unknown_job_reads_in_chinese_and_stays_english_for_the_cli():
    with pytest.raises(Refused) as refused:
        jobs.request_run("nightly-backup")
    assert refused.value.text("zh-CN") == "没有名为“nightly-backup”的定时任务"
    assert str(refused.value) == "no scheduled job named 'nightly-backup'"
