"""Reliability of multi-item scales."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from . import _checks
from .result import TestResult, caveat

__all__ = ["cronbach_alpha"]


def cronbach_alpha(items: Any, *, confidence: float = 0.95) -> TestResult:
    """Cronbach's alpha of a scale with Feldt's confidence interval.

    alpha = k / (k - 1) * (1 - sum of item variances / variance of the total).
    Feldt interval: 1 - (1 - alpha) F_{1-g/2} and 1 - (1 - alpha) F_{g/2}, with
    F quantiles on (n - 1, (n - 1)(k - 1)) degrees of freedom and g = 1 - confidence.

    Parameters
    ----------
    items : array_like or pandas.DataFrame
        One row per respondent, one column per item (at least 2 items and 3
        respondents, no missing values, no constant item).
    confidence : float, default 0.95
        Confidence level of the interval.

    Returns
    -------
    TestResult
        ``estimate`` alpha; ``ci_low``, ``ci_high`` Feldt's interval; ``n`` respondents;
        ``p_value`` and ``statistic`` None; ``details`` items (k), df1, df2; ``warnings``
        when alpha is negative or there are fewer than 30 respondents.

    Notes
    -----
    Assumptions: the items measure one thing (alpha is not a test of unidimensionality);
    essentially tau-equivalent items, otherwise alpha underestimates reliability;
    independent respondents; the Feldt interval further assumes normally distributed items.
    Written by hand (a few lines; pingouin is used only as a cross-check in tests).

    References
    ----------
    Cronbach, L. J. (1951) Psychometrika 16, 297-334; Feldt, L. S. (1965) Psychometrika
    30, 357-370; Feldt, Woodruff & Salih (1987) Applied Psychological Measurement 11, 93-103.

    Examples
    --------
    >>> import pandas as pd
    >>> from stats import reliability
    >>> items = pd.DataFrame({"speed": [4, 5, 3, 4, 2, 5, 4, 3],
    ...                       "courtesy": [4, 5, 3, 5, 2, 4, 4, 3],
    ...                       "clarity": [3, 5, 2, 4, 3, 5, 4, 2]})
    >>> alpha = reliability.cronbach_alpha(items)
    >>> round(alpha.estimate, 3), round(alpha.ci_low, 2), round(alpha.ci_high, 2)
    (0.914, 0.71, 0.98)
    >>> print(alpha.summary())
    Cronbach's alpha is 0.91 (95% CI 0.71 to 0.98; Cronbach's alpha with Feldt interval; n = 8).
    """
    confidence = _checks.confidence(confidence)
    frame = items if isinstance(items, pd.DataFrame) else pd.DataFrame(np.asarray(items, dtype=float))
    try:
        X = frame.to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise ValueError("items must be numeric") from None
    if X.ndim != 2:
        raise ValueError("items must be a table: one row per respondent, one column per item")
    n, k = X.shape
    if k < 2:
        raise ValueError(f"alpha needs at least 2 items (got {k})")
    if n < 3:
        raise ValueError(f"alpha needs at least 3 respondents (got {n})")
    if np.isnan(X).any():
        bad = [str(c) for c, col in zip(frame.columns, X.T) if np.isnan(col).any()]
        raise ValueError(f"items contain missing values (in {bad}); drop incomplete rows first")
    item_var = X.var(axis=0, ddof=1)
    flat = [str(c) for c, v in zip(frame.columns, item_var) if v == 0]
    if flat:
        raise ValueError(f"items {flat} are constant: every respondent gave the same answer")
    total_var = X.sum(axis=1).var(ddof=1)
    alpha = k / (k - 1) * (1 - item_var.sum() / total_var)
    df1, df2 = n - 1, (n - 1) * (k - 1)
    g = 1 - confidence
    low = 1 - (1 - alpha) * sps.f.ppf(1 - g / 2, df1, df2)
    high = 1 - (1 - alpha) * sps.f.ppf(g / 2, df1, df2)
    warnings = []
    if alpha < 0:
        warnings.append(caveat("negative_alpha"))
    if n < 30:
        warnings.append(caveat("small_sample", n=n))
    return TestResult(
        estimate=alpha,
        ci_low=low,
        ci_high=high,
        p_value=None,
        statistic=None,
        method="Cronbach's alpha with Feldt interval",
        n=n,
        confidence=confidence,
        warnings=tuple(warnings),
        quantity="alpha",
        details={"items": k, "df1": df1, "df2": df2},
    )
