"""Figures for each role's home page, straight from the database.

Small aggregate queries only (counts, and the metrics rollup for CSAT, NPS and response
rate, whose definitions survey.insight.metrics owns); the statistics come from ``stats`` so each
figure carries its interval and sample size. The home page calls the ``*_figures`` functions
at the end: each reads one role's figures in its own session and returns them as plain values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session, func, select

from stats import TestResult
from survey.accounts.service import AuditEntry, audit_log
from survey.collect import phone
from survey.core import db as database
from survey.core.config import settings
from survey.core.filters import Filters
from survey.core.vocab import VIP_TIERS, CaseStatus, InvitationStatus, SurveyStatus
from survey.insight import metrics, rollup
from survey.models import (
    Campaign,
    FollowUpCase,
    Invitation,
    Response,
    Survey,
    User,
    utcnow,
)

OPEN_CASE_STATUSES = (CaseStatus.OPEN, CaseStatus.CONTACTED)


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @classmethod
    def month_to_date(cls, today: date) -> Period:
        return cls(today.replace(day=1), today)

    def previous_month_same_days(self) -> Period:
        last_month_end = self.start - timedelta(days=1)
        start = last_month_end.replace(day=1)
        return Period(start, start.replace(day=min(self.end.day, last_month_end.day)))


def local_today() -> date:
    return datetime.now(settings().timezone).date()


def responses_between(db: Session, period: Period, *, agent_id: int | None = None, vip_only: bool = False) -> int:
    query = select(func.count(Response.id)).where(Response.answered_on.between(period.start, period.end))
    if agent_id is not None:
        query = query.where(Response.agent_id == agent_id)
    if vip_only:
        query = query.where(Response.tier.in_([t.value for t in VIP_TIERS]))
    return db.exec(query).one()


def total_responses(db: Session) -> int:
    return db.exec(select(func.count(Response.id))).one()


@dataclass(frozen=True)
class Share:
    successes: int
    n: int
    estimate: float | None
    ci_low: float | None
    ci_high: float | None


def _rollup(db: Session):
    """The metrics rollup, brought up to date first: survey.insight.metrics owns the definitions."""
    rollup.refresh()
    return db.connection()


def _filters(period: Period) -> Filters:
    return Filters(period.start, period.end)


def response_rate(db: Session, period: Period) -> Share:
    """Completed among invitations delivered (sent and not failed) in the period."""
    invited = metrics.invitation_counts(_rollup(db), _filters(period))
    return _share(int(invited["completed"].sum()), int(invited["delivered"].sum()))


def _share(successes: int, n: int) -> Share:
    if n == 0:
        return Share(0, 0, None, None, None)
    result = metrics.response_rate(n, successes)
    return Share(successes, n, result.estimate, result.ci_low, result.ci_high)


def _headline(db: Session, key: metrics.MetricKind, period: Period) -> TestResult | None:
    """One of survey.insight.metrics' histogram metrics over every survey in the period."""
    metric = metrics.METRICS[key]
    conn = _rollup(db)
    try:
        scale = metrics.question_scales(conn, [metric.question_code]).get(metric.question_code)
        counts = metrics.level_counts(conn, metric.question_code, _filters(period))
        histogram = scale.counts(counts.iloc[0]) if scale is not None and not counts.empty else None
        return metric.estimate(histogram, scale) if histogram is not None and histogram.sum() >= 2 else None
    except ValueError:  # no variation yet, or one code on two scales: no figure rather than a wrong one
        return None


def csat(db: Session, period: Period) -> Share:
    """CSAT as survey.insight.metrics defines it (top-2-box share of the 1-5 overall question)."""
    result = _headline(db, metrics.MetricKind.CSAT, period)
    if result is None:
        return Share(0, 0, None, None, None)
    return Share(int(result.details["x"]), int(result.n), result.estimate, result.ci_low, result.ci_high)


@dataclass(frozen=True)
class NpsFigure:
    n: int
    estimate: float | None
    ci_low: float | None
    ci_high: float | None


def nps(db: Session, period: Period) -> NpsFigure:
    result = _headline(db, metrics.MetricKind.NPS, period)
    if result is None:
        return NpsFigure(0, None, None, None)
    return NpsFigure(int(result.n), result.estimate, result.ci_low, result.ci_high)


def live_surveys(db: Session) -> int:
    return db.exec(select(func.count(Survey.id)).where(Survey.status == SurveyStatus.LIVE)).one()


def open_cases(db: Session, *, assignee_id: int | None = None) -> tuple[int, int]:
    """(open, overdue) follow-up cases, optionally for one assignee."""
    query = select(FollowUpCase.due_at).where(FollowUpCase.status.in_(OPEN_CASE_STATUSES))
    if assignee_id is not None:
        query = query.where(FollowUpCase.assignee_id == assignee_id)
    due = db.exec(query).all()
    now = utcnow()
    return len(due), sum(1 for d in due if d < now)


def sending_campaigns(db: Session) -> tuple[int, int]:
    """(campaigns sending, invitations queued)."""
    campaigns = db.exec(select(func.count(Campaign.id)).where(Campaign.status == "sending")).one()
    queued = db.exec(
        select(func.count(Invitation.id)).where(
            Invitation.status == InvitationStatus.QUEUED, Invitation.channel != "phone"
        )
    ).one()
    return campaigns, queued


def phone_queue(db: Session, agent_id: int) -> int:
    """Phone revisits an agent can still call (survey.collect.phone owns the rule)."""
    return phone.queue_count(db, agent_id)


def users_by_role(db: Session) -> dict[str, int]:
    rows = db.exec(select(User.role, func.count(User.id)).where(User.active).group_by(User.role)).all()
    return dict(rows)


def daily_responses(db: Session, days: int = 30, today: date | None = None) -> list[tuple[date, int]]:
    today = today or local_today()
    first = today - timedelta(days=days - 1)
    rows = dict(
        db.exec(
            select(Response.answered_on, func.count(Response.id))
            .where(Response.answered_on.between(first, today))
            .group_by(Response.answered_on)
        ).all()
    )
    return [(first + timedelta(days=i), rows.get(first + timedelta(days=i), 0)) for i in range(days)]


# ---------------------------------------------------------------- each role's home page


@dataclass(frozen=True)
class QualityFigures:
    responses: int  # this month so far
    responses_last_month: int  # the same days of last month
    response_rate: Share
    open_cases: int
    overdue_cases: int
    sending_campaigns: int
    queued_invitations: int
    live_surveys: int


def quality_figures(month: Period) -> QualityFigures:
    with database.session() as db:
        cases, overdue = open_cases(db)
        campaigns, queued = sending_campaigns(db)
        return QualityFigures(
            responses_between(db, month),
            responses_between(db, month.previous_month_same_days()),
            response_rate(db, month),
            cases,
            overdue,
            campaigns,
            queued,
            live_surveys(db),
        )


@dataclass(frozen=True)
class ExecutiveFigures:
    csat: Share
    nps: NpsFigure
    vip_responses: int


def executive_figures(month: Period) -> ExecutiveFigures:
    with database.session() as db:
        return ExecutiveFigures(csat(db, month), nps(db, month), responses_between(db, month, vip_only=True))


@dataclass(frozen=True)
class AgentFigures:
    phone_queue: int
    open_cases: int  # the agent's own
    overdue_cases: int
    responses: int  # keyed in by the agent this month


def agent_figures(month: Period, agent_id: int) -> AgentFigures:
    with database.session() as db:
        mine, overdue = open_cases(db, assignee_id=agent_id)
        return AgentFigures(phone_queue(db, agent_id), mine, overdue, responses_between(db, month, agent_id=agent_id))


@dataclass(frozen=True)
class AdminFigures:
    users_by_role: dict[str, int]  # active users
    total_responses: int
    database_kind: str  # "sqlite" or "postgresql"
    schema_revisions: tuple[str, ...]
    recent_activity: list[AuditEntry]


def admin_figures(recent: int = 10) -> AdminFigures:
    with database.session() as db:
        by_role, total = users_by_role(db), total_responses(db)
    return AdminFigures(
        by_role,
        total,
        database.get_engine().dialect.name,
        tuple(sorted(database.current_revisions())),
        audit_log(limit=recent),
    )


def recent_daily_responses(today: date, days: int = 30) -> list[tuple[date, int]]:
    """Responses per local day for the last `days` days up to `today`, days without any as 0."""
    with database.session() as db:
        return daily_responses(db, days, today)
