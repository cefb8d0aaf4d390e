"""What the design page asks of survey design, with plain values in and plain results out.

Each function is one unit of work: it opens its own session (committed on success, rolled back
on any error, so a refused edit leaves nothing half-saved), acts as the signed-in staff member
``actor_id`` where the change is audited, and returns frozen dataclasses or dicts that stay valid
after the session closed. Refusals keep their domain types: ``DefinitionError`` (with the list of
problems to show), ``FrozenVersionError``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from survey.accounts.auth import acting_user
from survey.core import db as database
from survey.design import definitions, drafts
from survey.design.definitions import DefinitionError
from survey.design.templates import template
from survey.models import Survey, SurveyVersion

SCRATCH = "scratch"  # a new survey from a blank page instead of a template
BLANK_QUESTION = {
    "code": "overall",
    "type": "rating",
    "dimension": "overall",
    "scale": [1, 5],
    "required": True,
    "text": {"zh-CN": "总体而言，您对我们的服务满意吗？", "en": "Overall, how satisfied are you with our service?"},
}


@dataclass(frozen=True)
class SurveyRow:
    """One line of the survey list."""

    id: int
    code: str
    name_zh: str
    name_en: str
    status: str
    live_version: int | None
    draft_version: int | None
    responses: int


@dataclass(frozen=True)
class VersionRef:
    id: int
    number: int
    status: str
    published_at: datetime | None


@dataclass(frozen=True)
class SurveyDetail:
    """One survey as the design page shows it: its versions, and the definition being edited
    (the draft's) or, when there is no draft, the live one's."""

    id: int
    code: str
    status: str
    default_language: str
    draft: VersionRef | None
    live: VersionRef | None
    versions: tuple[VersionRef, ...]
    definition: dict


def survey_list() -> list[SurveyRow]:
    with database.session() as db:
        return [SurveyRow(**row) for row in drafts.survey_rows(db)]


def survey_detail(code: str) -> SurveyDetail | None:
    with database.session() as db:
        survey = definitions.survey_by_code(db, code)
        if survey is None:
            return None
        draft, live = drafts.draft_version(db, survey), definitions.live_version(db, survey)
        shown = draft or live
        return SurveyDetail(
            id=survey.id,
            code=survey.code,
            status=survey.status,
            default_language=survey.default_language,
            draft=_ref(draft),
            live=_ref(live),
            versions=tuple(_ref(v) for v in drafts.versions_of(db, survey)),
            definition=definitions.definition_of(db, shown) if shown is not None else {"questions": []},
        )


def _ref(version: SurveyVersion | None) -> VersionRef | None:
    if version is None:
        return None
    return VersionRef(version.id, version.number, version.status, version.published_at)


# ---------------------------------------------------------------- new surveys and versions


def create_survey(source: str, code: str, name_zh: str, name_en: str, *, actor_id: int) -> str:
    """A new survey (version 1, a draft) from a template or from scratch; its code."""
    definition = starting_definition(source, code.strip(), name_zh.strip(), name_en.strip())
    with database.session() as db:
        survey = definitions.create_survey(
            db, definition, actor=acting_user(db, actor_id), template=None if source == SCRATCH else source
        )
        return survey.code


def starting_definition(source: str, code: str, name_zh: str, name_en: str) -> dict:
    """A template under a new code and name (names left empty keep the template's), or a blank
    survey with one overall question."""
    definition = {"questions": [copy.deepcopy(BLANK_QUESTION)]} if source == SCRATCH else template(source)
    names = definition.get("name", {})
    definition["code"] = code
    definition["name"] = {"zh-CN": name_zh or names.get("zh-CN", ""), "en": name_en or names.get("en", "")}
    definition.setdefault("title", dict(definition["name"]))
    return definition


def start_new_version(survey_id: int, *, actor_id: int) -> VersionRef:
    """A draft copy of the live version, to change a survey that is already collecting."""
    with database.session() as db:
        return _ref(drafts.start_new_version(db, _survey(db, survey_id), actor=acting_user(db, actor_id)))


# ---------------------------------------------------------------- edits of a draft (each returns the saved definition)


def edit_texts(version_id: int, texts: dict[str, dict[str, str]], *, actor_id: int) -> dict:
    with database.session() as db:
        version = drafts.edit_texts(db, _version(db, version_id), texts, actor=acting_user(db, actor_id))
        return definitions.definition_of(db, version)


def add_question(version_id: int, question: dict, *, actor_id: int) -> dict:
    with database.session() as db:
        version = drafts.add_question(db, _version(db, version_id), question, actor=acting_user(db, actor_id))
        return definitions.definition_of(db, version)


def update_question(version_id: int, code: str, question: dict, *, actor_id: int) -> dict:
    with database.session() as db:
        version = drafts.update_question(db, _version(db, version_id), code, question, actor=acting_user(db, actor_id))
        return definitions.definition_of(db, version)


def move_question(version_id: int, code: str, offset: int, *, actor_id: int) -> dict:
    with database.session() as db:
        version = drafts.move_question(db, _version(db, version_id), code, offset, actor=acting_user(db, actor_id))
        return definitions.definition_of(db, version)


def delete_question(version_id: int, code: str, *, actor_id: int) -> dict:
    with database.session() as db:
        version = drafts.delete_question(db, _version(db, version_id), code, actor=acting_user(db, actor_id))
        return definitions.definition_of(db, version)


# ---------------------------------------------------------------- publish, close, reopen


def publish_draft(survey_id: int, *, actor_id: int) -> VersionRef:
    with database.session() as db:
        return _ref(drafts.publish_draft(db, _survey(db, survey_id), actor=acting_user(db, actor_id)))


def close_survey(survey_id: int, *, actor_id: int) -> None:
    with database.session() as db:
        drafts.close_survey(db, _survey(db, survey_id), actor=acting_user(db, actor_id))


def reopen_survey(survey_id: int, *, actor_id: int) -> None:
    with database.session() as db:
        drafts.reopen_survey(db, _survey(db, survey_id), actor=acting_user(db, actor_id))


# ---------------------------------------------------------------- JSON files


def export_json(version_id: int) -> str:
    with database.session() as db:
        return drafts.export_json(db, _version(db, version_id))


def import_json(data: bytes | str, *, actor_id: int) -> str:
    """Import a definition file (a new survey, or a draft of an existing one); the survey's code."""
    with database.session() as db:
        survey, _version_row = drafts.import_json(db, data, actor=acting_user(db, actor_id))
        return survey.code


# ---------------------------------------------------------------- rows by id


def _survey(db: Session, survey_id: int) -> Survey:
    survey = db.get(Survey, survey_id)
    if survey is None:
        raise DefinitionError(key="errors.design.survey_gone")
    return survey


def _version(db: Session, version_id: int) -> SurveyVersion:
    version = db.get(SurveyVersion, version_id)
    if version is None:
        raise DefinitionError(key="errors.design.version_gone")
    return version
