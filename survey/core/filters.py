"""The dashboard's filters on responses, as SQL conditions: a local date range, surveys,
regions, touch points, tiers and segments (empty = all).

The attribute names match ``survey.metrics.Filters`` (the executive page's), so either kind of
filter object can be handed to the functions that take one here (themes, exports).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session

from survey.models import Response, Survey


@dataclass(frozen=True)
class ResponseFilters:
    start: date | None = None
    end: date | None = None
    surveys: tuple[int, ...] = ()
    regions: tuple[str, ...] = ()
    touch_points: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    segments: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.start and self.end and self.end < self.start:
            raise ValueError(f"the date range ends ({self.end}) before it starts ({self.start})")


def conditions(filters) -> list:
    """SQL conditions on ``Response`` for a filter object (ResponseFilters or metrics.Filters)."""
    where = []
    if filters.start:
        where.append(Response.answered_on >= filters.start)
    if filters.end:
        where.append(Response.answered_on <= filters.end)
    for column, values in ((Response.survey_id, filters.surveys), (Response.region, filters.regions),
                           (Response.touch_point, filters.touch_points), (Response.tier, filters.tiers),
                           (Response.segment, getattr(filters, "segments", ()))):
        if values:
            where.append(column.in_(values))
    return where


def survey_ids(db: Session, codes) -> tuple[int, ...]:
    """The ids of surveys given by code; an unknown code is an error naming it."""
    if not codes:
        return ()
    found = dict(db.execute(sa.select(Survey.code, Survey.id).where(Survey.code.in_(codes))).all())
    unknown = [code for code in codes if code not in found]
    if unknown:
        raise ValueError(f"no survey with code {', '.join(repr(c) for c in unknown)}")
    return tuple(found[code] for code in codes)


def filter_choices(db: Session) -> dict[str, list]:
    """What the filter widgets offer: surveys (id, code) and the groups seen in responses."""
    def distinct(column) -> list[str]:
        return [v for (v,) in db.execute(sa.select(column).where(column.is_not(None)).distinct().order_by(column))]

    return {
        "surveys": list(db.execute(sa.select(Survey.id, Survey.code).order_by(Survey.code)).all()),
        "regions": distinct(Response.region), "touch_points": distinct(Response.touch_point),
        "tiers": distinct(Response.tier),
    }
