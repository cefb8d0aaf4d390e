"""Statistics from moment blocks: respondents summarised by n, sums and cross-products.

A :class:`Moments` block holds, for respondents who all answered the same variables,
their count, the sum of each variable and the sum of each product of two variables.
Blocks add up, so a dashboard can store one block per day and group and combine any
selection of them; from the combined blocks come means, covariances, composite indices
with honest intervals, paired comparisons and key-driver analysis
(:func:`stats.drivers.key_drivers_from_moments`), without reading a single response row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from . import _checks
from .compare import adjust
from .result import TestResult, caveat

__all__ = ["Moments", "composite_index", "paired_versus_rest"]


@dataclass(frozen=True, eq=False)
class Moments:
    """n, sums and sums of cross-products of ``names`` over one block of respondents.

    Blocks of the same variables add up (``a + b``), so a dashboard can store one block per
    day and group and combine any selection of them.

    Attributes
    ----------
    names : tuple of str
        The variables, in order.
    n : float
        Respondents in the block (all answered every variable).
    sums : numpy.ndarray, shape (p,)
        Sum of each variable.
    cross : numpy.ndarray, shape (p, p)
        Sum of x_i * x_j over the respondents.

    Examples
    --------
    >>> from stats.moments import Moments
    >>> hall = Moments.of(("billing", "network"), [[4, 3], [5, 4], [3, 2], [4, 3]])
    >>> hotline = Moments.of(("billing", "network"), [[2, 2], [4, 3], [5, 4]])
    >>> both = hall + hotline
    >>> both.n, both.mean.round(3).tolist()
    (7.0, [3.857, 3.0])
    >>> both.covariance().round(3).tolist()
    [[1.143, 0.833], [0.833, 0.667]]
    """

    names: tuple[str, ...]
    n: float
    sums: np.ndarray  # (p,) sum of each variable
    cross: np.ndarray  # (p, p) sum of x_i * x_j

    def __post_init__(self) -> None:
        p = len(self.names)
        if len(set(self.names)) != p:
            raise ValueError(f"variable names must be distinct (got {list(self.names)})")
        sums = np.asarray(self.sums, dtype=float)
        cross = np.asarray(self.cross, dtype=float)
        if sums.shape != (p,) or cross.shape != (p, p):
            raise ValueError(f"sums must have shape ({p},) and cross ({p}, {p}) for {p} variables")
        if not (self.n >= 0 and np.isfinite(sums).all() and np.isfinite(cross).all()):
            raise ValueError("n must be non-negative and the sums finite")
        object.__setattr__(self, "names", tuple(self.names))
        object.__setattr__(self, "n", float(self.n))
        object.__setattr__(self, "sums", sums)
        object.__setattr__(self, "cross", cross)

    @classmethod
    def of(cls, names: Sequence[str], rows: Any) -> Moments:
        """The block of a matrix of responses (one row each, one column per name)."""
        x = np.asarray(rows, dtype=float)
        if x.ndim != 2 or x.shape[1] != len(names):
            raise ValueError(f"rows must be a 2-D array with {len(names)} columns")
        if not np.isfinite(x).all():
            raise ValueError("rows contain NaN or infinite values: a block holds complete responses only")
        return cls(tuple(names), x.shape[0], x.sum(axis=0), x.T @ x)

    def __add__(self, other: Moments) -> Moments:
        if other.names != self.names:
            raise ValueError(f"cannot add blocks of different variables ({self.names} and {other.names})")
        return Moments(self.names, self.n + other.n, self.sums + other.sums, self.cross + other.cross)

    def select(self, names: Sequence[str]) -> Moments:
        """The block restricted to (and ordered as) ``names``."""
        missing = [v for v in names if v not in self.names]
        if missing:
            raise ValueError(f"variables {missing} are not in this block ({list(self.names)})")
        idx = [self.names.index(v) for v in names]
        return Moments(tuple(names), self.n, self.sums[idx], self.cross[np.ix_(idx, idx)])

    @property
    def mean(self) -> np.ndarray:
        return self.sums / self.n

    def covariance(self) -> np.ndarray:
        """Sample covariance matrix (ddof = 1)."""
        if self.n < 2:
            raise ValueError(f"a covariance needs at least 2 responses (got {self.n:g})")
        return (self.cross - np.outer(self.sums, self.sums) / self.n) / (self.n - 1)


def _total(blocks: Sequence[Moments], name: str, weights: np.ndarray) -> tuple[float, float, float]:
    """(weighted count, weighted sum, unweighted count) of one variable over the blocks that hold it."""
    count = total = raw = 0.0
    for block, w in zip(blocks, weights):
        if name in block.names:
            i = block.names.index(name)
            count += w * block.n
            total += w * block.sums[i]
            raw += block.n
    return count, total, raw


def composite_index(
    blocks: Sequence[Moments],
    weights: Mapping[str, float],
    *,
    block_weights: Any = None,
    confidence: float = 0.95,
) -> TestResult:
    """A weighted composite of variable means, sum_d w_d mean_d, with a linearised interval.

    Each mean_d is over every respondent who answered d (blocks may hold different
    variables: respondents of different surveys rate different dimensions).  Weights are
    renormalised over the variables present, with a warning naming those absent.  The
    variance is the usual linearisation of a vector of means with missing values,
    Cov(mean_i, mean_j) = sum over respondents with both of (x_i - mean_i)(x_j - mean_j) /
    (N_i N_j) (times N_ij / (N_ij - 1), which makes the complete-data case the ordinary
    t interval of each respondent's composite), so correlated dimensions (the same people
    rating several) widen the interval as they should.

    Parameters
    ----------
    blocks : sequence of Moments
        The respondents, in blocks that may hold different variables.
    weights : mapping of str to float
        Weight of each variable in the composite; variables with weight 0 are ignored.
    block_weights : array_like, optional
        One survey weight per block (every respondent of a block shares it, e.g. raking
        weights by tier x region); means become weighted and the variance the linearised
        variance of weighted means (sum of w^2 terms).
    confidence : float, default 0.95

    Returns
    -------
    TestResult
        ``estimate`` the composite; ``ci_low``, ``ci_high`` (t with min N_d - 1 df); ``n``
        respondents who answered any variable; ``details`` se, df, means and weights of the
        variables used, n_by_variable; ``warnings`` names the variables with no responses.

    Notes
    -----
    Assumptions: independent respondents; the composite roughly normal.

    References
    ----------
    Cochran, W. G. (1977) Sampling Techniques, ch. 6 (ratio estimators; the linearised
    variance); Wolter, K. M. (2007) Introduction to Variance Estimation, ch. 6 (Taylor
    series method).

    Examples
    --------
    >>> from stats.moments import Moments, composite_index
    >>> hall = Moments.of(("billing", "network"), [[4, 3], [5, 4], [3, 2], [4, 3]])
    >>> hotline = Moments.of(("billing", "network"), [[2, 2], [4, 3], [5, 4]])
    >>> index = composite_index([hall, hotline], {"billing": 0.5, "network": 0.5})
    >>> round(index.estimate, 3), round(index.ci_low, 2), round(index.ci_high, 2), index.n
    (3.429, 2.57, 4.29, 7)

    A dimension nobody rated is left out, and the result says so:

    >>> index = composite_index([hall, hotline], {"billing": 0.5, "network": 0.5, "staff": 1.0})
    >>> [warning.code for warning in index.warnings]
    ['composite_renormalised']
    """
    confidence = _checks.confidence(confidence)
    if not blocks:
        raise ValueError("blocks is empty")
    bw = np.ones(len(blocks)) if block_weights is None else _checks.sample(block_weights, "block_weights")
    if bw.size != len(blocks) or (bw <= 0).any():
        raise ValueError("block_weights must be positive, one per block")
    wanted = {d: float(w) for d, w in weights.items() if w > 0}
    if not wanted:
        raise ValueError("weights must give at least one variable a positive weight")
    totals = {d: _total(blocks, d, bw) for d in wanted}
    present = [d for d in wanted if totals[d][2] >= 2]
    if not present:
        raise ValueError(f"no variable of {sorted(wanted)} has at least 2 responses")
    absent = [d for d in wanted if d not in present]
    share = np.array([wanted[d] for d in present])
    share = share / share.sum()
    count = np.array([totals[d][0] for d in present])
    mean = np.array([totals[d][1] for d in present]) / count
    k = len(present)
    deviations = np.zeros((k, k))
    pairs = np.zeros((k, k))
    respondents = 0.0
    for block, w in zip(blocks, bw):
        idx = [block.names.index(d) if d in block.names else -1 for d in present]
        have = np.array([i >= 0 for i in idx])
        if not have.any():
            continue
        respondents += block.n
        pos = np.flatnonzero(have)
        sel = [idx[i] for i in pos]
        s, c, m = block.sums[sel], block.cross[np.ix_(sel, sel)], mean[pos]
        # sum over the block of (x_i - m_i)(x_j - m_j), from its moments
        dev = c - np.outer(m, s) - np.outer(s, m) + block.n * np.outer(m, m)
        deviations[np.ix_(pos, pos)] += w * w * dev
        pairs[np.ix_(pos, pos)] += block.n
    correction = np.where(pairs > 1, pairs / np.maximum(pairs - 1, 1), 1.0)
    cov = deviations * correction / np.outer(count, count)
    estimate = float(share @ mean)
    se = float(np.sqrt(max(share @ cov @ share, 0.0)))
    if se == 0:
        raise ValueError("the composite has no variation: every response is the same")
    df = min(totals[d][2] for d in present) - 1
    half = sps.t.ppf(0.5 + confidence / 2, df) * se
    warnings = [caveat("composite_renormalised", absent=", ".join(absent))] if absent else []
    return TestResult(
        estimate=estimate,
        ci_low=estimate - half,
        ci_high=estimate + half,
        p_value=None,
        statistic=None,
        method="weighted composite of means, linearised variance",
        n=round(respondents),
        confidence=confidence,
        warnings=tuple(warnings),
        quantity="mean",
        details={
            "se": se,
            "df": df,
            "means": dict(zip(present, mean.tolist())),
            "weights": dict(zip(present, share.tolist())),
            "n_by_variable": {d: round(totals[d][2]) for d in present},
        },
    )


def paired_versus_rest(
    blocks: Sequence[Moments],
    names: Sequence[str],
    *,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Each variable against the average of the other ``names`` rated by the same respondents.

    For variable d, every respondent who rated d and at least one other of ``names`` gives
    D = x_d - (mean of their other ratings); the table reports mean D with its t interval
    and one-sample t-test (a paired comparison: the same people rate both sides, so a
    two-sample test would be wrong), and Holm-adjusted p-values across the variables.

    Parameters
    ----------
    blocks : sequence of Moments
        The respondents.
    names : sequence of str
        The variables to compare (e.g. the service dimensions).
    confidence : float, default 0.95

    Returns
    -------
    pandas.DataFrame
        One row per variable with enough responses: variable, n, value (mean of d), rest
        (mean of the others' average), difference, ci_low, ci_high, p_value, p_holm.

    Notes
    -----
    Assumptions: independent respondents; mean D roughly normal (large n).

    Examples
    --------
    >>> from stats.moments import Moments, paired_versus_rest
    >>> hall = Moments.of(("billing", "network"), [[4, 3], [5, 4], [3, 2], [4, 3]])
    >>> hotline = Moments.of(("billing", "network"), [[2, 2], [4, 3], [5, 4]])
    >>> table = paired_versus_rest([hall, hotline], ["billing", "network"])
    >>> table[["variable", "n", "value", "rest", "difference", "p_value"]].round(3)
      variable  n  value   rest  difference  p_value
    0  billing  7  3.857  3.000       0.857    0.001
    1  network  7  3.000  3.857      -0.857    0.001
    """
    confidence = _checks.confidence(confidence)
    rows = []
    for d in names:
        n = total = square = own = 0.0
        for block in blocks:
            others = [v for v in names if v != d and v in block.names]
            if d not in block.names or not others:
                continue
            a = np.zeros(len(block.names))
            a[block.names.index(d)] = 1.0
            a[[block.names.index(v) for v in others]] = -1.0 / len(others)
            n += block.n
            total += a @ block.sums
            square += a @ block.cross @ a
            own += block.sums[block.names.index(d)]
        if n < 2:
            continue
        diff = total / n
        var = max((square - n * diff * diff) / (n - 1), 0.0)
        se = np.sqrt(var / n)
        t = diff / se if se > 0 else 0.0
        half = sps.t.ppf(0.5 + confidence / 2, n - 1) * se
        rows.append(
            {
                "variable": d,
                "n": round(n),
                "value": own / n,
                "rest": own / n - diff,
                "difference": diff,
                "ci_low": diff - half,
                "ci_high": diff + half,
                "p_value": float(2 * sps.t.sf(abs(t), n - 1)) if se > 0 else 1.0,
            }
        )
    table = pd.DataFrame(rows, columns=["variable", "n", "value", "rest", "difference", "ci_low", "ci_high", "p_value"])
    table["p_holm"] = adjust(table["p_value"], "holm") if len(table) else []
    return table
