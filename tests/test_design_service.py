"""The design page's service: each call is its own unit of work, acts as the signed-in staff
member, and hands back plain results that the page draws after the session closed."""

import json

import pytest
from sqlmodel import select

from survey.accounts import auth
from survey.collect import service as answering
from survey.core import db as database
from survey.design import service as design
from survey.design.definitions import DefinitionError, FrozenVersionError
from survey.design.templates import template
from survey.distribution import service as distribution
from survey.models import AuditLog, Invitation
from tests.respondent_support import customer

COMMENT = {
    "code": "extra",
    "type": "text",
    "required": False,
    "max_length": 200,
    "text": {"zh-CN": "还有什么建议？", "en": "Any suggestions?"},
}


@pytest.fixture
def actor_id(db_url) -> int:
    with database.session() as db:
        customer(db, "C100")
        return auth.create_user(db, "qa", "quality", "quality-password").id


def audited(action: str) -> list[tuple[str, dict]]:
    with database.session() as db:
        return [(e.username, e.detail) for e in db.exec(select(AuditLog).where(AuditLog.action == action))]


def test_a_new_survey_shows_as_a_draft_with_its_definition(actor_id):
    assert (
        design.create_survey(design.SCRATCH, " blank-one ", "网点评价", "Branch rating", actor_id=actor_id)
        == "blank-one"
    )
    assert design.create_survey("hall-visit", "hall-2026", "", "", actor_id=actor_id) == "hall-2026"
    rows = {row.code: row for row in design.survey_list()}
    assert (rows["blank-one"].status, rows["blank-one"].draft_version, rows["blank-one"].live_version) == (
        "draft",
        1,
        None,
    )
    assert rows["hall-2026"].name_en == template("hall-visit")["name"]["en"]  # an empty name keeps the template's
    detail = design.survey_detail("blank-one")
    assert detail.live is None and detail.draft.number == 1 and [v.number for v in detail.versions] == [1]
    assert detail.definition["name"] == detail.definition["title"] == {"zh-CN": "网点评价", "en": "Branch rating"}
    assert [q["code"] for q in detail.definition["questions"]] == ["overall"]
    assert design.survey_detail("nothing-here") is None
    assert [who for who, _ in audited("survey.create")] == ["qa", "qa"]


def test_saving_a_draft_returns_the_definition_the_page_shows_next(actor_id):
    design.create_survey(design.SCRATCH, "blank-one", "网点评价", "Branch rating", actor_id=actor_id)
    draft_id = design.survey_detail("blank-one").draft.id
    saved = design.add_question(draft_id, COMMENT, actor_id=actor_id)
    assert [q["code"] for q in saved["questions"]] == ["overall", "extra"]
    assert [q["code"] for q in design.move_question(draft_id, "extra", -1, actor_id=actor_id)["questions"]] == [
        "extra",
        "overall",
    ]
    edited = {**COMMENT, "text": {"zh-CN": "您的建议", "en": "Your suggestions"}}
    assert (
        design.update_question(draft_id, "extra", edited, actor_id=actor_id)["questions"][0]["text"] == edited["text"]
    )
    texts = {"title": {"zh-CN": "网点评价", "en": "Rate the branch"}}
    assert design.edit_texts(draft_id, texts, actor_id=actor_id)["title"] == texts["title"]
    last = design.delete_question(draft_id, "extra", actor_id=actor_id)
    assert [q["code"] for q in last["questions"]] == ["overall"]
    assert design.survey_detail("blank-one").definition == last  # what was returned is what is stored


def test_a_refused_edit_names_the_problems_and_saves_nothing(actor_id):
    design.create_survey(design.SCRATCH, "blank-one", "网点评价", "Branch rating", actor_id=actor_id)
    draft_id = design.survey_detail("blank-one").draft.id
    with pytest.raises(DefinitionError) as refused:
        design.add_question(draft_id, {**COMMENT, "code": "Bad Code"}, actor_id=actor_id)
    assert any("code must be lowercase" in problem for problem in refused.value.problems)
    assert [q["code"] for q in design.survey_detail("blank-one").definition["questions"]] == ["overall"]
    assert audited("survey.edit") == []


def test_publishing_freezes_the_version_and_a_new_version_is_a_draft_copy(actor_id):
    design.create_survey("hall-visit", "hall-2026", "", "", actor_id=actor_id)
    first = design.survey_detail("hall-2026")
    assert design.publish_draft(first.id, actor_id=actor_id).number == 1
    live = design.survey_detail("hall-2026")
    assert (live.status, live.draft, live.live.number) == ("live", None, 1)
    assert live.live.published_at is not None
    with pytest.raises(FrozenVersionError):
        design.add_question(live.live.id, COMMENT, actor_id=actor_id)
    assert design.start_new_version(live.id, actor_id=actor_id).number == 2
    again = design.survey_detail("hall-2026")
    assert again.draft.number == 2 and again.definition == live.definition  # the copy, ready to edit
    design.close_survey(again.id, actor_id=actor_id)
    assert design.survey_detail("hall-2026").status == "closed"
    design.reopen_survey(again.id, actor_id=actor_id)
    assert design.survey_detail("hall-2026").status == "live"
    assert [who for who, _ in audited("survey.publish")] == ["qa"]


def test_a_definition_file_goes_out_and_comes_back_under_a_new_code(actor_id):
    design.create_survey("vip-quarterly", "vip-2026", "", "", actor_id=actor_id)
    exported = json.loads(design.export_json(design.survey_detail("vip-2026").draft.id))
    exported["code"] = "vip-copy"
    assert design.import_json(json.dumps(exported).encode(), actor_id=actor_id) == "vip-copy"
    assert design.survey_detail("vip-copy").definition["questions"] == exported["questions"]
    with pytest.raises(DefinitionError, match="not valid JSON"):
        design.import_json(b'{"code": ', actor_id=actor_id)


def test_public_links_are_listed_switched_and_previewed(actor_id, monkeypatch):
    monkeypatch.setenv("SURVEY_BASE_URL", "https://survey.example.cn")
    design.create_survey("hall-visit", "hall-2026", "", "", actor_id=actor_id)
    survey = design.survey_detail("hall-2026")
    made = answering.create_public_link(
        survey.id, " Ningbo-Hall-9 ", region="Ningbo", touch_point="business_hall", actor_id=actor_id
    )
    assert (made.slug, made.region, made.active) == ("ningbo-hall-9", "Ningbo", True)
    assert made.address == "https://survey.example.cn/p/ningbo-hall-9"
    with pytest.raises(ValueError, match="is taken"):
        answering.create_public_link(survey.id, "ningbo-hall-9", actor_id=actor_id)
    assert answering.set_public_link_active(made.id, False, actor_id=actor_id).active is False
    assert [(link.slug, link.active) for link in answering.public_links_of(survey.id)] == [("ningbo-hall-9", False)]
    assert answering.public_link_qr_code(made, "png").startswith(b"\x89PNG")
    assert [who for who, _ in audited("public_link.disable")] == ["qa"]
    preview = answering.preview_questionnaire(survey.draft.id, "en")
    assert "Mr Zhang" in preview.pipe("en").values() and preview.questions[0].code == "overall"


def test_a_personal_link_is_made_for_a_known_customer_of_a_live_survey(actor_id, monkeypatch):
    monkeypatch.setenv("SURVEY_BASE_URL", "https://survey.example.cn")
    design.create_survey("hall-visit", "hall-2026", "", "", actor_id=actor_id)
    with pytest.raises(ValueError, match="no published version"):
        distribution.create_personal_link("hall-2026", "C100", actor_id=actor_id)
    design.publish_draft(design.survey_detail("hall-2026").id, actor_id=actor_id)
    link = distribution.create_personal_link("hall-2026", " C100 ", actor_id=actor_id)
    with database.session() as db:
        token = db.exec(select(Invitation.token)).one()
    assert link == f"https://survey.example.cn/s/{token}"
    with pytest.raises(ValueError, match="no customer with external id 'NOBODY'"):
        distribution.create_personal_link("hall-2026", "NOBODY", actor_id=actor_id)
