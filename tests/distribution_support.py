"""Real local servers for the distribution tests (an SMS gateway over HTTP, an SMTP server), and
a small world of customers and events to invite."""

from __future__ import annotations

import asyncio
import email
import json
import threading
import time
from datetime import datetime, timedelta
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from sqlmodel import select

from survey.core import db as database
from survey.design.definitions import create_survey, survey_by_code
from survey.design.templates import template
from survey.models import Customer, ServiceEvent, utcnow
from tests.support import free_port

GATEWAY_TOKEN = "gateway-secret"


class SmsGatewayServer:
    """An SMS gateway like the real ones: bearer token, JSON body, and deduplication on the
    Idempotency-Key header (a repeated key answers with the first message's id and sends nothing).

    ``fail_next`` answers that many requests with 503; numbers in ``reject`` get 400;
    ``hold_at=k`` accepts the k-th message, then keeps the sender waiting (``held`` is set);
    ``latency`` seconds pass before each answer, as over a real network."""

    def __init__(
        self, *, fail_next: int = 0, reject: set[str] | None = None, hold_at: int | None = None, latency: float = 0.0
    ):
        self.delivered: list[dict] = []
        self.requests: list[dict] = []
        self.fail_next = fail_next
        self.reject = reject or set()
        self.hold_at = hold_at
        self.latency = latency
        self.held = threading.Event()
        self.release = threading.Event()
        self._ids: dict[str, str] = {}
        self._lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                key = self.headers.get("Idempotency-Key")
                status, reply, hold = gateway._handle(self.headers.get("Authorization"), key, body)
                time.sleep(gateway.latency)
                if hold:
                    gateway.held.set()
                    gateway.release.wait(60)
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _handle(self, authorization: str | None, key: str | None, body: dict) -> tuple[int, dict, bool]:
        with self._lock:
            self.requests.append({"key": key, **body})
            if authorization != f"Bearer {GATEWAY_TOKEN}":
                return 401, {"error": "bad token"}, False
            if key in self._ids:
                return 200, {"id": self._ids[key], "duplicate": True}, False
            if body["to"] in self.reject:
                return 400, {"error": "invalid number"}, False
            if self.fail_next > 0:
                self.fail_next -= 1
                return 503, {"error": "busy"}, False
            self._ids[key] = f"sms-{len(self._ids) + 1}"
            self.delivered.append({"key": key, **body})
            return 200, {"id": self._ids[key]}, len(self.delivered) == self.hold_at

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/send"

    def __enter__(self) -> SmsGatewayServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


class SmtpSink:
    """A real SMTP server (aiosmtpd) keeping every message it accepts.
    ``hold_at=k`` accepts the k-th message, then keeps the client waiting for the reply."""

    def __init__(self, *, hold_at: int | None = None, refuse: set[str] | None = None, tls_context=None):
        self.messages: list[email.message.EmailMessage] = []
        self.hold_at = hold_at
        self.held = threading.Event()
        self.refuse = refuse or set()
        self.port = free_port()
        self.controller = Controller(
            self,
            hostname="127.0.0.1",
            port=self.port,
            tls_context=tls_context,
            require_starttls=tls_context is not None,
        )

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=default_policy))
        if len(self.messages) == self.hold_at:
            self.held.set()
            await asyncio.sleep(120)
        return "250 Message accepted"

    def url(self, query: str = "") -> str:
        return f"smtp://127.0.0.1:{self.port}{query}"

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop(no_assert=True)


def published_survey(db, code: str = "repair-revisit"):
    return survey_by_code(db, code) or create_survey(db, template(code), publish=True, template=code)


def add_customers(
    db,
    count: int,
    *,
    tier: str = "standard",
    region: str = "Hangzhou",
    prefix: str = "C",
    email: bool = True,
    language: str = "zh-CN",
    event_kind: str | None = "repair",
    closed_at: datetime | None = None,
    start: int = 0,
) -> list[Customer]:
    """Customers with a phone (133 + their id) and (optionally) an email, each with one closed
    service event."""
    customers = []
    closed_at = closed_at or utcnow() - timedelta(days=2)
    for i in range(start, start + count):
        customer = Customer(
            external_id=f"{prefix}{i:05d}",
            name=f"客户{i}",
            email=f"{prefix.lower()}{i}@example.cn" if email else None,
            tier=tier,
            region=region,
            language=language,
        )
        db.add(customer)
        db.flush()
        customer.phone = f"133{customer.id:08d}"  # unique: customer 1 has 13300000001
        if event_kind:
            db.add(
                ServiceEvent(
                    customer_id=customer.id,
                    external_ticket_id=f"T-{prefix}{i:05d}",
                    kind=event_kind,
                    touch_point="field_crew",
                    region=region,
                    team=f"{region} Crew 1",
                    occurred_at=closed_at - timedelta(hours=3),
                    closed_at=closed_at,
                )
            )
        customers.append(customer)
    db.flush()
    return customers


def configure_channels(monkeypatch, *, sms: SmsGatewayServer | None = None, smtp: SmtpSink | None = None) -> None:
    """Point the product at the test servers; no quiet hours and no pacing unless a test sets them
    (at the default 600 a minute, a rule inviting 160 customers would wait 16 s between sends)."""
    monkeypatch.setenv("SURVEY_QUIET_HOURS", "off")
    monkeypatch.setenv("SURVEY_SMS_RATE_PER_MINUTE", "1000000")
    monkeypatch.setenv("SURVEY_EMAIL_RATE_PER_MINUTE", "1000000")
    if sms is not None:
        monkeypatch.setenv("SURVEY_SMS_URL", sms.url)
        monkeypatch.setenv("SURVEY_SMS_TOKEN", GATEWAY_TOKEN)
    if smtp is not None:
        monkeypatch.setenv("SURVEY_SMTP_URL", smtp.url())
        monkeypatch.setenv("SURVEY_SMTP_FROM", "服务质量 <survey@example.cn>")


class FakeTimer:
    """A sender's timer whose sleeps take no time: they only move its clock on, and are kept."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def customer_by_external_id(external_id: str) -> Customer:
    with database.session() as db:
        return db.exec(select(Customer).where(Customer.external_id == external_id)).one()
