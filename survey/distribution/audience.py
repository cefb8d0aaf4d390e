"""Who may be invited: customers (or their service events) matching a campaign's filters.

One candidate per customer, even with several events: the customer's newest qualifying event
(by close time) is the one the invitation is about. Always excluded: customers who opted out
or were erased, customers without the contact the channel needs, customers who have a live
invitation of this survey about that event or answered it already (one live link per customer,
survey and event: ``live_links``), and (contact fatigue) customers invited by any survey within
``fatigue_days`` or by this survey within ``survey_fatigue_days``. Everything is one SQL query,
so the live count on the campaign page stays fast on a large customer base.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from survey.core.config import settings
from survey.core.vocab import Channel, InvitationStatus
from survey.distribution import live_links
from survey.models import Campaign, Customer, Invitation, ServiceEvent, Survey, utcnow

CONTACT_COLUMN = {
    Channel.SMS: Customer.phone,
    Channel.EXPORT: Customer.phone,
    Channel.PHONE: Customer.phone,
    Channel.EMAIL: Customer.email,
}


@dataclass(frozen=True)
class Audience:
    survey_code: str | None = None  # for per-survey fatigue
    event_kinds: tuple[str, ...] = ()
    closed_since: date | None = None  # local dates, inclusive
    closed_until: date | None = None
    regions: tuple[str, ...] = ()  # the customer's region
    touch_points: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    channel: str | None = None  # require the contact this channel needs
    fatigue_days: int = 0  # 0: no global fatigue rule
    survey_fatigue_days: int = 0
    events: bool = False  # pick events even without an event filter

    @property
    def by_event(self) -> bool:
        return self.events or bool(
            self.event_kinds or self.closed_since or self.closed_until or self.touch_points or self.teams
        )

    def record(self) -> dict:
        """The filters as plain JSON, kept on the campaign."""
        return {
            key: (value.isoformat() if isinstance(value, date) else list(value) if isinstance(value, tuple) else value)
            for key, value in asdict(self).items()
            if value not in ((), None, 0, False)
        }


@dataclass(frozen=True)
class Candidate:
    customer_id: int
    event_id: int | None
    tier: str
    region: str
    segment: str
    language: str


def local_day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, settings().timezone)


def _newest_events(audience: Audience):
    """Per customer, the newest event matching the event filters (row_number 1)."""
    newest_first = sa.func.row_number().over(
        partition_by=ServiceEvent.customer_id,
        order_by=(ServiceEvent.closed_at.desc(), ServiceEvent.id.desc()),
    )
    query = sa.select(ServiceEvent.id, ServiceEvent.customer_id, newest_first.label("rank")).where(
        ServiceEvent.closed_at.is_not(None)
    )
    if audience.event_kinds:
        query = query.where(ServiceEvent.kind.in_(audience.event_kinds))
    if audience.touch_points:
        query = query.where(ServiceEvent.touch_point.in_(audience.touch_points))
    if audience.teams:
        query = query.where(ServiceEvent.team.in_(audience.teams))
    if audience.closed_since:
        query = query.where(ServiceEvent.closed_at >= local_day_start(audience.closed_since))
    if audience.closed_until:
        query = query.where(ServiceEvent.closed_at < local_day_start(audience.closed_until + timedelta(days=1)))
    return query.subquery("newest_event")


def recently_invited(customer_id, since: datetime, survey_id: int | None = None):
    """EXISTS: an invitation (failed ones do not count) to this customer since `since`."""
    query = sa.select(Invitation.id).where(
        Invitation.customer_id == customer_id,
        Invitation.queued_at >= since,
        Invitation.status != InvitationStatus.FAILED,
    )
    if survey_id is not None:
        query = query.join(Campaign, Campaign.id == Invitation.campaign_id).where(Campaign.survey_id == survey_id)
    return query.exists()


def candidate_query(db: Session, audience: Audience, now: datetime | None = None) -> sa.Select:
    now = now or utcnow()
    columns = [Customer.id, Customer.tier, Customer.region, Customer.segment, Customer.language]
    event_id = None
    if audience.by_event:
        events = _newest_events(audience)
        event_id = events.c.id
        query = sa.select(*columns, events.c.id.label("event_id")).join(
            events, sa.and_(events.c.customer_id == Customer.id, events.c.rank == 1)
        )
    else:
        query = sa.select(*columns, sa.null().label("event_id"))
    query = query.where(Customer.opted_out.is_(False), Customer.erased_at.is_(None))
    for column, values in (
        (Customer.tier, audience.tiers),
        (Customer.region, audience.regions),
        (Customer.segment, audience.segments),
    ):
        if values:
            query = query.where(column.in_(values))
    if audience.channel:
        contact = CONTACT_COLUMN[Channel(audience.channel)]
        query = query.where(contact.is_not(None), contact != "")
    if audience.fatigue_days:
        query = query.where(~recently_invited(Customer.id, now - timedelta(days=audience.fatigue_days)))
    survey_id = (
        db.exec(sa.select(Survey.id).where(Survey.code == audience.survey_code)).scalar()
        if audience.survey_code
        else None
    )
    if survey_id is not None:
        query = query.where(~live_links.taken(survey_id, Customer.id, event_id, now))
    if audience.survey_fatigue_days and survey_id is not None:
        query = query.where(
            ~recently_invited(Customer.id, now - timedelta(days=audience.survey_fatigue_days), survey_id)
        )
    return query


def count(db: Session, audience: Audience, now: datetime | None = None) -> int:
    inner = candidate_query(db, audience, now).subquery()
    return db.exec(sa.select(sa.func.count()).select_from(inner)).scalar_one()


def candidates(db: Session, audience: Audience, now: datetime | None = None) -> list[Candidate]:
    rows = db.exec(candidate_query(db, audience, now).order_by(Customer.id)).all()
    return [Candidate(r.id, r.event_id, r.tier, r.region, r.segment, r.language) for r in rows]


def counts_by(db: Session, audience: Audience, keys: tuple[str, ...], now: datetime | None = None) -> dict[str, int]:
    """Audience size per stratum (keys among tier, region, segment), e.g. for the planner."""
    inner = candidate_query(db, audience, now).subquery()
    columns = [inner.c[key] for key in keys]
    rows = db.exec(sa.select(*columns, sa.func.count()).group_by(*columns)).all()
    return {"|".join(str(v) for v in row[:-1]): row[-1] for row in rows}


def filter_options(db: Session) -> dict[str, list[str]]:
    """The operator's own values to choose from: regions, teams, segments."""

    def distinct(column) -> list[str]:
        return [v for v in db.exec(sa.select(column).where(column.is_not(None)).distinct().order_by(column)).scalars()]

    return {
        "regions": distinct(Customer.region),
        "teams": distinct(ServiceEvent.team),
        "segments": distinct(Customer.segment),
    }
