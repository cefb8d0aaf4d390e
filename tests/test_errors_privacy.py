"""Erasing a customer who is not there is refused in the admin's language; the CLI's English stays."""

from __future__ import annotations

import pytest

from survey.core import db as database
from survey.core.errors import Refused
from survey.privacy import service as privacy
from tests.cases_support import staff


def test_erasing_an_unknown_customer_reads_in_chinese_and_stays_english_for_the_cli(db_url):
    with database.session() as db:
        admin = staff(db, "root", "admin").id
    with pytest.raises(Refused) as refused:
        privacy.erase_customer(admin, "C404")
    assert refused.value.text("zh-CN") == "找不到外部编号为“C404”的客户"
    assert str(refused.value) == "no customer with external id 'C404'"
