"""Collection refusals (public links, phone revisits) reach staff in Chinese; the CLI keeps its English."""

import pytest

from survey.collect import phone, public_links
from survey.collect.phone import CallError
from survey.core import db as database
from survey.core.errors import Refused
from survey.design.definitions import create_survey
from survey.design.templates import template


def test_a_taken_link_name_is_refused_in_chinese(db_url):
    with database.session() as db:
        survey = create_survey(db, template("hall-visit"), publish=True)
        public_links.create_public_link(db, survey, "ningbo-hall-2")
        with pytest.raises(Refused) as refused:
            public_links.create_public_link(db, survey, "ningbo-hall-2")
    assert refused.value.text("zh-CN") == "链接名称“ningbo-hall-2”已被使用，请换一个。"
    assert str(refused.value) == "the link name 'ningbo-hall-2' is taken; choose another"


def test_an_outcome_that_needs_answers_is_refused_in_chinese(db_url):
    with database.session() as db, pytest.raises(CallError) as refused:
        phone.record_attempt(db, 1, 1, "answered")
    assert refused.value.text("zh-CN") == "“answered”不是可以在没有回答时记录的通话结果。"
    assert str(refused.value) == "'answered' is not an outcome to record without answers"
