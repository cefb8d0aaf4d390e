"""One case as the cases page shows it: the customer, the response that opened it (each answer
beside its question, in both languages), the history and the recontact's progress."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session

from survey.cases.workflow import OPEN_STATUSES, CaseError, history
from survey.models import (
    Answer,
    Customer,
    FollowUpCase,
    FollowUpCaseEvent,
    Question,
    Response,
    Survey,
    User,
    utcnow,
)
from survey.cases.recontact import recontact_state


@dataclass(frozen=True)
class ShownAnswer:
    question: dict[str, str]      # {"zh-CN": .., "en": ..}
    value: str


@dataclass(frozen=True)
class CaseDetail:
    case: FollowUpCase
    customer_name: str | None
    customer_phone: str | None
    customer_email: str | None
    tier: str | None
    assignee: str | None
    overdue: bool
    survey_name: dict[str, str] | None
    answered_on: date | None
    answers: list[ShownAnswer]
    history: list[tuple[FollowUpCaseEvent, str | None]]
    recontact_status: str | None


def _option_text(question: Question, value: str) -> str:
    option = next((o for o in question.options if o.get("value") == value), None)
    return f"{option.get('zh-CN', value)} / {option.get('en', value)}" if option else value


def shown_answers(db: Session, response: Response) -> list[ShownAnswer]:
    questions = {q.code: q for q in db.execute(sa.select(Question).where(
        Question.version_id == response.version_id).order_by(Question.position)).scalars()}
    values: dict[str, list[str]] = {}
    for answer in db.execute(sa.select(Answer).where(Answer.response_id == response.id).order_by(Answer.id)).scalars():
        question = questions.get(answer.question_code)
        if answer.value_num is not None:
            number = f"{answer.value_num:g}"
            text = f"{answer.item_code}: {number}" if answer.item_code else number
        else:
            text = _option_text(question, answer.value_text) if question and question.options else answer.value_text
        values.setdefault(answer.question_code, []).append(text or "")
    return [ShownAnswer({"zh-CN": q.text_zh, "en": q.text_en}, "; ".join(values[code]))
            for code, q in questions.items() if code in values]


def case_detail(db: Session, case_id: int) -> CaseDetail:
    case = db.get(FollowUpCase, case_id)
    if case is None:
        raise CaseError(f"no case {case_id}")
    customer = db.get(Customer, case.customer_id) if case.customer_id else None
    response = db.get(Response, case.response_id) if case.response_id else None
    survey = db.get(Survey, response.survey_id) if response else None
    assignee = db.get(User, case.assignee_id) if case.assignee_id else None
    return CaseDetail(
        case=case, customer_name=customer.name if customer else None, customer_phone=customer.phone if customer else None,
        customer_email=customer.email if customer else None, tier=response.tier if response else None,
        assignee=assignee.username if assignee else None,
        overdue=case.status in OPEN_STATUSES and case.due_at < utcnow(),
        survey_name={"zh-CN": survey.name_zh, "en": survey.name_en} if survey else None,
        answered_on=response.answered_on if response else None,
        answers=shown_answers(db, response) if response else [], history=history(db, case.id),
        recontact_status=recontact_state(db, case.recontact_invitation_id),
    )
