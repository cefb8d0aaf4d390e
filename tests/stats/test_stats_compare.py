"""stats.compare against published worked examples and independent implementations."""

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
import scipy.stats as sps
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_effectsize

from stats import compare

# ---------------------------------------------------------------------------
# Published examples
# ---------------------------------------------------------------------------
# Newcombe, R. G. (1998). Interval estimation for the difference between independent
# proportions: comparison of eleven methods. Statistics in Medicine 17, 873-890.
# Table II, method 10 (score interval, no continuity correction), examples (a)-(e), (g).
NEWCOMBE_TABLE_II = [
    ((56, 70, 48, 80), (0.0524, 0.3339)),  # (a)
    ((9, 10, 3, 10), (0.1705, 0.8090)),  # (b)
    ((6, 7, 2, 7), (0.0582, 0.8062)),  # (c)
    ((5, 56, 0, 29), (-0.0381, 0.1926)),  # (d)
    ((0, 10, 0, 20), (-0.1611, 0.2775)),  # (e)
    ((10, 10, 0, 20), (0.6791, 1.0000)),  # (g)
]


@pytest.mark.parametrize("counts, expected", NEWCOMBE_TABLE_II)
def test_difference_of_proportions_matches_newcombe_1998_table_ii(counts, expected):
    r = compare.proportions(*counts)
    x_a, n_a, x_b, n_b = counts
    assert r.estimate == pytest.approx(x_a / n_a - x_b / n_b)
    assert (r.ci_low, r.ci_high) == pytest.approx(expected, abs=5e-5)


# Newcombe, R. G. (1998). Two-sided confidence intervals for the single proportion:
# comparison of seven methods. Statistics in Medicine 17, 857-872. Table I, method 3 (Wilson).
@pytest.mark.parametrize(
    "x, n, expected",
    [
        (81, 263, (0.2553, 0.3662)),
        (15, 148, (0.0624, 0.1605)),
        (0, 20, (0.0000, 0.1611)),
        (1, 29, (0.0061, 0.1718)),
    ],
)
def test_wilson_interval_matches_newcombe_1998_table_i(x, n, expected):
    r = compare.proportion_interval(x, n)
    assert (r.ci_low, r.ci_high) == pytest.approx(expected, abs=5e-5)


def test_nps_variance_matches_whubers_worked_example():
    # stats.stackexchange.com/a/18609 (whuber): promoters 1/2, passives 1/3, detractors 1/6 give
    # NPS = 1/3 and a per-response variance of 5/9 for the +1/0/-1 score.
    counts = np.zeros(11)
    counts[10], counts[8], counts[0] = 300, 200, 100  # 1/2, 1/3, 1/6 of 600
    r = compare.nps_interval_from_counts(counts)
    assert r.estimate == pytest.approx(100 / 3)
    se = r.details["se"]
    assert (se / 100) ** 2 * 600 == pytest.approx(5 / 9)


def test_nps_margin_of_error_matches_talkstats_thread_example():
    # talkstats.com thread 58500 "Net Promoter Score - Calculating Confidence Intervals and Margin of
    # Error": 1162 responses, 291 promoters, 476 passives, 395 detractors; NPS -9 with a 95% margin
    # of error of 4.4 points.
    counts = np.zeros(11)
    counts[10], counts[7], counts[3] = 291, 476, 395
    r = compare.nps_interval_from_counts(counts)
    assert round(r.estimate) == -9
    assert round(r.details["margin_of_error"], 1) == 4.4
    assert r.ci_high - r.estimate == pytest.approx(r.details["margin_of_error"])


def test_benjamini_hochberg_rejects_four_in_the_1995_paper_example():
    # Benjamini & Hochberg (1995) JRSS-B 57, 289-300, section 4: 15 p-values, 4 rejected at q = 0.05
    # (Bonferroni, at 0.05/15, rejects 3).
    p = [
        0.0001,
        0.0004,
        0.0019,
        0.0095,
        0.0201,
        0.0278,
        0.0298,
        0.0344,
        0.0459,
        0.3240,
        0.4262,
        0.5719,
        0.6528,
        0.7590,
        1.000,
    ]
    assert (compare.adjust(p, "fdr_bh") <= 0.05).sum() == 4
    assert np.allclose(compare.adjust(p, "fdr_bh"), sps.false_discovery_control(p))
    holm = compare.adjust(p, "holm")
    assert (holm <= 0.05).sum() == 3
    assert holm[0] == pytest.approx(0.0015)  # 15 * 0.0001


def test_adjust_only_accepts_the_two_documented_methods():
    with pytest.raises(ValueError, match="holm"):
        compare.adjust([0.01, 0.02], "bonferroni")


# ---------------------------------------------------------------------------
# Independent implementations
# ---------------------------------------------------------------------------
def test_welch_matches_scipy_and_its_interval():
    rng = np.random.default_rng(1)
    a, b = rng.normal(3.4, 1.0, 40), rng.normal(3.0, 2.0, 25)
    r = compare.means(a, b)
    ref = sps.ttest_ind(a, b, equal_var=False)
    ci = ref.confidence_interval(0.95)
    assert r.statistic == pytest.approx(ref.statistic)
    assert r.p_value == pytest.approx(ref.pvalue)
    assert (r.ci_low, r.ci_high) == pytest.approx((ci.low, ci.high))
    assert r.details["df"] == pytest.approx(ref.df)
    assert r.effect_size == pytest.approx(pg.compute_effsize(a, b, eftype="cohen"))
    r90 = compare.means(a, b, confidence=0.90)
    assert r90.ci_high - r90.ci_low < r.ci_high - r.ci_low


def test_proportions_z_matches_a_hand_computed_pooled_z_and_cohens_h():
    r = compare.proportions(56, 70, 48, 80)
    pooled = 104 / 150
    z = (0.8 - 0.6) / np.sqrt(pooled * (1 - pooled) * (1 / 70 + 1 / 80))
    assert r.statistic == pytest.approx(z)
    assert r.p_value == pytest.approx(2 * sps.norm.sf(z))
    assert r.effect_size == pytest.approx(proportion_effectsize(0.8, 0.6))


def test_small_counts_add_fishers_exact_p_to_the_warning():
    r = compare.proportions(2, 10, 6, 10)
    fisher = sps.fisher_exact([[2, 8], [6, 4]]).pvalue
    assert r.details["fisher_exact_p"] == pytest.approx(fisher)
    assert any(f"{fisher:.3f}" in w for w in r.warnings)


def test_no_success_in_either_group_gives_p_one_with_a_warning():
    r = compare.proportions(0, 10, 0, 20)
    assert r.p_value == 1.0 and any("no variation" in w for w in r.warnings)


def test_mann_whitney_matches_scipy_and_pingouin_with_ties():
    rng = np.random.default_rng(2)
    a, b = rng.integers(1, 6, 60), rng.integers(2, 6, 45)
    r = compare.ordinal(a, b)
    ref = sps.mannwhitneyu(a, b, method="asymptotic", use_continuity=True)
    assert r.statistic == pytest.approx(ref.statistic)
    assert r.p_value == pytest.approx(ref.pvalue)
    assert r.estimate == pytest.approx(pg.mwu(a, b)["RBC"].iloc[0])
    assert r.ci_low < r.estimate < r.ci_high


@pytest.mark.slow  # Monte Carlo: many simulated samples (the quick loop keeps the worked examples)
def test_rank_biserial_interval_covers_the_true_value_about_95_percent():
    rng = np.random.default_rng(3)
    pa, pb = np.array([0.1, 0.1, 0.2, 0.3, 0.3]), np.array([0.15, 0.2, 0.25, 0.25, 0.15])
    # true P(A>B) - P(A<B) for the two rating distributions
    truth = sum(pa[i] * pb[j] * np.sign(i - j) for i in range(5) for j in range(5))
    hits = 0
    for _ in range(400):
        r = compare.ordinal_from_counts(rng.multinomial(80, pa), rng.multinomial(70, pb), [1, 2, 3, 4, 5])
        hits += r.ci_low <= truth <= r.ci_high
    assert 0.91 <= hits / 400 <= 0.98


def test_groups_matches_scipy_pingouin_and_holm():
    rng = np.random.default_rng(4)
    sizes = {"north": 40, "south": 55, "west": 30}
    values = np.concatenate(
        [rng.normal(mu, sd, n) for (mu, sd), n in zip([(3.5, 1), (3.9, 1.5), (3.4, 0.7)], sizes.values())]
    )
    labels = np.repeat(list(sizes), list(sizes.values()))
    g = compare.groups(values, labels)
    h = sps.kruskal(*[values[labels == k] for k in sizes])
    assert g.kruskal.statistic == pytest.approx(h.statistic) and g.kruskal.p_value == pytest.approx(h.pvalue)
    df = pd.DataFrame({"y": values, "g": labels})
    welch = pg.welch_anova(df, dv="y", between="g")
    assert g.welch_anova.statistic == pytest.approx(welch["F"].iloc[0])
    assert g.welch_anova.p_value == pytest.approx(welch["p_unc"].iloc[0])
    pw = pg.pairwise_tests(df, dv="y", between="g", parametric=False, padjust="holm")
    assert g.pairwise["p_mannwhitney_holm"].to_numpy() == pytest.approx(pw["p_corr"].to_numpy())
    pw_t = pg.pairwise_tests(df, dv="y", between="g", parametric=True, correction=True, padjust="holm")
    assert g.pairwise["p_welch_holm"].to_numpy() == pytest.approx(pw_t["p_corr"].to_numpy())
    assert list(g.table["n"]) == list(sizes.values())
    assert any("Holm" in w for w in g.warnings)
    assert "Kruskal-Wallis" in g.summary() and "Kruskal-Wallis" in g.summary("zh-CN")


def test_versus_rest_compares_each_group_with_the_pooled_others():
    counts = {"a": [5, 5, 10, 20, 30], "b": [10, 10, 20, 20, 10], "c": [3, 4, 10, 12, 9]}
    table = compare.versus_rest_from_counts(counts, [1, 2, 3, 4, 5])
    rest_a = np.add(counts["b"], counts["c"])
    direct = compare.means_from_counts(counts["a"], rest_a, [1, 2, 3, 4, 5])
    row = table.set_index("group").loc["a"]
    assert row["difference"] == pytest.approx(direct.estimate)
    assert row["p_value"] == pytest.approx(direct.p_value)
    assert table["p_holm"].to_numpy() == pytest.approx(compare.adjust(table["p_value"], "holm"))
    top = compare.versus_rest_from_counts(counts, [1, 2, 3, 4, 5], metric="top_box", top_levels=[5])
    assert top.set_index("group").loc["a", "value"] == pytest.approx(30 / 70)


# ---------------------------------------------------------------------------
# Count path equals raw path (property tests)
# ---------------------------------------------------------------------------
ratings = st.lists(st.integers(1, 5), min_size=2, max_size=60)


@settings(max_examples=60, deadline=None)
@given(ratings, ratings)
def test_means_from_counts_equals_raw_path(a, b):
    if len(set(a)) == 1 and len(set(b)) == 1:
        return  # both constant: refused on both paths (tested elsewhere)
    raw = compare.means(a, b)
    counted = compare.means_from_counts(
        np.bincount(a, minlength=6)[1:], np.bincount(b, minlength=6)[1:], [1, 2, 3, 4, 5]
    )
    for field in ("estimate", "ci_low", "ci_high", "p_value", "statistic"):
        assert getattr(counted, field) == pytest.approx(getattr(raw, field), abs=1e-9, rel=1e-9)


@settings(max_examples=60, deadline=None)
@given(ratings, ratings)
def test_ordinal_from_counts_equals_raw_path(a, b):
    if len(set(a) | set(b)) == 1:
        return
    raw = compare.ordinal(a, b)
    counted = compare.ordinal_from_counts(
        np.bincount(a, minlength=6)[1:], np.bincount(b, minlength=6)[1:], [1, 2, 3, 4, 5]
    )
    assert counted.p_value == pytest.approx(raw.p_value, abs=1e-12)
    assert counted.estimate == pytest.approx(raw.estimate, abs=1e-12)


nps_scores = st.lists(st.integers(0, 10), min_size=2, max_size=80)


@settings(max_examples=60, deadline=None)
@given(nps_scores, nps_scores)
def test_nps_from_counts_equals_raw_path(a, b):
    try:
        raw = compare.nps(a, b)
    except ValueError:
        return  # no variation at all: refused (tested elsewhere)
    counted = compare.nps_from_counts(np.bincount(a, minlength=11), np.bincount(b, minlength=11))
    assert counted.estimate == pytest.approx(raw.estimate, abs=1e-9)
    assert counted.p_value == pytest.approx(raw.p_value, abs=1e-12)


def test_nps_raw_single_and_difference_agree_with_definitions():
    a = [10, 9, 9, 8, 7, 6, 3, 10, 10, 0]  # 5 promoters, 2 passives, 3 detractors -> NPS 20
    b = [8, 8, 7, 9, 5, 6]  # 1 promoter, 3 passives, 2 detractors -> NPS -16.7
    assert compare.nps_interval(a).estimate == pytest.approx(20.0)
    r = compare.nps(a, b)
    assert r.estimate == pytest.approx(20 - 100 * (1 - 2) / 6)
    var_a = (0.5 + 0.3) - 0.2**2
    var_b = (1 / 6 + 2 / 6) - (1 / 6 - 2 / 6) ** 2
    assert r.details["se"] == pytest.approx(100 * np.sqrt(var_a / 10 + var_b / 6))


def test_proportions_from_counts_counts_the_success_levels():
    r = compare.proportions_from_counts([1, 2, 3, 4, 10], [2, 2, 6, 6, 4], [1, 2, 3, 4, 5], success=[4, 5])
    direct = compare.proportions(14, 20, 10, 20)
    assert r.estimate == pytest.approx(direct.estimate) and r.p_value == pytest.approx(direct.p_value)


def test_mean_interval_from_counts_equals_raw_and_scipy():
    values = [1, 2, 2, 3, 4, 4, 4, 5, 5, 5, 5]
    r = compare.mean_interval(values)
    ci = sps.ttest_1samp(values, 0).confidence_interval(0.95)
    assert (r.ci_low, r.ci_high) == pytest.approx((ci.low, ci.high))
    c = compare.mean_interval_from_counts([1, 2, 1, 3, 4], [1, 2, 3, 4, 5])
    assert (c.estimate, c.ci_low) == pytest.approx((r.estimate, r.ci_low))
