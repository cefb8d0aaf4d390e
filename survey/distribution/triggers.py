"""Event-triggered revisits: "every repair closed -> repair revisit one day later, 100% of VIPs,
30% of standard customers".

Rules live in the database (quality staff edit them on the rules page). Each rule owns a
standing campaign that holds its invitations, expiry and reminder settings. ``apply_rules``
(run by `survey jobs run`) looks at events closed at least ``delay_hours`` ago (and not before
the rule became active) that the rule has not decided yet, and records one ``RuleDecision`` per
event: invited, or why not. The decision table makes the rule idempotent: an event is never
invited twice by the same rule, however often and from however many processes the jobs run
(each rule's run starts by write-locking its row, so concurrent runs take turns). Nor by two
rules, a campaign or a personal link: an event whose customer has a live invitation of the
survey about it, or has answered it, is decided "already_invited" (``live_links``).

Sampling is a deterministic draw from the rule and event ids (a hash), so a decision can be
re-derived and audited; the share invited per tier is the rule's ``rates``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from survey.core.audit import record
from survey.core.errors import Refused
from survey.core.vocab import Channel, EventKind, Tier
from survey.design.definitions import live_version
from survey.distribution import live_links
from survey.distribution.campaigns import (
    CampaignStatus,
    InvitationSeed,
    check_channel,
    launchable_survey,
    queue_invitations,
)
from survey.distribution.messages import check_messages, default_messages
from survey.models import Campaign, Customer, Invitation, RuleDecision, ServiceEvent, Survey, TriggerRule, utcnow

CODE_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-_")


@dataclass(frozen=True)
class RuleSpec:
    code: str
    name: str
    survey_code: str
    event_kinds: tuple[str, ...]
    rates: dict[str, float]  # tier -> share invited
    channel: str = Channel.SMS
    delay_hours: int = 24
    touch_points: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    fatigue_days: int = 30
    expires_days: int = 7
    remind_after_days: int | None = None
    max_reminders: int = 0
    active: bool = True
    messages: dict = field(default_factory=default_messages)

    def problems(self) -> list[str]:
        problems = []
        if not self.code or not set(self.code) <= CODE_CHARS or len(self.code) > 40:
            problems.append("code must be 1-40 lowercase letters, digits, '-' or '_'")
        if not self.name.strip():
            problems.append("the rule needs a name")
        if not self.event_kinds:
            problems.append("choose at least one event kind")
        if unknown := [k for k in self.event_kinds if k not in {e.value for e in EventKind}]:
            problems.append(f"unknown event kinds: {', '.join(unknown)}")
        if unknown := [t for t in self.rates if t not in {t.value for t in Tier}]:
            problems.append(f"unknown tiers: {', '.join(unknown)}")
        if any(not 0 <= float(v) <= 1 for v in self.rates.values()):
            problems.append("shares invited must be between 0 and 1 (0% to 100%)")
        if not any(float(v) > 0 for v in self.rates.values()):
            problems.append("invite a share greater than 0 of at least one tier")
        if self.delay_hours < 0 or self.expires_days < 1 or self.fatigue_days < 0:
            problems.append("delay, expiry and fatigue must be positive numbers")
        if self.max_reminders and not self.remind_after_days:
            problems.append("reminders need a number of days to wait")
        return problems


def save_rule(db: Session, spec: RuleSpec, *, actor=None, now: datetime | None = None) -> TriggerRule:
    """Create a rule (with its standing campaign) or update the rule with the same code."""
    now = now or utcnow()
    channel = check_channel(spec.channel)
    if channel == Channel.EXPORT:
        raise Refused(key="errors.distribution.rule_export")
    if problems := spec.problems():
        raise Refused(key="errors.distribution.rule_problems", problems="; ".join(problems))
    check_messages(spec.messages)
    survey = launchable_survey(db, spec.survey_code)
    version_id = live_version(db, survey).id
    rule = db.exec(sa.select(TriggerRule).where(TriggerRule.code == spec.code)).scalar_one_or_none()
    if rule is None:
        campaign = Campaign(
            name=f"{spec.name} (rule {spec.code})",
            survey_id=survey.id,
            version_id=version_id,
            channel=channel,
            status=CampaignStatus.SENDING,
            launched_at=now,
            created_by_id=getattr(actor, "id", None),
        )
        rule = TriggerRule(
            code=spec.code,
            name=spec.name,
            survey_id=survey.id,
            campaign_id=0,
            channel=channel,
            active_from=now,
            created_by_id=getattr(actor, "id", None),
            created_at=now,
        )
    else:
        campaign = db.get(Campaign, rule.campaign_id)
        if campaign.survey_id != survey.id:
            raise Refused(key="errors.distribution.rule_survey_fixed")
        if spec.active and not rule.active:
            rule.active_from = now  # events closed while it was paused are not revisited later
    campaign.version_id = version_id
    campaign.channel = channel
    campaign.messages = spec.messages
    campaign.expires_days = spec.expires_days
    campaign.remind_after_days = spec.remind_after_days
    campaign.max_reminders = spec.max_reminders if spec.remind_after_days else 0
    campaign.audience = {"rule": spec.code, "event_kinds": list(spec.event_kinds)}
    campaign.sampling = {"method": "rule", "rates": dict(spec.rates)}
    db.add(campaign)
    db.flush()
    rule.campaign_id = campaign.id
    rule.name, rule.channel, rule.active = spec.name, channel, spec.active
    rule.event_kinds, rule.touch_points = list(spec.event_kinds), list(spec.touch_points)
    rule.regions = list(spec.regions)
    rule.rates = {tier: float(share) for tier, share in spec.rates.items()}
    rule.delay_hours, rule.fatigue_days, rule.updated_at = spec.delay_hours, spec.fatigue_days, now
    db.add(rule)
    db.flush()
    record(db, actor, "rule.save", "triggerrule", rule.id, {"code": spec.code, "rates": rule.rates})
    return rule


def spec_of(db: Session, rule: TriggerRule) -> RuleSpec:
    """The editable form of a stored rule."""
    campaign = db.get(Campaign, rule.campaign_id)
    return RuleSpec(
        code=rule.code,
        name=rule.name,
        survey_code=db.get(Survey, rule.survey_id).code,
        event_kinds=tuple(rule.event_kinds),
        rates=dict(rule.rates),
        channel=rule.channel,
        delay_hours=rule.delay_hours,
        touch_points=tuple(rule.touch_points),
        regions=tuple(rule.regions),
        fatigue_days=rule.fatigue_days,
        expires_days=campaign.expires_days,
        remind_after_days=campaign.remind_after_days,
        max_reminders=campaign.max_reminders,
        active=rule.active,
        messages=campaign.messages or default_messages(),
    )


def rules(db: Session) -> list[TriggerRule]:
    return list(db.exec(sa.select(TriggerRule).order_by(TriggerRule.code)).scalars())


def draw(rule_id: int, event_id: int) -> float:
    """A uniform number in [0, 1) fixed by the rule and the event."""
    digest = hashlib.sha256(f"{rule_id}:{event_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def lock_row(db: Session, table, row_id: int) -> None:
    """Take the write lock first: a row lock on PostgreSQL, the database write lock on SQLite."""
    db.exec(sa.update(table).where(table.id == row_id).values(id=table.id))


@dataclass(frozen=True)
class RuleRun:
    considered: int
    invited: int


def _undecided_events(db: Session, rule: TriggerRule, now: datetime):
    decided = (
        sa.select(RuleDecision.id)
        .where(RuleDecision.rule_id == rule.id, RuleDecision.event_id == ServiceEvent.id)
        .exists()
    )
    query = (
        sa.select(
            ServiceEvent.id,
            ServiceEvent.customer_id,
            Customer.tier,
            Customer.language,
            Customer.opted_out,
            Customer.erased_at,
            Customer.phone,
            Customer.email,
        )
        .join(Customer, Customer.id == ServiceEvent.customer_id)
        .where(
            ServiceEvent.kind.in_(rule.event_kinds),
            ServiceEvent.closed_at.is_not(None),
            ServiceEvent.closed_at >= rule.active_from,
            ServiceEvent.closed_at <= now - timedelta(hours=rule.delay_hours),
            ~decided,
        )
        .order_by(ServiceEvent.closed_at, ServiceEvent.id)
    )
    if rule.touch_points:
        query = query.where(ServiceEvent.touch_point.in_(rule.touch_points))
    if rule.regions:
        query = query.where(ServiceEvent.region.in_(rule.regions))
    return db.exec(query).all()


def _recently_invited(db: Session, rule: TriggerRule, now: datetime) -> set[int]:
    if not rule.fatigue_days:
        return set()
    return set(
        db.exec(
            sa.select(Invitation.customer_id)
            .join(Campaign, Campaign.id == Invitation.campaign_id)
            .where(
                Campaign.survey_id == rule.survey_id, Invitation.queued_at >= now - timedelta(days=rule.fatigue_days)
            )
        ).scalars()
    )


def _outcome(rule: TriggerRule, event, invited_customers: set[int], taken_events: set[int]) -> str:
    contact = event.email if rule.channel == Channel.EMAIL else event.phone
    if event.opted_out or event.erased_at is not None:
        return "opted_out"
    if not contact:
        return "no_contact"
    if event.id in taken_events:
        return "already_invited"
    if event.customer_id in invited_customers:
        return "fatigue"
    return "invited" if draw(rule.id, event.id) < float(rule.rates.get(event.tier, 0.0)) else "sampled_out"


def apply_rule(db: Session, rule_id: int, now: datetime) -> RuleRun:
    lock_row(db, TriggerRule, rule_id)
    rule = db.get(TriggerRule, rule_id)
    events = _undecided_events(db, rule, now)
    invited_customers = _recently_invited(db, rule, now)
    taken_events = live_links.taken_events(db, rule.survey_id, [event.id for event in events], now)
    decisions: list[dict] = []
    seeds: list[InvitationSeed] = []
    for event in events:
        outcome = _outcome(rule, event, invited_customers, taken_events)
        if outcome == "invited":
            invited_customers.add(event.customer_id)  # one invitation per customer, even with several events
            seeds.append(InvitationSeed(event.customer_id, event.id, event.language))
        decisions.append(
            {"rule_id": rule.id, "event_id": event.id, "outcome": outcome, "decided_at": now, "invitation_id": None}
        )
    invitation_ids = iter(queue_invitations(db, db.get(Campaign, rule.campaign_id), seeds, now))
    for decision in decisions:
        if decision["outcome"] == "invited":
            decision["invitation_id"] = next(invitation_ids)
    if decisions:
        db.exec(sa.insert(RuleDecision.__table__), params=decisions)
    return RuleRun(len(decisions), len(seeds))


def apply_rules(session_factory, now: datetime | None = None) -> dict[str, RuleRun]:
    """Apply every active rule, each in its own transaction; {rule code: what it did}."""
    now = now or utcnow()
    with session_factory() as db:
        active = [(r.id, r.code) for r in rules(db) if r.active]
    results = {}
    for rule_id, code in active:
        with session_factory() as db:
            results[code] = apply_rule(db, rule_id, now)
    return results
