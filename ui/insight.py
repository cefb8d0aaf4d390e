"""Streamlit helpers of the insight pages: cached computations, filter presets, tables.

The heavy work is ``survey.insight.dashboard`` and ``survey.change_impact.analyse_all``;
they are cached per database, filters and data version (``survey.rollup.refresh``), so a
repeat view is instant and new responses show up at the next refresh.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pandas as pd
import sqlalchemy as sa
import streamlit as st

from survey.insight import impact as change_impact

from survey.insight import dashboard as insight

from survey.insight import metrics

from survey.insight import rollup
from survey.core import db as database
from survey.core.config import settings
from survey.core.i18n import label, t
from survey.models import ServiceChange, Survey
from ui.session import lang, tr

PRESETS = ("month_to_date", "last_month", "quarter_to_date", "last_quarter", "last_12_months", "custom")


def fixed_language() -> tuple[str, Callable[[str], str]]:
    """The session's language and a translator bound to it, for widgets' ``format_func``:
    Streamlit (and AppTest) may call those after the script has run, when the session can
    no longer be asked."""
    language = lang()
    return language, lambda key: t(key, language)


def data_version() -> int:
    """Count new responses into the rollup (cheap when there are none); the version keys caches."""
    return rollup.refresh()


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
def dashboard(url: str, version: int, request: tuple) -> insight.Dashboard:
    """``request``: the fields of insight.Request, filters flattened (hashable for the cache)."""
    start, end, surveys, regions, touch_points, tiers, metric, grain, weighted, vip_weights, drivers_survey = request
    filters = metrics.Filters(start, end, surveys, regions, touch_points, tiers)
    return insight.dashboard(database.get_engine(url),
                             insight.Request(filters, metric, grain, weighted, vip_weights, drivers_survey))


@st.cache_data(show_spinner=False, max_entries=16)
def impacts(url: str, version: int, changes_signature: tuple) -> list[change_impact.Impact]:
    with database.get_engine(url).connect() as conn:
        return change_impact.analyse_all(conn)


def changes_signature() -> tuple:
    """Every recorded change as it is now: an edit must recompute the analyses."""
    with database.get_engine().connect() as conn:
        return tuple(tuple(row) for row in conn.execute(sa.select(ServiceChange.__table__)
                                                          .order_by(ServiceChange.id)).all())


@st.cache_data(show_spinner=False, max_entries=16)
def filter_options(url: str, version: int) -> dict[str, list]:
    with database.get_engine(url).connect() as conn:
        surveys = conn.execute(sa.select(Survey.id, Survey.code, Survey.name_zh, Survey.name_en)
                               .order_by(Survey.id)).all()
        regions = sorted(conn.execute(sa.select(metrics.answer_weekly.c.region).distinct()).scalars())
    return {"surveys": [tuple(s) for s in surveys], "regions": regions}


def current_url() -> str:
    return settings().database_url


def group_label(column: str, value: str, language: str | None = None) -> str:
    """A group value as people read it ('' = unknown).  Pass ``language`` in a widget's
    format_func: it may run outside the page's script run, where the session is unknown."""
    language = language or lang()
    if value == "":
        return t("insight.unknown", language)
    vocabulary = {"region": "region", "tier": "tier", "touch_point": "touch_point", "dimension": "dimension",
                  "driver": "dimension"}.get(column)
    return label(vocabulary, value, language) if vocabulary else str(value)


def fmt(metric: str, value: float | None, digits: int = 1) -> str:
    if value is None or pd.isna(value):
        return "—"
    number = metrics.shown(metric, value)
    return f"{number:.{digits}f}{'%' if metric in metrics.PERCENT_METRICS else ''}"


def fmt_difference(metric: str, value: float | None, digits: int = 1) -> str:
    if value is None or pd.isna(value):
        return "—"
    unit = " pp" if metric in metrics.PERCENT_METRICS else ""
    return f"{metrics.shown(metric, value):+.{digits}f}{unit}"


def fmt_p(p: float | None) -> str:
    if p is None or pd.isna(p):
        return "—"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def interval_table(table: pd.DataFrame, metric: str, column: str, *, with_rest: bool = True) -> pd.DataFrame:
    """A breakdown as people read it: group, value, interval, n, vs the rest, Holm p, small."""
    rows = {
        tr("col.group"): [group_label(column, g) for g in table["group"]],
        tr("col.value"): [fmt(metric, v, 2) for v in table["value"]],
        tr("col.ci"): [f"{fmt(metric, lo, 2)} – {fmt(metric, hi, 2)}" for lo, hi in zip(table["ci_low"], table["ci_high"])],
        tr("col.n"): table["n"].astype(int),
    }
    if with_rest and "difference" in table:
        rows[tr("col.difference")] = [fmt_difference(metric, d, 2) for d in table["difference"]]
        rows[tr("col.diff_ci")] = [f"{fmt_difference(metric, lo, 2)} – {fmt_difference(metric, hi, 2)}"
                                   for lo, hi in zip(table["diff_ci_low"], table["diff_ci_high"])]
        rows[tr("col.p_holm")] = [fmt_p(p) for p in table["p_holm"]]
    rows[tr("col.small")] = table["small"].astype(bool)
    return pd.DataFrame(rows)
