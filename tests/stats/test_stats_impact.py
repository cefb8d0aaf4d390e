"""stats.impact: Card & Krueger's DiD, interval coverage by simulation, and the
behaviour the product relies on (counterfactuals, dates, warnings)."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from stats import compare, impact

# ---------------------------------------------------------------------------
# Interrupted time series
# ---------------------------------------------------------------------------
LEVEL, SLOPE = 1.5, 0.05


def _its_series(rng, rho=0.0, n=104, change=52, noise=1.0):
    z = rng.normal(0, noise, n)
    e = np.empty(n)
    e[0] = z[0] / np.sqrt(1 - rho**2)
    for i in range(1, n):
        e[i] = rho * e[i - 1] + z[i]
    t = np.arange(n)
    post = t >= change
    return 10 + 0.02 * t + LEVEL * post + SLOPE * (t - change) * post + e


def test_its_recovers_exact_effects_from_noiseless_data():
    t = np.arange(30)
    y = 5 + 0.1 * t + 2.0 * (t >= 12) - 0.3 * (t - 12) * (t >= 12) + 1e-9 * np.sin(t)
    r = impact.interrupted_time_series(y, None, 12, errors="ols")
    assert r.level_change.estimate == pytest.approx(2.0, abs=1e-6)
    assert r.slope_change.estimate == pytest.approx(-0.3, abs=1e-6)
    assert r.pre_slope == pytest.approx(0.1, abs=1e-6)
    pre = ~r.table["post"]
    assert np.allclose(r.fitted[pre], r.counterfactual[pre])
    assert np.allclose(r.counterfactual, 5 + 0.1 * t, atol=1e-6)


@pytest.mark.slow  # Monte Carlo: many simulated samples (the quick loop keeps the worked examples)
@pytest.mark.parametrize("errors, rho", [("glsar", 0.0), ("glsar", 0.5), ("ols", 0.0)])
def test_its_intervals_cover_an_injected_effect_about_95_percent(errors, rho):
    rng = np.random.default_rng(20)
    n_sim = 300
    level = slope = 0
    for _ in range(n_sim):
        r = impact.interrupted_time_series(_its_series(rng, rho), None, 52, errors=errors)
        level += r.level_change.ci_low <= LEVEL <= r.level_change.ci_high
        slope += r.slope_change.ci_low <= SLOPE <= r.slope_change.ci_high
    assert 0.88 <= level / n_sim <= 0.98
    assert 0.88 <= slope / n_sim <= 0.98


def test_its_average_effect_is_level_plus_slope_times_mean_post_time():
    rng = np.random.default_rng(21)
    r = impact.interrupted_time_series(_its_series(rng), None, 52)
    mean_post = np.mean(np.arange(52, 104) - 52)
    expected = r.level_change.estimate + r.slope_change.estimate * mean_post
    assert r.average_effect.estimate == pytest.approx(expected)
    assert r.average_effect.ci_low < expected < r.average_effect.ci_high
    gap = (r.fitted - r.counterfactual)[r.table["post"]].mean()
    assert r.average_effect.estimate == pytest.approx(gap)


def test_its_weekly_dates_give_the_same_answer_as_week_numbers():
    rng = np.random.default_rng(22)
    y = _its_series(rng)
    weeks = pd.date_range("2023-01-02", periods=104, freq="W-MON")
    by_date = impact.interrupted_time_series(y, weeks, weeks[52])
    by_index = impact.interrupted_time_series(y, list(range(104)), 52)
    assert by_date.unit == "week"
    assert by_date.slope_change.estimate == pytest.approx(by_index.slope_change.estimate)
    assert by_date.level_change.ci_low == pytest.approx(by_index.level_change.ci_low)
    # a change date between two weekly points starts the post period at the next point
    mid_week = impact.interrupted_time_series(y, weeks, weeks[51] + pd.Timedelta(days=3))
    assert int(mid_week.table["post"].sum()) == 52
    assert "per week" in by_date.summary() and "每周" in by_date.summary("zh-CN")


def test_its_weights_favour_precise_weeks_and_hac_lags_select_newey_west():
    rng = np.random.default_rng(23)
    n_resp = rng.integers(20, 400, 104)
    y = 4 + 0.3 * (np.arange(104) >= 52) + rng.normal(0, 1, 104) / np.sqrt(n_resp)
    weighted = impact.interrupted_time_series(y, None, 52, weights=n_resp)
    plain = impact.interrupted_time_series(y, None, 52)
    width = lambda r: r.level_change.ci_high - r.level_change.ci_low  # noqa: E731
    assert width(weighted) < width(plain)
    assert "weighted" in weighted.level_change.method
    hac = impact.interrupted_time_series(y, None, 52, hac_lags=2)
    assert "Newey-West" in hac.level_change.method and hac.level_change.details["hac_lags"] == 2


def test_its_seasonal_terms_absorb_a_yearly_cycle():
    rng = np.random.default_rng(24)
    t = np.arange(104)
    season = 0.8 * np.sin(2 * np.pi * t / 52)
    y = 3 + season + 0.5 * (t >= 60) + rng.normal(0, 0.1, 104)
    with_season = impact.interrupted_time_series(y, None, 60, seasonal_period=52)
    without = impact.interrupted_time_series(y, None, 60)
    assert with_season.level_change.ci_low <= 0.5 <= with_season.level_change.ci_high
    width = lambda r: r.level_change.ci_high - r.level_change.ci_low  # noqa: E731
    assert width(with_season) < width(without) / 2
    # left out, the cycle shows up as strongly autocorrelated errors
    assert without.level_change.details["rho"] > 0.5 > abs(with_season.level_change.details["rho"])


def test_its_reports_and_warns_about_autocorrelated_residuals():
    rng = np.random.default_rng(25)
    r = impact.interrupted_time_series(_its_series(rng, rho=0.8), None, 52, errors="ols")
    assert r.residual_check["lag1_autocorrelation"] > 0.5
    assert r.residual_check["ljung_box_p"] < 0.05
    assert any("autocorrelated" in w for w in r.warnings)
    assert any("自相关" in w for w in r.caveats("zh-CN"))


def test_its_warns_about_short_segments():
    rng = np.random.default_rng(26)
    r = impact.interrupted_time_series(rng.normal(size=10), None, 5)
    assert any("fewer than 8" in w for w in r.warnings)


# ---------------------------------------------------------------------------
# Difference-in-differences
# ---------------------------------------------------------------------------
def _cell(mean, se, n, rng):
    """n values with exactly the given mean and standard error."""
    z = rng.normal(size=n)
    z = (z - z.mean()) / z.std(ddof=1)
    return mean + se * np.sqrt(n) * z


def test_did_reproduces_card_and_krueger_1994_table_3():
    # Card, D. & Krueger, A. B. (1994). Minimum wages and employment. AER 84, 772-793, Table 3:
    # mean FTE employment (standard error), PA before 23.33 (1.35), after 21.17 (0.94);
    # NJ before 20.44 (0.51), after 21.03 (0.52); difference-in-differences 2.76.
    # The published 2.76 comes from unrounded means; the rounded cell means give 2.75.
    rng = np.random.default_rng(30)
    rows = []
    for _state, treated, n, cells in (
        ("PA", 0, 79, ((23.33, 1.35), (21.17, 0.94))),
        ("NJ", 1, 331, ((20.44, 0.51), (21.03, 0.52))),
    ):
        for post, (mean, se) in enumerate(cells):
            rows += [{"fte": v, "nj": treated, "after": post} for v in _cell(mean, se, n, rng)]
    r = impact.difference_in_differences(pd.DataFrame(rows), "fte", "nj", "after")
    assert r.effect.estimate == pytest.approx((21.03 - 20.44) - (21.17 - 23.33))
    assert abs(r.effect.estimate - 2.76) <= 0.015
    # with independent cells the interval reflects the four published standard errors
    se = (r.effect.ci_high - r.effect.ci_low) / 2 / 1.966
    assert se == pytest.approx(np.sqrt(1.35**2 + 0.94**2 + 0.51**2 + 0.52**2), rel=0.01)
    assert r.cell_means["n"].tolist() == [79, 79, 331, 331]


def _panel(rng, units=40, periods=6, effect=1.0, pre_gap=0.0):
    unit = np.repeat(np.arange(units), periods)
    period = np.tile(np.arange(periods), units)
    treated = (unit < units // 2).astype(int)
    post = (period >= periods // 2).astype(int)
    y = (
        2
        + 0.5 * treated
        + 0.2 * period
        + effect * treated * post
        + pre_gap * treated * period
        + rng.normal(0, 1, units)[unit]
        + rng.normal(0, 1, unit.size)
    )
    return pd.DataFrame({"unit": unit, "period": period, "treated": treated, "post": post, "y": y})


@pytest.mark.slow  # Monte Carlo: many simulated samples (the quick loop keeps the worked examples)
def test_did_cluster_intervals_cover_an_injected_effect_about_95_percent():
    rng = np.random.default_rng(31)
    n_sim = 400  # 40 clusters: cluster-robust intervals run slightly narrow (about 93.5% in 1,000 runs)
    hits = 0
    for _ in range(n_sim):
        e = impact.difference_in_differences(_panel(rng), "y", "treated", "post", cluster="unit").effect
        hits += e.ci_low <= 1.0 <= e.ci_high
    assert 0.90 <= hits / n_sim <= 0.98


def test_did_matches_statsmodels_formula_with_covariates_and_clusters():
    rng = np.random.default_rng(32)
    df = _panel(rng)
    df["tenure"] = rng.normal(size=len(df))
    df["y"] += 0.3 * df["tenure"]
    r = impact.difference_in_differences(df, "y", "treated", "post", cluster="unit", covariates=["tenure"])
    ref = smf.ols("y ~ treated * post + tenure", df).fit(
        cov_type="cluster", cov_kwds={"groups": df["unit"]}, use_t=True
    )
    assert r.effect.estimate == pytest.approx(ref.params["treated:post"])
    assert (r.effect.ci_low, r.effect.ci_high) == pytest.approx(tuple(ref.conf_int().loc["treated:post"]))
    assert r.effect.p_value == pytest.approx(ref.pvalues["treated:post"])


def test_did_event_study_and_pre_trend_when_trends_are_parallel():
    rng = np.random.default_rng(33)
    r = impact.difference_in_differences(_panel(rng, units=60), "y", "treated", "post", cluster="unit", time="period")
    es = r.event_study.set_index("relative")
    assert es.loc[0, "estimate"] == 0.0 and list(es.index) == [-2, -1, 0, 1, 2, 3]
    assert all(es.loc[k, "ci_low"] <= 1.0 <= es.loc[k, "ci_high"] for k in (1, 2, 3))
    assert r.pre_trend is not None and r.pre_trend.p_value > 0.10
    assert not any("parallel trends are doubtful" in w for w in r.warnings)
    assert any("does not prove parallel trends" in w for w in r.warnings)


def test_did_warns_when_pre_trends_diverge():
    rng = np.random.default_rng(34)
    r = impact.difference_in_differences(
        _panel(rng, units=60, periods=8, pre_gap=0.5), "y", "treated", "post", cluster="unit", time="period"
    )
    assert r.pre_trend.estimate == pytest.approx(0.5, abs=0.2)
    assert r.pre_trend.p_value < 0.01 and r.pre_trend.details["joint_p"] < 0.01
    assert any("parallel trends are doubtful" in w for w in r.warnings)


def test_did_warns_that_two_clusters_mean_nothing():
    rng = np.random.default_rng(35)
    df = _panel(rng)
    df["region"] = np.where(df["treated"] == 1, "treated region", "control region")
    r = impact.difference_in_differences(df, "y", "treated", "post", cluster="region")
    assert r.n_clusters == 2
    assert any("meaningless with 2" in w for w in r.warnings)
    assert any("1 treated and 1 comparison" in w for w in r.warnings)
    assert "聚类" in r.caveats("zh-CN")[0]


def test_did_summary_in_both_languages():
    rng = np.random.default_rng(36)
    r = impact.difference_in_differences(_panel(rng), "y", "treated", "post", cluster="unit")
    assert r.summary().startswith("The difference-in-differences effect is ")
    assert r.summary("zh-CN").startswith("双重差分效应为 ")


# ---------------------------------------------------------------------------
# Before / after
# ---------------------------------------------------------------------------
def test_before_after_is_after_minus_before_and_says_what_it_cannot_claim():
    rng = np.random.default_rng(37)
    before, after = rng.integers(1, 6, 200), rng.integers(2, 6, 180)
    r = impact.before_after(before, after)
    direct = compare.means(after, before)
    assert r.estimate == pytest.approx(direct.estimate) and r.p_value == pytest.approx(direct.p_value)
    assert r.n == (180, 200)
    assert "after the change than before" in r.summary()
    assert r.summary("zh-CN").startswith("变化后均值比变化前高")
    assert any("comparison group" in w for w in r.warnings)


def test_before_after_top_box_and_nps():
    before, after = [1, 2, 5, 5, 4, 3, 5, 2] * 10, [5, 5, 4, 5, 3, 5, 5, 1] * 10
    top = impact.before_after(before, after, "top_box", top_levels=[5])
    assert top.estimate == pytest.approx(50 / 80 - 30 / 80)
    default_top = impact.before_after(before, after, "top_box")
    assert default_top.estimate == pytest.approx(top.estimate)
    assert any("highest observed level (5)" in w for w in default_top.warnings)
    nps_before, nps_after = [10, 9, 6, 7, 3] * 20, [10, 9, 9, 7, 6] * 20
    assert impact.before_after(nps_before, nps_after, "nps").estimate == pytest.approx(40.0)


def test_did_time_column_may_hold_dates():
    rng = np.random.default_rng(38)
    df = _panel(rng, units=30)
    dated = df.assign(period=pd.Timestamp("2024-01-01") + pd.to_timedelta(df["period"] * 7, unit="D"))
    by_int = impact.difference_in_differences(df, "y", "treated", "post", cluster="unit", time="period")
    by_date = impact.difference_in_differences(dated, "y", "treated", "post", cluster="unit", time="period")
    assert by_date.pre_trend.estimate == pytest.approx(by_int.pre_trend.estimate)
    assert by_date.event_study["estimate"].to_numpy() == pytest.approx(by_int.event_study["estimate"].to_numpy())
    assert by_date.effect.estimate == pytest.approx(by_int.effect.estimate)


def test_its_result_serialises_and_pickles():
    import json
    import pickle

    weeks = pd.date_range("2023-01-02", periods=60, freq="W-MON")
    r = impact.interrupted_time_series(_its_series(np.random.default_rng(39), n=60, change=30), weeks, weeks[30])
    json.dumps(r.to_dict())
    json.dumps(r.to_dict("zh-CN"))
    assert pickle.loads(pickle.dumps(r)).level_change == r.level_change
