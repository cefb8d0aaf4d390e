"""The metrics rollup: per-level counts and score moments that every dashboard reads.

``refresh()`` brings the rollup tables (``survey.models.insight``) up to date and returns
the data version (the newest ``rollupbatch`` id), which dashboard caches are keyed on.
It is cheap when nothing is new (an index probe and a small index scan), so pages call it
before they read.

Responses: each response carries ``rollup_batch`` (NULL until counted).  A refresh
inserts a ``rollupbatch`` row and claims every uncounted response with one
``UPDATE response SET rollup_batch = :batch WHERE rollup_batch IS NULL``, then adds the
answers of exactly the responses it claimed into ``answerdaily``, ``answerweekly`` and ``momentsdaily``
(``INSERT ... SELECT ... ON CONFLICT DO UPDATE`` adds to existing cells), all in one
transaction.  A response committed after the claim (a late-committing writer: the link
page, an agent, an import, the demo loader) keeps NULL and is claimed by the next refresh,
so nothing is missed or counted twice, whichever process wrote it.  On PostgreSQL an
advisory transaction lock serialises refreshers of several app processes; on SQLite the
claim takes the database's write lock.  A response and its answers must be committed
together (``survey.collect.responses.record_response`` does); a writer that changes or deletes
answers of a counted response must call ``rebuild()``.

Invitations change status after they are sent, so their counts are not added up but
rewritten for the recent days in which a status can still change (the longest campaign
expiry plus two days), and only when those days' invitations changed (a count and newest
sent time per status, read from an index), checked at most once a minute per process.
Older days are settled; an import of old invitations needs ``rebuild()``.

Grain: the local day (``Response.answered_on``; an invitation's sent time in
SURVEY_TIMEZONE), so any date range is exact; each row also carries its ISO week and
month for grouping.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from time import monotonic
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from survey.core import db as database
from survey.core.config import settings
from survey.models import (
    CROSS_COLUMNS,
    CROSS_PAIRS,
    GROUP_COLUMNS,
    LEVEL_COLUMNS,
    LEVELS,
    MOMENT_VARIABLES,
    SUM_COLUMNS,
    answer_daily,
    answer_weekly,
    invitation_daily,
    invitation_weekly,
    moments_daily,
    rollup_batch,
    utcnow,
)

log = logging.getLogger(__name__)

ADVISORY_LOCK = 726312  # survey.db's migration lock is 726311
REPEATED_FAULT_DAYS = 90  # a repeated-fault event this recent counts against a response
DIMENSION_VARIABLES = tuple(v for v in MOMENT_VARIABLES if v != "repeated_fault")
SETTLE_MARGIN_DAYS = 2  # beyond the longest expiry, a day's invitations no longer change
DEFAULT_EXPIRY_DAYS = 14
SQLITE_REFRESH_CACHE_KIB = 262_144  # 256 MiB
INVITATION_CHECK_SECONDS = 60
ANALYZE_AFTER_ROWS = 100_000  # PostgreSQL: refresh planner statistics after a bulk count
_invitations_checked: dict[str, float] = {}
_checked_lock = threading.Lock()
SQLITE_REFRESH_MMAP_BYTES = 2 * 1024**3


# ---------------------------------------------------------------- dialects


@dataclass(frozen=True)
class _Dialect:
    week: str  # Monday of the ISO week of a date expression {d}
    month: str  # first day of the month of {d}
    days_before: str  # timestamp {ts} minus {days} days
    local_day: str  # local calendar day of a UTC timestamp {ts}


_DIALECTS = {
    "sqlite": _Dialect(
        week="date({d}, 'weekday 0', '-6 days')",
        month="date({d}, 'start of month')",
        days_before="datetime({ts}, '-{days} days')",
        local_day="local_day({ts})",
    ),
    "postgresql": _Dialect(
        week="CAST(date_trunc('week', CAST({d} AS TIMESTAMP)) AS DATE)",
        month="CAST(date_trunc('month', CAST({d} AS TIMESTAMP)) AS DATE)",
        days_before="({ts} - INTERVAL '{days} days')",
        local_day="CAST(({ts} AT TIME ZONE :tz) AS DATE)",
    ),
}


def _dialect(conn: Connection) -> _Dialect:
    return _DIALECTS[conn.dialect.name]


def _sqlite_local_day(zone: ZoneInfo):
    """SQLite has no time zones: the local calendar day of a stored UTC timestamp."""

    def local_day(text: str | None) -> str | None:
        if text is None:
            return None
        return datetime.fromisoformat(text).replace(tzinfo=UTC).astimezone(zone).date().isoformat()

    return local_day


@contextmanager
def _refreshing(engine: sa.Engine) -> Iterator[Connection]:
    """A transaction for a refresh: serialised on PostgreSQL; on SQLite with the local-day
    function and, while it lasts, a page cache and memory map big enough for the scans of a
    first build (a pooled connection gets its small defaults back afterwards)."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK})
            yield conn
            return
        raw = conn.connection.driver_connection
        raw.create_function("local_day", 1, _sqlite_local_day(settings().timezone), deterministic=True)
        conn.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_REFRESH_CACHE_KIB}")
        conn.exec_driver_sql(f"PRAGMA mmap_size={SQLITE_REFRESH_MMAP_BYTES}")
        try:
            yield conn
        finally:
            conn.exec_driver_sql("PRAGMA cache_size=-2000")
            conn.exec_driver_sql("PRAGMA mmap_size=0")


# ---------------------------------------------------------------- SQL


def _keys(columns: tuple[str, ...]) -> str:
    return ", ".join(columns)


def _added(table: str, columns: tuple[str, ...]) -> str:
    return ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in columns)


ANSWER_KEYS = ("question_code", "day", "survey_id", "item_code", *GROUP_COLUMNS)
MOMENT_KEYS = ("survey_id", "day", "answered", *GROUP_COLUMNS)
SNAPSHOT = ", ".join(f"COALESCE(r.{c}, '')" for c in GROUP_COLUMNS)


WEEKLY_KEYS = ("question_code", "week", "survey_id", "item_code", *GROUP_COLUMNS)


@cache
def _answers_sql(name: str) -> tuple[str, ...]:
    """The batch's answers counted per day and group into a temporary table, then added to
    the daily and weekly counts."""
    d = _DIALECTS[name]
    levels = ", ".join(f"SUM(CASE WHEN a.value_num = {k} THEN 1 ELSE 0 END) AS n{k}" for k in LEVELS)
    summed = ", ".join(f"SUM({c})" for c in LEVEL_COLUMNS)
    return (
        f"""CREATE TEMPORARY TABLE batch_answers AS
SELECT a.question_code AS question_code, r.answered_on AS day, r.survey_id AS survey_id,
       COALESCE(a.item_code, '') AS item_code, {", ".join(f"COALESCE(r.{c}, '') AS {c}" for c in GROUP_COLUMNS)},
       {d.week.format(d="r.answered_on")} AS week, {d.month.format(d="r.answered_on")} AS month, {levels}
FROM response r JOIN answer a ON a.response_id = r.id
WHERE r.rollup_batch = :batch AND a.value_num IS NOT NULL
GROUP BY a.question_code, r.answered_on, r.survey_id, COALESCE(a.item_code, ''), {SNAPSHOT}""",
        f"""INSERT INTO answerdaily ({_keys(ANSWER_KEYS)}, week, month, {_keys(LEVEL_COLUMNS)})
SELECT {_keys(ANSWER_KEYS)}, week, month, {_keys(LEVEL_COLUMNS)} FROM batch_answers WHERE true
ON CONFLICT ({_keys(ANSWER_KEYS)}) DO UPDATE SET {_added("answerdaily", LEVEL_COLUMNS)}""",
        f"""INSERT INTO answerweekly ({_keys(WEEKLY_KEYS)}, {_keys(LEVEL_COLUMNS)})
SELECT {_keys(WEEKLY_KEYS)}, {summed} FROM batch_answers WHERE true GROUP BY {_keys(WEEKLY_KEYS)}
ON CONFLICT ({_keys(WEEKLY_KEYS)}) DO UPDATE SET {_added("answerweekly", LEVEL_COLUMNS)}""",
        "DROP TABLE batch_answers",
    )


@cache
def _moments_sql(name: str) -> str:
    """Per response: the 0-100 score of each dimension (the mean of its rating questions),
    the overall score and the repeated-fault flag; per cell: n, sums and cross-products."""
    d = _DIALECTS[name]
    score = "(a.value_num - q.scale_min) * 100.0 / (q.scale_max - q.scale_min)"
    dimensions = ", ".join(f"'{v}'" for v in DIMENSION_VARIABLES)
    per_dimension = ",\n       ".join(
        f"AVG(CASE WHEN q.dimension = '{v}' THEN {score} END) AS v_{v}" for v in DIMENSION_VARIABLES
    )
    recent = d.days_before.format(ts="s.submitted_at", days=REPEATED_FAULT_DAYS)
    mask = " + ".join(f"(CASE WHEN v_{v} IS NULL THEN 0 ELSE {1 << i} END)" for i, v in enumerate(MOMENT_VARIABLES))
    sums = ", ".join(f"SUM(COALESCE(v_{v}, 0))" for v in MOMENT_VARIABLES)
    cross = ", ".join(f"SUM(COALESCE(v_{MOMENT_VARIABLES[i]} * v_{MOMENT_VARIABLES[j]}, 0))" for i, j in CROSS_PAIRS)
    snapshot_columns = ", ".join(f"COALESCE(r.{c}, '') AS {c}" for c in GROUP_COLUMNS)
    return f"""
WITH scores AS (
  SELECT r.id, r.answered_on, r.survey_id, {snapshot_columns}, r.customer_id, r.submitted_at,
       {per_dimension}
  FROM response r
  JOIN answer a ON a.response_id = r.id
  JOIN question q ON q.version_id = r.version_id AND q.code = a.question_code
  WHERE r.rollup_batch = :batch AND a.value_num IS NOT NULL AND a.item_code IS NULL AND q.type = 'rating'
        AND q.dimension IN ({dimensions}) AND q.scale_max > q.scale_min
  GROUP BY r.id, r.answered_on, r.survey_id, {SNAPSHOT}, r.customer_id, r.submitted_at
), flagged AS MATERIALIZED (
  SELECT s.*, CASE WHEN s.customer_id IS NULL THEN NULL
                   WHEN EXISTS (SELECT 1 FROM serviceevent e WHERE e.customer_id = s.customer_id
                                AND e.repeated_fault AND e.occurred_at <= s.submitted_at
                                AND e.occurred_at >= {recent}) THEN 0.0
                   ELSE 100.0 END AS v_repeated_fault
  FROM scores s
), masked AS (
  SELECT f.*, {mask} AS answered FROM flagged f
)
INSERT INTO momentsdaily ({_keys(MOMENT_KEYS)}, week, month, n, {_keys(SUM_COLUMNS + CROSS_COLUMNS)})
SELECT survey_id, answered_on, answered, {_keys(GROUP_COLUMNS)},
       {d.week.format(d="answered_on")}, {d.month.format(d="answered_on")}, COUNT(*), {sums}, {cross}
FROM masked
WHERE true
GROUP BY survey_id, answered_on, answered, {_keys(GROUP_COLUMNS)}
ON CONFLICT ({_keys(MOMENT_KEYS)}) DO UPDATE SET {_added("momentsdaily", ("n", *SUM_COLUMNS, *CROSS_COLUMNS))}"""


@cache
def _invitations_sql(name: str) -> str:
    d = _DIALECTS[name]
    return f"""
INSERT INTO invitationdaily (day, survey_id, {_keys(GROUP_COLUMNS)}, week, month, delivered, completed)
SELECT day, survey_id, {_keys(GROUP_COLUMNS)}, {d.week.format(d="day")}, {d.month.format(d="day")},
       SUM(CASE WHEN status NOT IN ('failed', 'superseded') THEN 1 ELSE 0 END),
       SUM(CASE WHEN status = 'completed' THEN 1 ELSE 0 END)
FROM (
  SELECT {d.local_day.format(ts="i.sent_at")} AS day, c.survey_id, i.status,
         COALESCE(cu.region, '') AS region, COALESCE(cu.tier, '') AS tier,
         COALESCE(e.touch_point, '') AS touch_point, COALESCE(cu.segment, '') AS segment
  FROM invitation i
  JOIN campaign c ON c.id = i.campaign_id
  JOIN customer cu ON cu.id = i.customer_id
  LEFT JOIN serviceevent e ON e.id = i.event_id
  WHERE i.sent_at >= :since
) x
WHERE true
GROUP BY day, survey_id, {_keys(GROUP_COLUMNS)}"""


# ---------------------------------------------------------------- refresh


def data_version(conn: Connection) -> int:
    return int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(rollup_batch.c.id), 0))).scalar_one())


def refresh(url: str | None = None, *, invitations_now: bool = False) -> int:
    """Count new responses and re-count recent invitations that changed; returns the data version.

    New responses are counted at every call.  Invitations are checked for changes at most
    once every INVITATION_CHECK_SECONDS per process (or at once with ``invitations_now``):
    the check reads the recent part of the invitation index, and while sending goes on the
    rows it reads are the ones being updated, so on PostgreSQL it costs a heap visit each.
    Response rates may therefore lag up to that long."""
    engine = database.get_engine(url)
    with engine.connect() as conn:
        pending = conn.execute(sa.text("SELECT 1 FROM response WHERE rollup_batch IS NULL LIMIT 1")).first()
    if pending:
        _count_new_responses(engine)
    key = engine.url.render_as_string(hide_password=True)
    with _checked_lock:
        due = (
            invitations_now
            or monotonic() - _invitations_checked.get(key, -INVITATION_CHECK_SECONDS) >= INVITATION_CHECK_SECONDS
        )
        if due:
            _invitations_checked[key] = monotonic()
    if due:
        _recount_recent_invitations(engine)
    with engine.connect() as conn:
        return data_version(conn)


def rebuild(url: str | None = None) -> int:
    """Recompute the whole rollup from the responses and invitations (after deleting or
    editing answers, or importing old invitations)."""
    engine = database.get_engine(url)
    with _refreshing(engine) as conn:
        for table in (answer_daily, answer_weekly, moments_daily, invitation_daily, invitation_weekly):
            conn.execute(table.delete())
        conn.execute(sa.text("UPDATE response SET rollup_batch = NULL WHERE rollup_batch IS NOT NULL"))
        conn.execute(rollup_batch.insert().values(kind="rebuild", at=utcnow(), rows=0))
    return refresh(url, invitations_now=True)


def _new_batch(conn: Connection, kind: str, **values) -> int:
    return int(
        conn.execute(
            rollup_batch.insert().values(kind=kind, at=utcnow(), rows=0, **values).returning(rollup_batch.c.id)
        ).scalar_one()
    )


def _count_new_responses(engine: sa.Engine) -> None:
    with _refreshing(engine) as conn:
        batch = _new_batch(conn, "responses")
        claimed = conn.execute(
            sa.text("UPDATE response SET rollup_batch = :batch WHERE rollup_batch IS NULL"), {"batch": batch}
        ).rowcount
        if not claimed:  # another process counted them first
            conn.execute(rollup_batch.delete().where(rollup_batch.c.id == batch))
            return
        name = conn.dialect.name
        for statement in _answers_sql(name):
            conn.execute(sa.text(statement), {"batch": batch})
        conn.execute(sa.text(_moments_sql(name)), {"batch": batch})
        conn.execute(rollup_batch.update().where(rollup_batch.c.id == batch).values(rows=claimed))
    if claimed >= ANALYZE_AFTER_ROWS:
        database.analyze(engine, "answerdaily", "answerweekly", "momentsdaily", "response")
    log.info("rollup: counted %s new responses (batch %s)", claimed, batch)


def _recount_recent_invitations(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        last = conn.execute(
            sa.select(rollup_batch.c.kind, rollup_batch.c.signature)
            .where(rollup_batch.c.kind.in_(("invitations", "rebuild")))
            .order_by(rollup_batch.c.id.desc())
            .limit(1)
        ).first()
        settled = _settled_before(conn)
        signature = _window_signature(conn, settled)
    if last and last.signature == signature:
        return
    # The first count, and the first after a rebuild, covers every day; later ones the unsettled days.
    window_start = None if last is None or last.kind == "rebuild" else settled
    with _refreshing(engine) as conn:
        deleted = invitation_daily.delete()
        if window_start is not None:
            deleted = deleted.where(invitation_daily.c.day >= window_start)
        conn.execute(deleted)
        statement = sa.text(_invitations_sql(conn.dialect.name)).bindparams(_SINCE)
        params = {"since": _utc_start(window_start)}
        if conn.dialect.name == "postgresql":
            params["tz"] = settings().timezone.key
        written = conn.execute(statement, params).rowcount
        _rewrite_invitation_weeks(conn, window_start)
        batch = _new_batch(conn, "invitations", window_start=window_start, signature=signature)
        conn.execute(rollup_batch.update().where(rollup_batch.c.id == batch).values(rows=written))
    if window_start is None:
        database.analyze(engine, "invitationdaily", "invitationweekly", "invitation")


def _rewrite_invitation_weeks(conn: Connection, window_start: date | None) -> None:
    """invitationweekly from invitationdaily for every week that holds a rewritten day."""
    first_week = None if window_start is None else window_start - timedelta(days=window_start.weekday())
    deleted = invitation_weekly.delete()
    if first_week is not None:
        deleted = deleted.where(invitation_weekly.c.week >= first_week)
    conn.execute(deleted)
    keys = [invitation_daily.c.week, invitation_daily.c.survey_id, *(invitation_daily.c[g] for g in GROUP_COLUMNS)]
    source = sa.select(*keys, sa.func.sum(invitation_daily.c.delivered), sa.func.sum(invitation_daily.c.completed))
    if first_week is not None:
        source = source.where(invitation_daily.c.week >= first_week)
    conn.execute(
        invitation_weekly.insert().from_select(
            ["week", "survey_id", *GROUP_COLUMNS, "delivered", "completed"], source.group_by(*keys)
        )
    )


def _settled_before(conn: Connection) -> date:
    """The first local day whose invitations may still change status."""
    longest = conn.execute(sa.text("SELECT MAX(expires_days) FROM campaign")).scalar()
    today = datetime.now(settings().timezone).date()
    return today - timedelta(days=int(longest or DEFAULT_EXPIRY_DAYS) + SETTLE_MARGIN_DAYS)


# Typed, so SQLite compares it in the text form SQLAlchemy stores timestamps in.
_SINCE = sa.bindparam("since", type_=sa.DateTime(timezone=True))


def _utc_start(day: date | None) -> datetime:
    if day is None:
        return datetime(1970, 1, 1, tzinfo=UTC)
    return datetime.combine(day, datetime.min.time(), settings().timezone).astimezone(UTC)


def _window_signature(conn: Connection, window_start: date) -> str:
    """What the unsettled days hold: per status, the number of invitations and the newest
    sent time (both read from the (sent_at, status) index alone).  A status change moves an
    invitation from one count to another, a new invitation adds one."""
    rows = conn.execute(
        sa.text(
            "SELECT status, COUNT(*), MAX(sent_at) FROM invitation WHERE sent_at >= :since GROUP BY status ORDER BY status"
        ).bindparams(_SINCE),
        {"since": _utc_start(window_start)},
    ).all()
    return json.dumps(
        {"from": window_start.isoformat(), "statuses": [[status, int(n), str(newest)] for status, n, newest in rows]}
    )
