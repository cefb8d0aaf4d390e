"""A database for one benchmark run, removed afterwards: a SQLite file in a new folder, or a
uniquely named database on the given PostgreSQL server."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable

import sqlalchemy as sa

from survey.core import db as database


def scratch_database(server: str | None, prefix: str = "survey_bench") -> tuple[str, Callable[[], None]]:
    """(url, drop): ``drop()`` deletes a PostgreSQL database (a SQLite folder is the caller's)."""
    if server is None:
        return f"sqlite:///{tempfile.mkdtemp(prefix=prefix + '_')}/bench.db", lambda: None
    admin = sa.create_engine(database.normalise_url(server), isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        database.dispose_engines()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return database.normalise_url(server).set(database=name).render_as_string(hide_password=False), drop
