"""Customers and service events in, from CSV or Excel.

The file is read (encoding detected or chosen: operators' exports are often GBK), its columns
are mapped onto our fields (guessed from common Chinese and English headers, overridable),
every row is validated, and the valid rows are upserted by external id in one transaction.

All or nothing: a file with any bad row is rejected whole, with line-numbered errors
(``line 7, phone: ...``), unless the caller asks for the valid rows only; the rejected rows
can then be downloaded as a CSV with an ``errors`` column, fixed and imported again.
Line numbers are the file's own: the header is line 1 in a CSV, Excel rows keep their number.

Bad cells are row errors like any other, named by file, line and field, and never reach the
database: a control character (a null byte would be stored silently by SQLite and refused by
PostgreSQL, so both refuse it here), a cell longer than any field holds, an Excel formula
whose value was never saved (it would otherwise import blank) or an Excel error value.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import phonenumbers
import sqlalchemy as sa
from charset_normalizer import from_bytes
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from survey.core.audit import record
from survey.core.config import settings
from survey.core.errors import SurveyError
from survey.core.i18n import catalog
from survey.core.tabular import csv_text
from survey.core.vocab import EventKind, Tier, TouchPoint
from survey.models import Customer, ServiceEvent, utcnow

ENCODINGS = ("auto", "utf-8", "gbk")
CHUNK = 2000
LONGEST_CELL = 1000  # longer than any field we store (an email address holds at most 320)
CN_MOBILE = re.compile(r"1[3-9]\d{9}")
PHONE_PUNCTUATION = re.compile(r"[\s\-().]")
DATETIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%Y.%m.%d %H:%M",
    "%Y.%m.%d",
    "%Y%m%d%H%M%S",
    "%Y%m%d",
)
TRUE_WORDS = {"1", "y", "yes", "true", "是", "有", "t"}
FALSE_WORDS = {"", "0", "n", "no", "false", "否", "无", "f"}
TOUCH_POINT_OF_KIND = {
    EventKind.INSTALL: TouchPoint.FIELD_CREW,
    EventKind.MOVE: TouchPoint.FIELD_CREW,
    EventKind.REPAIR: TouchPoint.FIELD_CREW,
    EventKind.HALL_VISIT: TouchPoint.BUSINESS_HALL,
    EventKind.HOTLINE_CALL: TouchPoint.HOTLINE,
    EventKind.ONLINE_ORDER: TouchPoint.ONLINE_HALL,
    EventKind.ACCOUNT_VISIT: TouchPoint.ACCOUNT_MANAGER,
}


class ImportFileError(SurveyError, ValueError):
    """The file as a whole cannot be imported (encoding, missing columns, not a table)."""


class ImportRejected(SurveyError, ValueError):
    """Some rows are bad and the caller wanted all or nothing: nothing was imported."""

    def __init__(self, report: ImportReport):
        self.report = report
        shown = report.error_lines()
        summary = f"{len(report.rejected)} of {report.total} rows have errors; nothing was imported"
        if len(shown) == 1:
            super().__init__(f"{shown[0]} ({summary})")
            return
        more = len(shown) - 20
        super().__init__(f"{summary}:\n" + "\n".join(shown[:20]) + (f"\n... and {more} more" if more > 0 else ""))


# ---------------------------------------------------------------- reading


@dataclass
class Table:
    columns: list[str]
    rows: list[tuple[int, list]]  # (line number, cells)
    encoding: str | None  # CSV only
    source: str = ""  # the file's name, for error lines


@dataclass(frozen=True)
class UnreadableCell:
    """An Excel cell with no value to import: a formula never calculated, or an error value."""

    problem: str
    shown: str  # what the cell holds, for the preview


def _bad_byte_line(data: bytes, position: int) -> int:
    return data[:position].count(b"\n") + 1


def decode(data: bytes, encoding: str = "auto") -> tuple[str, str]:
    """(text, encoding used). GBK files are read as GB18030, its superset, so rare characters
    in names survive; a UTF-8 file read as GBK would come out garbled, so that is refused."""
    if encoding not in ENCODINGS:
        raise ImportFileError(key="errors.distribution.encoding_choice", choices=", ".join(ENCODINGS))
    if data.startswith(b"\xef\xbb\xbf"):
        data, encoding = data[3:], "utf-8" if encoding == "auto" else encoding
    if encoding in ("utf-8", "auto"):
        try:
            return data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError as exc:
            if encoding == "utf-8":
                raise ImportFileError(
                    key="errors.distribution.not_utf8", line=_bad_byte_line(data, exc.start)
                ) from None
    if encoding == "gbk" and _is_multibyte_utf8(data):
        raise ImportFileError(key="errors.distribution.utf8_not_gbk")
    try:
        return data.decode("gb18030"), "gbk"
    except UnicodeDecodeError as exc:
        if encoding == "gbk":
            raise ImportFileError(key="errors.distribution.not_gbk", line=_bad_byte_line(data, exc.start)) from None
    return _detected(data)


def _is_multibyte_utf8(data: bytes) -> bool:
    try:
        return data.decode("utf-8") != data.decode("ascii", errors="ignore")
    except UnicodeDecodeError:
        return False


def _detected(data: bytes) -> tuple[str, str]:
    best = from_bytes(data).best()
    if best is None:
        raise ImportFileError(key="errors.distribution.encoding_unknown")
    return str(best), best.encoding


def read_table(data: bytes, filename: str, *, encoding: str = "auto", sheet: str | None = None) -> Table:
    """A CSV or Excel (.xlsx) file as a header and numbered rows."""
    suffix = Path(filename).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        columns, rows = _read_excel(data, sheet)
        return Table(columns, rows, None, Path(filename).name)
    if suffix not in (".csv", ".txt", ""):
        raise ImportFileError(key="errors.distribution.file_type", suffix=suffix)
    text, used = decode(data, encoding)
    dialect = csv.excel_tab if text.partition("\n")[0].count("\t") > text.partition("\n")[0].count(",") else csv.excel
    # The csv module refuses cells over 131,072 characters with an error that names no field.
    # The whole file is in memory already, so let it read any cell, and let validation name
    # the line and field of one that is too long.
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        header = next(reader, None)
        if not header or not any(cell.strip() for cell in header):
            raise ImportFileError(key="errors.distribution.csv_empty")
        rows = []
        for cells in reader:
            if any(cell.strip() for cell in cells):
                rows.append((reader.line_num, cells))
    except csv.Error as exc:
        raise ImportFileError(key="errors.distribution.csv_line", line=reader.line_num, problem=str(exc)) from None
    return Table([h.strip() for h in header], rows, used, Path(filename).name)


def _read_excel(data: bytes, sheet: str | None) -> tuple[list[str], list[tuple[int, list]]]:
    """The header and numbered rows of a sheet. Read twice: once for the values Excel saved,
    once for the formulas, to tell a blank cell from a formula whose value was never saved."""
    from openpyxl import load_workbook

    try:
        values = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        formulas = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise ImportFileError(key="errors.distribution.excel_unreadable", problem=str(exc)) from None
    if sheet and sheet not in values.sheetnames:
        raise ImportFileError(key="errors.distribution.no_sheet", sheet=sheet, sheets=", ".join(values.sheetnames))
    name = sheet or values.worksheets[0].title
    rows_iter = (
        [_excel_value(v, f) for v, f in zip(value_row, formula_row)]
        for value_row, formula_row in zip(values[name].iter_rows(), formulas[name].iter_rows())
    )
    try:
        header = next(rows_iter, None)
        rows = [
            (line, cells)
            for line, cells in enumerate(rows_iter, start=2)
            if any(cell not in (None, "") for cell in cells)
        ]
    finally:
        values.close()
        formulas.close()
    if not header or not any(cell not in (None, "") for cell in header):
        raise ImportFileError(key="errors.distribution.sheet_empty")
    return [cell_text(h) for h in header], rows


def _excel_value(value_cell, formula_cell):
    if value_cell.data_type == "e":
        return UnreadableCell(f"is the Excel error value {value_cell.value}", str(value_cell.value))
    if value_cell.value is None and formula_cell.data_type == "f":
        return UnreadableCell(
            "is a formula with no saved value: open the file in Excel or WPS and save it, or paste the values",
            str(formula_cell.value),
        )
    return value_cell.value


# ---------------------------------------------------------------- fields


@dataclass(frozen=True)
class FieldSpec:
    name: str
    required: bool
    headers: tuple[str, ...]  # header spellings recognised (compared without case, spaces, _)


CUSTOMER_FIELDS = (
    FieldSpec(
        "external_id",
        True,
        ("external_id", "customer_id", "customer", "客户编号", "客户id", "客户号", "用户编号", "客户编码", "id"),
    ),
    FieldSpec("name", False, ("name", "customer_name", "姓名", "客户姓名", "客户名称", "名称")),
    FieldSpec("phone", False, ("phone", "mobile", "phone_number", "手机", "手机号", "手机号码", "联系电话", "电话")),
    FieldSpec("email", False, ("email", "e-mail", "mail", "邮箱", "电子邮箱", "电子邮件")),
    FieldSpec("tier", False, ("tier", "level", "vip", "客户等级", "等级", "星级", "会员等级", "vip等级", "客户级别")),
    FieldSpec("region", True, ("region", "city", "area", "地市", "区域", "城市", "地区", "所属地市")),
    FieldSpec("segment", False, ("segment", "客户类型", "客户群", "细分", "客户细分")),
    FieldSpec("language", False, ("language", "lang", "语言")),
)
EVENT_FIELDS = (
    FieldSpec(
        "external_ticket_id",
        True,
        ("external_ticket_id", "ticket_id", "ticket", "工单号", "工单编号", "单号", "event_id"),
    ),
    FieldSpec(
        "customer_external_id",
        True,
        ("customer_external_id", "customer_id", "customer", "客户编号", "客户id", "客户号", "客户编码"),
    ),
    FieldSpec("kind", True, ("kind", "type", "event_kind", "event_type", "服务类型", "类型", "业务类型", "工单类型")),
    FieldSpec("touch_point", False, ("touch_point", "touchpoint", "channel", "触点", "服务渠道", "渠道")),
    FieldSpec("region", False, ("region", "city", "area", "地市", "区域", "城市", "地区")),
    FieldSpec("team", False, ("team", "班组", "服务班组", "处理班组", "营业厅", "处理部门")),
    FieldSpec("category", False, ("category", "投诉类别", "类别", "问题类别")),
    FieldSpec("repeated_fault", False, ("repeated_fault", "repeated", "重复障碍", "是否重复", "重复故障")),
    FieldSpec(
        "occurred_at",
        True,
        ("occurred_at", "opened_at", "created_at", "受理时间", "发生时间", "开始时间", "报障时间", "创建时间"),
    ),
    FieldSpec("closed_at", False, ("closed_at", "closed", "完成时间", "结单时间", "关闭时间", "竣工时间", "办结时间")),
)
FIELDS = {"customers": CUSTOMER_FIELDS, "events": EVENT_FIELDS}


def _header_key(text: str) -> str:
    return re.sub(r"[\s_\-]", "", str(text)).lower()


def guess_mapping(columns: list[str], kind: str) -> dict[str, str]:
    """{field: column} for every field whose header we recognise."""
    by_key = {_header_key(c): c for c in columns}
    mapping = {}
    for spec in FIELDS[kind]:
        for header in spec.headers:
            if _header_key(header) in by_key:
                mapping[spec.name] = by_key[_header_key(header)]
                break
    return mapping


def check_mapping(mapping: dict[str, str], columns: list[str], kind: str) -> None:
    specs = {spec.name: spec for spec in FIELDS[kind]}
    problems = [f"unknown field '{f}'" for f in mapping if f not in specs]
    problems += [f"column '{c}' (for {f}) is not in the file" for f, c in mapping.items() if c not in columns]
    missing = [spec.name for spec in FIELDS[kind] if spec.required and not mapping.get(spec.name)]
    if missing:
        problems.append(
            f"missing columns: {', '.join(missing)} (the file has: {', '.join(columns)}); "
            "add them or map them to a column"
        )
    if problems:
        raise ImportFileError(key="errors.distribution.mapping_problems", problems="; ".join(problems))


# ---------------------------------------------------------------- values


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, UnreadableCell):
        return value.shown
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel keeps 13312345678 as a float
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value).strip()


def normalise_phone(text: str, region: str | None = None) -> str:
    """Chinese numbers as their 11-12 national digits (13312345678), others in E.164."""
    compact = PHONE_PUNCTUATION.sub("", text)
    if CN_MOBILE.fullmatch(compact):
        return compact
    try:
        number = phonenumbers.parse(text, region or settings().phone_region)
    except phonenumbers.NumberParseException:
        raise ValueError(f"'{text}' is not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"'{text}' is not a valid phone number")
    if number.country_code == 86:
        return re.sub(r"\D", "", phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(text: str) -> str:
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"'{text}' is not a valid email address ({exc})") from None


def _aliases(vocabulary: str, values: Iterable[str], extra: dict[str, str]) -> dict[str, str]:
    """Value -> code, from the codes themselves, their zh-CN and en labels, and extra words."""
    known = {}
    for value in values:
        known[value.lower()] = value
        for text in catalog().get(f"{vocabulary}.{value}", {}).values():
            known[text.lower()] = value
    known.update({k.lower(): v for k, v in extra.items()})
    return known


TIER_WORDS = _aliases(
    "tier",
    [t.value for t in Tier],
    {
        "钻石": "diamond",
        "钻石卡客户": "diamond",
        "金卡客户": "gold",
        "金": "gold",
        "银卡客户": "silver",
        "银": "silver",
        "普通客户": "standard",
        "大众": "standard",
        "公众": "standard",
        "无": "standard",
        "platinum": "diamond",
    },
)
KIND_WORDS = _aliases(
    "event_kind",
    [k.value for k in EventKind],
    {
        "装机": "install",
        "新装机": "install",
        "移机": "move",
        "维修": "repair",
        "报障": "repair",
        "故障": "repair",
        "故障维修": "repair",
        "投诉": "complaint",
        "营业厅办理": "hall_visit",
        "热线": "hotline_call",
        "网上订单": "online_order",
        "客户经理走访": "account_visit",
    },
)
TOUCH_WORDS = _aliases(
    "touch_point",
    [t.value for t in TouchPoint],
    {
        "装维": "field_crew",
        "装移维": "field_crew",
        "10000号": "hotline",
        "10000": "hotline",
        "网厅": "online_hall",
        "掌厅": "online_hall",
        "app": "online_hall",
        "政企": "gov_enterprise",
    },
)
SEGMENT_WORDS = {
    "个人": "consumer",
    "公众": "consumer",
    "家庭": "consumer",
    "政企": "business",
    "企业": "business",
    "商客": "business",
}
LANGUAGE_WORDS = {
    "zh": "zh-CN",
    "zh-cn": "zh-CN",
    "中文": "zh-CN",
    "chinese": "zh-CN",
    "en": "en",
    "english": "en",
    "英文": "en",
    "英语": "en",
}


def _choice(text: str, words: dict[str, str], what: str) -> str:
    try:
        return words[text.strip().lower()]
    except KeyError:
        codes = sorted(set(words.values()))
        raise ValueError(f"unknown {what} '{text}'; use {', '.join(codes)}") from None


def _limited(text: str, limit: int) -> str:
    if len(text) > limit:
        raise ValueError(f"longer than {limit} characters")
    return text


def parse_datetime(text: str) -> datetime:
    """A local date-time (SURVEY_TIMEZONE) or one with an explicit offset, as aware UTC."""
    value = None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        for pattern in DATETIME_FORMATS:
            try:
                value = datetime.strptime(text, pattern)
                break
            except ValueError:
                continue
    if value is None:
        raise ValueError(f"'{text}' is not a date and time (use e.g. 2026-03-01 14:20)")
    if value.tzinfo is None:
        value = value.replace(tzinfo=settings().timezone)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"'{text}' is not a date and time that can be stored (use e.g. 2026-03-01 14:20)") from None


def _flag(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in TRUE_WORDS:
        return True
    if lowered in FALSE_WORDS:
        return False
    raise ValueError(f"'{text}' is not yes or no")


CUSTOMER_PARSERS: dict[str, Callable[[str], object]] = {
    "external_id": lambda v: _limited(v, 64),
    "name": lambda v: _limited(v, 200) or None,
    "phone": lambda v: normalise_phone(v) if v else None,
    "email": lambda v: normalise_email(v) if v else None,
    "tier": lambda v: _choice(v, TIER_WORDS, "tier") if v else Tier.STANDARD.value,
    "region": lambda v: _limited(v, 64),
    "segment": lambda v: SEGMENT_WORDS.get(v, _limited(v.lower(), 32)) if v else "consumer",
    "language": lambda v: _choice(v, LANGUAGE_WORDS, "language") if v else "zh-CN",
}
EVENT_PARSERS: dict[str, Callable[[str], object]] = {
    "external_ticket_id": lambda v: _limited(v, 64),
    "customer_external_id": lambda v: _limited(v, 64),
    "kind": lambda v: _choice(v, KIND_WORDS, "event kind"),
    "touch_point": lambda v: _choice(v, TOUCH_WORDS, "touch point") if v else None,
    "region": lambda v: _limited(v, 64) or None,
    "team": lambda v: _limited(v, 64) or None,
    "category": lambda v: _limited(v, 32) or None,
    "repeated_fault": _flag,
    "occurred_at": parse_datetime,
    "closed_at": lambda v: parse_datetime(v) if v else None,
}
PARSERS = {"customers": CUSTOMER_PARSERS, "events": EVENT_PARSERS}
KEY_FIELD = {"customers": "external_id", "events": "external_ticket_id"}


# ---------------------------------------------------------------- validation


@dataclass
class RejectedRow:
    line: int
    cells: list[str]
    errors: list[tuple[str, str]]  # (field, message)


@dataclass
class ValidRow:
    line: int
    cells: list[str]
    values: dict


@dataclass
class ImportReport:
    kind: str
    columns: list[str]
    mapping: dict[str, str]
    encoding: str | None
    total: int = 0
    valid: list[ValidRow] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    inserted: int = 0
    updated: int = 0
    source: str = ""  # the file's name

    def error_lines(self) -> list[str]:
        where = f"{self.source}, " if self.source else ""
        return [f"{where}line {row.line}, {name}: {message}" for row in self.rejected for name, message in row.errors]

    def rejected_csv(self) -> str:
        """The rejected rows as they were, plus an ``errors`` column (UTF-8 with BOM, for Excel;
        written through survey.core.tabular, so a cell that looks like a formula stays text)."""
        return csv_text(
            ["line", *self.columns, "errors"],
            ([row.line, *row.cells, "; ".join(f"{n}: {m}" for n, m in row.errors)] for row in self.rejected),
        )


def _cell_problem(raw, text: str) -> str | None:
    """Why a cell cannot be imported at all, before its field's own rules are applied."""
    if isinstance(raw, UnreadableCell):
        return raw.problem
    if len(text) > LONGEST_CELL:
        return f"longer than {LONGEST_CELL:,} characters"
    control = next((c for c in text if unicodedata.category(c) == "Cc"), None)
    if control is not None:
        return f"contains a control character (U+{ord(control):04X}); remove it and import again"
    return None


def _unreadable(raw: dict, values: dict[str, str], mapping: dict[str, str]) -> list[tuple[str, str]]:
    problems = ((name, _cell_problem(raw.get(column), values.get(column, ""))) for name, column in mapping.items())
    return [(name, problem) for name, problem in problems if problem]


def _parse_row(values: dict[str, str], kind: str, mapping: dict[str, str]) -> tuple[dict, list]:
    parsed, errors = {}, []
    required = {spec.name for spec in FIELDS[kind] if spec.required}
    for name, column in mapping.items():
        text = values.get(column, "")
        if name in required and not text:
            errors.append((name, "is required"))
            continue
        try:
            parsed[name] = PARSERS[kind][name](text)
        except ValueError as exc:
            errors.append((name, str(exc)))
    return parsed, errors


def validate(table: Table, kind: str, mapping: dict[str, str] | None = None) -> ImportReport:
    """Check every row; nothing is written. ``mapping`` ({field: column}) overrides the guessed
    columns; an empty column unmaps a field."""
    if kind not in FIELDS:
        raise ImportFileError(key="errors.distribution.import_kind", kinds=" or ".join(FIELDS))
    mapping = {f: c for f, c in {**guess_mapping(table.columns, kind), **(mapping or {})}.items() if c}
    check_mapping(mapping, table.columns, kind)
    report = ImportReport(kind, table.columns, mapping, table.encoding, total=len(table.rows), source=table.source)
    key = KEY_FIELD[kind]
    first_line: dict[str, int] = {}
    for line, cells in table.rows:
        texts = [cell_text(c) for c in cells]
        values = dict(zip(table.columns, texts + [""] * (len(table.columns) - len(texts))))
        errors = _unreadable(dict(zip(table.columns, cells)), values, mapping)
        readable = {name: column for name, column in mapping.items() if name not in dict(errors)}
        parsed, field_errors = _parse_row(values, kind, readable)
        errors += field_errors
        if kind == "events":
            errors += _event_errors(parsed)
        identity = parsed.get(key)
        if identity and identity in first_line:
            errors.append((key, f"'{identity}' appears again (first on line {first_line[identity]})"))
        elif identity:
            first_line[identity] = line
        if errors:
            report.rejected.append(RejectedRow(line, texts, errors))
        else:
            report.valid.append(ValidRow(line, texts, parsed))
    return report


def _event_errors(parsed: dict) -> list[tuple[str, str]]:
    errors = []
    if parsed.get("kind") and not parsed.get("touch_point"):
        inferred = TOUCH_POINT_OF_KIND.get(parsed["kind"])
        if inferred is None:
            errors.append(("touch_point", f"is required for {parsed['kind']} events"))
        else:
            parsed["touch_point"] = inferred.value
    closed, occurred = parsed.get("closed_at"), parsed.get("occurred_at")
    if closed and occurred and closed < occurred:
        errors.append(("closed_at", "is before occurred_at"))
    return errors


# ---------------------------------------------------------------- writing


def _insert(db: Session, table):
    return (postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert)(table)


def _existing_keys(db: Session, column, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), CHUNK):
        found.update(db.exec(sa.select(column).where(column.in_(keys[start : start + CHUNK]))).scalars())
    return found


def _customers_by_external_id(db: Session, external_ids: list[str]) -> dict[str, tuple[int, str]]:
    found = {}
    for start in range(0, len(external_ids), CHUNK):
        rows = db.exec(
            sa.select(Customer.external_id, Customer.id, Customer.region).where(
                Customer.external_id.in_(external_ids[start : start + CHUNK])
            )
        ).all()
        found.update({external_id: (customer_id, region) for external_id, customer_id, region in rows})
    return found


def _upsert(db: Session, table, key: str, rows: list[dict], updated_columns: list[str]) -> None:
    for start in range(0, len(rows), CHUNK):
        statement = _insert(db, table)
        statement = statement.on_conflict_do_update(
            index_elements=[key], set_={c: statement.excluded[c] for c in updated_columns}
        )
        db.exec(statement, params=rows[start : start + CHUNK])


def _resolve_customers(db: Session, report: ImportReport) -> None:
    """Events must name a customer we know: rows naming an unknown one join the rejected."""
    customers = _customers_by_external_id(db, sorted({row.values["customer_external_id"] for row in report.valid}))
    still_valid = []
    for row in report.valid:
        external_id = row.values["customer_external_id"]
        if external_id not in customers:
            report.rejected.append(
                RejectedRow(
                    row.line,
                    row.cells,
                    [("customer_external_id", f"no customer '{external_id}' (import the customers first)")],
                )
            )
            continue
        row.values["customer_id"], row.values["customer_region"] = customers[external_id]
        still_valid.append(row)
    report.valid = still_valid
    report.rejected.sort(key=lambda rejected: rejected.line)


def write(db: Session, report: ImportReport, *, valid_only: bool = False, actor=None) -> ImportReport:
    """Upsert the valid rows (all or nothing unless ``valid_only``)."""
    if report.kind == "events":
        _resolve_customers(db, report)
    if report.rejected and not valid_only:
        raise ImportRejected(report)
    now = utcnow()
    mapped = [f for f in report.mapping if f != "customer_external_id"]
    if report.kind == "customers":
        rows = [_customer_row(row.values, now) for row in report.valid]
        table, key, updated = Customer.__table__, "external_id", [*mapped, "updated_at"]
    else:
        rows = [_event_row(row.values, now) for row in report.valid]
        table, key = ServiceEvent.__table__, "external_ticket_id"
        updated = [*mapped, "customer_id", "region", "touch_point"]
    existing = _existing_keys(db, table.c[key], [r[key] for r in rows])
    _upsert(db, table, key, rows, sorted(set(updated) - {key}))
    report.updated = len(existing)
    report.inserted = len(rows) - len(existing)
    record(
        db,
        actor,
        f"import.{report.kind}",
        report.kind,
        None,
        {
            "inserted": report.inserted,
            "updated": report.updated,
            "rejected": len(report.rejected),
            "encoding": report.encoding,
        },
    )
    return report


def _customer_row(parsed: dict, now: datetime) -> dict:
    return {
        "tier": Tier.STANDARD.value,
        "segment": "consumer",
        "language": "zh-CN",
        "name": None,
        "phone": None,
        "email": None,
        **parsed,
        "opted_out": False,
        "created_at": now,
        "updated_at": now,
    }


def _event_row(parsed: dict, now: datetime) -> dict:
    return {
        "external_ticket_id": parsed["external_ticket_id"],
        "customer_id": parsed["customer_id"],
        "kind": parsed["kind"],
        "touch_point": parsed["touch_point"],
        "region": parsed.get("region") or parsed["customer_region"],
        "team": parsed.get("team"),
        "category": parsed.get("category"),
        "repeated_fault": parsed.get("repeated_fault", False),
        "occurred_at": parsed["occurred_at"],
        "closed_at": parsed.get("closed_at"),
        "created_at": now,
    }


def import_file(
    db: Session,
    data: bytes,
    filename: str,
    kind: str,
    *,
    encoding: str = "auto",
    mapping: dict[str, str] | None = None,
    valid_only: bool = False,
    sheet: str | None = None,
    actor=None,
) -> ImportReport:
    """Read, validate and write one file (see the module docstring). A problem with the file as
    a whole names the file."""
    try:
        report = validate(read_table(data, filename, encoding=encoding, sheet=sheet), kind, mapping)
    except ImportFileError as exc:
        raise ImportFileError(
            key="errors.distribution.file_problem", file=Path(filename).name, problem=str(exc)
        ) from None
    return write(db, report, valid_only=valid_only, actor=actor)
