"""A personal link for one customer, made by hand (`survey link`, or the design page) rather
than by a campaign: for a customer who asks, a test, or a link an agent reads out.

Every invitation belongs to a campaign, so each survey gets one standing "ad-hoc links"
campaign (channel export: someone other than us hands the link over).

Asking again for the same customer, survey and service event gives the live link back (or,
with ``replace``, a new one that replaces it): never two live links, and never a link about
an event the customer has answered already (``survey.distribution.live_links``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from sqlmodel import Session, select

from survey.collect.responses import event_answered
from survey.core.audit import record
from survey.core.errors import Refused
from survey.core.i18n import LANGUAGES
from survey.core.links import new_token, personal_link
from survey.core.vocab import Channel, InvitationStatus
from survey.design.definitions import live_version, survey_by_code
from survey.distribution import live_links
from survey.distribution.campaigns import CampaignStatus
from survey.distribution.triggers import lock_row
from survey.models import Campaign, Customer, Invitation, ServiceEvent, Survey, utcnow

ADHOC_CAMPAIGN = "Ad-hoc links"
ADHOC_EXPIRES_DAYS = 14


class LinkOutcome(StrEnum):
    CREATED = "created"  # the customer had no live link about this event
    REUSED = "reused"  # the live link they already have
    REPLACED = "replaced"  # a new link; the one they had now says "this link was replaced"


@dataclass(frozen=True)
class PersonalLink:
    invitation: Invitation
    link: str
    outcome: LinkOutcome


def create_personal_link(
    db: Session,
    survey_code: str,
    customer_external_id: str,
    *,
    language: str | None = None,
    event_ticket: str | None = None,
    actor=None,
) -> tuple[Invitation, str]:
    """The customer's live invitation and its link (base address: SURVEY_BASE_URL): the one
    they have about this event, else a new one (see ``personal_link_for``)."""
    made = personal_link_for(
        db, survey_code, customer_external_id, language=language, event_ticket=event_ticket, actor=actor
    )
    return made.invitation, made.link


def personal_link_for(
    db: Session,
    survey_code: str,
    customer_external_id: str,
    *,
    language: str | None = None,
    event_ticket: str | None = None,
    replace: bool = False,
    actor=None,
) -> PersonalLink:
    """The customer's link to the survey about the event: the live one they have (``replace``:
    a new one that replaces it), else a new one. Refused when they have answered already."""
    survey = survey_by_code(db, survey_code)
    if survey is None:
        raise Refused(key="errors.distribution.no_survey", code=survey_code)
    if live_version(db, survey) is None:
        raise Refused(key="errors.distribution.survey_unpublished", code=survey_code)
    customer = db.exec(select(Customer).where(Customer.external_id == customer_external_id)).first()
    if customer is None or customer.erased_at is not None:
        raise Refused(key="errors.distribution.no_customer", external_id=customer_external_id)
    if language is not None and language not in LANGUAGES:
        raise Refused(key="errors.distribution.language_choice", choices=", ".join(LANGUAGES))
    event = _event(db, customer, event_ticket)
    lock_row(db, Customer, customer.id)  # two requests at once for this customer take turns
    now = utcnow()
    event_id = event.id if event else None
    if event_answered(db, survey.id, customer.id, event_id):
        raise Refused(key="errors.distribution.already_answered", customer=customer_external_id, code=survey_code)
    live = live_links.live_invitation(db, survey.id, customer.id, event_id, now)
    if live is not None and not replace:
        return PersonalLink(live, personal_link(live.token), LinkOutcome.REUSED)
    if live is not None:
        live_links.supersede(db, live, actor=actor, now=now)
    campaign = adhoc_campaign(db, survey)
    invitation = Invitation(
        campaign_id=campaign.id,
        customer_id=customer.id,
        event_id=event.id if event else None,
        token=new_token(),
        channel=Channel.EXPORT,
        language=language or customer.language,
        status=InvitationStatus.SENT,
        expires_at=now + timedelta(days=campaign.expires_days),
        queued_at=now,
        sent_at=now,
        attempts=1,
    )
    db.add(invitation)
    db.flush()
    record(
        db,
        actor,
        "invitation.personal_link",
        "invitation",
        invitation.id,
        {
            "survey": survey_code,
            "customer": customer_external_id,
            **({"replaces": live.id} if live is not None else {}),
        },
    )
    return PersonalLink(
        invitation, personal_link(invitation.token), LinkOutcome.REPLACED if live is not None else LinkOutcome.CREATED
    )


def adhoc_campaign(db: Session, survey: Survey) -> Campaign:
    campaign = db.exec(select(Campaign).where(Campaign.survey_id == survey.id, Campaign.name == ADHOC_CAMPAIGN)).first()
    if campaign is None:
        now = utcnow()
        campaign = Campaign(
            name=ADHOC_CAMPAIGN,
            survey_id=survey.id,
            version_id=live_version(db, survey).id,
            channel=Channel.EXPORT,
            status=CampaignStatus.SENDING,
            audience={"kind": "ad_hoc"},
            expires_days=ADHOC_EXPIRES_DAYS,
            created_at=now,
            launched_at=now,
        )
        db.add(campaign)
        db.flush()
    return campaign


def _event(db: Session, customer: Customer, ticket: str | None) -> ServiceEvent | None:
    if ticket is None:
        return None
    event = db.exec(select(ServiceEvent).where(ServiceEvent.external_ticket_id == ticket)).first()
    if event is None or event.customer_id != customer.id:
        raise Refused(key="errors.distribution.no_event", customer=customer.external_id, ticket=ticket)
    return event
