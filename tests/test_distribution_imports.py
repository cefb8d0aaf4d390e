"""Customers and service events in: `survey import customers|events FILE`, GBK files, column
mapping, per-row errors, all-or-nothing, valid-only, rejected rows, Excel, upsert."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from openpyxl import Workbook
from sqlmodel import func, select

from survey.cli import main
from survey.core import db as database
from survey.distribution.imports import ImportFileError, decode, normalise_phone, read_table, validate
from survey.models import Customer, ServiceEvent

CUSTOMERS = (
    "客户编号,姓名,手机号码,邮箱,客户等级,地市\n"
    "C0001,王伟,13312345678,wang.wei@example.cn,钻石卡,杭州\n"
    "C0002,欧阳娜娜,+86 133 1234 5679,,金卡,宁波\n"
    "C0003,李静,133-1234-5680,li@example.cn,gold,温州\n"
    "C0004,Emma Smith,18912345678,emma@example.com,standard,Hangzhou\n"
)
BAD_ROWS = "C0005,赵强,1331234,bad@,gold,杭州\nC0006,钱丽,13312345681,qian@example.cn,platinum-plus,\n"


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def write(tmp_path, name: str, text: str, encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def customer_count() -> int:
    with database.session() as db:
        return db.exec(select(func.count(Customer.id))).one()


def test_a_gbk_file_with_chinese_names_is_detected_and_imported_intact(db_url, tmp_path):
    result = run("import", "customers", str(write(tmp_path, "customers.csv", CUSTOMERS, "gbk")))
    assert result.exit_code == 0, result.output
    assert "4 new, 0 updated, 0 rejected (encoding gbk)" in result.output
    with database.session() as db:
        customers = {c.external_id: c for c in db.exec(select(Customer))}
    assert customers["C0002"].name == "欧阳娜娜" and customers["C0002"].phone == "13312345679"
    assert customers["C0001"].tier == "diamond" and customers["C0002"].tier == "gold"
    assert customers["C0003"].phone == "13312345680" and customers["C0001"].region == "杭州"
    assert customers["C0004"].email == "emma@example.com" and customers["C0002"].email is None


def test_choosing_the_wrong_encoding_is_a_clear_error_and_imports_nothing(db_url, tmp_path):
    gbk = write(tmp_path, "customers.csv", CUSTOMERS, "gbk")
    result = run("import", "customers", str(gbk), "--encoding", "utf-8")
    assert result.exit_code != 0 and "not UTF-8" in result.output and "GBK" in result.output
    utf8 = write(tmp_path, "utf8.csv", CUSTOMERS)
    result = run("import", "customers", str(utf8), "--encoding", "gbk")
    assert result.exit_code != 0 and "garble" in result.output
    assert "Traceback" not in result.output and customer_count() == 0
    assert run("import", "customers", str(gbk), "--encoding", "gbk").exit_code == 0


def test_missing_columns_are_named_and_nothing_is_imported(db_url, tmp_path):
    path = write(tmp_path, "c.csv", "客户编号,姓名\nC1,王伟\n")
    result = run("import", "customers", str(path))
    assert result.exit_code != 0 and "missing columns: region" in result.output
    assert customer_count() == 0


def test_bad_rows_reject_the_file_with_line_numbered_errors(db_url, tmp_path):
    path = write(tmp_path, "c.csv", CUSTOMERS + BAD_ROWS, "gbk")
    result = run("import", "customers", str(path))
    assert result.exit_code == 1
    assert "2 of 6 rows have errors; nothing was imported" in result.output
    assert "line 6, phone: '1331234' is not a valid phone number" in result.output
    assert "line 6, email: 'bad@' is not a valid email address" in result.output
    assert "line 7, tier: unknown tier 'platinum-plus'" in result.output
    assert "line 7, region: is required" in result.output
    assert customer_count() == 0


def test_valid_only_imports_the_good_rows_and_writes_the_rejected_ones(db_url, tmp_path):
    path = write(tmp_path, "c.csv", CUSTOMERS + BAD_ROWS, "gbk")
    rejected = tmp_path / "rejected.csv"
    result = run("import", "customers", str(path), "--valid-only", "--rejected-out", str(rejected))
    assert result.exit_code == 0 and "4 new, 0 updated, 2 rejected" in result.output
    rows = list(csv.DictReader(io.StringIO(rejected.read_text(encoding="utf-8-sig"))))
    assert [r["line"] for r in rows] == ["6", "7"]
    assert rows[0]["姓名"] == "赵强" and "phone" in rows[0]["errors"]
    assert customer_count() == 4


def test_reimport_updates_by_external_id_and_keeps_the_opt_out(db_url, tmp_path):
    run("import", "customers", str(write(tmp_path, "c.csv", CUSTOMERS)))
    with database.session() as db:
        customer = db.exec(select(Customer).where(Customer.external_id == "C0001")).one()
        customer.opted_out = True
        db.add(customer)
    updated = CUSTOMERS.replace("C0001,王伟,13312345678,wang.wei@example.cn,钻石卡", "C0001,王伟,13312345678,,金卡")
    result = run("import", "customers", str(write(tmp_path, "c2.csv", updated + "C0009,孙悦,13312345699,,普通,嘉兴\n")))
    assert "1 new, 4 updated" in result.output
    with database.session() as db:
        customer = db.exec(select(Customer).where(Customer.external_id == "C0001")).one()
    assert customer.tier == "gold" and customer.email is None and customer.opted_out
    assert customer_count() == 5


def test_column_mapping_overrides_unrecognised_headers(db_url, tmp_path):
    path = write(tmp_path, "c.csv", "账号,联络号码,片区\nA1,13312345678,丽水\n")
    assert "missing columns: external_id, region" in run("import", "customers", str(path)).output
    result = run(
        "import", "customers", str(path), "--map", "external_id=账号", "--map", "phone=联络号码", "--map", "region=片区"
    )
    assert result.exit_code == 0, result.output
    with database.session() as db:
        customer = db.exec(select(Customer)).one()
    assert (customer.external_id, customer.phone, customer.region) == ("A1", "13312345678", "丽水")


def excel_file(tmp_path, header, rows):
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    path = tmp_path / "events.xlsx"
    book.save(path)
    return path


def test_events_from_excel_link_to_customers_in_local_time(db_url, tmp_path):
    run("import", "customers", str(write(tmp_path, "c.csv", CUSTOMERS)))
    path = excel_file(
        tmp_path,
        ["工单号", "客户编号", "服务类型", "受理时间", "完成时间", "班组"],
        [
            ["W-1", "C0001", "维修", datetime(2026, 3, 1, 9, 0), datetime(2026, 3, 1, 14, 20), "杭州装维一班"],
            ["W-2", "C0002", "hall_visit", "2026/3/2 10:00", "2026/3/2 10:30", None],
        ],
    )
    result = run("import", "events", str(path))
    assert result.exit_code == 0, result.output
    with database.session() as db:
        events = {e.external_ticket_id: e for e in db.exec(select(ServiceEvent))}
        c1 = db.exec(select(Customer).where(Customer.external_id == "C0001")).one()
    repair = events["W-1"]
    assert repair.kind == "repair" and repair.touch_point == "field_crew" and repair.customer_id == c1.id
    assert repair.closed_at == datetime(2026, 3, 1, 6, 20, tzinfo=UTC), "14:20 in Shanghai is 06:20 UTC"
    assert repair.region == "杭州" and repair.team == "杭州装维一班"
    assert events["W-2"].touch_point == "business_hall"


def test_event_rows_naming_unknown_customers_or_impossible_times_are_rejected(db_url, tmp_path):
    run("import", "customers", str(write(tmp_path, "c.csv", CUSTOMERS)))
    events = (
        "ticket_id,customer_id,kind,occurred_at,closed_at\n"
        "T1,C0001,repair,2026-03-01 09:00,2026-03-01 10:00\n"
        "T2,C9999,repair,2026-03-01 09:00,2026-03-01 10:00\n"
        "T3,C0002,complaint,2026-03-01 09:00,2026-02-01 10:00\n"
        "T1,C0003,repair,2026-03-01 09:00,\n"
    )
    result = run("import", "events", str(write(tmp_path, "e.csv", events)))
    assert result.exit_code == 1
    for expected in (
        "line 3, customer_external_id: no customer 'C9999'",
        "line 4, touch_point: is required for complaint events",
        "line 4, closed_at: is before",
        "line 5, external_ticket_id: 'T1' appears again (first on line 2)",
    ):
        assert expected in result.output
    with database.session() as db:
        assert db.exec(select(func.count(ServiceEvent.id))).one() == 0


@pytest.mark.parametrize(
    "text, expected",
    [
        ("13312345678", "13312345678"),
        ("+86 133 1234 5678", "13312345678"),
        ("133-1234-5678", "13312345678"),
        ("0571-8888 8888", "057188888888"),
        ("+44 7911 123456", "+447911123456"),
    ],
)
def test_phone_numbers_are_normalised(text, expected):
    assert normalise_phone(text) == expected


@pytest.mark.parametrize("bad", ["1331234", "12345678901234", "abc"])
def test_impossible_phone_numbers_are_refused(bad):
    with pytest.raises(ValueError, match="phone number"):
        normalise_phone(bad)


def test_decoding_prefers_utf8_then_gbk_and_names_the_bad_line():
    assert decode(CUSTOMERS.encode("utf-8-sig")) == (CUSTOMERS, "utf-8")
    assert decode(CUSTOMERS.encode("gbk")) == (CUSTOMERS, "gbk")
    with pytest.raises(ImportFileError, match="line 3"):
        decode(b"id,name,region\nA1,Ann,Ningbo\n" + "B2,王伟,杭州\n".encode("gbk"), "utf-8")


def test_the_guessed_mapping_understands_english_headers():
    table = read_table(
        b"customer_id,name,mobile,email,tier,city\nX1,Ann,13312345678,a@example.com,silver,Ningbo\n", "c.csv"
    )
    report = validate(table, "customers")
    assert report.mapping["phone"] == "mobile" and report.mapping["region"] == "city"
    assert report.valid[0].values["tier"] == "silver"
