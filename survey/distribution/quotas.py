"""Quotas: stop inviting a stratum once it has the completes it needs.

A campaign's ``sampling["quotas"]`` maps a stratum label (e.g. ``"gold|Hangzhou"``) to the
completes wanted. When a stratum reaches its quota, its unsent invitations are withdrawn
(marked expired, with the reason) and its pending messages and reminders are skipped, so
no more customers of that stratum are asked. Invitations already out stay answerable.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from survey.core.vocab import InvitationStatus
from survey.distribution.campaigns import CampaignStatus
from survey.models import Campaign, Delivery, DeliveryStatus, Invitation

QUOTA_MET = "quota met for this stratum"


def completes_by_stratum(db: Session, campaign_id: int) -> dict[str, int]:
    rows = db.exec(
        sa.select(Invitation.stratum, sa.func.count())
        .where(
            Invitation.campaign_id == campaign_id,
            Invitation.status == InvitationStatus.COMPLETED,
            Invitation.stratum.is_not(None),
        )
        .group_by(Invitation.stratum)
    ).all()
    return dict(rows)


def full_strata(db: Session, campaign: Campaign) -> list[str]:
    quotas = (campaign.sampling or {}).get("quotas") or {}
    done = completes_by_stratum(db, campaign.id) if quotas else {}
    return [stratum for stratum, wanted in quotas.items() if done.get(stratum, 0) >= int(wanted)]


def withdraw_full_strata(db: Session, now: datetime) -> int:
    """Withdraw what is still unsent in every full stratum; returns the invitations withdrawn."""
    withdrawn = 0
    for campaign in db.exec(sa.select(Campaign).where(Campaign.status == CampaignStatus.SENDING)).scalars():
        strata = full_strata(db, campaign)
        if not strata:
            continue
        in_full = sa.select(Invitation.id).where(Invitation.campaign_id == campaign.id, Invitation.stratum.in_(strata))
        db.exec(
            sa.update(Delivery)
            .where(
                Delivery.invitation_id.in_(in_full),
                Delivery.status == DeliveryStatus.PENDING,
            )
            .values(status=DeliveryStatus.SKIPPED, last_error=QUOTA_MET)
        )
        withdrawn += db.exec(
            sa.update(Invitation)
            .where(
                Invitation.campaign_id == campaign.id,
                Invitation.stratum.in_(strata),
                Invitation.status == InvitationStatus.QUEUED,
            )
            .values(status=InvitationStatus.EXPIRED, expires_at=now, last_error=QUOTA_MET)
        ).rowcount
    return withdrawn
