"""The export channel: a CSV of phone, name, link and message text for the operator's own SMS
platform. Exporting hands the invitations over, so they count as sent from then on; a later
export of the same campaign brings only invitations not handed over yet, unless asked for all.
Written through survey.core.tabular: a customer's name that looks like a formula stays text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from survey.core.audit import record
from survey.core.errors import Refused
from survey.core.links import personal_link
from survey.core.tabular import csv_text
from survey.core.vocab import Channel, InvitationStatus
from survey.distribution.messages import compose
from survey.models import Campaign, Customer, Invitation, Survey, utcnow

COLUMNS = ("external_id", "name", "phone", "language", "link", "message")


@dataclass(frozen=True)
class ExportFile:
    text: str  # CSV with a BOM, so Excel opens the Chinese correctly
    rows: int
    handed_over: int  # invitations that moved from queued to sent with this export


def export_campaign(
    db: Session, campaign_id: int, *, everything: bool = False, actor=None, now: datetime | None = None
) -> ExportFile:
    now = now or utcnow()
    campaign = db.get(Campaign, campaign_id)
    if campaign is None:
        raise Refused(key="errors.distribution.no_campaign", campaign_id=campaign_id)
    if campaign.channel != Channel.EXPORT:
        raise Refused(key="errors.distribution.not_export_campaign", campaign_id=campaign_id, channel=campaign.channel)
    survey = db.get(Survey, campaign.survey_id)
    names = {"zh-CN": survey.name_zh, "en": survey.name_en}
    statuses = (
        (InvitationStatus.QUEUED, InvitationStatus.SENT, InvitationStatus.OPENED)
        if everything
        else (InvitationStatus.QUEUED,)
    )
    rows = db.exec(
        sa.select(
            Invitation.id,
            Invitation.token,
            Invitation.language,
            Invitation.expires_at,
            Invitation.status,
            Customer.external_id,
            Customer.name,
            Customer.phone,
        )
        .join(Customer, Customer.id == Invitation.customer_id)
        .where(Invitation.campaign_id == campaign_id, Invitation.status.in_(statuses), Customer.opted_out.is_(False))
        .order_by(Invitation.id)
    ).all()
    lines = []
    for row in rows:
        link = personal_link(row.token)
        text, _ = compose(
            campaign.messages or {},
            "invitation",
            lang=row.language,
            name=row.name,
            survey_names=names,
            link=link,
            expires=row.expires_at,
        )
        lines.append((row.external_id, row.name or "", row.phone or "", row.language, link, text))
    queued = [row.id for row in rows if row.status == InvitationStatus.QUEUED]
    if queued:
        db.exec(
            sa.update(Invitation)
            .where(Invitation.id.in_(queued), Invitation.status == InvitationStatus.QUEUED)
            .values(status=InvitationStatus.SENT, sent_at=now, attempts=1)
        )
    record(db, actor, "campaign.export", "campaign", campaign_id, {"rows": len(rows), "handed_over": len(queued)})
    return ExportFile(csv_text(COLUMNS, lines), len(rows), len(queued))
