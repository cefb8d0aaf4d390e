"""The survey design page (quality team) through AppTest: from a template to a published survey,
edits, the preview, new versions, JSON files, personal links and public links with QR codes."""

import json

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from survey.accounts import auth
from survey.core import db as database
from survey.design import drafts
from survey.design.definitions import definition_of, live_version, survey_by_code
from survey.design.templates import template
from survey.models import Invitation, PublicLink
from tests.apptest_support import signed_in
from tests.respondent_support import customer


@pytest.fixture
def quality(db_url):
    with database.session() as db:
        auth.create_user(db, "qa", "quality", "quality-password", display_name="QA")
        customer(db, "C100")


def design_page(username: str = "qa", password: str = "quality-password") -> AppTest:
    return signed_in(username, password, "pages/design.py")


def create_from_template(at: AppTest, source: str, code: str, names: tuple[str, str] = ("", "")) -> AppTest:
    at.selectbox(key="design_new_source").select(source)
    at.text_input(key="design_new_code").input(code)
    at.text_input(key="design_new_name_zh").input(names[0])
    at.text_input(key="design_new_name_en").input(names[1])
    at.button(key="design_new_create").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    return at


def preview_html(at: AppTest) -> str:
    return at.get("iframe")[0].proto.srcdoc


def test_build_from_a_template_preview_and_publish(quality):
    at = create_from_template(design_page(), "repair-revisit", "repair-2026")
    assert at.selectbox(key="design_survey").value == "repair-2026"
    assert "已创建问卷 repair-2026（草稿）。" in at.success[0].value
    html = preview_html(at)
    assert "张先生您好" in html and "您对本次装维服务的总体满意度如何？" in html and "<script" not in html
    at.selectbox(key="design_preview_lang").select("en").run()
    assert "Hello Mr Zhang" in preview_html(at)
    at.button(key="design_publish").click().run()
    assert "版本 1 已发布。" in at.success[0].value
    with database.session() as db:
        survey = survey_by_code(db, "repair-2026")
        assert survey.status == "live" and survey.template == "repair-revisit"
    table = at.dataframe[0].value
    assert table.loc[table["问卷代码"] == "repair-2026", "在用版本"].item() == 1


def test_a_blank_survey_gets_questions_added_edited_and_reordered(quality):
    at = create_from_template(design_page(), "scratch", "blank-one", ("网点评价", "Branch rating"))
    prefix = "qe_1___new__"
    at.text_input(key=f"{prefix}_code").input("wait")
    at.selectbox(key=f"{prefix}_type").select("single").run()
    at.text_area(key=f"{prefix}_text_zh").input("等了多久？")
    at.text_area(key=f"{prefix}_text_en").input("How long did you wait?")
    at.text_area(key=f"{prefix}_options").input("short | 很短 | Short\nlong | 很长 | Long")
    at.selectbox(key=f"{prefix}_cond_source").select("overall").run()
    at.selectbox(key=f"{prefix}_cond_op").select("<=")
    at.text_input(key=f"{prefix}_cond_value").input("2")
    at.button(key="design_q_save").click().run()
    assert not at.error, [e.value for e in at.error]
    with database.session() as db:
        survey = survey_by_code(db, "blank-one")
        questions = definition_of(db, drafts.draft_version(db, survey))["questions"]
    assert [q["code"] for q in questions] == ["overall", "wait"]
    assert questions[1]["condition"] == {"question": "overall", "op": "<=", "value": 2}
    assert at.selectbox(key="design_question").value == "wait"
    at.button(key="design_q_up").click().run()  # above its condition's source: refused, nothing moves
    assert "which is not an earlier question" in at.error[0].value
    at.text_area(key="qe_1_wait_text_en").input("About how long did you wait?")
    at.button(key="design_q_save").click().run()
    with database.session() as db:
        questions = definition_of(db, drafts.draft_version(db, survey_by_code(db, "blank-one")))["questions"]
    assert [q["code"] for q in questions] == ["overall", "wait"]
    assert questions[1]["text"]["en"] == "About how long did you wait?"


def test_a_bad_question_is_explained_and_not_saved(quality):
    at = create_from_template(design_page(), "scratch", "blank-two", ("网点评价", "Branch rating"))
    at.text_input(key="qe_1___new___code").input("Bad Code")
    at.button(key="design_q_save").click().run()
    problems = at.error[0].value
    assert "无法保存" in problems and "code must be lowercase" in problems and "text needs text in both" in problems
    with database.session() as db:
        assert len(definition_of(db, drafts.draft_version(db, survey_by_code(db, "blank-two")))["questions"]) == 1


def test_a_live_survey_is_changed_through_a_new_version(quality):
    at = create_from_template(design_page(), "hall-visit", "hall-2026")
    at.button(key="design_publish").click().run()
    assert any("已冻结" in info.value for info in at.info)
    at.button(key="design_new_version").click().run()
    assert "正在编辑草稿版本 2。" in [c.value for c in at.caption]
    at.selectbox(key="design_question").select("ces").run()
    at.button(key="design_q_delete").click().run()
    at.button(key="design_publish").click().run()
    with database.session() as db:
        survey = survey_by_code(db, "hall-2026")
        live = definition_of(db, live_version(db, survey))
        versions = [(v.number, v.status) for v in drafts.versions_of(db, survey)]
    assert "ces" not in [q["code"] for q in live["questions"]]
    assert versions == [(1, "retired"), (2, "published")]


def test_export_and_import_a_definition_file(quality):
    at = create_from_template(design_page(), "vip-quarterly", "vip-2026")
    assert at.get("download_button")
    definition = template("vip-quarterly")
    definition["code"] = "vip-copy"
    at.file_uploader(key="design_import").set_value(("vip.json", json.dumps(definition).encode(), "application/json"))
    at.run()
    at.button(key="design_import_submit").click().run()
    assert at.selectbox(key="design_survey").value == "vip-copy" and "已导入。" in at.success[0].value
    at.file_uploader(key="design_import").set_value(("bad.json", b'{"code": ', "application/json"))
    at.run()
    at.button(key="design_import_submit").click().run()
    assert "文件不是有效的 JSON" in at.error[0].value  # the page speaks the reader's language


def test_personal_and_public_links_from_the_design_page(quality, monkeypatch):
    monkeypatch.setenv("SURVEY_BASE_URL", "https://survey.example.cn")
    at = create_from_template(design_page(), "hall-visit", "hall-links")
    at.button(key="design_publish").click().run()
    at.text_input(key="design_link_customer").input("C100")
    at.button(key="design_link_create").click().run()
    with database.session() as db:
        token = db.exec(select(Invitation.token)).one()
    assert at.code[0].value == f"https://survey.example.cn/s/{token}"
    at.text_input(key="design_pl_slug").input("ningbo-hall-9")
    at.selectbox(key="design_pl_region").select("Ningbo")
    at.button(key="design_pl_create").click().run()
    assert not at.error, [e.value for e in at.error]
    with database.session() as db:
        link = db.exec(select(PublicLink)).one()
    assert (link.slug, link.region, link.touch_point) == ("ningbo-hall-9", "Ningbo", "business_hall")
    assert at.image[0].captions == ["https://survey.example.cn/p/ningbo-hall-9"]  # the QR code to print
    assert {b.proto.label for b in at.get("download_button")} >= {"下载二维码（PNG）", "下载二维码（SVG，打印用）"}
    at.button(key="design_qr_toggle").click().run()
    assert "公开链接 ningbo-hall-9 已停用" in at.success[0].value
    assert at.dataframe[-1].value["启用"].tolist() == [False]
    at.text_input(key="design_link_customer").input("NOBODY")
    at.button(key="design_link_create").click().run()
    assert "没有外部编号为“NOBODY”的客户" in at.error[0].value  # the refusal in the reader's language


def test_asking_for_a_customers_link_again_gives_the_live_one_or_replaces_it(quality, monkeypatch):
    monkeypatch.setenv("SURVEY_BASE_URL", "https://survey.example.cn")
    at = create_from_template(design_page(), "hall-visit", "hall-again")
    at.button(key="design_publish").click().run()
    at.text_input(key="design_link_customer").input("C100")
    at.button(key="design_link_create").click().run()
    first = at.code[0].value
    at.text_input(key="design_link_customer").input("C100")
    at.button(key="design_link_create").click().run()
    assert at.code[0].value == first and "该客户已有此问卷的有效链接" in at.info[0].value
    at.text_input(key="design_link_customer").input("C100")
    at.checkbox(key="design_link_replace").check()
    at.button(key="design_link_create").click().run()
    assert at.code[0].value != first and "客户原有的链接已失效" in at.info[0].value
    with database.session() as db:
        assert [i.status for i in db.exec(select(Invitation).order_by(Invitation.id))] == ["superseded", "sent"]


def test_admins_may_design_agents_may_not(db_url):
    with database.session() as db:
        auth.create_user(db, "root", "admin", "admin-password")
        auth.create_user(db, "li", "agent", "agent-password")
    assert design_page("root", "admin-password").title[0].value == "问卷设计"
    at = signed_in("li", "agent-password")
    with pytest.raises(ValueError):
        at.switch_page("pages/design.py")
