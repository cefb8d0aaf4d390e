"""People read words, not codes (issue 11, part 4): why a case was opened, the answers behind
it, its history, the scale ends an agent reads out, and the team a complaint is routed to, each
in the reader's language; and a case stays chosen when its status changes."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from survey.cases import reasons
from survey.cases.rules import run_rules
from survey.cases.settings import RouteSpec, save_routes
from survey.cli import main
from survey.core import db as database
from survey.core.i18n import team_label
from survey.models import FollowUpCase, utcnow
from tests import apptest_support
from tests.cases_support import customer, repair_survey, respond, staff, user

LONG_COMMENT = "账单乱扣费，" + "我打了三次客服电话都没有人处理，" * 12 + "最后一句话在这里。"


@pytest.fixture
def world(db_url):
    with database.session() as db:
        repair_survey(db)
        for name, role, team in (("qa", "quality", None), ("ag", "agent", "Hangzhou Crew 1")):
            staff(db, name, role, team=team)
    return db_url


def signed_in(username: str, page: str, language: str | None = None) -> AppTest:
    return apptest_support.signed_in(username, f"{username}-password", page, language=language)


def only_case() -> FollowUpCase:
    with database.session() as db:
        return db.exec(select(FollowUpCase)).one()


# ---------------------------------------------------------------- the reason, stored as codes


def test_a_reason_is_stored_as_codes_and_read_in_either_language(world):
    with database.session() as db:
        respond(db, *customer(db, "C1", "gold", repeated_fault=True), overall=1, comment="上个月话费多扣了，账单看不懂")
    run_rules()
    stored = only_case().reason
    assert "overall =" not in stored and "comment names" not in stored
    chinese, english = reasons.describe(stored, "zh-CN"), reasons.describe(stored, "en")
    assert "总体满意度" in chinese and "金卡" in chinese and "重复障碍" in chinese and "计费" in chinese
    assert "Overall satisfaction" in english and "Gold" in english and "Billing" in english
    assert "overall" not in chinese and "gold" not in chinese


def test_a_reason_written_as_plain_text_before_still_shows_as_it_is():
    old = "overall = 1 ≤ 2 (gold); comment names billing (扣费)"
    assert reasons.describe(old, "zh-CN") == old == reasons.describe(old, "en")
    assert reasons.describe("", "en") == ""


def test_a_long_reason_still_fits_its_column_and_reads(world):
    why = [reasons.comment_theme({theme: ["很长的一个短语" * 5] * 3 for theme in reasons.THEMES})] * 6
    stored = reasons.encode(why)
    assert len(stored) <= reasons.LIMIT and reasons.describe(stored, "zh-CN").startswith("评论提到")


def test_the_cli_lists_cases_with_the_reason_in_the_chosen_language(world):
    with database.session() as db:
        respond(db, *customer(db, "C1", "gold"), overall=1)
    run_rules()
    chinese = CliRunner().invoke(main, ["cases", "list", "--lang", "zh-CN"])
    assert chinese.exit_code == 0, chinese.output
    assert "总体满意度" in chinese.output and "金卡" in chinese.output and "overall =" not in chinese.output
    english = CliRunner().invoke(main, ["cases", "list"])
    assert "Overall satisfaction" in english.output and "+00:00" not in english.output


# ---------------------------------------------------------------- the cases page


def test_the_case_list_and_view_speak_the_users_language(world):
    with database.session() as db:
        respond(
            db,
            *customer(db, "C1", "gold"),
            overall=1,
            resolved=0,
            what_wrong=["billing", "fault_repair"],
            comment=LONG_COMMENT,
        )
    run_rules()
    at = signed_in("ag", "pages/cases.py")
    reason = at.dataframe[0].value.iloc[0]["触发原因"]
    assert "总体满意度" in reason and "金卡" in reason and "overall" not in reason
    assert "杭州装维1班" in at.dataframe[0].value.iloc[0]["团队"]
    answers = dict(zip(at.dataframe[1].value["问题"], at.dataframe[1].value["回答"]))
    assert answers["您的问题是否已经彻底解决？"] == "否"
    assert answers["很抱歉让您不满意。主要是哪些方面的问题？"] == "计费/账单；故障修复"
    assert answers["您对本次装维服务的总体满意度如何？"] == "1 / 5（非常不满意）"
    assert any(t.value == LONG_COMMENT for t in at.text), "the whole comment, not a cut-off cell"
    assert not any("Billing" in str(v) for v in answers.values())
    history = at.dataframe[-1].value
    assert "状态" in history["变更项"].tolist() and "待处理" in history["新值"].tolist()
    assert not any("overall =" in n or '"kind"' in n for n in history["备注"].tolist())

    english = signed_in("ag", "pages/cases.py", language="en")
    assert "Overall satisfaction" in english.dataframe[0].value.iloc[0]["Reason"]
    answers = dict(zip(english.dataframe[1].value["Question"], english.dataframe[1].value["Answer"]))
    assert answers["Is your problem fully solved?"] == "No"


def test_an_old_plain_text_reason_still_shows_on_the_page(world):
    with database.session() as db:
        person, _event = customer(db, "C1", "gold")
        db.add(
            FollowUpCase(
                customer_id=person.id,
                rule_code="vip-low-overall",
                reason="overall = 1 ≤ 2 (gold)",
                due_at=utcnow(),
                team="Hangzhou Crew 1",
            )
        )
    at = signed_in("qa", "pages/cases.py")
    assert not at.exception
    assert at.dataframe[0].value.iloc[0]["触发原因"] == "overall = 1 ≤ 2 (gold)"


def test_the_chosen_case_stays_chosen_and_shows_its_new_status(world):
    with database.session() as db:
        respond(db, *customer(db, "C1", "gold"), overall=1)
        respond(db, *customer(db, "C2", "gold"), overall=2)
    run_rules()
    at = signed_in("qa", "pages/cases.py")
    second = at.selectbox(key="cases_pick").options[1]
    case_id = int(second.split()[0].lstrip("#"))
    at.selectbox(key="cases_pick").select(case_id).run()
    at.button(key="cases_contacted").click().run()
    assert not at.exception and at.success
    pick = at.selectbox(key="cases_pick")
    assert pick.value == case_id
    shown = next(option for option in pick.options if option.startswith(f"#{case_id} "))
    assert "已联系" in shown and "待处理" not in shown
    # The browser keeps showing the label it last chose ("… 待处理 …") unless the page sends the
    # new one; then the next click would not match any option and jump to another case.
    assert pick.proto.set_value and pick.proto.raw_value == shown
    assert at.subheader[0].value == f"工单 #{case_id}（已联系）"


def test_the_case_report_lists_overdue_cases_and_categories_in_words(world):
    from datetime import timedelta

    with database.session() as db:
        respond(db, *customer(db, "LATE", "standard"), comment="账单多扣钱")
    run_rules(now=utcnow() - timedelta(hours=80))  # due after 72 h: overdue now
    at = signed_in("qa", "pages/case_reports.py")
    assert not at.exception
    overdue = next(f.value for f in at.dataframe if "触发原因" in f.value.columns)
    assert overdue.iloc[0]["触发原因"].startswith("评论提到计费") and overdue.iloc[0]["团队"] == "杭州装维1班"
    assert overdue.iloc[0]["问题类别"] == "计费"
    by_category = next(f.value for f in at.dataframe if list(f.value.columns) == ["问题类别", "工单数"])
    assert by_category.to_dict("records") == [{"问题类别": "计费", "工单数": 1}]


# ---------------------------------------------------------------- routing follows the complaint


def test_a_billing_complaint_goes_to_the_billing_team_not_the_repair_crew(world):
    with database.session() as db:
        staff(db, "bill", "agent", team="Billing Desk")
        save_routes(db, [RouteSpec("Billing Desk", categories=("billing",))], actor=user(db, "qa"))
        respond(db, *customer(db, "B1", "gold"), overall=1, what_wrong=["billing"])
        respond(db, *customer(db, "B2", "standard"), comment="这个月话费多扣了五十元")
        respond(db, *customer(db, "R1", "gold"), overall=1, fault_repair=1, what_wrong=["fault_repair"])
    run_rules()
    with database.session() as db:
        by_customer = {c.customer_id: c for c in db.exec(select(FollowUpCase))}
        bill = user(db, "bill").id
    teams = sorted((c.category, c.team, c.assignee_id == bill) for c in by_customer.values())
    assert teams == [
        ("billing", "Billing Desk", True),
        ("billing", "Billing Desk", True),
        ("fault_repair", "Hangzhou Crew 1", False),
    ]


def test_the_lowest_scored_dimension_names_the_category_when_nothing_else_does(world):
    with database.session() as db:
        respond(db, *customer(db, "S1", "gold"), overall=2, staff_attitude=1, fault_repair=4, what_wrong=["other"])
    run_rules()
    assert only_case().category == "staff_attitude"


def test_quality_staff_route_a_category_to_a_team_on_the_settings_page(world):
    with database.session() as db:
        customer(db, "C1", region="Hangzhou")  # the regions to choose from are the operator's own
    at = signed_in("qa", "pages/case_settings.py")
    at.text_input(key="case_route_team").input("Billing Desk")  # no route yet: the form makes a new one
    at.multiselect(key="case_route_categories").select("billing")
    at.multiselect(key="case_route_regions").select("Hangzhou")
    at.button(key="case_route_save").click().run()
    assert not at.exception and [s.value for s in at.success] == ["分派规则已保存。"]
    with database.session() as db:
        from survey.cases.settings import routes

        assert routes(db) == [RouteSpec("Billing Desk", ("Hangzhou",), (), (), ("billing",))]
    shown = at.dataframe[1].value.iloc[0].to_dict()
    assert shown == {
        "顺序": 1,
        "团队": "Billing Desk",
        "问题类别": "计费",
        "地区": "杭州",
        "触点": "全部",
        "客户等级": "全部",
    }


# ---------------------------------------------------------------- words for names


def test_team_names_read_in_the_users_language():
    assert team_label("Hangzhou Crew 1", "zh-CN") == "杭州装维1班"
    assert team_label("Ningbo Hall 2", "zh-CN") == "宁波营业厅2"
    assert team_label("Hotline 10000 Team 3", "zh-CN") == "10000号热线3组"
    assert team_label("Hangzhou Crew 1", "en") == "Hangzhou Crew 1"
    assert team_label("Billing Desk", "zh-CN") == "Billing Desk"
    assert team_label(None, "zh-CN") == ""


# ---------------------------------------------------------------- the phone revisit


def test_the_agent_sees_what_the_ends_of_each_scale_mean(db_url):
    from survey.accounts import auth
    from tests.test_phone import phone_invitation

    with database.session() as db:
        auth.create_user(db, "li", "agent", "li-password", display_name="Li")
        invitation_id = phone_invitation(db, "C1")
    at = apptest_support.signed_in("li", "li-password", "pages/phone.py")
    overall = at.radio(key=f"phone_{invitation_id}__overall")
    assert overall.options[0] == "1 · 非常不满意" and overall.options[-1] == "5 · 非常满意"
    assert overall.options[2] == "3"
    nps = at.radio(key=f"phone_{invitation_id}__nps")
    assert nps.options[0] == "0 · 完全不可能" and nps.options[-1] == "10 · 非常可能"
    overall.set_value(1).run()  # the values saved are still the numbers
    assert at.radio(key=f"phone_{invitation_id}__overall").value == 1


# ---------------------------------------------------------------- conditions on the design page


def test_a_questions_condition_reads_in_words_on_the_design_page(db_url):
    from survey.accounts import auth
    from tests.test_design_page import create_from_template

    with database.session() as db:
        auth.create_user(db, "qa", "quality", "quality-password")
    at = create_from_template(
        apptest_support.signed_in("qa", "quality-password", "pages/design.py"), "repair-revisit", "repair-words"
    )
    questions = next(f.value for f in at.dataframe if "显示条件" in f.value.columns)
    conditions = dict(zip(questions["题目代码"], questions["显示条件"]))
    assert conditions["what_wrong"] == "总体满意度 ≤ 2"
    assert conditions["overall"] == ""
