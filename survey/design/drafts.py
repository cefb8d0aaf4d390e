"""Editing surveys: draft versions, their questions, new versions of live surveys, JSON files.

Every edit works on the draft's portable definition (``survey.design.definition_of``): change
the dict, validate the whole of it, then store it. So an edit that would break the survey
(a condition left pointing at a deleted or later question, a repeated code) is refused with
the same sentences as a bad import, and nothing is half-saved.

Published versions are frozen (``survey.design`` refuses any change to them); a live survey is
edited by starting a new draft version, a copy of the live one, and publishing it. Question
codes carry over, so trends continue across versions.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from sqlmodel import Session, func, select

from survey.core.audit import record
from survey.core.vocab import SurveyStatus, VersionStatus
from survey.design.definitions import (
    DefinitionError,
    FrozenVersionError,
    create_survey,
    definition_of,
    fill_version_texts,
    live_version,
    publish_version,
    question_row,
    questions_of,
    survey_by_code,
    validate_definition,
)
from survey.models import Question, Response, Survey, SurveyVersion, utcnow

MAX_IMPORT_BYTES = 1_000_000
TEXT_FIELDS = ("title", "intro", "thanks")


def draft_version(db: Session, survey: Survey) -> SurveyVersion | None:
    return db.exec(
        select(SurveyVersion).where(
            SurveyVersion.survey_id == survey.id,
            SurveyVersion.status == VersionStatus.DRAFT,
        )
    ).first()


def versions_of(db: Session, survey: Survey) -> list[SurveyVersion]:
    return list(
        db.exec(select(SurveyVersion).where(SurveyVersion.survey_id == survey.id).order_by(SurveyVersion.number))
    )


def start_new_version(db: Session, survey: Survey, *, actor=None) -> SurveyVersion:
    """A new draft version: a copy of the live (or latest) version, ready to edit."""
    if draft_version(db, survey) is not None:
        raise DefinitionError(key="errors.design.has_draft", code=survey.code)
    source = live_version(db, survey) or versions_of(db, survey)[-1]
    number = db.exec(select(func.max(SurveyVersion.number)).where(SurveyVersion.survey_id == survey.id)).one() + 1
    draft = SurveyVersion(survey_id=survey.id, number=number)
    fill_version_texts(draft, definition_of(db, source))
    db.add(draft)
    db.flush()
    db.add_all(_copy_question(q, draft.id) for q in questions_of(db, source))
    record(
        db,
        actor,
        "survey.new_version",
        "survey",
        survey.id,
        {"code": survey.code, "version": number, "from_version": source.number},
    )
    return draft


def _copy_question(question: Question, version_id: int) -> Question:
    data = copy.deepcopy(question.model_dump(exclude={"id", "version_id"}))
    return Question(version_id=version_id, **data)


# ---------------------------------------------------------------- edits of a draft


def require_draft(version: SurveyVersion) -> None:
    if version.status != VersionStatus.DRAFT:
        raise FrozenVersionError(key="errors.design.version_locked", number=version.number, status=str(version.status))


def save_definition(
    db: Session, version: SurveyVersion, definition: dict, *, actor=None, action: str = "survey.edit"
) -> SurveyVersion:
    """Store a whole definition into a draft version (texts and questions); the survey's code
    cannot change."""
    require_draft(version)
    survey = db.get(Survey, version.survey_id)
    problems = validate_definition(definition)
    if isinstance(definition, dict) and definition.get("code") != survey.code:
        problems.insert(0, f"code must stay '{survey.code}' (the survey's code cannot change)")
    if problems:
        raise DefinitionError(problems, key="errors.design.definition_invalid", details="; ".join(problems))
    survey.name_zh, survey.name_en = definition["name"]["zh-CN"], definition["name"]["en"]
    survey.default_language = definition.get("default_language", survey.default_language)
    fill_version_texts(version, definition)
    for old in questions_of(db, version):
        db.delete(old)
    db.flush()  # the (version, code) unique constraint must not see old and new rows together
    db.add_all(question_row(version.id, i, q) for i, q in enumerate(definition["questions"], start=1))
    db.add_all([survey, version])
    db.flush()
    record(db, actor, action, "survey", survey.id, {"code": survey.code, "version": version.number})
    return version


def edit_texts(db: Session, version: SurveyVersion, texts: dict[str, dict[str, str]], *, actor=None) -> SurveyVersion:
    """Change the name, title, intro or thanks texts ({"title": {"zh-CN": .., "en": ..}, ...})."""
    definition = definition_of(db, version)
    definition.update({k: v for k, v in texts.items() if k in ("name", *TEXT_FIELDS)})
    return save_definition(db, version, definition, actor=actor)


def add_question(
    db: Session, version: SurveyVersion, question: dict, *, position: int | None = None, actor=None
) -> SurveyVersion:
    """Insert a question (at 1-based ``position``, default last)."""
    definition = definition_of(db, version)
    questions = definition["questions"]
    index = len(questions) if position is None else max(0, min(position - 1, len(questions)))
    questions.insert(index, question)
    return save_definition(db, version, definition, actor=actor)


def update_question(db: Session, version: SurveyVersion, code: str, question: dict, *, actor=None) -> SurveyVersion:
    definition = definition_of(db, version)
    index = _index_of(definition, code)
    definition["questions"][index] = question
    return save_definition(db, version, definition, actor=actor)


def delete_question(db: Session, version: SurveyVersion, code: str, *, actor=None) -> SurveyVersion:
    definition = definition_of(db, version)
    del definition["questions"][_index_of(definition, code)]
    return save_definition(db, version, definition, actor=actor)


def move_question(db: Session, version: SurveyVersion, code: str, offset: int, *, actor=None) -> SurveyVersion:
    """Move a question up (negative offset) or down; moving past either end stops there."""
    definition = definition_of(db, version)
    questions = definition["questions"]
    index = _index_of(definition, code)
    target = max(0, min(index + offset, len(questions) - 1))
    questions.insert(target, questions.pop(index))
    return save_definition(db, version, definition, actor=actor)


def _index_of(definition: dict, code: str) -> int:
    for index, question in enumerate(definition["questions"]):
        if question["code"] == code:
            return index
    raise DefinitionError(key="errors.design.no_question", code=code)


# ---------------------------------------------------------------- publish, open and close


def publish_draft(db: Session, survey: Survey, *, actor=None) -> SurveyVersion:
    """Freeze the draft and make it the live version, once it passes every check."""
    version = draft_version(db, survey)
    if version is None:
        raise DefinitionError(key="errors.design.no_draft_to_publish", code=survey.code)
    problems = validate_definition(definition_of(db, version))
    if problems:
        raise DefinitionError(problems, key="errors.design.definition_invalid", details="; ".join(problems))
    return publish_version(db, version, actor=actor)


def close_survey(db: Session, survey: Survey, *, actor=None) -> None:
    """Stop collecting: links show a polite "survey closed" page."""
    survey.status = SurveyStatus.CLOSED
    survey.closed_at = utcnow()
    db.add(survey)
    record(db, actor, "survey.close", "survey", survey.id, {"code": survey.code})


def reopen_survey(db: Session, survey: Survey, *, actor=None) -> None:
    if live_version(db, survey) is None:
        raise DefinitionError(key="errors.design.nothing_to_reopen", code=survey.code)
    survey.status = SurveyStatus.LIVE
    survey.closed_at = None
    db.add(survey)
    record(db, actor, "survey.reopen", "survey", survey.id, {"code": survey.code})


# ---------------------------------------------------------------- the survey list


def survey_rows(db: Session) -> list[dict[str, Any]]:
    """Every survey with its status, live and draft version numbers and response count."""
    counts = dict(db.exec(select(Response.survey_id, func.count(Response.id)).group_by(Response.survey_id)).all())
    versions: dict[int, dict[str, int]] = {}
    stored = db.exec(select(SurveyVersion.survey_id, SurveyVersion.status, SurveyVersion.number))
    for survey_id, status, number in stored:
        versions.setdefault(survey_id, {})[status] = max(number, versions.get(survey_id, {}).get(status, 0))
    return [
        {
            "id": s.id,
            "code": s.code,
            "name_zh": s.name_zh,
            "name_en": s.name_en,
            "status": s.status,
            "live_version": versions.get(s.id, {}).get(VersionStatus.PUBLISHED),
            "draft_version": versions.get(s.id, {}).get(VersionStatus.DRAFT),
            "responses": counts.get(s.id, 0),
        }
        for s in db.exec(select(Survey).order_by(Survey.code))
    ]


# ---------------------------------------------------------------- JSON files


def export_json(db: Session, version: SurveyVersion) -> str:
    """The version's definition as a JSON file (UTF-8, readable Chinese)."""
    return json.dumps(definition_of(db, version), ensure_ascii=False, indent=2) + "\n"


def parse_json(data: bytes | str) -> dict:
    """A definition from a JSON file, or DefinitionError saying plainly what is wrong with it."""
    if isinstance(data, bytes):
        if len(data) > MAX_IMPORT_BYTES:
            raise DefinitionError(key="errors.design.file_too_large", size=MAX_IMPORT_BYTES // 1000)
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise DefinitionError(key="errors.design.file_not_utf8") from None
    try:
        definition = json.loads(data)
    except json.JSONDecodeError as exc:
        raise DefinitionError(
            key="errors.design.file_not_json", error=exc.msg, line=exc.lineno, column=exc.colno
        ) from None
    problems = validate_definition(definition)
    if problems:
        raise DefinitionError(problems, key="errors.design.definition_invalid", details="; ".join(problems))
    return definition


def import_json(db: Session, data: bytes | str, *, actor=None) -> tuple[Survey, SurveyVersion]:
    """Import a definition: a new survey, or for an existing code its draft version (a new
    draft when the survey has none: live versions are never overwritten)."""
    definition = parse_json(data)
    survey = survey_by_code(db, definition["code"])
    if survey is None:
        survey = create_survey(db, definition, actor=actor)
        return survey, versions_of(db, survey)[0]
    version = draft_version(db, survey) or start_new_version(db, survey, actor=actor)
    save_definition(db, version, definition, actor=actor, action="survey.import")
    return survey, version
