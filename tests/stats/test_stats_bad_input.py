"""Bad input raises a ValueError that names the problem; never a silent NaN."""

import numpy as np
import pandas as pd
import pytest

from stats import compare, drivers, impact, reliability, trend


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: compare.means([], [1, 2, 3]), "a is empty"),
        (lambda: compare.means([1, 2, np.nan], [1, 2, 3]), "NaN"),
        (lambda: compare.means([4, 4, 4], [4, 4]), "constant"),
        (lambda: compare.means([3], [1, 2, 3]), "at least 2"),
        (lambda: compare.means(["a", "b"], [1, 2]), "numbers"),
        (lambda: compare.means_from_counts([0, 0, 0], [1, 2, 3], [1, 2, 3]), "all counts are zero"),
        (lambda: compare.means_from_counts([1, 2], [1, 2, 3], [1, 2, 3]), "one per level"),
        (lambda: compare.means_from_counts([1, -2, 3], [1, 2, 3], [1, 2, 3]), "negative"),
        (lambda: compare.mean_interval([5, 5, 5]), "constant"),
        (lambda: compare.proportions(11, 10, 3, 10), "between 0 and the total"),
        (lambda: compare.proportions(1, 0, 3, 10), "positive"),
        (lambda: compare.proportions(1.5, 10, 3, 10), "whole number"),
        (lambda: compare.proportion_interval(3, 0), "positive"),
        (lambda: compare.nps([11, 9, 8], [1, 2, 3]), "0 to 10"),
        (lambda: compare.nps([10, 10, 9], [9, 10]), "one NPS category"),
        (lambda: compare.nps_interval([10] * 20), "one NPS category"),
        (lambda: compare.nps_from_counts([1] * 10, [1] * 11), "11 entries"),
        (lambda: compare.ordinal([3, 3], [3, 3, 3]), "identical"),
        (lambda: compare.groups([1, 2, 3, 4], ["a", "a", "a", "a"]), "at least 2 groups"),
        (lambda: compare.groups([1, 2, 3, 4, 5], ["a", "a", "b", "b", "c"]), "too few in: c"),
        (lambda: compare.groups([1, 2, 3], ["a", "b"]), "same length"),
        (lambda: compare.adjust([0.5, 1.2]), "between 0 and 1"),
        (lambda: compare.means([1, 2, 3], [2, 3, 4], confidence=95), "confidence"),
        (lambda: trend.mann_kendall([1, 2, 3]), "at least 4"),
        (lambda: trend.mann_kendall([2, 2, 2, 2, 2]), "constant"),
        (lambda: trend.mann_kendall([1, 2, np.nan, 4, 5]), "NaN"),
        (lambda: trend.linear_trend([1, 2, 3, 4], [1, 2, 2, 3]), "duplicate"),
        (lambda: trend.linear_trend([1, 2, 3, 4], [4, 3, 2, 1]), "increasing"),
        (lambda: trend.p_chart([1, 2], [10]), "same length"),
        (lambda: trend.p_chart([0, 0, 0], [10, 10, 10]), "no variation"),
        (lambda: trend.individuals_chart([1.0, 1.0, 1.0]), "constant"),
        (lambda: trend.change_points([1.0] * 20), "constant"),
        (lambda: trend.change_points(np.arange(20.0), method="magic"), "pelt"),
    ],
)
def test_bad_input_raises_a_named_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_its_change_date_outside_the_series():
    weeks = pd.date_range("2024-01-01", periods=30, freq="W-MON")
    y = np.random.default_rng(0).normal(size=30)
    with pytest.raises(ValueError, match="outside the series"):
        impact.interrupted_time_series(y, weeks, "2025-06-01")
    with pytest.raises(ValueError, match="outside the series"):
        impact.interrupted_time_series(y, weeks, weeks[0])
    with pytest.raises(ValueError, match="date"):
        impact.interrupted_time_series(y, list(range(30)), pd.Timestamp("2024-03-01"))


def test_its_too_few_points():
    with pytest.raises(ValueError, match=r"too few points.*2 before"):
        impact.interrupted_time_series([1.0, 2.0, 3.0, 2.0, 5.0, 6.0, 7.0], None, 2)
    with pytest.raises(ValueError, match="too few points"):
        impact.interrupted_time_series(np.arange(8.0) ** 1.5, None, 4, seasonal_period=4)


def test_its_other_bad_input():
    y = np.random.default_rng(1).normal(size=20)
    with pytest.raises(ValueError, match="NaN"):
        impact.interrupted_time_series(np.r_[y[:-1], np.nan], None, 10)
    with pytest.raises(ValueError, match="constant"):
        impact.interrupted_time_series(np.ones(20), None, 10)
    with pytest.raises(ValueError, match="errors"):
        impact.interrupted_time_series(y, None, 10, errors="magic")
    with pytest.raises(ValueError, match="weights must be positive"):
        impact.interrupted_time_series(y, None, 10, weights=np.r_[np.ones(19), 0])
    with pytest.raises(ValueError, match="one entry per value"):
        impact.interrupted_time_series(y, list(range(19)), 10)


def _did_frame():
    rng = np.random.default_rng(2)
    return pd.DataFrame(
        {
            "y": rng.normal(size=40),
            "treated": np.repeat([0, 1], 20),
            "post": np.tile([0, 1], 20),
            "unit": np.repeat(np.arange(10), 4),
            "period": np.tile([0, 1], 20),
        }
    )


def test_did_bad_input():
    df = _did_frame()
    with pytest.raises(ValueError, match=r"not found.*'sales'"):
        impact.difference_in_differences(df, "sales", "treated", "post")
    with pytest.raises(ValueError, match="0/1"):
        impact.difference_in_differences(df.assign(treated=df["treated"] * 2), "y", "treated", "post")
    with pytest.raises(ValueError, match="missing values"):
        impact.difference_in_differences(df.assign(y=df["y"].where(df.index > 0)), "y", "treated", "post")
    with pytest.raises(ValueError, match="treated, after cell"):
        impact.difference_in_differences(df[~((df.treated == 1) & (df.post == 1))], "y", "treated", "post")
    with pytest.raises(ValueError, match="at least 2 clusters"):
        impact.difference_in_differences(df.assign(unit=1), "y", "treated", "post", cluster="unit")
    with pytest.raises(ValueError, match="collinear"):
        impact.difference_in_differences(df.assign(copy=df["treated"]), "y", "treated", "post", covariates=["copy"])
    with pytest.raises(ValueError, match="post varies within period"):
        impact.difference_in_differences(df.assign(period=0), "y", "treated", "post", time="period")


def test_before_after_bad_metric():
    with pytest.raises(ValueError, match="metric"):
        impact.before_after([1, 2, 3], [2, 3, 4], "median")


def test_drivers_bad_input():
    rng = np.random.default_rng(3)
    df = pd.DataFrame(rng.normal(size=(50, 3)), columns=["y", "a", "b"])
    with pytest.raises(ValueError, match=r"'a'.*constant"):
        drivers.key_drivers(df.assign(a=1.0), "y", ["a", "b"])
    with pytest.raises(ValueError, match="collinear"):
        drivers.key_drivers(df.assign(c=df["a"] + df["b"]), "y", ["a", "b", "c"])
    with pytest.raises(ValueError, match="dropna=True"):
        drivers.key_drivers(df.assign(a=df["a"].where(df.index > 2)), "y", ["a", "b"])
    with pytest.raises(ValueError, match="at most 12"):
        drivers.key_drivers(df, "y", [f"x{i}" for i in range(13)])
    with pytest.raises(ValueError, match="not found"):
        drivers.key_drivers(df, "y", ["a", "zzz"])
    with pytest.raises(ValueError, match="n_boot"):
        drivers.key_drivers(df, "y", ["a", "b"], n_boot=5)
    dropped = drivers.key_drivers(df.assign(a=df["a"].where(df.index > 2)), "y", ["a", "b"], dropna=True, n_boot=20)
    assert dropped.n == 47 and any("3 rows" in w for w in dropped.warnings)


def test_reliability_bad_input():
    with pytest.raises(ValueError, match="at least 2 items"):
        reliability.cronbach_alpha(np.ones((10, 1)))
    with pytest.raises(ValueError, match="constant"):
        reliability.cronbach_alpha(np.column_stack([np.arange(10.0), np.ones(10)]))
