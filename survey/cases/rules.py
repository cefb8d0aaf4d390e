"""Opening follow-up cases: the rules evaluate responses (`survey cases run`, `survey jobs run`).

Every response of a known customer answered within the look-back window is evaluated once
against the enabled rules (``survey.cases.settings``); a ``responsecheck`` row records that it
was, so a run only looks at new responses, whatever order concurrent writers committed them in,
and running twice opens nothing new. Runs take turns (the database write lock on SQLite, an
advisory lock on PostgreSQL); the unique (response, rule) constraint of a case is the backstop.
A response that matches several rules opens one case, named after the first rule, giving every
reason; a customer who already has a case open gets the new trigger added to it instead of a
second call.

A case gets its due time from the SLA of the response's tier, its team from the first matching
route (else the service event's team), and its assignee round-robin among the team's active
members (the one assigned longest ago), else among all agents, as configured.

Routes follow the complaint, not only the place: a case's *category* (a root-cause category of
``workflow.ROOT_CAUSES``) is what the customer ticked under "what went wrong" (the first named,
"other" only when nothing else tells), else the theme their comment names most, else a repeated
fault flagged on the ticket, else the service dimension they scored lowest (at most half-way up
its scale). So a billing complaint after a repair goes to whoever handles billing, while a
complaint about the repair itself stays with the crew.

Why a case was opened is stored as codes (``survey.cases.reasons``) and read in the reader's
language.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from survey.cases import reasons, recontact, themes
from survey.cases.settings import PRIORITY_ORDER, Fallback, LoopSettings, RuleKind, loop_settings, routes, rules
from survey.cases.workflow import OPEN_STATUSES, RECONTACT_SURVEY, ROOT_CAUSES, WORKERS, record_event
from survey.core import db as database
from survey.core.audit import record
from survey.core.config import settings
from survey.core.vocab import CaseStatus, Dimension, Role
from survey.models import (
    Answer,
    CommentTheme,
    Customer,
    FollowUpCase,
    Question,
    Response,
    ResponseCheck,
    ServiceEvent,
    Survey,
    User,
    utcnow,
)

BATCH = 500
LOCK_KEY = zlib.crc32(b"survey.cases.run_rules")


# ---------------------------------------------------------------- evaluating responses


@dataclass
class Facts:
    """What the rules read about one response."""

    response: Response
    scores: dict[str, float] = field(default_factory=dict)
    said_repeated_fault: bool = False
    event_repeated_fault: bool = False
    comment_themes: dict[str, tuple[str, ...]] = field(default_factory=dict)  # theme -> phrases found
    what_wrong: list[str] = field(default_factory=list)  # ticked, in the order of the options
    dimension_scores: dict[str, float] = field(default_factory=dict)  # dimension -> lowest score, 0-1 of its scale


@dataclass(frozen=True)
class Match:
    rule_code: str
    priority: str
    why: dict  # one entry of survey.cases.reasons


def match(rule, facts: Facts) -> Match | None:
    """Whether a rule fires on a response, and why (codes and numbers, see survey.cases.reasons)."""
    params = rule.params
    tier = facts.response.tier
    if params.get("tiers") and tier not in params["tiers"]:
        return None
    if rule.kind == RuleKind.SCORE:
        value = facts.scores.get(params["question"])
        if value is not None and value <= float(params["at_most"]):
            return Match(
                rule.code, rule.priority, reasons.score(params["question"], value, float(params["at_most"]), tier)
            )
    elif rule.kind == RuleKind.REPEATED_FAULT:
        if facts.event_repeated_fault or facts.said_repeated_fault:
            source = "ticket" if facts.event_repeated_fault else "what_wrong"
            return Match(rule.code, rule.priority, reasons.repeated_fault(source))
    elif rule.kind == RuleKind.COMMENT_THEME:
        named = [t for t in facts.comment_themes if t in params["themes"]]
        if named:
            return Match(rule.code, rule.priority, reasons.comment_theme({t: facts.comment_themes[t] for t in named}))
    return None


CATEGORIES = frozenset(ROOT_CAUSES)
LOW_SCORE = 0.5  # a dimension scored at most half-way up its scale names the category


def category_of(facts: Facts) -> str | None:
    """The root-cause category a case is routed by (see the module docstring)."""
    said = [c for c in facts.what_wrong if c in CATEGORIES]
    specific = [c for c in said if c != Dimension.OTHER]
    if specific:
        return specific[0]
    named = [t for t in themes.THEMES if t in facts.comment_themes]
    if named:
        return max(named, key=lambda t: len(facts.comment_themes[t]))
    if facts.event_repeated_fault:
        return Dimension.REPEATED_FAULT.value
    scored = {d: s for d, s in facts.dimension_scores.items() if d in CATEGORIES and s <= LOW_SCORE}
    if scored:
        return min(scored, key=lambda d: (scored[d], ROOT_CAUSES.index(d)))
    return said[0] if said else None


def _unchecked(db: Session, since, limit: int) -> list[Response]:
    checked = sa.select(ResponseCheck.response_id).where(ResponseCheck.response_id == Response.id).exists()
    return list(
        db.execute(
            sa.select(Response).where(Response.answered_on >= since, ~checked).order_by(Response.id).limit(limit)
        ).scalars()
    )


def gather_facts(db: Session, batch: list[Response], *, store_themes: bool = True) -> dict[int, Facts]:
    """Scores (and the lowest per service dimension), "what went wrong", the event's flag and
    the comments' themes of a batch."""
    facts = {r.id: Facts(r) for r in batch}
    ids = list(facts)
    question = sa.and_(Question.version_id == Response.version_id, Question.code == Answer.question_code)
    for response_id, code, number, text, dimension, low, high in db.execute(
        sa.select(
            Answer.response_id,
            Answer.question_code,
            Answer.value_num,
            Answer.value_text,
            Question.dimension,
            Question.scale_min,
            Question.scale_max,
        )
        .join(Response, Response.id == Answer.response_id)
        .outerjoin(Question, question)
        .where(Answer.response_id.in_(ids), Answer.item_code.is_(None))
        .order_by(Answer.id)
    ):
        item = facts[response_id]
        if number is not None:
            item.scores[code] = number
            if dimension and low is not None and high is not None and high > low:
                share = (number - low) / (high - low)
                item.dimension_scores[dimension] = min(share, item.dimension_scores.get(dimension, share))
        elif code == "what_wrong" and text:
            item.what_wrong.append(text)
            item.said_repeated_fault = item.said_repeated_fault or text == "repeated_fault"
    events = {r.event_id for r in batch if r.event_id}
    if events:
        flagged = set(
            db.execute(
                sa.select(ServiceEvent.id).where(ServiceEvent.id.in_(events), ServiceEvent.repeated_fault)
            ).scalars()
        )
        for item in facts.values():
            item.event_repeated_fault = item.response.event_id in flagged
    _comment_themes(db, facts, store=store_themes)
    return facts


def _comment_themes(db: Session, facts: dict[int, Facts], *, store: bool = True) -> None:
    """Themes of the batch's comments, with the phrases that named them (classified now: the
    reason of a case quotes them; stored too, so the themes view need not do it again)."""
    current = themes.version(db)
    model = themes.classifier(db)
    rows = []
    for answer in db.execute(themes.free_text_answers().where(Answer.response_id.in_(list(facts)))).all():
        result = model.classify(answer.value_text)
        facts[answer.response_id].comment_themes.update(result.evidence)
        rows += themes.theme_rows(answer.id, answer.response_id, result, current)
    if rows and store:
        db.execute(database.upsert_insert(db)(CommentTheme).values(rows).on_conflict_do_nothing())


def follow_up_hours(response_id: int, url: str | None = None) -> int | None:
    """Within how many hours someone will call about this response, if the rules in force will
    open a case for it (or add it to the customer's open case); None when no rule matches.

    Read only: the thank-you page promises a call only when the next rule run will make one."""
    with database.session(url) as db:
        response = db.get(Response, response_id)
        if response is None or not response.customer_id:
            return None
        customer = db.get(Customer, response.customer_id)
        survey = db.get(Survey, response.survey_id)
        active_rules = rules(db, enabled_only=True)
        if customer is None or customer.erased_at is not None or survey.code == RECONTACT_SURVEY or not active_rules:
            return None
        facts = gather_facts(db, [response], store_themes=False)[response.id]
        if not any(match(rule, facts) is not None for rule in active_rules):
            return None
        return loop_settings(db).sla_for(response.tier)


@dataclass
class RunReport:
    evaluated: int = 0
    opened: int = 0
    added_to_open: int = 0
    recontacts_recorded: int = 0
    comments_classified: int = 0

    def lines(self) -> list[str]:
        return [
            f"comments classified: {self.comments_classified}",
            f"responses evaluated: {self.evaluated}",
            f"cases opened: {self.opened}",
            f"triggers added to open cases: {self.added_to_open}",
            f"recontact answers recorded: {self.recontacts_recorded}",
        ]


def _take_turn(db: Session) -> None:
    """One rule run at a time (SQLite: the exclusive session already holds the write lock)."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})


def run_rules(
    url: str | None = None, *, now: datetime | None = None, batch: int = BATCH, actor_id: int | None = None
) -> RunReport:
    """Evaluate new responses against the rules, open cases, and record recontact answers.

    ``actor_id``: the staff member who asked for the run (the audit log names them); None for the
    scheduled jobs and the CLI."""
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
        if actor_id is not None or report.opened or report.added_to_open or report.recontacts_recorded:
            actor = db.get(User, actor_id) if actor_id is not None else None  # a staff click is logged even when idle
            record(
                db,
                actor,
                "cases.run",
                "followupcase",
                None,
                {
                    "evaluated": report.evaluated,
                    "opened": report.opened,
                    "added": report.added_to_open,
                    "recontacts": report.recontacts_recorded,
                },
            )
    return report


def evaluate_batch(db: Session, pending: list[Response], config: LoopSettings, now: datetime) -> tuple[int, int]:
    active_rules = rules(db, enabled_only=True)
    skipped_surveys = set(db.execute(sa.select(Survey.id).where(Survey.code == RECONTACT_SURVEY)).scalars())
    erased = set(
        db.execute(
            sa.select(Customer.id).where(
                Customer.id.in_([r.customer_id for r in pending if r.customer_id]), Customer.erased_at.is_not(None)
            )
        ).scalars()
    )
    candidates = [
        r for r in pending if r.customer_id and r.customer_id not in erased and r.survey_id not in skipped_surveys
    ]
    facts = gather_facts(db, candidates) if candidates and active_rules else {}
    opened = added = 0
    checks = {r.id: None for r in pending}
    for response_id, item in facts.items():
        matches = [m for m in (match(rule, item) for rule in active_rules) if m is not None]
        if not matches:
            continue
        case, is_new = open_or_extend(db, item.response, matches, config, now, category=category_of(item))
        checks[response_id] = case.id
        opened += is_new
        added += not is_new
    db.execute(
        database.upsert_insert(db)(ResponseCheck)
        .values([{"response_id": rid, "checked_at": now, "case_id": cid} for rid, cid in checks.items()])
        .on_conflict_do_nothing()
    )
    return opened, added


def open_or_extend(
    db: Session,
    response: Response,
    matches: list[Match],
    config: LoopSettings,
    now: datetime,
    *,
    category: str | None = None,
) -> tuple[FollowUpCase, bool]:
    reason = reasons.encode([m.why for m in matches])
    existing = db.execute(
        sa.select(FollowUpCase)
        .where(
            FollowUpCase.customer_id == response.customer_id,
            FollowUpCase.status.in_(OPEN_STATUSES),
        )
        .order_by(FollowUpCase.id)
        .limit(1)
    ).scalar_one_or_none()
    if existing is not None:
        record_event(db, existing, None, "trigger", None, f"response {response.id}", reason, now)
        return existing, False
    team = team_for(db, response, category)
    assignee = pick_assignee(db, team, config)
    case = FollowUpCase(
        response_id=response.id,
        customer_id=response.customer_id,
        rule_code=matches[0].rule_code,
        reason=reason,
        category=category,
        priority=min((m.priority for m in matches), key=lambda p: PRIORITY_ORDER.get(p, 9)),
        status=CaseStatus.OPEN,
        assignee_id=assignee.id if assignee else None,
        team=team,
        opened_at=now,
        due_at=now + timedelta(hours=config.sla_for(response.tier)),
    )
    db.add(case)
    db.flush()
    record_event(db, case, None, "status", None, CaseStatus.OPEN, reason, now)
    if assignee is not None:
        record_event(db, case, None, "assignee", None, assignee.username, "", now)
    return case, True


def team_for(db: Session, response: Response, category: str | None = None) -> str | None:
    for route in routes(db):
        if route.matches(response.region, response.touch_point, response.tier, category):
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
    last = (
        sa.select(FollowUpCase.assignee_id, sa.func.max(FollowUpCase.id).label("last"))
        .group_by(FollowUpCase.assignee_id)
        .subquery()
    )
    return list(
        db.execute(
            sa.select(User)
            .outerjoin(last, last.c.assignee_id == User.id)
            .where(User.active, who)
            .order_by(last.c.last.is_not(None), last.c.last, User.id)
        ).scalars()
    )
