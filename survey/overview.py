"""Figures for each role's home page, straight from the database.

Small aggregate queries only (counts, and the metrics rollup for CSAT, NPS and response
rate, whose definitions survey.metrics owns); the statistics come from ``stats`` so each
figure carries its interval and sample size.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session, func, select

from stats import TestResult
from survey.insight import metrics
from survey.collect import phone
from survey.insight import rollup
from survey.core.config import settings
from survey.models import (
    AuditLog, Campaign, FollowUpCase, Invitation, Response, Survey, User, utcnow,
)
from survey.core.vocab import VIP_TIERS, CaseStatus, InvitationStatus, SurveyStatus

OPEN_CASE_STATUSES = (CaseStatus.OPEN, CaseStatus.CONTACTED)


@dataclass(frozen=True)
class Period:
    start: date
    end: date   # inclusive

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
    """The metrics rollup, brought up to date first: survey.metrics owns the definitions."""
    rollup.refresh()
    return db.connection()


def _filters(period: Period) -> metrics.Filters:
    return metrics.Filters(period.start, period.end)


def response_rate(db: Session, period: Period) -> Share:
    """Completed among invitations delivered (sent and not failed) in the period."""
    invited = metrics.invitation_counts(_rollup(db), _filters(period))
    return _share(int(invited["completed"].sum()), int(invited["delivered"].sum()))


def _share(successes: int, n: int) -> Share:
    if n == 0:
        return Share(0, 0, None, None, None)
    result = metrics.response_rate(n, successes)
    return Share(successes, n, result.estimate, result.ci_low, result.ci_high)


def _headline(db: Session, key: str, period: Period) -> TestResult | None:
    """One of survey.metrics' histogram metrics over every survey in the period."""
    metric = metrics.METRICS[key]
    conn = _rollup(db)
    try:
        scale = metrics.question_scales(conn, [metric.question_code]).get(metric.question_code)
        counts = metrics.level_counts(conn, metric.question_code, _filters(period))
        histogram = scale.counts(counts.iloc[0]) if scale is not None and not counts.empty else None
        return metric.estimate(histogram, scale) if histogram is not None and histogram.sum() >= 2 else None
    except ValueError:     # no variation yet, or one code on two scales: no figure rather than a wrong one
        return None


def csat(db: Session, period: Period) -> Share:
    """CSAT as survey.metrics defines it (top-2-box share of the 1-5 overall question)."""
    result = _headline(db, "csat", period)
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
    result = _headline(db, "nps", period)
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
    queued = db.exec(select(func.count(Invitation.id)).where(Invitation.status == InvitationStatus.QUEUED,
                                                             Invitation.channel != "phone")).one()
    return campaigns, queued


def phone_queue(db: Session, agent_id: int) -> int:
    """Phone revisits an agent can still call (survey.phone owns the rule)."""
    return phone.queue_count(db, agent_id)


def users_by_role(db: Session) -> dict[str, int]:
    rows = db.exec(select(User.role, func.count(User.id)).where(User.active).group_by(User.role)).all()
    return dict(rows)


def recent_audit(db: Session, limit: int = 10) -> list[AuditLog]:
    return list(db.exec(select(AuditLog).order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(limit)))


def daily_responses(db: Session, days: int = 30, today: date | None = None) -> list[tuple[date, int]]:
    today = today or local_today()
    first = today - timedelta(days=days - 1)
    rows = dict(db.exec(
        select(Response.answered_on, func.count(Response.id))
        .where(Response.answered_on.between(first, today)).group_by(Response.answered_on)
    ).all())
    return [(first + timedelta(days=i), rows.get(first + timedelta(days=i), 0)) for i in range(days)]
