"""The rules of answering, shared by every way answers come in.

The personal link page, the public QR link, the agents' phone revisits and (later) follow-up
recontacts all go through here, so a required question, a scale range or a display condition
means the same thing everywhere:

- ``condition_holds``: display conditions, evaluated on the server.
- ``pipe``: ``{name}``, ``{event_date}`` and ``{touch_point}`` in survey texts.
- ``evaluate``: walk the questions in order, decide which ones show, read and check their
  answers from form fields, and name each problem beside its question.
- ``answer_rows``: checked answers in the shape of the ``answer`` table.

Form fields are what an HTML form posts: strings, a list per name. A question's answer is
posted under its code (``overall=4``; a multiple choice repeats the name); a matrix item under
``code.item``. Question codes start with a letter, so control fields start with ``_``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from survey.core.dates import long_date_text
from survey.core.i18n import LANGUAGES, label, normalise_language, t
from survey.design.question_types import question_type
from survey.models import Answer, Question

Value = int | str | list[str] | dict[str, int]
Fields = Mapping[str, Sequence[str]]
PIPE_FIELD = re.compile(r"\{(name|event_date|touch_point)\}")


@dataclass(frozen=True)
class Problem:
    """Why an answer cannot be accepted: a catalog key and its fields, shown beside the question."""

    key: str
    params: dict = field(default_factory=dict)

    def text(self, lang: str | None) -> str:
        return t(self.key, lang, **self.params)


@dataclass
class Evaluation:
    values: dict[str, Value]  # checked answers of the questions that show
    problems: dict[str, Problem]  # question code -> what is wrong
    visible: list[Question]

    @property
    def ok(self) -> bool:
        return not self.problems


# ---------------------------------------------------------------- display conditions


def condition_holds(condition: dict | None, values: Mapping[str, Value]) -> bool:
    """Whether a question shows, given the (checked) answers to earlier questions.

    A question whose source question is unanswered or hidden stays hidden. For a multiple
    choice, ``==``/``in`` mean "any of these was chosen" and ``!=``/``not_in`` "none was".
    """
    if not condition:
        return True
    answer = values.get(condition["question"])
    if answer is None:
        return False
    op, target = condition["op"], condition["value"]
    targets = target if isinstance(target, list) else [target]
    if isinstance(answer, list):
        chosen = any(str(t) in answer for t in targets)
        return chosen if op in ("==", "in") else (not chosen if op in ("!=", "not_in") else False)
    if op in ("in", "==", "not_in", "!="):
        member = any(_same(answer, t) for t in targets)
        return member if op in ("in", "==") else not member
    try:
        number = float(target)
    except (TypeError, ValueError):
        return False
    if not isinstance(answer, int):
        return False
    return {"<=": answer <= number, "<": answer < number, ">=": answer >= number, ">": answer > number}[op]


def _same(answer: int | str, target) -> bool:
    if isinstance(answer, int):
        try:
            return float(target) == answer
        except (TypeError, ValueError):
            return False
    return str(target) == answer


# ---------------------------------------------------------------- piping


def pipe(text: str, values: Mapping[str, str]) -> str:
    """Put customer and event fields into a text. Unknown braces stay as written (never
    ``str.format``: survey texts are data, and format fields can reach object attributes).
    Without a service date the stand-in reads "recently", so "on {event_date}" loses its "on"."""
    text = text or ""
    if values.get("event_date") in _EVENT_DATE_STAND_INS:
        text = DATE_PREPOSITION.sub("", text)
    return PIPE_FIELD.sub(lambda m: values.get(m.group(1), m.group(0)), text)


DATE_PREPOSITION = re.compile(r"\b(?:on|at|from)\s+(?=\{event_date\})", re.IGNORECASE)
_EVENT_DATE_STAND_INS = frozenset(t("answer.pipe_event_date", lang) for lang in LANGUAGES)


def pipe_values(lang: str, *, name: str | None, event_day: date | None, touch_point: str | None) -> dict[str, str]:
    """The piped fields in a language, with polite stand-ins for what is unknown."""
    lang = normalise_language(lang)
    place = label("touch_point", touch_point, lang) if touch_point else t("answer.pipe_touch_point", lang)
    if lang == "en" and touch_point:
        place = place[:1].lower() + place[1:]  # mid-sentence: "visiting our business hall"
    return {
        "name": (name or "").strip() or t("answer.pipe_name", lang),
        "event_date": long_date_text(event_day, lang) if event_day else t("answer.pipe_event_date", lang),
        "touch_point": place,
    }


# ---------------------------------------------------------------- reading and checking


def evaluate(questions: Iterable[Question], fields: Fields) -> Evaluation:
    """Visibility, answers and problems for questions in survey order.

    One pass is enough because a condition may only refer to an earlier question
    (survey.design validates that); answers to hidden questions are ignored.
    """
    result = Evaluation({}, {}, [])
    for question in questions:
        if not condition_holds(question.condition, result.values):
            continue
        result.visible.append(question)
        value, problem = read_answer(question, fields)
        if problem is not None:
            result.problems[question.code] = problem
        elif value is not None:
            result.values[question.code] = value
    return result


def read_answer(question: Question, fields: Fields) -> tuple[Value | None, Problem | None]:
    """One question's answer from the form fields: (value, None), (None, None) when it was
    left blank and may be, or (None, problem)."""
    qtype = question_type(question.type)
    if qtype.has_items:
        return _read_matrix(question, fields)
    if qtype.free_text:
        return _read_text(question, fields)
    posted = [v.strip() for v in fields.get(question.code, ()) if v and v.strip()]
    if not posted:
        return None, _missing(question)
    if qtype.has_options:
        allowed = [o["value"] for o in question.options]
        chosen = list(dict.fromkeys(posted))
        if any(v not in allowed for v in chosen):
            return None, Problem("answer.not_an_option")
        if qtype.multiple:
            return chosen, None
        return (chosen[0], None) if len(chosen) == 1 else (None, Problem("answer.one_only"))
    if len(set(posted)) > 1:
        return None, Problem("answer.one_only")
    return _scale_value(question, posted[0])


def _missing(question: Question) -> Problem | None:
    return Problem("answer.required") if question.required else None


def _scale_value(question: Question, raw: str) -> tuple[int | None, Problem | None]:
    low, high = question.scale_min, question.scale_max
    try:
        number = int(raw)
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        return None, Problem("answer.out_of_range", {"low": low, "high": high})
    return number, None


def _read_matrix(question: Question, fields: Fields) -> tuple[dict[str, int] | None, Problem | None]:
    ratings: dict[str, int] = {}
    for item in question.items:
        posted = [v.strip() for v in fields.get(matrix_field(question.code, item["code"]), ()) if v and v.strip()]
        if not posted:
            continue
        if len(set(posted)) > 1:
            return None, Problem("answer.one_only")
        number, problem = _scale_value(question, posted[0])
        if problem:
            return None, problem
        ratings[item["code"]] = number
    if question.required and len(ratings) < len(question.items):
        return None, Problem("answer.required_items")
    return ratings or None, None


def _read_text(question: Question, fields: Fields) -> tuple[str | None, Problem | None]:
    posted = [v for v in fields.get(question.code, ()) if v]
    # NUL cannot be stored in PostgreSQL text; \r\n is how browsers post a line break.
    text = "\n".join(posted).replace("\x00", "").replace("\r\n", "\n").strip()
    if not text:
        return None, _missing(question)
    limit = question.max_length
    if limit and len(text) > limit:
        return None, Problem("answer.too_long", {"limit": limit, "length": len(text)})
    return text, None


# ---------------------------------------------------------------- conversions


def matrix_field(code: str, item: str) -> str:
    return f"{code}.{item}"


def question_of_field(name: str) -> str:
    return name.split(".", 1)[0]


def answer_fields(questions: Iterable[Question], fields: Fields) -> dict[str, list[str]]:
    """Only the fields that answer one of these questions (drops control fields and junk)."""
    codes = {q.code for q in questions}
    return {
        name: [str(v) for v in values] for name, values in fields.items() if question_of_field(name) in codes and values
    }


def fields_of(values: Mapping[str, Value]) -> dict[str, list[str]]:
    """Checked answers back in form-field shape (to show them again, or keep them)."""
    fields: dict[str, list[str]] = {}
    for code, value in values.items():
        if isinstance(value, dict):
            fields.update({matrix_field(code, item): [str(v)] for item, v in value.items()})
        elif isinstance(value, list):
            fields[code] = list(value)
        else:
            fields[code] = [str(value)]
    return fields


def answer_rows(response_id: int, values: Mapping[str, Value]) -> list[Answer]:
    """Numbers in value_num, choices and text in value_text, one row per chosen option and
    per matrix item."""
    rows: list[Answer] = []
    for code, value in values.items():
        if isinstance(value, dict):
            rows += [
                Answer(response_id=response_id, question_code=code, item_code=item, value_num=float(v))
                for item, v in value.items()
            ]
        elif isinstance(value, list):
            rows += [Answer(response_id=response_id, question_code=code, value_text=v) for v in value]
        elif isinstance(value, int):
            rows.append(Answer(response_id=response_id, question_code=code, value_num=float(value)))
        else:
            rows.append(Answer(response_id=response_id, question_code=code, value_text=value))
    return rows
