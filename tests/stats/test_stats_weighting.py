"""stats.weighting: raking against an independent calibration solver, Kish's
effective n, and coverage under unequal-probability sampling."""

import numpy as np
import pandas as pd
import pytest
from scipy import optimize
from statsmodels.stats.weightstats import DescrStatsW

from stats import compare, weighting

MARGINS = {"region": {"north": 0.3, "south": 0.5, "east": 0.2}, "age": {"<35": 0.45, "35+": 0.55}}


def _sample(rng, n=800):
    return pd.DataFrame(
        {
            "region": rng.choice(["north", "south", "east"], n, p=[0.5, 0.3, 0.2]),
            "age": rng.choice(["<35", "35+"], n, p=[0.25, 0.75]),
        }
    )


def test_raked_weights_reproduce_every_margin():
    sample = _sample(np.random.default_rng(70))
    result = weighting.rake(sample, MARGINS)
    w = result.weights
    assert w.sum() == pytest.approx(len(sample))
    for column, target in MARGINS.items():
        shares = w.groupby(sample[column]).sum() / w.sum()
        for category, share in target.items():
            assert shares[category] == pytest.approx(share, abs=1e-6)
    assert result.n_effective == pytest.approx(w.sum() ** 2 / (w**2).sum())
    assert result.design_effect > 1


def test_raking_equals_minimum_divergence_calibration_solved_independently():
    # Raking is the calibration estimator with the multiplicative (raking-ratio) distance
    # (Deville & Sarndal 1992): w = exp(X lambda). Solve for lambda with scipy instead of IPF.
    sample = _sample(np.random.default_rng(71))
    dummies = pd.get_dummies(sample, dtype=float)
    columns = [f"region_{c}" for c in MARGINS["region"]] + ["age_<35"]
    X = dummies[columns].to_numpy()
    targets = len(sample) * np.array([0.3, 0.5, 0.2, 0.45])

    def equations(lam):
        return X.T @ np.exp(X @ lam) - targets

    lam = optimize.root(equations, np.zeros(X.shape[1]), tol=1e-12).x
    independent = np.exp(X @ lam)
    raked = weighting.rake(sample, MARGINS, tol=1e-10).weights.to_numpy()
    assert raked == pytest.approx(independent * len(sample) / independent.sum(), rel=1e-6)


def test_counts_are_accepted_as_margins():
    sample = _sample(np.random.default_rng(72))
    as_counts = {"region": {"north": 300, "south": 500, "east": 200}, "age": {"<35": 45, "35+": 55}}
    assert weighting.rake(sample, as_counts).weights.to_numpy() == pytest.approx(
        weighting.rake(sample, MARGINS).weights.to_numpy()
    )


def test_unreachable_margins_raise_non_convergence():
    sample = pd.DataFrame({"sex": ["m"] * 50 + ["f"] * 50, "region": ["north"] * 50 + ["south"] * 50})
    with pytest.raises(ValueError, match="did not converge"):
        weighting.rake(sample, {"sex": {"m": 0.5, "f": 0.5}, "region": {"north": 0.7, "south": 0.3}})


def test_margin_category_absent_from_the_sample_is_named():
    sample = _sample(np.random.default_rng(73))
    margins = {"region": {"north": 0.3, "south": 0.5, "east": 0.1, "west": 0.1}}
    with pytest.raises(ValueError, match=r"'region'.*\['west'\].*no respondents"):
        weighting.rake(sample, margins)
    with pytest.raises(ValueError, match=r"\['east'\] have no target"):
        weighting.rake(sample, {"region": {"north": 0.4, "south": 0.6}})


def test_equal_weights_reduce_to_the_unweighted_intervals():
    rng = np.random.default_rng(74)
    x = rng.integers(1, 6, 150).astype(float)
    weighted = weighting.weighted_mean(x, np.full(150, 2.5))
    plain = compare.mean_interval(x)
    assert (weighted.estimate, weighted.ci_low, weighted.ci_high) == pytest.approx(
        (plain.estimate, plain.ci_low, plain.ci_high)
    )
    top = (x == 5).astype(float)
    wp = weighting.weighted_proportion(top, np.ones(150))
    pp = compare.proportion_interval(int(top.sum()), 150)
    assert (wp.ci_low, wp.ci_high) == pytest.approx((pp.ci_low, pp.ci_high))


def test_weights_are_not_frequency_weights():
    rng = np.random.default_rng(75)
    x = rng.normal(3, 1, 200)
    w = rng.uniform(0.2, 5, 200)
    ours = weighting.weighted_mean(x, w)
    assert weighting.weighted_mean(x, 10 * w).ci_low == pytest.approx(ours.ci_low)  # scale-free
    freq = DescrStatsW(x, weights=10 * w).tconfint_mean()
    assert (freq[1] - freq[0]) < (ours.ci_high - ours.ci_low) / 3  # frequency weights: 2000 "responses"
    assert ours.details["n_effective"] == pytest.approx(weighting.kish_effective_n(w))


@pytest.mark.slow  # Monte Carlo: many simulated samples (the quick loop keeps the worked examples)
def test_weighted_mean_covers_the_population_mean_under_unequal_sampling():
    rng = np.random.default_rng(76)
    pop = rng.normal(3.5, 1.0, 20000)
    incl = rng.uniform(0.002, 0.03, pop.size)  # inclusion probabilities unrelated to the outcome
    hits = 0
    for _ in range(300):
        chosen = rng.random(pop.size) < incl
        r = weighting.weighted_mean(pop[chosen], 1 / incl[chosen])
        hits += r.ci_low <= pop.mean() <= r.ci_high
    assert 0.91 <= hits / 300 <= 0.98


def test_heavy_weighting_warns_about_the_effective_sample():
    w = np.r_[np.full(10, 50.0), np.ones(190)]
    r = weighting.weighted_proportion(np.r_[np.ones(100), np.zeros(100)], w)
    assert any("effective sample size" in x for x in r.warnings)
