"""Key-driver analysis: how much of an outcome (e.g. overall satisfaction) each
driver (e.g. speed, courtesy, price) accounts for, and how well each performs."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from math import factorial
from typing import Any

import numpy as np
import pandas as pd

from . import _checks
from .compare import mean_interval, mean_interval_from_moments
from .moments import Moments
from .result import Caveat, TestResult, caveat, caveat_text, fmt_num, frame_records

__all__ = ["key_drivers", "key_drivers_from_moments", "KeyDrivers", "lmg"]

MAX_PREDICTORS = 12  # 2^12 subsets; beyond this the exact decomposition gets slow
COLLINEAR_R = 0.8
MIN_BOOT = 20
MIN_BLOCKS = 30  # fewer blocks than this make a cluster bootstrap rough


@dataclass(frozen=True)
class _Plan:
    """Index arrays for every subset of p predictors, built once per p."""

    p: int
    by_size: list[tuple[np.ndarray, np.ndarray]]  # (masks, member indices) per subset size
    without: np.ndarray  # (p, 2^(p-1)) masks not containing j
    weights: np.ndarray  # (p, 2^(p-1)) Shapley weight |S|!(p-|S|-1)!/p!


def _plan(p: int) -> _Plan:
    masks = np.arange(2**p)
    bits = (masks[:, None] >> np.arange(p)) & 1
    sizes = bits.sum(axis=1)
    by_size = []
    for k in range(1, p + 1):
        chosen = masks[sizes == k]
        members = np.array([np.flatnonzero(bits[m]) for m in chosen])
        by_size.append((chosen, members))
    without = np.array([masks[bits[:, j] == 0] for j in range(p)])
    weight_of_size = np.array([factorial(s) * factorial(p - s - 1) / factorial(p) for s in range(p)])
    return _Plan(p, by_size, without, weight_of_size[sizes[without]])


def _subset_r2(cov: np.ndarray, plan: _Plan) -> np.ndarray:
    """R^2 of y (row/column 0 of ``cov``) on every subset of the predictors.

    R^2(S) = c_S' C_SS^-1 c_S / var(y), from the covariance matrix alone, so
    the cost does not depend on the number of rows.
    """
    c = cov[1:, 0]
    C = cov[1:, 1:]
    r2 = np.zeros(2**plan.p)
    for masks, members in plan.by_size:
        sub = C[members[:, :, None], members[:, None, :]]
        rhs = c[members]
        try:
            beta = np.linalg.solve(sub, rhs[..., None])[..., 0]
        except np.linalg.LinAlgError:  # a resample with a degenerate predictor
            beta = np.einsum("mij,mj->mi", np.linalg.pinv(sub, hermitian=True), rhs)
        r2[masks] = np.einsum("mi,mi->m", rhs, beta) / cov[0, 0]
    return r2


def _shapley(r2: np.ndarray, plan: _Plan) -> np.ndarray:
    """LMG / Shapley share of each predictor: weighted mean gain in R^2 when it is added."""
    gains = r2[plan.without | (1 << np.arange(plan.p))[:, None]] - r2[plan.without]
    return (plan.weights * gains).sum(axis=1)


def lmg(cov: np.ndarray) -> np.ndarray:
    """LMG relative importance from a covariance (or correlation) matrix whose first
    row/column is the outcome.

    Parameters
    ----------
    cov : array_like, shape (p + 1, p + 1)
        Covariance or correlation matrix of the outcome (first) and the p predictors.

    Returns
    -------
    numpy.ndarray, shape (p,)
        Each predictor's share of R^2; the values sum to the full-model R^2.

    Examples
    --------
    >>> import numpy as np
    >>> from stats import drivers
    >>> correlations = np.array([[1.0, 0.6, 0.4], [0.6, 1.0, 0.3], [0.4, 0.3, 1.0]])
    >>> drivers.lmg(correlations).round(3).tolist()
    [0.307, 0.107]
    """
    cov = np.asarray(cov, dtype=float)
    plan = _plan(cov.shape[0] - 1)
    return _shapley(_subset_r2(cov, plan), plan)


def _bootstrap_covs(Z: np.ndarray, n_boot: int, rng: np.random.Generator, chunk: int = 50):
    """Covariance matrices of ``n_boot`` bootstrap resamples of the rows of ``Z``.

    A resample is a vector of row counts; all cross-products of a batch of
    resamples come from one matrix product with the pairwise column products,
    which is far faster than forming each weighted covariance separately.
    """
    n, k = Z.shape
    iu = np.triu_indices(k)
    products = Z[:, iu[0]] * Z[:, iu[1]]
    for start in range(0, n_boot, chunk):
        size = min(chunk, n_boot - start)
        counts = np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(size)]).astype(float)
        sums = counts @ Z / n
        cross = counts @ products / n
        for b in range(size):
            cov = np.empty((k, k))
            cov[iu] = cross[b]
            cov.T[iu] = cross[b]
            yield cov - np.outer(sums[b], sums[b])


@dataclass(frozen=True)
class KeyDrivers:
    """Result of :func:`key_drivers` and :func:`key_drivers_from_moments`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per driver, most important first: driver, rank, importance (its share of
        R^2, in R^2 units; the column sums to ``r2``), ci_low / ci_high (bootstrap), share
        (fraction of R^2), correlation (with the outcome), performance (driver mean) with
        performance_ci_low / performance_ci_high, and quadrant (importance-performance
        analysis: concentrate_here, keep_up, low_priority, possible_overkill).
    r2 : float
        R^2 of the full model.
    r2_ci : (float, float)
        Its bootstrap interval.
    n : int
        Responses used.
    n_boot : int
        Bootstrap resamples.
    confidence : float
    warnings : tuple of str
        Always that importance is association, not effect; also strongly correlated
        drivers, few resamples or blocks, dropped rows.
    """

    table: pd.DataFrame
    r2: float
    r2_ci: tuple[float, float]
    n: int
    n_boot: int
    confidence: float
    warnings: tuple[str, ...]

    def summary(self, lang: str = "en") -> str:
        top = self.table.iloc[0]
        r2 = fmt_num(self.r2)
        share = f"{100 * top['share']:.0f}%"
        if lang == "en":
            return (
                f"The {len(self.table)} drivers explain R² = {r2} of the outcome's variance (n = {self.n}); "
                f"the most important is {top['driver']}, with {share} of it."
            )
        return (
            f"{len(self.table)} 个驱动因素共解释结果方差的 R² = {r2}（样本量 {self.n}）；"
            f"最重要的是 {top['driver']}，占其中的 {share}。"
        )

    def caveats(self, lang: str = "en", names: Mapping[str, str] | None = None) -> list[str]:
        """The warnings in ``lang``; ``names`` (driver column -> the reader's name for it) puts
        the reader's names in place of column names."""
        if not names:
            return [caveat_text(w, lang) for w in self.warnings]
        return [caveat_text(_renamed(w, names), lang) for w in self.warnings]

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {
            "drivers": frame_records(self.table),
            "r2": self.r2,
            "r2_ci": list(self.r2_ci),
            "n": self.n,
            "n_boot": self.n_boot,
            "confidence": self.confidence,
            "warnings": self.caveats(lang),
            "summary": self.summary(lang),
        }


def _clean_frame(df: pd.DataFrame, outcome: str, predictors: Sequence[str], dropna: bool) -> tuple[np.ndarray, int]:
    if not isinstance(df, pd.DataFrame):
        raise ValueError("df must be a pandas DataFrame")
    columns = [outcome, *predictors]
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"columns not found in df: {missing}")
    if len(set(predictors)) != len(predictors) or outcome in predictors:
        raise ValueError("predictors must be distinct and must not include the outcome")
    frame = df[columns]
    nan_rows = int(frame.isna().any(axis=1).sum())
    if nan_rows and not dropna:
        bad = [c for c in columns if frame[c].isna().any()]
        raise ValueError(f"missing values in {bad}; pass dropna=True to drop those {nan_rows} rows")
    frame = frame.dropna()
    try:
        Z = frame.to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise ValueError("outcome and predictors must be numeric columns") from None
    return Z, nan_rows


def key_drivers(
    df: pd.DataFrame,
    outcome: str,
    predictors: Sequence[str],
    *,
    n_boot: int = 200,
    seed: int = 0,
    confidence: float = 0.95,
    dropna: bool = False,
) -> KeyDrivers:
    """Relative importance of drivers as the Shapley decomposition of R^2 (LMG).

    Each driver's importance is its gain in R^2 when added to a linear regression, averaged
    over all orders of entry (Lindeman, Merenda & Gold 1980); the importances are
    non-negative for the usual data and sum to the full-model R^2.  R^2 of all 2^p subsets
    is computed from the covariance matrix, so the cost does not grow with the number of
    rows; intervals come from bootstrap resamples of rows (percentile method).  Each
    driver's mean ("performance") comes with a t interval, for an importance-performance
    chart (Martilla & James 1977).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per response.
    outcome : str
        Column of the outcome (e.g. overall satisfaction).
    predictors : sequence of str
        Columns of the drivers (at most 12, distinct, not the outcome).
    n_boot : int, default 200
        Bootstrap resamples (at least 20; a warning below 100).
    seed : int, default 0
        Seed of the resampling (results are deterministic).
    confidence : float, default 0.95
    dropna : bool, default False
        Drop rows with missing values (with a warning saying how many) instead of refusing.

    Returns
    -------
    KeyDrivers
        ``table`` (importance with its interval, share, rank, correlation, performance and
        quadrant per driver), ``r2`` and ``r2_ci``, ``n``, ``warnings``; ``summary(lang)``.

    Notes
    -----
    Assumptions: a linear model is a fair summary; rows are independent.  Importance
    describes association in this data, not causal effect, and strongly correlated drivers
    split their shares (a warning is added).  Written by hand: no maintained Python package
    provides LMG with bootstrap intervals (pingouin's ``linear_regression(relimp=True)``
    gives the point values and is used to cross-check in tests).

    References
    ----------
    Lindeman, Merenda & Gold (1980) Introduction to Bivariate and Multivariate Analysis;
    Grömping, U. (2006) J. Stat. Software 17(1) (R package relaimpo, ``type="lmg"``);
    Martilla & James (1977) J. Marketing 41, 77-79.

    Examples
    --------
    >>> import pandas as pd
    >>> from stats import drivers
    >>> ratings = pd.DataFrame({
    ...     "overall": [5, 4, 4, 3, 2, 5, 3, 4, 2, 4, 5, 3],
    ...     "speed": [5, 4, 5, 3, 1, 5, 2, 4, 2, 3, 4, 3],
    ...     "courtesy": [4, 4, 3, 4, 3, 5, 3, 3, 2, 5, 5, 2],
    ... })
    >>> result = drivers.key_drivers(ratings, "overall", ["speed", "courtesy"])
    >>> print(result.summary())
    The 2 drivers explain R² = 0.92 of the outcome's variance (n = 12); the most important is speed, with 63% of it.
    >>> result.table[["driver", "importance", "share", "performance", "quadrant"]].round(2)
         driver  importance  share  performance           quadrant
    0     speed        0.58   0.63         3.42   concentrate_here
    1  courtesy        0.33   0.37         3.58  possible_overkill
    """
    confidence = _checks.confidence(confidence)
    predictors = list(predictors)
    _check_driver_args(outcome, predictors, n_boot)
    Z, dropped = _clean_frame(df, outcome, predictors, dropna)
    p = len(predictors)
    if Z.shape[0] < p + 2:
        raise ValueError(f"too few rows ({Z.shape[0]}) for {p} predictors; need at least {p + 2}")
    for j, name in enumerate([outcome, *predictors]):
        _checks.not_constant(Z[:, j], f"column {name!r}")
    Z = Z - Z.mean(axis=0)  # centring keeps the weighted covariances accurate
    raw = df[[outcome, *predictors]].dropna()
    perf = [mean_interval(raw[c].to_numpy(dtype=float), confidence=confidence) for c in predictors]
    rng = np.random.default_rng(seed)
    return _drivers_result(
        np.cov(Z, rowvar=False),
        _bootstrap_covs(Z, n_boot, rng),
        predictors,
        Z.shape[0],
        perf,
        n_boot,
        confidence,
        dropped,
    )


def key_drivers_from_moments(
    blocks: Sequence[Moments],
    outcome: str,
    predictors: Sequence[str],
    *,
    n_boot: int = 200,
    seed: int = 0,
    confidence: float = 0.95,
) -> KeyDrivers:
    """:func:`key_drivers` from moment blocks (:class:`stats.moments.Moments`) instead of rows.

    The importances come from the pooled covariance, exactly as from the rows; the intervals
    resample whole blocks (a cluster bootstrap), which is the row bootstrap when each block
    is one response and stays valid when blocks are groups of independent respondents (e.g.
    one block per day and region).

    Parameters
    ----------
    blocks : sequence of Moments
        Every block must hold the outcome and all predictors (complete responses).
    outcome : str
    predictors : sequence of str
    n_boot : int, default 200
    seed : int, default 0
    confidence : float, default 0.95

    Returns
    -------
    KeyDrivers
        As :func:`key_drivers`; with fewer than 30 blocks the intervals are rough and a
        warning says so.

    Notes
    -----
    Assumptions: as :func:`key_drivers`; responses independent across blocks.

    Examples
    --------
    The ratings of :func:`key_drivers`' example in three blocks give the same importances:

    >>> import pandas as pd
    >>> from stats import drivers
    >>> ratings = pd.DataFrame({
    ...     "overall": [5, 4, 4, 3, 2, 5, 3, 4, 2, 4, 5, 3],
    ...     "speed": [5, 4, 5, 3, 1, 5, 2, 4, 2, 3, 4, 3],
    ...     "courtesy": [4, 4, 3, 4, 3, 5, 3, 3, 2, 5, 5, 2],
    ... })
    >>> from stats.moments import Moments
    >>> names = ("overall", "speed", "courtesy")
    >>> blocks = [Moments.of(names, ratings.iloc[i::3].to_numpy()) for i in range(3)]
    >>> result = drivers.key_drivers_from_moments(blocks, "overall", ["speed", "courtesy"])
    >>> result.table["importance"].round(2).tolist()
    [0.58, 0.33]
    >>> [warning.code for warning in result.warnings]
    ['drivers_association', 'few_blocks']
    """
    confidence = _checks.confidence(confidence)
    predictors = list(predictors)
    _check_driver_args(outcome, predictors, n_boot)
    names = [outcome, *predictors]
    if not blocks:
        raise ValueError("blocks is empty")
    selected = [b.select(names) for b in blocks]
    n_block = np.array([b.n for b in selected])
    sums = np.stack([b.sums for b in selected])
    cross = np.stack([b.cross for b in selected])
    n = float(n_block.sum())
    p = len(predictors)
    if n < p + 2:
        raise ValueError(f"too few responses ({n:g}) for {p} predictors; need at least {p + 2}")
    pooled = Moments(tuple(names), n, sums.sum(axis=0), cross.sum(axis=0))
    cov = pooled.covariance()
    for j, name in enumerate(names):
        if cov[j, j] <= 0:
            raise ValueError(f"column {name!r} is constant: all {n:g} values are equal")
    perf = [
        mean_interval_from_moments(pooled.mean[j + 1], cov[j + 1, j + 1], round(n), confidence=confidence, name=name)
        for j, name in enumerate(predictors)
    ]
    rng = np.random.default_rng(seed)
    result = _drivers_result(
        cov, _block_bootstrap_covs(n_block, sums, cross, n_boot, rng), predictors, round(n), perf, n_boot, confidence, 0
    )
    if len(selected) < MIN_BLOCKS:
        result = dataclasses.replace(result, warnings=result.warnings + (caveat("few_blocks", b=len(selected)),))
    return result


def _block_bootstrap_covs(
    n_block: np.ndarray, sums: np.ndarray, cross: np.ndarray, n_boot: int, rng: np.random.Generator
):
    """Covariances of ``n_boot`` resamples of whole blocks (drawn as in _bootstrap_covs)."""
    b = n_block.size
    for _ in range(n_boot):
        counts = np.bincount(rng.integers(0, b, b), minlength=b).astype(float)
        n = counts @ n_block
        mean = counts @ sums / n
        yield np.tensordot(counts, cross, axes=1) / n - np.outer(mean, mean)


def _check_driver_args(outcome: str, predictors: list[str], n_boot: int) -> None:
    if not predictors:
        raise ValueError("predictors is empty")
    if len(set(predictors)) != len(predictors) or outcome in predictors:
        raise ValueError("predictors must be distinct and must not include the outcome")
    if len(predictors) > MAX_PREDICTORS:
        raise ValueError(
            f"at most {MAX_PREDICTORS} predictors (got {len(predictors)}): the exact decomposition looks at 2^p subsets"
        )
    if n_boot < MIN_BOOT:
        raise ValueError(f"n_boot must be at least {MIN_BOOT} (got {n_boot})")


def _drivers_result(
    cov: np.ndarray,
    boot_covs,
    predictors: list[str],
    n: int,
    perf: list[TestResult],
    n_boot: int,
    confidence: float,
    dropped: int,
) -> KeyDrivers:
    """LMG importances from a covariance matrix (outcome first), bootstrap intervals from
    resampled covariances, and the importance-performance table."""
    p = len(predictors)
    corr = cov / np.sqrt(np.outer(np.diag(cov), np.diag(cov)))
    if np.linalg.matrix_rank(corr[1:, 1:], tol=1e-10) < p:
        raise ValueError("the predictors are perfectly collinear: one is a linear combination of the others")
    plan = _plan(p)
    r2_all = _subset_r2(cov, plan)
    importance = _shapley(r2_all, plan)
    r2 = float(r2_all[-1])
    boot = np.empty((n_boot, p))
    boot_r2 = np.empty(n_boot)
    for b, cov_b in enumerate(boot_covs):
        r2_b = _subset_r2(cov_b, plan)
        boot[b] = _shapley(r2_b, plan)
        boot_r2[b] = r2_b[-1]
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(boot, [tail, 100 - tail], axis=0)
    r2_low, r2_high = np.percentile(boot_r2, [tail, 100 - tail])
    r2_ci = (float(r2_low), float(r2_high))
    table = pd.DataFrame(
        {
            "driver": predictors,
            "importance": importance,
            "ci_low": low,
            "ci_high": high,
            "share": importance / r2 if r2 > 0 else np.zeros(p),
            "correlation": corr[1:, 0],
            "performance": [r.estimate for r in perf],
            "performance_ci_low": [r.ci_low for r in perf],
            "performance_ci_high": [r.ci_high for r in perf],
        }
    )
    table["quadrant"] = _quadrants(table["importance"].to_numpy(), table["performance"].to_numpy())
    table = table.sort_values("importance", ascending=False).reset_index(drop=True)
    table.insert(1, "rank", np.arange(1, p + 1))
    warnings = _driver_warnings(corr, predictors, n_boot, dropped)
    return KeyDrivers(table, r2, r2_ci, n, n_boot, confidence, tuple(warnings))


def _quadrants(importance: np.ndarray, performance: np.ndarray) -> list[str]:
    """Importance-performance quadrants, split at the mean of each axis."""
    hi_imp = importance >= importance.mean()
    hi_perf = performance >= performance.mean()
    names = {
        (True, False): "concentrate_here",
        (True, True): "keep_up",
        (False, False): "low_priority",
        (False, True): "possible_overkill",
    }
    return [names[(bool(i), bool(q))] for i, q in zip(hi_imp, hi_perf)]


def _driver_warnings(corr: np.ndarray, predictors: list[str], n_boot: int, dropped: int) -> list[str]:
    warnings: list[str] = [caveat("drivers_association")]
    R = np.abs(corr[1:, 1:] - np.eye(len(predictors)))
    if R.size and R.max() > COLLINEAR_R:
        i, j = np.unravel_index(np.argmax(R), R.shape)
        r = round(float(corr[1 + i, 1 + j]), 2)
        warnings.append(caveat("collinear_drivers", a=predictors[i], b=predictors[j], r=r))
    if n_boot < 100:
        warnings.append(caveat("few_bootstrap", b=n_boot))
    if dropped:
        warnings.append(caveat("dropped_rows", k=dropped))
    return warnings


def _renamed(warning: str, names: Mapping[str, str]) -> str:
    """A caveat naming drivers by their column names, renamed for its reader."""
    if not isinstance(warning, Caveat):
        return warning
    params = {
        key: names.get(value, value) if isinstance(value, str) else value for key, value in warning.params.items()
    }
    return Caveat(warning.code, **params)
