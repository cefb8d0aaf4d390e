"""Working follow-up cases: staff move them to a root cause; every change is in the history.

Cases are opened by the rules (``survey.cases.rules``). Working a case: open -> contacted ->
resolved, or unreachable (from open or contacted); a resolved or unreachable case reopens with a
note. Resolving needs a root cause and may send a recontact survey (``survey.cases.recontact``).
Every change is a ``FollowUpCaseEvent`` (the case's history) and an audit-log entry. Agents work
their own cases (and may take unassigned ones); quality staff and admins work any; executives
only read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from survey.core.audit import record
from survey.core.config import settings
from survey.core.errors import SurveyError
from survey.core.vocab import CaseStatus, Dimension, Role
from survey.models import (
    Customer,
    FollowUpCase,
    FollowUpCaseEvent,
    Response,
    User,
    utcnow,
)

ROOT_CAUSES = (
    "network_quality",
    "billing",
    "business_handling",
    "fault_repair",
    "repeated_fault",
    "staff_attitude",
    Dimension.OTHER.value,
)
OPEN_STATUSES = (CaseStatus.OPEN, CaseStatus.CONTACTED)
TRANSITIONS = {
    CaseStatus.OPEN: (CaseStatus.CONTACTED, CaseStatus.UNREACHABLE),
    CaseStatus.CONTACTED: (CaseStatus.RESOLVED, CaseStatus.UNREACHABLE),
    CaseStatus.RESOLVED: (CaseStatus.OPEN,),
    CaseStatus.UNREACHABLE: (CaseStatus.OPEN,),
}
WORKERS = (Role.AGENT, Role.QUALITY, Role.ADMIN)
RECONTACT_SURVEY = "recontact"  # its responses answer a case; no rule looks at them
NOTE_LIMIT = 2000


class CaseError(SurveyError, ValueError):
    """A refused change to a case, with a message fit for the user."""


# ---------------------------------------------------------------- history


def record_event(
    db: Session, case: FollowUpCase, actor, field_name: str, old, new, note: str, now: datetime | None = None
) -> None:
    db.add(
        FollowUpCaseEvent(
            case_id=case.id,
            at=now or utcnow(),
            user_id=getattr(actor, "id", None),
            field=field_name,
            old_value=None if old is None else str(old)[:500],
            new_value=None if new is None else str(new)[:500],
            note=(note or "")[:NOTE_LIMIT],
        )
    )


def history(db: Session, case_id: int) -> list[tuple[FollowUpCaseEvent, str | None]]:
    """The case's changes, oldest first, with the username of whoever made each."""
    return list(
        db.execute(
            sa.select(FollowUpCaseEvent, User.username)
            .outerjoin(User, User.id == FollowUpCaseEvent.user_id)
            .where(FollowUpCaseEvent.case_id == case_id)
            .order_by(FollowUpCaseEvent.at, FollowUpCaseEvent.id)
        ).all()
    )


# ---------------------------------------------------------------- working a case


def _locked_case(db: Session, case_id: int) -> FollowUpCase:
    case = db.execute(sa.select(FollowUpCase).where(FollowUpCase.id == case_id).with_for_update()).scalar_one_or_none()
    if case is None:
        raise CaseError(key="errors.cases.no_case", case_id=case_id)
    return case


def _check_may_work(case: FollowUpCase, actor: User) -> None:
    if actor is None or actor.role not in WORKERS:
        raise CaseError(key="errors.cases.workers_only")
    if actor.role == Role.AGENT and case.assignee_id not in (None, actor.id):
        raise CaseError(key="errors.cases.assigned_elsewhere", case_id=case.id)


def _check_note(note: str) -> str:
    note = (note or "").strip()
    if len(note) > NOTE_LIMIT:
        raise CaseError(key="errors.cases.note_too_long", limit=NOTE_LIMIT)
    return note


def change_status(
    db: Session,
    case_id: int,
    new_status: str,
    actor: User,
    *,
    note: str = "",
    root_cause: str | None = None,
    now: datetime | None = None,
) -> FollowUpCase:
    """Move a case along open -> contacted -> resolved (or unreachable; reopen with a note)."""
    now = now or utcnow()
    case = _locked_case(db, case_id)
    _check_may_work(case, actor)
    note = _check_note(note)
    old = CaseStatus(case.status)
    if new_status not in TRANSITIONS[old]:
        allowed = ", ".join(TRANSITIONS[old])
        raise CaseError(
            key="errors.cases.bad_transition", case_id=case.id, status=old, allowed=allowed, new_status=new_status
        )
    if new_status == CaseStatus.RESOLVED:
        if root_cause not in ROOT_CAUSES:
            raise CaseError(key="errors.cases.root_cause_required", root_causes=", ".join(ROOT_CAUSES))
        if root_cause != case.root_cause:
            record_event(db, case, actor, "root_cause", case.root_cause, root_cause, "", now)
        case.root_cause, case.resolved_at = root_cause, now
    if new_status == CaseStatus.OPEN:
        if not note:
            raise CaseError(key="errors.cases.reopen_note_required")
        case.resolved_at, case.recovered, case.recontact_invitation_id = None, None, None
    if new_status == CaseStatus.CONTACTED:
        case.contacted_at = now
    if new_status == CaseStatus.UNREACHABLE:
        case.resolved_at = now  # closed: it leaves the open queue and counts as closed
    if actor.role == Role.AGENT and case.assignee_id is None:
        _assign(db, case, actor, actor, now)
    case.status = new_status
    db.add(case)
    record_event(db, case, actor, "status", old, new_status, note, now)
    record(
        db,
        actor,
        f"case.{new_status}",
        "followupcase",
        case.id,
        {"from": old, "root_cause": case.root_cause} if new_status == CaseStatus.RESOLVED else {"from": old},
    )
    db.flush()
    return case


def _assign(db: Session, case: FollowUpCase, assignee: User | None, actor: User, now: datetime) -> None:
    old = db.get(User, case.assignee_id).username if case.assignee_id else None
    case.assignee_id = assignee.id if assignee else None
    record_event(db, case, actor, "assignee", old, assignee.username if assignee else None, "", now)


def reassign(
    db: Session,
    case_id: int,
    assignee_id: int | None,
    actor: User,
    *,
    team: str | None = None,
    now: datetime | None = None,
) -> FollowUpCase:
    """Quality staff (and admins) hand a case to someone else, optionally in another team."""
    now = now or utcnow()
    if actor is None or actor.role not in (Role.QUALITY, Role.ADMIN):
        raise CaseError(key="errors.cases.managers_reassign")
    case = _locked_case(db, case_id)
    assignee = db.get(User, assignee_id) if assignee_id is not None else None
    if assignee_id is not None and (assignee is None or not assignee.active or assignee.role not in WORKERS):
        raise CaseError(key="errors.cases.bad_assignee")
    if team is not None and team != case.team:
        record_event(db, case, actor, "team", case.team, team, "", now)
        case.team = team or None
    if (assignee.id if assignee else None) != case.assignee_id:
        _assign(db, case, assignee, actor, now)
    db.add(case)
    record(
        db,
        actor,
        "case.assign",
        "followupcase",
        case.id,
        {"assignee": assignee.username if assignee else None, "team": case.team},
    )
    db.flush()
    return case


def add_note(db: Session, case_id: int, note: str, actor: User, *, now: datetime | None = None) -> FollowUpCase:
    now = now or utcnow()
    case = _locked_case(db, case_id)
    _check_may_work(case, actor)
    note = _check_note(note)
    if not note:
        raise CaseError(key="errors.cases.note_empty")
    stamp = now.astimezone(settings().timezone).strftime("%Y-%m-%d %H:%M")
    case.notes = (f"{case.notes}\n" if case.notes else "") + f"[{stamp} {actor.username}] {note}"
    case.notes = case.notes[-8000:]
    db.add(case)
    record_event(db, case, actor, "note", None, None, note, now)
    record(db, actor, "case.note", "followupcase", case.id)
    db.flush()
    return case


def record_phone_recontact(
    db: Session, case_id: int, satisfied: bool, actor: User, *, now: datetime | None = None
) -> FollowUpCase:
    """The customer said on the phone whether they are satisfied with how we handled it."""
    now = now or utcnow()
    case = _locked_case(db, case_id)
    _check_may_work(case, actor)
    if case.status != CaseStatus.RESOLVED:
        raise CaseError(key="errors.cases.ask_after_resolved")
    set_recovered(db, case, satisfied, actor, "phone", now)
    record(db, actor, "case.recontact_answer", "followupcase", case.id, {"satisfied": satisfied, "by": "phone"})
    db.flush()
    return case


def set_recovered(db: Session, case: FollowUpCase, satisfied: bool, actor, source: str, now: datetime) -> None:
    record_event(db, case, actor, "recovered", case.recovered, satisfied, source, now)
    case.recovered = satisfied
    db.add(case)


# ---------------------------------------------------------------- reading cases


@dataclass(frozen=True)
class CaseRow:
    id: int
    status: str
    priority: str
    reason: str
    rule_code: str
    team: str | None
    assignee: str | None
    opened_at: datetime
    due_at: datetime
    resolved_at: datetime | None
    root_cause: str | None
    recovered: bool | None
    customer_name: str | None
    customer_phone: str | None
    tier: str | None
    region: str | None
    overdue: bool
    category: str | None = None


def case_list(
    db: Session,
    *,
    assignee_id: int | None = None,
    team: str | None = None,
    statuses=OPEN_STATUSES,
    unassigned: bool = False,
    limit: int = 500,
    now: datetime | None = None,
) -> list[CaseRow]:
    """Cases, overdue first, then by due time (the order an agent should work them)."""
    now = now or utcnow()
    overdue = sa.and_(FollowUpCase.status.in_(OPEN_STATUSES), FollowUpCase.due_at < now)
    query = (
        sa.select(
            FollowUpCase,
            User.username,
            Customer.name,
            Customer.phone,
            Response.tier,
            Response.region,
            overdue.label("overdue"),
        )
        .outerjoin(User, User.id == FollowUpCase.assignee_id)
        .outerjoin(Customer, Customer.id == FollowUpCase.customer_id)
        .outerjoin(Response, Response.id == FollowUpCase.response_id)
        .order_by(sa.case((overdue, 0), else_=1), FollowUpCase.due_at, FollowUpCase.id)
        .limit(limit)
    )
    if statuses:
        query = query.where(FollowUpCase.status.in_(statuses))
    if assignee_id is not None:
        query = query.where(FollowUpCase.assignee_id == assignee_id)
    if unassigned:
        query = query.where(FollowUpCase.assignee_id.is_(None))
    if team:
        query = query.where(FollowUpCase.team == team)
    return [
        CaseRow(
            c.id,
            c.status,
            c.priority,
            c.reason,
            c.rule_code,
            c.team,
            username,
            c.opened_at,
            c.due_at,
            c.resolved_at,
            c.root_cause,
            c.recovered,
            name,
            phone,
            tier,
            region,
            bool(late),
            c.category,
        )
        for c, username, name, phone, tier, region, late in db.execute(query).all()
    ]


def teams(db: Session) -> list[str]:
    found = set(db.execute(sa.select(FollowUpCase.team).where(FollowUpCase.team.is_not(None)).distinct()).scalars())
    found |= set(db.execute(sa.select(User.team).where(User.team.is_not(None)).distinct()).scalars())
    return sorted(found)


def workers(db: Session) -> list[User]:
    return list(
        db.execute(
            sa.select(User).where(User.active, User.role.in_(WORKERS)).order_by(User.team, User.username)
        ).scalars()
    )
