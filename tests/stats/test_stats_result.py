"""The shared result object: wording in both languages, serialisation, immutability."""

import dataclasses
import json

import numpy as np
import pytest

import stats
from stats import compare


def _example(estimate=0.31, low=0.12, high=0.50):
    return stats.TestResult(
        estimate=estimate,
        ci_low=low,
        ci_high=high,
        p_value=0.002,
        statistic=3.1,
        method="Welch t-test",
        n=(120, 118),
        quantity="mean_difference",
    )


def test_summary_reads_as_the_issue_example_in_english_and_chinese():
    r = _example()
    assert r.summary() == (
        "The mean is 0.31 higher in A than in B (95% CI 0.12 to 0.50; Welch t-test, p = 0.002; n = 120 vs 118)."
    )
    assert r.summary("zh-CN") == (
        "A 组均值比 B 组高 0.31（95% 置信区间 0.12 至 0.50；Welch t 检验，p = 0.002；样本量 120 对 118）。"
    )


def test_a_negative_difference_reads_lower_with_the_interval_of_the_amount_lower():
    r = _example(-0.31, -0.50, -0.12)
    assert r.summary().startswith("The mean is 0.31 lower in A than in B (95% CI 0.12 to 0.50;")
    assert r.summary("zh-CN").startswith("A 组均值比 B 组低 0.31（95% 置信区间 0.12 至 0.50；")


def test_small_p_values_are_reported_as_below_one_in_a_thousand():
    r = dataclasses.replace(_example(), p_value=1e-9)
    assert "p < 0.001" in r.summary()


def test_unknown_language_is_rejected():
    with pytest.raises(ValueError, match="lang"):
        _example().summary("fr")


def test_result_is_frozen_and_serialises_to_json_with_warnings():
    r = compare.means([1, 2, 3, 4, 5, 4], [2, 3, 4, 5, 5, 5])
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.estimate = 1.0  # type: ignore[misc]
    d = r.to_dict()
    json.dumps(d)  # plain Python types only
    assert d["n"] == [6, 6] and d["warnings"] and d["summary"] == r.summary()
    zh = r.to_dict("zh-CN")
    assert zh["warnings"][0] != d["warnings"][0] and "回答" in zh["warnings"][0]


def test_nan_estimates_are_refused_rather_than_returned():
    with pytest.raises(ValueError, match="NaN"):
        stats.TestResult(estimate=float("nan"), ci_low=0, ci_high=1, p_value=0.5, statistic=0, method="x", n=3)


def test_numpy_numbers_are_stored_as_python_floats():
    r = stats.TestResult(
        estimate=np.float64(1.5),
        ci_low=np.float32(1),
        ci_high=2,
        p_value=None,
        statistic=None,
        method="t interval",
        n=np.int64(10),
    )
    assert type(r.estimate) is float and type(r.n) is int


def test_submodules_and_result_are_exported():
    for name in ("compare", "trend", "impact", "drivers", "power", "reliability", "weighting"):
        assert hasattr(stats, name)
    from stats import TestResult  # noqa: F401


def test_pages_format_numbers_as_the_summaries_do():
    result = stats.TestResult(
        estimate=0.31,
        ci_low=0.12,
        ci_high=0.5,
        p_value=0.0004,
        statistic=3.6,
        method="Welch t-test",
        n=(120, 95),
        quantity="mean_difference",
    )
    assert stats.fmt_p(result.p_value) in result.summary()
    assert stats.fmt_num(result.ci_high) in result.summary()
    assert stats.fmt_conf(result.confidence) in result.summary()


def test_results_survive_pickling_for_caching():
    import pickle

    r = compare.means([1, 2, 3, 4, 5, 4], [2, 3, 4, 5, 5, 5])
    back = pickle.loads(pickle.dumps(r))
    assert back == r
    assert back.caveats("zh-CN") == r.caveats("zh-CN")
    assert isinstance(back.warnings[0], stats.Caveat)


def test_every_container_result_gives_strict_json():
    import pandas as pd

    from stats import drivers, impact, trend

    rng = np.random.default_rng(12)
    weeks = pd.date_range("2024-01-01", periods=40, freq="W-MON")
    panel = pd.DataFrame(
        {
            "y": rng.normal(size=80),
            "treated": np.repeat([0, 1], 40),
            "period": np.tile(weeks[:4], 20),
            "unit": np.repeat(np.arange(20), 4),
        }
    )
    panel["post"] = (panel["period"] >= weeks[2]).astype(int)
    kd = pd.DataFrame(rng.normal(size=(60, 3)), columns=["y", "a", "b"])
    results = [
        compare.groups(rng.normal(size=60), np.repeat(["x", "y", "z"], 20)),
        trend.individuals_chart(rng.normal(size=20)),
        trend.p_chart(rng.binomial(50, 0.3, 20), [50] * 20),
        trend.change_points(np.r_[rng.normal(0, 1, 20), rng.normal(5, 1, 20)]),
        impact.interrupted_time_series(rng.normal(size=40), weeks, weeks[20]),
        impact.difference_in_differences(panel, "y", "treated", "post", cluster="unit", time="period"),
        drivers.key_drivers(kd, "y", ["a", "b"], n_boot=20),
    ]
    for r in results:
        d = r.to_dict()
        json.dumps(d, allow_nan=False)
        if hasattr(r, "summary"):
            json.dumps(r.to_dict("zh-CN"), allow_nan=False)
