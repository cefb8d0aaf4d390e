"""The recontact survey: after a case is resolved, one question to the customer ("您对我们的处理
结果满意吗？ / Are you satisfied with how we handled it?") through the distribution channels.

The survey (code ``recontact``) is created from its definition on first use, with a standing
"Recontact" campaign that holds every recontact invitation. Sending one writes an invitation
with a personal link and queues its message in the durable send queue (survey.distribution.sending) by SMS
when the customer has a phone, else by email (a configured channel first); the customer answers
on the usual /s/<token> page. When neither channel the customer can get is configured, sending
is refused with the setting to fill in, unless staff choose to queue it until it is.
``record_answers`` (run by `survey cases run`) writes each answer onto its case: ``recovered``
is "yes, satisfied".
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from survey.cases.workflow import (
    RECONTACT_SURVEY,
    CaseError,
    change_status,
    record_event,
    set_recovered,
)
from survey.core.audit import record
from survey.core.config import settings
from survey.core.links import new_token
from survey.core.vocab import CaseStatus, Channel, InvitationStatus
from survey.design.definitions import create_survey, live_version, survey_by_code
from survey.distribution.campaigns import CampaignStatus, queue_deliveries
from survey.distribution.channels import ChannelNotConfigured, channel_status
from survey.models import (
    Answer,
    Campaign,
    Customer,
    FollowUpCase,
    Invitation,
    Response,
    utcnow,
)

CAMPAIGN_NAME = "Recontact"
QUESTION = "handling_satisfied"
EXPIRES_DAYS = 7


def _t(zh: str, en: str) -> dict[str, str]:
    return {"zh-CN": zh, "en": en}


DEFINITION = {
    "code": RECONTACT_SURVEY,
    "name": _t("问题处理回访", "Follow-up on your issue"),
    "title": _t("您对处理结果满意吗？", "Are you satisfied with how we handled it?"),
    "intro": _t("{name}您好，您反映的问题我们已经处理。", "Hello {name}, we have dealt with the issue you raised."),
    "thanks": _t("感谢您的回复！", "Thank you for letting us know."),
    "questions": [
        {
            "code": QUESTION,
            "type": "yes_no",
            "dimension": "overall",
            "required": True,
            "text": _t("您对我们的处理结果满意吗？", "Are you satisfied with how we handled it?"),
        }
    ],
}
MESSAGES = {
    "invitation": _t(
        "{name}您好，您反映的问题我们已处理，您对处理结果满意吗？请点击回复：{link}",
        "Hello {name}, we have dealt with the issue you raised. Are you satisfied with how we "
        "handled it? Tell us here: {link}",
    ),
    "reminder": _t(
        "{name}您好，您对问题的处理结果满意吗？{expires}前可回复：{link}",
        "Hello {name}, are you satisfied with how we handled your issue? Reply by {expires}: {link}",
    ),
    "subject": _t("您对处理结果满意吗？", "Are you satisfied with how we handled it?"),
}


def recontact_campaign(db: Session) -> Campaign:
    """The standing campaign of recontacts (and its survey), created on first use."""
    survey = survey_by_code(db, RECONTACT_SURVEY) or create_survey(
        db, DEFINITION, publish=True, template=RECONTACT_SURVEY
    )
    campaign = db.execute(
        sa.select(Campaign).where(Campaign.survey_id == survey.id, Campaign.name == CAMPAIGN_NAME)
    ).scalar_one_or_none()
    if campaign is None:
        now = utcnow()
        campaign = Campaign(
            name=CAMPAIGN_NAME,
            survey_id=survey.id,
            version_id=live_version(db, survey).id,
            channel=Channel.SMS,
            status=CampaignStatus.SENDING,
            audience={"kind": "recontact"},
            messages=MESSAGES,
            expires_days=EXPIRES_DAYS,
            created_at=now,
            launched_at=now,
        )
        db.add(campaign)
        db.flush()
    return campaign


class RecontactChannelMissing(ChannelNotConfigured, CaseError):
    """No channel the customer can get is configured: nothing was sent (or resolved)."""


def channel_for(customer: Customer, *, queue_until_configured: bool = False) -> str:
    """SMS when the customer has a phone, else email; a configured one first. When none the
    customer can get is configured: the first of them if ``queue_until_configured`` (its message
    waits in the queue), else RecontactChannelMissing naming its settings."""
    reachable = [
        channel for channel, contact in ((Channel.SMS, customer.phone), (Channel.EMAIL, customer.email)) if contact
    ]
    if not reachable:
        raise CaseError(key="errors.cases.no_contact")
    statuses = [channel_status(channel, settings()) for channel in reachable]
    ready = next((status.channel for status in statuses if status.configured), None)
    if ready is not None or queue_until_configured:
        return ready or reachable[0]
    first = statuses[0]
    raise RecontactChannelMissing(
        f"{first.problem}; the recontact survey was not sent and the case was not resolved",
        channel=first.channel,
        settings=first.missing,
    )


def send_recontact(
    db: Session, case: FollowUpCase, actor, *, now: datetime | None = None, queue_until_configured: bool = False
) -> Invitation:
    """Queue the one-question survey for a resolved case's customer (see ``channel_for``)."""
    now = now or utcnow()
    if case.status != CaseStatus.RESOLVED:
        raise CaseError(key="errors.cases.recontact_after_resolved")
    if case.recontact_invitation_id is not None:
        raise CaseError(key="errors.cases.recontact_sent", case_id=case.id)
    customer = db.get(Customer, case.customer_id) if case.customer_id else None
    if customer is None or customer.erased_at is not None:
        raise CaseError(key="errors.cases.no_customer")
    if customer.opted_out:
        raise CaseError(key="errors.cases.opted_out")
    channel = channel_for(customer, queue_until_configured=queue_until_configured)
    campaign = recontact_campaign(db)
    response = db.get(Response, case.response_id) if case.response_id else None
    invitation = Invitation(
        campaign_id=campaign.id,
        customer_id=customer.id,
        event_id=response.event_id if response else None,
        token=new_token(),
        channel=channel,
        language=customer.language,
        status=InvitationStatus.QUEUED,
        expires_at=now + timedelta(days=campaign.expires_days),
        queued_at=now,
    )
    db.add(invitation)
    db.flush()
    queue_deliveries(db, [(invitation.id, 0)], campaign.id, channel, now)
    case.recontact_invitation_id = invitation.id
    db.add(case)
    record_event(db, case, actor, "recontact", None, channel, f"invitation {invitation.id}", now)
    record(db, actor, "case.recontact_send", "followupcase", case.id, {"invitation": invitation.id, "channel": channel})
    return invitation


def resolve(
    db: Session,
    case_id: int,
    actor,
    root_cause: str,
    *,
    note: str = "",
    recontact: bool = False,
    now: datetime | None = None,
    queue_until_configured: bool = False,
) -> FollowUpCase:
    """Resolve a case with its root cause and, if asked, send the recontact survey (both or neither)."""
    case = change_status(db, case_id, CaseStatus.RESOLVED, actor, note=note, root_cause=root_cause, now=now)
    if recontact:
        send_recontact(db, case, actor, now=now, queue_until_configured=queue_until_configured)
    return case


def record_answers(db: Session, *, now: datetime | None = None) -> int:
    """Write the recontact answers that arrived onto their cases; returns how many."""
    now = now or utcnow()
    rows = db.execute(
        sa.select(FollowUpCase, Answer.value_num)
        .join(Response, Response.invitation_id == FollowUpCase.recontact_invitation_id)
        .join(Answer, sa.and_(Answer.response_id == Response.id, Answer.question_code == QUESTION))
        .where(FollowUpCase.recovered.is_(None), FollowUpCase.status == CaseStatus.RESOLVED)
        .with_for_update(of=FollowUpCase)
    ).all()
    for case, value in rows:
        set_recovered(db, case, value == 1, None, "recontact survey", now)
    return len(rows)


def recontact_state(db: Session, invitation_id: int | None) -> str | None:
    """The recontact invitation's status (queued, sent, completed, expired ...)."""
    if invitation_id is None:
        return None
    return db.execute(sa.select(Invitation.status).where(Invitation.id == invitation_id)).scalar_one_or_none()
