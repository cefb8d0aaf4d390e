"""Number formatting for staff pages."""

from __future__ import annotations


def pct(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{100 * value:.{digits}f}%"


def points(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def count(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"
