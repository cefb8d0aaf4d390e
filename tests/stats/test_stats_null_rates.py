"""Under the null hypothesis each two-sample test rejects at about alpha
(1,000 simulated pairs at alpha = 0.05, rejection rate within [0.03, 0.07])."""

import numpy as np
import pytest

from stats import compare

pytestmark = pytest.mark.slow  # Monte Carlo: 1,000 simulated pairs per test

N_SIM = 1000
RATING_SHARES = np.array([0.05, 0.10, 0.25, 0.35, 0.25])  # a skewed 1-5 satisfaction scale
NPS_SHARES = np.r_[np.full(7, 0.03), [0.12, 0.17], [0.25, 0.25]]


def _rate(sample_pair, test, seed):
    rng = np.random.default_rng(seed)
    return np.mean([test(*sample_pair(rng)).p_value < 0.05 for _ in range(N_SIM)])


@pytest.mark.parametrize(
    "name, pair, test",
    [
        (
            "means on ratings",
            lambda rng: (rng.choice(5, 80, p=RATING_SHARES) + 1, rng.choice(5, 60, p=RATING_SHARES) + 1),
            compare.means,
        ),
        (
            "means from counts",
            lambda rng: (rng.multinomial(80, RATING_SHARES), rng.multinomial(60, RATING_SHARES), [1, 2, 3, 4, 5]),
            compare.means_from_counts,
        ),
        ("proportions", lambda rng: (rng.binomial(120, 0.3), 120, rng.binomial(90, 0.3), 90), compare.proportions),
        (
            "nps",
            lambda rng: (rng.multinomial(150, NPS_SHARES), rng.multinomial(120, NPS_SHARES)),
            compare.nps_from_counts,
        ),
        (
            "ordinal",
            lambda rng: (rng.choice(5, 70, p=RATING_SHARES) + 1, rng.choice(5, 90, p=RATING_SHARES) + 1),
            compare.ordinal,
        ),
    ],
)
def test_two_sample_tests_reject_at_about_alpha_under_the_null(name, pair, test):
    rate = _rate(pair, test, seed=90)
    assert 0.03 <= rate <= 0.07, name
