"""Bulk loading: millions of rows in seconds, on SQLite and PostgreSQL.

The ORM inserts rows one object at a time; for the demo generator and large imports we write
plain tuples instead: ``executemany`` on SQLite, ``COPY ... FROM STDIN`` on PostgreSQL. Ids are
assigned by the caller (so rows can reference each other without a round trip), and
PostgreSQL's id sequences are moved past them at the end.

Values must already be in storage form: datetimes as ``datetime_text`` strings (UTC), dates
as ISO strings, JSON as text, booleans as bool.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from itertools import islice

import numpy as np
from sqlalchemy.engine import Engine
from sqlalchemy.pool import PoolProxiedConnection

CHUNK_ROWS = 50_000


def datetime_text(values: np.ndarray, postgres: bool) -> list[str]:
    """numpy datetime64 (UTC) -> the text each backend stores for an aware UTC timestamp.

    SQLAlchemy keeps aware datetimes on SQLite as naive UTC text; PostgreSQL's timestamptz
    takes an explicit +00 offset.
    """
    text = np.char.replace(np.datetime_as_string(values.astype("datetime64[us]"), unit="us"), "T", " ")
    if postgres:
        text = np.char.add(text, "+00")
    return text.tolist()


def nullable_datetime_text(values: np.ndarray, present: np.ndarray, postgres: bool) -> list[str | None]:
    text = datetime_text(values, postgres)
    return [t if keep else None for t, keep in zip(text, present.tolist())]


def stored_datetime(value: datetime, postgres: bool) -> str:
    """One aware datetime in the text each backend stores (see ``datetime_text``)."""
    text = value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return text + "+00" if postgres else text


def write_rows(connection, postgres: bool, table: str, columns: Sequence[str], rows: Iterable[tuple]) -> int:
    """Write rows through a DBAPI connection, inside whatever transaction it is in (the caller
    commits): COPY on PostgreSQL, executemany on SQLite. Returns how many were written."""
    column_list = ", ".join(f'"{c}"' for c in columns)
    cursor = connection.cursor()
    written = 0
    try:
        if postgres:
            with cursor.copy(f'COPY "{table}" ({column_list}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
                    written += 1
        else:
            sql = f'INSERT INTO "{table}" ({column_list}) VALUES ({", ".join("?" * len(columns))})'
            iterator = iter(rows)
            while chunk := list(islice(iterator, CHUNK_ROWS)):
                cursor.executemany(sql, chunk)
                written += len(chunk)
    finally:
        cursor.close()
    return written


class BulkWriter:
    """Writes rows into tables inside one transaction; use as a context manager."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"
        self._conn: PoolProxiedConnection  # opened by __enter__
        self._tables: set[str] = set()

    def __enter__(self) -> BulkWriter:
        self._conn = self.engine.raw_connection()
        if not self.postgres:
            # A big page cache keeps index pages in memory while millions of rows go in;
            # synchronous=OFF is safe here because the load is one transaction that either
            # commits whole or leaves nothing behind.
            cursor = self._conn.cursor()
            cursor.execute("PRAGMA cache_size=-1048576")
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.close()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                if self.postgres:
                    self._reset_sequences()
                self._conn.commit()
            else:
                self._conn.rollback()
        finally:
            if not self.postgres:
                cursor = self._conn.cursor()
                cursor.execute("PRAGMA synchronous=NORMAL")
                cursor.execute("PRAGMA cache_size=-2000")
                cursor.close()
            self._conn.close()

    def next_id(self, table: str) -> int:
        cursor = self._conn.cursor()
        cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')
        row = cursor.fetchone()  # one row even for an empty table (COALESCE)
        cursor.close()
        return int(row[0]) + 1 if row else 1

    def insert(self, table: str, columns: Sequence[str], rows: Iterable[tuple]) -> int:
        """Insert `rows` (tuples in `columns` order); returns how many were written."""
        self._tables.add(table)
        return write_rows(self._conn, self.postgres, table, columns, rows)

    def _reset_sequences(self) -> None:
        cursor = self._conn.cursor()
        for table in self._tables:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                f'COALESCE((SELECT MAX(id) FROM "{table}"), 0) + 1, false)'
            )
        cursor.close()
