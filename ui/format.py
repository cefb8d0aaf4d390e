"""Numbers, metric values and p-values as the staff pages show them: one rule for each, and "—"
where there is no value.

Plain numbers and p-values follow the stats package's own formatting (``stats.fmt_num``,
``stats.fmt_p``), so a table cell and a result's summary sentence read alike.
"""

from __future__ import annotations

import pandas as pd

from stats import fmt_num, fmt_p
from survey.core.dates import date_text, local_date_text, local_datetime_text
from survey.insight.metrics import PERCENT_METRICS, shown
from ui.session import lang

MISSING = "—"


def missing(value) -> bool:
    """No value: None, NaN or pandas' NA."""
    return value is None or bool(pd.isna(value))


def pct(value: float | None, digits: int = 1) -> str:
    """A share (0-1) as a percentage."""
    return MISSING if missing(value) else f"{100 * value:.{digits}f}%"


def points(value: float | None, digits: int = 1) -> str:
    return MISSING if missing(value) else f"{value:.{digits}f}"


def count(value: float | None) -> str:
    """A count with thousands separators (an effective n is rounded to a whole number)."""
    return MISSING if missing(value) else f"{value:,.0f}"


def count_change(value: int | None) -> str:
    """A difference of counts, always signed: +1,204 / -37."""
    return MISSING if missing(value) else f"{value:+,}"


def number(value: float | None, decimals: int = 2) -> str:
    """A statistic (R², a weight, a design effect, a detectable effect) rounded for reading."""
    return MISSING if missing(value) else fmt_num(float(value), decimals)


def signed(value: float | None, digits: int = 2) -> str:
    """An estimated change, always signed: +0.12 / -0.30."""
    return MISSING if missing(value) else f"{value:+.{digits}f}"


def estimate_with_interval(estimate: float | None, low: float | None, high: float | None, digits: int = 2) -> str:
    """A signed estimate and its interval: +0.12 (+0.01 – +0.23)."""
    if missing(estimate):
        return MISSING
    return f"{signed(estimate, digits)} ({signed(low, digits)} – {signed(high, digits)})"


def metric(key: str, value: float | None, digits: int = 1) -> str:
    """A metric's value on the scale people read it: shares (CSAT, response rate) as percentages."""
    if missing(value):
        return MISSING
    return f"{shown(key, value):.{digits}f}{'%' if key in PERCENT_METRICS else ''}"


def metric_change(key: str, value: float | None, digits: int = 1) -> str:
    """A change of a metric, signed; shares change by percentage points."""
    if missing(value):
        return MISSING
    return f"{shown(key, value):+.{digits}f}{' pp' if key in PERCENT_METRICS else ''}"


def p_value(p: float | None) -> str:
    """A p-value in a sentence: "p = 0.012", "p < 0.001"."""
    return MISSING if missing(p) else fmt_p(float(p))


def p_cell(p: float | None) -> str:
    """A p-value in a column headed p: "0.012", "< 0.001"."""
    shown_p = p_value(p)
    return shown_p.removeprefix("p = ").removeprefix("p ")


def local_time(moment, *, never: str = "") -> str:
    """A stored time as local time in the user's language (SURVEY_TIMEZONE, no "+00:00")."""
    return local_datetime_text(moment, lang(), never=never)


def day(value) -> str:
    """A calendar day in the user's language ("2026年3月5日", "5 Mar 2026"); "" when missing."""
    return "" if missing(value) else date_text(value, lang())


def local_day(moment) -> str:
    """The local calendar day of a stored time, in the user's language."""
    return "" if missing(moment) else local_date_text(moment, lang())
