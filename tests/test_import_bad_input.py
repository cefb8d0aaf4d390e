"""Bad input to `survey import` ends in one line naming the file, the line and the field, a
non-zero exit and nothing stored, on SQLite and PostgreSQL alike: an enormous cell, a null
byte or another control character, an Excel formula with no saved value, an error cell, a
date no database can hold."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from openpyxl import Workbook
from sqlmodel import func, select

from survey.cli import main
from survey.core import db as database
from survey.models import Customer, ServiceEvent

HEADER = "external_id,name,phone,region\n"


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def stored() -> int:
    with database.session() as db:
        return db.exec(select(func.count(Customer.id))).one() + db.exec(select(func.count(ServiceEvent.id))).one()


def assert_one_line(result, *expected: str) -> None:
    lines = result.output.strip().splitlines()
    assert result.exit_code != 0 and len(lines) == 1, result.output[:2000]
    assert "Traceback" not in result.output
    for part in expected:
        assert part in lines[0], lines[0]


@pytest.mark.parametrize(
    "cell, problem",
    [
        ("x" * 140_000, "longer than"),
        ("王\x00伟", "control character"),
        ("王\x07伟", "control character"),
        ("王伟\x1b[31m", "control character"),
    ],
)
def test_a_bad_cell_in_a_csv_is_one_line_naming_file_line_and_field(db_url, tmp_path, cell, problem):
    path = tmp_path / "customers.csv"
    path.write_text(HEADER + "C1,李静,13312345678,杭州\n" + f"C2,{cell},13312345679,宁波\n", encoding="utf-8")
    result = run("import", "customers", str(path))
    assert_one_line(result, "customers.csv", "line 3", "name", problem)
    assert stored() == 0


def test_a_control_character_is_refused_even_when_importing_only_the_valid_rows(db_url, tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text(HEADER + "C1,李静,13312345678,杭州\nC2,王\x00伟,13312345679,宁波\n", encoding="utf-8")
    result = run("import", "customers", str(path), "--valid-only")
    assert result.exit_code == 0 and "1 new, 0 updated, 1 rejected" in result.output
    with database.session() as db:
        assert db.exec(select(Customer.external_id)).all() == ["C1"]


def excel(tmp_path, rows):
    book = Workbook()
    sheet = book.active
    sheet.append(["客户编号", "姓名", "手机号码", "客户等级", "地市"])
    for row in rows:
        sheet.append(row)
    path = tmp_path / "客户.xlsx"
    book.save(path)
    return path


@pytest.mark.parametrize(
    "tier, problem",
    [
        ('=IF(B2="","gold","silver")', "formula with no saved value"),
        ("#N/A", "error value #N/A"),
    ],
)
def test_an_excel_cell_without_a_value_is_reported_not_imported_blank(db_url, tmp_path, tier, problem):
    path = excel(tmp_path, [["C1", "李静", "13312345678", "gold", "杭州"], ["C2", "王伟", "13312345679", tier, "宁波"]])
    result = run("import", "customers", str(path))
    assert_one_line(result, "客户.xlsx", "line 3", "tier", problem)
    assert stored() == 0


def test_an_impossible_date_is_one_line(db_url, tmp_path):
    customers = tmp_path / "customers.csv"
    customers.write_text(HEADER + "C1,李静,13312345678,杭州\n", encoding="utf-8")
    assert run("import", "customers", str(customers)).exit_code == 0
    events = tmp_path / "events.csv"
    events.write_text("ticket_id,customer_id,kind,occurred_at\nT1,C1,repair,0001-01-01 00:00\n", encoding="utf-8")
    result = run("import", "events", str(events))
    assert_one_line(result, "events.csv", "line 2", "occurred_at", "not a date")
    with database.session() as db:
        assert db.exec(select(func.count(ServiceEvent.id))).one() == 0


def test_a_file_level_problem_names_the_file(db_url, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("\n", encoding="utf-8")
    assert_one_line(run("import", "customers", str(path)), "empty.csv", "empty")
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip")
    assert_one_line(run("import", "customers", str(broken)), "broken.xlsx", "cannot open the Excel file")
    assert stored() == 0


def test_an_output_file_in_a_missing_folder_is_refused_before_anything_happens(db_url, tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text(HEADER + "C1,李静,13312345678,杭州\nC2,王伟,12345,宁波\n", encoding="utf-8")
    nowhere = tmp_path / "missing" / "rejected.csv"
    result = run("import", "customers", str(path), "--valid-only", "--rejected-out", str(nowhere))
    assert_one_line(result, "rejected.csv", "does not exist")
    assert stored() == 0
