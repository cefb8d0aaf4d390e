"""A refusal from the insight package reaches the reader in their language; the CLI's English stays."""

from __future__ import annotations

import pytest

from survey.core.errors import Refused
from survey.insight import metrics


def test_a_misnamed_vip_index_weight_reads_in_chinese_and_stays_english_for_the_cli():
    with pytest.raises(Refused) as refused:
        metrics.vip_weights("network_quality=2,speed=1")
    dimensions = ", ".join(metrics.DIMENSIONS)
    assert refused.value.text("zh-CN") == f"SURVEY_VIP_INDEX_WEIGHTS 中的“speed”不是可用的维度，可用：{dimensions}"
    assert str(refused.value) == f"SURVEY_VIP_INDEX_WEIGHTS names 'speed'; use {dimensions}"
