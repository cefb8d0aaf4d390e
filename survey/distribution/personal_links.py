"""A personal link for one customer, made by hand (`survey link`, or the design page) rather
than by a campaign: for a customer who asks, a test, or a link an agent reads out.

Every invitation belongs to a campaign, so each survey gets one standing "ad-hoc links"
campaign (channel export: someone other than us hands the link over).
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from survey.core.audit import record
from survey.distribution.campaigns import CampaignStatus
from survey.design.definitions import live_version, survey_by_code
from survey.core.i18n import LANGUAGES
from survey.core.links import new_token, personal_link
from survey.models import Campaign, Customer, Invitation, ServiceEvent, Survey, utcnow
from survey.core.vocab import Channel, InvitationStatus

ADHOC_CAMPAIGN = "Ad-hoc links"
ADHOC_EXPIRES_DAYS = 14


def create_personal_link(db: Session, survey_code: str, customer_external_id: str, *, language: str | None = None,
                         event_ticket: str | None = None, actor=None) -> tuple[Invitation, str]:
    """A new invitation for the customer and its link (base address: SURVEY_BASE_URL)."""
    survey = survey_by_code(db, survey_code)
    if survey is None:
        raise ValueError(f"no survey with code '{survey_code}'")
    if live_version(db, survey) is None:
        raise ValueError(f"survey '{survey_code}' has no published version; publish it first")
    customer = db.exec(select(Customer).where(Customer.external_id == customer_external_id)).first()
    if customer is None or customer.erased_at is not None:
        raise ValueError(f"no customer with external id '{customer_external_id}'")
    if language is not None and language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
    event = _event(db, customer, event_ticket)
    now = utcnow()
    campaign = adhoc_campaign(db, survey)
    invitation = Invitation(
        campaign_id=campaign.id, customer_id=customer.id, event_id=event.id if event else None, token=new_token(),
        channel=Channel.EXPORT, language=language or customer.language, status=InvitationStatus.SENT,
        expires_at=now + timedelta(days=campaign.expires_days), queued_at=now, sent_at=now, attempts=1,
    )
    db.add(invitation)
    db.flush()
    record(db, actor, "invitation.personal_link", "invitation", invitation.id,
           {"survey": survey_code, "customer": customer_external_id})
    return invitation, personal_link(invitation.token)


def adhoc_campaign(db: Session, survey: Survey) -> Campaign:
    campaign = db.exec(select(Campaign).where(Campaign.survey_id == survey.id, Campaign.name == ADHOC_CAMPAIGN)).first()
    if campaign is None:
        now = utcnow()
        campaign = Campaign(name=ADHOC_CAMPAIGN, survey_id=survey.id, version_id=live_version(db, survey).id,
                            channel=Channel.EXPORT, status=CampaignStatus.SENDING, audience={"kind": "ad_hoc"},
                            expires_days=ADHOC_EXPIRES_DAYS, created_at=now, launched_at=now)
        db.add(campaign)
        db.flush()
    return campaign


def _event(db: Session, customer: Customer, ticket: str | None) -> ServiceEvent | None:
    if ticket is None:
        return None
    event = db.exec(select(ServiceEvent).where(ServiceEvent.external_ticket_id == ticket)).first()
    if event is None or event.customer_id != customer.id:
        raise ValueError(f"customer '{customer.external_id}' has no service event with ticket '{ticket}'")
    return event
