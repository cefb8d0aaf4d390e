"""Administration without surprises (issue 11, part 7): a new account's role is chosen, never
defaulted; a refused form keeps what was typed; every staff action (a button, a phone call, an
agent's answers) is in the audit log under the person who did it; the log filters by date,
user and action and reads in words and local time; public links pick their region and team
from the operator's own lists."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from survey.accounts import auth
from survey.cases import service as case_service
from survey.collect import phone
from survey.collect import service as collect_service
from survey.core import db as database
from survey.core.audit import record
from survey.models import AuditLog, PublicLink, User, utcnow
from tests.apptest_support import signed_in
from tests.cases_support import customer as case_customer
from tests.cases_support import repair_survey, respond


def audited(action: str) -> list[tuple[str, dict]]:
    with database.session() as db:
        return [(e.username, e.detail) for e in db.exec(select(AuditLog).where(AuditLog.action == action))]


@pytest.fixture
def admin(db_url):
    with database.session() as db:
        return auth.create_user(db, "root", "admin", "admin-password", display_name="Root").id


# ---------------------------------------------------------------- users


def test_a_new_users_role_is_chosen_and_a_refused_form_keeps_what_was_typed(admin):
    at = signed_in("root", "admin-password", "pages/users.py")
    assert at.selectbox(key="new_role").value is None, "no role is preselected, least of all Administrator"
    at.text_input(key="new_username").input("chen.jing")
    at.text_input(key="new_display_name").input("陈静")
    at.text_input(key="new_password").input("agent-password")
    at.button(key="add_user_submit").click().run()
    assert not at.exception and [e.value for e in at.error] == ["请选择新用户的角色。"]
    assert at.text_input(key="new_username").value == "chen.jing"
    assert at.text_input(key="new_display_name").value == "陈静"
    with database.session() as db:
        assert db.exec(select(User).where(User.username == "chen.jing")).first() is None

    at.selectbox(key="new_role").select("agent")
    at.text_input(key="new_password").input("short")
    at.button(key="add_user_submit").click().run()
    assert at.error and at.text_input(key="new_username").value == "chen.jing"

    at.text_input(key="new_password").input("agent-password")
    at.button(key="add_user_submit").click().run()
    assert not at.error and [s.value.replace("\\", "") for s in at.success] == ["已创建用户 chen.jing。"]
    assert at.text_input(key="new_username").value == ""  # ready for the next one
    users = at.dataframe[0].value.set_index("用户名")
    assert users.loc["chen.jing", "最近登录"] == "从未"
    assert users.loc["chen.jing", "角色"] == "回访坐席"
    signed_in_at = users.loc["root", "最近登录"]
    assert "年" in signed_in_at and "+00:00" not in signed_in_at and "None" not in users.to_string()


# ---------------------------------------------------------------- every staff action under its author


def test_applying_the_case_rules_from_the_page_is_logged_under_the_staff_member(db_url):
    with database.session() as db:
        repair_survey(db)
        quality = auth.create_user(db, "qa", "quality", "quality-password").id
        respond(db, *case_customer(db, "C1", "gold"), overall=1)
    case_service.apply_rules(quality)
    assert [who for who, _ in audited("cases.run")] == ["qa"]


def test_an_agents_calls_and_keyed_in_answers_are_in_the_audit_log(db_url):
    from tests.test_phone import PHONE_FIELDS, phone_invitation

    with database.session() as db:
        agent = auth.create_user(db, "li", "agent", "li-password").id
        missed, answered = phone_invitation(db, "C1"), phone_invitation(db, "C2")
    collect_service.record_call(agent, missed, "no_answer", note="无人接听")
    saved = phone.save_answers(answered, agent, PHONE_FIELDS)
    assert saved.saved
    with database.session() as db:
        logged = [
            (e.username, e.action, e.entity_id, e.detail)
            for e in db.exec(
                select(AuditLog).where(AuditLog.action.in_(("phone.call", "phone.answers"))).order_by(AuditLog.id)
            )
        ]
    assert logged == [
        ("li", "phone.call", str(missed), {"outcome": "no_answer"}),
        ("li", "phone.answers", str(answered), {"response": saved.response_id}),
    ]


# ---------------------------------------------------------------- the audit log page


def test_the_audit_log_reads_in_words_and_filters_by_date_user_and_action(admin):
    with database.session() as db:
        root = db.get(User, admin)
        zhao = auth.create_user(db, "zhao", "quality", "quality-pass", actor=root)
        old = record(db, zhao, "case.contacted", "followupcase", 12, {"from": "open"})
        old.at = utcnow() - timedelta(days=10)
        forgotten = record(db, root, "user.password", "user", 2, {"username": "zhao"})
        forgotten.at = utcnow() - timedelta(days=40)  # before the last 30 days the page opens on
    at = signed_in("root", "admin-password", "pages/audit.py")
    table = at.dataframe[0].value
    assert "重置密码" not in set(table["操作"])
    created = table[table["操作"] == "创建用户"].iloc[0]
    assert created["对象"] == "用户 #2" and created["操作人"] == "root"
    assert created["详情"] == "用户名: zhao；角色: 质量管理"
    assert "年" in created["时间"] and "+00:00" not in table.to_string()
    assert "{" not in table["详情"].str.cat() and "user.create" not in table.to_string()
    contacted = table[table["操作"] == "工单：已联系"].iloc[0]
    assert contacted["对象"] == "工单 #12" and contacted["详情"] == "原状态: 待处理"

    at.selectbox(key="audit_user").select("zhao").run()
    assert set(at.dataframe[0].value["操作人"]) == {"zhao"}
    at.selectbox(key="audit_user").select("").run()
    at.selectbox(key="audit_action").select("user.create").run()
    assert set(at.dataframe[0].value["操作"]) == {"创建用户"}
    at.selectbox(key="audit_action").select("").run()
    today = utcnow().date()
    at.date_input(key="audit_period").set_value((today - timedelta(days=7), today + timedelta(days=1))).run()
    assert "工单：已联系" not in set(at.dataframe[0].value["操作"])
    assert at.download_button(key="audit_download")


# ---------------------------------------------------------------- public links


def test_a_public_link_picks_its_region_and_team_from_the_operators_lists(db_url):
    from survey.design.definitions import create_survey
    from survey.design.templates import template
    from tests.respondent_support import customer

    with database.session() as db:
        auth.create_user(db, "qa", "quality", "quality-password")
        customer(db, "C100")  # Ningbo, served by Ningbo Crew 3
        create_survey(db, template("hall-visit"), publish=True)
    at = signed_in("qa", "quality-password", "pages/design.py")
    region, team = at.selectbox(key="design_pl_region"), at.selectbox(key="design_pl_team")
    assert region.options == ["—", "宁波"] and team.options == ["—", "宁波装维3班"]
    at.text_input(key="design_pl_slug").input("ningbo-crew-3")
    region.select("Ningbo")
    team.select("Ningbo Crew 3")
    at.button(key="design_pl_create").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    with database.session() as db:
        link = db.exec(select(PublicLink)).one()
    assert (link.region, link.team) == ("Ningbo", "Ningbo Crew 3")
    shown = at.dataframe[-1].value.iloc[0]
    assert shown["地区"] == "宁波" and shown["班组/营业厅"] == "宁波装维3班"
