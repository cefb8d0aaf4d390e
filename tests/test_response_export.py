"""Response exports: one column per question code, the dashboard's filters, formula injection
neutralised in CSV and Excel, masked phones for executives, audited, and never half-written."""

from __future__ import annotations

import csv
import io
import tempfile

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlmodel import select

from survey.cli import main
from survey.core import db as database
from survey.core.filters import Filters
from survey.core.tabular import neutralise
from survey.models import AuditLog
from survey.privacy.export import write_export
from survey.privacy.service import export_responses
from tests.cases_support import customer, repair_survey, respond, staff, user

NASTY = ['=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]


@pytest.fixture
def exported(db_url):
    with database.session() as db:
        repair_survey(db)
        staff(db, "boss", "executive")
        respond(
            db,
            *customer(db, "C1", "gold", region="Hangzhou"),
            overall=1,
            what_wrong=["billing", "staff_attitude"],
            comment=NASTY[0],
        )
        respond(db, *customer(db, "C2", "standard", region="Ningbo", phone="13800001111"), comment="-1 电话13800001111")
    return db_url


def read_csv(path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as file:
        return list(csv.DictReader(file))


def test_every_formula_start_is_neutralised_and_other_values_are_kept():
    assert [neutralise(v) for v in NASTY] == ["'" + v for v in NASTY]
    assert [neutralise(v) for v in ("正常评论", "a=b", 5, -1, None)] == ["正常评论", "a=b", 5, -1, None]


def test_csv_has_one_column_per_question_code_and_escapes_formulas(exported, tmp_path):
    out = tmp_path / "responses.csv"
    result = CliRunner().invoke(main, ["export", "responses", "--format", "csv", "--out", str(out)])
    assert result.exit_code == 0 and "2 responses written" in result.output
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel
    rows = read_csv(out)
    assert list(rows[0])[:12] == [
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
    ]
    assert list(rows[0])[12:] == [
        "overall",
        "fault_repair",
        "staff_attitude",
        "resolved",
        "what_wrong",
        "nps",
        "comment",
    ]
    first, second = rows
    assert first["overall"] == "1" and first["what_wrong"] == "billing;staff_attitude" and first["tier"] == "gold"
    assert first["comment"] == "'" + NASTY[0] and second["comment"].startswith("'-1 ")


def test_xlsx_cells_are_text_not_formulas_and_filters_apply(exported, tmp_path):
    out = tmp_path / "gold.xlsx"
    result = CliRunner().invoke(
        main,
        [
            "export",
            "responses",
            "--format",
            "xlsx",
            "--out",
            str(out),
            "--tier",
            "gold",
            "--region",
            "Hangzhou",
            "--survey",
            "repair-revisit",
        ],
    )
    assert result.exit_code == 0, result.output
    sheet = load_workbook(out).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert len(values) == 2
    comment = sheet.cell(row=2, column=values[0].index("comment") + 1)
    assert comment.data_type == "s" and comment.value == "'" + NASTY[0]
    assert values[1][values[0].index("overall")] == 1


def test_executives_get_masked_phones_and_every_export_is_audited(exported, tmp_path):
    out = tmp_path / "contact.csv"
    with database.session() as db:
        write_export(
            db, Filters(regions=("Ningbo",)), out, "csv", actor=user(db, "boss"), role="executive", with_contact=True
        )
    (row,) = read_csv(out)
    assert row["customer_phone"] == "138****1111" and row["customer_name"] == "李*"
    assert "138****1111" in row["comment"] and "13800001111" not in row["comment"]
    with database.session() as db:
        entry = db.exec(select(AuditLog).where(AuditLog.action == "export.responses")).one()
    assert entry.username == "boss" and entry.detail["rows"] == 1 and entry.detail["masked"] is True
    assert entry.detail["filters"]["regions"] == ["Ningbo"]


def test_bad_options_give_one_line_and_leave_an_existing_file_alone(exported, tmp_path):
    out = tmp_path / "keep.csv"
    out.write_text("precious")
    for options, message in (
        (["--survey", "nope"], "no survey with code 'nope'"),
        (["--from", "2026-13-01"], "--from must be a date"),
        (["--from", "2026-03-02", "--to", "2026-03-01"], "ends (2026-03-01) before it starts"),
    ):
        result = CliRunner().invoke(main, ["export", "responses", "--format", "csv", "--out", str(out), *options])
        assert result.exit_code != 0 and message in result.output and "Traceback" not in result.output
    assert out.read_text() == "precious" and list(tmp_path.glob("*.part")) == []


def test_the_page_export_masks_by_the_actors_role_is_audited_and_leaves_no_file_behind(exported, tmp_path, monkeypatch):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    with database.session() as db:
        boss = user(db, "boss").id
    ready = export_responses(boss, Filters(regions=("Ningbo",)), "csv", with_contact=True)
    (row,) = csv.DictReader(io.StringIO(ready.data.decode("utf-8-sig")))
    assert ready.rows == 1 and ready.name == "responses_first_last.csv" and ready.file_format == "csv"
    assert row["customer_phone"] == "138****1111"  # the boss is an executive
    assert list(scratch.iterdir()) == []
    with database.session() as db:
        entry = db.exec(select(AuditLog).where(AuditLog.action == "export.responses")).one()
    assert entry.username == "boss" and entry.detail["masked"] is True
