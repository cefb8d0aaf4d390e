"""Refusals of the shared core (filters, settings, quiet hours) reach a reader in Chinese; the CLI keeps its English."""

from datetime import date

import pytest

from survey.core.config import load_settings
from survey.core.errors import Refused
from survey.core.filters import Filters
from survey.core.quiet_hours import QuietHours


def test_a_reversed_date_range_is_refused_in_chinese():
    with pytest.raises(Refused) as refused:
        Filters(start=date(2026, 3, 31), end=date(2026, 3, 1))
    assert refused.value.text("zh-CN") == "日期范围的结束日期（2026-03-01）早于开始日期（2026-03-31）。"
    assert str(refused.value) == "the date range ends (2026-03-01) before it starts (2026-03-31)"


def test_malformed_quiet_hours_are_refused_in_chinese():
    with pytest.raises(Refused) as refused:
        QuietHours.parse("9pm-8am")
    assert refused.value.text("zh-CN") == "SURVEY_QUIET_HOURS 的格式应为 21:00-08:00（当前为“9pm-8am”）。"
    assert str(refused.value) == "SURVEY_QUIET_HOURS must look like 21:00-08:00 (got '9pm-8am')"


def test_a_setting_that_is_not_a_number_is_refused_in_chinese(monkeypatch):
    monkeypatch.setenv("SURVEY_SMS_RATE_PER_MINUTE", "lots")
    with pytest.raises(Refused) as refused:
        load_settings()
    assert refused.value.text("zh-CN") == "SURVEY_SMS_RATE_PER_MINUTE 必须是整数（当前为“lots”）。"
    assert str(refused.value) == "SURVEY_SMS_RATE_PER_MINUTE must be a whole number (got 'lots')"
