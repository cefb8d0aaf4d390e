"""Launching a campaign without surprises: a channel that cannot send refuses and names the
setting (or queues when asked), one launch key never launches twice, and the campaigns page
asks before it launches, with the audience of recently closed events unless told otherwise."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlmodel import func, select
from streamlit.testing.v1 import AppTest

from survey.accounts import auth
from survey.cli import main
from survey.core import db as database
from survey.distribution import service
from survey.distribution.audience import Audience
from survey.distribution.campaigns import create_campaign
from survey.distribution.channels import ChannelNotConfigured
from survey.distribution.sampling import SamplingPlan
from survey.distribution.sending import run_queue
from survey.models import Campaign, Invitation, User, utcnow
from tests.apptest_support import open_app, sign_in, signed_in
from tests.distribution_support import SmsGatewayServer, add_customers, configure_channels, published_survey

IN_WINDOW = 20  # customers whose repair closed two days ago


@pytest.fixture
def world(db_url):
    """20 customers with a repair closed two days ago, one whose repair closed a month ago, and
    one with no service event at all."""
    with database.session() as db:
        auth.create_user(db, "qa", "quality", "quality-pass")
        published_survey(db)
        add_customers(db, 6, tier="gold", prefix="G")
        add_customers(db, 14, tier="standard", prefix="S")
        add_customers(db, 1, prefix="OLD", closed_at=utcnow() - timedelta(days=30))
        add_customers(db, 1, prefix="NOEV", event_kind=None)
    return db_url


def placeholder_sms(monkeypatch) -> None:
    """SMS configured (nothing is sent unless a test runs the queue)."""
    monkeypatch.setenv("SURVEY_SMS_URL", "http://127.0.0.1:9/send")


def campaigns() -> list[Campaign]:
    with database.session() as db:
        return list(db.exec(select(Campaign)))


def invitation_count() -> int:
    with database.session() as db:
        return db.exec(select(func.count(Invitation.id))).one()


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def qa_id() -> int:
    with database.session() as db:
        return db.exec(select(User.id).where(User.username == "qa")).one()


# ---------------------------------------------------------------- a channel that cannot send


def test_a_campaign_on_a_channel_that_is_not_configured_is_refused_and_names_the_setting(world):
    for channel, setting in (("sms", "SURVEY_SMS_URL"), ("email", "SURVEY_SMTP_URL")):
        with database.session() as db, pytest.raises(ChannelNotConfigured, match=setting) as refused:
            create_campaign(db, "repair-revisit", Audience(), SamplingPlan(), channel)
        assert "nothing was launched" in str(refused.value) and setting in refused.value.settings
    assert campaigns() == [] and invitation_count() == 0


def test_queued_until_configured_it_waits_in_the_queue_and_goes_out_once_configured(world, monkeypatch):
    with database.session() as db:
        created = create_campaign(db, "repair-revisit", Audience(), SamplingPlan(), "sms", queue_until_configured=True)
    assert created.waits_for_channel and created.invitations == 22
    waiting = run_queue()
    assert waiting.sent == 0 and "SURVEY_SMS_URL" in waiting.summary()
    with SmsGatewayServer() as gateway:
        configure_channels(monkeypatch, sms=gateway)
        assert run_queue().sent == 22 and len(gateway.delivered) == 22


def test_the_cli_refuses_in_one_line_and_queues_only_when_asked(world):
    refused = run("campaign", "create", "--survey", "repair-revisit", "--channel", "sms")
    assert refused.exit_code != 0 and len(refused.output.strip().splitlines()) == 1
    assert "SURVEY_SMS_URL" in refused.output and "--queue-until-configured" in refused.output
    assert campaigns() == []
    queued = run("campaign", "create", "--survey", "repair-revisit", "--channel", "sms", "--queue-until-configured")
    assert queued.exit_code == 0, queued.output
    assert "wait in the queue until sms is configured" in queued.output


# ---------------------------------------------------------------- one launch key, one campaign


def test_the_same_launch_key_launches_one_campaign(world, monkeypatch):
    placeholder_sms(monkeypatch)
    standard = Audience(tiers=("standard",))
    first = service.launch_campaign(qa_id(), "repair-revisit", standard, SamplingPlan(), "sms", launch_key="k" * 32)
    again = service.launch_campaign(qa_id(), "repair-revisit", standard, SamplingPlan(), "sms", launch_key="k" * 32)
    assert not first.repeated and again.repeated and again.campaign_id == first.campaign_id
    assert len(campaigns()) == 1 and invitation_count() == first.invitations == again.invitations == 16
    by_cli = [
        run(
            "campaign",
            "create",
            "--survey",
            "repair-revisit",
            "--channel",
            "export",
            "--tier",
            "gold",
            "--launch-key",
            "cron-1",
        )
        for _ in range(2)
    ]
    assert [r.exit_code for r in by_cli] == [0, 0], by_cli[0].output
    assert "nothing new was created" in by_cli[1].output and len(campaigns()) == 2


def test_two_clicks_at_once_with_one_launch_key_make_one_campaign(world, monkeypatch):
    placeholder_sms(monkeypatch)
    actor, start, results = qa_id(), threading.Barrier(2), []

    def click() -> None:
        start.wait()
        results.append(
            service.launch_campaign(actor, "repair-revisit", Audience(), SamplingPlan(), "sms", launch_key="d" * 32)
        )

    clicks = [threading.Thread(target=click) for _ in range(2)]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join(60)
    assert len(results) == 2 and {r.campaign_id for r in results} == {campaigns()[0].id}
    assert sorted(r.repeated for r in results) == [False, True] and len(campaigns()) == 1


# ---------------------------------------------------------------- the campaigns page


def campaign_page() -> AppTest:
    return signed_in("qa", "quality-pass", "pages/campaigns.py")


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def texts(at: AppTest, kind: str) -> str:
    """What the page shows in these elements, as read (Markdown escapes taken out)."""
    return " ".join(element.value.replace("\\", "") for element in getattr(at, kind))


def test_the_page_says_which_channels_are_configured_and_queues_only_when_the_user_chooses(world):
    at = campaign_page()
    assert "短信未配置：请设置 SURVEY_SMS_URL, SURVEY_SMS_TOKEN。" in texts(at, "caption")
    assert "短信未配置" in texts(at, "warning")  # the chosen channel (SMS) cannot send
    at.button(key="camp_launch").click().run()
    assert "SURVEY_SMS_URL" in texts(at, "error") and at.button(key="camp_confirm").disabled
    assert campaigns() == []
    at.checkbox(key="camp_queue_unconfigured").check().run()
    at.button(key="camp_confirm").click().run()
    assert not at.exception
    (campaign,) = campaigns()
    assert f"活动 #{campaign.id} 已发起" in texts(at, "warning") and "待短信配置完成后发送" in texts(at, "warning")
    assert f"{IN_WINDOW} 条消息正在等待发送。短信未配置" in texts(at, "warning")  # the campaign's own view


def test_launch_asks_first_and_a_reload_or_second_session_launches_nothing_new(world, monkeypatch):
    placeholder_sms(monkeypatch)
    at = campaign_page()
    assert metric(at, "符合条件的客户") == str(IN_WINDOW)  # events closed in the last 7 days only
    at.button(key="camp_launch").click().run()
    assert campaigns() == []
    summary = texts(at, "markdown")
    assert f"将通过短信邀请 {IN_WINDOW} 位客户" in summary and f"共 {IN_WINDOW} 位" in summary
    assert any("王伟" in code.value for code in at.code)  # the invitation as a customer reads it
    at.button(key="camp_confirm").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    (campaign,) = campaigns()
    assert f"活动 #{campaign.id} 已发起" in texts(at, "success") and campaign.launch_key
    assert at.query_params["launch"] != [campaign.launch_key]  # the next launch is a new campaign

    reloaded = sign_in(open_app(), "qa", "quality-pass")  # a reload: a new session, the same address
    reloaded.switch_page("pages/campaigns.py")
    reloaded.query_params["launch"] = campaign.launch_key
    reloaded.run()
    assert f"活动 #{campaign.id} 已由此表单发起" in texts(reloaded, "info")
    assert not [b for b in reloaded.button if b.key == "camp_launch"] and len(campaigns()) == 1
    reloaded.button(key="camp_start_new").click().run()
    assert [b for b in reloaded.button if b.key == "camp_launch"]


def test_everyone_is_an_explicit_choice(world, monkeypatch):
    placeholder_sms(monkeypatch)
    at = campaign_page()
    assert at.radio(key="camp_scope").value == "events"
    assert metric(at, "符合条件的客户") == str(IN_WINDOW)
    at.radio(key="camp_scope").set_value("everyone").run()
    assert metric(at, "符合条件的客户") == str(IN_WINDOW + 2)  # the old event and the customer without one too
