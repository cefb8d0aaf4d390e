"""Sending for real: email to a local SMTP server, SMS to a local HTTP gateway; retries, rate
limits, quiet hours, opt-outs, concurrent senders and a sender killed mid-batch."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from survey.core import db as database
from survey.core.links import personal_link
from survey.distribution.audience import Audience
from survey.distribution.campaigns import create_campaign
from survey.distribution.sampling import SamplingPlan
from survey.distribution.sending import run_queue
from survey.models import Customer, Delivery, DeliveryStatus, Invitation, utcnow
from tests.distribution_support import (
    GATEWAY_TOKEN,
    FakeTimer,
    SmsGatewayServer,
    SmtpSink,
    add_customers,
    configure_channels,
    published_survey,
)
from tests.support import PROJECT_ROOT, server_env

SHANGHAI = ZoneInfo("Asia/Shanghai")


def launch(channel: str, count: int, **customer_options) -> int:
    with database.session() as db:
        published_survey(db)
        add_customers(db, count, **customer_options)
    with database.session() as db:
        return create_campaign(db, "repair-revisit", Audience(), SamplingPlan(), channel).campaign.id


def local_time_tomorrow(hour: int, minute: int) -> datetime:
    return (utcnow().astimezone(SHANGHAI) + timedelta(days=1)).replace(hour=hour, minute=minute)


def invitations(campaign_id: int) -> list[Invitation]:
    with database.session() as db:
        return list(db.exec(select(Invitation).where(Invitation.campaign_id == campaign_id).order_by(Invitation.id)))


def deliveries(campaign_id: int) -> list[Delivery]:
    with database.session() as db:
        return list(db.exec(select(Delivery).where(Delivery.campaign_id == campaign_id).order_by(Delivery.id)))


def test_email_invitations_arrive_as_multipart_messages_with_the_personal_link(db_url, monkeypatch):
    with SmtpSink() as smtp:
        configure_channels(monkeypatch, smtp=smtp)
        campaign_id = launch("email", 2)
        with database.session() as db:
            add_customers(db, 1, language="en", prefix="E", region="Ningbo")
            english = create_campaign(
                db,
                "repair-revisit",
                Audience(regions=("Ningbo",)),
                SamplingPlan(),
                "email",
            ).campaign.id
        report = run_queue()
        assert report.sent == 3 and report.failed == 0
        by_recipient = {m["To"]: m for m in smtp.messages}
        assert len(by_recipient) == 3
        for invitation, delivery in zip(
            invitations(campaign_id) + invitations(english), deliveries(campaign_id) + deliveries(english)
        ):
            assert invitation.status == "sent" and invitation.sent_at is not None
            message = next(m for m in smtp.messages if m["Message-ID"] == f"<{delivery.idempotency_key}@example.cn>")
            assert message.is_multipart()
            plain = message.get_body(("plain",)).get_content()
            html = message.get_body(("html",)).get_content()
            link = personal_link(invitation.token)
            assert link in plain and f'href="{link}"' in html
            assert ("Hello" in plain) == (invitation.language == "en")
            assert "服务质量" in message["From"]
        assert run_queue().sent == 0, "a second run must not send again"
        assert len(smtp.messages) == 3


def test_sms_goes_through_the_gateway_with_the_token_and_the_idempotency_key(db_url, monkeypatch):
    with SmsGatewayServer() as gateway:
        configure_channels(monkeypatch, sms=gateway)
        campaign_id = launch("sms", 3)
        assert run_queue().sent == 3
        keys = {d.idempotency_key for d in deliveries(campaign_id)}
        assert {r["key"] for r in gateway.requests} == keys
        for invitation in invitations(campaign_id):
            sms = next(m for m in gateway.delivered if personal_link(invitation.token) in m["text"])
            assert sms["to"].startswith("133") and "您好" in sms["text"]
        assert all(d.provider_id.startswith("sms-") for d in deliveries(campaign_id))


def test_a_wrong_gateway_token_sends_nothing_and_keeps_the_queue(db_url, monkeypatch):
    with SmsGatewayServer() as gateway:
        configure_channels(monkeypatch, sms=gateway)
        monkeypatch.setenv("SURVEY_SMS_TOKEN", "wrong")
        campaign_id = launch("sms", 3)
        report = run_queue()
        assert report.sent == 0 and "refused the token" in report.summary()
        assert not gateway.delivered and len(gateway.requests) == 1, "the channel stops after the first refusal"
        assert {i.status for i in invitations(campaign_id)} == {"queued"}
        monkeypatch.setenv("SURVEY_SMS_TOKEN", GATEWAY_TOKEN)
        later = utcnow() + timedelta(hours=1)
        assert run_queue(clock=lambda: later).sent == 3


def test_failures_are_retried_with_exponential_backoff_then_sent(db_url, monkeypatch):
    with SmsGatewayServer(fail_next=2) as gateway:
        configure_channels(monkeypatch, sms=gateway)
        monkeypatch.setenv("SURVEY_SEND_BACKOFF_SECONDS", "60")
        campaign_id = launch("sms", 1)
        start = utcnow()
        assert run_queue(clock=lambda: start).retrying == 1
        [delivery] = deliveries(campaign_id)
        assert delivery.status == "pending" and "busy (503)" in delivery.last_error
        assert delivery.next_attempt_at == start + timedelta(seconds=60)
        assert run_queue(clock=lambda: start + timedelta(seconds=59)).retrying == 0, "not due yet"
        second = start + timedelta(seconds=61)
        assert run_queue(clock=lambda: second).retrying == 1
        assert deliveries(campaign_id)[0].next_attempt_at == second + timedelta(seconds=120)
        assert run_queue(clock=lambda: second + timedelta(seconds=121)).sent == 1
        [invitation] = invitations(campaign_id)
        assert invitation.status == "sent" and invitation.attempts == 3 and invitation.last_error is None
        assert len(gateway.delivered) == 1


def test_retries_stop_at_the_limit_and_a_refused_number_fails_at_once(db_url, monkeypatch):
    with SmsGatewayServer(fail_next=100, reject={"13300000001"}) as gateway:
        configure_channels(monkeypatch, sms=gateway)
        monkeypatch.setenv("SURVEY_SEND_MAX_ATTEMPTS", "2")
        campaign_id = launch("sms", 2)
        now = utcnow()
        first_run = run_queue(clock=lambda: now)
        assert first_run.failed == 1 and first_run.retrying == 1
        assert run_queue(clock=lambda: now + timedelta(hours=1)).failed == 1
        refused, busy = invitations(campaign_id)
        assert refused.status == "failed" and refused.attempts == 1
        assert "rejected the message (400)" in refused.last_error
        assert busy.status == "failed" and busy.attempts == 2 and "busy (503)" in busy.last_error
        assert busy.failed_at is not None and not gateway.delivered
        assert run_queue(clock=lambda: now + timedelta(days=1)).failed == 0, "failed messages stay failed"


def test_customers_who_opted_out_after_queueing_are_skipped(db_url, monkeypatch):
    with SmsGatewayServer() as gateway:
        configure_channels(monkeypatch, sms=gateway)
        campaign_id = launch("sms", 3)
        with database.session() as db:
            customer = db.exec(select(Customer).where(Customer.external_id == "C00001")).one()
            customer.opted_out, customer.opted_out_at = True, utcnow()
            db.add(customer)
        report = run_queue()
        assert report.sent == 2 and report.skipped == 1
        assert customer.phone not in {m["to"] for m in gateway.delivered}
        statuses = {i.customer_id: i.status for i in invitations(campaign_id)}
        assert statuses[customer.id] == "opted_out"


def test_quiet_hours_defer_sms_until_morning(db_url, monkeypatch):
    with SmsGatewayServer() as gateway:
        configure_channels(monkeypatch, sms=gateway)
        monkeypatch.setenv("SURVEY_QUIET_HOURS", "21:00-08:00")
        sms_campaign = launch("sms", 2)
        night = local_time_tomorrow(22, 30)
        report = run_queue(clock=lambda: night)
        assert report.deferred_quiet == 2 and report.sent == 0
        assert not gateway.delivered
        assert {i.status for i in invitations(sms_campaign)} == {"queued"}
        morning = night + timedelta(hours=9, minutes=31)
        assert run_queue(clock=lambda: morning).sent == 2
        assert len(gateway.delivered) == 2


def test_email_is_not_held_by_quiet_hours(db_url, monkeypatch):
    with SmtpSink() as smtp:
        configure_channels(monkeypatch, smtp=smtp)
        monkeypatch.setenv("SURVEY_QUIET_HOURS", "21:00-08:00")
        launch("email", 2)
        night = local_time_tomorrow(23, 0)
        assert run_queue(clock=lambda: night).sent == 2


def test_the_per_minute_rate_limit_holds_the_rest_for_the_next_minute(db_url, monkeypatch):
    with SmsGatewayServer() as gateway:
        configure_channels(monkeypatch, sms=gateway)
        monkeypatch.setenv("SURVEY_SMS_RATE_PER_MINUTE", "3")
        launch("sms", 5)
        now = utcnow()
        timer = FakeTimer()
        report = run_queue(clock=lambda: now, max_seconds=1.5, timer=timer)
        assert report.sent == 3 and len(gateway.delivered) == 3
        assert timer.sleeps == [1.0, 1.0], "waited for the budget until max_seconds, then stopped"
        assert run_queue(clock=lambda: now + timedelta(seconds=61), timer=FakeTimer()).sent == 2


def test_sends_are_spaced_to_the_rate(db_url, monkeypatch):
    with SmsGatewayServer() as gateway:
        configure_channels(monkeypatch, sms=gateway)
        monkeypatch.setenv("SURVEY_SMS_RATE_PER_MINUTE", "240")  # one every 0.25 s
        launch("sms", 5)
        timer = FakeTimer()
        assert run_queue(timer=timer).sent == 5
        assert timer.sleeps == pytest.approx([0.25] * 4), "the first at once, then one every 0.25 s"


# ---------------------------------------------------------------- several processes


def sender(db_url, tmp_path, name: str, **env: str) -> subprocess.Popen:
    environment = server_env(db_url, tmp_path / name, SURVEY_QUIET_HOURS="off", **env)
    (tmp_path / name).mkdir(exist_ok=True)
    return subprocess.Popen(
        [sys.executable, "-m", "survey.cli", "send"],
        cwd=PROJECT_ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_two_senders_at_once_never_send_the_same_invitation(db_url, tmp_path):
    # 40 ms a message keeps the first sender busy for seconds, so the second (which needs a
    # second or two to start on a loaded machine) really works beside it.
    with SmsGatewayServer(latency=0.04) as gateway:
        with database.session() as db:
            published_survey(db)
            add_customers(db, 120)
        with database.session() as db:
            campaign_id = create_campaign(  # the senders, not this process, have the channel settings
                db, "repair-revisit", Audience(), SamplingPlan(), "sms", queue_until_configured=True
            ).campaign.id
        database.dispose_engines()
        env = {"SURVEY_SMS_URL": gateway.url, "SURVEY_SMS_TOKEN": GATEWAY_TOKEN, "SURVEY_SMS_RATE_PER_MINUTE": "100000"}
        first, second = sender(db_url, tmp_path, "a", **env), sender(db_url, tmp_path, "b", **env)
        outputs = [p.communicate(timeout=180) for p in (first, second)]
        assert first.returncode == second.returncode == 0, outputs
        keys = [r["key"] for r in gateway.requests]
        assert len(keys) == len(set(keys)) == 120, "every message requested exactly once"
        assert {i.status for i in invitations(campaign_id)} == {"sent"}
        assert {d.claimed_by.rsplit(":", 1)[1] for d in deliveries(campaign_id)} == {str(first.pid), str(second.pid)}


@pytest.mark.slow
def test_a_sender_killed_mid_batch_resumes_and_every_sms_arrives_exactly_once(db_url, tmp_path):
    with SmsGatewayServer(hold_at=10) as gateway:
        with database.session() as db:
            published_survey(db)
            add_customers(db, 30)
        with database.session() as db:
            campaign_id = create_campaign(  # the senders, not this process, have the channel settings
                db, "repair-revisit", Audience(), SamplingPlan(), "sms", queue_until_configured=True
            ).campaign.id
        database.dispose_engines()
        env = {"SURVEY_SMS_URL": gateway.url, "SURVEY_SMS_TOKEN": GATEWAY_TOKEN, "SURVEY_SEND_LEASE_SECONDS": "1"}
        crashed = sender(db_url, tmp_path, "first", **env)
        assert gateway.held.wait(60), "the sender never reached the 10th message"
        os.kill(crashed.pid, signal.SIGKILL)  # between the gateway's accept and our commit
        crashed.wait(30)
        gateway.release.set()
        states = [d.status for d in deliveries(campaign_id)]
        assert states.count("sent") == 9 and states.count("sending") == 1, states
        time.sleep(1.5)  # the dead sender's lease runs out
        resumed = sender(db_url, tmp_path, "second", **env)
        out, err = resumed.communicate(timeout=120)
        assert resumed.returncode == 0, err
        assert "recovered" in out
        delivered_links = sorted(re.search(r"https?://\S+", m["text"]).group() for m in gateway.delivered)
        expected = sorted(personal_link(i.token) for i in invitations(campaign_id))
        assert delivered_links == expected, "every invitation delivered exactly once"
        assert {i.status for i in invitations(campaign_id)} == {"sent"}
        repeated = [r["key"] for r in gateway.requests]
        assert len(repeated) - len(set(repeated)) == 1, "only the uncertain message was asked again, deduped"


@pytest.mark.slow
def test_an_email_sender_killed_mid_send_never_mails_twice_and_asks_for_review(db_url, tmp_path):
    from click.testing import CliRunner

    from survey.cli import main

    with SmtpSink(hold_at=5) as smtp:
        with database.session() as db:
            published_survey(db)
            add_customers(db, 12)
        with database.session() as db:
            campaign_id = create_campaign(  # the senders, not this process, have the channel settings
                db, "repair-revisit", Audience(), SamplingPlan(), "email", queue_until_configured=True
            ).campaign.id
        database.dispose_engines()
        env = {"SURVEY_SMTP_URL": smtp.url(), "SURVEY_SMTP_FROM": "survey@example.cn", "SURVEY_SEND_LEASE_SECONDS": "1"}
        crashed = sender(db_url, tmp_path, "first", **env)
        assert smtp.held.wait(60)
        os.kill(crashed.pid, signal.SIGKILL)
        crashed.wait(30)
        time.sleep(1.5)
        resumed = sender(db_url, tmp_path, "second", **env)
        out, err = resumed.communicate(timeout=120)
        assert resumed.returncode == 0, err
        assert "needs review 1" in out
        message_ids = [m["Message-ID"] for m in smtp.messages]
        assert len(message_ids) == len(set(message_ids)) == 12, "each email exactly once"
        [uncertain] = [d for d in deliveries(campaign_id) if d.status == DeliveryStatus.UNCERTAIN]
        assert f"<{uncertain.idempotency_key}@example.cn>" in message_ids
        listed = CliRunner().invoke(main, ["review"])
        assert f"{uncertain.id}\tcampaign {campaign_id}" in listed.output
        CliRunner().invoke(main, ["review", "--mark-sent", str(uncertain.id)])
        assert {i.status for i in invitations(campaign_id)} == {"sent"}
