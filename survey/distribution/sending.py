"""The durable send queue behind `survey send`, `survey jobs run` and the campaign page.

Every message (an invitation or a reminder) is a ``Delivery`` row with an idempotency key fixed
when it was queued. A sender moves it through committed states::

    pending --claim (batch)--> claimed --mark (one message)--> sending --> sent | failed | pending (retry)

The guarantee, and why it holds:

- **Two senders never send the same message.** Claiming is ``UPDATE ... WHERE status='pending'``
  with a fresh claim token (after ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite
  serialises writers), and before each send the sender moves its own row from ``claimed`` to
  ``sending`` with ``WHERE claim_token=mine AND status='claimed'``: only one process can win
  that update, so overlapping cron runs or app processes share the queue without overlap.
- **A crash never loses a message and never silently duplicates one.** The state is committed
  before the send (``sending``) and after it (``sent``/``failed``). A sender that dies leaves
  rows ``claimed`` (not yet handed over: safely put back to ``pending``) or ``sending`` (the
  outcome is unknown). Once a claim is older than the lease (SURVEY_SEND_LEASE_SECONDS), the
  next run recovers it: an unknown outcome on a channel that deduplicates (the SMS gateway keys
  on ``Idempotency-Key``) is sent again with the *same* key, so the customer gets one message;
  on a channel that cannot deduplicate (SMTP: the key is the Message-ID, which servers do not
  dedupe on) it becomes ``uncertain`` and waits for staff to decide (``resolve_uncertain``),
  because resending could mean a second email. The same holds for a connection that breaks
  mid-send (``OutcomeUnknown``).
- **Failures retry with exponential backoff** (SURVEY_SEND_BACKOFF_SECONDS x 2^(attempt-1)) up to
  SURVEY_SEND_MAX_ATTEMPTS; permanent refusals (bad number, refused mailbox) fail at once.
- **Rate limit per channel across all senders**: a batch claims at most the messages left in
  the channel's budget for the last minute (SURVEY_SMS_RATE_PER_MINUTE,
  SURVEY_EMAIL_RATE_PER_MINUTE), and sends are spaced evenly within a process.
- **Quiet hours** (SURVEY_QUIET_HOURS, local time, default 21:00-08:00): SMS is not claimed; it
  stays pending and goes out when the quiet hours end.
- Right before sending, a message whose customer opted out, whose invitation was answered,
  expired or withdrawn (quota met) is skipped, not sent.

In production, exactly-once to the handset also needs the gateway's dedupe window to be longer
than the lease plus the time to the next run, and for email a relay that keeps Message-IDs
(or staff reviewing the rare ``uncertain`` messages).
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

import sqlalchemy as sa
from sqlmodel import Session

from survey.core import db as database
from survey.core.audit import record
from survey.core.config import Settings, settings
from survey.core.errors import Refused
from survey.core.i18n import normalise_language
from survey.core.links import personal_link
from survey.core.quiet_hours import QuietHours
from survey.core.vocab import Channel, InvitationStatus
from survey.distribution.channels import (
    DEDUPING_CHANNELS,
    ChannelNotConfigured,
    OutcomeUnknown,
    OutgoingMessage,
    SendError,
    SmsGateway,
    SmtpChannel,
    adapter_for,
)
from survey.distribution.messages import compose
from survey.distribution.quotas import withdraw_full_strata
from survey.models import Campaign, Customer, Delivery, DeliveryStatus, Invitation, Survey, utcnow

BATCH_SIZE = 50
REMINDABLE = (InvitationStatus.SENT, InvitationStatus.OPENED)
CONTACT = {Channel.SMS: "phone", Channel.EMAIL: "email"}


# ---------------------------------------------------------------- time rules


def sms_quiet(moment: datetime, config: Settings) -> bool:
    quiet = QuietHours.parse(config.quiet_hours)
    return quiet is not None and quiet.covers(moment, config)


def backoff(attempts: int, config: Settings) -> timedelta:
    return timedelta(seconds=config.send_backoff_seconds * 2 ** max(attempts - 1, 0))


def rate_per_minute(channel: str, config: Settings) -> int:
    return config.sms_rate_per_minute if channel == Channel.SMS else config.email_rate_per_minute


# ---------------------------------------------------------------- report


class SendOutcome(StrEnum):
    """What one send attempt came to; the run report counts each."""

    SENT = "sent"  # the provider took the message
    RETRYING = "retrying"  # a passing failure: back in the queue after a backoff
    FAILED = "failed"  # refused for good, or out of attempts
    UNCERTAIN = "uncertain"  # may or may not have arrived, on a channel that cannot dedupe: staff decide


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    retrying: int = 0
    uncertain: int = 0
    skipped: int = 0
    recovered: int = 0
    deferred_quiet: int = 0
    unavailable: dict[str, str] = field(default_factory=dict)  # channel -> why it was not used

    def count(self, outcome: SendOutcome) -> None:
        """One more message that came to ``outcome``."""
        if outcome is SendOutcome.SENT:
            self.sent += 1
        elif outcome is SendOutcome.RETRYING:
            self.retrying += 1
        elif outcome is SendOutcome.FAILED:
            self.failed += 1
        else:
            self.uncertain += 1

    def summary(self) -> str:
        parts = [f"sent {self.sent}", f"failed {self.failed}", f"to retry {self.retrying}", f"skipped {self.skipped}"]
        if self.uncertain:
            parts.append(f"needs review {self.uncertain} (outcome unknown; see `survey review`)")
        if self.recovered:
            parts.append(f"recovered {self.recovered} from an interrupted run")
        if self.deferred_quiet:
            parts.append(f"SMS deferred by quiet hours {self.deferred_quiet}")
        return ", ".join(parts) + "".join(f"; {why}" for why in self.unavailable.values())


# ---------------------------------------------------------------- recovery


def recover_stale_claims(db: Session, now: datetime, config: Settings) -> tuple[int, int]:
    """Claims older than the lease belong to a sender that stopped (see the module docstring);
    returns (messages put back in the queue, messages left for staff to review)."""
    stale = now - timedelta(seconds=config.send_lease_seconds)
    reserved = db.exec(
        sa.update(Delivery)
        .where(
            Delivery.status == DeliveryStatus.CLAIMED,
            Delivery.claimed_at < stale,
        )
        .values(status=DeliveryStatus.PENDING, claim_token=None)
    ).rowcount
    resent = db.exec(
        sa.update(Delivery)
        .where(
            Delivery.status == DeliveryStatus.SENDING,
            Delivery.claimed_at < stale,
            Delivery.channel.in_(DEDUPING_CHANNELS),
        )
        .values(
            status=DeliveryStatus.PENDING,
            claim_token=None,
            next_attempt_at=now,
            last_error="resent after an interrupted send (same idempotency key: the gateway dedupes)",
        )
    ).rowcount
    review = db.exec(
        sa.update(Delivery)
        .where(
            Delivery.status == DeliveryStatus.SENDING,
            Delivery.claimed_at < stale,
            Delivery.channel.not_in(DEDUPING_CHANNELS),
        )
        .values(
            status=DeliveryStatus.UNCERTAIN,
            last_error="the sender stopped while handing this message over: it may have been delivered",
        )
    ).rowcount
    return reserved + resent, review


def resolve_uncertain(db: Session, delivery_id: int, *, delivered: bool, actor=None) -> None:
    """Staff decide an uncertain message: it arrived (mark sent) or it did not (send again)."""
    delivery = db.get(Delivery, delivery_id)
    if delivery is None or delivery.status != DeliveryStatus.UNCERTAIN:
        raise Refused(key="errors.distribution.not_uncertain", delivery_id=delivery_id)
    now = utcnow()
    if delivered:
        _record_sent(db, delivery, now, provider_id=None, note="marked delivered by staff")
    else:
        delivery.status, delivery.claim_token, delivery.next_attempt_at = DeliveryStatus.PENDING, None, now
        delivery.last_error = "sent again on staff request"
        db.add(delivery)
    record(db, actor, "delivery.resolve", "delivery", delivery_id, {"delivered": delivered})


def uncertain_deliveries(db: Session, campaign_id: int | None = None) -> list[Delivery]:
    query = sa.select(Delivery).where(Delivery.status == DeliveryStatus.UNCERTAIN).order_by(Delivery.id)
    if campaign_id is not None:
        query = query.where(Delivery.campaign_id == campaign_id)
    return list(db.exec(query).scalars())


# ---------------------------------------------------------------- claiming


@dataclass(frozen=True)
class Claimed:
    delivery_id: int
    claim_token: str
    channel: str
    sequence: int
    invitation_id: int
    attempts: int  # including this one
    message: OutgoingMessage


def _budget(db: Session, channel: str, now: datetime, config: Settings) -> int:
    """Messages this channel may still start in the current minute, counting every sender."""
    started = db.exec(
        sa.select(sa.func.count())
        .select_from(Delivery)
        .where(
            Delivery.channel == channel,
            Delivery.claimed_at > now - timedelta(minutes=1),
            Delivery.status != DeliveryStatus.PENDING,
        )
    ).scalar_one()
    return max(rate_per_minute(channel, config) - started, 0)


def _due(channel: str, now: datetime, campaign_id: int | None):
    query = sa.select(Delivery.id).where(
        Delivery.status == DeliveryStatus.PENDING, Delivery.next_attempt_at <= now, Delivery.channel == channel
    )
    return query.where(Delivery.campaign_id == campaign_id) if campaign_id is not None else query


def channels_with_work(db: Session, campaign_id: int | None) -> list[str]:
    """Channels with pending messages (due now or later: quiet hours and retries included)."""
    query = sa.select(Delivery.channel).where(Delivery.status == DeliveryStatus.PENDING).distinct()
    if campaign_id is not None:
        query = query.where(Delivery.campaign_id == campaign_id)
    return sorted(db.exec(query).scalars())


def count_due(db: Session, channels, now: datetime, campaign_id: int | None = None) -> int:
    total = 0
    for channel in channels:
        inner = _due(channel, now, campaign_id).subquery()
        total += db.exec(sa.select(sa.func.count()).select_from(inner)).scalar_one()
    return total


def claim_batch(
    db: Session, budgets: dict[str, int], now: datetime, campaign_id: int | None, worker: str
) -> str | None:
    """Reserve up to each channel's budget of due messages; returns the claim token (None: nothing)."""
    ids: list[int] = []
    for channel, budget in budgets.items():
        if budget > 0:
            query = _due(channel, now, campaign_id).order_by(Delivery.next_attempt_at, Delivery.id)
            ids += db.exec(query.limit(budget).with_for_update(skip_locked=True)).scalars().all()
    if not ids:
        return None
    token = uuid.uuid4().hex
    claimed = db.exec(
        sa.update(Delivery)
        .where(Delivery.id.in_(ids), Delivery.status == DeliveryStatus.PENDING)
        .values(
            status=DeliveryStatus.CLAIMED,
            claim_token=token,
            claimed_at=now,
            claimed_by=worker,
            attempts=Delivery.attempts + 1,
        )
    ).rowcount
    return token if claimed else None


def _skip_reason(row, now: datetime) -> str | None:
    if row.opted_out:
        return "the customer opted out"
    if row.expires_at is not None and row.expires_at <= now:
        return "the invitation expired"
    if row.sequence == 0 and row.inv_status != InvitationStatus.QUEUED:
        return f"the invitation is {row.inv_status}"
    if row.sequence > 0 and row.inv_status not in REMINDABLE:
        return f"no reminder: the invitation is {row.inv_status}"
    return None


@dataclass
class Batch:
    ready: list[Claimed] = field(default_factory=list)
    skipped: int = 0
    failed: int = 0


def prepare_claimed(db: Session, token: str, now: datetime) -> Batch:
    """Render the claimed messages; skip (and record why) those that must not go out any more."""
    rows = db.exec(
        sa.select(
            Delivery.id,
            Delivery.channel,
            Delivery.sequence,
            Delivery.idempotency_key,
            Delivery.attempts,
            Delivery.invitation_id,
            Invitation.status.label("inv_status"),
            Invitation.token,
            Invitation.language,
            Invitation.expires_at,
            Customer.name,
            Customer.phone,
            Customer.email,
            Customer.opted_out,
            Customer.opted_out_at,
            Campaign.messages,
            Survey.name_zh,
            Survey.name_en,
        )
        .join(Invitation, Invitation.id == Delivery.invitation_id)
        .join(Customer, Customer.id == Invitation.customer_id)
        .join(Campaign, Campaign.id == Delivery.campaign_id)
        .join(Survey, Survey.id == Campaign.survey_id)
        .where(Delivery.claim_token == token, Delivery.status == DeliveryStatus.CLAIMED)
        .order_by(Delivery.next_attempt_at, Delivery.id)
    ).all()
    batch = Batch()
    for row in rows:
        reason = _skip_reason(row, now)
        contact = getattr(row, CONTACT[row.channel])
        if reason is not None:
            _skip(db, row, token, reason, now)
            batch.skipped += 1
            continue
        if not contact:
            _record_failure(
                db,
                row.id,
                token,
                row.invitation_id,
                row.sequence,
                row.attempts,
                f"the customer has no {CONTACT[row.channel]}",
                now,
            )
            batch.failed += 1
            continue
        batch.ready.append(
            Claimed(row.id, token, row.channel, row.sequence, row.invitation_id, row.attempts, _message(row, contact))
        )
    return batch


def _message(row, contact: str) -> OutgoingMessage:
    link = personal_link(row.token)
    text, subject = compose(
        row.messages or {},
        "invitation" if row.sequence == 0 else "reminder",
        lang=row.language,
        name=row.name,
        link=link,
        expires=row.expires_at,
        survey_names={"zh-CN": row.name_zh, "en": row.name_en},
    )
    return OutgoingMessage(
        idempotency_key=row.idempotency_key,
        to=contact,
        text=text,
        subject=subject,
        link=link,
        language=normalise_language(row.language),
    )


def _skip(db: Session, row, token: str, reason: str, now: datetime) -> None:
    _finish(db, row.id, token, DeliveryStatus.SKIPPED, now, error=reason)
    if row.opted_out and row.inv_status in (InvitationStatus.QUEUED, *REMINDABLE):
        db.exec(
            sa.update(Invitation)
            .where(Invitation.id == row.invitation_id)
            .values(status=InvitationStatus.OPTED_OUT, opted_out_at=row.opted_out_at or now)
        )


# ---------------------------------------------------------------- finishing


def _finish(
    db: Session,
    delivery_id: int,
    token: str,
    status: str,
    now: datetime,
    *,
    error: str | None = None,
    next_attempt_at: datetime | None = None,
    provider_id: str | None = None,
) -> bool:
    values = {"status": status, "last_error": error}
    if status == DeliveryStatus.SENT:
        values |= {"sent_at": now, "provider_id": provider_id}
    if next_attempt_at is not None:
        values |= {"next_attempt_at": next_attempt_at, "claim_token": None}
    return (
        db.exec(
            sa.update(Delivery).where(Delivery.id == delivery_id, Delivery.claim_token == token).values(**values)
        ).rowcount
        == 1
    )


def mark_sending(db: Session, item: Claimed) -> bool:
    """The last commit before the message leaves: only the claim holder can make it."""
    return (
        db.exec(
            sa.update(Delivery)
            .where(
                Delivery.id == item.delivery_id,
                Delivery.claim_token == item.claim_token,
                Delivery.status == DeliveryStatus.CLAIMED,
            )
            .values(status=DeliveryStatus.SENDING)
        ).rowcount
        == 1
    )


def _record_sent(db: Session, delivery: Delivery, now: datetime, *, provider_id: str | None, note: str | None) -> None:
    delivery.status, delivery.sent_at, delivery.provider_id, delivery.last_error = (
        DeliveryStatus.SENT,
        now,
        provider_id,
        note,
    )
    db.add(delivery)
    _mirror_sent(db, delivery.invitation_id, delivery.sequence, delivery.attempts, now)


def _mirror_sent(db: Session, invitation_id: int, sequence: int, attempts: int, now: datetime) -> None:
    if sequence == 0:
        db.exec(
            sa.update(Invitation)
            .where(
                Invitation.id == invitation_id,
                Invitation.status.in_((InvitationStatus.QUEUED, InvitationStatus.FAILED)),
            )
            .values(status=InvitationStatus.SENT, sent_at=now, attempts=attempts, last_error=None, next_attempt_at=None)
        )
    else:
        db.exec(
            sa.update(Invitation)
            .where(Invitation.id == invitation_id, Invitation.reminder_count < sequence)
            .values(reminder_count=sequence, last_reminded_at=now)
        )


def record_outcome(
    item: Claimed, outcome: SendOutcome, detail: str | None, provider_id: str | None, config: Settings, now: datetime
) -> SendOutcome:
    """Commit the result of one send; returns the outcome recorded (a retry out of attempts fails)."""
    attempts_so_far = item.attempts
    with database.session() as db:
        if outcome is SendOutcome.SENT:
            if _finish(db, item.delivery_id, item.claim_token, DeliveryStatus.SENT, now, provider_id=provider_id):
                _mirror_sent(db, item.invitation_id, item.sequence, attempts_so_far, now)
            return SendOutcome.SENT
        if outcome is SendOutcome.UNCERTAIN:
            _finish(db, item.delivery_id, item.claim_token, DeliveryStatus.UNCERTAIN, now, error=detail)
            return SendOutcome.UNCERTAIN
        if outcome is SendOutcome.RETRYING and attempts_so_far < config.send_max_attempts:
            retry_at = now + backoff(attempts_so_far, config)
            _finish(
                db,
                item.delivery_id,
                item.claim_token,
                DeliveryStatus.PENDING,
                now,
                error=detail,
                next_attempt_at=retry_at,
            )
            if item.sequence == 0:
                db.exec(
                    sa.update(Invitation)
                    .where(Invitation.id == item.invitation_id)
                    .values(attempts=attempts_so_far, last_error=detail, next_attempt_at=retry_at)
                )
            return SendOutcome.RETRYING
        _record_failure(
            db, item.delivery_id, item.claim_token, item.invitation_id, item.sequence, attempts_so_far, detail, now
        )
        return SendOutcome.FAILED


def _record_failure(
    db: Session,
    delivery_id: int,
    token: str,
    invitation_id: int,
    sequence: int,
    attempts: int,
    detail: str | None,
    now: datetime,
) -> None:
    """A message that will not go: the delivery fails, and a first message fails its invitation."""
    _finish(db, delivery_id, token, DeliveryStatus.FAILED, now, error=detail)
    if sequence == 0:
        db.exec(
            sa.update(Invitation)
            .where(
                Invitation.id == invitation_id,
                Invitation.status == InvitationStatus.QUEUED,
            )
            .values(
                status=InvitationStatus.FAILED,
                failed_at=now,
                attempts=attempts,
                last_error=detail,
                next_attempt_at=None,
            )
        )


# ---------------------------------------------------------------- the run


class Timer(Protocol):
    """How a run measures elapsed time and waits (pacing, a spent budget, ``max_seconds``).

    Tests pass a timer whose ``sleep`` only moves its own clock forward, so rate limits are
    checked exactly and instantly."""

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemTimer:
    """The operating system's monotonic clock and sleep."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class Pacer:
    """Spaces sends of one channel evenly, so a gateway's per-second limit is not hit in bursts.

    Rates under one a second are left to the per-minute budget alone (a few messages at the
    start of a minute harm no gateway, and spacing them would only slow a run down)."""

    def __init__(self, per_minute: int, timer: Timer):
        self.interval = 60.0 / per_minute if per_minute >= 60 else 0.0
        self.next_at = 0.0
        self.timer = timer

    def wait(self) -> None:
        now = self.timer.monotonic()
        if self.next_at > now:
            self.timer.sleep(self.next_at - now)
        self.next_at = max(now, self.next_at) + self.interval


@dataclass
class _Senders:
    config: Settings
    timer: Timer
    adapters: dict[str, SmtpChannel | SmsGateway] = field(default_factory=dict)
    pacers: dict[str, Pacer] = field(default_factory=dict)

    def usable(self, report: SendReport, wanted: list[str]) -> list[str]:
        """The wanted channels that are configured; the others are named in the report."""
        channels = []
        for channel in wanted:
            try:
                if channel not in self.adapters:
                    self.adapters[channel] = adapter_for(channel, self.config)
                    self.pacers[channel] = Pacer(rate_per_minute(channel, self.config), self.timer)
                channels.append(channel)
            except ChannelNotConfigured as exc:
                report.unavailable[channel] = str(exc)
        return channels

    def close(self) -> None:
        for adapter in self.adapters.values():
            adapter.close()


def send_one(item: Claimed, senders: _Senders, report: SendReport, clock: Callable[[], datetime]) -> None:
    with database.session() as db:
        if not mark_sending(db, item):
            return  # a recovering sender took it over: it is theirs now
    senders.pacers[item.channel].wait()
    adapter = senders.adapters[item.channel]
    provider_id = detail = None
    try:
        provider_id, outcome = adapter.send(item.message), SendOutcome.SENT
    except SendError as exc:
        outcome, detail = (SendOutcome.FAILED if exc.permanent else SendOutcome.RETRYING), str(exc)
        if exc.channel_down:
            report.unavailable[item.channel] = f"{item.channel} stopped for this run: {exc}"
    except OutcomeUnknown as exc:
        outcome, detail = (SendOutcome.RETRYING if adapter.dedupes else SendOutcome.UNCERTAIN), str(exc)
    report.count(record_outcome(item, outcome, detail, provider_id, senders.config, clock()))


def run_queue(
    *,
    campaign_id: int | None = None,
    max_messages: int | None = None,
    max_seconds: float | None = None,
    progress: Callable[[int, int], None] | None = None,
    clock: Callable[[], datetime] = utcnow,
    actor=None,
    timer: Timer | None = None,
) -> SendReport:
    """Send what is due (optionally one campaign's), until the queue is empty or a limit is hit.

    ``progress(done, total)`` is called after each message (total: what was due at the start).
    A run that sent or failed anything is recorded in the audit log (``actor``: who started it).
    ``clock`` gives the time of day (quiet hours, budgets, leases); ``timer`` measures and waits.
    """
    config = settings()
    report = SendReport()
    timer = timer or SystemTimer()
    senders = _Senders(config, timer)
    worker = f"{socket.gethostname()}:{os.getpid()}"
    began = timer.monotonic()
    done = 0
    try:
        with database.session() as db:
            requeued, report.uncertain = recover_stale_claims(db, clock(), config)
            report.recovered = requeued + report.uncertain
            withdraw_full_strata(db, clock())
        with database.session() as db:
            channels = senders.usable(report, channels_with_work(db, campaign_id))
        total = count_due_now(_open_channels(channels, clock(), config), clock, campaign_id)
        while max_messages is None or done < max_messages:
            active = _open_channels([c for c in channels if c not in report.unavailable], clock(), config)
            if not active or (max_seconds is not None and timer.monotonic() - began > max_seconds):
                break
            limit = BATCH_SIZE if max_messages is None else min(BATCH_SIZE, max_messages - done)
            with database.session() as db:
                now = clock()
                budgets = {c: min(limit, _budget(db, c, now, config)) for c in active}
                token = claim_batch(db, budgets, now, campaign_id, worker)
            if token is None:
                spent = [c for c, budget in budgets.items() if budget == 0]
                if spent and count_due_now(spent, clock, campaign_id):
                    timer.sleep(1.0)  # the channel's budget for this minute is spent: wait for it
                    continue
                break
            with database.session() as db:
                batch = prepare_claimed(db, token, clock())
            report.skipped += batch.skipped
            report.failed += batch.failed
            for item in batch.ready:
                if item.channel in report.unavailable:
                    _release(item)
                    continue
                send_one(item, senders, report, clock)
                done += 1
                if progress:
                    progress(done, max(total, done))
        if Channel.SMS in channels and sms_quiet(clock(), config):
            report.deferred_quiet = count_due_now([Channel.SMS], clock, campaign_id)
    finally:
        senders.close()
    if report.sent or report.failed:
        with database.session() as db:
            record(
                db,
                actor,
                "campaign.send",
                "campaign",
                campaign_id,
                {"sent": report.sent, "failed": report.failed, "retrying": report.retrying},
            )
    return report


def _open_channels(channels: list[str], now: datetime, config: Settings) -> list[str]:
    """The channels allowed to send now (no SMS during quiet hours)."""
    return [c for c in channels if not (c == Channel.SMS and sms_quiet(now, config))]


def count_due_now(channels, clock: Callable[[], datetime], campaign_id: int | None) -> int:
    with database.session() as db:
        return count_due(db, channels, clock(), campaign_id)


def _release(item: Claimed) -> None:
    """Give back a reserved message when its channel went down mid-batch (not an attempt)."""
    with database.session() as db:
        db.exec(
            sa.update(Delivery)
            .where(
                Delivery.id == item.delivery_id,
                Delivery.claim_token == item.claim_token,
                Delivery.status == DeliveryStatus.CLAIMED,
            )
            .values(status=DeliveryStatus.PENDING, claim_token=None, attempts=Delivery.attempts - 1)
        )


# ---------------------------------------------------------------- progress


def campaign_progress(db: Session, campaign_id: int) -> dict[str, int]:
    """First messages of a campaign by delivery status (for the progress bar)."""
    rows = db.exec(
        sa.select(Delivery.status, sa.func.count())
        .where(Delivery.campaign_id == campaign_id, Delivery.sequence == 0)
        .group_by(Delivery.status)
    ).all()
    counts = {status.value: 0 for status in DeliveryStatus}
    counts.update({status: n for status, n in rows})
    return counts
