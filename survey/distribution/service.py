"""What the distribution pages (campaigns, imports, revisit rules) ask of the domain.

Each function is one unit of work: it opens its own session, calls the domain functions with
plain values and returns plain results (frozen dataclasses, lists, DataFrames) that stay valid
after the session closed. Actions taken for a staff member take their id as ``actor_id`` and
are audited under that account.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from sqlalchemy.exc import IntegrityError

from survey.accounts.auth import acting_user
from survey.core import db as database
from survey.core.config import settings
from survey.distribution import audience as audiences
from survey.distribution import campaigns as campaign_store
from survey.distribution import personal_links, planner, sending, triggers
from survey.distribution.audience import Audience
from survey.distribution.channels import ChannelStatus, channel_status
from survey.distribution.funnel import GroupRate, funnel, nonresponse, response_rates
from survey.distribution.imports import ImportReport, write
from survey.distribution.operator_csv import ExportFile, export_campaign
from survey.distribution.personal_links import LinkOutcome
from survey.distribution.planner import HistoricRate, PlanResult
from survey.distribution.sampling import SamplingPlan
from survey.distribution.sending import SendReport
from survey.distribution.triggers import RuleSpec
from survey.models import DeliveryStatus

# ---------------------------------------------------------------- a new campaign


@dataclass(frozen=True)
class SurveyChoice:
    """A survey that can be sent (it has a published version)."""

    code: str
    names: dict[str, str]  # language -> name


@dataclass(frozen=True)
class Launched:
    campaign_id: int
    invitations: int
    audience: int | None  # None when repeated
    repeated: bool = False  # this launch key had launched it already: nothing new was created
    waits_for_channel: bool = False  # queued until the channel is configured


def launchable_surveys() -> list[SurveyChoice]:
    with database.session() as db:
        return [
            SurveyChoice(s.code, {"zh-CN": s.name_zh, "en": s.name_en}) for s in campaign_store.launchable_surveys(db)
        ]


def audience_options() -> dict[str, list[str]]:
    """The operator's own regions, teams and segments to filter on."""
    with database.session() as db:
        return audiences.filter_options(db)


def audience_size(audience: Audience) -> int:
    """How many customers the audience holds now (after fatigue rules)."""
    with database.session() as db:
        return audiences.count(db, audience)


def historic_rate(audience: Audience) -> HistoricRate:
    """The response rate of similar past invitations, for the planner."""
    with database.session() as db:
        return planner.historic_response_rate(db, audience)


def plan_sample(survey_code: str | None, metric: str, change: float, response_rate: float, audience: int) -> PlanResult:
    """Invitations needed to detect ``change`` points of CSAT or NPS, from the survey's baseline."""
    with database.session() as db:
        if metric == "csat":
            return planner.plan_csat(planner.baseline_csat(db, survey_code), change, response_rate, audience)
        if metric == "nps":
            return planner.plan_nps(*planner.baseline_nps(db, survey_code), change, response_rate, audience)
    raise ValueError(f"unknown planning metric '{metric}'; use csat or nps")


def channel_statuses() -> list[ChannelStatus]:
    """Whether SMS and email can be sent now, and which settings are missing (settings only)."""
    config = settings()
    return [channel_status(channel, config) for channel in campaign_store.SENT_BY_US]


def launch_campaign(
    actor_id: int,
    survey_code: str,
    audience: Audience,
    plan: SamplingPlan,
    channel: str,
    *,
    name: str | None = None,
    expires_days: int = 14,
    remind_after_days: int | None = None,
    max_reminders: int = 0,
    messages: dict | None = None,
    launch_key: str | None = None,
    queue_until_configured: bool = False,
) -> Launched:
    """Create and launch a campaign; nothing is written when it refuses (a SurveyError says why:
    ChannelNotConfigured names the setting). The same ``launch_key`` again, even from two
    clicks at once, returns the first launch (``repeated``) and creates nothing."""
    try:
        with database.session(exclusive=True) as db:  # SQLite: the key is checked and written under one lock
            created = campaign_store.create_campaign(
                db,
                survey_code,
                audience,
                plan,
                channel,
                name=name,
                expires_days=expires_days,
                remind_after_days=remind_after_days,
                max_reminders=max_reminders,
                messages=messages,
                actor=acting_user(db, actor_id),
                launch_key=launch_key,
                queue_until_configured=queue_until_configured,
            )
            return Launched(
                created.campaign.id, created.invitations, created.audience, created.repeated, created.waits_for_channel
            )
    except IntegrityError:
        # The same key committed by a concurrent launch between our check and our insert.
        if launch_key is None or (earlier := campaign_launched_with(launch_key)) is None:
            raise
        return earlier


def campaign_launched_with(launch_key: str) -> Launched | None:
    """The campaign a launch key launched, if it did."""
    with database.session() as db:
        campaign = campaign_store.launched_with(db, launch_key)
        if campaign is None:
            return None
        created = campaign_store.repeated_launch(db, campaign)
        return Launched(campaign.id, created.invitations, None, repeated=True)


# ---------------------------------------------------------------- running campaigns


@dataclass(frozen=True)
class CampaignSummary:
    id: int
    name: str
    channel: str


@dataclass(frozen=True)
class CampaignFigures:
    funnel: dict[str, int]  # stage -> invitations (see funnel.STAGES)
    rates_by_stratum: list[GroupRate]
    nonresponse: pd.DataFrame  # tier x region: delivered, completed, nonresponse_rate


@dataclass(frozen=True)
class UncertainMessage:
    """A message whose send was interrupted: staff decide whether it arrived."""

    delivery_id: int
    last_error: str | None


@dataclass(frozen=True)
class SendStatus:
    progress: dict[str, int]  # first messages by delivery status
    uncertain: list[UncertainMessage]

    @property
    def total(self) -> int:
        return sum(self.progress.values())

    @property
    def done(self) -> int:
        return sum(self.progress[s] for s in (DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.SKIPPED))

    @property
    def waiting(self) -> int:
        return sum(self.progress[s] for s in (DeliveryStatus.PENDING, DeliveryStatus.CLAIMED, DeliveryStatus.SENDING))

    @property
    def sendable(self) -> bool:
        """Something is due or reserved, so running the queue can move it."""
        return bool(self.progress[DeliveryStatus.PENDING] or self.progress[DeliveryStatus.CLAIMED])


def recent_campaigns() -> list[CampaignSummary]:
    """The newest campaigns first."""
    with database.session() as db:
        return [CampaignSummary(c.id, c.name, c.channel) for c in campaign_store.campaigns(db)]


def campaign_figures(campaign_id: int) -> CampaignFigures:
    with database.session() as db:
        return CampaignFigures(
            funnel(db, campaign_id),
            response_rates(db, ("stratum",), campaign_id=campaign_id),
            nonresponse(db, ("tier", "region"), campaign_id=campaign_id),
        )


def send_status(campaign_id: int) -> SendStatus:
    with database.session() as db:
        progress = sending.campaign_progress(db, campaign_id)
        uncertain = [UncertainMessage(d.id, d.last_error) for d in sending.uncertain_deliveries(db, campaign_id)]
    return SendStatus(progress, uncertain)


def send_campaign(
    actor_id: int,
    campaign_id: int,
    *,
    max_seconds: float | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SendReport:
    """Run the campaign's send queue (see ``sending.run_queue``), audited under the actor."""
    with database.session() as db:
        sender = acting_user(db, actor_id)
    return sending.run_queue(campaign_id=campaign_id, max_seconds=max_seconds, progress=progress, actor=sender)


def decide_uncertain_message(actor_id: int, delivery_id: int, *, delivered: bool) -> None:
    """It arrived (count it sent) or it did not (send it again); Refused if it is not waiting."""
    with database.session() as db:
        sending.resolve_uncertain(db, delivery_id, delivered=delivered, actor=acting_user(db, actor_id))


def export_campaign_file(actor_id: int, campaign_id: int, *, everything: bool = False) -> ExportFile:
    """The operator's CSV of an export campaign; exported invitations count as sent from then on."""
    with database.session() as db:
        return export_campaign(db, campaign_id, everything=everything, actor=acting_user(db, actor_id))


# ---------------------------------------------------------------- imports and revisit rules


def import_rows(actor_id: int, report: ImportReport, *, valid_only: bool = False) -> ImportReport:
    """Write a checked import (all or nothing unless ``valid_only``; ImportRejected otherwise)."""
    with database.session() as db:
        return write(db, report, valid_only=valid_only, actor=acting_user(db, actor_id))


def revisit_rules() -> list[RuleSpec]:
    """Every stored revisit rule in its editable form."""
    with database.session() as db:
        return [triggers.spec_of(db, rule) for rule in triggers.rules(db)]


def save_revisit_rule(actor_id: int, spec: RuleSpec) -> RuleSpec:
    """Create the rule, or update the one with the same code; Refused says what is wrong."""
    with database.session() as db:
        return triggers.spec_of(db, triggers.save_rule(db, spec, actor=acting_user(db, actor_id)))


# ---------------------------------------------------------------- a personal link (design page)


@dataclass(frozen=True)
class PersonalLinkMade:
    link: str
    outcome: LinkOutcome  # created, reused (the live one they had) or replaced


def create_personal_link(
    survey_code: str, customer_external_id: str, *, language: str | None = None, actor_id: int
) -> str:
    """The link to hand one customer for a live survey (their live one if they have it);
    ValueError says why not (no such customer, nothing published)."""
    return personal_link(survey_code, customer_external_id, language=language, actor_id=actor_id).link


def personal_link(
    survey_code: str, customer_external_id: str, *, language: str | None = None, replace: bool = False, actor_id: int
) -> PersonalLinkMade:
    """The customer's live link to the survey, or a new one (``replace``: a new one that
    replaces the live one); Refused says why not (no such customer, answered already, ...)."""
    with database.session() as db:
        made = personal_links.personal_link_for(
            db,
            survey_code,
            customer_external_id.strip(),
            language=language or None,
            replace=replace,
            actor=acting_user(db, actor_id),
        )
        return PersonalLinkMade(made.link, made.outcome)
