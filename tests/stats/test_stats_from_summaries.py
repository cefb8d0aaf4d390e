"""Statistics from summaries (cells, histograms, moment blocks) give what the raw-row path
gives: the dashboard relies on this to never load a million rows."""

import gc

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from stats import compare, drivers, impact, power, weighting
from stats.moments import Moments, composite_index, paired_versus_rest


# ---------------------------------------------------------------------------
# Difference-in-differences from per-cell n, mean and variance
# ---------------------------------------------------------------------------
def _panel(rng, effect=0.5, pre_gap=0.0, periods=8, change=5):
    rows = []
    for period in range(periods):
        for treated in (0, 1):
            k = int(rng.integers(3, 60))
            shift = effect * (treated and period >= change) + pre_gap * treated * period
            values = np.clip(rng.integers(1, 6, k) + shift, 1, 5)
            rows += [{"period": period, "treated": treated, "post": int(period >= change), "y": v} for v in values]
    return pd.DataFrame(rows)


def _cells(df):
    return df.groupby(["period", "treated", "post"])["y"].agg(n="count", mean="mean", var="var").reset_index()


@pytest.mark.parametrize("pre_gap", [0.0, 0.5])
def test_did_from_cells_equals_the_row_level_fit(pre_gap):
    df = _panel(np.random.default_rng(3), pre_gap=pre_gap)
    rows = impact.difference_in_differences(df, "y", "treated", "post", time="period")
    cells = impact.difference_in_differences_from_cells(_cells(df))
    for a, b in ((rows.effect, cells.effect), (rows.pre_trend, cells.pre_trend)):
        assert (b.estimate, b.ci_low, b.ci_high, b.p_value) == pytest.approx(
            (a.estimate, a.ci_low, a.ci_high, a.p_value), rel=1e-9, abs=1e-12
        )
        assert b.n == a.n and b.method == a.method
    assert cells.pre_trend.details["joint_p"] == pytest.approx(rows.pre_trend.details["joint_p"], rel=1e-9)
    columns = ["relative", "estimate", "ci_low", "ci_high", "p_value"]
    np.testing.assert_allclose(
        cells.event_study[columns].to_numpy(float), rows.event_study[columns].to_numpy(float), rtol=1e-9, atol=1e-12
    )
    pd.testing.assert_frame_equal(cells.cell_means, rows.cell_means, check_dtype=False)
    assert cells.warnings == rows.warnings
    assert any(w.code == "pretrend" for w in cells.warnings) == (pre_gap > 0)


def test_did_from_cells_without_periods_is_the_2x2_difference():
    df = _panel(np.random.default_rng(4))
    two_by_two = df.groupby(["treated", "post"])["y"].agg(n="count", mean="mean", var="var").reset_index()
    result = impact.difference_in_differences_from_cells(two_by_two, period=None)
    rows = impact.difference_in_differences(df, "y", "treated", "post")
    assert result.effect.estimate == pytest.approx(rows.effect.estimate)
    assert result.effect.ci_low == pytest.approx(rows.effect.ci_low)
    assert result.event_study is None


def test_did_from_cells_refuses_a_missing_group():
    cells = _cells(_panel(np.random.default_rng(5)))
    with pytest.raises(ValueError, match="treated, after"):
        impact.difference_in_differences_from_cells(cells[~((cells.treated == 1) & (cells.post == 1))])


# ---------------------------------------------------------------------------
# Before/after from histograms
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("metric, levels", [("mean", range(1, 6)), ("top_box", range(1, 6)), ("nps", range(11))])
def test_before_after_from_counts_equals_the_raw_path(metric, levels):
    rng = np.random.default_rng(6)
    levels = np.array(list(levels), float)
    before, after = (
        rng.choice(levels, 300),
        rng.choice(levels, 280, p=np.linspace(1, 2, levels.size) / np.linspace(1, 2, levels.size).sum()),
    )
    counts = [np.array([(x == lv).sum() for lv in levels]) for x in (before, after)]
    raw = impact.before_after(before, after, metric)
    from_counts = impact.before_after_from_counts(*counts, levels, metric)
    assert (from_counts.estimate, from_counts.ci_low, from_counts.p_value) == pytest.approx(
        (raw.estimate, raw.ci_low, raw.p_value)
    )
    assert [w.code for w in from_counts.warnings] == [w.code for w in raw.warnings]


# ---------------------------------------------------------------------------
# A temporary change (the window as the "post" period, baseline from both sides)
# ---------------------------------------------------------------------------
@pytest.mark.slow  # Monte Carlo: many simulated samples (the quick loop keeps the worked examples)
def test_temporary_change_interval_covers_a_window_effect_about_95_percent():
    rng = np.random.default_rng(7)
    days = pd.date_range("2025-01-06", periods=7 * 60, freq="D")
    window = (days >= "2025-06-04") & (days <= "2025-06-24")  # 21 days, not aligned to weeks
    week = (days - days[0]).days // 7
    exposure = pd.Series(window.astype(float)).groupby(week).mean().to_numpy()
    weeks = days[::7]
    covered, hits = 0, 0
    for _ in range(200):
        daily = 4.0 + 0.002 * np.arange(days.size) / 7 - 0.3 * window + rng.normal(0, 0.4, days.size)
        weekly = pd.Series(daily).groupby(week).mean().to_numpy()
        r = impact.temporary_change(weekly, weeks, exposure=exposure)
        covered += r.effect.ci_low <= -0.3 <= r.effect.ci_high
        hits += r.effect.p_value < 0.05
    assert 0.90 <= covered / 200 <= 0.99
    assert hits / 200 > 0.8


def test_temporary_change_with_dates_marks_the_window_and_the_counterfactual():
    t = np.arange(40)
    y = 3 + 0.01 * t - 0.5 * ((t >= 20) & (t <= 22)) + 1e-9 * np.sin(t)
    r = impact.temporary_change(y, None, start=20, end=22, errors="ols")
    assert r.effect.estimate == pytest.approx(-0.5, abs=1e-6)
    assert r.trend == pytest.approx(0.01, abs=1e-6)
    assert r.table["exposure"].sum() == 3
    np.testing.assert_allclose(r.table["counterfactual"], 3 + 0.01 * t, atol=1e-6)
    with pytest.raises(ValueError, match="either"):
        impact.temporary_change(y, None, start=1, end=2, exposure=np.zeros(40))


# ---------------------------------------------------------------------------
# Weighted estimates from (value, weight, count) rows; raking cells
# ---------------------------------------------------------------------------
def test_weighted_estimates_from_counts_equal_the_repeated_rows():
    values, weights, counts = (
        np.array([1, 2, 3, 4, 5, 5.0]),
        np.array([0.5, 1, 2, 1, 0.7, 1.3]),
        np.array([3, 0, 7, 9, 12, 4]),
    )
    raw = weighting.weighted_mean(np.repeat(values, counts), np.repeat(weights, counts))
    grouped = weighting.weighted_mean_from_counts(values, weights, counts)
    assert (grouped.estimate, grouped.ci_low, grouped.details["n_effective"]) == pytest.approx(
        (raw.estimate, raw.ci_low, raw.details["n_effective"])
    )
    assert grouped.n == counts.sum()
    top = (values >= 4).astype(float)
    raw_share = weighting.weighted_proportion(np.repeat(top, counts), np.repeat(weights, counts))
    share = weighting.weighted_proportion_from_counts(top, weights, counts)
    assert (share.estimate, share.ci_low, share.ci_high) == pytest.approx(
        (raw_share.estimate, raw_share.ci_low, raw_share.ci_high)
    )


def test_raking_cells_gives_the_weights_of_raking_every_respondent():
    cells = pd.DataFrame({"tier": ["vip", "vip", "std", "std"], "region": ["n", "s", "n", "s"]})
    counts = np.array([30, 10, 200, 160])
    margins = {"tier": {"vip": 0.2, "std": 0.8}, "region": {"n": 0.5, "s": 0.5}}
    raked = weighting.rake_cells(cells, counts, margins)
    rows = cells.loc[cells.index.repeat(counts)].reset_index(drop=True)
    expected = weighting.rake(rows, margins)
    np.testing.assert_allclose(np.repeat(raked.weights.to_numpy(), counts), expected.weights.to_numpy(), rtol=1e-6)
    assert raked.n_effective == pytest.approx(expected.n_effective, rel=1e-6)


def test_difference_of_estimates_is_the_z_test_of_independent_estimates():
    a = weighting.weighted_mean(np.arange(200) % 5 + 1.0, np.ones(200))
    b = weighting.weighted_mean(np.arange(300) % 4 + 1.0, np.ones(300))
    d = compare.difference_of_estimates(a, b, labels=("this month", "last month"))
    se = np.hypot(a.details["se"], b.details["se"])
    assert d.estimate == pytest.approx(a.estimate - b.estimate)
    assert d.p_value == pytest.approx(2 * sps.norm.sf(abs(d.estimate) / se))
    welch = compare.means(np.arange(200) % 5 + 1.0, np.arange(300) % 4 + 1.0)
    assert d.statistic == pytest.approx(welch.statistic)  # the same standard error as Welch's test
    assert "higher in this month than in last month" in d.summary("en")


def test_minimum_detectable_effect_from_a_standard_error():
    n, sd = 2000, 1.1
    assert power.mde_from_se(sd * np.sqrt(2 / n)) == pytest.approx(power.mde_means(n, sd), rel=0.01)
    assert power.mde_from_se(1.0, power=0.5) == pytest.approx(sps.norm.ppf(0.975))


# ---------------------------------------------------------------------------
# Moment blocks: composite index, paired comparisons, key drivers
# ---------------------------------------------------------------------------
NAMES = ("a", "b", "c")


def _ratings(rng, n):
    common = rng.normal(size=n)
    return np.column_stack([3 + 0.6 * common + rng.normal(0, 0.8, n) for _ in NAMES])


def _blocks_with_missing(x, rng):
    """Split respondents into blocks by which variables they answered (NaN = not asked)."""
    pattern = rng.integers(0, 3, x.shape[0])
    x = x.copy()
    x[pattern == 1, 2] = np.nan  # some never rate c
    x[pattern == 2, 0] = np.nan  # some never rate a
    blocks = []
    for k in range(3):
        rows = x[pattern == k]
        keep = [j for j in range(3) if not np.isnan(rows[:, j]).any()]
        for chunk in np.array_split(rows[:, keep], 5):
            blocks.append(Moments.of([NAMES[j] for j in keep], chunk))
    return x, blocks


def test_composite_of_complete_responses_is_the_t_interval_of_each_respondents_composite():
    rng = np.random.default_rng(8)
    x = _ratings(rng, 500)
    weights = {"a": 0.5, "b": 0.3, "c": 0.2}
    blocks = [Moments.of(NAMES, chunk) for chunk in np.array_split(x, 7)]
    result = composite_index(blocks, weights)
    each = compare.mean_interval(x @ np.array([0.5, 0.3, 0.2]))
    assert (result.estimate, result.ci_low, result.ci_high) == pytest.approx((each.estimate, each.ci_low, each.ci_high))
    assert result.n == 500


def test_composite_with_missing_dimensions_matches_a_row_level_linearisation():
    rng = np.random.default_rng(9)
    x, blocks = _blocks_with_missing(_ratings(rng, 900), rng)
    w = np.array([0.2, 0.5, 0.3])
    result = composite_index(blocks, dict(zip(NAMES, w)))
    seen = ~np.isnan(x)
    mean = np.nanmean(x, axis=0)
    dev = np.where(seen, x - mean, 0.0)
    both = seen.T.astype(float) @ seen
    cov = (dev.T @ dev) * both / (both - 1) / np.outer(seen.sum(0), seen.sum(0))
    assert result.estimate == pytest.approx(w @ mean)
    assert result.details["se"] == pytest.approx(np.sqrt(w @ cov @ w))


@pytest.mark.slow  # Monte Carlo: many simulated samples (the quick loop keeps the worked examples)
def test_composite_interval_covers_the_true_value_about_95_percent():
    rng = np.random.default_rng(10)
    covered = 0
    for _ in range(300):
        _, blocks = _blocks_with_missing(_ratings(rng, 300), rng)
        r = composite_index(blocks, {"a": 0.2, "b": 0.5, "c": 0.3})
        covered += r.ci_low <= 3.0 <= r.ci_high
    assert 0.91 <= covered / 300 <= 0.98


def test_composite_reweights_when_a_dimension_has_no_answers_and_says_so():
    x = _ratings(np.random.default_rng(11), 100)
    r = composite_index([Moments.of(["a", "b"], x[:, :2])], {"a": 1, "b": 1, "c": 2})
    assert r.details["weights"] == {"a": 0.5, "b": 0.5}
    assert any(w.code == "composite_renormalised" and "c" in w for w in r.warnings)


def test_paired_versus_rest_is_a_one_sample_t_test_of_each_respondents_difference():
    rng = np.random.default_rng(12)
    x, blocks = _blocks_with_missing(_ratings(rng, 600) + np.array([0.3, 0, 0]), rng)
    table = paired_versus_rest(blocks, NAMES).set_index("variable")
    for j, name in enumerate(NAMES):
        others = np.delete(x, j, axis=1)
        ok = ~np.isnan(x[:, j]) & (~np.isnan(others)).any(axis=1)
        diff = x[ok, j] - np.nanmean(others[ok], axis=1)
        test = sps.ttest_1samp(diff, 0.0)
        assert table.loc[name, "difference"] == pytest.approx(diff.mean())
        assert table.loc[name, "p_value"] == pytest.approx(test.pvalue)
        assert table.loc[name, "n"] == ok.sum()
    assert table.loc["a", "p_holm"] < 0.05 and table.loc["a", "difference"] > 0
    np.testing.assert_allclose(table["p_holm"], compare.adjust(table["p_value"], "holm"))


def test_key_drivers_from_one_response_blocks_equal_the_row_analysis():
    rng = np.random.default_rng(13)
    x = rng.normal(size=(300, 3))
    df = pd.DataFrame({"y": x @ [0.6, 0.3, 0.0] + rng.normal(size=300), "a": x[:, 0], "b": x[:, 1], "c": x[:, 2]})
    rows = drivers.key_drivers(df, "y", ["a", "b", "c"], n_boot=60)
    blocks = [Moments.of(["y", "a", "b", "c"], r[None, :]) for r in df.to_numpy()]
    grouped = drivers.key_drivers_from_moments(blocks, "y", ["a", "b", "c"], n_boot=60)
    numbers = ["importance", "ci_low", "ci_high", "share", "performance", "performance_ci_low"]
    np.testing.assert_allclose(
        grouped.table[numbers].to_numpy(float), rows.table[numbers].to_numpy(float), rtol=1e-9, atol=1e-12
    )
    assert list(grouped.table["driver"]) == ["a", "b", "c"] == list(rows.table["driver"])
    assert grouped.r2 == pytest.approx(rows.r2)


def test_key_drivers_from_day_blocks_keep_the_importances_and_warn_about_few_blocks():
    rng = np.random.default_rng(14)
    x = rng.normal(size=(400, 2))
    y = x @ [0.7, 0.2] + rng.normal(size=400)
    data = np.column_stack([y, x])
    few = [Moments.of(["y", "a", "b"], chunk) for chunk in np.array_split(data, 10)]
    result = drivers.key_drivers_from_moments(few, "y", ["a", "b"], n_boot=40)
    point = drivers.key_drivers(pd.DataFrame(data, columns=["y", "a", "b"]), "y", ["a", "b"], n_boot=40)
    np.testing.assert_allclose(result.table["importance"], point.table["importance"], rtol=1e-9)
    assert any(w.code == "few_blocks" for w in result.warnings)


def test_holm_adjustment_equals_statsmodels_including_ties():
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(15)
    gc.freeze()  # statsmodels' Holm runs a full gc.collect() per call: spare it the test session's heap
    try:
        for _ in range(50):
            p = rng.random(int(rng.integers(1, 30))) ** 3
            p[: min(3, p.size)] = p[0]
            np.testing.assert_allclose(compare.adjust(p, "holm"), multipletests(p, method="holm")[1])
    finally:
        gc.unfreeze()
