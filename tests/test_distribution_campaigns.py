"""Campaigns: audiences, fatigue, sampling, invitations, export, funnel, planner, SMS length."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlmodel import select
from statsmodels.stats.proportion import proportion_confint

from stats import power
from survey.cli import main
from survey.core import db as database
from survey.core.links import personal_link
from survey.distribution import audience as audiences
from survey.distribution import planner
from survey.distribution.audience import Audience
from survey.distribution.campaigns import create_campaign
from survey.distribution.funnel import funnel, nonresponse, response_rates
from survey.distribution.messages import TemplateError, check_messages, default_messages, sms_length
from survey.distribution.operator_csv import export_campaign
from survey.distribution.sampling import SamplingPlan, draw, proportional_allocation
from survey.models import Customer, Delivery, Invitation, ServiceEvent, utcnow
from tests.distribution_support import add_customers, published_survey


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def invitations_of(campaign_id: int) -> list[Invitation]:
    with database.session() as db:
        return list(db.exec(select(Invitation).where(Invitation.campaign_id == campaign_id).order_by(Invitation.id)))


@pytest.fixture
def world(db_url, monkeypatch):
    """60 customers in two regions and three tiers, each with a repair closed two days ago; SMS
    and email are configured (nothing is sent here: no test runs the queue)."""
    monkeypatch.setenv("SURVEY_SMS_URL", "http://127.0.0.1:9/send")
    monkeypatch.setenv("SURVEY_SMTP_URL", "smtp://127.0.0.1:9")
    monkeypatch.setenv("SURVEY_SMTP_FROM", "survey@example.cn")
    with database.session() as db:
        published_survey(db)
        add_customers(db, 10, tier="gold", prefix="G")
        add_customers(db, 20, tier="standard", prefix="S")
        add_customers(db, 10, tier="gold", prefix="N", region="Ningbo")
        add_customers(db, 20, tier="silver", prefix="M", region="Ningbo", event_kind="install")
    return db_url


def count(audience: Audience) -> int:
    with database.session() as db:
        return audiences.count(db, audience)


def test_audience_filters_by_event_kind_tier_region_window_team_and_touch_point(world):
    assert count(Audience()) == 60
    assert count(Audience(event_kinds=("repair",))) == 40
    assert count(Audience(tiers=("gold",))) == 20
    assert count(Audience(tiers=("gold",), regions=("Ningbo",))) == 10
    today = utcnow().astimezone(audiences.settings().timezone).date()
    assert count(Audience(closed_since=today - timedelta(days=3))) == 60
    assert count(Audience(closed_since=today)) == 0
    assert count(Audience(closed_until=today - timedelta(days=3))) == 0
    assert count(Audience(teams=("Ningbo Crew 1",))) == 30
    assert count(Audience(touch_points=("business_hall",))) == 0
    assert count(Audience(segments=("business",))) == 0


def test_opted_out_erased_and_unreachable_customers_are_never_in_the_audience(world):
    with database.session() as db:
        for external_id, change in (("G00000", "opted_out"), ("G00001", "erased_at"), ("G00002", "email")):
            customer = db.exec(select(Customer).where(Customer.external_id == external_id)).one()
            setattr(customer, change, {"opted_out": True, "erased_at": utcnow(), "email": None}[change])
            db.add(customer)
    assert count(Audience()) == 58
    assert count(Audience(channel="email")) == 57
    assert count(Audience(channel="sms")) == 58


def test_one_invitation_per_customer_about_their_newest_qualifying_event(world):
    with database.session() as db:
        customer = db.exec(select(Customer).where(Customer.external_id == "G00003")).one()
        newest = ServiceEvent(
            customer_id=customer.id,
            external_ticket_id="T-newest",
            kind="repair",
            touch_point="field_crew",
            region="Hangzhou",
            occurred_at=utcnow() - timedelta(hours=5),
            closed_at=utcnow() - timedelta(hours=4),
        )
        db.add(newest)
        db.flush()
        created = create_campaign(db, "repair-revisit", Audience(event_kinds=("repair",)), SamplingPlan(), "sms")
    assert created.invitations == 40
    mine = [i for i in invitations_of(created.campaign.id) if i.customer_id == customer.id]
    assert len(mine) == 1 and mine[0].event_id == newest.id


def test_contact_fatigue_global_and_per_survey(world):
    with database.session() as db:
        create_campaign(db, "repair-revisit", Audience(tiers=("gold",)), SamplingPlan(), "sms")
        published_survey(db, "vip-quarterly")
    assert count(Audience(fatigue_days=30)) == 40
    assert count(Audience(survey_code="repair-revisit", survey_fatigue_days=90)) == 40
    assert count(Audience(survey_code="vip-quarterly", survey_fatigue_days=90)) == 60
    later = utcnow() + timedelta(days=31)
    with database.session() as db:
        assert audiences.count(db, Audience(fatigue_days=30), now=later) == 60


def test_invitations_carry_a_personal_token_expiry_language_channel_and_stratum(world):
    start = utcnow()
    with database.session() as db:
        created = create_campaign(
            db,
            "repair-revisit",
            Audience(),
            SamplingPlan("stratified", strata=("tier",)),
            "email",
            expires_days=7,
            now=start,
        )
    invited = invitations_of(created.campaign.id)
    assert created.invitations == len(invited) == 60
    assert len({i.token for i in invited}) == 60 and all(len(i.token) == 22 for i in invited)
    assert all(i.expires_at == start + timedelta(days=7) and i.channel == "email" for i in invited)
    assert all(i.language == "zh-CN" and i.status == "queued" for i in invited)
    assert Counter(i.stratum for i in invited) == {"gold": 20, "standard": 20, "silver": 20}
    with database.session() as db:
        keys = [d.idempotency_key for d in db.exec(select(Delivery))]
    assert len(keys) == len(set(keys)) == 60, "one queued message per invitation, each with its own key"


def test_phone_campaigns_wait_for_agents_and_queue_no_messages(world):
    with database.session() as db:
        created = create_campaign(db, "repair-revisit", Audience(tiers=("gold",)), SamplingPlan(), "phone")
        assert created.invitations == 20
        assert db.exec(select(Delivery)).first() is None


def test_a_simple_random_sample_has_exactly_n_and_is_reproducible_with_its_seed(world):
    with database.session() as db:
        pool = audiences.candidates(db, Audience())
    plan = SamplingPlan("random", n=17, seed=42)
    first, second = draw(pool, plan), draw(pool, plan)
    assert len(first) == 17 and first == second
    assert draw(pool, SamplingPlan("random", n=17, seed=43)) != first


def test_stratified_samples_allocate_in_proportion_or_fixed(world):
    with database.session() as db:
        pool = audiences.candidates(db, Audience())
    proportional = Counter(s for _, s in draw(pool, SamplingPlan("stratified", n=30, strata=("tier",), seed=1)))
    assert proportional == {"standard": 10, "silver": 10, "gold": 10}
    by_two = Counter(s for _, s in draw(pool, SamplingPlan("stratified", n=12, strata=("tier", "region"), seed=1)))
    assert by_two == {"gold|Hangzhou": 2, "standard|Hangzhou": 4, "gold|Ningbo": 2, "silver|Ningbo": 4}
    fixed = Counter(
        s
        for _, s in draw(
            pool, SamplingPlan("stratified", strata=("region",), allocation="fixed", per_stratum=25, seed=1)
        )
    )
    assert fixed == {"Hangzhou": 25, "Ningbo": 25}


def test_proportional_allocation_rounds_to_the_exact_total():
    allocation = proportional_allocation({"a": 1, "b": 1, "c": 1}, 2)
    assert sum(allocation.values()) == 2 and max(allocation.values()) == 1
    assert proportional_allocation({"a": 5, "b": 95}, 10) == {"a": 1, "b": 9}
    assert proportional_allocation({"a": 3, "b": 4}, 100) == {"a": 3, "b": 4}


def test_cli_campaign_create_prints_the_id_and_the_number_of_invitations(world):
    result = run(
        "campaign",
        "create",
        "--survey",
        "repair-revisit",
        "--tier",
        "gold,standard",
        "--region",
        "Hangzhou",
        "--event-kind",
        "repair",
        "--sample",
        "12",
        "--channel",
        "sms",
    )
    assert result.exit_code == 0, result.output
    campaign_id = int(result.output.split()[1].rstrip(":"))
    assert result.output.startswith(f"campaign {campaign_id}: 12 invitations")
    assert len(invitations_of(campaign_id)) == 12
    stratified = run(
        "campaign",
        "create",
        "--survey",
        "repair-revisit",
        "--stratify",
        "tier,region",
        "--channel",
        "export",
        "--fatigue-days",
        "0",
        "--survey-fatigue-days",
        "0",
    )
    assert "60 invitations" in stratified.output and "  silver|Ningbo: 20" in stratified.output
    tired = run(
        "campaign", "create", "--survey", "repair-revisit", "--channel", "sms", "--tier", "gold", "--region", "Hangzhou"
    )
    assert tired.exit_code != 0 and "audience is empty" in tired.output
    unknown = run("campaign", "create", "--survey", "nope", "--channel", "sms")
    assert unknown.exit_code != 0 and "no survey with code 'nope'" in unknown.output


def test_export_gives_phone_name_link_and_message_and_hands_the_invitations_over(world):
    with database.session() as db:
        campaign_id = create_campaign(
            db, "repair-revisit", Audience(tiers=("gold",)), SamplingPlan(), "export"
        ).campaign.id
    with database.session() as db:
        exported = export_campaign(db, campaign_id)
    rows = list(csv.DictReader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert exported.rows == exported.handed_over == len(rows) == 20
    tokens = {i.customer_id: i.token for i in invitations_of(campaign_id)}
    with database.session() as db:
        phones = {c.phone: c.id for c in db.exec(select(Customer))}
    for row in rows:
        link = personal_link(tokens[phones[row["phone"]]])
        assert row["link"] == link and link in row["message"] and row["name"] in row["message"]
    assert {i.status for i in invitations_of(campaign_id)} == {"sent"}
    with database.session() as db:
        assert export_campaign(db, campaign_id).rows == 0
        assert export_campaign(db, campaign_id, everything=True).rows == 20
    out = run("campaign", "export", str(campaign_id), "--all")
    assert out.exit_code == 0 and "phone,language,link,message" in out.output


def test_funnel_and_response_rates_with_wilson_intervals(world):
    with database.session() as db:
        campaign_id = create_campaign(
            db, "repair-revisit", Audience(), SamplingPlan("stratified", strata=("tier",)), "sms"
        ).campaign.id
    outcomes = {
        "gold": ["completed"] * 8 + ["sent"] * 10 + ["failed"] * 2,
        "standard": ["completed"] * 3 + ["opened"] * 5 + ["expired"] * 11 + ["opted_out"],
        "silver": ["queued"] * 20,
    }
    with database.session() as db:
        for stratum, statuses in outcomes.items():
            members = [i for i in invitations_of(campaign_id) if i.stratum == stratum]
            for invitation, status in zip(members, statuses):
                invitation.status = status
                if status != "queued":
                    invitation.sent_at = utcnow()
                if status in ("opened", "completed"):
                    invitation.opened_at = invitation.started_at = utcnow()
                db.add(invitation)
    with database.session() as db:
        counts = funnel(db, campaign_id)
        rates = {r.group["stratum"]: r for r in response_rates(db, ("stratum",), campaign_id=campaign_id)}
        frame = nonresponse(db, ("tier", "region"), campaign_id=campaign_id)
    assert counts == {
        "invited": 60,
        "sent": 40,
        "failed": 2,
        "opened": 16,
        "started": 16,
        "completed": 11,
        "expired": 11,
        "opted_out": 1,
        "queued": 20,
    }
    gold = rates["gold"]
    assert (gold.delivered, gold.completed) == (18, 8)
    low, high = proportion_confint(8, 18, method="wilson")
    assert gold.ci_low == pytest.approx(low) and gold.ci_high == pytest.approx(high)
    assert rates["silver"].rate is None, "nothing delivered yet: no rate"
    row = frame[(frame.tier == "standard") & (frame.region == "Hangzhou")].iloc[0]
    assert row.delivered == 20 and row.nonresponse_rate == pytest.approx(17 / 20)


def test_the_planner_uses_this_audiences_historic_response_rate(world):
    with database.session() as db:
        campaign_id = create_campaign(db, "repair-revisit", Audience(), SamplingPlan(), "sms").campaign.id
    with database.session() as db:
        for index, invitation in enumerate(invitations_of(campaign_id)):
            invitation.sent_at = utcnow()
            invitation.status = "completed" if index % 4 == 0 else "sent"
            db.add(invitation)
    with database.session() as db:
        historic = planner.historic_response_rate(db, Audience(survey_code="repair-revisit", channel="sms"))
        too_few = planner.historic_response_rate(db, Audience(survey_code="repair-revisit", tiers=("gold",)))
    assert historic.rate == pytest.approx(0.25) and historic.delivered == 60 and historic.scope == "survey"
    assert too_few.rate is None and too_few.delivered == 0, "20 past invitations are too few to trust"
    plan = planner.plan_csat(0.80, 3, historic.rate, audience=1000)
    assert plan.responses_per_group == power.n_proportions(0.80, 0.83)
    assert plan.invitations_per_group == power.invitations_needed(plan.responses_per_group, 0.25)
    assert not plan.audience_is_enough and plan.detectable_with_audience > 3
    nps = planner.plan_nps(0.45, 0.15, 5, 0.25, audience=100_000)
    assert nps.responses_per_group == power.n_nps(0.45, 0.15, 0.475, 0.125) and nps.audience_is_enough


@pytest.mark.parametrize(
    "text, encoding, units, segments",
    [
        ("Hello, your survey link: https://x.cn/s/abc", "GSM-7", 43, 1),
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("{" * 80, "GSM-7", 160, 1),
        ("您好" * 35, "UCS-2", 70, 1),
        ("您好" * 35 + "。", "UCS-2", 71, 2),
        ("好" * 134, "UCS-2", 134, 2),
        ("好" * 135, "UCS-2", 135, 3),
        ("", "GSM-7", 0, 0),
    ],
)
def test_sms_length_follows_gsm7_and_ucs2_rules(text, encoding, units, segments):
    length = sms_length(text)
    assert (length.encoding, length.units, length.segments) == (encoding, units, segments)


def test_templates_need_the_link_in_both_languages():
    messages = default_messages()
    check_messages(messages)
    messages["invitation"]["en"] = "Hello {name}, please answer."
    with pytest.raises(TemplateError, match=r"invitation \(en\): the message must contain \{link\}"):
        check_messages(messages)
    messages["invitation"]["en"] = "Hello {nmae} {link}"
    with pytest.raises(TemplateError, match=r"unknown field \{nmae\}"):
        check_messages(messages)
