"""Distribution at scale; prints one ``name: value`` line per figure.

Run: /work/venv/bin/python benchmarks/distribution_bench.py [--postgres postgresql://postgres@127.0.0.1:5432/test]

- create_and_queue_100k_invitations_seconds: one campaign over 100,000 customers: the audience
  query, the draw, 100,000 invitations with their tokens and 100,000 queued messages, one
  transaction (what "Launch" does).
- smtp_send_messages_per_second: `survey send` throughput to a local SMTP server (aiosmtpd in
  its own process), each message committed before and after its send.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scratch import scratch_database

CUSTOMERS = 100_000
EMAILS = 3_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def load_customers(n: int) -> None:
    from survey.core import db as database
    from survey.core.bulk import BulkWriter

    now = "2026-01-01 00:00:00" + ("+00" if database.is_postgres() else "")
    rows = (
        (
            i,
            f"B{i:07d}",
            f"客户{i}",
            f"133{i:08d}",
            f"b{i}@example.cn",
            ("gold", "standard")[i % 2],
            ("Hangzhou", "Ningbo", "Wenzhou")[i % 3],
            "consumer",
            "zh-CN",
            False,
            now,
            now,
        )
        for i in range(1, n + 1)
    )
    with BulkWriter(database.get_engine()) as writer:
        writer.insert(
            "customer",
            (
                "id",
                "external_id",
                "name",
                "phone",
                "email",
                "tier",
                "region",
                "segment",
                "language",
                "opted_out",
                "created_at",
                "updated_at",
            ),
            rows,
        )


def time_campaign(channel: str, audience) -> tuple[float, int]:
    from survey.core import db as database
    from survey.distribution.campaigns import create_campaign
    from survey.distribution.sampling import SamplingPlan

    began = time.perf_counter()
    with database.session() as db:
        # measures writing the campaign; no SMS gateway runs here, so its messages wait in the queue
        created = create_campaign(db, "repair-revisit", audience, SamplingPlan(), channel, queue_until_configured=True)
    return time.perf_counter() - began, created.invitations


def smtp_throughput(workdir: Path) -> float:
    from survey.distribution.audience import Audience
    from survey.distribution.sending import run_queue

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Sink"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        os.environ.update(
            {
                "SURVEY_SMTP_URL": f"smtp://127.0.0.1:{port}",
                "SURVEY_SMTP_FROM": "survey@example.cn",
                "SURVEY_EMAIL_RATE_PER_MINUTE": "100000000",
                "SURVEY_QUIET_HOURS": "off",
            }
        )
        _, queued = time_campaign(
            "email", Audience(tiers=("gold",), regions=("Ningbo",), events=False, fatigue_days=0, survey_fatigue_days=0)
        )
        queued = min(queued, EMAILS)
        began = time.perf_counter()
        report = run_queue(max_messages=queued)
        elapsed = time.perf_counter() - began
        if report.sent != queued:
            raise SystemExit(f"sent {report.sent} of {queued}: {report.summary()}")
        return queued / elapsed
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", help="an admin URL; the benchmark creates and drops its own database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        url, drop = (
            scratch_database(args.postgres) if args.postgres else (f"sqlite:///{workdir / 'bench.db'}", lambda: None)
        )
        os.environ.update({"SURVEY_DATABASE_URL": url, "SURVEY_DATA_DIR": str(workdir), "SURVEY_AUTO_DEMO": "0"})
        try:
            from survey.core import db as database
            from survey.design.definitions import create_survey
            from survey.design.templates import template
            from survey.distribution.audience import Audience

            database.upgrade()
            with database.session() as db:
                create_survey(db, template("repair-revisit"), publish=True)
            load_customers(CUSTOMERS)
            seconds, invitations = time_campaign("sms", Audience())
            print(f"backend: {database.get_engine().dialect.name}")
            print(f"create_and_queue_100k_invitations_seconds: {seconds:.2f}")
            print(f"invitations_queued: {invitations}")
            print(f"smtp_send_messages_per_second: {smtp_throughput(workdir):.1f}")
        finally:
            drop()


if __name__ == "__main__":
    main()
