"""Survey design refusals reach a Chinese-speaking designer in Chinese; the CLI keeps its English."""

import pytest

from survey.core import db as database
from survey.design import drafts
from survey.design.definitions import DefinitionError, FrozenVersionError, create_survey
from survey.design.templates import template


def test_a_broken_json_file_is_explained_in_chinese():
    with pytest.raises(DefinitionError) as refused:
        drafts.parse_json(b'{"code": ')
    assert refused.value.text("zh-CN") == "文件不是有效的 JSON（第 1 行第 10 列：Expecting value）。"
    assert str(refused.value) == "the file is not valid JSON: Expecting value at line 1, column 10"
    assert refused.value.problems_in("zh-CN") == [refused.value.text("zh-CN")]


def test_a_second_draft_is_refused_in_chinese_on_the_design_page(db_url):
    with database.session() as db:
        survey = create_survey(db, template("hall-visit"))
        with pytest.raises(DefinitionError) as refused:
            drafts.start_new_version(db, survey)
    code = template("hall-visit")["code"]
    assert refused.value.problems_in("zh-CN") == [f"问卷“{code}”已有草稿版本，请先编辑或发布该草稿。"]
    assert str(refused.value) == f"survey '{code}' already has a draft version; edit or publish it first"
    assert refused.value.problems == [str(refused.value)]


def test_an_edit_of_a_published_version_is_refused_in_chinese(db_url):
    with database.session() as db:
        survey = create_survey(db, template("hall-visit"), publish=True)
        with pytest.raises(FrozenVersionError) as refused:
            drafts.require_draft(drafts.live_version(db, survey))
    assert refused.value.text("zh-CN") == "版本 1 已不是草稿，不能修改；如需编辑问卷，请新建版本。"
    assert str(refused.value) == "version 1 is published and cannot change; start a new version to edit the survey"


def test_the_problems_a_check_found_are_listed_as_found():
    with pytest.raises(DefinitionError) as refused:
        drafts.parse_json(b'{"code": "X"}')
    assert refused.value.problems_in("zh-CN") == refused.value.problems
    assert str(refused.value) == "; ".join(refused.value.problems)
    assert refused.value.text("zh-CN") == "问卷定义有误：" + "; ".join(refused.value.problems)
