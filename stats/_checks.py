"""Input checks shared by every module.

Each check raises ``ValueError`` with a message that names the argument and
what is wrong with it, so that bad input never turns into a silent NaN.
"""

from __future__ import annotations

from collections.abc import Sized
from typing import Any

import numpy as np
from scipy import stats as sps


def sample(values: Any, name: str = "values", *, min_n: int = 1) -> np.ndarray:
    """Return ``values`` as a 1-D float array, rejecting empty, NaN and non-numbers."""
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must contain only numbers ({exc})") from None
    if arr.ndim == 0:
        raise ValueError(f"{name} must be a list or array of numbers, not a single number")
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional (got shape {arr.shape})")
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    bad = ~np.isfinite(arr)
    if bad.any():
        where = np.flatnonzero(bad)[:5].tolist()
        raise ValueError(f"{name} contains NaN or infinite values (at positions {where})")
    if arr.size < min_n:
        raise ValueError(f"{name} needs at least {min_n} values (got {arr.size})")
    return arr


def not_constant(arr: np.ndarray, name: str = "values") -> None:
    """Reject a sample whose values are all equal (no variation to analyse)."""
    if arr.size and np.all(arr == arr[0]):
        raise ValueError(f"{name} is constant: all {arr.size} values equal {arr[0]:g}")


def counts(values: Any, name: str, *, length: int | None = None) -> np.ndarray:
    """Return a histogram of non-negative counts as a float array with total > 0."""
    arr = sample(values, name)
    if length is not None and arr.size != length:
        raise ValueError(f"{name} must have {length} entries, one per level (got {arr.size})")
    if (arr < 0).any():
        raise ValueError(f"{name} contains negative counts")
    if arr.sum() <= 0:
        raise ValueError(f"{name} is empty: all counts are zero")
    return arr


def levels(values: Any, name: str = "levels") -> np.ndarray:
    """Return distinct, strictly increasing level values."""
    arr = sample(values, name)
    if np.any(np.diff(arr) <= 0):
        raise ValueError(f"{name} must be strictly increasing and distinct (got {arr.tolist()})")
    return arr


def confidence(level: float) -> float:
    """Reject a confidence level outside (0, 1)."""
    if not (isinstance(level, (int, float)) and 0.0 < float(level) < 1.0):
        raise ValueError(f"confidence must be a number between 0 and 1, e.g. 0.95 (got {level!r})")
    return float(level)


def z_crit(level: float) -> float:
    """Two-sided standard normal critical value for a confidence level."""
    return float(sps.norm.ppf(0.5 + confidence(level) / 2.0))


def count_pair(x: Any, n: Any, name: str) -> tuple[int, int]:
    """Validate a (successes, trials) pair."""
    for value, label in ((x, f"{name} successes"), (n, f"{name} total")):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer, float, np.floating)):
            raise ValueError(f"{label} must be a whole number (got {value!r})")
        if not np.isfinite(value) or float(value) != int(value):
            raise ValueError(f"{label} must be a whole number (got {value!r})")
    xi, ni = int(x), int(n)
    if ni <= 0:
        raise ValueError(f"{name} total must be positive (got {ni})")
    if not 0 <= xi <= ni:
        raise ValueError(f"{name} successes must be between 0 and the total {ni} (got {xi})")
    return xi, ni


def same_length(a: Sized, b: Sized, name_a: str, name_b: str) -> None:
    if len(a) != len(b):
        raise ValueError(f"{name_a} and {name_b} must have the same length ({len(a)} vs {len(b)})")
