"""Where invitations go: the funnel of a campaign, response rates by stratum with Wilson
intervals, and non-response by tier and region (the input for weighting).

Response rate = completed / delivered, where delivered means sent and not failed: customers
who never got the message are not non-respondents. Tier, region and segment are the
customer's current values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from stats import compare
from survey.core.errors import Refused
from survey.core.vocab import InvitationStatus
from survey.models import Campaign, Customer, Invitation, Survey

STAGES = ("invited", "sent", "failed", "opened", "started", "completed", "expired", "opted_out")
GROUP_COLUMNS = {
    "stratum": Invitation.stratum,
    "tier": Customer.tier,
    "region": Customer.region,
    "segment": Customer.segment,
    "channel": Invitation.channel,
    "language": Invitation.language,
}


def _is(status: InvitationStatus):
    return sa.func.sum(sa.case((Invitation.status == status, 1), else_=0))


def funnel(db: Session, campaign_id: int) -> dict[str, int]:
    """Invited, sent, failed, opened, started, completed, expired, opted out (and still queued)."""
    row = db.exec(
        sa.select(
            sa.func.count(Invitation.id),
            sa.func.count(Invitation.sent_at),
            _is(InvitationStatus.FAILED),
            sa.func.count(Invitation.opened_at),
            sa.func.count(Invitation.started_at),
            _is(InvitationStatus.COMPLETED),
            _is(InvitationStatus.EXPIRED),
            _is(InvitationStatus.OPTED_OUT),
            _is(InvitationStatus.QUEUED),
        ).where(Invitation.campaign_id == campaign_id)
    ).one()
    return dict(zip((*STAGES, "queued"), (int(v or 0) for v in row)))


@dataclass(frozen=True)
class GroupRate:
    group: dict[str, str | None]
    invited: int
    delivered: int
    completed: int
    rate: float | None
    ci_low: float | None
    ci_high: float | None

    @property
    def nonresponse(self) -> float | None:
        return None if self.rate is None else 1 - self.rate


def response_rates(
    db: Session,
    by: Sequence[str],
    *,
    campaign_id: int | None = None,
    survey_code: str | None = None,
    since: datetime | None = None,
    customer_filters: dict[str, Sequence[str]] | None = None,
    channel: str | None = None,
) -> list[GroupRate]:
    """Completed / delivered per group (``by`` among stratum, tier, region, segment, channel,
    language), each with its 95% Wilson interval."""
    unknown = [key for key in by if key not in GROUP_COLUMNS]
    if unknown:
        raise Refused(
            key="errors.distribution.unknown_group", unknown=", ".join(unknown), choices=", ".join(GROUP_COLUMNS)
        )
    columns = [GROUP_COLUMNS[key].label(key) for key in by]
    delivered = sa.and_(Invitation.sent_at.is_not(None), Invitation.status != InvitationStatus.FAILED)
    query = sa.select(
        *columns,
        sa.func.count(Invitation.id),
        sa.func.sum(sa.case((delivered, 1), else_=0)),
        _is(InvitationStatus.COMPLETED),
    ).join(Customer, Customer.id == Invitation.customer_id)
    if campaign_id is not None:
        query = query.where(Invitation.campaign_id == campaign_id)
    if survey_code is not None:
        query = (
            query.join(Campaign, Campaign.id == Invitation.campaign_id)
            .join(Survey, Survey.id == Campaign.survey_id)
            .where(Survey.code == survey_code)
        )
    if since is not None:
        query = query.where(Invitation.queued_at >= since)
    if channel is not None:
        query = query.where(Invitation.channel == channel)
    for key, values in (customer_filters or {}).items():
        if values:
            query = query.where(GROUP_COLUMNS[key].in_(values))
    if columns:
        query = query.group_by(*[GROUP_COLUMNS[key] for key in by]).order_by(*[GROUP_COLUMNS[key] for key in by])
    rates = []
    for row in db.exec(query).all():
        invited, sent, completed = (int(v or 0) for v in row[len(by) :])
        if invited == 0:
            continue
        interval = compare.proportion_interval(completed, sent) if sent else None
        rates.append(
            GroupRate(
                dict(zip(by, row[: len(by)])),
                invited,
                sent,
                completed,
                interval.estimate if interval else None,
                interval.ci_low if interval else None,
                interval.ci_high if interval else None,
            )
        )
    return rates


def nonresponse(db: Session, by: Sequence[str] = ("tier", "region"), **filters) -> pd.DataFrame:
    """Non-response per cell as a tidy frame (one row per cell): the input for weighting
    adjustments (e.g. response-propensity cells, or raking targets from the invited sample)."""
    rows = [
        {
            **rate.group,
            "invited": rate.invited,
            "delivered": rate.delivered,
            "completed": rate.completed,
            "response_rate": rate.rate,
            "ci_low": rate.ci_low,
            "ci_high": rate.ci_high,
            "nonresponse_rate": rate.nonresponse,
        }
        for rate in response_rates(db, by, **filters)
    ]
    return pd.DataFrame(
        rows,
        columns=[*by, "invited", "delivered", "completed", "response_rate", "ci_low", "ci_high", "nonresponse_rate"],
    )
