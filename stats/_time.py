"""Turn time stamps (integers or dates) into a numeric time axis.

Dates are measured in the series' own spacing: weekly data in weeks,
monthly data in calendar months, and so on, so that slopes read "per week"
or "per month".  Integers are used as they are ("per period").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from . import _checks


@dataclass(frozen=True)
class TimeAxis:
    t: np.ndarray  # numeric time of each observation, in `unit`s
    unit: str  # "period", "day", "week", "month", "quarter", "year" or "N days"
    is_datetime: bool
    origin: Any  # first time stamp (for converting other dates)
    step_days: float | None  # spacing in days for generic date spacing

    def convert(self, when: Any, name: str) -> float:
        """Convert one time stamp (e.g. the change date) to the same numeric axis."""
        if self.is_datetime:
            try:
                stamp = pd.Timestamp(when)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{name} must be a date like the series' times ({exc})") from None
            if pd.isna(stamp):
                raise ValueError(f"{name} is missing")
            return float(_dates_to_axis(pd.DatetimeIndex([stamp]), self.origin, self.unit, self.step_days)[0])
        if isinstance(when, (pd.Timestamp, np.datetime64)) or hasattr(when, "year"):
            raise ValueError(f"{name} is a date but the series' times are numbers")
        value = _checks.sample([when], name)[0]
        return float(value)


_CALENDAR_UNITS = (
    # (unit, smallest and largest typical gap in days)
    ("day", 1, 1),
    ("week", 7, 7),
    ("month", 28, 31),
    ("quarter", 89, 92),
    ("year", 365, 366),
)


def _dates_to_axis(idx: pd.DatetimeIndex, origin: pd.Timestamp, unit: str, step_days: float | None) -> np.ndarray:
    if unit in ("month", "quarter"):
        months = _month_number(idx) - _month_number(pd.DatetimeIndex([origin]))[0]
        return months if unit == "month" else months / 3.0
    if unit == "year":
        return np.asarray((idx - origin) / pd.Timedelta(days=365.25), dtype=float)
    days = np.asarray((idx - origin) / pd.Timedelta(days=1), dtype=float)
    return days / (step_days if step_days else 1.0)


def _month_number(idx: pd.DatetimeIndex) -> np.ndarray:
    """Calendar months since year 0, with the day as a fraction of its month
    (so month-end and month-start stamps are both one unit apart)."""
    return np.asarray(idx.year * 12 + idx.month + (idx.day - 1) / idx.days_in_month, dtype=float)


def time_axis(times: Any, n: int, name: str = "times") -> TimeAxis:
    """Build the numeric axis for ``n`` observations; ``times=None`` means 0, 1, 2, ..."""
    if times is None:
        return TimeAxis(np.arange(n, dtype=float), "period", False, 0, None)
    values = list(times) if not isinstance(times, (np.ndarray, pd.Index, pd.Series)) else times
    if len(values) != n:
        raise ValueError(f"{name} must have one entry per value ({len(values)} vs {n})")
    series = pd.Series(values)
    if series.isna().any():
        raise ValueError(f"{name} contains missing values")
    if pd.api.types.is_datetime64_any_dtype(series) or _looks_like_dates(series):
        idx = pd.DatetimeIndex(pd.to_datetime(series))
        if idx.tz is not None:
            idx = idx.tz_convert(None)
        _check_increasing(np.asarray(idx.asi8, dtype=float), name)
        gaps = np.asarray((idx[1:] - idx[:-1]) / pd.Timedelta(days=1), dtype=float)
        typical = float(np.median(gaps)) if gaps.size else 1.0
        step: float | None  # days per step; None for months, quarters, years
        unit, step = "period", typical
        for label, low, high in _CALENDAR_UNITS:
            if low - 0.5 <= typical <= high + 0.5:
                unit, step = label, (typical if label in ("day", "week") else None)
                break
        if unit == "period":
            unit = f"{typical:g} days"
        origin = idx[0]
        return TimeAxis(_dates_to_axis(idx, origin, unit, step), unit, True, origin, step)
    t = _checks.sample(series.to_numpy(), name)
    _check_increasing(t, name)
    return TimeAxis(t, "period", False, 0, None)


def _looks_like_dates(series: pd.Series) -> bool:
    first = series.iloc[0]
    return isinstance(first, (pd.Timestamp, np.datetime64)) or (hasattr(first, "year") and hasattr(first, "month"))


def _check_increasing(t: np.ndarray, name: str) -> None:
    steps = np.diff(t)
    if (steps == 0).any():
        raise ValueError(f"{name} contains duplicate time stamps")
    if (steps < 0).any():
        raise ValueError(f"{name} must be in increasing order")
