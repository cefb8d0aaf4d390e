"""Shared fixtures: every database test runs on SQLite, and on PostgreSQL when
SURVEY_TEST_DATABASE_URL points at a server (a fresh database per test session is created
there and dropped at the end, so runs never collide).

- ``db_url``: an empty, migrated database for one test (SURVEY_DATABASE_URL points at it).
- ``demo_url``: a session-wide database holding the demo data (seed 7, ending today, so "this
  month" has data) and its ground truth; tests must only read it.
- ``fixed_demo_url``: the same demo ending on a fixed date: identical on every day the tests
  run, for checks against the ground truth (a test that passes today passes tomorrow).

Set SURVEY_REQUIRE_POSTGRES=1 (CI does) to fail instead of skipping the PostgreSQL runs.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import streamlit as st

from survey import bootstrap
from survey.core import db as database
from tests.support import LiveApp, free_port, server_env

POSTGRES_ADMIN_URL = os.environ.get("SURVEY_TEST_DATABASE_URL")
REQUIRE_POSTGRES = os.environ.get("SURVEY_REQUIRE_POSTGRES") == "1"
BACKENDS = ["sqlite", "postgresql"]
DEMO_SEED = 7
# Ends today, so "this month" figures have data; the seed keeps everything else fixed.
DEMO_END = datetime.now(ZoneInfo("Asia/Shanghai")).date()
FIXED_DEMO_END = date(2026, 10, 31)
DEMO_RESPONSES = 30_000


@pytest.fixture(autouse=True, scope="session")
def _quick_password_hashing():
    """The same argon2id, at a test cost: the production cost (64 MiB, 3 passes) takes 0.1-0.5 s
    a hash here, and the quick loop signs in a few hundred times. The stored hashes carry their
    parameters, so everything else (verify, rehash, lock-outs) runs as in production."""
    from argon2 import PasswordHasher

    from survey.accounts import auth

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        yield


@pytest.fixture(autouse=True)
def _clear_streamlit_caches():
    """Cached page data must not leak from one test's database into the next."""
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch, tmp_path):
    """No test touches data/survey.db or creates demo data by accident."""
    monkeypatch.setenv("SURVEY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SURVEY_AUTO_DEMO", "0")
    monkeypatch.delenv("SURVEY_ADMIN_PASSWORD", raising=False)
    monkeypatch.delenv("SURVEY_DATABASE_URL", raising=False)
    yield
    bootstrap.forget_prepared()


class PostgresDatabases:
    """Creates uniquely named databases on the test server and drops them afterwards."""

    def __init__(self, admin_url: str):
        self.admin = sa.create_engine(database.normalise_url(admin_url), isolation_level="AUTOCOMMIT")
        self.base = database.normalise_url(admin_url)
        self.created: list[str] = []

    def create(self, purpose: str) -> str:
        name = f"survey_test_{purpose}_{uuid.uuid4().hex[:10]}"
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return self.base.set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        database.dispose_engines()
        with self.admin.connect() as conn:
            for name in self.created:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture(scope="session")
def postgres_databases():
    if not POSTGRES_ADMIN_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("SURVEY_REQUIRE_POSTGRES=1 but SURVEY_TEST_DATABASE_URL is not set")
        pytest.skip("PostgreSQL tests need SURVEY_TEST_DATABASE_URL (e.g. postgresql://postgres@127.0.0.1:5432/test)")
    try:
        databases = PostgresDatabases(POSTGRES_ADMIN_URL)
        with databases.admin.connect():
            pass
    except sa.exc.OperationalError as exc:
        message = f"PostgreSQL at SURVEY_TEST_DATABASE_URL is unreachable: {exc.orig}"
        pytest.fail(message) if REQUIRE_POSTGRES else pytest.skip(message)
    yield databases
    databases.drop_all()


@pytest.fixture
def postgres_url(postgres_databases, monkeypatch) -> str:
    """A new migrated PostgreSQL database, for what only PostgreSQL does (several processes at once)."""
    url = postgres_databases.create("pg")
    database.upgrade(url)
    monkeypatch.setenv("SURVEY_DATABASE_URL", url)
    return url


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def migrated_template(backend, request, tmp_path_factory):
    """One migrated database per backend: a SQLite file to copy, or a PostgreSQL database to truncate."""
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("template") / "template.db"
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_databases").create("clean")
    database.upgrade(url)
    database.get_engine(url).dispose()
    return url


def _truncate_all(url: str) -> None:
    engine = database.get_engine(url)
    with engine.begin() as conn:
        tables = [
            name
            for (name,) in conn.execute(
                sa.text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
                )
            )
        ]
        if tables:
            conn.execute(
                sa.text(f"TRUNCATE {', '.join(chr(34) + t + chr(34) for t in tables)} RESTART IDENTITY CASCADE")
            )


@pytest.fixture
def db_url(backend, migrated_template, tmp_path, monkeypatch) -> str:
    """An empty, migrated database for this test; SURVEY_DATABASE_URL points at it."""
    if backend == "sqlite":
        path = tmp_path / "survey.db"
        shutil.copy(Path(migrated_template.removeprefix("sqlite:///")), path)
        url = f"sqlite:///{path}"
    else:
        url = migrated_template
        _truncate_all(url)
    monkeypatch.setenv("SURVEY_DATABASE_URL", url)
    yield url
    if backend == "sqlite":
        database.get_engine(url).dispose()


def _load_demo(backend, request, tmp_path_factory, name: str, end: date) -> dict:
    from survey import demo

    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp(name) / 'demo.db'}"
    else:
        url = request.getfixturevalue("postgres_databases").create(name)
    truth_path = tmp_path_factory.mktemp("truth") / f"{name}_truth_{backend}.json"
    database.upgrade(url)
    summary = demo.generate(url, seed=DEMO_SEED, responses=DEMO_RESPONSES, end=end, truth_path=truth_path)
    return {"url": url, "truth": json.loads(truth_path.read_text(encoding="utf-8")), "summary": summary}


@pytest.fixture(scope="session")
def demo_database(backend, request, tmp_path_factory) -> dict:
    """The demo data ending today (read-only for tests) and its ground truth, per backend."""
    return _load_demo(backend, request, tmp_path_factory, "demo", DEMO_END)


@pytest.fixture(scope="session")
def fixed_demo_database(backend, request, tmp_path_factory) -> dict:
    """The demo data ending on FIXED_DEMO_END (read-only), for ground-truth checks."""
    return _load_demo(backend, request, tmp_path_factory, "fixeddemo", FIXED_DEMO_END)


@pytest.fixture
def demo_url(demo_database, monkeypatch) -> str:
    monkeypatch.setenv("SURVEY_DATABASE_URL", demo_database["url"])
    return demo_database["url"]


@pytest.fixture
def live_app(db_url, tmp_path):
    """A running server on an empty migrated database; returns a LiveApp (stopped afterwards)."""
    database.dispose_engines()
    app = LiveApp(server_env(db_url, tmp_path / "server"), free_port())
    try:
        app.wait_healthy()
        yield app
    finally:
        app.stop()


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        message = "real-browser tests need Debian's chromium package (apt-get install -y chromium)"
        pytest.fail(message) if os.environ.get("SURVEY_REQUIRE_BROWSER") == "1" else pytest.skip(message)
    return path


@pytest.fixture
def browser_page(chromium_path):
    """A Playwright page in headless Debian chromium (Playwright cannot download browsers here)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-quic",
                "--no-first-run",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")  # Chinese staff
        page.set_default_timeout(60_000)  # a 2-core CI machine under load can take tens of seconds per rerun
        try:
            yield page
        finally:
            browser.close()


@pytest.fixture
def fixed_demo_url(fixed_demo_database, monkeypatch) -> str:
    monkeypatch.setenv("SURVEY_DATABASE_URL", fixed_demo_database["url"])
    return fixed_demo_database["url"]
