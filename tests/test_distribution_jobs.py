"""`survey jobs run`: event-triggered revisit rules, reminders, expiry, quotas; idempotent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlmodel import func, select

from survey import jobs
from survey.cli import main
from survey.core import db as database
from survey.distribution.audience import Audience
from survey.distribution.campaigns import create_campaign
from survey.distribution.sampling import SamplingPlan
from survey.distribution.triggers import RuleSpec, save_rule
from survey.models import Campaign, Customer, Delivery, Invitation, RuleDecision, TriggerRule, utcnow
from tests.distribution_support import (
    SmsGatewayServer,
    SmtpSink,
    add_customers,
    configure_channels,
    published_survey,
)

REPAIR_RULE = RuleSpec(
    code="repair-revisit",
    name="报修回访",
    survey_code="repair-revisit",
    event_kinds=("repair",),
    rates={"diamond": 1.0, "gold": 1.0, "silver": 1.0, "standard": 0.3},
    channel="sms",
    delay_hours=24,
)


def invitations_of(campaign_id: int) -> list[Invitation]:
    with database.session() as db:
        return list(db.exec(select(Invitation).where(Invitation.campaign_id == campaign_id)))


def rule_campaign(code: str) -> int:
    with database.session() as db:
        return db.exec(select(TriggerRule.campaign_id).where(TriggerRule.code == code)).one()


def test_a_repair_rule_invites_every_vip_and_about_30_percent_of_standard_customers_once(db_url, monkeypatch):
    with SmsGatewayServer() as gateway:
        configure_channels(monkeypatch, sms=gateway)
        with database.session() as db:
            published_survey(db)
            save_rule(db, REPAIR_RULE, now=utcnow() - timedelta(days=5))
            add_customers(db, 40, tier="gold", prefix="G", closed_at=utcnow() - timedelta(hours=30))
            add_customers(db, 400, tier="standard", prefix="S", closed_at=utcnow() - timedelta(hours=30))
            add_customers(db, 20, tier="gold", prefix="R", closed_at=utcnow() - timedelta(hours=2))  # too recent
            add_customers(
                db, 10, tier="gold", prefix="H", event_kind="hall_visit", closed_at=utcnow() - timedelta(hours=30)
            )
        report = jobs.run()
        assert report.rules["repair-revisit"].considered == 440
        invited = invitations_of(rule_campaign("repair-revisit"))
        with database.session() as db:
            tiers = {c.id: c.tier for c in db.exec(select(Customer))}
        gold = [i for i in invited if tiers[i.customer_id] == "gold"]
        standard = [i for i in invited if tiers[i.customer_id] == "standard"]
        assert len(gold) == 40
        assert 0.23 < len(standard) / 400 < 0.37, len(standard)
        assert all(i.event_id is not None and i.channel == "sms" for i in invited)
        assert report.sending.sent == len(invited) == len(gateway.delivered)
        again = jobs.run()
        assert again.rules["repair-revisit"].considered == 0 and again.sending.sent == 0
        assert len(invitations_of(rule_campaign("repair-revisit"))) == len(invited), "running twice changes nothing"


def test_a_rule_invites_a_customer_once_for_several_events_and_skips_opted_out(db_url, monkeypatch):
    configure_channels(monkeypatch)
    closed = utcnow() - timedelta(hours=30)
    with database.session() as db:
        published_survey(db)
        save_rule(db, REPAIR_RULE, now=utcnow() - timedelta(days=5))
        [twice, opted] = add_customers(db, 2, tier="diamond", closed_at=closed)
        from survey.models import ServiceEvent

        db.add(
            ServiceEvent(
                customer_id=twice.id,
                external_ticket_id="T-second",
                kind="repair",
                touch_point="field_crew",
                region="Hangzhou",
                occurred_at=closed,
                closed_at=closed,
            )
        )
        opted.opted_out = True
        db.add(opted)
    report = jobs.run(send=False)
    assert report.rules["repair-revisit"].considered == 3 and report.rules["repair-revisit"].invited == 1
    with database.session() as db:
        outcomes = sorted(db.exec(select(RuleDecision.outcome)).all())
    assert outcomes == ["fatigue", "invited", "opted_out"]


def test_rules_are_stored_and_editable(db_url):
    with database.session() as db:
        published_survey(db)
        rule = save_rule(db, REPAIR_RULE)
    edited = RuleSpec(
        **{
            **REPAIR_RULE.__dict__,
            "rates": {"diamond": 1.0, "standard": 0.5},
            "delay_hours": 48,
            "remind_after_days": 2,
            "max_reminders": 1,
        }
    )
    with database.session() as db:
        same = save_rule(db, edited)
        assert same.id == rule.id and same.rates == {"diamond": 1.0, "standard": 0.5} and same.delay_hours == 48
        campaign = db.get(Campaign, same.campaign_id)
        assert campaign.remind_after_days == 2 and campaign.max_reminders == 1
    with database.session() as db, pytest.raises(ValueError, match="between 0 and 1"):
        save_rule(db, RuleSpec(**{**REPAIR_RULE.__dict__, "rates": {"standard": 30}}))


def test_reminders_go_to_non_responders_after_n_days_at_most_m_times(db_url, monkeypatch):
    with SmtpSink() as smtp:
        configure_channels(monkeypatch, smtp=smtp)
        start = utcnow()
        with database.session() as db:
            published_survey(db)
            add_customers(db, 3)
        with database.session() as db:
            campaign_id = create_campaign(
                db,
                "repair-revisit",
                Audience(),
                SamplingPlan(),
                "email",
                expires_days=14,
                remind_after_days=3,
                max_reminders=2,
                now=start,
            ).campaign.id
        assert jobs.run(now=start).sending.sent == 3
        answered, opened, silent = sorted(invitations_of(campaign_id), key=lambda i: i.id)
        with database.session() as db:
            for invitation, status in ((answered, "completed"), (opened, "opened")):
                invitation.status = status
                db.add(invitation)
        assert jobs.run(now=start + timedelta(days=2)).reminders == 0, "not yet: 3 days"
        day3 = jobs.run(now=start + timedelta(days=3, minutes=1))
        assert day3.reminders == 2 and day3.sending.sent == 2
        assert jobs.run(now=start + timedelta(days=4)).reminders == 0, "3 days after the last reminder"
        assert jobs.run(now=start + timedelta(days=6, minutes=2)).reminders == 2
        assert jobs.run(now=start + timedelta(days=10)).reminders == 0, "at most 2 reminders"
        by_id = {i.id: i for i in invitations_of(campaign_id)}
        assert by_id[answered.id].reminder_count == 0
        assert by_id[opened.id].reminder_count == by_id[silent.id].reminder_count == 2
        assert by_id[silent.id].last_reminded_at == start + timedelta(days=6, minutes=2)
        reminders = [m for m in smtp.messages if "截止" in m.get_body(("plain",)).get_content()]
        assert len(reminders) == 4 and len(smtp.messages) == 7


def test_reminders_by_sms_wait_for_the_end_of_quiet_hours(db_url, monkeypatch):
    from zoneinfo import ZoneInfo

    with SmsGatewayServer() as gateway:
        configure_channels(monkeypatch, sms=gateway)
        monkeypatch.setenv("SURVEY_QUIET_HOURS", "21:00-08:00")
        noon = (utcnow().astimezone(ZoneInfo("Asia/Shanghai")) + timedelta(days=1)).replace(hour=12, minute=0)
        with database.session() as db:
            published_survey(db)
            add_customers(db, 1)
        with database.session() as db:
            create_campaign(
                db, "repair-revisit", Audience(), SamplingPlan(), "sms", remind_after_days=1, max_reminders=1, now=noon
            )
        assert jobs.run(now=noon).sending.sent == 1
        night = noon + timedelta(days=1, hours=10)  # 22:00 local
        at_night = jobs.run(now=night)
        assert at_night.reminders == 1 and at_night.sending.sent == 0 and at_night.sending.deferred_quiet == 1
        morning = noon + timedelta(days=1, hours=20, minutes=5)  # 08:05 local
        assert jobs.run(now=morning).sending.sent == 1
        assert len(gateway.delivered) == 2


def test_expired_invitations_stop_and_their_unsent_messages_are_dropped(db_url, monkeypatch):
    configure_channels(monkeypatch)  # no SMS gateway configured: the messages stay queued
    start = utcnow()
    with database.session() as db:
        published_survey(db)
        add_customers(db, 2)
    with database.session() as db:
        campaign_id = create_campaign(
            db,
            "repair-revisit",
            Audience(),
            SamplingPlan(),
            "sms",
            expires_days=7,
            now=start,
            queue_until_configured=True,
        ).campaign.id
    assert jobs.run(now=start + timedelta(days=6)).expired == 0
    report = jobs.run(now=start + timedelta(days=7, seconds=1))
    assert report.expired == 2 and report.closed == 1
    assert {i.status for i in invitations_of(campaign_id)} == {"expired"}
    with database.session() as db:
        assert set(db.exec(select(Delivery.status)).all()) == {"skipped"}
        assert db.get(Campaign, campaign_id).status == "done"
    assert jobs.run(now=start + timedelta(days=8)).expired == 0


def test_a_full_quota_withdraws_the_rest_of_its_stratum(db_url, monkeypatch):
    configure_channels(monkeypatch)
    with database.session() as db:
        published_survey(db)
        add_customers(db, 4, tier="gold", prefix="G")
        add_customers(db, 4, tier="standard", prefix="S")
    with database.session() as db:
        campaign_id = create_campaign(
            db,
            "repair-revisit",
            Audience(),
            SamplingPlan("stratified", strata=("tier",), quotas={"gold": 1}),
            "sms",
            queue_until_configured=True,
        ).campaign.id
    gold = [i for i in invitations_of(campaign_id) if i.stratum == "gold"]
    with database.session() as db:
        gold[0].status = "completed"
        db.add(gold[0])
    assert jobs.run(send=False).withdrawn == 3
    statuses = {(i.stratum, i.status) for i in invitations_of(campaign_id)}
    assert statuses == {("gold", "completed"), ("gold", "expired"), ("standard", "queued")}


def test_jobs_run_command_is_idempotent(db_url, monkeypatch):
    configure_channels(monkeypatch)
    with database.session() as db:
        published_survey(db)
        save_rule(db, REPAIR_RULE, now=utcnow() - timedelta(days=5))
        add_customers(db, 5, tier="gold", closed_at=utcnow() - timedelta(days=2))
    first = CliRunner().invoke(main, ["jobs", "run", "--no-send"])
    assert first.exit_code == 0, first.output
    assert "rule repair-revisit: 5 events considered, 5 invited" in first.output
    second = CliRunner().invoke(main, ["jobs", "run", "--no-send"])
    assert "rule repair-revisit: 0 events considered, 0 invited" in second.output
    with database.session() as db:
        assert db.exec(select(func.count(Invitation.id))).one() == 5
