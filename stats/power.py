"""How many responses a survey needs: sample size per group, minimum
detectable effect, and invitations to send for an expected response rate.

All calculations are for two independent groups of equal size, two-sided
tests.  They use ``statsmodels.stats.power`` (t-test power for means, normal
power for shares and NPS).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats as sps
from statsmodels.stats.power import NormalIndPower, TTestIndPower
from statsmodels.stats.proportion import proportion_effectsize

__all__ = [
    "n_means",
    "n_proportions",
    "n_nps",
    "mde_means",
    "mde_proportions",
    "mde_nps",
    "mde_from_se",
    "invitations_needed",
]


def _check_design(alpha: float, power: float) -> None:
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1 (got {alpha})")
    if not 0 < power < 1:
        raise ValueError(f"power must be between 0 and 1 (got {power})")
    if power <= alpha:
        raise ValueError("power must exceed alpha")


def _check_share(value: float, name: str) -> float:
    if not (isinstance(value, (int, float)) and 0 <= value <= 1):
        raise ValueError(f"{name} must be a share between 0 and 1 (got {value!r})")
    return float(value)


def _check_n(n: float) -> float:
    if not (isinstance(n, (int, float, np.integer)) and n >= 2):
        raise ValueError(f"n (per group) must be at least 2 (got {n!r})")
    return float(n)


def n_means(difference: float, sd: float = 1.0, *, alpha: float = 0.05, power: float = 0.8) -> int:
    """Responses per group to detect a difference in means with a two-sided t-test.

    Uses the noncentral t (``statsmodels TTestIndPower``) with Cohen's d =
    difference / sd, rounded up.

    Parameters
    ----------
    difference : float
        The difference to detect, in scale points (its sign does not matter).
    sd : float, default 1.0
        Standard deviation of one response; pass ``sd=1`` to give Cohen's d as ``difference``.
    alpha : float, default 0.05
        Two-sided significance level.
    power : float, default 0.8
        Chance of detecting the difference when it is there; must exceed ``alpha``.

    Returns
    -------
    int
        Responses needed in each of the two groups.

    References
    ----------
    Cohen, J. (1988) Statistical Power Analysis for the Behavioral Sciences, 2nd ed.,
    Table 2.4.1 (d = 0.5, alpha = .05 two-sided, power .80: n = 64).

    Examples
    --------
    Cohen's table value, and 0.3 points on a 1-5 scale whose responses have SD 1.1:

    >>> from stats import power
    >>> power.n_means(0.5)
    64
    >>> power.n_means(0.3, sd=1.1)
    213
    """
    _check_design(alpha, power)
    if not sd > 0:
        raise ValueError(f"sd must be positive (got {sd})")
    if difference == 0:
        raise ValueError("difference must be non-zero: no sample size detects a zero difference")
    d = abs(difference) / sd
    n = TTestIndPower().solve_power(effect_size=d, alpha=alpha, power=power, alternative="two-sided")
    return math.ceil(float(n) - 1e-9)


def n_proportions(p1: float, p2: float, *, alpha: float = 0.05, power: float = 0.8) -> int:
    """Responses per group to detect shares ``p1`` vs ``p2`` (e.g. top-box shares), two-sided.

    Uses Cohen's arcsine effect size h = 2 asin(sqrt p1) - 2 asin(sqrt p2) with the
    normal power function (``statsmodels NormalIndPower``).

    Parameters
    ----------
    p1, p2 : float
        The two shares, as fractions (0.80, not 80); they must differ.
    alpha : float, default 0.05
        Two-sided significance level.
    power : float, default 0.8
        Chance of detecting the difference when it is there; must exceed ``alpha``.

    Returns
    -------
    int
        Responses needed in each group.

    References
    ----------
    Cohen, J. (1988), ch. 6.

    Examples
    --------
    >>> from stats import power
    >>> power.n_proportions(0.80, 0.85)
    903
    """
    _check_design(alpha, power)
    p1, p2 = _check_share(p1, "p1"), _check_share(p2, "p2")
    if p1 == p2:
        raise ValueError("p1 and p2 must differ")
    h = abs(float(proportion_effectsize(p1, p2)))
    n = NormalIndPower().solve_power(effect_size=h, alpha=alpha, power=power, alternative="two-sided")
    return math.ceil(float(n) - 1e-9)


def _nps_variance(promoters: float, detractors: float, name: str) -> float:
    promoters = _check_share(promoters, f"promoters_{name}")
    detractors = _check_share(detractors, f"detractors_{name}")
    if promoters + detractors > 1:
        raise ValueError(f"promoters_{name} + detractors_{name} cannot exceed 1")
    return (promoters + detractors) - (promoters - detractors) ** 2


def n_nps(
    promoters_a: float,
    detractors_a: float,
    promoters_b: float,
    detractors_b: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
) -> int:
    """Responses per group to detect the NPS difference between two (promoter share,
    detractor share) scenarios, with the z-test of :func:`stats.compare.nps`.

    The per-response variance of the +1/0/-1 score is (P + D) - (P - D)^2; the difference
    is standardised by sqrt((Var_a + Var_b) / 2) and passed to ``statsmodels
    NormalIndPower``.  Checked by simulating that test in tests/stats.

    Parameters
    ----------
    promoters_a, detractors_a : float
        Shares of 9-10 and 0-6 answers in the first scenario, as fractions (0.45, not 45).
    promoters_b, detractors_b : float
        The same for the second scenario.
    alpha : float, default 0.05
        Two-sided significance level.
    power : float, default 0.8
        Chance of detecting the difference when it is there; must exceed ``alpha``.

    Returns
    -------
    int
        Responses needed in each group.

    Notes
    -----
    Assumptions as :func:`stats.compare.nps`: independent samples, normal approximation.

    Examples
    --------
    NPS 35 (50% promoters, 15% detractors) against NPS 20:

    >>> from stats import power
    >>> power.n_nps(0.50, 0.15, 0.40, 0.20)
    380
    """
    _check_design(alpha, power)
    var_a = _nps_variance(promoters_a, detractors_a, "a")
    var_b = _nps_variance(promoters_b, detractors_b, "b")
    diff = (promoters_a - detractors_a) - (promoters_b - detractors_b)
    if diff == 0:
        raise ValueError("the two scenarios have the same NPS")
    if var_a + var_b == 0:
        raise ValueError("both scenarios have no variation (all responses in one category)")
    d = abs(diff) / math.sqrt((var_a + var_b) / 2)
    n = NormalIndPower().solve_power(effect_size=d, alpha=alpha, power=power, alternative="two-sided")
    return math.ceil(float(n) - 1e-9)


def mde_means(n: float, sd: float = 1.0, *, alpha: float = 0.05, power: float = 0.8) -> float:
    """Smallest difference in means detectable with ``n`` responses per group.

    Parameters
    ----------
    n : float
        Responses per group (at least 2).
    sd : float, default 1.0
        Standard deviation of one response; the result is in its units.
    alpha : float, default 0.05
        Two-sided significance level.
    power : float, default 0.8
        Chance of detecting the difference when it is there; must exceed ``alpha``.

    Returns
    -------
    float
        The minimum detectable difference (``statsmodels TTestIndPower``; Cohen 1988, ch. 2).

    Examples
    --------
    >>> from stats import power
    >>> round(power.mde_means(200, sd=1.1), 3)
    0.309
    """
    _check_design(alpha, power)
    n = _check_n(n)
    if not sd > 0:
        raise ValueError(f"sd must be positive (got {sd})")
    d = TTestIndPower().solve_power(nobs1=n, alpha=alpha, power=power, alternative="two-sided")
    return float(d) * sd


def mde_proportions(n: float, p_baseline: float, *, alpha: float = 0.05, power: float = 0.8) -> float:
    """Smallest increase over ``p_baseline`` detectable with ``n`` responses per group.

    Parameters
    ----------
    n : float
        Responses per group (at least 2).
    p_baseline : float
        The share now, as a fraction.
    alpha : float, default 0.05
        Two-sided significance level.
    power : float, default 0.8
        Chance of detecting the difference when it is there; must exceed ``alpha``.

    Returns
    -------
    float
        The increase in share units (0.05 = 5 percentage points); arcsine effect size,
        Cohen (1988), ch. 6.  Raises ValueError when no increase up to 100% is detectable.

    Examples
    --------
    >>> from stats import power
    >>> round(power.mde_proportions(400, 0.80), 4)
    0.0729
    """
    _check_design(alpha, power)
    n = _check_n(n)
    p0 = _check_share(p_baseline, "p_baseline")
    h = float(NormalIndPower().solve_power(nobs1=n, alpha=alpha, power=power, alternative="two-sided"))
    angle = 2 * math.asin(math.sqrt(p0)) + h
    if angle >= math.pi:
        raise ValueError(f"no increase over {p0:.0%} is detectable with n = {n:g} per group")
    return math.sin(angle / 2) ** 2 - p0


def mde_nps(n: float, promoters: float, detractors: float, *, alpha: float = 0.05, power: float = 0.8) -> float:
    """Smallest NPS difference detectable with ``n`` responses per group, assuming both
    groups have the baseline's response variance.

    Parameters
    ----------
    n : float
        Responses per group (at least 2).
    promoters, detractors : float
        The baseline's shares of 9-10 and 0-6 answers, as fractions.
    alpha : float, default 0.05
        Two-sided significance level.
    power : float, default 0.8
        Chance of detecting the difference when it is there; must exceed ``alpha``.

    Returns
    -------
    float
        The difference in NPS points.

    Examples
    --------
    >>> from stats import power
    >>> round(power.mde_nps(400, 0.45, 0.20), 1)
    15.2
    """
    _check_design(alpha, power)
    n = _check_n(n)
    var = _nps_variance(promoters, detractors, "baseline")
    if var == 0:
        raise ValueError("the baseline has no variation (all responses in one category)")
    d = float(NormalIndPower().solve_power(nobs1=n, alpha=alpha, power=power, alternative="two-sided"))
    return 100 * d * math.sqrt(var)


def mde_from_se(se: float, *, alpha: float = 0.05, power: float = 0.8) -> float:
    """Minimum detectable effect of any estimate with standard error ``se``:
    (z_(1 - alpha/2) + z_power) se, in the estimate's own units.

    This is the size a two-sided test at ``alpha`` would detect with probability ``power``
    when the estimate is roughly normal with that standard error; it lets a result that is
    not significant say how large an effect the data could have missed (for a
    difference-in-differences, an interrupted time series, ...).  For two groups of n with
    SD s it is the large-sample version of :func:`mde_means`.

    Parameters
    ----------
    se : float
        Standard error of the estimate (positive).
    alpha : float, default 0.05
        Two-sided significance level.
    power : float, default 0.8
        Chance of detecting the difference when it is there; must exceed ``alpha``.

    Returns
    -------
    float
        The minimum detectable effect.

    References
    ----------
    Bloom, H. S. (1995) Evaluation Review 19, 547-556.

    Examples
    --------
    >>> from stats import power
    >>> round(power.mde_from_se(0.1), 3)
    0.28
    """
    _check_design(alpha, power)
    if not (isinstance(se, (int, float, np.floating)) and np.isfinite(se) and se > 0):
        raise ValueError(f"se must be a positive number (got {se!r})")
    return float((sps.norm.ppf(1 - alpha / 2) + sps.norm.ppf(power)) * se)


def invitations_needed(n_required: int, response_rate: float, *, assurance: float | None = None) -> int:
    """Invitations to send to expect ``n_required`` responses.

    Real response rates vary by segment and wave: plan with a cautious rate.

    Parameters
    ----------
    n_required : int
        Responses wanted (at least 1).
    response_rate : float
        Expected share of invitations answered, in (0, 1].
    assurance : float, optional
        Without it: ceil(n / rate).  With it (e.g. 0.9): the smallest number of
        invitations for which the chance of at least ``n_required`` responses is at least
        ``assurance``, treating responses as independent with probability ``response_rate``
        (binomial, ``scipy.stats.binom``).

    Returns
    -------
    int
        Invitations to send.

    Examples
    --------
    >>> from stats import power
    >>> power.invitations_needed(300, 0.25)
    1200
    >>> power.invitations_needed(300, 0.25, assurance=0.9)
    1278
    """
    if not (isinstance(n_required, (int, np.integer)) and n_required >= 1):
        raise ValueError(f"n_required must be a positive whole number (got {n_required!r})")
    if not (isinstance(response_rate, (int, float)) and 0 < response_rate <= 1):
        raise ValueError(f"response_rate must be in (0, 1] (got {response_rate!r})")
    expected = math.ceil(n_required / response_rate - 1e-9)
    if assurance is None:
        return expected
    if not 0 < assurance < 1:
        raise ValueError(f"assurance must be between 0 and 1 (got {assurance})")
    low, high = expected, expected
    while sps.binom.sf(n_required - 1, high, response_rate) < assurance:
        low, high = high, high * 2
    while low < high:  # smallest N with P(responses >= n) >= assurance
        mid = (low + high) // 2
        if sps.binom.sf(n_required - 1, mid, response_rate) >= assurance:
            high = mid
        else:
            low = mid + 1
    return int(high)
