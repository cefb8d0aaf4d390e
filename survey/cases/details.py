"""One case as the cases page shows it: the customer, the response that opened it (each answer
beside its question, in words in both languages: options and matrix rows by their labels, yes/no
as 是/否, scores with their scale and the meaning of its ends), the history and the recontact's
progress."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session

from survey.cases.recontact import recontact_state
from survey.cases.workflow import OPEN_STATUSES, CaseError, history
from survey.core.i18n import LANGUAGES, t, text_in
from survey.design.question_types import question_type
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


@dataclass(frozen=True)
class ShownAnswer:
    question: dict[str, str]  # {"zh-CN": .., "en": ..}
    value: dict[str, str]  # the answer in words, per language
    free_text: bool = False  # a comment: shown whole, not cut to fit a table cell


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


def _labelled(entries: list[dict], key: str, code: str | None, lang: str) -> str:
    """An option's or matrix row's label in ``lang`` (the stored code when it is not found)."""
    entry = next((e for e in entries if e.get(key) == code), None)
    return text_in(entry, lang) if entry else (code or "")


def _score_text(question: Question, number: float, lang: str) -> str:
    """A yes/no as 是/否; a score with the top of its scale, and the meaning of an end when it is one."""
    if question.type == "yes_no":
        return t("words.yes" if number == 1 else "words.no", lang)
    value = f"{number:g}"
    if question.scale_max is None:
        return value
    ends = {
        question.scale_min: (question.labels or {}).get("low"),
        question.scale_max: (question.labels or {}).get("high"),
    }
    end = text_in(ends.get(number), lang)
    key = "answer.scale_end" if end else "answer.scale"
    return t(key, lang, value=value, top=question.scale_max, end=end)


def _answer_text(question: Question | None, answer: Answer, lang: str) -> str:
    if question is None:  # a question no longer in the version: the stored values as they are
        return f"{answer.value_num:g}" if answer.value_num is not None else (answer.value_text or "")
    if answer.value_num is not None:
        score = _score_text(question, answer.value_num, lang)
        return f"{_labelled(question.items, 'code', answer.item_code, lang)}: {score}" if answer.item_code else score
    if question.options:
        return _labelled(question.options, "value", answer.value_text, lang)
    return answer.value_text or ""


def shown_answers(db: Session, response: Response) -> list[ShownAnswer]:
    questions = {
        q.code: q
        for q in db.execute(
            sa.select(Question).where(Question.version_id == response.version_id).order_by(Question.position)
        ).scalars()
    }
    answers: dict[str, list[Answer]] = {}
    for answer in db.execute(sa.select(Answer).where(Answer.response_id == response.id).order_by(Answer.id)).scalars():
        answers.setdefault(answer.question_code, []).append(answer)
    shown = []
    for code, given in answers.items():
        question = questions.get(code)
        words = {
            lang: t("words.separator", lang).join(_answer_text(question, a, lang) for a in given) for lang in LANGUAGES
        }
        asked = {"zh-CN": question.text_zh, "en": question.text_en} if question else {lang: code for lang in LANGUAGES}
        free_text = question is not None and question_type(question.type).free_text
        shown.append((question.position if question else len(questions), ShownAnswer(asked, words, free_text)))
    return [answer for _position, answer in sorted(shown, key=lambda pair: pair[0])]


def case_detail(db: Session, case_id: int) -> CaseDetail:
    case = db.get(FollowUpCase, case_id)
    if case is None:
        raise CaseError(key="errors.cases.no_case", case_id=case_id)
    customer = db.get(Customer, case.customer_id) if case.customer_id else None
    response = db.get(Response, case.response_id) if case.response_id else None
    survey = db.get(Survey, response.survey_id) if response else None
    assignee = db.get(User, case.assignee_id) if case.assignee_id else None
    return CaseDetail(
        case=case,
        customer_name=customer.name if customer else None,
        customer_phone=customer.phone if customer else None,
        customer_email=customer.email if customer else None,
        tier=response.tier if response else None,
        assignee=assignee.username if assignee else None,
        overdue=case.status in OPEN_STATUSES and case.due_at < utcnow(),
        survey_name={"zh-CN": survey.name_zh, "en": survey.name_en} if survey else None,
        answered_on=response.answered_on if response else None,
        answers=shown_answers(db, response) if response else [],
        history=history(db, case.id),
        recontact_status=recontact_state(db, case.recontact_invitation_id),
    )
