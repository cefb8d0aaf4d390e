"""What the insight pages ask: the executive dashboard and what its filter row offers, and the
service changes with what each one did to perceived quality.

Each function opens its own connection or transaction, takes plain values (dates and groups
as a ``Filters``, ids, the acting staff member's id) and returns values that stay valid once
it is closed: the dashboard's frames and ``stats`` results, frozen dataclasses. The rollup is
brought up to date by ``data_version``, whose number the pages use to key their caches.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlmodel import col

from survey.core import db as database
from survey.core.filters import FilterChoices, Filters, SurveyChoice
from survey.core.vocab import Role, Tier, TouchPoint
from survey.insight import dashboard as dashboards
from survey.insight import impact, rollup, service_changes
from survey.insight.dashboard import Dashboard, Request
from survey.insight.impact import Impact, question_label
from survey.insight.metrics import answer_weekly
from survey.insight.service_changes import ChangeError, ChangeInput
from survey.models import ServiceChange, Survey, User

__all__ = [
    "ChangeError",
    "ChangeInput",
    "Dashboard",
    "FilterChoices",
    "Filters",
    "Impact",
    "RecordedChange",
    "Request",
    "dashboard",
    "data_version",
    "filter_choices",
    "impacts",
    "question_label",
    "rating_questions",
    "recorded_changes",
    "save_change",
]

# Who records service changes (everyone who sees the changes page reads them).
RECORDERS = (Role.QUALITY,)


def data_version(url: str | None = None) -> int:
    """Count new responses into the rollup (cheap when there are none); the version after it."""
    return rollup.refresh(url)


def dashboard(request: Request, url: str | None = None) -> Dashboard:
    """Everything the executive page shows for one request (see survey.insight.dashboard)."""
    return dashboards.dashboard(database.get_engine(url), request)


def filter_choices(url: str | None = None) -> FilterChoices:
    """The executive filter row: every survey, the regions the rollup has counted ('' = unknown),
    and every touch point and tier."""
    with database.get_engine(url).connect() as conn:
        surveys = conn.execute(
            sa.select(col(Survey.id), col(Survey.code), col(Survey.name_zh), col(Survey.name_en)).order_by(Survey.id)
        ).all()
        regions = sorted(conn.execute(sa.select(answer_weekly.c.region).distinct()).scalars())
    return FilterChoices(
        tuple(SurveyChoice(*row) for row in surveys),
        tuple(regions),
        tuple(t.value for t in TouchPoint),
        tuple(t.value for t in Tier),
    )


# ---------------------------------------------------------------- service changes


def impacts(url: str | None = None) -> list[Impact]:
    """Every recorded change with its before/after, time-series and difference-in-differences
    estimates, p-values adjusted across changes."""
    with database.get_engine(url).connect() as conn:
        return impact.analyse_all(conn)


@dataclass(frozen=True)
class RecordedChange:
    """A service change as recorded: everything its impact analysis reads, and the form shows."""

    id: int
    title: str
    title_en: str
    description: str
    kind: str
    changed_on: date
    ends_on: date | None
    regions: tuple[str, ...]
    touch_points: tuple[str, ...]
    tiers: tuple[str, ...]
    survey_code: str | None
    dimension: str | None
    question_code: str | None
    owner: str
    expected_effect: str

    @classmethod
    def of(cls, change: ServiceChange) -> RecordedChange:
        assert change.id is not None, "a recorded change has an id"
        return cls(
            change.id,
            change.title,
            change.title_en,
            change.description,
            change.kind,
            change.changed_on,
            change.ends_on,
            tuple(change.regions),
            tuple(change.touch_points),
            tuple(change.tiers),
            change.survey_code,
            change.dimension,
            change.question_code,
            change.owner,
            change.expected_effect,
        )


def recorded_changes(url: str | None = None) -> list[RecordedChange]:
    """Every recorded service change, newest first. As a tuple it also says when the impact
    analyses must be computed again: any edit changes it."""
    with database.session(url) as db:
        changes = db.execute(sa.select(ServiceChange).order_by(col(ServiceChange.id).desc())).scalars()
        return [RecordedChange.of(change) for change in changes]


def rating_questions(survey_code: str | None) -> list[tuple[str, str | None]]:
    """(code, dimension) of the rating questions a change can target, in one survey or all."""
    with database.session() as db:
        return service_changes.rating_questions(db, survey_code)


def save_change(actor_id: int, data: ChangeInput, *, change_id: int | None = None) -> RecordedChange:
    """Record a new change, or update ``change_id``, as the quality staff member ``actor_id``;
    the audit log keeps who did it. A refusal is a ChangeError naming the problem."""
    with database.session() as db:
        actor = db.get(User, actor_id)  # insight stands apart from accounts: the row itself
        if actor is None:
            raise ChangeError(key="errors.insight.account_gone")
        if actor.role not in RECORDERS:
            raise ChangeError(key="errors.insight.quality_only")
        return RecordedChange.of(service_changes.save_change(db, data, actor=actor, change_id=change_id))
