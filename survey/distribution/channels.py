"""The ways a message leaves us: email over SMTP and SMS through an HTTP gateway.

Each adapter sends one ``OutgoingMessage`` and either returns the provider's id or raises:

- ``SendError(permanent=True)``: this message can never go (bad address, refused content);
- ``SendError(permanent=False)``: try again later; ``channel_down`` also stops this run from
  trying the channel again (server unreachable, credentials refused);
- ``OutcomeUnknown``: the connection broke after the message was handed over, so it may have
  been delivered. ``survey.distribution.sending`` resends only through channels that deduplicate on the
  idempotency key (``dedupes = True``) and otherwise asks staff to decide.

Configuration: SURVEY_SMTP_URL (``smtp://user:password@host:port``, ``?starttls=1`` for
STARTTLS, ``smtps://`` for TLS from the first byte, ``?verify=0`` to accept a self-signed
relay certificate), SURVEY_SMTP_FROM, SURVEY_SMS_URL and SURVEY_SMS_TOKEN.
"""

from __future__ import annotations

import contextlib
import html
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, parseaddr
from urllib.parse import parse_qs, unquote, urlsplit

import requests

from survey.core.config import Settings
from survey.core.errors import SurveyError
from survey.core.i18n import normalise_language
from survey.core.vocab import Channel
from survey.distribution.messages import EMAIL_BUTTON

SMTP_TIMEOUT_SECONDS = 30
SMS_TIMEOUT_SECONDS = 15


class ChannelNotConfigured(SurveyError, ValueError):
    """A channel's settings are missing or malformed (one line naming the setting).

    ``channel`` and ``settings`` (the settings to set or correct) let a page say the same in
    the user's language."""

    def __init__(
        self,
        message: str = "",
        *,
        channel: str | None = None,
        settings: tuple[str, ...] = (),
        key: str | None = None,
        **params,
    ):
        super().__init__(message, key=key, **params)
        self.channel = channel
        self.settings = settings


class SendError(Exception):
    def __init__(self, message: str, *, permanent: bool, channel_down: bool = False):
        super().__init__(message)
        self.permanent = permanent
        self.channel_down = channel_down


class OutcomeUnknown(Exception):
    """The message may or may not have reached the provider."""


@dataclass(frozen=True)
class OutgoingMessage:
    idempotency_key: str
    to: str
    text: str
    subject: str
    link: str
    language: str


# ---------------------------------------------------------------- email


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    username: str | None
    password: str | None
    implicit_tls: bool
    starttls: bool
    verify: bool


def parse_smtp_url(url: str) -> SmtpTarget:
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ChannelNotConfigured(
            key="errors.distribution.smtp_url_format",
            channel=Channel.EMAIL,
            settings=("SURVEY_SMTP_URL",),
        )
    options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    implicit_tls = parts.scheme == "smtps"
    try:
        port = parts.port or (465 if implicit_tls else 25)
    except ValueError:
        raise ChannelNotConfigured(
            key="errors.distribution.smtp_url_port", channel=Channel.EMAIL, settings=("SURVEY_SMTP_URL",)
        ) from None
    return SmtpTarget(
        host=parts.hostname,
        port=port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        implicit_tls=implicit_tls,
        starttls=options.get("starttls", "0") in ("1", "true", "yes"),
        verify=options.get("verify", "1") not in ("0", "false", "no"),
    )


def email_html(text: str, link: str, language: str) -> str:
    href = html.escape(link)
    body = html.escape(text).replace(href, f'<a href="{href}">{href}</a>').replace("\n", "<br>")
    return (
        f'<!doctype html><html lang="{html.escape(language)}"><body style="font-family:sans-serif;'
        f'line-height:1.5;max-width:36em"><p>{body}</p><p><a href="{href}" style="display:inline-block;'
        'padding:.6em 1.2em;background:#1565c0;color:#fff;text-decoration:none;border-radius:4px">'
        f"{html.escape(EMAIL_BUTTON[normalise_language(language)])}</a></p></body></html>"
    )


class SmtpChannel:
    """Email over one kept-open SMTP connection (reopened after an error)."""

    name = Channel.EMAIL
    dedupes = False

    def __init__(self, url: str, sender: str):
        self.target = parse_smtp_url(url)
        if not sender or "@" not in parseaddr(sender)[1]:
            raise ChannelNotConfigured(
                key="errors.distribution.smtp_from_invalid",
                channel=Channel.EMAIL,
                settings=("SURVEY_SMTP_FROM",),
            )
        self.sender = sender
        self.domain = parseaddr(sender)[1].rsplit("@", 1)[1]
        self._smtp: smtplib.SMTP | None = None

    def _tls_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if not self.target.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def _connect(self) -> smtplib.SMTP:
        t = self.target
        try:
            if t.implicit_tls:
                smtp = smtplib.SMTP_SSL(t.host, t.port, timeout=SMTP_TIMEOUT_SECONDS, context=self._tls_context())
            else:
                smtp = smtplib.SMTP(t.host, t.port, timeout=SMTP_TIMEOUT_SECONDS)
                if t.starttls:
                    smtp.starttls(context=self._tls_context())
            if t.username:
                smtp.login(t.username, t.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            raise SendError(f"SMTP login refused ({exc.smtp_code})", permanent=False, channel_down=True) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise SendError(
                f"cannot reach the SMTP server {t.host}:{t.port}: {exc}", permanent=False, channel_down=True
            ) from None
        return smtp

    def build(self, message: OutgoingMessage) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = formataddr(("", message.to))
        email["Subject"] = message.subject
        email["Message-ID"] = f"<{message.idempotency_key}@{self.domain}>"
        email["Content-Language"] = message.language
        email.set_content(message.text)
        email.add_alternative(email_html(message.text, message.link, message.language), subtype="html")
        return email

    def send(self, message: OutgoingMessage) -> str:
        email = self.build(message)
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            self._smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as exc:
            self.close()
            code, reason = next(iter(exc.recipients.values()))
            raise SendError(f"recipient refused: {code} {_text(reason)}", permanent=code >= 500) from None
        except smtplib.SMTPSenderRefused as exc:
            self.close()
            raise SendError(
                f"sender refused: {exc.smtp_code} {_text(exc.smtp_error)}", permanent=False, channel_down=True
            ) from None
        except smtplib.SMTPResponseException as exc:
            self.close()
            raise SendError(
                f"SMTP error {exc.smtp_code} {_text(exc.smtp_error)}", permanent=exc.smtp_code >= 500
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            self._smtp = None
            raise OutcomeUnknown(f"SMTP connection lost while sending: {exc}") from None
        return email["Message-ID"]

    def close(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):  # closing anyway
                self._smtp.quit()
            self._smtp = None


def _text(value) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


# ---------------------------------------------------------------- SMS


class SmsGateway:
    """An HTTP SMS gateway: POST JSON {to, text, reference} with a bearer token and an
    ``Idempotency-Key`` header; the gateway answers 2xx with {"id": ...}. A repeated key must
    not send twice (real gateways keep keys for a day or more)."""

    name = Channel.SMS
    dedupes = True

    def __init__(self, url: str, token: str | None):
        if not urlsplit(url).scheme.startswith("http"):
            raise ChannelNotConfigured(
                key="errors.distribution.sms_url_invalid",
                channel=Channel.SMS,
                settings=("SURVEY_SMS_URL",),
            )
        self.url = url
        self.http = requests.Session()
        if token:
            self.http.headers["Authorization"] = f"Bearer {token}"

    def send(self, message: OutgoingMessage) -> str:
        try:
            reply = self.http.post(
                self.url,
                json={"to": message.to, "text": message.text, "reference": message.idempotency_key},
                headers={"Idempotency-Key": message.idempotency_key},
                timeout=SMS_TIMEOUT_SECONDS,
            )
        except requests.RequestException as exc:
            raise SendError(f"SMS gateway unreachable: {exc.__class__.__name__}", permanent=False) from None
        if reply.status_code in (401, 403):
            raise SendError(f"SMS gateway refused the token ({reply.status_code})", permanent=False, channel_down=True)
        if reply.status_code in (408, 429) or reply.status_code >= 500:
            raise SendError(f"SMS gateway busy ({reply.status_code})", permanent=False)
        if reply.status_code >= 400:
            raise SendError(
                f"SMS gateway rejected the message ({reply.status_code}): {reply.text[:200]}", permanent=True
            )
        try:
            return str(reply.json().get("id") or message.idempotency_key)
        except ValueError:
            return message.idempotency_key

    def close(self) -> None:
        self.http.close()


# Channels on which resending with the same idempotency key cannot reach the customer twice.
DEDUPING_CHANNELS = frozenset(adapter.name for adapter in (SmtpChannel, SmsGateway) if adapter.dedupes)


def adapter_for(channel: str, config: Settings) -> SmtpChannel | SmsGateway:
    """The configured adapter of a channel; ChannelNotConfigured names the missing setting."""
    if channel == Channel.EMAIL:
        if not config.smtp_url:
            raise ChannelNotConfigured(
                key="errors.distribution.email_not_configured",
                channel=Channel.EMAIL,
                settings=SETTINGS[Channel.EMAIL],
            )
        return SmtpChannel(config.smtp_url, config.smtp_from or "")
    if channel == Channel.SMS:
        if not config.sms_url:
            raise ChannelNotConfigured(
                key="errors.distribution.sms_not_configured",
                channel=Channel.SMS,
                settings=SETTINGS[Channel.SMS],
            )
        return SmsGateway(config.sms_url, config.sms_token)
    raise ChannelNotConfigured(key="errors.distribution.channel_not_sent", name=channel)


# ---------------------------------------------------------------- is a channel ready?

# The settings each channel we send ourselves reads (README "Configuration").
SETTINGS = {Channel.SMS: ("SURVEY_SMS_URL", "SURVEY_SMS_TOKEN"), Channel.EMAIL: ("SURVEY_SMTP_URL", "SURVEY_SMTP_FROM")}


@dataclass(frozen=True)
class ChannelStatus:
    """Whether the platform can send on a channel now, and if not, which settings to fix."""

    channel: str
    configured: bool
    settings: tuple[str, ...]  # what the channel reads
    missing: tuple[str, ...] = ()  # what to set or correct (empty when configured)
    problem: str = ""  # the one-line reason, as the CLI prints it


def channel_status(channel: str, config: Settings) -> ChannelStatus:
    """Checks the settings only (no connection is opened): a configured gateway may still be down,
    which the send queue reports when it tries."""
    try:
        adapter_for(channel, config).close()
    except ChannelNotConfigured as exc:
        return ChannelStatus(channel, False, SETTINGS[Channel(channel)], exc.settings, str(exc))
    return ChannelStatus(channel, True, SETTINGS[Channel(channel)])


def require_configured(channel: str, config: Settings) -> None:
    """Refuse (ChannelNotConfigured naming the setting) a channel we send on but cannot now."""
    if channel in SETTINGS:
        adapter_for(channel, config).close()
