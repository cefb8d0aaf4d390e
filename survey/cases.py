"""Follow-up cases: the rules open them from responses, staff work them to a root cause.

Opening (``run_rules``, from `survey cases run` and `survey jobs run`): every response of a
known customer answered within the look-back window is evaluated once against the enabled rules
(``survey.case_settings``); a ``responsecheck`` row records that it was, so a run only looks at
new responses, whatever order concurrent writers committed them in, and running twice opens
nothing new. Runs take turns (the database write lock on SQLite, an advisory lock on
PostgreSQL); the unique (response, rule) constraint of a case is the backstop. A response that
matches several rules opens one case, named after the first rule, giving every reason; a
customer who already has a case open gets the new trigger added to it instead of a second call.

A case gets its due time from the SLA of the response's tier, its team from the first matching
route (else the service event's team), and its assignee round-robin among the team's active
members (the one assigned longest ago), else among all agents, as configured.

Working a case: open -> contacted -> resolved, or unreachable (from open or contacted); a
resolved or unreachable case reopens with a note. Resolving needs a root cause and may send a
recontact survey (``survey.recontact``). Every change is a ``FollowUpCaseEvent`` (the case's
history) and an audit-log entry. Agents work their own cases (and may take unassigned ones);
quality staff and admins work any; executives only read.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from survey import db as database
from survey import themes
from survey.audit import record
from survey.case_settings import (
    PRIORITY_ORDER,
    Fallback,
    LoopSettings,
    RuleKind,
    loop_settings,
    routes,
    rules,
)
from survey.cases_models import CommentTheme, ResponseCheck
from survey.config import settings
from survey.models import (
    Answer,
    Customer,
    FollowUpCase,
    FollowUpCaseEvent,
    Response,
    ServiceEvent,
    Survey,
    User,
    utcnow,
)
from survey.vocab import CaseStatus, Dimension, Role

ROOT_CAUSES = ("network_quality", "billing", "business_handling", "fault_repair", "repeated_fault",
               "staff_attitude", Dimension.OTHER.value)
OPEN_STATUSES = (CaseStatus.OPEN, CaseStatus.CONTACTED)
TRANSITIONS = {
    CaseStatus.OPEN: (CaseStatus.CONTACTED, CaseStatus.UNREACHABLE),
    CaseStatus.CONTACTED: (CaseStatus.RESOLVED, CaseStatus.UNREACHABLE),
    CaseStatus.RESOLVED: (CaseStatus.OPEN,),
    CaseStatus.UNREACHABLE: (CaseStatus.OPEN,),
}
WORKERS = (Role.AGENT, Role.QUALITY, Role.ADMIN)
BATCH = 500
LOCK_KEY = zlib.crc32(b"survey.cases.run_rules")
RECONTACT_SURVEY = "recontact"     # its responses answer a case; no rule looks at them
NOTE_LIMIT = 2000


class CaseError(ValueError):
    """A refused change to a case, with a message fit for the user."""


# ---------------------------------------------------------------- evaluating responses

@dataclass
class Facts:
    """What the rules read about one response."""

    response: Response
    scores: dict[str, float] = field(default_factory=dict)
    said_repeated_fault: bool = False
    event_repeated_fault: bool = False
    comment_themes: dict[str, tuple[str, ...]] = field(default_factory=dict)   # theme -> phrases found


@dataclass(frozen=True)
class Match:
    rule_code: str
    priority: str
    reason: str


def match(rule, facts: Facts) -> Match | None:
    """Whether a rule fires on a response, and why (a short language-neutral reason)."""
    params = rule.params
    tier = facts.response.tier
    if params.get("tiers") and tier not in params["tiers"]:
        return None
    if rule.kind == RuleKind.SCORE:
        value = facts.scores.get(params["question"])
        if value is not None and value <= float(params["at_most"]):
            return Match(rule.code, rule.priority, f"{params['question']} = {value:g} ≤ {float(params['at_most']):g}"
                                                   f" ({tier})")
    elif rule.kind == RuleKind.REPEATED_FAULT:
        if facts.event_repeated_fault or facts.said_repeated_fault:
            source = "ticket" if facts.event_repeated_fault else "what_wrong"
            return Match(rule.code, rule.priority, f"repeated_fault ({source})")
    elif rule.kind == RuleKind.COMMENT_THEME:
        named = [t for t in facts.comment_themes if t in params["themes"]]
        if named:
            found = ", ".join(f"{t} ({'/'.join(facts.comment_themes[t][:3])})" for t in named)
            return Match(rule.code, rule.priority, f"comment names {found}")
    return None


def _unchecked(db: Session, since, limit: int) -> list[Response]:
    checked = sa.select(ResponseCheck.response_id).where(ResponseCheck.response_id == Response.id).exists()
    return list(db.execute(sa.select(Response).where(Response.answered_on >= since, ~checked)
                           .order_by(Response.id).limit(limit)).scalars())


def gather_facts(db: Session, batch: list[Response]) -> dict[int, Facts]:
    """Scores, "what went wrong", the event's flag and the comments' themes of a batch."""
    facts = {r.id: Facts(r) for r in batch}
    ids = list(facts)
    for response_id, code, number, text in db.execute(
            sa.select(Answer.response_id, Answer.question_code, Answer.value_num, Answer.value_text)
            .where(Answer.response_id.in_(ids), Answer.item_code.is_(None))):
        if number is not None:
            facts[response_id].scores[code] = number
        elif code == "what_wrong" and text == "repeated_fault":
            facts[response_id].said_repeated_fault = True
    events = {r.event_id for r in batch if r.event_id}
    if events:
        flagged = set(db.execute(sa.select(ServiceEvent.id).where(ServiceEvent.id.in_(events),
                                                                  ServiceEvent.repeated_fault)).scalars())
        for item in facts.values():
            item.event_repeated_fault = item.response.event_id in flagged
    _comment_themes(db, facts)
    return facts


def _comment_themes(db: Session, facts: dict[int, Facts]) -> None:
    """Themes of the batch's comments, with the phrases that named them (classified now: the
    reason of a case quotes them; stored too, so the themes view need not do it again)."""
    current = themes.version(db)
    model = themes.classifier(db)
    rows = []
    for answer in db.execute(themes.free_text_answers().where(Answer.response_id.in_(list(facts)))).all():
        result = model.classify(answer.value_text)
        facts[answer.response_id].comment_themes.update(result.evidence)
        rows += themes.theme_rows(answer.id, answer.response_id, result, current)
    if rows:
        db.execute(database.upsert_insert(db)(CommentTheme).values(rows).on_conflict_do_nothing())


@dataclass
class RunReport:
    evaluated: int = 0
    opened: int = 0
    added_to_open: int = 0
    recontacts_recorded: int = 0
    comments_classified: int = 0

    def lines(self) -> list[str]:
        return [f"comments classified: {self.comments_classified}",
                f"responses evaluated: {self.evaluated}", f"cases opened: {self.opened}",
                f"triggers added to open cases: {self.added_to_open}",
                f"recontact answers recorded: {self.recontacts_recorded}"]


def _take_turn(db: Session) -> None:
    """One rule run at a time (SQLite: the exclusive session already holds the write lock)."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})


def run_rules(url: str | None = None, *, now: datetime | None = None, batch: int = BATCH) -> RunReport:
    """Evaluate new responses against the rules, open cases, and record recontact answers."""
    from survey import recontact

    now = now or utcnow()
    report = RunReport(comments_classified=themes.refresh(url))
    while True:
        with database.exclusive_session(url) as db:
            _take_turn(db)
            config = loop_settings(db)
            since = now.astimezone(settings().timezone).date() - timedelta(days=config.lookback_days)
            pending = _unchecked(db, since, batch)
            if not pending:
                break
            opened, added = evaluate_batch(db, pending, config, now)
            report.evaluated += len(pending)
            report.opened += opened
            report.added_to_open += added
    with database.session(url) as db:
        report.recontacts_recorded = recontact.record_answers(db, now=now)
        if report.opened or report.added_to_open or report.recontacts_recorded:
            record(db, None, "cases.run", "followupcase", None,
                   {"evaluated": report.evaluated, "opened": report.opened, "added": report.added_to_open,
                    "recontacts": report.recontacts_recorded})
    return report


def evaluate_batch(db: Session, pending: list[Response], config: LoopSettings, now: datetime) -> tuple[int, int]:
    active_rules = rules(db, enabled_only=True)
    skipped_surveys = set(db.execute(sa.select(Survey.id).where(Survey.code == RECONTACT_SURVEY)).scalars())
    erased = set(db.execute(sa.select(Customer.id).where(
        Customer.id.in_([r.customer_id for r in pending if r.customer_id]), Customer.erased_at.is_not(None))).scalars())
    candidates = [r for r in pending if r.customer_id and r.customer_id not in erased
                  and r.survey_id not in skipped_surveys]
    facts = gather_facts(db, candidates) if candidates and active_rules else {}
    opened = added = 0
    checks = {r.id: None for r in pending}
    for response_id, item in facts.items():
        matches = [m for m in (match(rule, item) for rule in active_rules) if m is not None]
        if not matches:
            continue
        case, is_new = open_or_extend(db, item.response, matches, config, now)
        checks[response_id] = case.id
        opened += is_new
        added += not is_new
    db.execute(database.upsert_insert(db)(ResponseCheck).values(
        [{"response_id": rid, "checked_at": now, "case_id": cid} for rid, cid in checks.items()]
    ).on_conflict_do_nothing())
    return opened, added


def open_or_extend(db: Session, response: Response, matches: list[Match], config: LoopSettings,
                   now: datetime) -> tuple[FollowUpCase, bool]:
    reason = "; ".join(m.reason for m in matches)[:500]
    existing = db.execute(sa.select(FollowUpCase).where(
        FollowUpCase.customer_id == response.customer_id, FollowUpCase.status.in_(OPEN_STATUSES),
    ).order_by(FollowUpCase.id).limit(1)).scalar_one_or_none()
    if existing is not None:
        _event(db, existing, None, "trigger", None, f"response {response.id}", reason, now)
        return existing, False
    team = team_for(db, response)
    assignee = pick_assignee(db, team, config)
    case = FollowUpCase(
        response_id=response.id, customer_id=response.customer_id, rule_code=matches[0].rule_code, reason=reason,
        priority=min((m.priority for m in matches), key=lambda p: PRIORITY_ORDER.get(p, 9)),
        status=CaseStatus.OPEN, assignee_id=assignee.id if assignee else None, team=team, opened_at=now,
        due_at=now + timedelta(hours=config.sla_for(response.tier)),
    )
    db.add(case)
    db.flush()
    _event(db, case, None, "status", None, CaseStatus.OPEN, reason, now)
    if assignee is not None:
        _event(db, case, None, "assignee", None, assignee.username, "", now)
    return case, True


def team_for(db: Session, response: Response) -> str | None:
    for route in routes(db):
        if route.matches(response.region, response.touch_point, response.tier):
            return route.team
    return response.team


def pick_assignee(db: Session, team: str | None, config: LoopSettings) -> User | None:
    """Round robin: the active member of the team whose newest case is oldest (or who has none);
    without members, the same among all agents when so configured."""
    pool = []
    if team:
        pool = _least_recently_assigned(db, sa.and_(User.team == team, User.role.in_(WORKERS)))
    if not pool and config.fallback == Fallback.AGENTS:
        pool = _least_recently_assigned(db, User.role == Role.AGENT)
    return pool[0] if pool else None


def _least_recently_assigned(db: Session, who) -> list[User]:
    last = (sa.select(FollowUpCase.assignee_id, sa.func.max(FollowUpCase.id).label("last"))
            .group_by(FollowUpCase.assignee_id).subquery())
    return list(db.execute(
        sa.select(User).outerjoin(last, last.c.assignee_id == User.id).where(User.active, who)
        .order_by(last.c.last.is_not(None), last.c.last, User.id)).scalars())


# ---------------------------------------------------------------- history

def _event(db: Session, case: FollowUpCase, actor, field_name: str, old, new, note: str,
           now: datetime | None = None) -> None:
    db.add(FollowUpCaseEvent(case_id=case.id, at=now or utcnow(), user_id=getattr(actor, "id", None),
                             field=field_name, old_value=None if old is None else str(old)[:500],
                             new_value=None if new is None else str(new)[:500], note=(note or "")[:NOTE_LIMIT]))


def history(db: Session, case_id: int) -> list[tuple[FollowUpCaseEvent, str | None]]:
    """The case's changes, oldest first, with the username of whoever made each."""
    return list(db.execute(sa.select(FollowUpCaseEvent, User.username)
                           .outerjoin(User, User.id == FollowUpCaseEvent.user_id)
                           .where(FollowUpCaseEvent.case_id == case_id)
                           .order_by(FollowUpCaseEvent.at, FollowUpCaseEvent.id)).all())


# ---------------------------------------------------------------- working a case

def _locked_case(db: Session, case_id: int) -> FollowUpCase:
    case = db.execute(sa.select(FollowUpCase).where(FollowUpCase.id == case_id).with_for_update()).scalar_one_or_none()
    if case is None:
        raise CaseError(f"no case {case_id}")
    return case


def _check_may_work(case: FollowUpCase, actor: User) -> None:
    if actor is None or actor.role not in WORKERS:
        raise CaseError("only agents, quality staff and admins work cases")
    if actor.role == Role.AGENT and case.assignee_id not in (None, actor.id):
        raise CaseError(f"case {case.id} is assigned to someone else; ask quality staff to reassign it")


def _check_note(note: str) -> str:
    note = (note or "").strip()
    if len(note) > NOTE_LIMIT:
        raise CaseError(f"a note has at most {NOTE_LIMIT} characters")
    return note


def change_status(db: Session, case_id: int, new_status: str, actor: User, *, note: str = "",
                  root_cause: str | None = None, now: datetime | None = None) -> FollowUpCase:
    """Move a case along open -> contacted -> resolved (or unreachable; reopen with a note)."""
    now = now or utcnow()
    case = _locked_case(db, case_id)
    _check_may_work(case, actor)
    note = _check_note(note)
    old = CaseStatus(case.status)
    if new_status not in TRANSITIONS[old]:
        allowed = ", ".join(TRANSITIONS[old])
        raise CaseError(f"case {case.id} is {old}: it can become {allowed}, not {new_status}")
    if new_status == CaseStatus.RESOLVED:
        if root_cause not in ROOT_CAUSES:
            raise CaseError(f"resolving needs a root cause: one of {', '.join(ROOT_CAUSES)}")
        if root_cause != case.root_cause:
            _event(db, case, actor, "root_cause", case.root_cause, root_cause, "", now)
        case.root_cause, case.resolved_at = root_cause, now
    if new_status == CaseStatus.OPEN:
        if not note:
            raise CaseError("reopening a case needs a note saying why")
        case.resolved_at, case.recovered, case.recontact_invitation_id = None, None, None
    if new_status == CaseStatus.CONTACTED:
        case.contacted_at = now
    if new_status == CaseStatus.UNREACHABLE:
        case.resolved_at = now     # closed: it leaves the open queue and counts as closed
    if actor.role == Role.AGENT and case.assignee_id is None:
        _assign(db, case, actor, actor, now)
    case.status = new_status
    db.add(case)
    _event(db, case, actor, "status", old, new_status, note, now)
    record(db, actor, f"case.{new_status}", "followupcase", case.id,
           {"from": old, "root_cause": case.root_cause} if new_status == CaseStatus.RESOLVED else {"from": old})
    db.flush()
    return case


def _assign(db: Session, case: FollowUpCase, assignee: User | None, actor: User, now: datetime) -> None:
    old = db.get(User, case.assignee_id).username if case.assignee_id else None
    case.assignee_id = assignee.id if assignee else None
    _event(db, case, actor, "assignee", old, assignee.username if assignee else None, "", now)


def reassign(db: Session, case_id: int, assignee_id: int | None, actor: User, *, team: str | None = None,
             now: datetime | None = None) -> FollowUpCase:
    """Quality staff (and admins) hand a case to someone else, optionally in another team."""
    now = now or utcnow()
    if actor is None or actor.role not in (Role.QUALITY, Role.ADMIN):
        raise CaseError("only quality staff and admins reassign cases")
    case = _locked_case(db, case_id)
    assignee = db.get(User, assignee_id) if assignee_id is not None else None
    if assignee_id is not None and (assignee is None or not assignee.active or assignee.role not in WORKERS):
        raise CaseError("cases go to active agents, quality staff or admins")
    if team is not None and team != case.team:
        _event(db, case, actor, "team", case.team, team, "", now)
        case.team = team or None
    if (assignee.id if assignee else None) != case.assignee_id:
        _assign(db, case, assignee, actor, now)
    db.add(case)
    record(db, actor, "case.assign", "followupcase", case.id,
           {"assignee": assignee.username if assignee else None, "team": case.team})
    db.flush()
    return case


def add_note(db: Session, case_id: int, note: str, actor: User, *, now: datetime | None = None) -> FollowUpCase:
    now = now or utcnow()
    case = _locked_case(db, case_id)
    _check_may_work(case, actor)
    note = _check_note(note)
    if not note:
        raise CaseError("the note is empty")
    stamp = now.astimezone(settings().timezone).strftime("%Y-%m-%d %H:%M")
    case.notes = (f"{case.notes}\n" if case.notes else "") + f"[{stamp} {actor.username}] {note}"
    case.notes = case.notes[-8000:]
    db.add(case)
    _event(db, case, actor, "note", None, None, note, now)
    record(db, actor, "case.note", "followupcase", case.id)
    db.flush()
    return case


def record_phone_recontact(db: Session, case_id: int, satisfied: bool, actor: User, *,
                           now: datetime | None = None) -> FollowUpCase:
    """The customer said on the phone whether they are satisfied with how we handled it."""
    now = now or utcnow()
    case = _locked_case(db, case_id)
    _check_may_work(case, actor)
    if case.status != CaseStatus.RESOLVED:
        raise CaseError("ask about the handling once the case is resolved")
    set_recovered(db, case, satisfied, actor, "phone", now)
    record(db, actor, "case.recontact_answer", "followupcase", case.id, {"satisfied": satisfied, "by": "phone"})
    db.flush()
    return case


def set_recovered(db: Session, case: FollowUpCase, satisfied: bool, actor, source: str, now: datetime) -> None:
    _event(db, case, actor, "recovered", case.recovered, satisfied, source, now)
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


def case_list(db: Session, *, assignee_id: int | None = None, team: str | None = None,
              statuses=OPEN_STATUSES, unassigned: bool = False, limit: int = 500,
              now: datetime | None = None) -> list[CaseRow]:
    """Cases, overdue first, then by due time (the order an agent should work them)."""
    now = now or utcnow()
    overdue = sa.and_(FollowUpCase.status.in_(OPEN_STATUSES), FollowUpCase.due_at < now)
    query = (sa.select(FollowUpCase, User.username, Customer.name, Customer.phone, Response.tier, Response.region,
                       overdue.label("overdue"))
             .outerjoin(User, User.id == FollowUpCase.assignee_id)
             .outerjoin(Customer, Customer.id == FollowUpCase.customer_id)
             .outerjoin(Response, Response.id == FollowUpCase.response_id)
             .order_by(sa.case((overdue, 0), else_=1), FollowUpCase.due_at, FollowUpCase.id).limit(limit))
    if statuses:
        query = query.where(FollowUpCase.status.in_(statuses))
    if assignee_id is not None:
        query = query.where(FollowUpCase.assignee_id == assignee_id)
    if unassigned:
        query = query.where(FollowUpCase.assignee_id.is_(None))
    if team:
        query = query.where(FollowUpCase.team == team)
    return [CaseRow(c.id, c.status, c.priority, c.reason, c.rule_code, c.team, username, c.opened_at, c.due_at,
                    c.resolved_at, c.root_cause, c.recovered, name, phone, tier, region, bool(late))
            for c, username, name, phone, tier, region, late in db.execute(query).all()]


def teams(db: Session) -> list[str]:
    found = set(db.execute(sa.select(FollowUpCase.team).where(FollowUpCase.team.is_not(None)).distinct()).scalars())
    found |= set(db.execute(sa.select(User.team).where(User.team.is_not(None)).distinct()).scalars())
    return sorted(found)


def workers(db: Session) -> list[User]:
    return list(db.execute(sa.select(User).where(User.active, User.role.in_(WORKERS))
                           .order_by(User.team, User.username)).scalars())
