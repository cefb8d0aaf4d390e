"""stats.drivers: LMG against pingouin and against brute-force refitting on raw rows."""

import itertools

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
import statsmodels.api as sm

from stats import drivers

NAMES = ["speed", "courtesy", "price", "clarity"]


def _survey(rng, n=600):
    shared = rng.normal(size=(n, 1))
    X = 0.7 * shared + rng.normal(size=(n, 4))
    y = X @ np.array([0.6, 0.3, 0.1, 0.0]) + rng.normal(size=n)
    frame = pd.DataFrame(np.clip(np.round(X + 3), 1, 5), columns=NAMES)
    frame["overall"] = y
    return frame


def _r2(df, cols):
    if not cols:
        return 0.0
    return sm.OLS(df["overall"], sm.add_constant(df[list(cols)])).fit().rsquared


def test_lmg_equals_brute_force_average_over_orderings_refit_on_raw_rows():
    df = _survey(np.random.default_rng(40))
    r = drivers.key_drivers(df, "overall", NAMES, n_boot=20)
    brute = dict.fromkeys(NAMES, 0.0)
    orders = list(itertools.permutations(NAMES))
    for order in orders:
        for k, name in enumerate(order):
            brute[name] += (_r2(df, order[: k + 1]) - _r2(df, order[:k])) / len(orders)
    got = r.table.set_index("driver")["importance"]
    for name in NAMES:
        assert got[name] == pytest.approx(brute[name], abs=1e-10)


def test_lmg_matches_pingouin_relimp_and_sums_to_r_squared():
    df = _survey(np.random.default_rng(41))
    r = drivers.key_drivers(df, "overall", NAMES, n_boot=20)
    ref = pg.linear_regression(df[NAMES], df["overall"], relimp=True).set_index("names")["relimp"]
    got = r.table.set_index("driver")["importance"]
    for name in NAMES:
        assert got[name] == pytest.approx(ref[name], abs=1e-10)
    assert got.sum() == pytest.approx(r.r2)
    assert r.r2 == pytest.approx(_r2(df, NAMES))
    assert r.table["share"].sum() == pytest.approx(1.0)


def test_table_is_ranked_with_intervals_and_performance_for_an_ipa_chart():
    df = _survey(np.random.default_rng(42))
    r = drivers.key_drivers(df, "overall", NAMES, n_boot=100)
    t = r.table
    assert t["driver"].iloc[0] == "speed" and t["rank"].tolist() == [1, 2, 3, 4]
    assert (t["importance"].diff().dropna() <= 0).all()
    assert ((t["ci_low"] <= t["importance"]) & (t["importance"] <= t["ci_high"])).all()
    assert t.set_index("driver")["performance"].to_dict() == pytest.approx(df[NAMES].mean().to_dict())
    assert set(t["quadrant"]) <= {"concentrate_here", "keep_up", "low_priority", "possible_overkill"}
    assert r.r2_ci[0] < r.r2 < r.r2_ci[1]
    assert "speed" in r.summary() and "speed" in r.summary("zh-CN")
    assert any("not causal" in w for w in r.warnings)


def test_bootstrap_is_deterministic_for_a_seed():
    df = _survey(np.random.default_rng(43))
    a = drivers.key_drivers(df, "overall", NAMES, n_boot=50, seed=7)
    b = drivers.key_drivers(df, "overall", NAMES, n_boot=50, seed=7)
    c = drivers.key_drivers(df, "overall", NAMES, n_boot=50, seed=8)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert not np.allclose(a.table["ci_low"], c.table["ci_low"])


def test_collinear_drivers_are_flagged():
    df = _survey(np.random.default_rng(44))
    df["speed_again"] = df["speed"] + np.random.default_rng(1).normal(0, 0.1, len(df))
    r = drivers.key_drivers(df, "overall", NAMES + ["speed_again"], n_boot=20)
    assert any("strongly correlated" in w and "speed_again" in w for w in r.warnings)
    named = r.caveats("zh-CN", names={"speed": "网速", "speed_again": "网速（复测）"})
    assert any("网速（复测）" in w and "speed_again" not in w for w in named)


def test_lmg_from_a_correlation_matrix_with_uncorrelated_predictors_is_squared_correlations():
    corr = np.array([[1.0, 0.5, 0.3], [0.5, 1.0, 0.0], [0.3, 0.0, 1.0]])
    assert drivers.lmg(corr) == pytest.approx([0.25, 0.09])
