"""Personal data: one masking rule for phones; erasing a customer leaves their name, phone and
email in no table (every text column of every table is searched) while the statistics stay."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlmodel import SQLModel, func, select

import survey.models  # noqa: F401  (every table)
from survey.cases import workflow as cases
from survey.cases.rules import run_rules
from survey.cli import main
from survey.core import db as database
from survey.distribution.personal_links import create_personal_link
from survey.models import Answer, AuditLog, CallAttempt, Customer, Delivery, Invitation, Response
from survey.privacy import service as privacy
from survey.privacy.erasure import contact_for, erase_customer, mask_phone, mask_phones_in_text
from tests.cases_support import customer, repair_survey, respond, staff, user

NAME, PHONE, EMAIL = "欧阳慕白", "13987654321", "muobai.ouyang@example.cn"


@pytest.mark.parametrize(
    "raw, masked",
    [
        ("13312345678", "133****5678"),
        ("+8613312345678", "+86 133****5678"),
        ("133-1234-5678", "133****5678"),
        ("0571-88886666", "057*****6666"),
        ("12345", "***45"),
        (None, None),
        ("", ""),
    ],
)
def test_mask_phone(raw, masked):
    assert mask_phone(raw) == masked


def test_executives_see_masked_contacts_and_staff_who_call_see_them_whole():
    shown = contact_for("executive", NAME, PHONE, EMAIL)
    assert (shown.name, shown.phone, shown.email) == ("欧***", "139****4321", "m***@example.cn")
    assert contact_for("agent", NAME, PHONE, EMAIL).phone == PHONE
    assert mask_phones_in_text(f"请打{PHONE}找我，工单号 2024") == "请打139****4321找我，工单号 2024"


def text_columns() -> list[tuple[str, str, bool]]:
    """(table, column, is_json) for every text-like column of the schema."""
    found = []
    for table in SQLModel.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, sa.JSON):
                found.append((table.name, column.name, True))
            elif isinstance(getattr(column.type, "impl", column.type), sa.String):  # String, Text, AutoString
                found.append((table.name, column.name, False))
    return found


def holders(url: str, needles: list[str]) -> list[str]:
    """Every table.column whose stored text holds one of the needles (JSON also checked escaped)."""
    forms = {form for n in needles for form in (n, json.dumps(n)[1:-1])}
    hits = []
    with database.get_engine(url).connect() as conn:
        for table, column, is_json in text_columns():
            value = sa.cast(sa.column(column), sa.Text) if is_json else sa.column(column)
            query = (
                sa.select(sa.func.count())
                .select_from(sa.table(table))
                .where(sa.or_(*(value.contains(form, autoescape=True) for form in forms)))
            )
            if conn.execute(query).scalar_one():
                hits.append(f"{table}.{column}")
    return hits


@pytest.fixture
def lived_customer(db_url):
    """A customer who went through everything: links, messages, calls, a response with a
    comment naming themselves, a case with notes, audit entries."""
    with database.session() as db:
        repair_survey(db)
        staff(db, "ag", "agent", team="Hangzhou Crew 1")
        staff(db, "root", "admin")
        person, event = customer(db, "CUST-777", "gold", name=NAME, phone=PHONE, email=EMAIL)
        respond(db, person, event, overall=1, comment=f"我是{NAME}，电话{PHONE}，邮箱{EMAIL}，账单乱扣费")
        other, other_event = customer(db, "OTHER", "gold", name="路人甲", phone="13700000000", email="x@example.cn")
        respond(db, other, other_event, overall=5, comment="很好")
        invitation, _ = create_personal_link(db, "repair-revisit", "CUST-777", actor=user(db, "root"))
        invitation.draft = {"page": 1, "fields": {"comment": [f"{NAME} {PHONE}"]}}
        invitation.last_error = f"recipient refused: 550 {EMAIL}"
        db.add(invitation)
        db.add(
            Delivery(
                invitation_id=invitation.id,
                campaign_id=invitation.campaign_id,
                channel="email",
                idempotency_key="k1",
                status="failed",
                last_error=f"550 mailbox {EMAIL} unavailable",
                provider_id=f"<{EMAIL}>",
            )
        )
        db.add(CallAttempt(invitation_id=invitation.id, outcome="call_back", note=f"{NAME}说晚上打{PHONE}"))
    run_rules()
    with database.session() as db:
        agent = user(db, "ag")
        cases.add_note(db, 1, f"{NAME}要求回电 {PHONE}", agent)
        cases.change_status(db, 1, "contacted", agent, note=f"已联系{NAME}")
    return db_url


def test_erasure_leaves_no_name_phone_or_email_in_any_table_and_keeps_the_statistics(lived_customer):
    needles = [NAME, PHONE, EMAIL]
    assert set(holders(lived_customer, needles)) >= {
        "customer.name",
        "customer.phone",
        "answer.value_text",
        "followupcase.notes",
        "callattempt.note",
        "delivery.last_error",
    }
    with database.session() as db:
        before = db.exec(select(func.count(Answer.id)).where(Answer.value_num.is_not(None))).one()
        done = erase_customer(db, "CUST-777", actor=user(db, "root"))
    assert done.responses == 1 and done.answers_redacted == 1 and done.cases == 1
    assert holders(lived_customer, needles) == []
    with database.session() as db:
        stub = db.get(Customer, done.customer_id)
        assert stub.external_id == f"erased-{stub.id}" and stub.erased_at and stub.opted_out
        assert db.exec(select(func.count(Answer.id)).where(Answer.value_num.is_not(None))).one() == before
        kept = db.exec(select(Response).where(Response.customer_id == stub.id)).one()
        assert kept.tier == "gold" and kept.region == "Hangzhou"
        assert (
            db.exec(
                select(Answer.value_text).where(Answer.question_code == "comment", Answer.response_id == kept.id)
            ).one()
            == "[erased]"
        )
        assert db.exec(select(Customer.name).where(Customer.external_id == "OTHER")).one() == "路人甲"
        assert db.exec(select(Invitation.draft).where(Invitation.customer_id == stub.id)).one() == {}
        assert "CUST-777" not in json.dumps([e.detail for e in db.exec(select(AuditLog))], ensure_ascii=False)
        entry = db.exec(select(AuditLog).where(AuditLog.action == "customer.erase")).one()
        assert entry.username == "root" and entry.detail["customer"] == stub.external_id


def test_the_cli_erases_once_and_refuses_again_with_one_line(lived_customer):
    first = CliRunner().invoke(main, ["customer", "erase", "CUST-777", "--yes"])
    assert first.exit_code == 0 and "1 responses kept anonymous" in first.output
    again = CliRunner().invoke(main, ["customer", "erase", "CUST-777", "--yes"])
    assert again.exit_code != 0 and "no customer with external id 'CUST-777'" in again.output
    unknown = CliRunner().invoke(main, ["customer", "erase", "NOBODY"], input="y\n")
    assert unknown.exit_code != 0 and "Traceback" not in unknown.output


def test_the_admin_finds_a_customer_by_phone_and_only_an_admin_erases_through_the_service(lived_customer):
    with database.session() as db:
        agent, root = user(db, "ag").id, user(db, "root").id
    [found] = privacy.find_customers(PHONE[-6:])
    assert (found.external_id, found.name, found.phone, found.erased_at) == ("CUST-777", NAME, PHONE, None)
    assert privacy.find_customers("  ") == []
    with pytest.raises(privacy.AuthError, match="only admins"):
        privacy.erase_customer(agent, "CUST-777")
    assert privacy.find_customers(PHONE)[0].erased_at is None
    done = privacy.erase_customer(root, "CUST-777")
    assert (done.responses, done.answers_redacted, done.cases) == (1, 1, 1)
    assert privacy.find_customers(PHONE) == []
    [stub] = privacy.find_customers(f"erased-{found.id}")
    assert stub.erased_at is not None and stub.name is stub.phone is stub.email is None
