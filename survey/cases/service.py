"""What the case pages ask of the closed loop: the queue, one case, working it, the reports and
the settings.

Each function opens its own transaction, takes plain values (ids, strings, dates, the acting
staff member's id) and returns values that stay valid once the session is closed. Who may do
what is checked here (or in the workflow underneath), not only by the page that offers the
button. The constants and value types the pages draw with are re-exported, so a page needs
nothing else from this package.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd
from sqlmodel import Session

from survey.accounts.auth import acting_user
from survey.cases import details, reasons, recontact, reports, rules, themes, workflow
from survey.cases import settings as loop_config
from survey.cases.details import ShownAnswer
from survey.cases.recontact import RecontactChannelMissing
from survey.cases.reports import CLOSE_BIN_LABELS, CloseTimes, Recovery, Recurring
from survey.cases.rules import RunReport
from survey.cases.settings import TIERS, Fallback, LoopSettings, Priority, RouteSpec, RuleKind, RuleSpec
from survey.cases.themes import THEMES, Classification, Example
from survey.cases.workflow import NOTE_LIMIT, OPEN_STATUSES, ROOT_CAUSES, CaseError, CaseRow
from survey.core import db as database
from survey.core.filters import Filters
from survey.core.vocab import CaseStatus, Role
from survey.models import User

__all__ = [
    "CLOSE_BIN_LABELS",
    "NOTE_LIMIT",
    "OPEN_STATUSES",
    "ROOT_CAUSES",
    "THEMES",
    "TIERS",
    "reason_text",
    "CaseError",
    "CaseReport",
    "CaseRow",
    "CaseSettings",
    "CaseView",
    "Fallback",
    "HistoryEntry",
    "LoopSettings",
    "Priority",
    "RecontactChannelMissing",
    "Recurring",
    "RouteSpec",
    "RuleKind",
    "RuleSpec",
    "RunReport",
    "ShownAnswer",
    "Worker",
    "add_note",
    "apply_rules",
    "case_queue",
    "case_report",
    "case_settings",
    "case_view",
    "change_status",
    "draft_service_change",
    "reassign",
    "record_phone_answer",
    "resolve",
    "save_loop_settings",
    "save_routes",
    "save_rule",
    "teams",
    "workers",
    "OTHER_THEME",
    "THEME_LANGUAGES",
    "THEME_PERIODS",
    "Classification",
    "Example",
    "KeywordRule",
    "classify_comment",
    "classify_new_comments",
    "keyword_rules",
    "save_keyword_rules",
    "theme_counts",
    "theme_examples",
]

MANAGERS = (Role.QUALITY, Role.ADMIN)
SCOPES = ("mine", "team", "all", "unassigned")
reason_text = reasons.describe  # why a case was opened, in the reader's language
OVERDUE_LISTED = 50  # the case report lists at most this many overdue cases


def _as_actor(actor_id: int, change: Callable[[Session, User], object]) -> None:
    """Run one change to the cases in its own transaction, as the signed-in staff member."""
    with database.session() as db:
        change(db, acting_user(db, actor_id))


def _manager(db: Session, actor_id: int, refusal_key: str) -> User:
    actor = acting_user(db, actor_id)
    if actor.role not in MANAGERS:
        raise CaseError(key=refusal_key)
    return actor


# ---------------------------------------------------------------- the queue and one case


@dataclass(frozen=True)
class Worker:
    """Someone a case can go to: an active agent, quality staff member or admin."""

    id: int
    username: str
    role: str
    team: str | None


def teams() -> list[str]:
    """Every team that has a case or a member."""
    with database.session() as db:
        return workflow.teams(db)


def workers() -> list[Worker]:
    with database.session() as db:
        return [Worker(u.id, u.username, u.role, u.team) for u in workflow.workers(db)]


def case_queue(
    viewer_id: int, scope: str, *, team: str | None = None, statuses: list[str] | None = None
) -> list[CaseRow]:
    """Cases overdue first: the viewer's own ("mine"), one team's, all, or the unassigned ones;
    in the given statuses (none given: every status)."""
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {', '.join(SCOPES)}")
    with database.session() as db:
        return workflow.case_list(
            db,
            assignee_id=viewer_id if scope == "mine" else None,
            team=team if scope == "team" else None,
            unassigned=scope == "unassigned",
            statuses=statuses or None,
        )


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    who: str | None  # None: the system (the rules, a recontact answer)
    field: str
    old_value: str | None
    new_value: str | None
    note: str


@dataclass(frozen=True)
class CaseView:
    """One case as the cases page shows it (contact details unmasked: the page masks per role)."""

    id: int
    status: str
    next_statuses: tuple[str, ...]  # where the workflow lets it go from here
    reason: str  # as stored: read it with reason_text(reason, lang)
    category: str | None  # the root-cause category it was routed by
    notes: str
    team: str | None
    assignee_id: int | None
    assignee: str | None
    due_at: datetime
    overdue: bool
    root_cause: str | None
    recovered: bool | None
    customer_name: str | None
    customer_phone: str | None
    customer_email: str | None
    tier: str | None
    survey_name: dict[str, str] | None
    answered_on: date | None
    answers: tuple[ShownAnswer, ...]
    history: tuple[HistoryEntry, ...]
    recontact_status: str | None


def case_view(case_id: int) -> CaseView:
    with database.session() as db:
        detail = details.case_detail(db, case_id)
    case = detail.case
    return CaseView(
        id=case.id,
        status=case.status,
        next_statuses=tuple(workflow.TRANSITIONS[CaseStatus(case.status)]),
        reason=case.reason,
        category=case.category,
        notes=case.notes or "",
        team=case.team,
        assignee_id=case.assignee_id,
        assignee=detail.assignee,
        due_at=case.due_at,
        overdue=detail.overdue,
        root_cause=case.root_cause,
        recovered=case.recovered,
        customer_name=detail.customer_name,
        customer_phone=detail.customer_phone,
        customer_email=detail.customer_email,
        tier=detail.tier,
        survey_name=detail.survey_name,
        answered_on=detail.answered_on,
        answers=tuple(detail.answers),
        history=tuple(
            HistoryEntry(event.at, who, event.field, event.old_value, event.new_value, event.note or "")
            for event, who in detail.history
        ),
        recontact_status=detail.recontact_status,
    )


# ---------------------------------------------------------------- working a case


def change_status(actor_id: int, case_id: int, status: str, *, note: str = "") -> None:
    """Contacted, unreachable or reopened (resolving goes through ``resolve``)."""
    _as_actor(actor_id, lambda db, me: workflow.change_status(db, case_id, status, me, note=note))


def add_note(actor_id: int, case_id: int, note: str) -> None:
    _as_actor(actor_id, lambda db, me: workflow.add_note(db, case_id, note, me))


def resolve(
    actor_id: int,
    case_id: int,
    root_cause: str,
    *,
    note: str = "",
    send_recontact: bool = False,
    queue_until_configured: bool = False,
) -> None:
    """Resolve with a root cause and, if asked, send the recontact survey: both or neither.
    RecontactChannelMissing (a CaseError) when its channel is not configured, unless staff chose
    to queue it until it is."""
    _as_actor(
        actor_id,
        lambda db, me: recontact.resolve(
            db,
            case_id,
            me,
            root_cause,
            note=note,
            recontact=send_recontact,
            queue_until_configured=queue_until_configured,
        ),
    )


def record_phone_answer(actor_id: int, case_id: int, satisfied: bool) -> None:
    """What the customer said on the phone about how the case was handled."""
    _as_actor(actor_id, lambda db, me: workflow.record_phone_recontact(db, case_id, satisfied, me))


def reassign(actor_id: int, case_id: int, assignee_id: int | None, *, team: str | None) -> None:
    _as_actor(actor_id, lambda db, me: workflow.reassign(db, case_id, assignee_id, me, team=team))


def apply_rules(actor_id: int) -> RunReport:
    """Run the case rules now, as the scheduled jobs do (quality staff and admins)."""
    with database.session() as db:
        _manager(db, actor_id, "errors.cases.managers_run_rules")
    return rules.run_rules(actor_id=actor_id)


# ---------------------------------------------------------------- reports


@dataclass(frozen=True)
class CaseReport:
    """How the closed loop did in a period of local days."""

    opened: int
    closed: int
    by_team: pd.DataFrame  # team, opened, closed, open, overdue, median_hours
    close_times: CloseTimes
    recovery: Recovery
    root_causes: pd.DataFrame  # month, root_cause, cases
    recurring: list[Recurring]
    by_category: pd.DataFrame  # category, cases (opened in the period)
    overdue: list[CaseRow]  # open cases past their due time now, most overdue first

    @property
    def overdue_now(self) -> int:
        return int(self.by_team["overdue"].sum()) if not self.by_team.empty else 0


def case_report(start: date, end: date) -> CaseReport:
    with database.session() as db:
        frame = reports.case_frame(db, start, end)
        recurring = reports.recurring_causes(db, frame)
        overdue = [row for row in workflow.case_list(db, limit=OVERDUE_LISTED) if row.overdue]
    return CaseReport(
        int(frame["opened_in"].sum()),
        int(frame["closed_in"].sum()),
        reports.by_team(frame),
        reports.close_times(frame),
        reports.recovery(frame),
        reports.root_causes_by_month(frame),
        recurring,
        by_category=reports.opened_by_category(frame),
        overdue=overdue,
    )


def draft_service_change(actor_id: int, cause: Recurring, start: date, end: date) -> int:
    """A draft service change from a recurring root cause (quality staff and admins); its id."""
    with database.session() as db:
        actor = _manager(db, actor_id, "errors.cases.managers_draft_changes")
        return reports.draft_service_change(db, cause, start, end, actor=actor).id


# ---------------------------------------------------------------- settings


@dataclass(frozen=True)
class CaseSettings:
    rules: list[RuleSpec]
    loop: LoopSettings
    routes: list[RouteSpec]
    workers: list[Worker]


def case_settings() -> CaseSettings:
    """The rules (seeded with the defaults on first use), SLA and look-back, routes and workers."""
    with database.session() as db:
        stored = [loop_config.spec_of(rule) for rule in loop_config.rules(db)]
        return CaseSettings(
            stored,
            loop_config.loop_settings(db),
            loop_config.routes(db),
            [Worker(u.id, u.username, u.role, u.team) for u in workflow.workers(db)],
        )


def save_rule(actor_id: int, spec: RuleSpec) -> None:
    with database.session() as db:
        loop_config.save_rule(db, spec, actor=_manager(db, actor_id, "errors.cases.managers_edit_rules"))


def save_loop_settings(actor_id: int, loop: LoopSettings) -> None:
    with database.session() as db:
        loop_config.save_loop_settings(db, loop, actor=_manager(db, actor_id, "errors.cases.managers_change_sla"))


def save_routes(actor_id: int, routes: list[RouteSpec]) -> None:
    with database.session() as db:
        loop_config.save_routes(db, routes, actor=_manager(db, actor_id, "errors.cases.managers_route_cases"))


# ---------------------------------------------------------------- comment themes

THEME_PERIODS = themes.PERIODS
THEME_LANGUAGES = themes.LANGUAGES
OTHER_THEME = themes.OTHER


@dataclass(frozen=True)
class KeywordRule:
    """One keyword rule of the comment classifier, as quality staff edit it."""

    theme: str
    language: str
    phrase: str
    weight: float
    enabled: bool


def classify_new_comments() -> int:
    """Classify the comments not yet classified with the current keyword rules; how many."""
    return themes.refresh()


def theme_counts(filters: Filters, *, period: str = "month", by: str | None = None) -> pd.DataFrame:
    """Classified comments per period (and group), one row per theme: period, [by], theme,
    comments, total, share (see survey.cases.themes.theme_counts)."""
    with database.session() as db:
        return themes.theme_counts(db, filters, period=period, by=by)


def theme_examples(filters: Filters, theme: str, *, limit: int = 5) -> list[Example]:
    """The newest comments of a theme within the filters (unmasked: the page masks per role)."""
    with database.session() as db:
        return themes.examples(db, filters, theme, limit=limit)


def keyword_rules() -> list[KeywordRule]:
    """The stored rules (seeded with the defaults on first use), by theme, language and phrase."""
    with database.session() as db:
        return [KeywordRule(k.theme, k.language, k.phrase, k.weight, k.enabled) for k in themes.stored_keywords(db)]


def save_keyword_rules(actor_id: int, entries: Sequence[dict]) -> int:
    """Replace the keyword rules (quality staff and admins), all or nothing; the new rule version.
    Comments are classified again by the next ``classify_new_comments``."""
    with database.session() as db:
        actor = _manager(db, actor_id, "errors.cases.managers_edit_keywords")
        return themes.save_keywords(db, entries, actor=actor)


def classify_comment(text: str) -> Classification:
    """What the current rules make of one comment (to try a rule before saving it)."""
    with database.session() as db:
        return themes.classifier(db).classify(text)
