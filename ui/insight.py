"""Streamlit helpers of the insight pages: cached service calls, period presets, tables.

The heavy work is the insight service's ``dashboard`` and ``impacts``; they are cached per
database, request and data version (``service.data_version`` counts new responses into the
rollup), so a repeat view is instant and new responses show up at the next refresh.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pandas as pd
import streamlit as st

from survey.core.config import settings
from survey.core.i18n import label, t
from survey.insight import charts, service
from ui import format as fmt
from ui.session import lang, tr

PRESETS = ("month_to_date", "last_month", "quarter_to_date", "last_quarter", "last_12_months", "custom")


def fixed_language() -> tuple[str, Callable[[str], str]]:
    """The session's language and a translator bound to it, for widgets' ``format_func``:
    Streamlit (and AppTest) may call those after the script has run, when the session can
    no longer be asked."""
    language = lang()
    return language, lambda key: t(key, language)


def chart(figure, *, container=st, **options) -> None:
    """Draw an Altair chart (in ``container``) with dates and numbers in the session's
    language: the staff pages draw every chart through here, so one place decides how a
    chart speaks."""
    container.altair_chart(charts.localised(figure, lang()), **options)


def data_version() -> int:
    """Count new responses into the rollup (cheap when there are none); the version keys caches."""
    return service.data_version()


def preset_range(preset: str, today: date) -> tuple[date, date]:
    month_start = today.replace(day=1)
    quarter_start = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
    if preset == "month_to_date":
        return month_start, today
    if preset == "last_month":
        end = month_start - timedelta(days=1)
        return end.replace(day=1), end
    if preset == "quarter_to_date":
        return quarter_start, today
    if preset == "last_quarter":
        end = quarter_start - timedelta(days=1)
        return end.replace(month=(end.month - 1) // 3 * 3 + 1, day=1), end
    return (pd.Timestamp(today) - pd.DateOffset(months=12)).date() + timedelta(days=1), today


@st.cache_data(show_spinner=False, max_entries=64)
def dashboard(url: str, version: int, request: service.Request) -> service.Dashboard:
    return service.dashboard(request, url)


@st.cache_data(show_spinner=False, max_entries=16)
def impacts(url: str, version: int, changes: tuple) -> list[service.Impact]:
    """``changes``: every recorded change as it is now (``service.recorded_changes``), so an
    edit computes the analyses again."""
    return service.impacts(url)


@st.cache_data(show_spinner=False, max_entries=16)
def filter_options(url: str, version: int) -> service.FilterChoices:
    return service.filter_choices(url)


def current_url() -> str:
    return settings().database_url


def group_label(column: str, value: str, language: str | None = None) -> str:
    """A group value as people read it ('' = unknown).  Pass ``language`` in a widget's
    format_func: it may run outside the page's script run, where the session is unknown."""
    language = language or lang()
    if value == "":
        return t("insight.unknown", language)
    vocabulary = {
        "region": "region",
        "tier": "tier",
        "touch_point": "touch_point",
        "dimension": "dimension",
        "driver": "dimension",
    }.get(column)
    return label(vocabulary, value, language) if vocabulary else str(value)


def interval_table(table: pd.DataFrame, metric: str, column: str, *, with_rest: bool = True) -> pd.DataFrame:
    """A breakdown as people read it: group, value, interval, n, vs the rest, Holm p, small."""
    rows = {
        tr("col.group"): [group_label(column, g) for g in table["group"]],
        tr("col.value"): [fmt.metric(metric, v, 2) for v in table["value"]],
        tr("col.ci"): [
            f"{fmt.metric(metric, lo, 2)} – {fmt.metric(metric, hi, 2)}"
            for lo, hi in zip(table["ci_low"], table["ci_high"])
        ],
        tr("col.n"): table["n"].astype(int),
    }
    if with_rest and "difference" in table:
        rows[tr("col.difference")] = [fmt.metric_change(metric, d, 2) for d in table["difference"]]
        rows[tr("col.diff_ci")] = [
            f"{fmt.metric_change(metric, lo, 2)} – {fmt.metric_change(metric, hi, 2)}"
            for lo, hi in zip(table["diff_ci_low"], table["diff_ci_high"])
        ]
        rows[tr("col.p_holm")] = [fmt.p_cell(p) for p in table["p_holm"]]
    rows[tr("col.small")] = table["small"].astype(bool)
    return pd.DataFrame(rows)
