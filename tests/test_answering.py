"""The rules of answering (survey.collect.answering) and page flow (survey.collect.visit.advance): the same
rules for the link page, the public link and the phone revisits."""

from datetime import date

import pytest

from survey.collect.answering import Problem, answer_rows, condition_holds, evaluate, fields_of, pipe, pipe_values
from survey.collect.visit import advance, visible_pages
from survey.design.definitions import question_row
from survey.design.templates import template


def questions(*definitions: dict):
    return [question_row(0, i, q) for i, q in enumerate(definitions, start=1)]


def text(zh="题", en="Q"):
    return {"zh-CN": zh, "en": en}


OVERALL = {"code": "overall", "type": "rating", "scale": [1, 5], "text": text()}
NPS = {"code": "nps", "type": "nps", "text": text()}
CHANNEL = {
    "code": "channel",
    "type": "single",
    "text": text(),
    "options": [{"value": "hall", **text()}, {"value": "app", **text()}],
}
WRONG = {
    "code": "wrong",
    "type": "multi",
    "text": text(),
    "options": [{"value": "billing", **text()}, {"value": "network", **text()}, {"value": "other", **text()}],
}
MATRIX = {
    "code": "aspects",
    "type": "matrix",
    "scale": [1, 5],
    "text": text(),
    "items": [{"code": "speed", **text()}, {"code": "attitude", **text()}],
}
COMMENT = {"code": "comment", "type": "text", "required": False, "max_length": 10, "text": text()}
RESOLVED = {"code": "resolved", "type": "yes_no", "text": text()}


def problems_of(qs, fields):
    return {code: p.key for code, p in evaluate(qs, fields).problems.items()}


# ---------------------------------------------------------------- checking answers


def test_required_questions_must_be_answered_and_optional_ones_may_be_blank():
    qs = questions(OVERALL, COMMENT)
    assert problems_of(qs, {}) == {"overall": "answer.required"}
    assert problems_of(qs, {"overall": ["4"], "comment": ["  "]}) == {}
    assert evaluate(qs, {"overall": ["4"]}).values == {"overall": 4}


@pytest.mark.parametrize("posted", ["0", "6", "4.5", "abc", "-1", "1e2"])
def test_a_rating_outside_its_scale_is_refused_with_the_range(posted):
    result = evaluate(questions(OVERALL), {"overall": [posted]})
    assert result.problems["overall"] == Problem("answer.out_of_range", {"low": 1, "high": 5})
    assert "overall" not in result.values


def test_nps_takes_zero_to_ten_and_yes_no_zero_or_one():
    qs = questions(NPS, RESOLVED)
    assert evaluate(qs, {"nps": ["0"], "resolved": ["1"]}).values == {"nps": 0, "resolved": 1}
    assert problems_of(qs, {"nps": ["11"], "resolved": ["2"]}) == {
        "nps": "answer.out_of_range",
        "resolved": "answer.out_of_range",
    }


def test_choices_must_be_among_the_options():
    qs = questions(CHANNEL, WRONG)
    assert problems_of(qs, {"channel": ["shop"], "wrong": ["billing"]}) == {"channel": "answer.not_an_option"}
    assert problems_of(qs, {"channel": ["hall"], "wrong": ["billing", "<script>"]}) == {"wrong": "answer.not_an_option"}
    assert problems_of(qs, {"channel": ["hall", "app"], "wrong": ["billing"]}) == {"channel": "answer.one_only"}


def test_a_multiple_choice_keeps_each_option_once_in_order():
    result = evaluate(questions(WRONG), {"wrong": ["network", "billing", "network"]})
    assert result.values == {"wrong": ["network", "billing"]}


def test_a_matrix_needs_every_item_when_required_and_checks_each_scale():
    qs = questions(MATRIX)
    assert problems_of(qs, {"aspects.speed": ["4"]}) == {"aspects": "answer.required_items"}
    assert problems_of(qs, {"aspects.speed": ["4"], "aspects.attitude": ["9"]}) == {"aspects": "answer.out_of_range"}
    assert evaluate(qs, {"aspects.speed": ["4"], "aspects.attitude": ["2"]}).values == {
        "aspects": {"speed": 4, "attitude": 2}
    }


def test_text_is_limited_in_characters_and_cleaned_of_what_a_database_cannot_store():
    qs = questions(COMMENT)
    assert evaluate(qs, {"comment": ["  十个字以内\r\n好\x00  "]}).values == {"comment": "十个字以内\n好"}
    result = evaluate(qs, {"comment": ["这句话已经超过了十个字的限制"]})
    assert result.problems["comment"] == Problem("answer.too_long", {"limit": 10, "length": 14})


def test_problems_read_well_in_both_languages():
    problem = Problem("answer.out_of_range", {"low": 0, "high": 10})
    assert problem.text("en") == "Please choose a value from 0 to 10."
    assert problem.text("zh-CN") == "请选择 0 到 10 之间的分值。"


# ---------------------------------------------------------------- display conditions


def test_what_went_wrong_shows_only_after_a_low_overall_score():
    qs = questions(*template("repair-revisit")["questions"])
    low = evaluate(qs, {"overall": ["2"]})
    high = evaluate(qs, {"overall": ["4"]})
    assert "what_wrong" in [q.code for q in low.visible] and low.problems["what_wrong"].key == "answer.required"
    assert "what_wrong" not in [q.code for q in high.visible] and "what_wrong" not in high.problems


def test_answers_to_hidden_questions_are_dropped():
    qs = questions(*template("repair-revisit")["questions"])
    result = evaluate(qs, {"overall": ["5"], "what_wrong": ["billing"]})
    assert "what_wrong" not in result.values


@pytest.mark.parametrize(
    "condition, answer, shown",
    [
        ({"op": "<=", "value": 2}, 2, True),
        ({"op": "<", "value": 2}, 2, False),
        ({"op": ">=", "value": 4}, 5, True),
        ({"op": ">", "value": 4}, 4, False),
        ({"op": "==", "value": 3}, 3, True),
        ({"op": "!=", "value": 3}, 3, False),
        ({"op": "in", "value": [1, 2]}, 2, True),
        ({"op": "not_in", "value": [1, 2]}, 2, False),
    ],
)
def test_numeric_conditions(condition, answer, shown):
    assert condition_holds({"question": "overall", **condition}, {"overall": answer}) is shown


def test_choice_conditions_and_multiple_choice_means_any_chosen():
    assert condition_holds({"question": "channel", "op": "==", "value": "app"}, {"channel": "app"})
    assert not condition_holds({"question": "channel", "op": "in", "value": ["hall"]}, {"channel": "app"})
    assert condition_holds({"question": "wrong", "op": "in", "value": ["billing"]}, {"wrong": ["network", "billing"]})
    assert not condition_holds({"question": "wrong", "op": "not_in", "value": ["billing"]}, {"wrong": ["billing"]})
    assert condition_holds({"question": "wrong", "op": "!=", "value": "billing"}, {"wrong": ["network"]})


def test_a_question_whose_source_is_unanswered_or_hidden_stays_hidden():
    follow = {
        "code": "why",
        "type": "text",
        "text": text(),
        "condition": {"question": "overall", "op": "<=", "value": 2},
    }
    deeper = {
        "code": "detail",
        "type": "rating",
        "text": text(),
        "condition": {"question": "why_score", "op": ">=", "value": 1},
    }
    why_score = {
        "code": "why_score",
        "type": "rating",
        "text": text(),
        "condition": {"question": "overall", "op": "<=", "value": 2},
    }
    qs = questions(OVERALL, follow, why_score, deeper)
    assert [q.code for q in evaluate(qs, {}).visible] == ["overall"]
    assert [q.code for q in evaluate(qs, {"overall": ["5"], "why_score": ["3"]}).visible] == ["overall"]


# ---------------------------------------------------------------- piping


def test_piping_fills_name_date_and_touch_point_in_each_language():
    values = pipe_values("zh-CN", name="王芳", event_day=date(2026, 3, 4), touch_point="business_hall")
    assert pipe("{name}您好，感谢您{event_date}光临{touch_point}", values) == "王芳您好，感谢您2026年3月4日光临营业厅"
    english = pipe_values("en", name="Mary Smith", event_day=date(2026, 3, 4), touch_point="business_hall")
    assert pipe("Hello {name}, thanks for visiting our {touch_point} on {event_date}.", english) == (
        "Hello Mary Smith, thanks for visiting our business hall on 4 March 2026."
    )


def test_piping_uses_polite_stand_ins_when_a_fact_is_unknown():
    values = pipe_values("zh-CN", name=None, event_day=None, touch_point=None)
    assert pipe("{name}您好，{event_date}", values) == "尊敬的客户您好，近日"
    assert pipe_values("en", name="  ", event_day=None, touch_point=None)["name"] == "valued customer"


def test_piping_never_formats_attributes_or_unknown_fields():
    values = pipe_values("en", name="Li", event_day=None, touch_point=None)
    assert pipe("{name.__class__} {secret} {name}", values) == "{name.__class__} {secret} Li"


# ---------------------------------------------------------------- storage shape


def test_answers_take_the_answer_tables_shape():
    qs = questions(OVERALL, WRONG, MATRIX, COMMENT)
    values = evaluate(
        qs,
        {
            "overall": ["4"],
            "wrong": ["billing", "other"],
            "aspects.speed": ["5"],
            "aspects.attitude": ["3"],
            "comment": ["ok"],
        },
    ).values
    rows = {(a.question_code, a.item_code, a.value_num, a.value_text) for a in answer_rows(7, values)}
    assert rows == {
        ("overall", None, 4.0, None),
        ("wrong", None, None, "billing"),
        ("wrong", None, None, "other"),
        ("aspects", "speed", 5.0, None),
        ("aspects", "attitude", 3.0, None),
        ("comment", None, None, "ok"),
    }
    assert all(a.response_id == 7 for a in answer_rows(7, values))
    assert evaluate(qs, fields_of(values)).values == values


# ---------------------------------------------------------------- pages

VIP = template("vip-quarterly")["questions"]
PAGE_ONE = {
    code: ["4"] for code in ("network_quality", "billing", "business_handling", "fault_repair", "staff_attitude")
}


def test_a_page_with_problems_stays_and_keeps_what_was_typed():
    step = advance(questions(*VIP), 1, {}, {"network_quality": ["4"], "billing": ["9"]})
    assert step.page == 1 and set(step.problems) == {"billing", "business_handling", "fault_repair", "staff_attitude"}
    assert step.fields["billing"] == ["9"] and step.values == {}


def test_a_right_page_moves_on_and_the_last_one_finishes_with_every_answer():
    qs = questions(*VIP)
    first = advance(qs, 1, {}, PAGE_ONE)
    assert first.page == 2 and first.problems == {}
    done = advance(qs, 2, first.fields, {"overall": ["5"], "nps": ["9"]})
    assert done.page is None and done.values["billing"] == 4 and done.values["nps"] == 9


def test_going_back_keeps_the_page_unchecked():
    qs = questions(*VIP)
    first = advance(qs, 1, {}, PAGE_ONE)
    back = advance(qs, 2, first.fields, {"overall": ["1"], "comment": ["x" * 600]}, back=True)
    assert back.page == 1 and back.problems == {} and back.fields["comment"] == ["x" * 600]


def test_the_last_page_rechecks_earlier_pages():
    qs = questions(*VIP)
    stale = {**PAGE_ONE, "billing": ["7"]}  # e.g. kept from before a new version changed the scale
    step = advance(qs, 2, stale, {"overall": ["5"], "nps": ["9"]})
    assert step.page == 1 and set(step.problems) == {"billing"}


def test_pages_whose_questions_are_all_hidden_are_skipped():
    follow = {
        "code": "why",
        "type": "text",
        "page": 2,
        "text": text(),
        "condition": {"question": "overall", "op": "<=", "value": 2},
    }
    last = {"code": "nps", "type": "nps", "page": 3, "text": text()}
    qs = questions(OVERALL, follow, last)
    assert visible_pages(qs, {"overall": ["5"]}) == [1, 3]
    assert advance(qs, 1, {}, {"overall": ["5"]}).page == 3
    assert advance(qs, 1, {}, {"overall": ["1"]}).page == 2
