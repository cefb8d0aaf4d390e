"""stats.power against Cohen's tables and by simulating the tests it plans for."""

import numpy as np
import pytest
import scipy.stats as sps

from stats import compare, power


# Cohen, J. (1988). Statistical Power Analysis for the Behavioral Sciences, 2nd ed., Table 2.4.1
# (n per group, two-sided alpha = .05): power .80: d = .20 -> 393, .50 -> 64, .80 -> 26;
# power .90: d = .20 -> 526, .50 -> 85, .80 -> 34.
@pytest.mark.parametrize("d, pw, cohen", [(0.5, 0.8, 64), (0.8, 0.8, 26), (0.8, 0.9, 34)])
def test_sample_size_for_means_matches_cohens_table(d, pw, cohen):
    assert power.n_means(d, power=pw) == cohen


@pytest.mark.parametrize("d, pw, cohen", [(0.2, 0.8, 393), (0.2, 0.9, 526), (0.5, 0.9, 85)])
def test_sample_size_for_means_is_at_most_one_above_cohens_approximation(d, pw, cohen):
    # Cohen's table entries come from an approximation; the exact noncentral t (as G*Power)
    # can need one more respondent.
    assert cohen <= power.n_means(d, power=pw) <= cohen + 1


def test_difference_in_scale_points_uses_the_sd():
    assert power.n_means(0.4, sd=0.8) == power.n_means(0.5)


def _simulated_power(draw, test, n_sim=1000, seed=50):
    rng = np.random.default_rng(seed)
    return np.mean([test(*draw(rng)).p_value < 0.05 for _ in range(n_sim)])


@pytest.mark.slow  # Monte Carlo: many simulated samples (the quick loop keeps the worked examples)
def test_top_box_sample_size_gives_80_percent_power_in_simulation():
    n = power.n_proportions(0.40, 0.50)
    rate = _simulated_power(lambda rng: (rng.binomial(n, 0.5), n, rng.binomial(n, 0.4), n), compare.proportions)
    assert 0.76 <= rate <= 0.84


@pytest.mark.slow  # Monte Carlo: many simulated samples (the quick loop keeps the worked examples)
def test_nps_sample_size_gives_80_percent_power_in_simulation():
    n = power.n_nps(0.50, 0.20, 0.40, 0.25)
    shares_a = np.r_[np.full(7, 0.20 / 7), [0.15, 0.15], [0.25, 0.25]]
    shares_b = np.r_[np.full(7, 0.25 / 7), [0.175, 0.175], [0.20, 0.20]]
    rate = _simulated_power(
        lambda rng: (rng.multinomial(n, shares_a), rng.multinomial(n, shares_b)), compare.nps_from_counts
    )
    assert 0.76 <= rate <= 0.84


def test_minimum_detectable_effects_invert_the_sample_sizes():
    n = power.n_means(0.3)
    assert power.mde_means(n) <= 0.3 < power.mde_means(n - 1)
    p0 = 0.35
    lift = power.mde_proportions(500, p0)
    assert power.n_proportions(p0, p0 + lift) == pytest.approx(500, abs=1)
    points = power.mde_nps(800, 0.45, 0.20)
    shift = points / 100 / 2
    assert power.n_nps(0.45 + shift, 0.20 - shift, 0.45, 0.20) == pytest.approx(800, rel=0.08)


def test_invitations_needed_with_and_without_assurance():
    assert power.invitations_needed(400, 0.2) == 2000
    n = power.invitations_needed(400, 0.2, assurance=0.9)
    assert sps.binom.sf(399, n, 0.2) >= 0.9 > sps.binom.sf(399, n - 1, 0.2)


@pytest.mark.parametrize(
    "call",
    [
        lambda: power.n_means(0),
        lambda: power.n_means(0.5, alpha=1.5),
        lambda: power.n_proportions(0.3, 0.3),
        lambda: power.n_proportions(30, 40),
        lambda: power.n_nps(0.6, 0.5, 0.4, 0.2),
        lambda: power.invitations_needed(100, 0),
        lambda: power.mde_means(1),
    ],
)
def test_bad_design_inputs_raise(call):
    with pytest.raises(ValueError):
        call()
