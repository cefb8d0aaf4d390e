"""Phone revisits: the agents' queue, the call script, every call attempt, and answers keyed
in by an agent, saved as a response with channel "agent" under the same rules as the link.
Each call recorded and each set of answers saved is in the audit log under the agent's name.

The queue holds phone invitations an agent may call: assigned to them or to nobody, not yet
answered, not expired, not refused and not a wrong number, for customers who have not opted
out. Customers who asked to be called back come first once their time has come. The call-back
time proposed to the agent is a day later, moved past the quiet hours (SURVEY_QUIET_HOURS) to
the morning they end: nobody is called back at night by default.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from survey.collect.answering import Problem, evaluate
from survey.collect.responses import AlreadyAnswered, complete_invitation, lock_invitation
from survey.collect.visit import LinkState, Questionnaire, invitation_state
from survey.core import db as database
from survey.core.audit import record
from survey.core.config import settings
from survey.core.dates import long_date_text
from survey.core.errors import SurveyError
from survey.core.i18n import label, t
from survey.core.quiet_hours import outside_quiet_hours
from survey.core.vocab import CallOutcome, Channel, InvitationStatus, ResponseChannel
from survey.models import CallAttempt, Campaign, Customer, Invitation, ServiceEvent, Survey, User, utcnow

QUEUE_STATUSES = (InvitationStatus.QUEUED, InvitationStatus.SENT, InvitationStatus.OPENED, InvitationStatus.STARTED)
CLOSING_OUTCOMES = (CallOutcome.REFUSED, CallOutcome.WRONG_NUMBER)  # the invitation leaves the queue
QUEUE_LIMIT = 200
CALLBACK_AFTER = timedelta(days=1)  # "call me back" with no time said: this time tomorrow
NOTE_LIMIT = 1000  # CallAttempt.note


class CallError(SurveyError, ValueError):
    """A call the agent cannot make or record (taken by someone else, already answered, ...)."""


@dataclass(frozen=True)
class QueueEntry:
    invitation_id: int
    customer_name: str
    tier: str
    region: str
    survey_code: str
    survey_name: dict[str, str]
    event_kind: str | None
    attempts: int
    last_outcome: str | None
    last_call_at: datetime | None
    callback_at: datetime | None
    queued_at: datetime
    due: bool


@dataclass
class Call:
    """Everything an agent needs on screen for one call."""

    invitation: Invitation
    customer: Customer
    event: ServiceEvent | None
    state: LinkState
    questionnaire: Questionnaire
    attempts: list[CallAttempt] = field(default_factory=list)

    @property
    def language(self) -> str:
        return self.invitation.language


@dataclass(frozen=True)
class SaveResult:
    state: LinkState
    problems: dict[str, Problem] = field(default_factory=dict)
    response_id: int | None = None

    @property
    def saved(self) -> bool:
        return self.response_id is not None


# ---------------------------------------------------------------- the queue


def _in_reach(agent_id: int, now: datetime):
    """The filter of the queue: what this agent may call now or later."""
    closed = (
        select(CallAttempt.id)
        .where(CallAttempt.invitation_id == Invitation.id, CallAttempt.outcome.in_(CLOSING_OUTCOMES))
        .exists()
    )
    return sa.and_(
        Invitation.channel == Channel.PHONE,
        Invitation.status.in_(QUEUE_STATUSES),
        sa.or_(Invitation.assigned_to_id == agent_id, Invitation.assigned_to_id.is_(None)),
        sa.or_(Invitation.expires_at.is_(None), Invitation.expires_at > now),
        Customer.opted_out.is_(False),
        Customer.erased_at.is_(None),
        ~closed,
    )


def queue_count(db: Session, agent_id: int) -> int:
    return db.exec(
        select(func.count(Invitation.id))
        .join(Customer, Customer.id == Invitation.customer_id)
        .where(_in_reach(agent_id, utcnow()))
    ).one()


def queue(db: Session, agent_id: int, *, now: datetime | None = None) -> list[QueueEntry]:
    """The agent's calls, in the order to make them (see the module docstring)."""
    now = now or utcnow()
    rows = db.exec(
        select(Invitation, Customer, Survey, ServiceEvent.kind)
        .join(Customer, Customer.id == Invitation.customer_id)
        .join(Campaign, Campaign.id == Invitation.campaign_id)
        .join(Survey, Survey.id == Campaign.survey_id)
        .outerjoin(ServiceEvent, ServiceEvent.id == Invitation.event_id)
        .where(_in_reach(agent_id, now))
        .order_by(Invitation.queued_at)
        .limit(QUEUE_LIMIT)
    ).all()
    history = _attempts_of(db, [invitation.id for invitation, *_ in rows])
    entries = [
        _entry(invitation, customer, survey, kind, history.get(invitation.id, []), now)
        for invitation, customer, survey, kind in rows
    ]
    return sorted(entries, key=_call_order)


def _entry(
    invitation: Invitation,
    customer: Customer,
    survey: Survey,
    kind: str | None,
    attempts: list[CallAttempt],
    now: datetime,
) -> QueueEntry:
    last = attempts[-1] if attempts else None
    callback = last.callback_at if last is not None and last.outcome == CallOutcome.CALL_BACK else None
    return QueueEntry(
        invitation_id=invitation.id,
        customer_name=customer.name or customer.external_id,
        tier=customer.tier,
        region=customer.region,
        survey_code=survey.code,
        survey_name={"zh-CN": survey.name_zh, "en": survey.name_en},
        event_kind=kind,
        attempts=len(attempts),
        last_outcome=last.outcome if last else None,
        last_call_at=last.at if last else None,
        callback_at=callback,
        queued_at=invitation.queued_at,
        due=callback is None or callback <= now,
    )


def _call_order(entry: QueueEntry) -> tuple:
    """Due call-backs first, then customers never called, then retries (longest waiting first);
    call-backs whose time has not come go last."""
    if not entry.due:
        return (3, entry.callback_at)
    if entry.callback_at is not None:
        return (0, entry.callback_at)
    if entry.attempts == 0:
        return (1, entry.queued_at)
    return (2, entry.last_call_at)


def _attempts_of(db: Session, invitation_ids: Sequence[int]) -> dict[int, list[CallAttempt]]:
    history: dict[int, list[CallAttempt]] = {}
    if invitation_ids:
        for attempt in db.exec(
            select(CallAttempt)
            .where(CallAttempt.invitation_id.in_(invitation_ids))
            .order_by(CallAttempt.at, CallAttempt.id)
        ):
            history.setdefault(attempt.invitation_id, []).append(attempt)
    return history


# ---------------------------------------------------------------- one call


def open_call(db: Session, invitation_id: int, agent_id: int) -> Call:
    """Take the call (assign it to this agent, unless another agent has it) and load it."""
    taken = db.execute(
        sa.update(Invitation)
        .where(
            Invitation.id == invitation_id,
            Invitation.channel == Channel.PHONE,
            sa.or_(Invitation.assigned_to_id.is_(None), Invitation.assigned_to_id == agent_id),
        )
        .values(assigned_to_id=agent_id)
    ).rowcount
    if not taken:
        raise CallError(key="errors.collect.call_not_yours_or_not_phone")
    invitation = db.get(Invitation, invitation_id)
    state, questionnaire = invitation_state(db, invitation)
    customer = db.get(Customer, invitation.customer_id)
    event = db.get(ServiceEvent, invitation.event_id) if invitation.event_id else None
    attempts = _attempts_of(db, [invitation_id]).get(invitation_id, [])
    return Call(invitation, customer, event, state, questionnaire, attempts)


def script(call: Call, agent_name: str) -> list[str]:
    """What the agent says, in the customer's language: greeting, then the questions, then thanks."""
    lang = call.language
    piped = call.questionnaire.pipe(lang)
    return [
        t("phone.script_greeting", lang, name=piped["name"], agent=agent_name, about=_about(call, lang, piped)),
        t("phone.script_questions", lang),
        call.questionnaire.text("thanks", lang) or t("phone.script_thanks", lang),
    ]


def _about(call: Call, lang: str, piped: dict[str, str]) -> str:
    if call.event is None:
        return t("phone.script_about_service", lang)
    kind = label("event_kind", call.event.kind, lang)
    return t(
        "phone.script_about_event", lang, event=kind.lower() if lang == "en" else kind, event_date=piped["event_date"]
    )


def default_callback(now: datetime) -> datetime:
    """The call-back time to propose: a day later on the hour, or, when that falls in the quiet
    hours, the local morning they end. Local (SURVEY_TIMEZONE) and aware."""
    config = settings()
    later = (now.astimezone(config.timezone) + CALLBACK_AFTER).replace(minute=0, second=0, microsecond=0)
    return outside_quiet_hours(later, config).astimezone(config.timezone)


def record_attempt(
    db: Session, invitation_id: int, agent_id: int, outcome: str, *, callback_at: datetime | None = None, note: str = ""
) -> CallAttempt:
    """A call that did not produce answers (no answer, refused, wrong number, call back)."""
    if outcome not in {o.value for o in CallOutcome} or outcome == CallOutcome.ANSWERED:
        raise CallError(key="errors.collect.not_an_attempt_outcome", outcome=outcome)
    if outcome == CallOutcome.CALL_BACK and (callback_at is None or callback_at <= utcnow()):
        raise CallError(key="errors.collect.callback_not_in_future")
    invitation = db.get(Invitation, invitation_id)
    if invitation is None or invitation.assigned_to_id not in (None, agent_id):
        raise CallError(key="errors.collect.call_not_yours")
    if invitation.status == InvitationStatus.COMPLETED:
        raise CallError(key="errors.collect.already_answered")
    attempt = CallAttempt(
        invitation_id=invitation_id,
        agent_id=agent_id,
        outcome=outcome,
        callback_at=callback_at if outcome == CallOutcome.CALL_BACK else None,
        note=_note(note),
    )
    invitation.attempts += 1
    db.add_all([attempt, invitation])
    record(db, db.get(User, agent_id), "phone.call", "invitation", invitation_id, {"outcome": outcome})
    return attempt


def save_answers(
    invitation_id: int, agent_id: int, fields: Mapping[str, Sequence[str]], *, note: str = ""
) -> SaveResult:
    """The agent's answers, checked like the link's; saved as the invitation's one response."""
    try:
        with database.exclusive_session() as db:
            invitation = lock_invitation(db, invitation_id=invitation_id)
            if invitation is None or invitation.assigned_to_id not in (None, agent_id):
                raise CallError(key="errors.collect.call_not_yours")
            state, questionnaire = invitation_state(db, invitation)
            if state != LinkState.OPEN:
                return SaveResult(state)
            result = evaluate(questionnaire.questions, fields)
            if not result.ok:
                return SaveResult(state, result.problems)
            invitation.assigned_to_id = agent_id
            invitation.attempts += 1
            response = complete_invitation(
                db,
                invitation,
                questionnaire.version,
                result.values,
                channel=ResponseChannel.AGENT,
                language=invitation.language,
                agent_id=agent_id,
            )
            db.add(
                CallAttempt(
                    invitation_id=invitation_id, agent_id=agent_id, outcome=CallOutcome.ANSWERED, note=_note(note)
                )
            )
            record(db, db.get(User, agent_id), "phone.answers", "invitation", invitation_id, {"response": response.id})
            return SaveResult(state, response_id=response.id)
    except (AlreadyAnswered, IntegrityError):
        return SaveResult(LinkState.ANSWERED)


def _note(text: str) -> str:
    return text.strip()[:NOTE_LIMIT]


def local_time_text(moment: datetime | None, lang: str) -> str:
    if moment is None:
        return ""
    local = moment.astimezone(settings().timezone)
    return f"{long_date_text(local.date(), lang)} {local:%H:%M}"
