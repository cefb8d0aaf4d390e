"""Survey weighting: raking to population margins, and weighted estimates that
treat weights as sampling weights (not frequency weights) via Kish's
effective sample size."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps
from statsmodels.stats.proportion import proportion_confint

from . import _checks
from .result import TestResult, caveat

__all__ = [
    "rake",
    "rake_cells",
    "rake_two_way",
    "Raking",
    "kish_effective_n",
    "weighted_mean",
    "weighted_proportion",
    "weighted_mean_from_counts",
    "weighted_proportion_from_counts",
]

DEFF_WARN = 2.0  # warn when weighting more than halves the effective sample


@dataclass(frozen=True)
class Raking:
    """Result of :func:`rake` and :func:`rake_cells`.

    Attributes
    ----------
    weights : pandas.Series
        One weight per row, with mean 1 over respondents (sum = n); named "weight".
    iterations : int
        Sweeps over the margins until they were met.
    max_margin_error : float
        Largest difference left between a weighted share and its target.
    n_effective : float
        Kish's effective sample size of the weights.
    design_effect : float
        n / n_effective: how much the weighting costs in precision.
    """

    weights: pd.Series
    iterations: int
    max_margin_error: float
    n_effective: float
    design_effect: float


def _margin_codes(sample: pd.DataFrame, column: str, target: Mapping[Any, float]) -> tuple[np.ndarray, np.ndarray]:
    """Category index of each row and the target share of each category."""
    if column not in sample.columns:
        raise ValueError(f"margin column {column!r} is not in the sample")
    values = sample[column]
    if values.isna().any():
        raise ValueError(
            f"column {column!r} has {int(values.isna().sum())} missing values; give them a category before raking"
        )
    categories = list(target)
    shares = np.asarray([target[c] for c in categories], dtype=float)
    if not np.isfinite(shares).all() or (shares < 0).any() or shares.sum() <= 0:
        raise ValueError(f"targets for {column!r} must be non-negative numbers with a positive total")
    present = set(pd.unique(values))
    absent = [c for c in categories if c not in present]
    if absent:
        raise ValueError(
            f"margin {column!r}: categories {absent} have a target but no respondents in the "
            "sample, so no weighting can reach them; merge them with a neighbouring category"
        )
    extra = sorted(map(str, present - set(categories)))
    if extra:
        raise ValueError(f"margin {column!r}: sample categories {extra} have no target; add them to the margin")
    zero = [c for c, s in zip(categories, shares) if s == 0]
    if zero:
        raise ValueError(f"margin {column!r}: categories {zero} have a target of 0 but respondents in the sample")
    codes = pd.Categorical(values, categories=categories).codes
    return codes.astype(np.intp), shares / shares.sum()


def rake(
    sample: pd.DataFrame,
    margins: Mapping[str, Mapping[Any, float]],
    *,
    base_weights: Any = None,
    max_iter: int = 100,
    tol: float = 1e-6,
) -> Raking:
    """Rake (iterative proportional fitting) weights to population margins.

    Starting from ``base_weights``, the weights are scaled to match each margin in turn
    until every weighted share is within ``tol`` of its target.

    Parameters
    ----------
    sample : pandas.DataFrame
        One row per respondent, with a column for each margin (no missing values).
    margins : mapping of str to mapping
        Each margin column mapped to its target distribution, e.g.
        ``{"region": {"north": 0.3, "south": 0.7}, "tier": {"vip": 0.2, "standard": 0.8}}``
        (shares, or counts: each margin is rescaled to sum to 1).
    base_weights : array_like, optional
        Positive starting weights, one per row (default 1).
    max_iter : int, default 100
        Sweeps over the margins before giving up (ValueError).
    tol : float, default 1e-6
        Largest allowed difference between a weighted share and its target.

    Returns
    -------
    Raking
        ``weights`` (mean 1), ``iterations``, ``max_margin_error``, ``n_effective`` and
        ``design_effect``.

    Raises
    ------
    ValueError
        For a target category with no respondents, a sample category with no target, and
        when the margins are not reached within ``max_iter`` sweeps (inconsistent margins,
        or empty cells in the cross-classification that make them unreachable).

    Notes
    -----
    Assumptions: the margins describe the population the sample should represent; raking
    corrects those margins only, not the joint distribution or non-response on other
    variables.  Written by hand (a short loop; no maintained Python survey package).

    References
    ----------
    Deming, W. E. & Stephan, F. F. (1940) Ann. Math. Stat. 11, 427-444; Battaglia, Hoaglin
    & Frankel (2009) Survey Practice 2(5).

    Examples
    --------
    Two VIP respondents out of eight, where VIPs are 40% of the customers:

    >>> import pandas as pd
    >>> from stats import weighting
    >>> sample = pd.DataFrame({"tier": ["vip"] * 2 + ["standard"] * 6,
    ...                        "region": ["north", "south", "north", "north", "south", "south", "south", "north"]})
    >>> raked = weighting.rake(sample, {"tier": {"vip": 0.4, "standard": 0.6},
    ...                                 "region": {"north": 0.5, "south": 0.5}})
    >>> raked.weights.round(2).tolist()
    [1.6, 1.6, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8]
    >>> round(raked.n_effective, 2), round(raked.design_effect, 2)
    (7.14, 1.12)
    """
    if not isinstance(sample, pd.DataFrame) or sample.empty:
        raise ValueError("sample must be a non-empty DataFrame")
    if not margins:
        raise ValueError("margins is empty")
    n = len(sample)
    w = np.ones(n) if base_weights is None else _checks.sample(base_weights, "base_weights").copy()
    if w.size != n or (w <= 0).any():
        raise ValueError("base_weights must be positive, one per row of the sample")
    fitted = [(col, *_margin_codes(sample, col, target)) for col, target in margins.items()]
    error = np.inf
    for iteration in range(1, max_iter + 1):  # noqa: B007 (the count is reported after the loop)
        for _, codes, shares in fitted:
            current = np.bincount(codes, weights=w, minlength=shares.size) / w.sum()
            w *= (shares / current)[codes]
        error, worst = max(
            (np.abs(np.bincount(codes, weights=w, minlength=shares.size) / w.sum() - shares).max(), col)
            for col, codes, shares in fitted
        )
        if error < tol:
            break
    else:
        raise ValueError(
            f"raking did not converge after {max_iter} iterations (largest margin error "
            f"{error:.4f}, on {worst!r}); the margins may be inconsistent with each other or with "
            "empty cells in the sample"
        )
    w = w * n / w.sum()
    n_eff = kish_effective_n(w)
    return Raking(pd.Series(w, index=sample.index, name="weight"), iteration, float(error), n_eff, n / n_eff)


def rake_cells(
    cells: pd.DataFrame,
    counts: Any,
    margins: Mapping[str, Mapping[Any, float]],
    *,
    max_iter: int = 100,
    tol: float = 1e-6,
) -> Raking:
    """:func:`rake` for respondents held as cells: each row of ``cells`` is one combination
    of the margin columns with ``counts`` respondents in it.

    Raking only ever multiplies a respondent's weight by factors of its own categories, so
    respondents of one cell keep equal weights, and raking the cells with their counts as
    base weights gives the same weights as raking the expanded rows.

    Parameters
    ----------
    cells : pandas.DataFrame
        One row per combination of the margin columns.
    counts : array_like
        Respondents in each cell (positive: drop empty cells first).
    margins : mapping of str to mapping
        Each margin column mapped to its target distribution, e.g.
        ``{"region": {"north": 0.3, "south": 0.7}, "tier": {"vip": 0.2, "standard": 0.8}}``
        (shares, or counts: each margin is rescaled to sum to 1).
    max_iter : int, default 100
        Sweeps over the margins before giving up (ValueError).
    tol : float, default 1e-6
        Largest allowed difference between a weighted share and its target.

    Returns
    -------
    Raking
        ``weights`` is the weight of one respondent of each cell (mean 1 over
        respondents); ``n_effective`` and ``design_effect`` are over respondents.

    Examples
    --------
    The sample of :func:`rake`, as cells:

    >>> import pandas as pd
    >>> from stats import weighting
    >>> cells = pd.DataFrame({"tier": ["vip", "vip", "standard", "standard"],
    ...                       "region": ["north", "south", "north", "south"]})
    >>> raked = weighting.rake_cells(cells, [1, 1, 3, 3], {"tier": {"vip": 0.4, "standard": 0.6},
    ...                                                   "region": {"north": 0.5, "south": 0.5}})
    >>> raked.weights.round(2).tolist(), round(raked.n_effective, 2)
    ([1.6, 1.6, 0.8, 0.8], 7.14)
    """
    size = _checks.sample(counts, "counts")
    if size.size != len(cells) or (size <= 0).any():
        raise ValueError("counts must be positive, one per row of cells (drop empty cells first)")
    raked = rake(cells, margins, base_weights=size, max_iter=max_iter, tol=tol)
    per_respondent = raked.weights.to_numpy() / size
    per_respondent *= size.sum() / (per_respondent * size).sum()
    n_eff = float((per_respondent * size).sum() ** 2 / (per_respondent**2 * size).sum())
    return Raking(
        pd.Series(per_respondent, index=cells.index, name="weight"),
        raked.iterations,
        raked.max_margin_error,
        n_eff,
        float(size.sum() / n_eff),
    )


def rake_two_way(
    counts: Any,
    row_targets: Any,
    column_targets: Any,
    *,
    max_iter: int = 100,
    tol: float = 1e-6,
) -> tuple[np.ndarray, np.ndarray]:
    """Raking to two margins for respondents cross-classified in tables, many tables at once.

    This is :func:`rake` on the expanded respondents (raking scales whole cells),
    vectorised over tables so a weekly trend rakes 100 weeks in one pass.  A category whose
    target is 0 (a group the population does not contain) gets weight 0: its respondents
    are left out, and the caller should say how many.  A target category with no
    respondents cannot be reached and is dropped (the other targets are rescaled).

    Parameters
    ----------
    counts : array_like, shape (..., rows, columns)
        ``counts[..., r, c]`` respondents in row category r and column category c of each
        table (e.g. tier x region for each week).
    row_targets : array_like, shape (..., rows)
        Population totals (or shares) of each table's row categories.
    column_targets : array_like, shape (..., columns)
        Population totals (or shares) of each table's column categories.
    max_iter : int, default 100
        Sweeps before giving up (ValueError when a table has not converged).
    tol : float, default 1e-6
        Largest allowed difference between a weighted share and its target.

    Returns
    -------
    weights : numpy.ndarray, shape (..., rows, columns)
        The weight of one respondent of each cell (mean 1 over each table's weighted
        respondents).
    n_effective : numpy.ndarray, shape (...)
        Kish's effective n of each table.

    Examples
    --------
    One table: tier (vip, standard) by region (north, south):

    >>> from stats import weighting
    >>> weights, n_effective = weighting.rake_two_way([[1, 1], [3, 3]], [0.4, 0.6], [0.5, 0.5])
    >>> weights.round(2).tolist(), round(float(n_effective), 2)
    ([[1.6, 1.6], [0.8, 0.8]], 7.14)
    """
    c = np.asarray(counts, dtype=float)
    rows = np.asarray(row_targets, dtype=float).copy()
    cols = np.asarray(column_targets, dtype=float).copy()
    if c.ndim < 2 or rows.shape != c.shape[:-1] or cols.shape != c.shape[:-2] + c.shape[-1:]:
        raise ValueError(
            "counts must be (..., rows, columns) with row_targets (..., rows) and column_targets (..., columns)"
        )
    if (c < 0).any() or (rows < 0).any() or (cols < 0).any() or not np.isfinite(c).all():
        raise ValueError("counts and targets must be non-negative numbers")
    c = c * (rows[..., :, None] > 0) * (cols[..., None, :] > 0)
    rows[c.sum(axis=-1) == 0] = 0.0
    cols[c.sum(axis=-2) == 0] = 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        rows = np.nan_to_num(rows / rows.sum(axis=-1, keepdims=True))
        cols = np.nan_to_num(cols / cols.sum(axis=-1, keepdims=True))
        w = (c > 0).astype(float)
        for _ in range(max_iter):
            total = (c * w).sum(axis=(-2, -1))[..., None]
            share = (c * w).sum(axis=-1) / total
            w *= np.nan_to_num(rows / share)[..., :, None]
            share = (c * w).sum(axis=-2) / total
            w *= np.nan_to_num(cols / share)[..., None, :]
            total = (c * w).sum(axis=(-2, -1))[..., None]
            error = np.nan_to_num(
                np.maximum(
                    np.abs((c * w).sum(axis=-1) / total - rows).max(axis=-1),
                    np.abs((c * w).sum(axis=-2) / total - cols).max(axis=-1),
                )
            )
            if (error < tol).all():
                break
        else:
            raise ValueError(
                f"raking did not converge after {max_iter} iterations (largest margin error "
                f"{float(error.max()):.4f}); the margins may be unreachable with these cells"
            )
        kept = (c * (w > 0)).sum(axis=(-2, -1))
        w *= np.nan_to_num(kept / (c * w).sum(axis=(-2, -1)))[..., None, None]
        n_eff = np.nan_to_num((c * w).sum(axis=(-2, -1)) ** 2 / (c * w**2).sum(axis=(-2, -1)))
    return w, n_eff


def kish_effective_n(weights: Any) -> float:
    """Kish's effective sample size, (sum w)^2 / sum w^2.

    Parameters
    ----------
    weights : array_like
        Non-negative weights with a positive total.

    Returns
    -------
    float
        The number of unweighted responses that would give the same precision.

    References
    ----------
    Kish, L. (1965) Survey Sampling.

    Examples
    --------
    >>> from stats import weighting
    >>> round(weighting.kish_effective_n([1, 1, 2, 2]), 2)
    3.6
    """
    w = _checks.sample(weights, "weights")
    if (w < 0).any() or w.sum() <= 0:
        raise ValueError("weights must be non-negative with a positive total")
    return float(w.sum() ** 2 / (w**2).sum())


def _weighted_inputs(values: Any, weights: Any, counts: Any = None) -> tuple[np.ndarray, np.ndarray, float, list[str]]:
    """Values, their total weights (weight x count) and Kish's effective n."""
    x = _checks.sample(values, "values")
    w = _checks.sample(weights, "weights")
    _checks.same_length(x, w, "values", "weights")
    c = np.ones_like(w) if counts is None else _checks.sample(counts, "counts")
    _checks.same_length(x, c, "values", "counts")
    if (c < 0).any():
        raise ValueError("counts must not be negative")
    if (w < 0).any() or (w * c).sum() <= 0:
        raise ValueError("weights must be non-negative with a positive total")
    n_eff = float((w * c).sum() ** 2 / (w**2 * c).sum())
    if n_eff < 2:
        raise ValueError(f"the effective sample size is {n_eff:.2f}: too few to estimate anything")
    warnings: list[str] = []
    n = c.sum()
    deff = n / n_eff
    if deff > DEFF_WARN:
        warnings.append(caveat("low_effective_n", n_eff=round(n_eff, 1), n=round(n), deff=round(deff, 2)))
    return x, w * c, n_eff, warnings


def weighted_mean(values: Any, weights: Any, *, confidence: float = 0.95) -> TestResult:
    """Weighted mean with a t interval on Kish's effective sample size.

    SE^2 = s_w^2 / n_eff, where s_w^2 = [sum w (x - m)^2 / sum w] * n_eff / (n_eff - 1)
    and n_eff = (sum w)^2 / sum w^2; t with n_eff - 1 df.  With equal weights this is the
    ordinary t interval.  Weights are sampling weights: their scale does not matter (unlike statsmodels'
    DescrStatsW, which reads them as frequency weights and so overstates precision).

    Parameters
    ----------
    values : array_like
        One value per respondent.
    weights : array_like
        One non-negative weight per respondent.
    confidence : float, default 0.95
        Confidence level of the interval.

    Returns
    -------
    TestResult
        ``estimate`` the weighted mean; ``ci_low``, ``ci_high``; ``n`` respondents;
        ``details`` n_effective and se; ``warnings`` when weighting more than halves the
        effective sample.

    Notes
    -----
    Assumptions: weights roughly unrelated to the outcome's variance (Kish's
    approximation); independent respondents (no clustering).  Written by hand because
    statsmodels' weighted statistics treat weights as frequency weights.

    References
    ----------
    Kish, L. (1965) Survey Sampling; Kish (1992) J. Official Statistics 8, 183-200.

    Examples
    --------
    >>> from stats import weighting
    >>> mean = weighting.weighted_mean([4, 5, 3, 4, 5, 2], [1.0, 1.0, 2.0, 2.0, 0.5, 0.5])
    >>> round(mean.estimate, 3), round(mean.ci_low, 2), round(mean.ci_high, 2)
    (3.786, 2.49, 5.08)
    >>> round(mean.details["n_effective"], 2)
    4.67
    """
    return _weighted_mean(values, weights, None, confidence)


def weighted_mean_from_counts(values: Any, weights: Any, counts: Any, *, confidence: float = 0.95) -> TestResult:
    """:func:`weighted_mean` for respondents held as (value, weight, count) rows, e.g. a
    per-level histogram of each weighting cell: the same result as repeating each value and
    weight ``count`` times.

    Parameters
    ----------
    values, weights, counts : array_like
        One entry per row: the value, the weight of each respondent in the row, and how
        many respondents the row holds.
    confidence : float, default 0.95

    Returns
    -------
    TestResult
        As :func:`weighted_mean`; ``n`` is the total count.

    Examples
    --------
    A 1-5 rating in two weighting cells (weights 2.0 and 0.5), as per-level counts:

    >>> from stats import weighting
    >>> levels = [1, 2, 3, 4, 5]
    >>> mean = weighting.weighted_mean_from_counts(levels * 2, [2.0] * 5 + [0.5] * 5,
    ...                                            [0, 1, 2, 5, 2, 1, 2, 4, 10, 13])
    >>> round(mean.estimate, 3), mean.n, round(mean.details["n_effective"], 1)
    (3.914, 40, 25.8)
    """
    return _weighted_mean(values, weights, counts, confidence)


def _weighted_mean(values: Any, weights: Any, counts: Any, confidence: float) -> TestResult:
    confidence = _checks.confidence(confidence)
    x, w, n_eff, warnings = _weighted_inputs(values, weights, counts)
    _checks.not_constant(x[w > 0], "values")
    mean = float(w @ x / w.sum())
    var = float(w @ (x - mean) ** 2 / w.sum()) * n_eff / (n_eff - 1)
    se = np.sqrt(var / n_eff)
    half = sps.t.ppf(0.5 + confidence / 2, n_eff - 1) * se
    n = round(len(x) if counts is None else float(np.sum(counts)))
    return TestResult(
        estimate=mean,
        ci_low=mean - half,
        ci_high=mean + half,
        p_value=None,
        statistic=None,
        method="weighted mean, Kish effective n",
        n=n,
        confidence=confidence,
        warnings=tuple(warnings),
        quantity="mean",
        details={"n_effective": n_eff, "se": float(se)},
    )


def weighted_proportion(successes: Any, weights: Any, *, confidence: float = 0.95) -> TestResult:
    """Weighted share of ``successes`` with a Wilson interval on Kish's effective sample size.

    Parameters
    ----------
    successes : array_like
        0/1 or True/False per respondent.
    weights : array_like
        One non-negative weight per respondent.
    confidence : float, default 0.95

    Returns
    -------
    TestResult
        ``estimate`` the weighted share; ``ci_low``, ``ci_high`` the Wilson interval at
        n_eff; ``details`` n_effective and se (sqrt(p (1 - p) / n_eff)).

    References
    ----------
    Kish (1965); Korn, E. L. & Graubard, B. I. (1998) Survey Methodology 24, 193-201
    (effective-n intervals for survey proportions).

    Examples
    --------
    >>> from stats import weighting
    >>> share = weighting.weighted_proportion([1, 1, 0, 1, 0, 1], [1.0, 1.0, 2.0, 2.0, 0.5, 0.5])
    >>> round(share.estimate, 3), round(share.ci_low, 2), round(share.ci_high, 3)
    (0.643, 0.25, 0.907)
    """
    return _weighted_proportion(successes, weights, None, confidence)


def weighted_proportion_from_counts(
    successes: Any, weights: Any, counts: Any, *, confidence: float = 0.95
) -> TestResult:
    """:func:`weighted_proportion` for respondents held as (success, weight, count) rows.

    Parameters
    ----------
    successes, weights, counts : array_like
        One entry per row: 0/1, the weight of each respondent in the row, and how many
        respondents the row holds.
    confidence : float, default 0.95

    Returns
    -------
    TestResult
        As :func:`weighted_proportion`; ``n`` is the total count.

    Examples
    --------
    >>> from stats import weighting
    >>> share = weighting.weighted_proportion_from_counts([1, 0, 1, 0], [2.0, 2.0, 0.5, 0.5], [7, 3, 23, 7])
    >>> round(share.estimate, 3), share.n, round(share.details["n_effective"], 1)
    (0.729, 40, 25.8)
    """
    return _weighted_proportion(successes, weights, counts, confidence)


def _weighted_proportion(successes: Any, weights: Any, counts: Any, confidence: float) -> TestResult:
    confidence = _checks.confidence(confidence)
    y, w, n_eff, warnings = _weighted_inputs(successes, weights, counts)
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("successes must be 0/1 or True/False")
    share = float(w @ y / w.sum())
    low, high = proportion_confint(share * n_eff, n_eff, alpha=1 - confidence, method="wilson")
    n = round(len(y) if counts is None else float(np.sum(counts)))
    return TestResult(
        estimate=share,
        ci_low=float(low),
        ci_high=float(high),
        p_value=None,
        statistic=None,
        method="weighted share, Wilson interval with Kish effective n",
        n=n,
        confidence=confidence,
        warnings=tuple(warnings),
        quantity="proportion",
        details={"n_effective": n_eff, "se": float(np.sqrt(share * (1 - share) / n_eff))},
    )
