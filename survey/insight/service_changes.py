"""Recording service changes (quality staff): what changed, when, where, and what it should move."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, select

from survey.core.audit import record
from survey.core.errors import SurveyError
from survey.core.vocab import ChangeKind, Dimension, Tier, TouchPoint
from survey.models import Question, ServiceChange, Survey, SurveyVersion


class ChangeError(SurveyError, ValueError):
    """A service change that cannot be saved; the message names the problem."""


@dataclass
class ChangeInput:
    title: str
    changed_on: date
    title_en: str = ""
    description: str = ""
    ends_on: date | None = None
    kind: str = ChangeKind.SERVICE_CHANGE
    regions: list[str] = field(default_factory=list)
    touch_points: list[str] = field(default_factory=list)
    tiers: list[str] = field(default_factory=list)
    survey_code: str | None = None
    dimension: str | None = None
    question_code: str | None = None
    owner: str = ""
    expected_effect: str = ""


def rating_questions(db: Session, survey_code: str | None) -> list[tuple[str, str | None]]:
    """(code, dimension) of the rating questions a change can target, in one survey or all."""
    query = (
        select(Question.code, Question.dimension)
        .distinct()
        .join(SurveyVersion, SurveyVersion.id == Question.version_id)
        .where(Question.type.in_(("rating", "nps", "ces", "yes_no")))
    )
    if survey_code:
        query = query.join(Survey, Survey.id == SurveyVersion.survey_id).where(Survey.code == survey_code)
    return sorted(db.exec(query).all())


def _check(db: Session, data: ChangeInput) -> None:
    problems = []
    if not data.title.strip():
        problems.append("a title is required")
    if data.ends_on is not None and data.ends_on < data.changed_on:
        problems.append("the end date is before the start date")
    if not (data.question_code or data.dimension):
        problems.append("choose the question or the dimension the change should move")
    if data.dimension and data.dimension not in {d.value for d in Dimension}:
        problems.append(f"unknown dimension '{data.dimension}'")
    if data.kind not in {k.value for k in ChangeKind}:
        problems.append(f"unknown kind '{data.kind}'")
    for values, vocabulary, name in ((data.tiers, Tier, "tier"), (data.touch_points, TouchPoint, "touch point")):
        unknown = [v for v in values if v not in {x.value for x in vocabulary}]
        if unknown:
            problems.append(f"unknown {name}: {', '.join(unknown)}")
    if data.survey_code and db.exec(select(Survey.id).where(Survey.code == data.survey_code)).first() is None:
        problems.append(f"no survey '{data.survey_code}'")
    elif data.question_code and data.question_code not in {c for c, _ in rating_questions(db, data.survey_code)}:
        problems.append(f"no rating question '{data.question_code}' in {data.survey_code or 'any survey'}")
    if problems:
        raise ChangeError(key="errors.insight.change_invalid", problems="; ".join(problems))


def save_change(db: Session, data: ChangeInput, *, actor=None, change_id: int | None = None) -> ServiceChange:
    """Record a new change, or update ``change_id``; the audit log keeps who did it."""
    _check(db, data)
    change = ServiceChange() if change_id is None else db.get(ServiceChange, change_id)
    if change is None:
        raise ChangeError(key="errors.insight.no_change", change_id=change_id)
    values = {**data.__dict__, "title": data.title.strip(), "title_en": data.title_en.strip()}
    for name, value in values.items():
        setattr(change, name, value)
    if change_id is None:
        change.created_by_id = getattr(actor, "id", None)
    db.add(change)
    db.flush()
    record(
        db,
        actor,
        "service_change.create" if change_id is None else "service_change.update",
        "servicechange",
        change.id,
        {"title": change.title, "date": change.changed_on.isoformat()},
    )
    return change
