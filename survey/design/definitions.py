"""Survey definitions: validate them, store them as versions, publish, export.

A *definition* is the portable JSON form of one survey version (the templates in
``survey.design.templates`` are definitions; JSON import/export uses the same shape)::

    {"code": "repair-revisit",
     "name": {"zh-CN": "..", "en": ".."}, "title": {..}, "intro": {..}, "thanks": {..},
     "questions": [{"code": "overall", "type": "rating", "scale": [1, 5], "text": {..},
                    "dimension": "overall", "required": true, "page": 1,
                    "condition": {"question": "nps", "op": "<=", "value": 6}}, ...]}

Published versions are frozen: editing a live survey creates a new draft version.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm
from sqlmodel import Session, select

from survey.core.audit import record
from survey.core.errors import SurveyError
from survey.core.vocab import Dimension, SurveyStatus, VersionStatus
from survey.design.question_types import CONDITION_OPERATORS, DEFAULT_TEXT_LIMIT, QUESTION_TYPES, question_type
from survey.models import Question, Survey, SurveyVersion, utcnow

CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{1,39}$")
QUESTION_CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
CHOICE_KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
LANG_KEYS = ("zh-CN", "en")


class DefinitionError(SurveyError, ValueError):
    """A survey definition that cannot be used; ``problems`` lists each one plainly.

    Either the problems a check found (``DefinitionError(problems, key=..., details=...)``) or
    one refusal by its catalog key alone (``DefinitionError(key="errors.design.survey_gone")``).
    """

    def __init__(self, problems: list[str] | None = None, *, key: str | None = None, **params: Any):
        super().__init__("; ".join(problems or ()), key=key, **params)
        self.problems = list(problems) if problems else [str(self)]
        self._one_refusal = not problems

    def problems_in(self, lang: str) -> list[str]:
        """The problems to list for a reader: a refusal in their language; the findings of a
        check as they were found."""
        return [self.text(lang)] if self._one_refusal else self.problems


class FrozenVersionError(SurveyError, ValueError):
    """A change to a published version, which is frozen once responses may refer to it."""


@sa.event.listens_for(orm.Session, "before_flush")
def _refuse_changes_to_published_versions(db: orm.Session, _context, _instances) -> None:
    """Published versions are frozen whichever code path tries to change them: every response
    must keep pointing at exactly the questions it answered. Only retiring one is allowed."""
    with db.no_autoflush:
        for obj in (*db.new, *db.dirty, *db.deleted):
            if isinstance(obj, Question) and (obj not in db.dirty or db.is_modified(obj)):
                version = db.get(SurveyVersion, obj.version_id)
                if version is not None and _is_frozen(version):
                    raise FrozenVersionError(key="errors.design.question_frozen", code=obj.code, number=version.number)
            elif isinstance(obj, SurveyVersion) and _is_frozen(obj) and _changed_beyond_status(db, obj):
                raise FrozenVersionError(key="errors.design.version_published", number=obj.number)


def _is_frozen(version: SurveyVersion) -> bool:
    """Published or retired as stored (a draft being published in this same flush is not yet)."""
    state = sa.inspect(version)
    if state.pending:
        return False
    history = state.attrs.status.history
    stored = (history.deleted or history.unchanged or history.added)[0]
    return stored != VersionStatus.DRAFT


def _changed_beyond_status(db: orm.Session, version: SurveyVersion) -> bool:
    if version in db.deleted:
        return True
    state = sa.inspect(version)
    return any(attr.history.has_changes() for attr in state.attrs if attr.key != "status")


# ---------------------------------------------------------------- validation


def validate_definition(definition: Any) -> list[str]:
    """Every problem of a definition, as readable sentences (empty when it is usable)."""
    if not isinstance(definition, dict):
        return ["the survey definition must be a JSON object"]
    problems: list[str] = []
    code = definition.get("code")
    if not isinstance(code, str) or not CODE_PATTERN.match(code):
        problems.append("code must be 2-40 characters: lowercase letters, digits, '-' or '_', starting with a letter")
    problems += _text_problems(definition.get("name"), "name", required=True)
    if definition.get("default_language", "zh-CN") not in LANG_KEYS:
        problems.append(f"default_language must be one of {', '.join(LANG_KEYS)}")
    questions = definition.get("questions")
    if not isinstance(questions, list) or not questions:
        problems.append("questions must be a non-empty list")
        return problems
    seen: dict[str, dict] = {}
    for index, question in enumerate(questions, start=1):
        where = f"question {index}"
        if not isinstance(question, dict):
            problems.append(f"{where} must be an object")
            continue
        if isinstance(question.get("code"), str):
            where = f"question {index} ('{question['code']}')"
        problems += [f"{where}: {p}" for p in _question_problems(question, seen)]
        if isinstance(question.get("code"), str):
            seen[question["code"]] = question
    return problems


def _text_problems(value: Any, field: str, *, required: bool) -> list[str]:
    if value is None and not required:
        return []
    if not isinstance(value, dict) or not all(isinstance(value.get(k), str) and value[k].strip() for k in LANG_KEYS):
        return [f"{field} needs text in both zh-CN and en"]
    return []


def _question_problems(question: dict, earlier: dict[str, dict]) -> list[str]:
    problems: list[str] = []
    code = question.get("code")
    if not isinstance(code, str) or not QUESTION_CODE_PATTERN.match(code):
        problems.append("code must be lowercase letters, digits or '_', starting with a letter")
    elif code in earlier:
        problems.append("code is used twice")
    try:
        qtype = question_type(str(question.get("type", "")))
    except ValueError as exc:
        return problems + [str(exc)]
    problems += _text_problems(question.get("text"), "text", required=True)
    problems += _text_problems(question.get("help"), "help", required=False)
    dimension = question.get("dimension")
    if dimension is not None and dimension not in [d.value for d in Dimension]:
        problems.append(f"unknown dimension '{dimension}'")
    if qtype.scales:
        scale = _scale_of(question, qtype)
        if scale not in qtype.scales:
            allowed = ", ".join(f"{lo}-{hi}" for lo, hi in qtype.scales)
            problems.append(f"scale {question.get('scale')} is not allowed for {qtype.name}; use {allowed}")
    if qtype.has_options:
        problems += _choice_problems(question.get("options"), "options", "value")
    if qtype.has_items:
        problems += _choice_problems(question.get("items"), "items", "code")
    if qtype.free_text:
        limit = question.get("max_length", DEFAULT_TEXT_LIMIT)
        if not isinstance(limit, int) or not 1 <= limit <= 5000:
            problems.append("max_length must be a whole number from 1 to 5000")
    page = question.get("page", 1)
    if not isinstance(page, int) or page < 1:
        problems.append("page must be a whole number from 1")
    if question.get("condition") is not None:
        problems += _condition_problems(question["condition"], earlier)
    return problems


def _scale_of(question: dict, qtype) -> tuple | None:
    scale = question.get("scale") or qtype.default_scale
    return tuple(scale) if isinstance(scale, list | tuple) else None


def _choice_problems(entries: Any, field: str, key: str) -> list[str]:
    if not isinstance(entries, list) or len(entries) < 2:
        return [f"{field} needs at least two entries"]
    problems = []
    values = [e.get(key) if isinstance(e, dict) else None for e in entries]
    if any(not isinstance(v, str) or not v for v in values):
        problems.append(f"every entry of {field} needs a '{key}'")
    elif any(not CHOICE_KEY_PATTERN.match(v) for v in values):
        problems.append(
            f"each '{key}' of {field} must be 1-40 letters, digits, '_' or '-' (it is stored with the answers)"
        )
    elif len(set(values)) != len(values):
        problems.append(f"{field} repeat a '{key}'")
    if any(_text_problems(e, field, required=True) for e in entries if isinstance(e, dict)):
        problems.append(f"every entry of {field} needs text in zh-CN and en")
    return problems


def _condition_problems(condition: Any, earlier: dict[str, dict]) -> list[str]:
    if not isinstance(condition, dict):
        return ["condition must be an object with question, op and value"]
    source = condition.get("question")
    if not isinstance(source, str) or source not in earlier:
        return [f"condition refers to '{source}', which is not an earlier question"]
    if condition.get("op") not in CONDITION_OPERATORS:
        return [f"condition operator must be one of {', '.join(CONDITION_OPERATORS)}"]
    source_type = QUESTION_TYPES.get(str(earlier[source].get("type")))
    if source_type is None:
        return []  # the source question's own problem is reported already
    if source_type.free_text or source_type.has_items:
        return ["a condition cannot depend on a free-text or matrix answer"]
    if "value" not in condition:
        return ["condition needs a value"]
    return _condition_value_problems(condition["op"], condition["value"], earlier[source], source_type)


def _condition_value_problems(op: str, value: Any, source: dict, source_type) -> list[str]:
    """The rule's value must be something the source question can answer."""
    if op in ("in", "not_in") and not (isinstance(value, list) and value):
        return [f"condition operator '{op}' needs a list of values"]
    targets = value if isinstance(value, list) else [value]
    if source_type.has_options:
        if op in ("<=", "<", ">=", ">"):
            return [f"condition operator '{op}' needs a numeric question; use ==, !=, in or not_in"]
        options = [o.get("value") for o in source.get("options") or [] if isinstance(o, dict)]
        unknown = [str(t) for t in targets if t not in options]
        return [f"condition value {', '.join(unknown)} is not an option of '{source['code']}'"] if unknown else []
    scale = _scale_of(source, source_type)
    if scale not in source_type.scales:
        return []  # the source question's own problem is reported already
    low, high = scale
    if any(isinstance(t, bool) or not isinstance(t, int | float) or not low <= t <= high for t in targets):
        return [f"condition value must be a number from {low} to {high}"]
    return []


# ---------------------------------------------------------------- storage


def question_row(version_id: int, position: int, q: dict) -> Question:
    qtype = question_type(q["type"])
    scale = tuple(q.get("scale") or qtype.default_scale or (None, None))
    return Question(
        version_id=version_id,
        position=position,
        page=q.get("page", 1),
        code=q["code"],
        type=q["type"],
        dimension=q.get("dimension"),
        required=bool(q.get("required", True)),
        text_zh=q["text"]["zh-CN"],
        text_en=q["text"]["en"],
        help_zh=(q.get("help") or {}).get("zh-CN", ""),
        help_en=(q.get("help") or {}).get("en", ""),
        scale_min=scale[0],
        scale_max=scale[-1],
        labels=q.get("labels") or {},
        options=q.get("options") or [],
        items=q.get("items") or [],
        condition=q.get("condition"),
        max_length=q.get("max_length", DEFAULT_TEXT_LIMIT) if qtype.free_text else None,
    )


def _require_valid(definition: Any) -> None:
    problems = validate_definition(definition)
    if problems:
        raise DefinitionError(problems, key="errors.design.definition_invalid", details="; ".join(problems))


def fill_version_texts(version: SurveyVersion, definition: dict) -> None:
    for field in ("title", "intro", "thanks"):
        texts = definition.get(field) or {}
        setattr(version, f"{field}_zh", texts.get("zh-CN", ""))
        setattr(version, f"{field}_en", texts.get("en", ""))


def create_survey(
    db: Session, definition: dict, *, actor=None, publish: bool = False, template: str | None = None
) -> Survey:
    """A new survey with version 1 from a definition; optionally published at once."""
    _require_valid(definition)
    if db.exec(select(Survey).where(Survey.code == definition["code"])).first():
        raise DefinitionError(key="errors.design.code_taken", code=definition["code"])
    survey = Survey(
        code=definition["code"],
        name_zh=definition["name"]["zh-CN"],
        name_en=definition["name"]["en"],
        default_language=definition.get("default_language", "zh-CN"),
        template=template,
        created_by_id=getattr(actor, "id", None),
    )
    db.add(survey)
    db.flush()
    version = SurveyVersion(survey_id=survey.id, number=1)
    fill_version_texts(version, definition)
    db.add(version)
    db.flush()
    db.add_all(question_row(version.id, i, q) for i, q in enumerate(definition["questions"], start=1))
    record(db, actor, "survey.create", "survey", survey.id, {"code": survey.code, "template": template})
    if publish:
        publish_version(db, version, actor=actor)
    return survey


def publish_version(db: Session, version: SurveyVersion, *, actor=None) -> SurveyVersion:
    """Freeze a draft version and make it the live one (earlier published versions retire)."""
    if version.status != VersionStatus.DRAFT:
        raise FrozenVersionError(
            key="errors.design.version_not_draft", number=version.number, status=str(version.status)
        )
    for older in db.exec(
        select(SurveyVersion).where(
            SurveyVersion.survey_id == version.survey_id,
            SurveyVersion.status == VersionStatus.PUBLISHED,
        )
    ):
        older.status = VersionStatus.RETIRED
        db.add(older)
    version.status = VersionStatus.PUBLISHED
    version.published_at = utcnow()
    version.published_by_id = getattr(actor, "id", None)
    survey = db.get(Survey, version.survey_id)
    survey.status = SurveyStatus.LIVE
    db.add_all([version, survey])
    db.flush()
    record(db, actor, "survey.publish", "survey", survey.id, {"code": survey.code, "version": version.number})
    return version


def live_version(db: Session, survey: Survey) -> SurveyVersion | None:
    return db.exec(
        select(SurveyVersion).where(
            SurveyVersion.survey_id == survey.id,
            SurveyVersion.status == VersionStatus.PUBLISHED,
        )
    ).first()


def questions_of(db: Session, version: SurveyVersion) -> list[Question]:
    return list(db.exec(select(Question).where(Question.version_id == version.id).order_by(Question.position)))


def survey_by_code(db: Session, code: str) -> Survey | None:
    return db.exec(select(Survey).where(Survey.code == code)).first()


def definition_of(db: Session, version: SurveyVersion) -> dict:
    """The portable definition of a stored version (round-trips through create_survey)."""
    survey = db.get(Survey, version.survey_id)
    return {
        "code": survey.code,
        "name": {"zh-CN": survey.name_zh, "en": survey.name_en},
        "default_language": survey.default_language,
        **{
            field: {"zh-CN": getattr(version, f"{field}_zh"), "en": getattr(version, f"{field}_en")}
            for field in ("title", "intro", "thanks")
        },
        "questions": [_question_definition(q) for q in questions_of(db, version)],
    }


def _question_definition(q: Question) -> dict:
    qtype = question_type(q.type)
    out: dict[str, Any] = {
        "code": q.code,
        "type": q.type,
        "dimension": q.dimension,
        "required": q.required,
        "page": q.page,
        "text": {"zh-CN": q.text_zh, "en": q.text_en},
    }
    if q.help_zh or q.help_en:
        out["help"] = {"zh-CN": q.help_zh, "en": q.help_en}
    if qtype.scales:
        out["scale"] = [q.scale_min, q.scale_max]
    if q.labels:
        out["labels"] = q.labels
    if qtype.has_options:
        out["options"] = q.options
    if qtype.has_items:
        out["items"] = q.items
    if q.condition:
        out["condition"] = q.condition
    if qtype.free_text:
        out["max_length"] = q.max_length
    return out
