"""The sample files in data/samples/ import as the README shows: `survey import customers
data/samples/customers.csv`, then the events, from the project folder."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlmodel import select

from survey.cli import main
from survey.core import db as database
from survey.models import Customer, ServiceEvent
from tests.support import PROJECT_ROOT

SAMPLES = PROJECT_ROOT / "data" / "samples"


def survey_command(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_the_samples_are_what_an_operator_exports_gbk_with_chinese_headers():
    for name in ("customers.csv", "service_events.csv"):
        data = (SAMPLES / name).read_bytes()
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
        assert data.decode("gbk").splitlines()[0].startswith(("客户编号,", "工单号,"))


def test_the_readme_import_example_imports_every_sample_row(db_url, monkeypatch):
    monkeypatch.chdir(PROJECT_ROOT)
    customers = survey_command("import", "customers", "data/samples/customers.csv")
    assert customers.exit_code == 0, customers.output
    assert "imported customers: 20 new, 0 updated, 0 rejected (encoding gbk)" in customers.output
    events = survey_command("import", "events", "data/samples/service_events.csv")
    assert events.exit_code == 0, events.output
    assert "imported events: 22 new, 0 updated, 0 rejected (encoding gbk)" in events.output

    with database.session() as db:
        people = {c.external_id: c for c in db.exec(select(Customer))}
        tickets = {e.external_ticket_id: e for e in db.exec(select(ServiceEvent))}
    assert len(people) == 20 and len(tickets) == 22
    assert people["ZJ0571000102"].phone == "13357110102", "+86 133 5711 0102, normalised"
    assert (people["ZJ0571000101"].tier, people["ZJ0571000104"].segment) == ("diamond", "business")
    assert people["ZJ0574000203"].language == "en" and people["ZJ0574000203"].name == "David Wilson"
    complaint = tickets["GD202611060007"]
    assert (complaint.kind, complaint.touch_point, complaint.category) == ("complaint", "hotline", "billing")
    assert complaint.customer_id == people["ZJ0574000202"].id and complaint.team == "10000号热线二组"
    assert tickets["GD202611030001"].touch_point == "field_crew", "a repair without a channel is a field visit"
    assert tickets["GD202611140022"].closed_at is None

    again = survey_command("import", "events", "data/samples/service_events.csv")
    assert "0 new, 22 updated" in again.output, "importing again updates the same tickets"
