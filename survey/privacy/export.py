"""Responses as CSV or Excel: one row per response, one column per question code.

Columns: the response's metadata (id, answered date, survey, version, channel, language, tier,
region, touch point, segment, event kind, team), optionally the customer's contact (masked for
executives), then one column per question code in questionnaire order (a rating matrix gives
``code.item`` columns; a multiple choice joins its options with ``;``). The filters are the
dashboard's (survey.core.filters.Filters).

- Streaming: rows come from the database in one ordered query read in chunks (a server-side
  cursor on PostgreSQL) and go straight to the file, so a million responses never sit in
  memory; Excel is written in openpyxl's write-only mode.
- Formula injection: written through survey.core.tabular, like every file the product writes:
  a text cell that starts with = + - @ (or a tab or line break) gets a leading apostrophe, so
  Excel and other spreadsheets show it as text instead of running it.
- Every export is recorded in the audit log (who, filters, rows).
- The file appears only when complete (written beside it, then renamed): a failed export
  leaves an existing file untouched.
"""

from __future__ import annotations

import itertools
import os
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session

from survey.core.audit import record
from survey.core.errors import Refused
from survey.core.filters import conditions
from survey.core.tabular import write_csv, write_xlsx
from survey.core.vocab import Role
from survey.design.question_types import question_type
from survey.models import Answer, Customer, Question, Response, Survey, SurveyVersion
from survey.privacy.erasure import contact_for, text_for

FORMATS = ("csv", "xlsx")
META_COLUMNS = (
    "response_id",
    "answered_on",
    "survey",
    "version",
    "channel",
    "language",
    "tier",
    "region",
    "touch_point",
    "segment",
    "event_kind",
    "team",
)
CONTACT_COLUMNS = ("customer_id", "customer_name", "customer_phone", "customer_email")
CHUNK = 2000


@dataclass(frozen=True)
class Column:
    name: str
    code: str
    item: str | None = None
    multiple: bool = False


def question_columns(db: Session, filters) -> list[Column]:
    """The columns of the question codes answered within the filters, in questionnaire order
    (newest version first; codes only older versions asked follow)."""
    versions = sa.select(Response.version_id).where(*conditions(filters)).distinct()
    rows = db.execute(
        sa.select(Question, Survey.code)
        .join(SurveyVersion, SurveyVersion.id == Question.version_id)
        .join(Survey, Survey.id == SurveyVersion.survey_id)
        .where(Question.version_id.in_(versions))
        .order_by(Survey.code, SurveyVersion.number.desc(), Question.position)
    ).all()
    columns: dict[str, Column] = {}
    for question, _ in rows:
        qtype = question_type(question.type)
        if qtype.has_items:
            for item in question.items:
                name = f"{question.code}.{item['code']}"
                columns.setdefault(name, Column(name, question.code, item["code"]))
        else:
            columns.setdefault(question.code, Column(question.code, question.code, multiple=qtype.multiple))
    return list(columns.values())


def _number(value: float | None):
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def _rows(db: Session, filters, columns: list[Column], role: str, with_contact: bool) -> Iterator[list]:
    """One list of cells per response, merging the ordered answer stream into responses."""
    meta = (
        Response.id,
        Response.answered_on,
        Survey.code,
        SurveyVersion.number,
        Response.channel,
        Response.language,
        Response.tier,
        Response.region,
        Response.touch_point,
        Response.segment,
        Response.event_kind,
        Response.team,
    )
    contact = (Customer.external_id, Customer.name, Customer.phone, Customer.email) if with_contact else ()
    query = (
        sa.select(*meta, *contact, Answer.question_code, Answer.item_code, Answer.value_num, Answer.value_text)
        .join(Survey, Survey.id == Response.survey_id)
        .join(SurveyVersion, SurveyVersion.id == Response.version_id)
        .outerjoin(Answer, Answer.response_id == Response.id)
        .where(*conditions(filters))
        .order_by(Response.id, Answer.id)
    )
    if with_contact:
        query = query.outerjoin(Customer, Customer.id == Response.customer_id)
    index = {(c.code, c.item): i for i, c in enumerate(columns)}
    multiple = {c.code for c in columns if c.multiple}
    width = len(META_COLUMNS) + len(contact)
    result = db.execute(query.execution_options(stream_results=True, yield_per=CHUNK))
    for _, group in itertools.groupby(result, key=lambda row: row[0]):
        rows = list(group)
        first = rows[0]
        head = list(first[:width])
        if with_contact:
            shown = contact_for(role, *first[len(META_COLUMNS) + 1 : width])
            head[len(META_COLUMNS) + 1 : width] = [shown.name, shown.phone, shown.email]
        cells: list = [None] * len(columns)
        for row in rows:
            code, item, number, text = row[width:]
            position = index.get((code, item))
            if position is None:
                continue
            if code in multiple:
                cells[position] = f"{cells[position]};{text}" if cells[position] else text
            else:
                cells[position] = _number(number) if number is not None else text_for(role, text)
        yield head + cells


def header(columns: list[Column], with_contact: bool) -> list[str]:
    return [*META_COLUMNS, *(CONTACT_COLUMNS if with_contact else ()), *(c.name for c in columns)]


def write_export(
    db: Session, filters, out: Path, fmt: str, *, actor=None, role: str = Role.ADMIN, with_contact: bool = False
) -> int:
    """Write the responses within the filters to `out` (csv or xlsx); returns the rows written."""
    if fmt not in FORMATS:
        raise Refused(key="errors.privacy.bad_format", formats=" or ".join(FORMATS), choices="、".join(FORMATS))
    out = Path(out)
    if not out.parent.is_dir():
        raise Refused(key="errors.privacy.no_folder", folder=str(out.parent))
    columns = question_columns(db, filters)
    rows = _rows(db, filters, columns, role, with_contact)
    handle, temporary = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".part")
    os.close(handle)
    try:
        head = header(columns, with_contact)
        written = (
            write_csv(Path(temporary), head, rows)
            if fmt == "csv"
            else write_xlsx(Path(temporary), head, rows, sheet="responses")
        )
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    record(
        db,
        actor,
        "export.responses",
        "response",
        None,
        {
            "format": fmt,
            "rows": written,
            "with_contact": with_contact,
            "masked": with_contact and role == Role.EXECUTIVE,
            "filters": {
                k: (str(v) if v is not None and not isinstance(v, tuple) else list(v or ()))
                for k, v in asdict(filters).items()
            },
        },
    )
    return written
