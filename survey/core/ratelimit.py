"""A fixed-window rate limit kept in the database, so it holds across app processes."""

from __future__ import annotations

import time

import sqlalchemy as sa
from sqlmodel import Session, col

from survey.core.db import upsert_insert
from survey.models import RateCounter

KEEP_SECONDS = 2 * 24 * 3600


def allow(db: Session, key: str, limit: int, window_seconds: int, *, now: float | None = None) -> bool:
    """Count one hit for ``key``; False once it has had more than ``limit`` in this window.

    One atomic upsert per hit, so concurrent requests in several processes count exactly.
    """
    moment = int(time.time() if now is None else now)
    window_start = _window_start(moment, window_seconds)
    statement = upsert_insert(db)(RateCounter).values(key=key[:200], window_start=window_start, hits=1)
    statement = statement.on_conflict_do_update(
        index_elements=["key", "window_start"],
        set_={"hits": RateCounter.hits + 1},
    ).returning(RateCounter.hits)
    hits = db.execute(statement).scalar_one()
    if hits == 1:  # a new window began for this key: a good moment to drop old counters
        db.execute(sa.delete(RateCounter).where(col(RateCounter.window_start) < moment - KEEP_SECONDS))
    return hits <= limit


def forgive(db: Session, key: str, window_seconds: int, *, now: float | None = None) -> None:
    """Take back one hit of ``key`` in this window: an attempt counted before it was known to
    be harmless (a sign-in counts as failed until its password proves right)."""
    moment = int(time.time() if now is None else now)
    db.execute(
        sa.update(RateCounter)
        .where(
            col(RateCounter.key) == key[:200],
            col(RateCounter.window_start) == _window_start(moment, window_seconds),
            col(RateCounter.hits) > 0,
        )
        .values(hits=RateCounter.hits - 1)
    )


def seconds_left(window_seconds: int, *, now: float | None = None) -> int:
    """How long until the current window ends (what to tell someone who must wait for it)."""
    moment = int(time.time() if now is None else now)
    return window_seconds - moment % window_seconds


def _window_start(moment: int, window_seconds: int) -> int:
    return moment - moment % window_seconds
