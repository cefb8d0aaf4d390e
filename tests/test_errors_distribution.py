"""Distribution's refusals reach a Chinese reader in Chinese, while the CLI keeps its English words."""

import re
from pathlib import Path

import pytest

from survey.core.errors import Refused
from survey.core.i18n import catalog
from survey.distribution.channels import ChannelNotConfigured, parse_smtp_url
from survey.distribution.imports import ImportFileError, read_table
from survey.distribution.sampling import parse_quotas

DISTRIBUTION = Path(__file__).resolve().parent.parent / "survey" / "distribution"


def test_a_malformed_quota_is_refused_in_the_readers_language():
    with pytest.raises(Refused) as refused:
        parse_quotas("gold=50, Hangzhou")
    assert (
        refused.value.text("zh-CN") == "配额的格式为 分层=数量，例如 gold=50 或 gold|Hangzhou=20（收到的是“Hangzhou”）"
    )
    assert str(refused.value) == "a quota is STRATUM=N, e.g. gold=50 or gold|Hangzhou=20 (got 'Hangzhou')"


def test_a_file_that_is_not_a_table_is_refused_in_the_readers_language():
    with pytest.raises(ImportFileError) as refused:
        read_table(b"%PDF-1.7", "customers.pdf")
    assert refused.value.text("zh-CN") == "无法读取“.pdf”文件：请使用 CSV 或 Excel（.xlsx）"
    assert str(refused.value) == "cannot read '.pdf' files: use CSV or Excel (.xlsx)"


def test_a_malformed_channel_setting_is_named_in_the_readers_language():
    with pytest.raises(ChannelNotConfigured) as refused:
        parse_smtp_url("smtp://mail.example.cn:port")
    assert refused.value.text("zh-CN") == "SURVEY_SMTP_URL 中的端口无效"
    assert str(refused.value) == "SURVEY_SMTP_URL has an invalid port"
    assert refused.value.settings == ("SURVEY_SMTP_URL",)  # pages still name the setting to fix


def test_every_distribution_refusal_has_its_words_in_the_catalog():
    code = "\n".join(path.read_text(encoding="utf-8") for path in DISTRIBUTION.glob("*.py"))
    used = set(re.findall(r"""key=["'](errors\.distribution\.[a-z_]+)["']""", code))
    assert used, "the distribution refusals carry catalog keys"
    assert not sorted(used - catalog().keys())
