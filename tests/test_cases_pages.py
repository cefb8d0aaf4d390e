"""The closed-loop pages through AppTest: an agent works a case to resolution with a recontact,
an executive sees phones masked, quality staff draft a service change from a recurring root
cause and read comment themes, exports are audited, an admin erases a customer."""

from __future__ import annotations

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from survey.cases import workflow as cases
from survey.cases.recontact import resolve
from survey.cases.rules import run_rules
from survey.core import db as database
from survey.models import AuditLog, CaseChange, Customer, FollowUpCase, ServiceChange
from tests import apptest_support
from tests.cases_support import customer, repair_survey, respond, staff, user


@pytest.fixture
def loop_world(db_url):
    with database.session() as db:
        repair_survey(db)
        for name, role, team in (
            ("qa", "quality", None),
            ("ag", "agent", "Hangzhou Crew 1"),
            ("ex", "executive", None),
            ("ad", "admin", None),
        ):
            staff(db, name, role, team=team)
        respond(db, *customer(db, "C1", "gold", phone="13812345678"), overall=1, comment="账单乱扣费")
    run_rules()
    return db_url


def signed_in(username: str, page: str) -> AppTest:
    return apptest_support.signed_in(username, f"{username}-password", page)


def test_an_agent_contacts_and_resolves_their_case_with_a_recontact(loop_world):
    at = signed_in("ag", "pages/cases.py")
    table = at.dataframe[0].value
    assert len(table) == 1 and table.iloc[0]["电话"] == "13812345678"
    at.text_area(key="cases_note_1").input("已致电客户，核实扣费")
    at.button(key="cases_contacted").click().run()
    assert not at.exception and at.success
    at.selectbox(key="cases_root_cause").select("billing")
    at.checkbox(key="cases_send_recontact").check()
    at.button(key="cases_resolve").click().run()  # SMS is not configured here: refused, and says what to set
    assert not at.exception and "短信未配置：请设置 SURVEY_SMS_URL" in at.error[0].value.replace("\\", "")
    with database.session() as db:
        assert db.get(FollowUpCase, 1).status == "contacted"
    at.selectbox(key="cases_root_cause").select("billing")
    at.checkbox(key="cases_send_recontact").check()
    at.checkbox(key="cases_queue_recontact").check()  # queued until SMS is configured, by choice
    at.button(key="cases_resolve").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with database.session() as db:
        case = db.get(FollowUpCase, 1)
    assert case.status == "resolved" and case.root_cause == "billing" and case.recontact_invitation_id


def test_quality_staff_apply_the_rules_from_the_page_and_are_told_what_they_did(loop_world):
    with database.session() as db:
        respond(db, *customer(db, "C2", "diamond"), overall=2)
    at = signed_in("qa", "pages/cases.py")
    at.button(key="cases_run").click().run()
    assert not at.exception and not at.error
    assert [s.value for s in at.success] == ["已检查 1 份回答：新建 1 个工单，0 个并入已有工单，记录 0 个回访结果。"]
    assert len(at.dataframe[0].value) == 2


def test_an_agent_is_told_why_a_change_is_refused(loop_world):
    at = signed_in("ag", "pages/cases.py")
    at.button(key="cases_add_note").click().run()  # no note typed
    assert not at.exception and [e.value for e in at.error] == ["备注不能为空"]


def test_quality_staff_move_a_colleague_to_another_team_and_a_bad_rule_is_refused(loop_world):
    at = signed_in("qa", "pages/case_settings.py")
    with database.session() as db:
        agent_id = user(db, "ag").id
    at.selectbox(key="case_member").select(agent_id).run()
    at.text_input(key="case_member_team").input("Hangzhou Crew 2")
    at.button(key="case_member_save").click().run()
    assert not at.exception and [s.value for s in at.success] == ["团队已更新。"]
    with database.session() as db:
        assert user(db, "ag").team == "Hangzhou Crew 2"
    at.text_input(key="case_rule_name_zh").input("")
    at.button(key="case_rule_save").click().run()
    assert not at.exception and "name in zh-CN and en" in at.error[0].value


def test_an_executive_reads_cases_with_masked_phones_and_cannot_act(loop_world):
    at = signed_in("ex", "pages/cases.py")
    assert at.dataframe[0].value.iloc[0]["电话"] == "138****5678"
    assert "13812345678" not in " ".join(m.value for m in at.markdown)
    assert not [b for b in at.button if b.key in ("cases_contacted", "cases_resolve")]


def test_quality_drafts_a_service_change_from_a_recurring_root_cause(loop_world):
    with database.session() as db:
        agent = user(db, "ag")
        for i in range(2, 5):
            respond(db, *customer(db, f"C{i}", "gold"), overall=1)
    run_rules()
    with database.session() as db:
        for case_id in range(1, 5):
            cases.change_status(db, case_id, "contacted", agent)
            resolve(db, case_id, agent, "billing")
    at = signed_in("qa", "pages/case_reports.py")
    assert [m.value for m in at.metric if m.label == "已关闭"] == ["4"]
    at.button(key="case_draft_billing").click().run()
    assert not at.exception and at.success
    with database.session() as db:
        change = db.exec(select(ServiceChange)).one()
        link = db.exec(select(CaseChange)).one()
    assert change.dimension == "billing" and change.regions == ["Hangzhou"] and change.tiers == ["gold"]
    assert "4" in change.title and link.service_change_id == change.id and link.cases == 4


def test_the_themes_page_counts_comments_and_staff_can_try_a_comment(loop_world):
    at = signed_in("qa", "pages/themes.py")
    assert [m.value for m in at.metric if m.label == "评论数"] == ["1"]
    assert any("账单乱扣费" in m.value for m in at.markdown)
    at.text_input(key="themes_try").input("网络老是掉线").run()
    assert any("网络质量" in m.value for m in at.markdown)


def test_an_export_from_the_page_is_audited_and_downloadable(loop_world):
    at = signed_in("ex", "pages/export.py")
    at.checkbox(key="export_contact").check()
    at.button(key="export_prepare").click().run()
    assert not at.exception and at.success
    with database.session() as db:
        entry = db.exec(select(AuditLog).where(AuditLog.action == "export.responses")).one()
    assert entry.username == "ex" and entry.detail["masked"] is True and entry.detail["rows"] == 1


def test_an_admin_erases_a_customer_after_typing_their_id(loop_world):
    at = signed_in("ad", "pages/privacy.py")
    at.text_input(key="privacy_search").input("C1").run()
    with database.session() as db:
        customer_id = db.exec(select(Customer.id).where(Customer.external_id == "C1")).one()
    assert at.button(key=f"privacy_erase_{customer_id}").disabled
    at.text_input(key=f"privacy_confirm_{customer_id}").input("C1").run()
    at.button(key=f"privacy_erase_{customer_id}").click().run()
    assert not at.exception and at.success
    with database.session() as db:
        assert db.get(Customer, customer_id).name is None
