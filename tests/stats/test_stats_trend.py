"""stats.trend against a published Mann-Kendall example, pymannkendall, scipy and
Montgomery's p-chart solution."""

import numpy as np
import pandas as pd
import pymannkendall as pmk
import pytest
import scipy.stats as sps

from stats import trend

# "A Mann-Kendall Example ('By Hand')", College of the Holy Cross,
# mathcs.holycross.edu/~little/Montserrat/MannKendallByHand.txt:
# S = 54, V = (14)(13)(33)/18 - (2)(1)(9)/18 (one tied pair), Z = (S - 1)/sqrt(V) = 2.9058.
HOLY_CROSS = [12.9, 14.8, 13.2, 15.7, 13.8, 15.6, 12.9, 11.0, 17.3, 15.9, 19.0, 18.3, 20.1, 21.7]


def test_mann_kendall_matches_the_published_hand_calculation():
    r = trend.mann_kendall(HOLY_CROSS)
    assert r.details["S"] == 54
    assert r.details["var_s"] == pytest.approx(14 * 13 * 33 / 18 - 2 * 1 * 9 / 18)
    assert r.statistic == pytest.approx(2.9058, abs=5e-5)
    # the page quotes the one-sided tail "about p = .0018"; the test here is two-sided
    assert r.p_value / 2 == pytest.approx(0.0018, abs=5e-5)


def test_mann_kendall_is_not_scipy_kendalltau():
    t = np.arange(len(HOLY_CROSS))
    assert trend.mann_kendall(HOLY_CROSS).p_value != pytest.approx(sps.kendalltau(t, HOLY_CROSS).pvalue, rel=1e-3)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mann_kendall_matches_pymannkendall_original_test(seed):
    rng = np.random.default_rng(seed)
    x = np.round(rng.normal(0, 1, 60) + 0.02 * np.arange(60), 1)  # rounding creates ties
    r = trend.mann_kendall(x)
    ref = pmk.original_test(x)
    assert r.details["S"] == ref.s and r.details["var_s"] == pytest.approx(ref.var_s)
    assert r.statistic == pytest.approx(ref.z) and r.p_value == pytest.approx(ref.p)
    assert r.effect_size == pytest.approx(ref.Tau)
    assert r.estimate == pytest.approx(ref.slope) and r.details["intercept"] == pytest.approx(ref.intercept)


def test_hamed_rao_matches_pymannkendall_on_an_autocorrelated_series():
    rng = np.random.default_rng(5)
    e = np.zeros(80)
    for i in range(1, 80):
        e[i] = 0.6 * e[i - 1] + rng.normal()
    x = 0.03 * np.arange(80) + e
    r = trend.mann_kendall(x, hamed_rao=True)
    ref = pmk.hamed_rao_modification_test(x)
    assert r.details["var_s"] == pytest.approx(ref.var_s)
    assert r.p_value == pytest.approx(ref.p)
    assert r.p_value > trend.mann_kendall(x).p_value  # autocorrelation widens the test
    assert any("autocorrelated" in w for w in trend.mann_kendall(x).warnings)
    lagged = trend.mann_kendall(x, hamed_rao=True, lag=3)
    assert lagged.details["var_s"] == pytest.approx(pmk.hamed_rao_modification_test(x, lag=3).var_s)


def test_sens_slope_interval_matches_scipy_theilslopes_without_ties():
    rng = np.random.default_rng(6)
    x = rng.normal(0, 1, 40) + 0.05 * np.arange(40)
    r = trend.mann_kendall(x)
    ref = sps.theilslopes(x, np.arange(40), alpha=0.95)
    assert r.estimate == pytest.approx(ref.slope)
    assert (r.ci_low, r.ci_high) == pytest.approx((ref.low_slope, ref.high_slope))


@pytest.mark.slow  # Monte Carlo: many simulated samples (the quick loop keeps the worked examples)
def test_mann_kendall_rejects_at_about_alpha_under_the_null():
    rng = np.random.default_rng(7)
    rejections = sum(trend.mann_kendall(rng.normal(size=30)).p_value < 0.05 for _ in range(1000))
    assert 0.03 <= rejections / 1000 <= 0.07


def test_linear_trend_reads_weekly_dates_in_weeks_and_matches_integer_times():
    rng = np.random.default_rng(8)
    y = 4.0 + 0.01 * np.arange(52) + rng.normal(0, 0.1, 52)
    weeks = pd.date_range("2024-01-01", periods=52, freq="W-MON")
    by_date = trend.linear_trend(y, weeks)
    by_index = trend.linear_trend(y)
    assert by_date.unit == "week" and "per week" in by_date.summary() and "每周" in by_date.summary("zh-CN")
    assert by_date.estimate == pytest.approx(by_index.estimate)
    assert (by_date.ci_low, by_date.ci_high) == pytest.approx((by_index.ci_low, by_index.ci_high))
    assert by_date.details["hac_lags"] == trend.newey_west_lags(52) == 3


def test_linear_trend_uses_calendar_months_for_monthly_dates():
    months = pd.date_range("2022-01-31", periods=24, freq="ME")  # month ends: 28 to 31 days apart
    y = 2.0 + 0.5 * np.arange(24) + np.tile([0.1, -0.1], 12)
    r = trend.linear_trend(y, months)
    assert r.unit == "month" and r.estimate == pytest.approx(0.5, abs=0.01)


# Montgomery, D. C., Introduction to Statistical Quality Control, Exercise 6-1 (solutions manual):
# m = 20 samples of n = 100, 117 nonconforming in total: p-bar = 0.0585, UCL = 0.1289, LCL = 0;
# sample 12 (15 nonconforming) is out of control. With it removed (102 in 19 samples):
# p-bar = 0.0537, UCL = 0.1213.  The other samples' counts are not in the solution; any split of
# the remaining 102 gives the same limits, and the alternating split below avoids 8-point runs.
def _montgomery_6_1():
    others = [6, 5, 5] * 6 + [6]
    assert sum(others) == 102 and len(others) == 19
    return others[:11] + [15] + others[11:]


def test_p_chart_matches_montgomerys_exercise_6_1():
    counts = _montgomery_6_1()
    chart = trend.p_chart(counts, [100] * 20)
    assert chart.centre == pytest.approx(0.0585)
    assert chart.table["ucl"].iloc[0] == pytest.approx(0.1289, abs=5e-5)
    assert chart.table["lcl"].iloc[0] == 0.0
    assert np.flatnonzero(chart.table["beyond_limits"]).tolist() == [11]
    revised = trend.p_chart(counts[:11] + counts[12:], [100] * 19)
    assert revised.centre == pytest.approx(0.0537, abs=5e-5)
    assert revised.table["ucl"].iloc[0] == pytest.approx(0.1213, abs=5e-5)


def test_p_chart_limits_widen_for_smaller_weeks():
    chart = trend.p_chart([40, 10, 45, 200], [100, 20, 100, 400])
    widths = (chart.table["ucl"] - chart.table["lcl"]).to_numpy()
    assert widths[1] > widths[0] > widths[3]


def test_p_chart_flags_a_run_of_eight_above_the_centre():
    counts = [34, 28] * 5 + [33] * 8 + [28, 34] * 5  # alternating, then 8 just above the centre
    chart = trend.p_chart(counts, [100] * 28)
    assert chart.table["run"].iloc[10:18].all() and not chart.table["beyond_limits"].any()
    assert chart.signals == list(range(10, 18))


def test_individuals_chart_uses_mean_moving_range_over_1128():
    x = [1.0, 3.0, 2.0, 4.0, 3.0]
    chart = trend.individuals_chart(x)
    mr_bar = np.mean([2, 1, 2, 1])
    assert chart.sigma == pytest.approx(mr_bar / 1.128)
    assert chart.table["ucl"].iloc[0] == pytest.approx(2.6 + 3 * mr_bar / 1.128)
    assert chart.details["mr_ucl"] == pytest.approx(3.267 * mr_bar)


def test_individuals_chart_flags_an_injected_spike():
    rng = np.random.default_rng(9)
    x = rng.normal(4.0, 0.1, 40)
    x[25] += 1.0
    assert 25 in trend.individuals_chart(x).signals


@pytest.mark.parametrize("method", ["pelt", "binseg"])
def test_change_points_recover_injected_level_shifts(method):
    rng = np.random.default_rng(10)
    x = np.concatenate([rng.normal(4.0, 0.15, 37), rng.normal(4.6, 0.15, 30), rng.normal(4.1, 0.15, 33)])
    cp = trend.change_points(x, method=method)
    assert len(cp.breaks) == 2
    assert abs(cp.breaks[0] - 37) <= 1 and abs(cp.breaks[1] - 67) <= 1
    assert cp.segments["n"].sum() == 100
    assert cp.segments["mean"].iloc[1] == pytest.approx(4.6, abs=0.1)


def test_change_points_can_fall_off_multiples_of_five():
    rng = np.random.default_rng(11)
    x = np.concatenate([rng.normal(0, 0.1, 23), rng.normal(2, 0.1, 20)])
    assert trend.change_points(x).breaks == (23,)


@pytest.mark.slow  # Monte Carlo: many simulated samples (the quick loop keeps the worked examples)
def test_change_points_rarely_find_shifts_in_pure_noise():
    false_alarms = sum(bool(trend.change_points(np.random.default_rng(s).normal(size=100)).breaks) for s in range(40))
    assert false_alarms <= 4
