"""The one filter type of the product: which responses a figure, an export or a theme count
covers. A local date range (inclusive) and groups: surveys, regions, touch points, tiers and
segments (empty = all; '' = unknown).

The dashboard's metrics read the rollup with it (they need both ends of the range: figures are
per period), the export, the comment themes and `survey export responses` read responses with
it (an open end there means "since the first" or "up to the last" response). The filter row of
the staff pages (ui/filters.py) returns one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, col

from survey.core import db as database
from survey.core.errors import Refused
from survey.models import Response, Survey

GROUP_FIELDS = ("surveys", "regions", "touch_points", "tiers", "segments")


@dataclass(frozen=True)
class Filters:
    start: date | None = None
    end: date | None = None
    surveys: tuple[int, ...] = ()
    regions: tuple[str, ...] = ()
    touch_points: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.start and self.end and self.end < self.start:
            raise Refused(key="errors.core.date_range_reversed", end=str(self.end), start=str(self.start))
        # Sorted tuples: the same choice made in another order is the same filter (and cache key).
        for name in GROUP_FIELDS:
            object.__setattr__(self, name, tuple(sorted(getattr(self, name))))

    def between(self, start: date, end: date) -> Filters:
        return replace(self, start=start, end=end)

    def bounds(self) -> tuple[date, date]:
        """Both ends of the range; an open end is refused where figures are computed per period."""
        if self.start is None or self.end is None:
            raise Refused(key="errors.core.date_range_open")
        return self.start, self.end

    @property
    def days(self) -> int:
        start, end = self.bounds()
        return (end - start).days + 1


def conditions(filters: Filters) -> list[sa.ColumnElement[bool]]:
    """SQL conditions on ``Response`` for the filters."""
    where: list[sa.ColumnElement[bool]] = []
    if filters.start:
        where.append(col(Response.answered_on) >= filters.start)
    if filters.end:
        where.append(col(Response.answered_on) <= filters.end)
    for column, values in (
        (Response.survey_id, filters.surveys),
        (Response.region, filters.regions),
        (Response.touch_point, filters.touch_points),
        (Response.tier, filters.tiers),
        (Response.segment, filters.segments),
    ):
        if values:
            where.append(col(column).in_(values))
    return where


def survey_ids(db: Session, codes) -> tuple[int, ...]:
    """The ids of surveys given by code; an unknown code is an error naming it."""
    if not codes:
        return ()
    query = sa.select(col(Survey.code), col(Survey.id)).where(col(Survey.code).in_(codes))
    found: dict[str, int] = dict(db.execute(query).all())
    unknown = [code for code in codes if code not in found]
    if unknown:
        raise Refused(key="errors.core.unknown_survey_codes", codes=", ".join(repr(c) for c in unknown))
    return tuple(found[code] for code in codes)


# ---------------------------------------------------------------- what the filter row offers


@dataclass(frozen=True)
class SurveyChoice:
    id: int
    code: str
    name_zh: str
    name_en: str

    def name(self, language: str) -> str:
        return (self.name_zh if language == "zh-CN" else self.name_en) or self.name_zh or self.code

    def label(self, language: str) -> str:
        return f"{self.name(language)} ({self.code})"


@dataclass(frozen=True)
class FilterChoices:
    """The values a filter row offers: surveys, and the regions, touch points and tiers."""

    surveys: tuple[SurveyChoice, ...] = ()
    regions: tuple[str, ...] = ()
    touch_points: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()


def filter_choices(url: str | None = None) -> FilterChoices:
    """The filter row of the response pages (export, comment themes): every survey, and the
    regions, touch points and tiers that responses carry."""
    with database.session(url) as db:

        def distinct(column) -> tuple[str, ...]:
            return tuple(
                v for (v,) in db.execute(sa.select(column).where(column.is_not(None)).distinct().order_by(column))
            )

        surveys = db.execute(
            sa.select(col(Survey.id), col(Survey.code), col(Survey.name_zh), col(Survey.name_en)).order_by(Survey.code)
        ).all()
        return FilterChoices(
            tuple(SurveyChoice(*row) for row in surveys),
            distinct(Response.region),
            distinct(Response.touch_point),
            distinct(Response.tier),
        )
