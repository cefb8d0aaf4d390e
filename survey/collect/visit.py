"""What a customer can do with a link: open it, answer page by page, finish, or ask not to be
surveyed again. The web routes (``survey.web.respondent``) only read requests and draw what
these functions decide; the rules of answering are in ``survey.collect.answering``.

- Personal link ``/s/<token>``: one invitation, one response. Completed pages are kept in
  ``Invitation.draft``, so a customer who leaves comes back to where they were. Every post
  runs in one exclusive transaction with the invitation locked, so double clicks, two tabs
  or twenty concurrent posts leave exactly one response.
- Public link ``/p/<slug>``: anonymous answers tagged with the link's touch point, region
  and team; a device key (cookie) keeps a device from answering twice within
  SURVEY_PUBLIC_REPEAT_HOURS, and a rate limit per network address holds across processes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from survey.collect.answering import Problem, Value, answer_fields, evaluate, pipe, pipe_values, question_of_field
from survey.collect.responses import (
    AlreadyAnswered,
    complete_invitation,
    event_answered,
    lock_invitation,
    public_snapshot,
    record_response,
)
from survey.core import db as database
from survey.core import ratelimit
from survey.core.audit import record
from survey.core.config import settings
from survey.core.i18n import text_in
from survey.core.vocab import InvitationStatus, ResponseChannel, SurveyStatus
from survey.design.definitions import live_version, questions_of
from survey.models import (
    Campaign,
    Customer,
    Invitation,
    PublicLink,
    Question,
    Response,
    ServiceEvent,
    Survey,
    SurveyVersion,
    utcnow,
)

TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,48}")
SLUG_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{1,39}")
DEVICE_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")
# A customer who opened the link before it expired may still finish within this time.
EXPIRY_GRACE = timedelta(hours=24)
NOT_YET_OPENED = (InvitationStatus.QUEUED, InvitationStatus.SENT, InvitationStatus.FAILED)
NOT_YET_STARTED = (*NOT_YET_OPENED, InvitationStatus.OPENED)
RATE_WINDOW_SECONDS = 3600


class LinkState(StrEnum):
    OPEN = "open"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    ANSWERED = "answered"
    CLOSED = "closed"
    OPTED_OUT = "opted_out"
    BUSY = "busy"  # too many answers from one network address
    REPLACED = "replaced"  # a newer link about the same event replaced this one


@dataclass
class Questionnaire:
    """The version a respondent answers, and what is piped into its texts."""

    survey: Survey
    version: SurveyVersion | None  # None when nothing is published
    questions: list[Question]
    language: str  # unless the customer switches
    name: str | None = None
    event_day: date | None = None
    touch_point: str | None = None

    def pipe(self, lang: str) -> dict[str, str]:
        return pipe_values(lang, name=self.name, event_day=self.event_day, touch_point=self.touch_point)

    def text(self, field_name: str, lang: str) -> str:
        """The version's title, intro or thanks in a language, with the fields piped in."""
        if self.version is None:
            return ""
        texts = {"zh-CN": getattr(self.version, f"{field_name}_zh"), "en": getattr(self.version, f"{field_name}_en")}
        return pipe(text_in(texts, lang), self.pipe(lang))


@dataclass
class Visit:
    """What to show: a polite page for the state, the thank-you page, or a page of questions."""

    state: LinkState
    questionnaire: Questionnaire | None = None
    page: int | None = None
    fields: dict[str, list[str]] = field(default_factory=dict)
    problems: dict[str, Problem] = field(default_factory=dict)
    finished: bool = False
    response_id: int | None = None  # the response this visit saved, once finished


@dataclass(frozen=True)
class Step:
    page: int | None  # the page to show next; None when the survey is done
    fields: dict[str, list[str]]  # every answer so far, as form fields
    problems: dict[str, Problem]
    values: dict[str, Value]


# ---------------------------------------------------------------- pages


def visible_pages(questions: Sequence[Question], fields: Mapping[str, Sequence[str]]) -> list[int]:
    return sorted({q.page for q in evaluate(questions, fields).visible})


def first_page(questions: Sequence[Question], fields: Mapping[str, Sequence[str]]) -> int:
    pages = visible_pages(questions, fields)
    return pages[0] if pages else min((q.page for q in questions), default=1)


def advance(
    questions: Sequence[Question],
    page: int,
    stored: Mapping[str, Sequence[str]],
    posted: Mapping[str, Sequence[str]],
    *,
    back: bool = False,
) -> Step:
    """A posted page merged into the answers so far, checked, and where to go next.

    Going back keeps what was typed unchecked (nothing is lost); going on requires the page to
    be right; the last page re-checks everything, because a new version or a changed earlier
    answer may have changed which questions show.
    """
    on_page = {q.code for q in questions if q.page == page}
    fields = {name: list(v) for name, v in stored.items() if question_of_field(name) not in on_page}
    posted_here = answer_fields([q for q in questions if q.code in on_page], posted)
    fields.update(posted_here)
    result = evaluate(questions, fields)
    pages = sorted({q.page for q in result.visible})
    if back:
        earlier = [p for p in pages if p < page]
        return Step(earlier[-1] if earlier else page, fields, {}, {})
    here = {code: problem for code, problem in result.problems.items() if code in on_page}
    if here:
        return Step(page, fields, here, {})
    later = [p for p in pages if p > page]
    if later:
        return Step(later[0], fields, {}, {})
    if result.problems:
        wrong_page = min(q.page for q in result.visible if q.code in result.problems)
        return Step(
            wrong_page,
            fields,
            {
                q.code: result.problems[q.code]
                for q in result.visible
                if q.page == wrong_page and q.code in result.problems
            },
            {},
        )
    return Step(None, fields, {}, result.values)


# ---------------------------------------------------------------- personal links


def open_personal(token: str) -> Visit:
    """A customer opens their link: what to show, and the first view recorded."""
    if not TOKEN_PATTERN.fullmatch(token or ""):
        return Visit(LinkState.UNKNOWN)
    with database.session() as db:
        invitation = db.exec(select(Invitation).where(Invitation.token == token)).first()
        state, questionnaire = invitation_state(db, invitation)
        if state != LinkState.OPEN:
            return Visit(state, questionnaire)
        _mark_opened(db, invitation.id)
        fields = dict(invitation.draft.get("fields") or {})
        return Visit(state, questionnaire, page=_resume_page(questionnaire.questions, invitation.draft), fields=fields)


def post_personal(
    token: str, page: int, posted: Mapping[str, Sequence[str]], *, language: str | None, back: bool = False
) -> Visit:
    """A page of answers posted on a personal link: kept, checked, and the response saved
    after the last page. A post that loses the race to another shows "answered"."""
    if not TOKEN_PATTERN.fullmatch(token or ""):
        return Visit(LinkState.UNKNOWN)
    questionnaire = None
    try:
        with database.exclusive_session() as db:
            invitation = lock_invitation(db, token=token)
            state, questionnaire = invitation_state(db, invitation)
            if state != LinkState.OPEN:
                return Visit(state, questionnaire)
            step = advance(questionnaire.questions, page, invitation.draft.get("fields") or {}, posted, back=back)
            _mark_started(invitation)
            if step.page is None:
                response = complete_invitation(
                    db,
                    invitation,
                    questionnaire.version,
                    step.values,
                    channel=ResponseChannel.LINK,
                    language=language or questionnaire.language,
                )
                db.flush()
                return Visit(state, questionnaire, finished=True, response_id=response.id)
            invitation.draft = {"page": step.page, "fields": step.fields}
            db.add(invitation)
            return Visit(state, questionnaire, page=step.page, fields=step.fields, problems=step.problems)
    except (AlreadyAnswered, IntegrityError):
        return Visit(LinkState.ANSWERED, questionnaire)


def opt_out(token: str) -> LinkState:
    """ "Do not survey me again": the invitation and the customer are marked (distribution
    skips opted-out customers)."""
    if not TOKEN_PATTERN.fullmatch(token or ""):
        return LinkState.UNKNOWN
    with database.exclusive_session() as db:
        invitation = lock_invitation(db, token=token)
        state, _ = invitation_state(db, invitation)
        if state == LinkState.UNKNOWN:
            return state
        now = utcnow()
        customer = db.get(Customer, invitation.customer_id)
        invitation.opted_out_at = invitation.opted_out_at or now
        if invitation.status != InvitationStatus.COMPLETED:
            invitation.status = InvitationStatus.OPTED_OUT
        customer.opted_out, customer.opted_out_at = True, customer.opted_out_at or now
        db.add_all([invitation, customer])
        record(db, None, "customer.opt_out", "customer", customer.id, {"invitation": invitation.id})
        return LinkState.OPTED_OUT


def link_state(token: str) -> Visit:
    """The state of a link without recording a view (the opt-out page asks this)."""
    if not TOKEN_PATTERN.fullmatch(token or ""):
        return Visit(LinkState.UNKNOWN)
    with database.session() as db:
        invitation = db.exec(select(Invitation).where(Invitation.token == token)).first()
        return Visit(*invitation_state(db, invitation))


def invitation_state(db: Session, invitation: Invitation | None) -> tuple[LinkState, Questionnaire | None]:
    if invitation is None:
        return LinkState.UNKNOWN, None
    customer = db.get(Customer, invitation.customer_id)
    if customer is None or customer.erased_at is not None:
        return LinkState.UNKNOWN, None
    survey = db.get(Survey, db.get(Campaign, invitation.campaign_id).survey_id)
    event = db.get(ServiceEvent, invitation.event_id) if invitation.event_id else None
    questionnaire = _questionnaire(
        db,
        survey,
        invitation.language,
        name=customer.name,
        event_day=event.occurred_at.astimezone(settings().timezone).date() if event else None,
        touch_point=event.touch_point if event else None,
    )
    if invitation.status == InvitationStatus.COMPLETED or invitation.completed_at is not None:
        return LinkState.ANSWERED, questionnaire
    if invitation.opted_out_at is not None or invitation.status == InvitationStatus.OPTED_OUT:
        return LinkState.OPTED_OUT, questionnaire
    if invitation.status == InvitationStatus.SUPERSEDED:
        return LinkState.REPLACED, questionnaire
    if event_answered(db, survey.id, invitation.customer_id, invitation.event_id):
        return LinkState.ANSWERED, questionnaire  # through another link or a call about the same event
    if questionnaire.version is None or survey.status != SurveyStatus.LIVE:
        return LinkState.CLOSED, questionnaire
    if _expired(invitation, utcnow()):
        return LinkState.EXPIRED, questionnaire
    return LinkState.OPEN, questionnaire


def _questionnaire(db: Session, survey: Survey, language: str, **pipe) -> Questionnaire:
    """New answers always go to the survey's live version (each response records which)."""
    version = live_version(db, survey)
    return Questionnaire(survey, version, questions_of(db, version) if version else [], language, **pipe)


def _expired(invitation: Invitation, now: datetime) -> bool:
    expires = invitation.expires_at
    opened_in_time = expires is not None and invitation.opened_at is not None and invitation.opened_at < expires
    deadline = expires + EXPIRY_GRACE if opened_in_time else expires
    if deadline is not None and now >= deadline:
        return True
    return invitation.status == InvitationStatus.EXPIRED and not opened_in_time


def _resume_page(questions: Sequence[Question], draft: dict) -> int:
    fields = draft.get("fields") or {}
    page = draft.get("page")
    return page if page in visible_pages(questions, fields) else first_page(questions, fields)


def _mark_opened(db: Session, invitation_id: int) -> None:
    """The first view, once, even when two views race (a conditional update)."""
    db.execute(
        sa.update(Invitation)
        .where(Invitation.id == invitation_id, Invitation.opened_at.is_(None))
        .values(
            opened_at=utcnow(),
            status=sa.case(
                (Invitation.status.in_(NOT_YET_OPENED), InvitationStatus.OPENED.value), else_=Invitation.status
            ),
        )
    )


def _mark_started(invitation: Invitation) -> None:
    now = utcnow()
    invitation.opened_at = invitation.opened_at or now
    invitation.started_at = invitation.started_at or now
    if invitation.status in NOT_YET_STARTED:
        invitation.status = InvitationStatus.STARTED


# ---------------------------------------------------------------- public links


def open_public(slug: str, device: str | None) -> Visit:
    if not SLUG_PATTERN.fullmatch(slug or ""):
        return Visit(LinkState.UNKNOWN)
    with database.session() as db:
        state, questionnaire = _public_state(db, _public_link(db, slug), device)
        if state != LinkState.OPEN:
            return Visit(state, questionnaire)
        return Visit(state, questionnaire, page=first_page(questionnaire.questions, {}))


def post_public(
    slug: str,
    device: str,
    client: str,
    page: int,
    carried: Mapping[str, Sequence[str]],
    posted: Mapping[str, Sequence[str]],
    *,
    language: str | None,
    started_at: datetime | None,
    back: bool = False,
) -> Visit:
    """A page posted on a public link; ``carried`` are the answers of earlier pages, which the
    form carries (signed) because an anonymous visitor has no server-side draft."""
    if not SLUG_PATTERN.fullmatch(slug or ""):
        return Visit(LinkState.UNKNOWN)
    with database.exclusive_session() as db:
        _lock_device(db, device)
        link = _public_link(db, slug)
        state, questionnaire = _public_state(db, link, device)
        if state != LinkState.OPEN:
            return Visit(state, questionnaire)
        if not ratelimit.allow(db, f"public:{link.id}:{client}", settings().public_rate_limit, RATE_WINDOW_SECONDS):
            return Visit(LinkState.BUSY, questionnaire)
        step = advance(questionnaire.questions, page, carried, posted, back=back)
        if step.page is not None:
            return Visit(state, questionnaire, page=step.page, fields=step.fields, problems=step.problems)
        response = record_response(
            db,
            questionnaire.version,
            step.values,
            public_snapshot(link),
            channel=ResponseChannel.PUBLIC,
            language=language or questionnaire.language,
            public_link_id=link.id,
            device_key=device,
            started_at=started_at,
        )
        db.flush()
        return Visit(state, questionnaire, finished=True, response_id=response.id)


def _public_link(db: Session, slug: str) -> PublicLink | None:
    return db.exec(select(PublicLink).where(PublicLink.slug == slug)).first()


def _public_state(db: Session, link: PublicLink | None, device: str | None) -> tuple[LinkState, Questionnaire | None]:
    if link is None:
        return LinkState.UNKNOWN, None
    survey = db.get(Survey, link.survey_id)
    # A QR code at a counter knows where, not when: its texts claim no service date.
    questionnaire = _questionnaire(db, survey, survey.default_language, event_day=None, touch_point=link.touch_point)
    if not link.active or questionnaire.version is None or survey.status != SurveyStatus.LIVE:
        return LinkState.CLOSED, questionnaire
    if device and _answered_recently(db, link, device):
        return LinkState.ANSWERED, questionnaire
    return LinkState.OPEN, questionnaire


def _answered_recently(db: Session, link: PublicLink, device: str) -> bool:
    since = utcnow() - timedelta(hours=settings().public_repeat_hours)
    return (
        db.exec(
            select(Response.id)
            .where(
                Response.device_key == device,
                Response.public_link_id == link.id,
                Response.submitted_at >= since,
            )
            .limit(1)
        ).first()
        is not None
    )


def _lock_device(db: Session, device: str) -> None:
    """PostgreSQL: one post per device at a time, so a double click cannot answer twice
    (SQLite's exclusive session already serialises every post)."""
    if db.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.blake2b(device.encode(), digest_size=8).digest(), "big", signed=True)
        db.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
