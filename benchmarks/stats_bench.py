"""Time the stats package at realistic sizes; prints one ``name: value`` line per figure.

Run: /work/venv/bin/python benchmarks/stats_bench.py
Each figure is the median wall time in milliseconds over a few repeats.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stats import compare, drivers, impact, power, reliability, trend, weighting

RATINGS = 10**7  # total ratings held as histograms


def _median_ms(func, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _split(total: int, shares: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return rng.multinomial(total, shares)


def main() -> None:
    rng = np.random.default_rng(0)
    five = np.array([0.05, 0.10, 0.20, 0.35, 0.30])
    eleven = np.r_[np.full(7, 0.03), [0.12, 0.17], [0.25, 0.25]]
    levels = [1, 2, 3, 4, 5]
    hist_a, hist_b = _split(RATINGS // 2, five, rng), _split(RATINGS // 2, five[::-1], rng)
    nps_a, nps_b = _split(RATINGS // 2, eleven, rng), _split(RATINGS // 2, eleven[::-1], rng)
    groups20 = {f"branch{i}": _split(RATINGS // 20, five, rng) for i in range(20)}
    raw_a, raw_b = rng.choice(5, 10_000, p=five) + 1, rng.choice(5, 10_000, p=five) + 1
    group_values = rng.choice(5, 10_000, p=five) + 1
    group_labels = rng.choice(["n", "s", "e", "w", "c"], 10_000)

    weeks = pd.date_range("2023-01-02", periods=104, freq="W-MON")
    t = np.arange(104)
    weekly = 4 + 0.002 * t + 0.2 * (t >= 52) + rng.normal(0, 0.1, 104)
    weekly_n = rng.integers(200, 2000, 104)
    weekly_top = rng.binomial(weekly_n, 0.35)

    unit = np.repeat(np.arange(40), 8)
    period = np.tile(np.arange(8), 40)
    panel = pd.DataFrame(
        {"unit": unit, "period": period, "treated": (unit < 20).astype(int), "post": (period >= 4).astype(int)}
    )
    panel["y"] = rng.normal(size=len(panel)) + panel["treated"] * panel["post"]
    rows = pd.DataFrame({"treated": rng.integers(0, 2, 10_000), "post": rng.integers(0, 2, 10_000)})
    rows["y"] = rng.normal(size=len(rows))

    n, p = 50_000, 8
    X = 0.6 * rng.normal(size=(n, 1)) + rng.normal(size=(n, p))
    kd = pd.DataFrame(np.clip(np.round(X + 3), 1, 5), columns=[f"driver{i}" for i in range(p)])
    kd["overall"] = X @ np.linspace(0.1, 0.8, p) + rng.normal(size=n)

    items = np.clip(np.round(rng.normal(size=(5_000, 1)) + rng.normal(size=(5_000, 10)) + 3), 1, 5)
    sample = pd.DataFrame(
        {
            "region": rng.choice(["n", "s", "e", "w"], n),
            "age": rng.choice(["a", "b", "c"], n),
            "sex": rng.choice(["f", "m"], n),
        }
    )
    margins = {
        "region": {"n": 0.2, "s": 0.3, "e": 0.25, "w": 0.25},
        "age": {"a": 0.3, "b": 0.4, "c": 0.3},
        "sex": {"f": 0.5, "m": 0.5},
    }
    raked = weighting.rake(sample, margins).weights.to_numpy()
    satisfaction = rng.normal(3.8, 1, n)

    cases = [
        ("means_from_counts_1e7_ratings_ms", lambda: compare.means_from_counts(hist_a, hist_b, levels), 20),
        ("ordinal_from_counts_1e7_ratings_ms", lambda: compare.ordinal_from_counts(hist_a, hist_b, levels), 20),
        (
            "top_box_from_counts_1e7_ratings_ms",
            lambda: compare.proportions_from_counts(hist_a, hist_b, levels, success=[5]),
            20,
        ),
        ("nps_from_counts_1e7_ratings_ms", lambda: compare.nps_from_counts(nps_a, nps_b), 20),
        ("nps_interval_from_counts_1e7_ratings_ms", lambda: compare.nps_interval_from_counts(nps_a), 20),
        ("versus_rest_20_groups_1e7_ratings_ms", lambda: compare.versus_rest_from_counts(groups20, levels), 10),
        ("means_raw_2x10000_ms", lambda: compare.means(raw_a, raw_b), 20),
        ("ordinal_raw_2x10000_ms", lambda: compare.ordinal(raw_a, raw_b), 20),
        ("groups_5x2000_ms", lambda: compare.groups(group_values, group_labels), 5),
        ("mann_kendall_104_weeks_ms", lambda: trend.mann_kendall(weekly), 10),
        ("mann_kendall_hamed_rao_104_weeks_ms", lambda: trend.mann_kendall(weekly, hamed_rao=True), 10),
        ("linear_trend_104_weeks_ms", lambda: trend.linear_trend(weekly, weeks), 10),
        ("p_chart_104_weeks_ms", lambda: trend.p_chart(weekly_top, weekly_n), 10),
        ("individuals_chart_104_weeks_ms", lambda: trend.individuals_chart(weekly), 10),
        ("change_points_pelt_104_weeks_ms", lambda: trend.change_points(weekly), 10),
        ("its_104_weeks_ms", lambda: impact.interrupted_time_series(weekly, weeks, weeks[52]), 10),
        ("its_104_weeks_hac_ms", lambda: impact.interrupted_time_series(weekly, weeks, weeks[52], errors="hac"), 10),
        (
            "its_104_weeks_seasonal_weighted_ms",
            lambda: impact.interrupted_time_series(weekly, weeks, weeks[52], seasonal_period=52, weights=weekly_n),
            10,
        ),
        ("did_10000_rows_ms", lambda: impact.difference_in_differences(rows, "y", "treated", "post"), 10),
        (
            "did_40_units_8_periods_event_study_ms",
            lambda: impact.difference_in_differences(panel, "y", "treated", "post", cluster="unit", time="period"),
            10,
        ),
        ("key_drivers_8x50000_200_boot_ms", lambda: drivers.key_drivers(kd, "overall", list(kd.columns[:p])), 3),
        (
            "power_all_functions_ms",
            lambda: (
                power.n_means(0.2),
                power.n_proportions(0.3, 0.35),
                power.n_nps(0.4, 0.2, 0.35, 0.25),
                power.mde_nps(500, 0.4, 0.2),
                power.invitations_needed(400, 0.15, assurance=0.9),
            ),
            10,
        ),
        ("cronbach_alpha_10_items_5000_ms", lambda: reliability.cronbach_alpha(items), 10),
        ("rake_50000_rows_3_margins_ms", lambda: weighting.rake(sample, margins), 5),
        ("weighted_mean_50000_ms", lambda: weighting.weighted_mean(satisfaction, raked), 10),
    ]
    for name, func, repeats in cases:
        func()  # warm up imports and caches
        print(f"{name}: {_median_ms(func, repeats):.2f}")


if __name__ == "__main__":
    main()
