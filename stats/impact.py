"""Impact of a service change: interrupted time series, difference-in-differences,
and the plain before/after comparison (with what it cannot claim)."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats as sps
from statsmodels.stats.diagnostic import acorr_ljungbox
from statsmodels.stats.stattools import durbin_watson

from . import _checks, compare
from ._time import time_axis
from .result import TestResult, caveat, caveat_text, frame_records
from .trend import newey_west_lags

__all__ = [
    "interrupted_time_series",
    "ITSResult",
    "temporary_change",
    "TemporaryChangeResult",
    "difference_in_differences",
    "difference_in_differences_from_cells",
    "DiDResult",
    "before_after",
    "before_after_from_counts",
]

MIN_SEGMENT = 3  # fewest points on each side of the change we accept
RECOMMENDED_SEGMENT = 8  # Penfold & Zhang (2013): at least 8 per segment
FEW_CLUSTERS = 30  # Cameron & Miller (2015): cluster-robust errors need many clusters
PRETREND_ALPHA = 0.10  # lenient: pre-trend tests have little power


# ---------------------------------------------------------------------------
# Shared regression helpers
# ---------------------------------------------------------------------------
def _coef_result(fit: Any, index: int, confidence: float, **kwargs: Any) -> TestResult:
    """A TestResult for one regression coefficient."""
    low, high = np.asarray(fit.conf_int(alpha=1 - confidence))[index]
    return TestResult(
        estimate=np.asarray(fit.params)[index],
        ci_low=low,
        ci_high=high,
        p_value=np.asarray(fit.pvalues)[index],
        statistic=np.asarray(fit.tvalues)[index],
        confidence=confidence,
        **kwargs,
    )


def _contrast_result(fit: Any, contrast: np.ndarray, confidence: float, **kwargs: Any) -> TestResult:
    """A TestResult for a linear combination of coefficients."""
    test = fit.t_test(contrast)
    low, high = np.asarray(test.conf_int(alpha=1 - confidence))[0]
    return TestResult(
        estimate=float(np.squeeze(test.effect)),
        ci_low=low,
        ci_high=high,
        p_value=float(np.squeeze(test.pvalue)),
        statistic=float(np.squeeze(test.tvalue)),
        confidence=confidence,
        **kwargs,
    )


def _residual_check(resid: np.ndarray) -> dict[str, float]:
    lags = max(1, min(10, resid.size // 5))
    lb = acorr_ljungbox(resid, lags=[lags])
    centred = resid - resid.mean()
    lag1 = float(centred[1:] @ centred[:-1] / (centred @ centred)) if centred @ centred > 0 else 0.0
    return {
        "lag1_autocorrelation": lag1,
        "ljung_box_p": float(lb["lb_pvalue"].iloc[0]),
        "ljung_box_lags": lags,
        "durbin_watson": float(durbin_watson(resid)),
    }


# ---------------------------------------------------------------------------
# Interrupted time series
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ITSResult:
    """Result of :func:`interrupted_time_series`.

    Attributes
    ----------
    level_change : TestResult
        b2, the immediate change in level at the change.
    slope_change : TestResult
        b3, the change in slope per time unit.
    average_effect : TestResult
        The mean of b2 + b3 (t - t0) over the post-change points.
    pre_slope : float
        b1, the slope before the change.
    table : pandas.DataFrame
        One row per point: time, t, observed, fitted, counterfactual and post.
    residual_check : dict
        lag1_autocorrelation, ljung_box_p, ljung_box_lags and durbin_watson of the residuals.
    warnings : tuple of str
    method : str
    unit : str
        The time unit of the slopes.
    """

    level_change: TestResult
    slope_change: TestResult
    average_effect: TestResult
    pre_slope: float
    table: pd.DataFrame
    residual_check: dict[str, float]
    warnings: tuple[str, ...]
    method: str
    unit: str

    @property
    def fitted(self) -> pd.Series:
        return self.table["fitted"]

    @property
    def counterfactual(self) -> pd.Series:
        return self.table["counterfactual"]

    def summary(self, lang: str = "en") -> str:
        sep = " " if lang == "en" else ""
        return sep.join([self.level_change.summary(lang), self.slope_change.summary(lang)])

    def caveats(self, lang: str = "en") -> list[str]:
        return [caveat_text(w, lang) for w in self.warnings]

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {
            "level_change": self.level_change.to_dict(lang),
            "slope_change": self.slope_change.to_dict(lang),
            "average_effect": self.average_effect.to_dict(lang),
            "pre_slope": float(self.pre_slope),
            "series": frame_records(self.table),
            "residual_check": dict(self.residual_check),
            "warnings": self.caveats(lang),
            "method": self.method,
            "unit": self.unit,
            "summary": self.summary(lang),
        }


def _fit_series(
    y: np.ndarray, X: np.ndarray, weights: Any, errors: str, hac_lags: int | None
) -> tuple[Any, dict[str, float], dict[str, Any]]:
    """Fit a time-series regression with GLSAR AR(1), Newey-West or OLS errors, optionally
    weighted; returns the fit, the residual autocorrelation check and method details."""
    scale = np.ones_like(y)
    if weights is not None:
        w = _checks.sample(weights, "weights")
        _checks.same_length(w, y, "weights", "values")
        if (w <= 0).any():
            raise ValueError("weights must be positive")
        scale = np.sqrt(w / w.mean())
    # WLS is OLS on rows scaled by sqrt(weight); GLSAR is then applied to the scaled rows.
    ys, Xs = y * scale, X * scale[:, None]
    if errors == "glsar":
        model = sm.GLSAR(ys, Xs, rho=1)
        fit = model.iterative_fit(maxiter=50)
        return fit, _residual_check(np.asarray(fit.wresid)), {"rho": float(model.rho[0])}
    if errors == "hac":
        lags = newey_west_lags(y.size) if hac_lags is None else int(hac_lags)
        if lags < 0:
            raise ValueError(f"hac_lags must be >= 0 (got {hac_lags})")
        fit = sm.OLS(ys, Xs).fit(cov_type="HAC", cov_kwds={"maxlags": lags}, use_t=True)
        return fit, _residual_check(np.asarray(fit.resid)), {"hac_lags": lags}
    fit = sm.OLS(ys, Xs).fit()
    return fit, _residual_check(np.asarray(fit.resid)), {}


def _autocorrelation_caveats(check: dict[str, float], errors: str) -> list[str]:
    if check["ljung_box_p"] >= 0.05:
        return []
    code = {
        "hac": "residual_autocorrelation",
        "ols": "residual_autocorrelation_ols",
        "glsar": "residual_autocorrelation_glsar",
    }[errors]
    return [caveat(code, r=round(check["lag1_autocorrelation"], 2), p=round(check["ljung_box_p"], 3))]


_ITS_METHODS = {
    "glsar": "segmented regression, GLSAR AR(1) errors",
    "hac": "segmented regression, Newey-West errors",
    "ols": "segmented regression, OLS errors",
}


def _seasonal_terms(t: np.ndarray, period: float, harmonics: int) -> np.ndarray:
    """Fourier terms sin/cos(2 pi k t / period), k = 1..harmonics (Hyndman's approach)."""
    cols = []
    for k in range(1, harmonics + 1):
        angle = 2 * np.pi * k * t / period
        if 2 * k != period:  # at the Nyquist frequency the sine is zero at every point
            cols.append(np.sin(angle))
        cols.append(np.cos(angle))
    return np.column_stack(cols)


def interrupted_time_series(
    values: Any,
    times: Any,
    change_time: Any,
    *,
    seasonal_period: float | None = None,
    seasonal_harmonics: int = 2,
    hac_lags: int | None = None,
    weights: Any = None,
    errors: str | None = None,
    confidence: float = 0.95,
) -> ITSResult:
    """Segmented regression for an interrupted time series.

    Model: Y_t = b0 + b1 t + b2 post_t + b3 (t - t0) post_t [+ Fourier seasonal terms] + e_t,
    where post_t = 1 from ``change_time`` (t0) on.  b2 is the immediate level change at t0,
    b3 the change in slope per time unit.  The counterfactual is the fitted pre-change line
    (with season) carried forward.

    Why GLSAR errors by default: in simulations run while building this module (300 series
    of 104 weekly points with a level and a slope change), 95% Newey-West intervals for the
    level change covered the true value only ~88% of the time with independent errors (the
    HAC variance is biased down when a regressor is as persistent as a step) and ~83% with
    AR(1) errors of 0.5, while GLSAR covered ~93% for AR(1) coefficients from 0 to 0.5 (the
    coverage tests in tests/stats check GLSAR and OLS).

    Parameters
    ----------
    values : array_like
        The series (e.g. weekly mean score).
    times : array_like or None
        Integers or dates (None = 0, 1, 2, ...).  Dates are measured in the series' own
        spacing (weeks for weekly data, calendar months for monthly data) and slopes are
        per that unit.
    change_time : int or date
        When the change took effect (after the first point, no later than the last).
    seasonal_period : float, optional
        Length of a seasonal cycle in the same unit (e.g. 52 for weekly data with a yearly
        cycle); adds ``seasonal_harmonics`` sine/cosine pairs.
    seasonal_harmonics : int, default 2
    weights : array_like, optional
        One positive weight per point (e.g. weekly response counts: a weekly mean over more
        responses is more precise): weighted least squares; with GLSAR the AR(1) model is
        fitted to the weighted (scaled) rows.
    errors : {"glsar", "hac", "ols"}, optional
        "glsar" (the default): feasible GLS with AR(1) errors (statsmodels GLSAR, iterated;
        Cochrane-Orcutt type); "hac": OLS with Newey-West errors, chosen automatically when
        ``hac_lags`` is given; "ols": plain OLS errors.
    hac_lags : int, optional
        Newey-West lag for ``errors="hac"`` (default floor(4 (T/100)^(2/9))).
    confidence : float, default 0.95

    Returns
    -------
    ITSResult
        ``level_change``, ``slope_change`` and ``average_effect`` (TestResults with ``n``
        = (points before, points from the change)), ``pre_slope``, the per-point ``table``
        (observed, fitted, counterfactual), ``residual_check`` and ``warnings`` (short
        segments, autocorrelated residuals).

    Notes
    -----
    Assumptions: the pre-change trend would have continued (no other change at t0); linear
    segments; at least 3 points each side (8+ recommended).  A residual autocorrelation
    check (Ljung-Box, lag-1 r, Durbin-Watson) is reported and a warning added when it fails.

    References
    ----------
    Wagner, Soumerai, Zhang & Ross-Degnan (2002) J. Clin. Pharm. Ther. 27, 299-309;
    Penfold & Zhang (2013) Academic Pediatrics 13, S38-S44; Bernal, Cummins & Gasparrini
    (2017) Int. J. Epidemiol. 46, 348-355; Newey & West (1987, 1994).

    Examples
    --------
    Sixteen weeks, with a new process from week 8:

    >>> from stats import impact
    >>> result = impact.interrupted_time_series([4.03, 3.99, 4.03, 4.0, 4.06, 4.05, 4.05, 4.09, 4.36, 4.4, 4.43, 4.4, 4.42, 4.4, 4.46, 4.46], None, 8)
    >>> print(result.level_change.summary())
    At the change the level moved by 0.30 (95% CI 0.27 to 0.33; segmented regression, GLSAR AR(1) errors, p < 0.001; n = 8 vs 8).
    >>> round(result.slope_change.estimate, 4)
    -0.0015
    """
    confidence = _checks.confidence(confidence)
    if errors is None:
        errors = "hac" if hac_lags is not None else "glsar"
    if errors not in ("hac", "glsar", "ols"):
        raise ValueError(f"errors must be 'glsar', 'hac' or 'ols' (got {errors!r})")
    y = _checks.sample(values, "values")
    axis = time_axis(times, y.size)
    t = axis.t
    t0 = axis.convert(change_time, "change_time")
    shown = list(times) if times is not None else [0, y.size - 1]
    first, last = shown[0], shown[-1]
    if not t[0] < t0 <= t[-1]:
        raise ValueError(
            f"change_time {change_time} is outside the series ({first} to {last}): "
            "it must fall after the first point and no later than the last"
        )
    post = (t >= t0).astype(float)
    n_pre, n_post = int((post == 0).sum()), int(post.sum())
    if min(n_pre, n_post) < MIN_SEGMENT:
        raise ValueError(
            f"too few points for a segmented regression: {n_pre} before and {n_post} from the "
            f"change; need at least {MIN_SEGMENT} on each side"
        )
    columns = [np.ones_like(t), t - t[0], post, (t - t0) * post]
    if seasonal_period is not None:
        if not seasonal_period >= 2 or seasonal_harmonics < 1 or 2 * seasonal_harmonics > seasonal_period:
            raise ValueError("seasonal_period must be >= 2 and seasonal_harmonics between 1 and period/2")
        columns += list(_seasonal_terms(t - t[0], float(seasonal_period), int(seasonal_harmonics)).T)
    X = np.column_stack(columns)
    if y.size < X.shape[1] + 2:
        raise ValueError(f"too few points ({y.size}) for {X.shape[1]} regression terms; need at least {X.shape[1] + 2}")
    _checks.not_constant(y, "values")
    fit, check, extra = _fit_series(y, X, weights, errors, hac_lags)
    method = _ITS_METHODS[errors] + (", weighted" if weights is not None else "")
    warnings: list[str] = []
    if min(n_pre, n_post) < RECOMMENDED_SEGMENT:
        warnings.append(caveat("short_segment", n_pre=n_pre, n_post=n_post))
    warnings += _autocorrelation_caveats(check, errors)
    common = dict(
        method=method, n=(n_pre, n_post), warnings=tuple(warnings), unit=axis.unit, details={**extra, "t0": t0}
    )
    level = _coef_result(fit, 2, confidence, quantity="level_change", **common)
    slope = _coef_result(fit, 3, confidence, quantity="slope_change", **common)
    contrast = np.zeros(X.shape[1])
    contrast[2], contrast[3] = 1.0, float(np.mean((t - t0)[post == 1]))
    average = _contrast_result(fit, contrast, confidence, quantity="post_effect", **common)
    params = np.asarray(fit.params)
    fitted = X @ params
    counterfactual = fitted - X[:, 2] * params[2] - X[:, 3] * params[3]
    table = pd.DataFrame(
        {
            "time": list(times) if times is not None else np.arange(y.size),
            "t": t,
            "observed": y,
            "fitted": fitted,
            "counterfactual": counterfactual,
            "post": post.astype(bool),
        }
    )
    return ITSResult(level, slope, average, float(params[1]), table, check, tuple(warnings), method, axis.unit)


# ---------------------------------------------------------------------------
# Temporary change (an event with an end: a holiday, an outage, a campaign)
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class TemporaryChangeResult:
    """Result of :func:`temporary_change`.

    Attributes
    ----------
    effect : TestResult
        b2, the shift in level while the event lasts.
    trend : float
        The underlying slope per time unit.
    table : pandas.DataFrame
        One row per point: time, t, exposure, observed, fitted and counterfactual (the
        fitted line without the event).
    residual_check : dict
        As :class:`ITSResult`.
    warnings : tuple of str
    method : str
    unit : str
    """

    effect: TestResult
    trend: float
    table: pd.DataFrame
    residual_check: dict[str, float]
    warnings: tuple[str, ...]
    method: str
    unit: str

    def summary(self, lang: str = "en") -> str:
        return self.effect.summary(lang)

    def caveats(self, lang: str = "en") -> list[str]:
        return [caveat_text(w, lang) for w in self.warnings]

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {
            "effect": self.effect.to_dict(lang),
            "trend": float(self.trend),
            "series": frame_records(self.table),
            "residual_check": dict(self.residual_check),
            "warnings": self.caveats(lang),
            "method": self.method,
            "unit": self.unit,
            "summary": self.summary(lang),
        }


_TEMPORARY_METHODS = {
    "glsar": "temporary-change regression, GLSAR AR(1) errors",
    "hac": "temporary-change regression, Newey-West errors",
    "ols": "temporary-change regression, OLS errors",
}


def _window_exposure(axis: Any, t: np.ndarray, start: Any, end: Any, exposure: Any) -> np.ndarray:
    if exposure is not None:
        if start is not None or end is not None:
            raise ValueError("give either start and end, or exposure, not both")
        x = _checks.sample(exposure, "exposure")
        _checks.same_length(x, t, "exposure", "values")
        if (x < 0).any() or (x > 1).any():
            raise ValueError("exposure must be a share between 0 and 1 for each point")
        return x
    if start is None or end is None:
        raise ValueError("give the window's start and end (or exposure)")
    t_start, t_end = axis.convert(start, "start"), axis.convert(end, "end")
    if t_end < t_start:
        raise ValueError(f"end ({end}) is before start ({start})")
    return ((t >= t_start) & (t <= t_end)).astype(float)


def temporary_change(
    values: Any,
    times: Any = None,
    *,
    start: Any = None,
    end: Any = None,
    exposure: Any = None,
    weights: Any = None,
    errors: str | None = None,
    hac_lags: int | None = None,
    confidence: float = 0.95,
) -> TemporaryChangeResult:
    """The shift in level while a temporary event lasts, against the series' own trend.

    Model: Y_t = b0 + b1 t + b2 x_t + e_t, where x_t is 1 for points inside the window
    [``start``, ``end``] and 0 outside (or, with ``exposure``, the share of period t that
    falls inside the window, e.g. 3/7 for a week with three event days: the expected period
    mean then moves by b2 x_t when each day's mean moves by b2).  b2 is the effect; the
    points before *and after* the window both inform the baseline, which a segmented
    regression with the window as its "post" period would throw away.

    Parameters
    ----------
    values : array_like
        The series.
    times : array_like, optional
        Integers or dates, as in :func:`interrupted_time_series`.
    start, end : int or date, optional
        The event's window (inclusive).
    exposure : array_like, optional
        Instead of ``start`` and ``end``: the share of each period inside the window (0-1).
    weights : array_like, optional
        One positive weight per point (e.g. weekly response counts: a weekly mean over more
        responses is more precise): weighted least squares; with GLSAR the AR(1) model is
        fitted to the weighted (scaled) rows.
    errors : {"glsar", "hac", "ols"}, optional
        "glsar" (the default): feasible GLS with AR(1) errors (statsmodels GLSAR, iterated;
        Cochrane-Orcutt type); "hac": OLS with Newey-West errors, chosen automatically when
        ``hac_lags`` is given; "ols": plain OLS errors.
    hac_lags : int, optional
        Newey-West lag for ``errors="hac"`` (default floor(4 (T/100)^(2/9))).
    confidence : float, default 0.95

    Returns
    -------
    TemporaryChangeResult
        ``effect`` (a TestResult with ``n`` = (points outside, points inside)), ``trend``,
        the per-point ``table``, ``residual_check`` and ``warnings``.

    Notes
    -----
    Assumptions: a linear baseline trend across the series; the effect is constant inside
    the window and gone after it; no other event in the series (leave the periods of other
    known events out of ``values``).  A warning is added when the baseline has fewer than 8
    points or lies on one side of the window only.

    References
    ----------
    Box, G. E. P. & Tiao, G. C. (1975) JASA 70, 70-79 (pulse interventions); Bernal,
    Cummins & Gasparrini (2017) Int. J. Epidemiol. 46, 348-355.

    Examples
    --------
    An outage in weeks 6-8:

    >>> from stats import impact
    >>> series = [4.03, 3.99, 4.03, 4.0, 4.06, 4.05, 3.65, 3.69, 3.66, 4.1, 4.13, 4.1, 4.12, 4.1, 4.16, 4.16]
    >>> result = impact.temporary_change(series, start=6, end=8)
    >>> print(result.summary())
    While the event lasted the level moved by -0.40 (95% CI -0.42 to -0.38; temporary-change regression, GLSAR AR(1) errors, p < 0.001; n = 13 vs 3).
    """
    confidence = _checks.confidence(confidence)
    if errors is None:
        errors = "hac" if hac_lags is not None else "glsar"
    if errors not in _TEMPORARY_METHODS:
        raise ValueError(f"errors must be 'glsar', 'hac' or 'ols' (got {errors!r})")
    y = _checks.sample(values, "values")
    axis = time_axis(times, y.size)
    t = axis.t
    x = _window_exposure(axis, t, start, end, exposure)
    inside = x > 0
    before = ~inside & (t < t[inside].min()) if inside.any() else ~inside
    after = ~inside & ~before
    if not inside.any():
        raise ValueError("no point falls inside the window")
    if (~inside).sum() < 2 * MIN_SEGMENT:
        raise ValueError(
            f"too few points outside the window ({int((~inside).sum())}); need at least "
            f"{2 * MIN_SEGMENT} for the baseline trend"
        )
    _checks.not_constant(y, "values")
    X = np.column_stack([np.ones_like(t), t - t[0], x])
    fit, check, extra = _fit_series(y, X, weights, errors, hac_lags)
    method = _TEMPORARY_METHODS[errors] + (", weighted" if weights is not None else "")
    warnings: list[str] = []
    if min(int(before.sum()), int(after.sum())) < RECOMMENDED_SEGMENT:
        warnings.append(caveat("short_baseline", n_before=int(before.sum()), n_after=int(after.sum())))
    warnings += _autocorrelation_caveats(check, errors)
    effect = _coef_result(
        fit,
        2,
        confidence,
        quantity="window_effect",
        method=method,
        n=(int((~inside).sum()), int(inside.sum())),
        warnings=tuple(warnings),
        unit=axis.unit,
        details=extra,
    )
    params = np.asarray(fit.params)
    fitted = X @ params
    table = pd.DataFrame(
        {
            "time": list(times) if times is not None else np.arange(y.size),
            "t": t,
            "exposure": x,
            "observed": y,
            "fitted": fitted,
            "counterfactual": fitted - x * params[2],
        }
    )
    return TemporaryChangeResult(effect, float(params[1]), table, check, tuple(warnings), method, axis.unit)


# ---------------------------------------------------------------------------
# Difference-in-differences
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class DiDResult:
    """Result of :func:`difference_in_differences`.

    Attributes
    ----------
    effect : TestResult
        The DiD estimate (coefficient of treated x post); ``n`` = (treated, comparison).
    cell_means : pandas.DataFrame
        treated, post, mean and n of each group x period cell.
    pre_trend : TestResult or None
        Difference in linear pre-period trends (treated minus comparison) with its test,
        when ``time`` is given and there are 2+ pre periods; its ``details["joint_p"]`` is
        the joint test that all pre-period event-study coefficients are zero.
    event_study : pandas.DataFrame or None
        Per-period treated-minus-comparison differences relative to the last pre-change
        period: period, relative, post, estimate, ci_low, ci_high, p_value.
    n_clusters : int or None
    warnings : tuple of str
    """

    effect: TestResult
    cell_means: pd.DataFrame
    pre_trend: TestResult | None
    event_study: pd.DataFrame | None
    n_clusters: int | None
    warnings: tuple[str, ...]

    def summary(self, lang: str = "en") -> str:
        return self.effect.summary(lang)

    def caveats(self, lang: str = "en") -> list[str]:
        return [caveat_text(w, lang) for w in self.warnings]

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {
            "effect": self.effect.to_dict(lang),
            "cell_means": frame_records(self.cell_means),
            "pre_trend": None if self.pre_trend is None else self.pre_trend.to_dict(lang),
            "event_study": frame_records(self.event_study),
            "n_clusters": self.n_clusters,
            "warnings": self.caveats(lang),
            "summary": self.summary(lang),
        }


def _binary(series: pd.Series, name: str) -> np.ndarray:
    values = pd.unique(series)
    if not set(values.tolist()) <= {0, 1}:  # True and False compare equal to 1 and 0
        raise ValueError(f"column {name!r} must be 0/1 or True/False (found {sorted(map(str, values))[:5]})")
    return series.astype(float).to_numpy()


def _prepare(
    df: pd.DataFrame,
    outcome: str,
    treated: str,
    post: str,
    cluster: str | None,
    covariates: Sequence[str],
    time: str | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    if not isinstance(df, pd.DataFrame):
        raise ValueError("df must be a pandas DataFrame")
    needed = [outcome, treated, post, *covariates] + [c for c in (cluster, time) if c is not None]
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise ValueError(f"columns not found in df: {missing}")
    if df.empty:
        raise ValueError("df is empty")
    for col in needed:
        k = int(df[col].isna().sum())
        if k:
            raise ValueError(f"column {col!r} has {k} missing values; drop or fill them first")
    y = _checks.sample(df[outcome].to_numpy(), f"column {outcome!r}")
    d = _binary(df[treated], treated)
    p = _binary(df[post], post)
    for dv, pv, label in (
        (1, 0, "treated, before"),
        (1, 1, "treated, after"),
        (0, 0, "comparison, before"),
        (0, 1, "comparison, after"),
    ):
        if not np.any((d == dv) & (p == pv)):
            raise ValueError(f"no rows in the {label} cell: difference-in-differences needs all four cells")
    cov = _covariate_matrix(df, covariates)
    return y, d, p, cov


def _covariate_matrix(df: pd.DataFrame, covariates: Sequence[str]) -> np.ndarray:
    if not covariates:
        return np.empty((len(df), 0))
    frame = pd.get_dummies(df[list(covariates)], drop_first=True, dtype=float)
    return frame.to_numpy(dtype=float)


def _fit(y: np.ndarray, X: np.ndarray, groups: np.ndarray | None) -> Any:
    if np.linalg.matrix_rank(X) < X.shape[1]:
        raise ValueError(
            "the regression design is collinear: a covariate duplicates treated, post, "
            "their interaction or another covariate"
        )
    model = sm.OLS(y, X)
    if groups is not None:
        return model.fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    return model.fit(cov_type="HC1", use_t=True)


def difference_in_differences(
    df: pd.DataFrame,
    outcome: str,
    treated: str,
    post: str,
    *,
    cluster: str | None = None,
    covariates: Sequence[str] = (),
    time: str | None = None,
    confidence: float = 0.95,
) -> DiDResult:
    """Difference-in-differences by OLS: y = b0 + b1 treated + b2 post + b3 treated*post [+ covariates].

    The effect is b3 (with no covariates it equals the 2x2 difference of cell means).

    With ``time`` (a period column; ``post`` must be constant within a period):

    - event study: y ~ treated + period dummies + treated x period dummies, relative to
      the last pre-change period;
    - pre-trend check: on pre-period rows, the difference in linear trends (treated x
      period index) and the joint test of the pre-period event-study coefficients.  A
      warning is added when p < 0.10; a pass does not prove parallel trends (low power).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per response.
    outcome : str
        Column of the outcome.
    treated, post : str
        0/1 (or bool) columns: in the group the change reached; after the change.
    cluster : str, optional
        Column to cluster errors by (t with G - 1 df); else HC1 errors.  A warning is added
        with fewer than 30 clusters (meaningless with 2) and when only one cluster is
        treated or untreated.
    covariates : sequence of str
        Extra columns; non-numeric ones are dummy-coded.
    time : str, optional
        Period column for the event study and pre-trend check.
    confidence : float, default 0.95

    Returns
    -------
    DiDResult
        ``effect`` (TestResult: ``estimate`` b3, interval, p, ``n`` = (treated, comparison),
        ``details`` n_clusters and r_squared), ``cell_means``, ``pre_trend``,
        ``event_study``, ``n_clusters`` and ``warnings``.

    Notes
    -----
    Assumptions: parallel trends (without the change, both groups would have moved alike);
    no spill-over to the comparison group; stable group composition.

    References
    ----------
    Card, D. & Krueger, A. B. (1994) AER 84, 772-793; Angrist & Pischke (2009) Mostly
    Harmless Econometrics, ch. 5; Cameron, A. C. & Miller, D. L. (2015) J. Human Resources
    50, 317-372; Roth, J. (2022) AER: Insights 4, 305-322 (pre-tests).

    Examples
    --------
    >>> import pandas as pd
    >>> from stats import impact
    >>> rows = pd.DataFrame({
    ...     "score": [3.8, 4.0, 3.9, 4.1, 4.5, 4.6, 4.4, 4.7, 3.9, 4.0, 4.1, 3.8, 4.0, 4.1, 4.2, 3.9],
    ...     "treated": [1] * 8 + [0] * 8,
    ...     "post": [0, 0, 0, 0, 1, 1, 1, 1] * 2,
    ... })
    >>> result = impact.difference_in_differences(rows, "score", "treated", "post")
    >>> print(result.summary())
    The difference-in-differences effect is 0.50 (95% CI 0.22 to 0.78; difference-in-differences OLS, HC1 robust errors, p = 0.002; n = 8 vs 8).
    >>> result.cell_means.round(2)
       treated  post  mean  n
    0        0     0  3.95  4
    1        0     1  4.05  4
    2        1     0  3.95  4
    3        1     1  4.55  4
    """
    confidence = _checks.confidence(confidence)
    covariates = list(covariates)
    y, d, p, cov = _prepare(df, outcome, treated, post, cluster, covariates, time)
    groups = None
    warnings: list[str] = []
    n_clusters = None
    if cluster is not None:
        groups = pd.factorize(df[cluster])[0]
        n_clusters = int(groups.max() + 1)
        if n_clusters < 2:
            raise ValueError("cluster-robust errors need at least 2 clusters")
        if n_clusters < FEW_CLUSTERS:
            warnings.append(caveat("few_clusters", g=n_clusters))
        g_treated = pd.Series(groups[d == 1]).nunique()
        g_control = pd.Series(groups[d == 0]).nunique()
        if min(g_treated, g_control) < 2:
            warnings.append(caveat("few_treated_clusters", g_t=g_treated, g_c=g_control))

    def fit_rows(X: np.ndarray, rows: np.ndarray | None = None) -> Any:
        if rows is None:
            return _fit(y, X, groups)
        return _fit(y[rows], X, None if groups is None else groups[rows])

    kind = "cluster-robust" if groups is not None else "HC1 robust"
    cells = (
        pd.DataFrame({"treated": d.astype(int), "post": p.astype(int), "y": y})
        .groupby(["treated", "post"])["y"]
        .agg(["mean", "count"])
        .reset_index()
        .rename(columns={"count": "n"})
    )
    periods = df[time].to_numpy() if time is not None else None
    return _did_result(fit_rows, d, p, cov, np.ones_like(y), periods, cells, kind, n_clusters, warnings, confidence)


def difference_in_differences_from_cells(
    cells: pd.DataFrame,
    *,
    treated: str = "treated",
    post: str = "post",
    period: str | None = "period",
    n: str = "n",
    mean: str = "mean",
    var: str = "var",
    confidence: float = 0.95,
) -> DiDResult:
    """:func:`difference_in_differences` from per-cell summaries instead of rows.

    The result (effect, HC1 interval, event study, pre-trend check) equals the row-level
    ``difference_in_differences(rows, ..., time=period)`` on the expanded responses: the
    design is constant within a cell, so OLS and its HC1 "meat" need only each cell's n,
    mean and sum of squared residuals, (n - 1) var + n (mean - fitted)^2.  Dashboards keep
    responses as per-level counts; this is how they run a DiD without loading rows.

    Parameters
    ----------
    cells : pandas.DataFrame
        One row per group x period (or per group x before/after when ``period`` is None).
    treated, post : str, default "treated", "post"
        0/1 columns.
    period : str or None, default "period"
        Period column (None: no event study or pre-trend check).
    n, mean, var : str, default "n", "mean", "var"
        Columns of the number of responses, their mean and their sample variance (ddof = 1;
        0 or NaN for a single response).
    confidence : float, default 0.95

    Returns
    -------
    DiDResult
        As :func:`difference_in_differences` (HC1 errors; ``n_clusters`` None).

    Notes
    -----
    Assumptions: as :func:`difference_in_differences`, and responses independent within and
    across cells (HC1 errors).  Covariates and cluster-robust errors need rows and are not
    available here.

    Examples
    --------
    The rows of :func:`difference_in_differences`' example, as cells, give the same effect:

    >>> import pandas as pd
    >>> from stats import impact
    >>> rows = pd.DataFrame({
    ...     "score": [3.8, 4.0, 3.9, 4.1, 4.5, 4.6, 4.4, 4.7, 3.9, 4.0, 4.1, 3.8, 4.0, 4.1, 4.2, 3.9],
    ...     "treated": [1] * 8 + [0] * 8,
    ...     "post": [0, 0, 0, 0, 1, 1, 1, 1] * 2,
    ... })
    >>> cells = rows.groupby(["treated", "post"])["score"].agg(n="count", mean="mean", var="var").reset_index()
    >>> result = impact.difference_in_differences_from_cells(cells, period=None)
    >>> round(result.effect.estimate, 2), round(result.effect.ci_low, 2), round(result.effect.ci_high, 2)
    (0.5, 0.22, 0.78)
    """
    confidence = _checks.confidence(confidence)
    if not isinstance(cells, pd.DataFrame) or cells.empty:
        raise ValueError("cells must be a non-empty DataFrame")
    needed = [treated, post, n, mean, var] + ([period] if period is not None else [])
    missing = [c for c in needed if c not in cells.columns]
    if missing:
        raise ValueError(f"columns not found in cells: {missing}")
    size = _checks.sample(cells[n].to_numpy(), f"column {n!r}")
    if (size < 1).any() or (size != np.round(size)).any():
        raise ValueError(f"column {n!r} must hold whole numbers of responses, at least 1 per cell")
    means = _checks.sample(cells[mean].to_numpy(), f"column {mean!r}")
    variances = np.nan_to_num(cells[var].to_numpy(dtype=float), nan=0.0)
    if (variances < 0).any():
        raise ValueError(f"column {var!r} has negative variances")
    d = _binary(cells[treated], treated)
    p = _binary(cells[post], post)
    for dv, pv, label in (
        (1, 0, "treated, before"),
        (1, 1, "treated, after"),
        (0, 0, "comparison, before"),
        (0, 1, "comparison, after"),
    ):
        if not np.any((d == dv) & (p == pv)):
            raise ValueError(f"no cells in the {label} group: difference-in-differences needs all four")
    within_ss = (size - 1) * variances

    def fit_cells(X: np.ndarray, rows: np.ndarray | None = None) -> _CellFit:
        keep = slice(None) if rows is None else rows
        return _CellFit(X, size[keep], means[keep], within_ss[keep])

    summary = (
        pd.DataFrame({"treated": d.astype(int), "post": p.astype(int), "n": size, "sum": size * means})
        .groupby(["treated", "post"])[["n", "sum"]]
        .sum()
        .reset_index()
    )
    summary["mean"] = summary.pop("sum") / summary["n"]
    summary = summary[["treated", "post", "mean", "n"]].astype({"n": int})
    periods = cells[period].to_numpy() if period is not None else None
    return _did_result(
        fit_cells, d, p, np.empty((len(cells), 0)), size, periods, summary, "HC1 robust", None, [], confidence
    )


class _CellFit:
    """OLS of responses on a design that is constant within cells, from each cell's n, mean
    and within-cell sum of squares, with the HC1 covariance statsmodels gives on the
    expanded rows.  Exposes the parts of a statsmodels result this module uses."""

    def __init__(self, X: np.ndarray, size: np.ndarray, means: np.ndarray, within_ss: np.ndarray):
        k = X.shape[1]
        xtx = (X * size[:, None]).T @ X
        if np.linalg.matrix_rank(xtx) < k:
            raise ValueError("the regression design is collinear: a period or group has no responses")
        inverse = np.linalg.inv(xtx)
        self.params = inverse @ (X.T @ (size * means))
        fitted = X @ self.params
        rss = within_ss + size * (means - fitted) ** 2
        total = size.sum()
        self.df_resid = total - k
        if self.df_resid <= 0:
            raise ValueError(f"too few responses ({int(total)}) for {k} regression terms")
        meat = (X * rss[:, None]).T @ X
        self.cov = inverse @ meat @ inverse * total / self.df_resid
        grand = (size * means).sum() / total
        tss = (within_ss + size * (means - grand) ** 2).sum()
        self.rsquared = 1 - rss.sum() / tss if tss > 0 else 0.0

    @property
    def bse(self) -> np.ndarray:
        return np.sqrt(np.diag(self.cov))

    @property
    def tvalues(self) -> np.ndarray:
        return self.params / self.bse

    @property
    def pvalues(self) -> np.ndarray:
        return 2 * sps.t.sf(np.abs(self.tvalues), self.df_resid)

    def conf_int(self, alpha: float) -> np.ndarray:
        half = sps.t.ppf(1 - alpha / 2, self.df_resid) * self.bse
        return np.column_stack([self.params - half, self.params + half])

    def f_test(self, restriction: np.ndarray) -> Any:
        r = restriction @ self.params
        q = restriction.shape[0]
        statistic = float(r @ np.linalg.solve(restriction @ self.cov @ restriction.T, r) / q)
        return SimpleNamespace(fvalue=statistic, pvalue=float(sps.f.sf(statistic, q, self.df_resid)))


def _did_result(
    fit_rows: Any,
    d: np.ndarray,
    p: np.ndarray,
    cov: np.ndarray,
    size: np.ndarray,
    periods: np.ndarray | None,
    cells: pd.DataFrame,
    kind: str,
    n_clusters: int | None,
    warnings: list[str],
    confidence: float,
) -> DiDResult:
    """The DiD fit, event study and pre-trend check, for rows (size 1 each) or for cells
    (``size`` responses each) alike: ``fit_rows(X, rows)`` fits y on X for those rows/cells."""
    X = np.column_stack([np.ones_like(d), d, p, d * p, cov])
    fit = fit_rows(X)
    pre_trend = event_study = None
    if periods is not None:
        pre_trend, event_study, more = _event_study(periods, d, p, cov, size, fit_rows, kind, confidence)
        warnings = warnings + more
    n_groups = (int(size[d == 1].sum()), int(size[d == 0].sum()))
    effect = _coef_result(
        fit,
        3,
        confidence,
        method=f"difference-in-differences OLS, {kind} errors",
        n=n_groups,
        quantity="did",
        labels=("treated", "comparison"),
        warnings=tuple(warnings),
        details={"n_clusters": n_clusters, "r_squared": fit.rsquared},
    )
    return DiDResult(effect, cells, pre_trend, event_study, n_clusters, tuple(warnings))


def _event_study(
    periods: np.ndarray,
    d: np.ndarray,
    p: np.ndarray,
    cov: np.ndarray,
    size: np.ndarray,
    fit_rows: Any,
    kind: str,
    confidence: float,
) -> tuple[TestResult | None, pd.DataFrame, list[str]]:
    order = np.sort(pd.unique(periods))
    post_by_period = pd.Series(p).groupby(periods).nunique()
    if (post_by_period > 1).any():
        bad = post_by_period[post_by_period > 1].index[0]
        raise ValueError(f"column post varies within period {bad!r}; it must be a function of the period")
    is_post = {k: bool(p[periods == k][0]) for k in order}
    pre_periods = [k for k in order if not is_post[k]]
    if not pre_periods or all(not is_post[k] for k in order):
        raise ValueError("the time column must include periods both before and after the change")
    for k in order:
        present = set(d[periods == k].tolist())
        if present != {0.0, 1.0}:
            raise ValueError(f"period {k!r} lacks treated or comparison rows; the event study needs both")
    ref = pre_periods[-1]
    others = [k for k in order if k != ref]
    dummies = np.column_stack([(periods == k).astype(float) for k in others])
    inter = dummies * d[:, None]
    X = np.column_stack([np.ones_like(d), d, dummies, inter, cov])
    fit = fit_rows(X)
    start = 2 + len(others)
    ci = np.asarray(fit.conf_int(alpha=1 - confidence))
    params, pvalues = np.asarray(fit.params), np.asarray(fit.pvalues)
    rows = []
    ref_pos = list(order).index(ref)
    for i, k in enumerate(others):
        j = start + i
        rows.append(
            {
                "period": k,
                "relative": list(order).index(k) - ref_pos,
                "post": is_post[k],
                "estimate": params[j],
                "ci_low": ci[j, 0],
                "ci_high": ci[j, 1],
                "p_value": pvalues[j],
            }
        )
    rows.append(
        {"period": ref, "relative": 0, "post": False, "estimate": 0.0, "ci_low": 0.0, "ci_high": 0.0, "p_value": 1.0}
    )
    table = pd.DataFrame(rows).sort_values("relative").reset_index(drop=True)
    warnings: list[str] = []
    if len(pre_periods) < 2:
        warnings.append(caveat("pretrend_untestable"))
        return None, table, warnings
    # joint test that every pre-period (lead) coefficient is zero
    leads = [start + i for i, k in enumerate(others) if not is_post[k]]
    restriction = np.zeros((len(leads), X.shape[1]))
    restriction[np.arange(len(leads)), leads] = 1.0
    joint_p = float(np.squeeze(fit.f_test(restriction).pvalue))
    pre_trend = _linear_pretrend(d, periods, order, pre_periods, cov, size, fit_rows, kind, confidence)
    pre_trend = dataclasses.replace(pre_trend, details=dict(pre_trend.details, joint_p=joint_p))
    pretrend_p = pre_trend.p_value
    assert pretrend_p is not None  # a regression coefficient always has one
    if min(pretrend_p, joint_p) < PRETREND_ALPHA:
        p_min = round(min(pretrend_p, joint_p), 3)
        warnings.append(caveat("pretrend", slope=float(pre_trend.estimate), p=p_min))
    else:
        warnings.append(caveat("pretrend_low_power"))
    return pre_trend, table, warnings


def _linear_pretrend(
    d: np.ndarray,
    periods: np.ndarray,
    order: np.ndarray,
    pre_periods: list,
    cov: np.ndarray,
    size: np.ndarray,
    fit_rows: Any,
    kind: str,
    confidence: float,
) -> TestResult:
    """Difference in linear trends (per period) between treated and comparison before the change."""
    rows = np.isin(periods, pre_periods)
    index = {k: i for i, k in enumerate(order)}
    pos = np.array([index[k] for k in periods[rows]], dtype=float)
    dummies = [(periods[rows] == k).astype(float) for k in pre_periods[1:]]
    X = np.column_stack([np.ones(rows.sum()), d[rows], d[rows] * pos, *dummies, cov[rows]])
    fit = fit_rows(X, rows)
    pre_size, pre_d = size[rows], d[rows]
    return _coef_result(
        fit,
        2,
        confidence,
        method=f"pre-period trend difference, {kind} errors",
        n=(int(pre_size[pre_d == 1].sum()), int(pre_size[pre_d == 0].sum())),
        quantity="pretrend_slope",
        labels=("treated", "comparison"),
    )


# ---------------------------------------------------------------------------
# Before / after
# ---------------------------------------------------------------------------
def before_after(
    before: Any,
    after: Any,
    metric: str = "mean",
    *,
    top_levels: Collection[float] | None = None,
    confidence: float = 0.95,
) -> TestResult:
    """Compare independent samples after vs before a change; estimate = after - before.

    The result always carries the warning that a before/after difference is not by itself
    the effect of the change: anything else that changed between the periods is mixed in.

    Parameters
    ----------
    before, after : array_like
        Ratings (or 0-10 scores for NPS) of the two periods.
    metric : {"mean", "top_box", "nps"}, default "mean"
        "mean" (Welch t-test, :func:`stats.compare.means`), "top_box" (share of responses in
        ``top_levels``, two-proportion z-test) or "nps" (:func:`stats.compare.nps`).
    top_levels : collection of float, optional
        The top box; default the highest level observed, with a warning.
    confidence : float, default 0.95

    Returns
    -------
    TestResult
        The two-sample result of the chosen test with labels ("after", "before") and the
        before/after caveat added to ``warnings``.

    Notes
    -----
    Assumptions: the two samples are different respondents (not paired).

    Examples
    --------
    >>> from stats import impact
    >>> result = impact.before_after([3, 4, 3, 2, 4, 3], [5, 4, 5, 4, 5, 3])
    >>> print(result.summary())
    The mean is 1.17 higher after the change than before (95% CI 0.16 to 2.18; Welch t-test, p = 0.028; n = 6 vs 6).
    >>> [warning.code for warning in result.warnings]
    ['small_sample_t', 'before_after']
    """
    labels = ("after", "before")
    warnings: list[str] = []
    if metric == "mean":
        result = compare.means(after, before, confidence=confidence, labels=labels)
    elif metric == "nps":
        result = compare.nps(after, before, confidence=confidence, labels=labels)
    elif metric == "top_box":
        a = _checks.sample(after, "after")
        b = _checks.sample(before, "before")
        if top_levels is None:
            top = max(a.max(), b.max())
            top_levels = [top]
            warnings.append(caveat("top_box_default", level=f"{top:g}"))
        top = np.asarray(list(top_levels), dtype=float)
        result = compare.proportions(
            int(np.isin(a, top).sum()), a.size, int(np.isin(b, top).sum()), b.size, confidence=confidence, labels=labels
        )
    else:
        raise ValueError(f"metric must be 'mean', 'top_box' or 'nps' (got {metric!r})")
    return _with_before_after_caveat(result, warnings)


def _with_before_after_caveat(result: TestResult, warnings: list[str]) -> TestResult:
    return dataclasses.replace(result, warnings=result.warnings + tuple(warnings) + (caveat("before_after"),))


def before_after_from_counts(
    before: Any,
    after: Any,
    levels: Any,
    metric: str = "mean",
    *,
    top_levels: Collection[float] | None = None,
    confidence: float = 0.95,
) -> TestResult:
    """:func:`before_after` from per-level histograms.

    Same result as the raw path, with the same warning that a before/after difference is
    not by itself the effect of the change.

    Parameters
    ----------
    before, after : array_like
        Responses at each level, ``before[i]`` and ``after[i]`` at ``levels[i]``.
    levels : array_like
        The scale's levels (0..10 for ``metric="nps"``).
    metric : {"mean", "top_box", "nps"}, default "mean"
    top_levels : collection of float, optional
    confidence : float, default 0.95

    Returns
    -------
    TestResult
        As :func:`before_after`.

    Examples
    --------
    >>> from stats import impact
    >>> result = impact.before_after_from_counts([0, 1, 3, 2, 0], [0, 0, 1, 2, 3], [1, 2, 3, 4, 5])
    >>> round(result.estimate, 2), round(result.p_value, 3)
    (1.17, 0.028)
    """
    labels = ("after", "before")
    warnings: list[str] = []
    if metric == "mean":
        result = compare.means_from_counts(after, before, levels, confidence=confidence, labels=labels)
    elif metric == "nps":
        if not np.array_equal(_checks.levels(levels), compare.NPS_LEVELS):
            raise ValueError("metric='nps' needs levels 0..10")
        result = compare.nps_from_counts(after, before, confidence=confidence, labels=labels)
    elif metric == "top_box":
        lv = _checks.levels(levels)
        if top_levels is None:
            seen = (
                _checks.counts(after, "after", length=lv.size) + _checks.counts(before, "before", length=lv.size)
            ) > 0
            top_levels = [lv[seen].max()]
            warnings.append(caveat("top_box_default", level=f"{top_levels[0]:g}"))
        result = compare.proportions_from_counts(after, before, lv, top_levels, confidence=confidence, labels=labels)
    else:
        raise ValueError(f"metric must be 'mean', 'top_box' or 'nps' (got {metric!r})")
    return _with_before_after_caveat(result, warnings)
