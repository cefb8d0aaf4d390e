"""Campaigns: pick an audience, sample it, and queue one invitation per sampled customer.

Creating a campaign launches it: in one transaction it writes the campaign, its invitations
(personal 128-bit token, expiry, the customer's language, the channel, the stratum) and, for
channels we send ourselves (SMS, email), one queued ``Delivery`` per invitation for
``survey.distribution.sending``. Phone campaigns wait for agents; export campaigns wait for the file.

Nothing is launched into silence or twice:

- A channel we send on must be configured (``channels.require_configured`` names the missing
  setting), unless the caller explicitly queues the invitations until it is.
- A launch key (made when the launch form is drawn) is stored unique on the campaign: the same
  key again, from a second click, a reload or a resubmitted form, returns the campaign it
  launched and writes nothing.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Session, select

from survey.core.audit import record
from survey.core.bulk import stored_datetime, write_rows
from survey.core.config import settings
from survey.core.errors import Refused
from survey.core.links import new_token
from survey.core.vocab import Channel, InvitationStatus, VersionStatus
from survey.design.definitions import live_version, survey_by_code
from survey.distribution import audience as audiences
from survey.distribution.channels import ChannelNotConfigured, require_configured
from survey.distribution.messages import check_messages, default_messages
from survey.distribution.sampling import SamplingPlan, draw
from survey.models import Campaign, DeliveryStatus, Invitation, Survey, SurveyVersion, utcnow

SENT_BY_US = (Channel.SMS, Channel.EMAIL)


class CampaignStatus(StrEnum):
    SENDING = "sending"
    DONE = "done"


@dataclass(frozen=True)
class InvitationSeed:
    customer_id: int
    event_id: int | None
    language: str
    stratum: str | None = None


@dataclass(frozen=True)
class CampaignCreated:
    campaign: Campaign
    invitations: int
    audience: int | None  # None when ``repeated``: the pool was counted at the first launch
    by_stratum: dict[str, int]
    repeated: bool = False  # the launch key had launched this campaign before: nothing new was written
    waits_for_channel: bool = False  # queued until the channel is configured


def launchable_survey(db: Session, code: str) -> Survey:
    survey = survey_by_code(db, code)
    if survey is None:
        raise Refused(key="errors.distribution.no_survey", code=code)
    if live_version(db, survey) is None:
        raise Refused(key="errors.distribution.survey_unpublished_before_sending", code=code)
    return survey


def check_channel(channel: str) -> Channel:
    try:
        return Channel(channel)
    except ValueError:
        raise Refused(
            key="errors.distribution.unknown_channel", channel=channel, choices=", ".join(c.value for c in Channel)
        ) from None


def launched_with(db: Session, launch_key: str) -> Campaign | None:
    return db.exec(select(Campaign).where(Campaign.launch_key == launch_key)).first()


def repeated_launch(db: Session, campaign: Campaign) -> CampaignCreated:
    """What a launch key already launched, reported again."""
    invitations = db.exec(
        sa.select(sa.func.count(Invitation.id)).where(Invitation.campaign_id == campaign.id)
    ).scalar_one()
    return CampaignCreated(campaign, invitations, None, {}, repeated=True)


def channel_ready(channel: str, *, queue_until_configured: bool) -> bool:
    """True when the platform can send on the channel now (or does not send it itself); False when
    it cannot and the caller chose to queue; ChannelNotConfigured otherwise."""
    try:
        require_configured(channel, settings())
    except ChannelNotConfigured as exc:
        if queue_until_configured:
            return False
        raise ChannelNotConfigured(
            key="errors.distribution.nothing_launched", problem=str(exc), channel=exc.channel, settings=exc.settings
        ) from None
    return True


def create_campaign(
    db: Session,
    survey_code: str,
    audience: audiences.Audience,
    plan: SamplingPlan,
    channel: str,
    *,
    name: str | None = None,
    expires_days: int = 14,
    remind_after_days: int | None = None,
    max_reminders: int = 0,
    messages: dict | None = None,
    actor=None,
    now: datetime | None = None,
    launch_key: str | None = None,
    queue_until_configured: bool = False,
) -> CampaignCreated:
    """Create and launch a campaign (see the module docstring); nothing is written on error.

    ``launch_key``: a key that launched a campaign before returns that one (``repeated``).
    ``queue_until_configured``: on an SMS or email channel that is not configured, queue the
    messages to go out once it is, instead of refusing."""
    now = now or utcnow()
    if launch_key is not None and (earlier := launched_with(db, launch_key)) is not None:
        return repeated_launch(db, earlier)
    channel = check_channel(channel)
    survey = launchable_survey(db, survey_code)
    ready = channel_ready(channel, queue_until_configured=queue_until_configured)
    if expires_days < 1:
        raise Refused(key="errors.distribution.expiry_too_short")
    if max_reminders and not remind_after_days:
        raise Refused(key="errors.distribution.reminder_needs_days")
    messages = messages or default_messages()
    check_messages(messages)
    audience = audiences.Audience(**{**audience.__dict__, "survey_code": survey_code, "channel": channel})
    plan = plan.with_seed()
    pool = audiences.candidates(db, audience, now)
    sampled = draw(pool, plan)
    if not sampled:
        raise Refused(key="errors.distribution.audience_empty")
    campaign = Campaign(
        name=name or f"{survey.name_en} {now.astimezone(settings().timezone):%Y-%m-%d %H:%M} ({channel})",
        survey_id=survey.id,
        version_id=live_version(db, survey).id,
        channel=channel,
        status=CampaignStatus.SENDING,
        audience=audience.record(),
        sampling=plan.record(),
        messages=messages,
        expires_days=expires_days,
        remind_after_days=remind_after_days,
        max_reminders=max_reminders if remind_after_days else 0,
        created_by_id=getattr(actor, "id", None),
        created_at=now,
        launched_at=now,
        launch_key=launch_key,
    )
    db.add(campaign)
    db.flush()
    seeds = [InvitationSeed(c.customer_id, c.event_id, c.language, stratum) for c, stratum in sampled]
    queue_invitations(db, campaign, seeds, now)
    by_stratum = dict(Counter(s.stratum for s in seeds if s.stratum is not None))
    record(
        db,
        actor,
        "campaign.create",
        "campaign",
        campaign.id,
        {
            "survey": survey_code,
            "channel": channel,
            "invitations": len(seeds),
            "audience": len(pool),
            **({} if ready else {"waits_for_channel": True}),
        },
    )
    return CampaignCreated(campaign, len(seeds), len(pool), by_stratum, waits_for_channel=not ready)


INVITATION_COLUMNS = (
    "campaign_id",
    "customer_id",
    "event_id",
    "token",
    "channel",
    "language",
    "status",
    "stratum",
    "expires_at",
    "queued_at",
    "attempts",
    "reminder_count",
    "draft",
)
DELIVERY_COLUMNS = (
    "invitation_id",
    "campaign_id",
    "sequence",
    "channel",
    "idempotency_key",
    "status",
    "attempts",
    "next_attempt_at",
    "created_at",
)


def _bulk(db: Session, table: str, columns: Sequence[str], rows) -> None:
    """Rows straight to the driver (COPY or executemany) in the session's own transaction:
    a 100,000-invitation campaign is written in seconds and still all or nothing."""
    write_rows(db.connection().connection, db.get_bind().dialect.name == "postgresql", table, columns, rows)


def queue_invitations(db: Session, campaign: Campaign, seeds: Sequence[InvitationSeed], now: datetime) -> list[int]:
    """Insert the invitations (and their first delivery, when we send them) in bulk; their ids in order."""
    if not seeds:
        return []
    postgres = db.get_bind().dialect.name == "postgresql"
    expires_at = stored_datetime(now + timedelta(days=campaign.expires_days), postgres)
    queued_at = stored_datetime(now, postgres)
    tokens = [new_token() for _ in seeds]
    newest_before = db.exec(
        sa.select(sa.func.coalesce(sa.func.max(Invitation.id), 0)).where(Invitation.campaign_id == campaign.id)
    ).scalar_one()
    _bulk(
        db,
        "invitation",
        INVITATION_COLUMNS,
        (
            (
                campaign.id,
                seed.customer_id,
                seed.event_id,
                token,
                campaign.channel,
                seed.language,
                InvitationStatus.QUEUED.value,
                seed.stratum,
                expires_at,
                queued_at,
                0,
                0,
                "{}",
            )
            for seed, token in zip(seeds, tokens)
        ),
    )
    by_token = dict(
        db.exec(
            sa.select(Invitation.token, Invitation.id).where(
                Invitation.campaign_id == campaign.id, Invitation.id > newest_before
            )
        ).all()
    )
    ids = [by_token[token] for token in tokens]
    if campaign.channel in SENT_BY_US:
        queue_deliveries(db, [(invitation_id, 0) for invitation_id in ids], campaign.id, campaign.channel, now)
    return ids


def queue_deliveries(
    db: Session, messages: Sequence[tuple[int, int]], campaign_id: int, channel: str, due: datetime
) -> None:
    """Queue (invitation id, sequence) messages; each gets its idempotency key now, before any send."""
    due_at = stored_datetime(due, db.get_bind().dialect.name == "postgresql")
    _bulk(
        db,
        "delivery",
        DELIVERY_COLUMNS,
        (
            (
                invitation_id,
                campaign_id,
                sequence,
                channel,
                uuid.uuid4().hex,
                DeliveryStatus.PENDING.value,
                0,
                due_at,
                due_at,
            )
            for invitation_id, sequence in messages
        ),
    )


def campaigns(db: Session, limit: int = 200) -> list[Campaign]:
    return list(db.exec(select(Campaign).order_by(Campaign.id.desc()).limit(limit)))


def launchable_surveys(db: Session) -> list[Survey]:
    """Surveys with a published version, by code."""
    published = select(SurveyVersion.survey_id).where(SurveyVersion.status == VersionStatus.PUBLISHED)
    return list(db.exec(select(Survey).where(Survey.id.in_(published)).order_by(Survey.code)))
