"""What the staff pages ask of collection: the design page's preview and public links, and the
phone revisits of the agents' page.

Each function is one unit of work: it opens its own session, calls the domain functions with
plain values and returns plain results that stay valid after the session closed. Saving an
agent's answers is ``phone.save_answers`` itself, which already holds its own transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from survey.accounts.auth import acting_user
from survey.collect import phone, public_links
from survey.collect.phone import CallError, QueueEntry
from survey.collect.visit import LinkState, Questionnaire
from survey.core import db as database
from survey.core.config import settings
from survey.core.errors import Refused
from survey.core.i18n import t
from survey.core.links import public_link
from survey.core.vocab import TouchPoint
from survey.design.definitions import questions_of
from survey.models import PublicLink, Question, Survey, SurveyVersion, utcnow

# ---------------------------------------------------------------- phone revisits (agents' page)


@dataclass(frozen=True)
class CallCustomer:
    name: str  # the name, or the operator's customer id when there is none
    phone: str | None
    tier: str
    region: str
    segment: str


@dataclass(frozen=True)
class CallEvent:
    """The service event the revisit is about."""

    kind: str
    touch_point: str
    day: date  # local day it happened
    team: str | None
    repeated_fault: bool


@dataclass(frozen=True)
class PastCall:
    at: datetime
    outcome: str
    callback_at: datetime | None
    note: str


@dataclass(frozen=True)
class PhoneCall:
    """One call on the agent's screen: who, about what, what was said before, and what to ask."""

    invitation_id: int
    state: LinkState
    language: str  # the customer's
    customer: CallCustomer
    event: CallEvent | None
    history: tuple[PastCall, ...]
    questions: tuple[Question, ...]  # loaded column values only (no lazy relations to reach)
    piped: dict[str, str]  # the customer's values piped into the questions' texts
    script: tuple[str, ...]  # what the agent says, in the customer's language


def phone_queue(agent_id: int) -> list[QueueEntry]:
    """The agent's calls in the order to make them."""
    with database.session() as db:
        return phone.queue(db, agent_id)


def take_call(agent_id: int, invitation_id: int) -> PhoneCall:
    """Assign the call to this agent (CallError if a colleague has it) and load what it needs."""
    with database.session() as db:
        call = phone.open_call(db, invitation_id, agent_id)
        if call.questionnaire is None:
            raise CallError(key="errors.collect.customer_erased")
        agent = acting_user(db, agent_id)
        return PhoneCall(
            invitation_id=invitation_id,
            state=call.state,
            language=call.language,
            customer=_customer(call),
            event=_event(call),
            history=tuple(PastCall(a.at, a.outcome, a.callback_at, a.note or "") for a in call.attempts),
            questions=tuple(call.questionnaire.questions),
            piped=call.questionnaire.pipe(call.language),
            script=tuple(phone.script(call, agent.display_name or agent.username)),
        )


def _customer(call: phone.Call) -> CallCustomer:
    customer = call.customer
    return CallCustomer(
        customer.name or customer.external_id, customer.phone, customer.tier, customer.region, customer.segment
    )


def _event(call: phone.Call) -> CallEvent | None:
    event = call.event
    if event is None:
        return None
    return CallEvent(
        event.kind,
        event.touch_point,
        event.occurred_at.astimezone(settings().timezone).date(),
        event.team,
        bool(event.repeated_fault),
    )


def default_callback_time() -> datetime:
    """The call-back time to propose now (local, outside the quiet hours)."""
    return phone.default_callback(utcnow())


def next_call_after(agent_id: int, invitation_id: int) -> int | None:
    """The call to take after this one: the head of the queue without it, if anyone is left."""
    with database.session() as db:
        others = (entry.invitation_id for entry in phone.queue(db, agent_id) if entry.invitation_id != invitation_id)
        return next(others, None)


def record_call(
    agent_id: int, invitation_id: int, outcome: str, *, callback_at: datetime | None = None, note: str = ""
) -> None:
    """A call that produced no answers (no answer, refused, wrong number, call back); CallError if
    the call cannot be recorded."""
    with database.session() as db:
        phone.record_attempt(db, invitation_id, agent_id, outcome, callback_at=callback_at, note=note)


# ---------------------------------------------------------------- public links and the preview (design page)


@dataclass(frozen=True)
class PublicLinkRow:
    """A public link of a survey, with the address its QR code carries."""

    id: int
    slug: str
    label: str
    touch_point: str | None
    region: str | None
    team: str | None
    active: bool
    address: str


def _public_link_row(link: PublicLink) -> PublicLinkRow:
    return PublicLinkRow(
        link.id, link.slug, link.label, link.touch_point, link.region, link.team, link.active, public_link(link.slug)
    )


def public_links_of(survey_id: int) -> list[PublicLinkRow]:
    with database.session() as db:
        return [_public_link_row(link) for link in public_links.links_of(db, _stored(db, Survey, survey_id))]


def create_public_link(
    survey_id: int,
    slug: str,
    *,
    label: str = "",
    touch_point: str | None = None,
    region: str | None = None,
    team: str | None = None,
    actor_id: int,
) -> PublicLinkRow:
    """A new public link; ValueError says why a name is refused (taken, badly formed)."""
    with database.session() as db:
        link = public_links.create_public_link(
            db,
            _stored(db, Survey, survey_id),
            slug,
            label=label,
            touch_point=touch_point,
            region=region,
            team=team,
            actor=acting_user(db, actor_id),
        )
        return _public_link_row(link)


def set_public_link_active(link_id: int, active: bool, *, actor_id: int) -> PublicLinkRow:
    with database.session() as db:
        link = _stored(db, PublicLink, link_id)
        public_links.set_active(db, link, active, actor=acting_user(db, actor_id))
        return _public_link_row(link)


def public_link_qr_code(link: PublicLinkRow, kind: str = "png") -> bytes:
    """The QR code to print for a public link, as PNG or SVG (it carries only the address)."""
    return public_links.qr_code(PublicLink(slug=link.slug, survey_id=0), kind)


def preview_questionnaire(version_id: int, language: str) -> Questionnaire:
    """A version as a customer would answer it, with sample values piped into its texts (a
    customer's name, today, a business hall). Its rows are loaded whole and have no lazy
    relations, so it is safe to draw after the session closed."""
    with database.session() as db:
        version = _stored(db, SurveyVersion, version_id)
        survey = _stored(db, Survey, version.survey_id)
        return Questionnaire(
            survey,
            version,
            questions_of(db, version),
            language,
            name=t("design.sample_name", language),
            event_day=datetime.now(settings().timezone).date(),
            touch_point=TouchPoint.BUSINESS_HALL,
        )


def _stored(db: Session, table, row_id: int):
    row = db.get(table, row_id)
    if row is None:
        # one catalog key per table passed here: survey, surveyversion, publiclink
        raise Refused(key=f"errors.collect.gone.{table.__name__.lower()}")
    return row
