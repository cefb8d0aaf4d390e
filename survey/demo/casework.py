"""A believable follow-up history for the demo: the case rules run on the recent responses,
and the demo staff work the cases the way a revisit desk does.

Without this a fresh demo shows an empty case board, an empty closed-loop report and no
recovery rate. The work goes through ``survey.cases`` (the same transitions, history and
audit entries as a person's clicks), dated between the case's opening and the demo's end:
most cases are contacted within a day or two and resolved within a few days with the root
cause the customer scored lowest; some customers cannot be reached; the newest cases are
still open, and a few of them overdue.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import sqlalchemy as sa
from sqlmodel import Session

from survey.cases import workflow as cases
from survey.cases.rules import run_rules
from survey.core import db as database
from survey.core.vocab import CaseStatus
from survey.models import Answer, FollowUpCase, FollowUpCaseEvent, Response, User

ROOT_CAUSE_CODES = [c for c in cases.ROOT_CAUSES if c != "other"]


def work_cases(url: str | None, now: datetime, rng: np.random.Generator, quality: User) -> dict[str, int]:
    """Open cases from the recent responses as of ``now`` and work them; returns counts by status."""
    run_rules(url, now=now)
    with database.session(url) as db:
        for case in db.execute(sa.select(FollowUpCase).order_by(FollowUpCase.id)).scalars().all():
            _backdate(db, case, now, rng)
            _work(db, case, now, rng, _worker(db, case, quality))
        return dict(db.execute(sa.select(FollowUpCase.status, sa.func.count()).group_by(FollowUpCase.status)).all())


def _backdate(db: Session, case: FollowUpCase, now: datetime, rng: np.random.Generator) -> None:
    """One rule run at the demo's end opened every case at once; in service the scheduled
    job opens each minutes after its response arrives, so move the opening (with its due
    time and first history entries) to then."""
    submitted = db.execute(sa.select(Response.submitted_at).where(Response.id == case.response_id)).scalar_one()
    opened = min(_aware(submitted, now) + timedelta(minutes=float(rng.uniform(3, 20))), now)
    shift = opened - _aware(case.opened_at, now)
    for event in db.execute(sa.select(FollowUpCaseEvent).where(FollowUpCaseEvent.case_id == case.id)).scalars():
        event.at = _aware(event.at, now) + shift  # in Python: SQLite has no datetime arithmetic
    case.opened_at, case.due_at = opened, _aware(case.due_at, now) + shift
    db.add(case)
    db.flush()


def _worker(db: Session, case: FollowUpCase, quality: User) -> User:
    assignee = db.get(User, case.assignee_id) if case.assignee_id else None
    return assignee if assignee is not None and assignee.role in cases.WORKERS else quality


def _work(db: Session, case: FollowUpCase, now: datetime, rng: np.random.Generator, actor: User) -> None:
    opened = _aware(case.opened_at, now)
    age_hours = (now - opened).total_seconds() / 3600
    # Still open: the newest; some of the last three days' (the desk is behind); a rare one forgotten.
    if age_hours < 6 or (age_hours < 72 and rng.random() < 0.3) or rng.random() < 0.02:
        return
    contact_at = opened + timedelta(hours=min(rng.uniform(1, 36), age_hours * 0.5))
    if rng.random() < 0.10:
        cases.change_status(
            db,
            case.id,
            CaseStatus.UNREACHABLE,
            actor,
            now=contact_at,
            note="三次外呼未接通 / no answer after three calls",
        )
        return
    cases.change_status(db, case.id, CaseStatus.CONTACTED, actor, now=contact_at)
    resolve_at = contact_at + timedelta(hours=rng.uniform(2, 96))
    if resolve_at > now:
        return
    cases.change_status(
        db,
        case.id,
        CaseStatus.RESOLVED,
        actor,
        root_cause=_root_cause(db, case, rng),
        note="已向客户解释并处理 / explained and fixed",
        now=resolve_at,
    )
    if rng.random() < 0.6 and actor.role in cases.WORKERS and resolve_at + timedelta(days=1) < now:
        cases.record_phone_recontact(db, case.id, bool(rng.random() < 0.72), actor, now=resolve_at + timedelta(days=1))


def _root_cause(db: Session, case: FollowUpCase, rng: np.random.Generator) -> str:
    """The dimension the customer scored lowest, when the survey asked about one."""
    scores = dict(
        db.execute(
            sa.select(Answer.question_code, Answer.value_num).where(
                Answer.response_id == case.response_id,
                Answer.question_code.in_(ROOT_CAUSE_CODES),
                Answer.value_num.is_not(None),
            )
        ).all()
    )
    if case.rule_code and "repeat" in case.rule_code:
        return "repeated_fault"
    if scores:
        return min(scores, key=scores.get)
    return str(rng.choice(ROOT_CAUSE_CODES))


def _aware(moment: datetime, like: datetime) -> datetime:
    """SQLite hands back naive UTC datetimes."""
    return moment.replace(tzinfo=like.tzinfo) if moment.tzinfo is None else moment
