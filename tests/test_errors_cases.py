"""A refused change to a case reaches the staff member in their language; the CLI's English stays."""

from __future__ import annotations

import pytest

from survey.cases import service as cases
from survey.core import db as database
from tests.cases_support import staff


def test_a_refusal_about_a_case_reads_in_chinese_and_stays_english_for_the_cli(db_url):
    with database.session() as db:
        crew = staff(db, "crew", "agent", team="Hangzhou Crew 1").id
    with pytest.raises(cases.CaseError) as refused:
        cases.add_note(crew, 404, "called back")
    assert refused.value.text("zh-CN") == "找不到工单 #404"
    assert str(refused.value) == "no case 404"
