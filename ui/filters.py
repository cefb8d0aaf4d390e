"""The filter row of the dashboard, export and comment-theme pages: surveys, regions, touch
points and tiers (empty = all), read into the one ``survey.core.filters.Filters``.

Widget keys are ``{key_prefix}_surveys``, ``{key_prefix}_regions``, ``{key_prefix}_touch_points``
and ``{key_prefix}_tiers``, so each page keeps its own choices. The groups alone (no survey,
no period) also pick a service change's scope (``group_pickers``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import streamlit as st

from survey.core.filters import FilterChoices, Filters
from ui.insight import group_label
from ui.session import lang, tr

GROUPS = ("regions", "touch_points", "tiers")
COLUMN_OF = {"regions": "region", "touch_points": "touch_point", "tiers": "tier"}  # for group_label
LABELS = {
    "surveys": "exec.surveys",
    "regions": "exec.regions",
    "touch_points": "exec.touch_points",
    "tiers": "exec.tiers",
}


def period_input(
    label: str, default: tuple[date, date], key: str, *, container=st, max_value: date | None = None
) -> tuple[date, date] | None:
    """A from-to date picker: the period, or None while only its first day is picked."""
    picked = container.date_input(label, default, key=key, max_value=max_value)
    if isinstance(picked, tuple) and len(picked) == 2:
        return picked[0], picked[1]
    return None


def group_pickers(
    key_prefix: str,
    choices: FilterChoices,
    containers: Sequence,
    *,
    labels: Mapping[str, str] = LABELS,
    defaults: Mapping[str, Sequence[str]] | None = None,
    help: str | None = None,
    language: str | None = None,
) -> dict[str, tuple[str, ...]]:
    """One multiselect each for regions, touch points and tiers (empty = all), one per container;
    ``defaults`` that are not among the choices are left out."""
    language = language or lang()  # bound now: a format_func may run after the script run
    picked = {}
    for container, group in zip(containers, GROUPS):
        options = list(getattr(choices, group))
        default = [value for value in (defaults or {}).get(group, ()) if value in options]
        picked[group] = tuple(
            container.multiselect(
                tr(labels[group]),
                options,
                default=default,
                placeholder=tr("app.choose_filter"),
                help=help,
                key=f"{key_prefix}_{group}",
                format_func=lambda value, column=COLUMN_OF[group]: group_label(column, value, language),
            )
        )
    return picked


def filter_row(
    key_prefix: str,
    choices: FilterChoices,
    period: tuple[date, date] | None,
    *,
    columns: Sequence | None = None,
    language: str | None = None,
) -> Filters | None:
    """Surveys, regions, touch points and tiers in ``columns`` (default: a row of four); the
    Filters of the picks within ``period``, or None while no period is chosen."""
    language = language or lang()
    columns = columns or st.columns(4)
    names = {survey.id: survey.label(language) for survey in choices.surveys}
    hint = tr("exec.filter_help")
    surveys = columns[0].multiselect(
        tr(LABELS["surveys"]),
        list(names),
        format_func=names.get,
        placeholder=tr("app.choose_filter"),
        help=hint,
        key=f"{key_prefix}_surveys",
    )
    groups = group_pickers(key_prefix, choices, columns[1:], help=hint, language=language)
    if period is None:
        return None
    return Filters(period[0], period[1], tuple(surveys), **groups)
