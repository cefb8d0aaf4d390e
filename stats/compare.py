"""Two-group and many-group comparisons of ratings, shares and NPS.

Every two-sample function returns a :class:`stats.TestResult` whose estimate is
"first group minus second group".  The ``*_from_counts`` variants take
per-level histograms (the dashboard path, where 10^7 ratings are stored as
counts) and give the same numbers as the raw path.

Assumptions common to all two-sample tests here: the two groups are
independent simple random samples (different respondents); for weighted
survey data use :mod:`stats.weighting` instead.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.oneway import anova_oneway
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportion_effectsize,
    proportions_ztest,
)

from . import _checks
from .result import Caveat, TestResult, caveat, caveat_text, frame_records

__all__ = [
    "means",
    "means_from_counts",
    "mean_interval",
    "mean_interval_from_counts",
    "mean_interval_from_moments",
    "proportions",
    "proportions_from_counts",
    "proportion_interval",
    "nps",
    "nps_from_counts",
    "nps_interval",
    "nps_interval_from_counts",
    "ordinal",
    "ordinal_from_counts",
    "groups",
    "GroupComparison",
    "adjust",
    "versus_rest_from_counts",
    "difference_of_estimates",
]

SMALL_T = 30  # below this many responses a t interval on skewed ratings is shaky
SMALL_NPS = 30
NPS_LEVELS = np.arange(11, dtype=float)


def _p_caveats(p: float) -> list[Caveat]:
    return [caveat("not_significant_is_not_no_effect", p=round(p, 3))] if p >= 0.05 else []


# ---------------------------------------------------------------------------
# Means
# ---------------------------------------------------------------------------
def _moments_raw(values: Any, name: str) -> tuple[float, float, int]:
    x = _checks.sample(values, name, min_n=2)
    return float(x.mean()), float(x.var(ddof=1)), int(x.size)


def _moments_counts(counts: Any, levels: Any, name: str) -> tuple[float, float, int]:
    lv = _checks.levels(levels)
    c = _checks.counts(counts, name, length=lv.size)
    n = c.sum()
    if n != np.round(n):
        raise ValueError(f"{name} must hold whole-number counts")
    if n < 2:
        raise ValueError(f"{name} needs at least 2 responses (got {int(n)})")
    mean = float(c @ lv / n)
    var = float(c @ (lv - mean) ** 2 / (n - 1))
    return mean, var, int(n)


def _welch(
    a: tuple[float, float, int],
    b: tuple[float, float, int],
    confidence: float,
    labels: Sequence[str],
) -> TestResult:
    """Welch t-test and interval from (mean, variance, n) of each group."""
    (m1, v1, n1), (m2, v2, n2) = a, b
    confidence = _checks.confidence(confidence)
    se2 = v1 / n1 + v2 / n2
    if se2 == 0:
        raise ValueError(f"both samples are constant ({m1:g} and {m2:g}): no variation to test")
    test = sps.ttest_ind_from_stats(m1, np.sqrt(v1), n1, m2, np.sqrt(v2), n2, equal_var=False)
    # Welch-Satterthwaite degrees of freedom (scipy does not return them from _from_stats)
    df = se2**2 / ((v1 / n1) ** 2 / (n1 - 1) + (v2 / n2) ** 2 / (n2 - 1))
    diff = m1 - m2
    half = sps.t.ppf(0.5 + confidence / 2, df) * np.sqrt(se2)
    pooled_sd = np.sqrt(((n1 - 1) * v1 + (n2 - 1) * v2) / (n1 + n2 - 2))
    warnings: list[str] = []
    if min(n1, n2) < SMALL_T:
        warnings.append(caveat("small_sample_t", n=min(n1, n2)))
    warnings += _p_caveats(float(test.pvalue))
    return TestResult(
        estimate=diff,
        ci_low=diff - half,
        ci_high=diff + half,
        p_value=float(test.pvalue),
        statistic=float(test.statistic),
        method="Welch t-test",
        n=(n1, n2),
        effect_size=diff / pooled_sd if pooled_sd > 0 else None,
        confidence=confidence,
        warnings=tuple(warnings),
        quantity="mean_difference",
        labels=tuple(labels),
        details={
            "df": df,
            "mean_a": m1,
            "mean_b": m2,
            "sd_a": np.sqrt(v1),
            "sd_b": np.sqrt(v2),
            "effect_size_name": "Cohen's d (pooled SD)",
        },
    )


def means(a: Any, b: Any, *, confidence: float = 0.95, labels: Sequence[str] = ("A", "B")) -> TestResult:
    """Welch's t-test for a difference in means; estimate = mean(a) - mean(b).

    Variances need not be equal.  Test statistic and p-value from
    ``scipy.stats.ttest_ind_from_stats(equal_var=False)``, with the Welch-Satterthwaite
    degrees of freedom.

    Parameters
    ----------
    a, b : array_like
        Ratings of the two groups (numbers, no NaN, at least 2 each).
    confidence : float, default 0.95
        Confidence level of the interval.
    labels : (str, str), default ("A", "B")
        Names of the two groups, used in ``summary``.

    Returns
    -------
    TestResult
        ``estimate`` mean(a) - mean(b); ``ci_low``, ``ci_high`` its Welch interval;
        ``statistic`` t; ``effect_size`` Cohen's d (pooled SD);
        ``p_value`` two-sided; ``n`` (n_a, n_b); ``warnings`` what the result cannot
        claim (small samples; "not significant is not no effect").
        ``details``: df, mean_a, mean_b, sd_a, sd_b.

    Notes
    -----
    Assumptions: independent samples; each sample mean approximately normal (fine for
    n >= 30 per group on rating scales; a warning is added below).

    References
    ----------
    Welch, B. L. (1947). Biometrika 34, 28-35.

    Examples
    --------
    >>> from stats import compare
    >>> result = compare.means([5, 4, 5, 4, 5, 3], [3, 4, 3, 2, 4, 3], labels=("after", "before"))
    >>> round(result.estimate, 2), round(result.p_value, 3), result.n
    (1.17, 0.028, (6, 6))
    >>> print(result.summary())
    The mean is 1.17 higher after the change than before (95% CI 0.16 to 2.18; Welch t-test, p = 0.028; n = 6 vs 6).
    """
    return _welch(_moments_raw(a, "a"), _moments_raw(b, "b"), confidence, labels)


def means_from_counts(
    counts_a: Any,
    counts_b: Any,
    levels: Any,
    *,
    confidence: float = 0.95,
    labels: Sequence[str] = ("A", "B"),
) -> TestResult:
    """:func:`means` from per-level histograms: ``counts_x[i]`` responses at ``levels[i]``.

    Gives the same result as the raw path (to rounding error), without expanding the counts.

    Parameters
    ----------
    counts_a, counts_b : array_like
        Responses at each level in each group (whole numbers).
    levels : array_like
        The scale's levels, strictly increasing (e.g. 1..5).
    confidence : float, default 0.95
        Confidence level of the interval.
    labels : (str, str), default ("A", "B")
        Names of the two groups, used in ``summary``.

    Returns
    -------
    TestResult
        As :func:`means`.

    Examples
    --------
    The ratings of :func:`means`' example, as counts of 1..5:

    >>> from stats import compare
    >>> result = compare.means_from_counts([0, 0, 1, 2, 3], [0, 1, 3, 2, 0], [1, 2, 3, 4, 5])
    >>> round(result.estimate, 2), round(result.p_value, 3)
    (1.17, 0.028)
    """
    return _welch(
        _moments_counts(counts_a, levels, "counts_a"),
        _moments_counts(counts_b, levels, "counts_b"),
        confidence,
        labels,
    )


def mean_interval_from_moments(
    mean: float, var: float, n: int, *, confidence: float = 0.95, name: str = "values"
) -> TestResult:
    """:func:`mean_interval` from a mean, a sample variance and n (e.g. pooled moment blocks).

    Parameters
    ----------
    mean : float
    var : float
        Sample variance (ddof = 1); 0 is refused (no interval from a constant).
    n : int
    confidence : float, default 0.95
        Confidence level of the interval.
    name : str, default "values"
        Names the variable in the error for a constant one.

    Returns
    -------
    TestResult
        As :func:`mean_interval`.

    Examples
    --------
    >>> from stats import compare
    >>> result = compare.mean_interval_from_moments(4.2, 0.7, 120)
    >>> round(result.ci_low, 2), round(result.ci_high, 2)
    (4.05, 4.35)
    """
    confidence = _checks.confidence(confidence)
    if var == 0:
        raise ValueError(f"{name} is constant: all {n} values equal {mean:g}, so no interval can be formed")
    half = sps.t.ppf(0.5 + confidence / 2, n - 1) * np.sqrt(var / n)
    warnings = [caveat("small_sample_t", n=n)] if n < SMALL_T else []
    return TestResult(
        estimate=mean,
        ci_low=mean - half,
        ci_high=mean + half,
        p_value=None,
        statistic=None,
        method="t interval",
        n=n,
        confidence=confidence,
        warnings=tuple(warnings),
        quantity="mean",
        details={"sd": np.sqrt(var), "df": n - 1},
    )


def mean_interval(values: Any, *, confidence: float = 0.95) -> TestResult:
    """Mean of one group with its Student t interval.

    Parameters
    ----------
    values : array_like
        The ratings (at least 2, not all equal).
    confidence : float, default 0.95
        Confidence level of the interval.

    Returns
    -------
    TestResult
        ``estimate`` the mean; ``ci_low``, ``ci_high``; ``n``; ``p_value`` and ``statistic``
        None; ``details`` sd and df; ``warnings`` below 30 responses.

    Notes
    -----
    Assumptions: independent responses; the sample mean roughly normal.

    References
    ----------
    Student (1908) Biometrika 6, 1-25.

    Examples
    --------
    >>> from stats import compare
    >>> result = compare.mean_interval([4, 5, 3, 4, 5, 4])
    >>> print(result.summary())
    The mean is 4.17 (95% CI 3.38 to 4.96; t interval; n = 6).
    >>> [warning.code for warning in result.warnings]
    ['small_sample_t']
    """
    return mean_interval_from_moments(*_moments_raw(values, "values"), confidence=confidence, name="values")


def mean_interval_from_counts(counts: Any, levels: Any, *, confidence: float = 0.95) -> TestResult:
    """:func:`mean_interval` from a per-level histogram.

    Parameters
    ----------
    counts : array_like
        Responses at each level.
    levels : array_like
        The scale's levels, strictly increasing.
    confidence : float, default 0.95
        Confidence level of the interval.

    Returns
    -------
    TestResult
        As :func:`mean_interval`.

    Examples
    --------
    >>> from stats import compare
    >>> result = compare.mean_interval_from_counts([0, 0, 1, 3, 2], [1, 2, 3, 4, 5])
    >>> round(result.estimate, 2), round(result.ci_low, 2), round(result.ci_high, 2)
    (4.17, 3.38, 4.96)
    """
    return mean_interval_from_moments(*_moments_counts(counts, levels, "counts"), confidence=confidence, name="counts")


# ---------------------------------------------------------------------------
# Proportions (top box, resolution rate, ...)
# ---------------------------------------------------------------------------
def proportions(
    x_a: int,
    n_a: int,
    x_b: int,
    n_b: int,
    *,
    confidence: float = 0.95,
    labels: Sequence[str] = ("A", "B"),
) -> TestResult:
    """Two-proportion z-test; estimate = x_a/n_a - x_b/n_b with Newcombe's interval.

    The test uses the pooled-variance z statistic
    (``statsmodels.stats.proportion.proportions_ztest``); the interval is Newcombe's hybrid
    score interval (method 10), built from the two Wilson intervals
    (``confint_proportions_2indep(method="newcomb")``), which keeps good coverage near 0%
    and 100% where the Wald interval fails.

    Parameters
    ----------
    x_a, n_a : int
        Successes (e.g. top-box answers) and responses in the first group.
    x_b, n_b : int
        The same for the second group.
    confidence : float, default 0.95
        Confidence level of the interval.
    labels : (str, str), default ("A", "B")
        Names of the two groups, used in ``summary``.

    Returns
    -------
    TestResult
        ``estimate`` p_a - p_b (a fraction); ``ci_low``, ``ci_high`` Newcombe's interval;
        ``statistic`` z; ``effect_size`` Cohen's h;
        ``p_value`` two-sided; ``n`` (n_a, n_b); ``warnings`` what the result cannot
        claim (small samples; "not significant is not no effect").
        ``details``: p_a, p_b, x_a, x_b, and fisher_exact_p when expected counts are small.

    Notes
    -----
    Assumptions: independent binomial samples.  With fewer than 5 expected successes or
    failures in a group the z-test is approximate; the result then carries a warning with
    Fisher's exact p-value.

    References
    ----------
    Newcombe, R. G. (1998). Interval estimation for the difference between independent
    proportions: comparison of eleven methods. Statistics in Medicine 17, 873-890.

    Examples
    --------
    >>> from stats import compare
    >>> result = compare.proportions(45, 60, 30, 55, labels=("Hangzhou", "Ningbo"))
    >>> round(result.estimate, 3), round(result.ci_low, 3), round(result.ci_high, 3)
    (0.205, 0.03, 0.364)
    >>> print(result.summary())
    The share is 20.5 percentage points higher in Hangzhou than in Ningbo (95% CI 3.0 to 36.4; two-proportion z-test with Newcombe interval, p = 0.021; n = 60 vs 55).
    """
    xa, na = _checks.count_pair(x_a, n_a, "group a")
    xb, nb = _checks.count_pair(x_b, n_b, "group b")
    confidence = _checks.confidence(confidence)
    pa, pb = xa / na, xb / nb
    low, high = confint_proportions_2indep(xa, na, xb, nb, method="newcomb", compare="diff", alpha=1 - confidence)
    pooled = (xa + xb) / (na + nb)
    warnings: list[str] = []
    details = {"p_a": pa, "p_b": pb, "x_a": xa, "x_b": xb, "effect_size_name": "Cohen's h"}
    if pooled in (0.0, 1.0):
        # The z statistic is 0/0; with no variation the exact test gives p = 1.
        what = ("success", "成功") if pooled == 1.0 else ("failure", "失败")
        z, p = 0.0, 1.0
        warnings.append(caveat("no_variation_proportion", what=what[0], what_zh=what[1]))
    else:
        z, p = (float(v) for v in proportions_ztest([xa, xb], [na, nb]))
        expected = np.array([na * pooled, na * (1 - pooled), nb * pooled, nb * (1 - pooled)])
        if expected.min() < 5:
            fisher_p = float(sps.fisher_exact([[xa, na - xa], [xb, nb - xb]]).pvalue)
            details["fisher_exact_p"] = fisher_p
            warnings.append(caveat("small_expected", fisher_p=f"{fisher_p:.3f}"))
    warnings += _p_caveats(p)
    return TestResult(
        estimate=pa - pb,
        ci_low=float(low),
        ci_high=float(high),
        p_value=p,
        statistic=z,
        method="two-proportion z-test with Newcombe interval",
        n=(na, nb),
        effect_size=float(proportion_effectsize(pa, pb)),
        confidence=confidence,
        warnings=tuple(warnings),
        quantity="proportion_difference",
        labels=tuple(labels),
        details=details,
    )


def _successes_from_counts(counts: Any, levels: np.ndarray, success: Collection[float], name: str) -> tuple[int, int]:
    c = _checks.counts(counts, name, length=levels.size)
    chosen = np.isin(levels, np.asarray(list(success), dtype=float))
    if not chosen.any():
        raise ValueError(f"success levels {sorted(success)} are not among the levels {levels.tolist()}")
    return int(np.rint(c[chosen].sum())), int(np.rint(c.sum()))


def proportions_from_counts(
    counts_a: Any,
    counts_b: Any,
    levels: Any,
    success: Collection[float],
    *,
    confidence: float = 0.95,
    labels: Sequence[str] = ("A", "B"),
) -> TestResult:
    """:func:`proportions` from per-level histograms.

    Parameters
    ----------
    counts_a, counts_b : array_like
        Responses at each level in each group.
    levels : array_like
        The scale's levels, strictly increasing.
    success : collection of float
        The levels that count as a success (e.g. ``[4, 5]`` for the top two boxes of 1-5).
    confidence : float, default 0.95
        Confidence level of the interval.
    labels : (str, str), default ("A", "B")
        Names of the two groups, used in ``summary``.

    Returns
    -------
    TestResult
        As :func:`proportions`.

    Examples
    --------
    Top-two-box shares of two 1-5 histograms:

    >>> from stats import compare
    >>> result = compare.proportions_from_counts([1, 2, 5, 20, 22], [3, 5, 10, 20, 12], [1, 2, 3, 4, 5],
    ...                                          success=[4, 5])
    >>> round(result.estimate, 3), round(result.p_value, 3), result.n
    (0.2, 0.023, (50, 50))
    """
    lv = _checks.levels(levels)
    xa, na = _successes_from_counts(counts_a, lv, success, "counts_a")
    xb, nb = _successes_from_counts(counts_b, lv, success, "counts_b")
    return proportions(xa, na, xb, nb, confidence=confidence, labels=labels)


def proportion_interval(x: int, n: int, *, confidence: float = 0.95) -> TestResult:
    """One share with its Wilson score interval (``proportion_confint(method="wilson")``).

    Parameters
    ----------
    x : int
        Successes.
    n : int
        Responses.
    confidence : float, default 0.95
        Confidence level of the interval.

    Returns
    -------
    TestResult
        ``estimate`` x / n; ``ci_low``, ``ci_high`` the Wilson interval; ``n``;
        ``details`` x.

    References
    ----------
    Wilson, E. B. (1927). JASA 22, 209-212; recommended by Newcombe, R. G. (1998).
    Statistics in Medicine 17, 857-872.

    Examples
    --------
    >>> from stats import compare
    >>> result = compare.proportion_interval(42, 50)
    >>> print(result.summary())
    The share is 84.0% (95% CI 71.5 to 91.7; Wilson score interval; n = 50).
    """
    xi, ni = _checks.count_pair(x, n, "proportion")
    confidence = _checks.confidence(confidence)
    low, high = proportion_confint(xi, ni, alpha=1 - confidence, method="wilson")
    return TestResult(
        estimate=xi / ni,
        ci_low=float(low),
        ci_high=float(high),
        p_value=None,
        statistic=None,
        method="Wilson score interval",
        n=ni,
        confidence=confidence,
        quantity="proportion",
        details={"x": xi},
    )


# ---------------------------------------------------------------------------
# Net Promoter Score
# ---------------------------------------------------------------------------
def _nps_counts_from_scores(scores: Any, name: str) -> np.ndarray:
    s = _checks.sample(scores, name)
    if np.any(s != np.round(s)) or s.min() < 0 or s.max() > 10:
        raise ValueError(f"{name} must be whole numbers from 0 to 10 (NPS scale)")
    return np.bincount(s.astype(int), minlength=11).astype(float)


def _nps_parts(counts: Any, name: str) -> tuple[float, float, float, int]:
    """(NPS in points, per-response variance of the +1/0/-1 score, n)."""
    c = _checks.counts(counts, name, length=11)
    n = c.sum()
    promoters = c[9:].sum() / n
    detractors = c[:7].sum() / n
    # Trinomial: the score is +1/0/-1, Var = (P + D) - (P - D)^2 per response.
    var = (promoters + detractors) - (promoters - detractors) ** 2
    return 100 * (promoters - detractors), var, promoters, int(np.rint(n))


def _nps_diff(ca: Any, cb: Any, confidence: float, labels: Sequence[str]) -> TestResult:
    confidence = _checks.confidence(confidence)
    nps_a, var_a, _, na = _nps_parts(ca, "counts_a")
    nps_b, var_b, _, nb = _nps_parts(cb, "counts_b")
    se = 100 * np.sqrt(var_a / na + var_b / nb)
    if se == 0:
        raise ValueError("every response in both groups falls in one NPS category: no variation to test")
    diff = nps_a - nps_b
    z = diff / se
    p = float(2 * sps.norm.sf(abs(z)))
    half = _checks.z_crit(confidence) * se
    warnings: list[str] = []
    if min(na, nb) < SMALL_NPS:
        warnings.append(caveat("small_nps", n=min(na, nb)))
    warnings += _p_caveats(p)
    return TestResult(
        estimate=diff,
        ci_low=diff - half,
        ci_high=diff + half,
        p_value=p,
        statistic=z,
        method="NPS z-test (trinomial variance)",
        n=(na, nb),
        confidence=confidence,
        warnings=tuple(warnings),
        quantity="nps_difference",
        labels=tuple(labels),
        details={"nps_a": nps_a, "nps_b": nps_b, "se": se},
    )


def nps(scores_a: Any, scores_b: Any, *, confidence: float = 0.95, labels: Sequence[str] = ("A", "B")) -> TestResult:
    """Difference in Net Promoter Score (points, -200..200), z-test.

    NPS = 100 (P - D), with P the share of 9-10 and D the share of 0-6.  Each response is a
    +1/0/-1 score, so per group Var(NPS/100) = [(P + D) - (P - D)^2] / n (trinomial); the
    difference is tested with z = diff / sqrt(Var_a + Var_b).

    Parameters
    ----------
    scores_a, scores_b : array_like
        Whole-number scores 0..10 of the two groups.
    confidence : float, default 0.95
        Confidence level of the interval.
    labels : (str, str), default ("A", "B")
        Names of the two groups, used in ``summary``.

    Returns
    -------
    TestResult
        ``estimate`` NPS_a - NPS_b in points; ``ci_low``, ``ci_high`` its normal interval;
        ``statistic`` z;
        ``p_value`` two-sided; ``n`` (n_a, n_b); ``warnings`` what the result cannot
        claim (small samples; "not significant is not no effect").
        ``details``: nps_a, nps_b, se.

    Notes
    -----
    Assumptions: independent simple random samples; normal approximation (rough below ~30
    responses per group; a warning is added).  Written by hand: no maintained library
    implements NPS inference.

    References
    ----------
    The trinomial variance, e.g. Rocks, B. (2016), "The true standard error of the Net
    Promoter Score"; Stack Exchange answer by whuber (stats.stackexchange.com/a/18609).

    Examples
    --------
    >>> from stats import compare
    >>> vip = [10, 9, 9, 8, 7, 10, 6, 9, 10, 3, 9, 10]
    >>> standard = [9, 7, 6, 5, 8, 10, 4, 6, 9, 7, 3, 8]
    >>> result = compare.nps(vip, standard, labels=("VIP", "standard"))
    >>> print(result.summary())
    NPS is 66.7 points higher in VIP than in standard (95% CI 4.1 to 129.2; NPS z-test (trinomial variance), p = 0.037; n = 12 vs 12).
    """
    return _nps_diff(
        _nps_counts_from_scores(scores_a, "scores_a"), _nps_counts_from_scores(scores_b, "scores_b"), confidence, labels
    )


def nps_from_counts(
    counts_a: Any, counts_b: Any, *, confidence: float = 0.95, labels: Sequence[str] = ("A", "B")
) -> TestResult:
    """:func:`nps` from 11-entry histograms of the scores 0..10.

    Parameters
    ----------
    counts_a, counts_b : array_like
        Responses at each score 0, 1, ..., 10.
    confidence : float, default 0.95
        Confidence level of the interval.
    labels : (str, str), default ("A", "B")
        Names of the two groups, used in ``summary``.

    Returns
    -------
    TestResult
        As :func:`nps`.

    Examples
    --------
    >>> from stats import compare
    >>> this_month = [1, 0, 1, 2, 2, 4, 5, 10, 20, 30, 25]
    >>> last_month = [2, 1, 3, 5, 6, 8, 10, 15, 20, 20, 10]
    >>> result = compare.nps_from_counts(this_month, last_month)
    >>> round(result.estimate, 1), round(result.ci_low, 1), round(result.ci_high, 1)
    (45.0, 23.6, 66.4)
    """
    return _nps_diff(counts_a, counts_b, confidence, labels)


def _nps_single(counts: Any, confidence: float) -> TestResult:
    confidence = _checks.confidence(confidence)
    value, var, _, n = _nps_parts(counts, "counts")
    if var == 0:
        raise ValueError(f"all {n} responses fall in one NPS category (NPS = {value:g}): no interval can be formed")
    se = 100 * np.sqrt(var / n)
    half = _checks.z_crit(confidence) * se
    warnings = [caveat("small_nps", n=n)] if n < SMALL_NPS else []
    return TestResult(
        estimate=value,
        ci_low=max(-100.0, value - half),
        ci_high=min(100.0, value + half),
        p_value=None,
        statistic=None,
        method="NPS normal interval (trinomial variance)",
        n=n,
        confidence=confidence,
        warnings=tuple(warnings),
        quantity="nps",
        details={"se": se, "margin_of_error": half},
    )


def nps_interval(scores: Any, *, confidence: float = 0.95) -> TestResult:
    """One NPS with its normal interval (trinomial variance, see :func:`nps`).

    Parameters
    ----------
    scores : array_like
        Whole-number scores 0..10.
    confidence : float, default 0.95
        Confidence level of the interval.

    Returns
    -------
    TestResult
        ``estimate`` NPS in points; ``ci_low``, ``ci_high`` clipped to [-100, 100]; ``n``;
        ``details`` se and margin_of_error (the half-width); ``warnings`` below 30 responses.

    Examples
    --------
    >>> from stats import compare
    >>> result = compare.nps_interval([10, 9, 9, 8, 7, 10, 6, 9, 10, 3, 9, 10])
    >>> print(result.summary())
    NPS is 50.0 (95% CI 6.8 to 93.2; NPS normal interval (trinomial variance); n = 12).
    >>> round(float(result.details["margin_of_error"]), 1)
    43.2
    """
    return _nps_single(_nps_counts_from_scores(scores, "scores"), confidence)


def nps_interval_from_counts(counts: Any, *, confidence: float = 0.95) -> TestResult:
    """:func:`nps_interval` from an 11-entry histogram of the scores 0..10.

    Parameters
    ----------
    counts : array_like
        Responses at each score 0, 1, ..., 10.
    confidence : float, default 0.95
        Confidence level of the interval.

    Returns
    -------
    TestResult
        As :func:`nps_interval`.

    Examples
    --------
    >>> from stats import compare
    >>> result = compare.nps_interval_from_counts([1, 0, 1, 2, 2, 4, 5, 10, 20, 30, 25])
    >>> round(result.estimate, 1), round(result.ci_low, 1), round(result.ci_high, 1)
    (40.0, 25.6, 54.4)
    """
    return _nps_single(counts, confidence)


# ---------------------------------------------------------------------------
# Ordinal ratings: Mann-Whitney U
# ---------------------------------------------------------------------------
def _mann_whitney(
    levels: np.ndarray, ca: np.ndarray, cb: np.ndarray, confidence: float, labels: Sequence[str]
) -> TestResult:
    """Mann-Whitney U from two histograms on shared sorted levels.

    Ties are handled with mid-ranks; the normal approximation uses the tie
    correction and a continuity correction, as scipy's
    ``mannwhitneyu(method="asymptotic")``.  The interval for the rank-biserial
    correlation comes from DeLong's placement variance of the probability of
    superiority, on the logit scale.
    """
    confidence = _checks.confidence(confidence)
    n1, n2 = ca.sum(), cb.sum()
    total = ca + cb
    big_n = n1 + n2
    midrank = np.cumsum(total) - (total - 1) / 2
    u1 = float(ca @ midrank - n1 * (n1 + 1) / 2)
    mu = n1 * n2 / 2
    ties = float(np.sum(total**3 - total))
    var_u = n1 * n2 / 12 * ((big_n + 1) - ties / (big_n * (big_n - 1)))
    if var_u <= 0:
        raise ValueError("all responses in both groups are identical: no variation to test")
    sd_u = np.sqrt(var_u)
    z = (u1 - mu - 0.5 * np.sign(u1 - mu)) / sd_u
    p = float(min(1.0, 2 * sps.norm.sf(abs(z))))
    # Probability of superiority P(A > B) + P(A = B)/2 and its DeLong variance.
    below_b = np.cumsum(cb) - cb
    above_a = n1 - np.cumsum(ca)
    place_a = (below_b + 0.5 * cb) / n2  # for each A response at a level
    place_b = (above_a + 0.5 * ca) / n1  # for each B response at a level
    auc = u1 / (n1 * n2)
    var_auc = _weighted_var(place_a, ca) / n1 + _weighted_var(place_b, cb) / n2
    zc = _checks.z_crit(confidence)
    warnings: list[str] = []
    if 0 < auc < 1 and var_auc > 0:
        logit = np.log(auc / (1 - auc))
        half = zc * np.sqrt(var_auc) / (auc * (1 - auc))
        lo_auc, hi_auc = 1 / (1 + np.exp(-(logit - half))), 1 / (1 + np.exp(-(logit + half)))
    else:
        lo_auc = hi_auc = auc
        warnings.append(caveat("separation"))
    rbc = 2 * auc - 1
    warnings += _p_caveats(p)
    return TestResult(
        estimate=rbc,
        ci_low=2 * lo_auc - 1,
        ci_high=2 * hi_auc - 1,
        p_value=p,
        statistic=u1,
        method="Mann-Whitney U test",
        n=(int(n1), int(n2)),
        effect_size=rbc,
        confidence=confidence,
        warnings=tuple(warnings),
        quantity="rank_biserial",
        labels=tuple(labels),
        details={"U": u1, "z": z, "prob_superiority": auc, "effect_size_name": "rank-biserial correlation"},
    )


def _weighted_var(values: np.ndarray, weights: np.ndarray) -> float:
    n = weights.sum()
    if n < 2:
        return 0.0
    mean = weights @ values / n
    return float(weights @ (values - mean) ** 2 / (n - 1))


def ordinal(a: Any, b: Any, *, confidence: float = 0.95, labels: Sequence[str] = ("A", "B")) -> TestResult:
    """Mann-Whitney U test with tie correction; estimate = rank-biserial correlation.

    The rank-biserial correlation r = P(A > B) - P(A < B) (Kerby 2014) is positive when
    ratings in ``a`` tend to be higher.  The p-value uses the normal approximation with tie
    and continuity corrections (as ``scipy.stats.mannwhitneyu(method="asymptotic")``),
    which is what rating data with many ties need; the interval for r uses DeLong's
    placement variance (DeLong, DeLong & Clarke-Pearson 1988) on the logit scale.

    Parameters
    ----------
    a, b : array_like
        Ratings of the two groups.
    confidence : float, default 0.95
        Confidence level of the interval.
    labels : (str, str), default ("A", "B")
        Names of the two groups, used in ``summary``.

    Returns
    -------
    TestResult
        ``estimate`` and ``effect_size`` the rank-biserial correlation; ``ci_low``,
        ``ci_high`` its interval; ``statistic`` U for ``a``;
        ``p_value`` two-sided; ``n`` (n_a, n_b); ``warnings`` what the result cannot
        claim (small samples; "not significant is not no effect").
        ``details``: U, z, prob_superiority.

    Notes
    -----
    Assumptions: independent samples; ordinal outcome.  Tests whether one group tends to
    give higher ratings, not whether medians differ.  Written by hand on level histograms
    (so the count path is exact and fast); U and p are cross-checked against scipy and
    pingouin in the tests.

    References
    ----------
    Mann, H. B. & Whitney, D. R. (1947). Ann. Math. Stat. 18, 50-60; Kerby, D. S. (2014).
    Comprehensive Psychology 3, 11.IT.3.1.

    Examples
    --------
    >>> from stats import compare
    >>> result = compare.ordinal([5, 4, 5, 4, 5, 3], [3, 4, 3, 2, 4, 3], labels=("after", "before"))
    >>> round(result.estimate, 3), result.statistic, round(result.p_value, 3)
    (0.694, 30.5, 0.045)
    """
    x = _checks.sample(a, "a")
    y = _checks.sample(b, "b")
    lv = np.union1d(x, y)
    ca = np.searchsorted(lv, x)
    cb = np.searchsorted(lv, y)
    return _mann_whitney(
        lv,
        np.bincount(ca, minlength=lv.size).astype(float),
        np.bincount(cb, minlength=lv.size).astype(float),
        confidence,
        labels,
    )


def ordinal_from_counts(
    counts_a: Any, counts_b: Any, levels: Any, *, confidence: float = 0.95, labels: Sequence[str] = ("A", "B")
) -> TestResult:
    """:func:`ordinal` from per-level histograms (same result as the raw path).

    Parameters
    ----------
    counts_a, counts_b : array_like
        Responses at each level in each group.
    levels : array_like
        The scale's levels, strictly increasing.
    confidence : float, default 0.95
        Confidence level of the interval.
    labels : (str, str), default ("A", "B")
        Names of the two groups, used in ``summary``.

    Returns
    -------
    TestResult
        As :func:`ordinal`.

    Examples
    --------
    >>> from stats import compare
    >>> result = compare.ordinal_from_counts([0, 0, 1, 2, 3], [0, 1, 3, 2, 0], [1, 2, 3, 4, 5])
    >>> round(result.estimate, 3), round(result.p_value, 3)
    (0.694, 0.045)
    """
    lv = _checks.levels(levels)
    ca = _checks.counts(counts_a, "counts_a", length=lv.size)
    cb = _checks.counts(counts_b, "counts_b", length=lv.size)
    return _mann_whitney(lv, ca, cb, confidence, labels)


# ---------------------------------------------------------------------------
# Many groups
# ---------------------------------------------------------------------------
class GroupComparison:
    """Result of :func:`groups`.

    Attributes
    ----------
    kruskal : TestResult
        Kruskal-Wallis H test; ``estimate`` and ``effect_size`` epsilon-squared.
    welch_anova : TestResult or None
        Welch's ANOVA; ``estimate`` eta-squared; None when a group has no variation.
    table : pandas.DataFrame
        One row per group: group, n, mean, median, ci_low, ci_high (t interval of the mean).
    pairwise : pandas.DataFrame
        One row per pair: group_a, group_b, n_a, n_b, mean_a, mean_b, mean_diff, ci_low,
        ci_high, p_welch, p_welch_holm, rank_biserial, p_mannwhitney, p_mannwhitney_holm.
    warnings : tuple of str
    """

    def __init__(
        self,
        kruskal: TestResult,
        welch_anova: TestResult | None,
        table: pd.DataFrame,
        pairwise: pd.DataFrame,
        warnings: tuple[str, ...],
    ):
        self.kruskal = kruskal
        self.welch_anova = welch_anova
        self.table = table
        self.pairwise = pairwise
        self.warnings = warnings

    def summary(self, lang: str = "en") -> str:
        parts = [self.kruskal.summary(lang)]
        if self.welch_anova is not None:
            parts.append(self.welch_anova.summary(lang))
        return " ".join(parts) if lang == "en" else "".join(parts)

    def caveats(self, lang: str = "en") -> list[str]:
        return [caveat_text(w, lang) for w in self.warnings]

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {
            "kruskal": self.kruskal.to_dict(lang),
            "welch_anova": None if self.welch_anova is None else self.welch_anova.to_dict(lang),
            "groups": frame_records(self.table),
            "pairwise": frame_records(self.pairwise),
            "warnings": self.caveats(lang),
            "summary": self.summary(lang),
        }


def _split_groups(values: Any, labels: Any) -> dict[Any, np.ndarray]:
    x = _checks.sample(values, "values")
    lab = np.asarray(labels, dtype=object)
    _checks.same_length(x, lab, "values", "labels")
    if pd.isna(pd.Series(lab)).any():
        raise ValueError("labels contain missing values")
    data = {g: x[lab == g] for g in pd.unique(lab)}
    if len(data) < 2:
        raise ValueError(f"groups needs at least 2 groups to compare (got {len(data)}: {list(data)})")
    small = [str(g) for g, v in data.items() if v.size < 2]
    if small:
        raise ValueError(f"each group needs at least 2 values; too few in: {', '.join(small)}")
    return data


def groups(values: Any, labels: Any, *, confidence: float = 0.95) -> GroupComparison:
    """Compare three or more groups: Kruskal-Wallis, Welch ANOVA and Holm-adjusted pairs.

    - Kruskal-Wallis H with tie correction (``scipy.stats.kruskal``); effect size
      epsilon-squared = H / (n - 1) (Tomczak & Tomczak 2014).
    - Welch's ANOVA for unequal variances (``statsmodels.stats.oneway.anova_oneway``
      with ``use_var="unequal"``); effect size eta-squared (descriptive).
    - Every pair: Welch t-test (:func:`means`) and Mann-Whitney (:func:`ordinal`),
      p-values Holm-adjusted within each family.

    Parameters
    ----------
    values : array_like
        All ratings.
    labels : array_like
        The group of each rating (same length, no missing values; at least 2 groups of at
        least 2 ratings).
    confidence : float, default 0.95
        Confidence level of the interval.

    Returns
    -------
    GroupComparison
        ``kruskal``, ``welch_anova``, the per-group ``table``, the ``pairwise`` table and
        ``warnings`` (multiple comparisons; Welch undefined for a constant group).

    Notes
    -----
    Assumptions: independent groups.  Two groups are accepted, but then :func:`means` /
    :func:`ordinal` say the same more directly.

    References
    ----------
    Kruskal, W. H. & Wallis, W. A. (1952). JASA 47, 583-621; Welch, B. L. (1951).
    Biometrika 38, 330-336; Holm, S. (1979). Scand. J. Statist. 6, 65-70.

    Examples
    --------
    >>> from stats import compare
    >>> result = compare.groups([4, 5, 4, 5, 3, 2, 3, 3, 4, 5, 5, 5],
    ...                         ["hall"] * 4 + ["hotline"] * 4 + ["online"] * 4)
    >>> round(result.kruskal.p_value, 3), round(result.welch_anova.p_value, 3)
    (0.015, 0.004)
    >>> result.pairwise[["group_a", "group_b", "mean_diff", "p_welch_holm"]].round(3)
       group_a  group_b  mean_diff  p_welch_holm
    0     hall  hotline       1.75         0.008
    1     hall   online      -0.25         0.537
    2  hotline   online      -2.00         0.004
    """
    confidence = _checks.confidence(confidence)
    data = _split_groups(values, labels)
    pooled = np.concatenate(list(data.values()))
    _checks.not_constant(pooled, "values")
    names = list(data)
    sizes = tuple(v.size for v in data.values())
    h, p_kw = sps.kruskal(*data.values())
    big_n = pooled.size
    warnings: list[str] = []
    if len(names) > 2:
        warnings.append(caveat("multiple_comparisons", k=len(names) * (len(names) - 1) // 2))
    kruskal = TestResult(
        estimate=h / (big_n - 1),
        ci_low=None,
        ci_high=None,
        p_value=float(p_kw),
        statistic=float(h),
        method="Kruskal-Wallis H test",
        n=sizes,
        effect_size=h / (big_n - 1),
        confidence=confidence,
        quantity="epsilon_squared",
        labels=tuple(map(str, names)),
        details={"df": len(names) - 1},
    )
    flat = [str(g) for g, v in data.items() if v.var() == 0]
    if flat:
        welch = None
        warnings.append(caveat("welch_undefined", group=flat[0]))
    else:
        res = anova_oneway(list(data.values()), use_var="unequal")
        ss_between = sum(v.size * (v.mean() - pooled.mean()) ** 2 for v in data.values())
        eta2 = ss_between / ((pooled - pooled.mean()) ** 2).sum()
        welch = TestResult(
            estimate=eta2,
            ci_low=None,
            ci_high=None,
            p_value=float(res.pvalue),
            statistic=float(res.statistic),
            method="Welch ANOVA",
            n=sizes,
            effect_size=eta2,
            confidence=confidence,
            quantity="eta_squared",
            labels=tuple(map(str, names)),
            details={"df_num": float(res.df_num), "df_denom": float(res.df_denom)},
        )
    table = pd.DataFrame([_group_row(g, v, confidence) for g, v in data.items()])
    pairwise = _pairwise(data, confidence)
    return GroupComparison(kruskal, welch, table, pairwise, tuple(warnings))


def _group_row(name: Any, v: np.ndarray, confidence: float) -> dict[str, Any]:
    row = {"group": name, "n": v.size, "mean": v.mean(), "median": float(np.median(v))}
    if v.var() > 0:
        ci = mean_interval(v, confidence=confidence)
        row.update(ci_low=ci.ci_low, ci_high=ci.ci_high)
    else:
        row.update(ci_low=v[0], ci_high=v[0])
    return row


def _pairwise(data: Mapping[Any, np.ndarray], confidence: float) -> pd.DataFrame:
    rows = []
    for ga, gb in itertools.combinations(data, 2):
        a, b = data[ga], data[gb]
        row: dict[str, Any] = {
            "group_a": ga,
            "group_b": gb,
            "n_a": a.size,
            "n_b": b.size,
            "mean_a": a.mean(),
            "mean_b": b.mean(),
        }
        if a.var() + b.var() > 0:
            w = means(a, b, confidence=confidence)
            row.update(mean_diff=w.estimate, ci_low=w.ci_low, ci_high=w.ci_high, p_welch=w.p_value)
        else:  # both constant: a certain difference, nothing to test
            diff = a.mean() - b.mean()
            row.update(mean_diff=diff, ci_low=diff, ci_high=diff, p_welch=0.0 if diff else 1.0)
        if np.union1d(a, b).size > 1:
            mw = ordinal(a, b, confidence=confidence)
            row.update(rank_biserial=mw.estimate, p_mannwhitney=mw.p_value)
        else:
            row.update(rank_biserial=0.0, p_mannwhitney=1.0)
        rows.append(row)
    out = pd.DataFrame(rows)
    out.insert(out.columns.get_loc("p_welch") + 1, "p_welch_holm", adjust(out["p_welch"], "holm"))
    out["p_mannwhitney_holm"] = adjust(out["p_mannwhitney"], "holm")
    return out


def adjust(p_values: Iterable[float], method: str = "holm") -> np.ndarray:
    """Adjust p-values for multiple comparisons.

    Holm's step-down adjustment, max over j <= i of min(1, (m - j + 1) p_(j)), is computed
    here: statsmodels runs a full garbage collection on every Holm call, which costs a
    dashboard about 0.1 s per table (the result is the same; tests compare them).

    Parameters
    ----------
    p_values : iterable of float
        The p-values, each between 0 and 1.
    method : {"holm", "fdr_bh"}, default "holm"
        "holm" controls the family-wise error rate (Holm 1979); "fdr_bh" the false
        discovery rate (Benjamini & Hochberg 1995), through
        ``statsmodels.stats.multitest.multipletests`` with the method passed explicitly
        (its default is Holm-Sidak).

    Returns
    -------
    numpy.ndarray
        The adjusted p-values, in the order given.

    Examples
    --------
    >>> from stats import compare
    >>> compare.adjust([0.01, 0.04, 0.03]).round(3).tolist()
    [0.03, 0.06, 0.06]
    >>> compare.adjust([0.01, 0.04, 0.03], "fdr_bh").round(3).tolist()
    [0.03, 0.04, 0.04]
    """
    if method not in ("holm", "fdr_bh"):
        raise ValueError(f"method must be 'holm' or 'fdr_bh' (got {method!r})")
    p = _checks.sample(list(p_values), "p_values")
    if (p < 0).any() or (p > 1).any():
        raise ValueError("p_values must lie between 0 and 1")
    if method == "fdr_bh":
        return multipletests(p, method=method)[1]
    order = np.argsort(p, kind="stable")
    stepped = np.maximum.accumulate((p.size - np.arange(p.size)) * p[order])
    adjusted = np.empty(p.size)
    adjusted[order] = np.minimum(stepped, 1.0)
    return adjusted


# ---------------------------------------------------------------------------
# Breakdown tables: each group against all the others
# ---------------------------------------------------------------------------
def versus_rest_from_counts(
    counts_by_group: Mapping[Any, Any],
    levels: Any,
    *,
    metric: str = "mean",
    top_levels: Collection[float] | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Each group against all other groups pooled, from per-level histograms.

    p-values are Holm-adjusted across groups; intervals are not adjusted.  A group is
    compared with the rest, which overlaps every other row's rest, so rows are not
    independent tests.

    Parameters
    ----------
    counts_by_group : mapping
        Group name -> responses at each level.
    levels : array_like
        The scale's levels, strictly increasing (0..10 for ``metric="nps"``).
    metric : {"mean", "top_box", "nps"}, default "mean"
        "mean" (Welch t-test), "top_box" (two-proportion z-test with ``top_levels`` as
        successes) or "nps" (NPS z-test).
    top_levels : collection of float, optional
        The successes for ``metric="top_box"``.
    confidence : float, default 0.95
        Confidence level of the interval.

    Returns
    -------
    pandas.DataFrame
        One row per group: group, n, n_rest, value, value_rest, difference (group minus
        rest), ci_low, ci_high, p_value, p_holm.

    Examples
    --------
    >>> from stats import compare
    >>> counts = {"Hangzhou": [1, 2, 5, 20, 22], "Ningbo": [3, 5, 10, 20, 12], "Wenzhou": [2, 3, 8, 22, 15]}
    >>> table = compare.versus_rest_from_counts(counts, [1, 2, 3, 4, 5])
    >>> table[["group", "value", "value_rest", "difference", "p_holm"]].round(3)
          group  value  value_rest  difference  p_holm
    0  Hangzhou   4.20        3.78        0.42   0.045
    1    Ningbo   3.66        4.05       -0.39   0.083
    2   Wenzhou   3.90        3.93       -0.03   0.869
    """
    if len(counts_by_group) < 2:
        raise ValueError(f"versus_rest needs at least 2 groups (got {len(counts_by_group)})")
    lv = _checks.levels(levels)
    hist = {g: _checks.counts(c, f"counts for {g!r}", length=lv.size) for g, c in counts_by_group.items()}
    total = sum(hist.values())
    compare_counts = _counts_comparator(metric, lv, top_levels)
    rows = []
    for g, c in hist.items():
        rest = total - c
        if rest.sum() == 0:
            raise ValueError(f"every response is in group {g!r}: there is no rest to compare with")
        res = compare_counts(c, rest, confidence)
        rows.append(
            {
                "group": g,
                "n": int(c.sum()),
                "n_rest": int(rest.sum()),
                "value": res.details.get("value_a"),
                "value_rest": res.details.get("value_b"),
                "difference": res.estimate,
                "ci_low": res.ci_low,
                "ci_high": res.ci_high,
                "p_value": res.p_value,
            }
        )
    out = pd.DataFrame(rows)
    out["p_holm"] = adjust(out["p_value"], "holm")
    return out


def _counts_comparator(metric: str, lv: np.ndarray, top_levels: Collection[float] | None):
    """Return f(counts_a, counts_b, confidence) -> TestResult with value_a/value_b in details."""
    if metric == "mean":

        def run(ca, cb, conf):
            r = means_from_counts(ca, cb, lv, confidence=conf)
            return _with_values(r, r.details["mean_a"], r.details["mean_b"])
    elif metric == "top_box":
        if not top_levels:
            raise ValueError("metric='top_box' needs top_levels, e.g. top_levels=[5]")

        def run(ca, cb, conf):
            r = proportions_from_counts(ca, cb, lv, top_levels, confidence=conf)
            return _with_values(r, r.details["p_a"], r.details["p_b"])
    elif metric == "nps":
        if not np.array_equal(lv, NPS_LEVELS):
            raise ValueError("metric='nps' needs levels 0..10")

        def run(ca, cb, conf):
            r = nps_from_counts(ca, cb, confidence=conf)
            return _with_values(r, r.details["nps_a"], r.details["nps_b"])
    else:
        raise ValueError(f"metric must be 'mean', 'top_box' or 'nps' (got {metric!r})")
    return run


def _with_values(result: TestResult, value_a: float, value_b: float) -> TestResult:
    return dataclasses.replace(result, details=dict(result.details, value_a=value_a, value_b=value_b))


# ---------------------------------------------------------------------------
# Two independent estimates with standard errors
# ---------------------------------------------------------------------------
def difference_of_estimates(
    a: TestResult,
    b: TestResult,
    *,
    confidence: float = 0.95,
    labels: Sequence[str] = ("A", "B"),
) -> TestResult:
    """z-test for the difference of two independent estimates, a - b, from their standard
    errors (``details["se"]``): se = sqrt(se_a^2 + se_b^2).

    For estimates with no two-sample test of their own: weighted means and shares (with
    Kish's effective n), composite indices.

    Parameters
    ----------
    a, b : TestResult
        Two estimates whose ``details`` hold a positive ``se``.
    confidence : float, default 0.95
        Confidence level of the interval.
    labels : (str, str), default ("A", "B")
        Names of the two groups, used in ``summary``.

    Returns
    -------
    TestResult
        ``estimate`` a - b; ``ci_low``, ``ci_high`` its normal interval; ``statistic`` z;
        ``p_value`` two-sided; ``n`` the total n of each; ``quantity`` taken from ``a``
        (a mean or share becomes its difference); ``details`` se, value_a, value_b.

    Notes
    -----
    Assumptions: the two estimates come from independent samples (e.g. two periods) and
    are roughly normal (large samples).

    Examples
    --------
    Two weighted means, this quarter against last:

    >>> from stats import compare, weighting
    >>> weights = [1.0, 1.0, 2.0, 2.0, 0.5, 0.5, 1.0, 1.0]
    >>> this = weighting.weighted_mean([4, 5, 3, 4, 5, 4, 5, 4], weights)
    >>> last = weighting.weighted_mean([3, 4, 3, 4, 2, 4, 3, 5], weights)
    >>> result = compare.difference_of_estimates(this, last, labels=("this quarter", "last quarter"))
    >>> round(result.estimate, 2), round(result.p_value, 3)
    (0.5, 0.259)
    """
    confidence = _checks.confidence(confidence)
    ses = []
    for name, result in (("a", a), ("b", b)):
        se = result.details.get("se")
        if se is None or not np.isfinite(se) or se <= 0:
            raise ValueError(f"{name} has no positive standard error in details['se']")
        ses.append(float(se))
    se = float(np.hypot(ses[0], ses[1]))
    diff = a.estimate - b.estimate
    z = diff / se
    p = float(2 * sps.norm.sf(abs(z)))
    half = _checks.z_crit(confidence) * se
    quantity = {"mean": "mean_difference", "proportion": "proportion_difference", "nps": "nps_difference"}.get(
        a.quantity, a.quantity
    )
    return TestResult(
        estimate=diff,
        ci_low=diff - half,
        ci_high=diff + half,
        p_value=p,
        statistic=z,
        method="z-test for the difference of independent estimates",
        n=(_total_n(a.n), _total_n(b.n)),
        confidence=confidence,
        warnings=tuple(_p_caveats(p)),
        quantity=quantity,
        labels=tuple(labels),
        details={"se": se, "value_a": a.estimate, "value_b": b.estimate},
    )


def _total_n(n: int | tuple[int, ...]) -> int:
    return int(sum(n)) if isinstance(n, tuple) else int(n)
