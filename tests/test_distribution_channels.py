"""Channel adapters against real local servers: SMTP with STARTTLS, refused mailboxes,
configuration errors."""

from __future__ import annotations

import shutil
import ssl
import subprocess

import pytest

from survey.core.config import load_settings
from survey.distribution.channels import (
    ChannelNotConfigured,
    OutgoingMessage,
    SendError,
    SmsGateway,
    SmtpChannel,
    adapter_for,
    parse_smtp_url,
)
from tests.distribution_support import GATEWAY_TOKEN, SmsGatewayServer, SmtpSink

MESSAGE = OutgoingMessage(
    idempotency_key="0f" * 16,
    to="wang@example.cn",
    text="王伟您好：https://x.cn/s/abc",
    subject="诚邀您评价",
    link="https://x.cn/s/abc",
    language="zh-CN",
)


def test_smtp_urls_carry_credentials_and_tls_options():
    target = parse_smtp_url("smtp://survey%40op.cn:p%40ss@mail.op.cn:587?starttls=1")
    assert (target.host, target.port, target.username, target.password) == ("mail.op.cn", 587, "survey@op.cn", "p@ss")
    assert target.starttls and not target.implicit_tls and target.verify
    secure = parse_smtp_url("smtps://relay.op.cn?verify=0")
    assert secure.implicit_tls and secure.port == 465 and not secure.verify
    with pytest.raises(ChannelNotConfigured, match="smtp://user:password@host"):
        parse_smtp_url("http://mail.op.cn")


def test_missing_settings_name_the_variable(monkeypatch):
    for name in ("SURVEY_SMTP_URL", "SURVEY_SMTP_FROM", "SURVEY_SMS_URL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ChannelNotConfigured, match="SURVEY_SMTP_URL"):
        adapter_for("email", load_settings())
    with pytest.raises(ChannelNotConfigured, match="SURVEY_SMS_URL"):
        adapter_for("sms", load_settings())
    monkeypatch.setenv("SURVEY_SMTP_URL", "smtp://127.0.0.1:2525")
    with pytest.raises(ChannelNotConfigured, match="SURVEY_SMTP_FROM"):
        adapter_for("email", load_settings())


@pytest.fixture
def tls_context(tmp_path):
    if not shutil.which("openssl"):
        pytest.skip("needs the openssl command to make a certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def test_email_goes_over_starttls_when_the_server_requires_it(tls_context):
    with SmtpSink(tls_context=tls_context) as smtp:
        plain = SmtpChannel(smtp.url(), "survey@example.cn")
        with pytest.raises(SendError) as refused:
            plain.send(MESSAGE)
        assert not refused.value.permanent and not smtp.messages
        secure = SmtpChannel(smtp.url("?starttls=1&verify=0"), "服务质量 <survey@example.cn>")
        assert secure.send(MESSAGE) == f"<{MESSAGE.idempotency_key}@example.cn>"
        secure.close()
        [message] = smtp.messages
        assert message.get_body(("plain",)).get_content().strip() == MESSAGE.text
        assert "开始评价" in message.get_body(("html",)).get_content()


def test_a_refused_mailbox_is_a_permanent_failure_and_the_next_message_still_goes():
    with SmtpSink(refuse={"gone@example.cn"}) as smtp:
        channel = SmtpChannel(smtp.url(), "survey@example.cn")
        with pytest.raises(SendError, match="550") as refused:
            channel.send(OutgoingMessage(**{**MESSAGE.__dict__, "to": "gone@example.cn"}))
        assert refused.value.permanent
        channel.send(MESSAGE)
        channel.close()
        assert [m["To"] for m in smtp.messages] == ["wang@example.cn"]


def test_the_gateway_adapter_sends_the_key_and_reads_the_provider_id():
    with SmsGatewayServer() as gateway:
        adapter = SmsGateway(gateway.url, GATEWAY_TOKEN)
        sms = OutgoingMessage(**{**MESSAGE.__dict__, "to": "13312345678"})
        assert adapter.send(sms) == "sms-1"
        assert adapter.send(sms) == "sms-1", "a repeated key is answered, not sent again"
        adapter.close()
        assert len(gateway.delivered) == 1 and gateway.requests[0]["key"] == MESSAGE.idempotency_key
