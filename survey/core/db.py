"""The one place that owns database connections: engine, sessions, migrations.

SQLite (the default file under data/) runs in WAL mode with foreign keys and a busy
timeout; PostgreSQL is reached through psycopg 3 when SURVEY_DATABASE_URL says so. Plain
``postgresql://`` URLs are accepted and mapped to the psycopg driver.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlmodel import Session

from survey.core.config import settings
from survey.core.errors import SurveyError


class DatabaseError(SurveyError):
    """A database problem worth one clear line to the user (never a traceback)."""


class DatabaseConfigError(DatabaseError):
    pass


class DatabaseUnavailable(DatabaseError):
    pass


_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()
MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000


def normalise_url(url: str) -> sa.URL:
    """Parse and check a database URL; map postgres URLs onto psycopg 3."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseConfigError(
            f"SURVEY_DATABASE_URL is malformed ({exc}); expected e.g. "
            "sqlite:///data/survey.db or postgresql://user@host:5432/dbname"
        ) from None
    backend = parsed.get_backend_name()
    if backend in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    elif backend != "sqlite":
        raise DatabaseConfigError(
            f"SURVEY_DATABASE_URL uses '{parsed.drivername}': only sqlite and postgresql are supported"
        )
    return parsed


def _on_sqlite_connect(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _build_engine(url: sa.URL) -> Engine:
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        sa.event.listen(engine, "connect", _on_sqlite_connect)
        return engine
    return sa.create_engine(
        url,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=10,
        connect_args={"connect_timeout": 5},
    )


def get_engine(url: str | None = None) -> Engine:
    """The process-wide engine for `url` (default: SURVEY_DATABASE_URL or data/survey.db)."""
    raw = url or settings().database_url
    with _engines_lock:
        engine = _engines.get(raw)
        if engine is None:
            engine = _engines[raw] = _build_engine(normalise_url(raw))
        return engine


def dispose_engines() -> None:
    """Close every pooled connection (tests, and after forking)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


@contextmanager
def session(url: str | None = None, *, exclusive: bool = False) -> Iterator[Session]:
    """A unit of work: commits on success, rolls back on error.

    ``exclusive`` is for read-then-write steps that must not interleave (one response per
    invitation): on SQLite it takes the write lock first (BEGIN IMMEDIATE), because a deferred
    transaction that has read fails at once, instead of waiting, when another writer got in
    between. On PostgreSQL, lock the rows you read instead (SELECT ... FOR UPDATE).
    """
    with Session(get_engine(url), expire_on_commit=False) as db:
        if exclusive and db.get_bind().dialect.name == "sqlite":
            db.connection().exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield db
            db.commit()
        except BaseException:
            db.rollback()
            raise


def exclusive_session(url: str | None = None):
    """``session(url, exclusive=True)``."""
    return session(url, exclusive=True)


def check_connection(url: str | None = None) -> None:
    """Raise DatabaseUnavailable with a readable reason when the database cannot be reached."""
    engine = get_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseUnavailable(
            f"cannot reach the database at {engine.url.render_as_string(hide_password=True)}: {reason}"
        ) from None
    except SQLAlchemyError as exc:
        raise DatabaseUnavailable(
            f"database error at {engine.url.render_as_string(hide_password=True)}: {exc}"
        ) from None


def unavailable_reason(exc: Exception) -> str:
    """Why the database could not be reached, as one log line: the driver's message goes on
    with hints meant for a person at a terminal, and a traceback says nothing more."""
    return (str(exc).strip().splitlines() or [""])[0]


def is_postgres(url: str | None = None) -> bool:
    return get_engine(url).dialect.name == "postgresql"


def analyze(engine: Engine, *tables: str) -> None:
    """Refresh PostgreSQL's planner statistics after a bulk load (a demo, a first rollup
    build, a large import): until autovacuum gets to it, a table loaded by COPY looks empty
    or tiny to the planner, which then picks slow plans. (SQLite plans by rule; nothing to do.)"""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("ANALYZE " + ", ".join(f'"{name}"' for name in tables)))


def upsert_insert(db: Session):
    """The dialect's INSERT construct, which offers on_conflict_do_nothing / _do_update."""
    from sqlalchemy.dialects import postgresql, sqlite

    return (postgresql if db.get_bind().dialect.name == "postgresql" else sqlite).insert


# ---------------------------------------------------------------- migrations


def alembic_config(url: str | None = None):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = get_engine(url)
    return config


def upgrade(url: str | None = None) -> None:
    """Bring the schema to the newest migration.

    On PostgreSQL an advisory lock serialises app processes that start together, so two
    of them never race to create the same tables.
    """
    from alembic import command

    check_connection(url)
    engine = get_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT pg_advisory_lock(726311)"))
            try:
                _run_upgrade(command, url, conn)
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(726311)"))
                conn.commit()
    else:
        with engine.begin() as conn:
            _run_upgrade(command, url, conn)


def _run_upgrade(command, url: str | None, conn) -> None:
    config = alembic_config(url)
    config.attributes["connection"] = conn
    command.upgrade(config, "head")
    conn.commit()


def current_revisions(url: str | None = None) -> set[str]:
    from alembic.runtime.migration import MigrationContext

    with get_engine(url).connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def head_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(alembic_config()).get_heads())
