"""The scheduled work, also run at once by `survey jobs run`; safe at any rate.

In order: expire invitations past their expiry; apply the event-triggered rules; withdraw
strata whose quota is met; queue due reminders; send the queue; close campaigns with nothing
left to happen; then the follow-up case rules (``survey.cases.rules.run_rules``). Each step
only acts on what is due and records what it did, so running the jobs twice in a row changes
nothing the second time. The scheduler (``survey.jobs.scheduler``) runs the same steps as three
jobs every minute.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from survey.cases.rules import RunReport, run_rules
from survey.core import db as database
from survey.core.vocab import InvitationStatus
from survey.distribution.campaigns import SENT_BY_US, CampaignStatus, queue_deliveries
from survey.distribution.quotas import withdraw_full_strata
from survey.distribution.sending import REMINDABLE, SendReport, run_queue
from survey.distribution.triggers import RuleRun, apply_rules, lock_row
from survey.models import Campaign, Customer, Delivery, DeliveryStatus, Invitation, TriggerRule, utcnow

# Invitations still waiting for something: a send, an answer, or their expiry.
OPEN_STATUSES = (InvitationStatus.QUEUED, InvitationStatus.SENT, InvitationStatus.OPENED, InvitationStatus.STARTED)


@dataclass
class JobsReport:
    expired: int = 0
    rules: dict[str, RuleRun] = field(default_factory=dict)
    withdrawn: int = 0
    reminders: int = 0
    sending: SendReport | None = None
    closed: int = 0
    cases: RunReport | None = None

    def lines(self) -> list[str]:
        lines = [f"expired invitations: {self.expired}"]
        lines += [
            f"rule {code}: {run.considered} events considered, {run.invited} invited"
            for code, run in self.rules.items()
        ]
        lines += [f"withdrawn (quota met): {self.withdrawn}", f"reminders queued: {self.reminders}"]
        if self.sending is not None:
            lines.append(f"send: {self.sending.summary()}")
        lines.append(f"campaigns finished: {self.closed}")
        if self.cases is not None:
            lines += [f"cases: {line}" for line in self.cases.lines()]
        return lines


def expire_invitations(db: Session, now: datetime) -> int:
    """Invitations past their expiry stop being answerable; their unsent messages are dropped."""
    expired = db.exec(
        sa.update(Invitation)
        .where(
            Invitation.expires_at <= now,
            Invitation.status.in_(OPEN_STATUSES),
        )
        .values(status=InvitationStatus.EXPIRED)
    ).rowcount
    if expired:
        gone = sa.select(Invitation.id).where(Invitation.status == InvitationStatus.EXPIRED)
        db.exec(
            sa.update(Delivery)
            .where(Delivery.status == DeliveryStatus.PENDING, Delivery.invitation_id.in_(gone))
            .values(status=DeliveryStatus.SKIPPED, last_error="the invitation expired")
        )
    return expired


def due_reminders(db: Session, campaign: Campaign, now: datetime) -> list[tuple[int, int]]:
    """(invitation id, reminder number) for non-responders due a reminder in this campaign."""
    waited_since = sa.func.coalesce(Invitation.last_reminded_at, Invitation.sent_at)
    next_number = Invitation.reminder_count + 1
    already_queued = (
        sa.select(Delivery.id).where(Delivery.invitation_id == Invitation.id, Delivery.sequence == next_number).exists()
    )
    rows = db.exec(
        sa.select(Invitation.id, next_number)
        .join(Customer, Customer.id == Invitation.customer_id)
        .where(
            Invitation.campaign_id == campaign.id,
            Invitation.status.in_(REMINDABLE),
            Invitation.reminder_count < campaign.max_reminders,
            waited_since <= now - timedelta(days=campaign.remind_after_days),
            sa.or_(Invitation.expires_at.is_(None), Invitation.expires_at > now),
            Customer.opted_out.is_(False),
            ~already_queued,
        )
        .order_by(Invitation.id)
    ).all()
    return [(invitation_id, number) for invitation_id, number in rows]


def queue_reminders(now: datetime) -> int:
    """Queue the due reminders of every campaign (one transaction per campaign, row-locked)."""
    with database.session() as db:
        campaign_ids = (
            db.exec(
                sa.select(Campaign.id).where(
                    Campaign.status == CampaignStatus.SENDING,
                    Campaign.max_reminders > 0,
                    Campaign.remind_after_days.is_not(None),
                    Campaign.channel.in_(SENT_BY_US),
                )
            )
            .scalars()
            .all()
        )
    queued = 0
    for campaign_id in campaign_ids:
        with database.session() as db:
            lock_row(db, Campaign, campaign_id)
            campaign = db.get(Campaign, campaign_id)
            due = due_reminders(db, campaign, now)
            queue_deliveries(db, due, campaign.id, campaign.channel, now)
            queued += len(due)
    return queued


def close_finished_campaigns(db: Session) -> int:
    """One-off campaigns with no invitation still open become done (rule campaigns stay open)."""
    still_open = (
        sa.select(Invitation.id)
        .where(Invitation.campaign_id == Campaign.id, Invitation.status.in_(OPEN_STATUSES))
        .exists()
    )
    owned_by_rule = sa.select(TriggerRule.id).where(TriggerRule.campaign_id == Campaign.id).exists()
    return db.exec(
        sa.update(Campaign)
        .where(Campaign.status == CampaignStatus.SENDING, ~still_open, ~owned_by_rule)
        .values(status=CampaignStatus.DONE)
    ).rowcount


def run_invitation_steps(now: datetime, report: JobsReport | None = None) -> JobsReport:
    """Expiry, revisit rules, quotas and reminders: what makes or ends invitations."""
    report = report or JobsReport()
    with database.session() as db:
        report.expired = expire_invitations(db, now)
    report.rules = apply_rules(database.session, now)
    with database.session() as db:
        report.withdrawn = withdraw_full_strata(db, now)
    report.reminders = queue_reminders(now)
    return report


def close_campaigns(report: JobsReport) -> JobsReport:
    with database.session() as db:
        report.closed = close_finished_campaigns(db)
    return report


def run(*, send: bool = True, now: datetime | None = None) -> JobsReport:
    """All the jobs once; ``now`` (tests, replays) fixes the clock for every step."""
    clock = (lambda: now) if now is not None else utcnow
    report = run_invitation_steps(clock())
    if send:
        report.sending = run_queue(clock=clock)
    close_campaigns(report)
    report.cases = run_rules(now=clock())
    return report
