"""The distribution pages' service layer: what the campaigns and rules pages rely on, in plain
values that stay valid after the session closed."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from survey.accounts import auth
from survey.core import db as database
from survey.core.errors import SurveyError
from survey.distribution import service
from survey.distribution.audience import Audience
from survey.distribution.sampling import SamplingPlan
from survey.distribution.triggers import RuleSpec
from survey.models import Delivery, DeliveryStatus
from tests.distribution_support import SmsGatewayServer, add_customers, configure_channels, published_survey

SURVEY = "repair-revisit"


@pytest.fixture
def staff(db_url, monkeypatch) -> int:
    """A quality staff member, a published survey and 12 customers with a repair closed lately;
    SMS is configured (tests that send point it at a gateway)."""
    monkeypatch.setenv("SURVEY_SMS_URL", "http://127.0.0.1:9/send")
    with database.session() as db:
        published_survey(db, SURVEY)
        add_customers(db, 4, tier="gold", prefix="G")
        add_customers(db, 8, tier="standard", prefix="S")
        return auth.create_user(db, "qa", "quality", "quality-pass").id


def launch(actor_id: int, channel: str = "sms", **audience) -> service.Launched:
    return service.launch_campaign(actor_id, SURVEY, Audience(**audience), SamplingPlan(), channel, name="Spring")


def test_the_new_campaign_form_sees_surveys_filters_audience_and_a_plan(staff):
    assert [s.code for s in service.launchable_surveys()] == [SURVEY]
    assert service.launchable_surveys()[0].names["zh-CN"]
    assert service.audience_options()["regions"] == ["Hangzhou"]
    assert service.audience_size(Audience(survey_code=SURVEY, tiers=("gold",))) == 4
    assert service.historic_rate(Audience(survey_code=SURVEY)).rate is None  # no past invitations yet
    csat = service.plan_sample(SURVEY, "csat", 3.0, 0.3, 12)
    nps = service.plan_sample(SURVEY, "nps", 5.0, 0.3, 12)
    assert (csat.metric, nps.metric) == ("csat", "nps")
    assert csat.invitations_per_group > 12 and not csat.audience_is_enough


def test_a_launched_campaign_shows_its_queue_and_funnel_until_it_is_sent(staff, monkeypatch):
    launched = launch(staff)
    assert (launched.invitations, launched.audience) == (12, 12)
    [listed] = service.recent_campaigns()
    assert (listed.id, listed.name, listed.channel) == (launched.campaign_id, "Spring", "sms")
    status = service.send_status(launched.campaign_id)
    assert (status.total, status.waiting, status.done, status.sendable) == (12, 12, 0, True)
    assert service.campaign_figures(launched.campaign_id).funnel["invited"] == 12
    with SmsGatewayServer() as gateway:
        configure_channels(monkeypatch, sms=gateway)
        report = service.send_campaign(staff, launched.campaign_id, max_seconds=30)
    assert report.sent == 12 == len(gateway.delivered)
    status = service.send_status(launched.campaign_id)
    assert (status.done, status.waiting, status.sendable) == (12, 0, False)
    assert service.campaign_figures(launched.campaign_id).funnel["sent"] == 12


def test_a_refused_launch_says_why_and_writes_nothing(staff):
    with pytest.raises(SurveyError, match="audience is empty"):
        launch(staff, regions=("Nowhere",))
    assert service.recent_campaigns() == []


def test_staff_decide_a_message_whose_send_was_interrupted(staff):
    campaign_id = launch(staff).campaign_id
    with database.session() as db:
        delivery_id = db.exec(sa.select(sa.func.min(Delivery.id))).scalar_one()
        db.exec(
            sa.update(Delivery)
            .where(Delivery.id == delivery_id)
            .values(status=DeliveryStatus.UNCERTAIN, last_error="the sender stopped mid-send")
        )
    [waiting] = service.send_status(campaign_id).uncertain
    assert (waiting.delivery_id, waiting.last_error) == (delivery_id, "the sender stopped mid-send")
    service.decide_uncertain_message(staff, delivery_id, delivered=False)
    status = service.send_status(campaign_id)
    assert status.uncertain == [] and status.waiting == 12
    with pytest.raises(SurveyError, match="not waiting for a decision"):
        service.decide_uncertain_message(staff, delivery_id, delivered=True)


def test_an_export_campaign_hands_over_its_invitations_once(staff):
    campaign_id = launch(staff, channel="export", tiers=("gold",)).campaign_id
    first = service.export_campaign_file(staff, campaign_id)
    assert (first.rows, first.handed_over) == (4, 4) and "客户" in first.text
    assert service.export_campaign_file(staff, campaign_id).rows == 0
    assert service.export_campaign_file(staff, campaign_id, everything=True).rows == 4
    with pytest.raises(SurveyError, match="only export campaigns export"):
        service.export_campaign_file(staff, launch(staff, tiers=("standard",)).campaign_id)


def test_a_saved_revisit_rule_comes_back_in_its_editable_form(staff):
    spec = RuleSpec(
        code="repair-next-day",
        name="报修次日回访",
        survey_code=SURVEY,
        event_kinds=("repair",),
        rates={"gold": 1.0, "standard": 0.3},
    )
    saved = service.save_revisit_rule(staff, spec)
    assert (saved.code, saved.rates, saved.expires_days) == ("repair-next-day", {"gold": 1.0, "standard": 0.3}, 7)
    assert service.revisit_rules() == [saved]
    with pytest.raises(SurveyError, match="at least one event kind"):
        service.save_revisit_rule(
            staff, RuleSpec(code="empty", name="x", survey_code=SURVEY, event_kinds=(), rates={"gold": 1.0})
        )
    assert [rule.code for rule in service.revisit_rules()] == ["repair-next-day"]
