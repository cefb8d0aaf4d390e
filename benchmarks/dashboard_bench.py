"""Time the executive dashboard at scale; prints one ``name: value`` line per figure.

    python benchmarks/dashboard_bench.py --responses 1000000 [--database URL] [--naive/--no-naive]

Without --database (or with an empty one) it builds the demo with N responses first (a
SQLite file in a temporary folder, removed afterwards).  A database that already holds
data is used as it is (migrated and its rollup brought up to date; nothing else is
written to it).

Figures (seconds unless named otherwise):
- rollup_build: counting every response into the rollup (once, after loading);
- refresh_noop: the refresh a page does before reading when nothing is new;
- cold_*: everything the executive page shows (``survey.insight.dashboard``), from the
  database with empty caches, for the default view, the weighted view and a filtered one;
  changes_cold: the analyses of the service-changes page;
- warm: a repeat view (refresh + the page's caches, as Streamlit serves it);
- naive: the same headline figures computed by loading every answer row into pandas;
- naive_over_cold: how many times slower the naive way is.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stats import compare
from survey.core import db as database
from survey.core.filters import Filters
from survey.insight import dashboard as insight
from survey.insight import impact as change_impact
from survey.insight import rollup
from survey.models import (
    answer_daily,
    answer_weekly,
    invitation_daily,
    moments_daily,
)


def say(name: str, value) -> None:
    print(f"{name}: {value:.4f}" if isinstance(value, float) else f"{name}: {value}", flush=True)


def timed(func) -> tuple[float, object]:
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result


def prepare(url: str, responses: int) -> None:
    from survey import demo

    database.upgrade(url)
    with database.get_engine(url).connect() as conn:
        existing = conn.execute(sa.text("SELECT COUNT(*) FROM response")).scalar()
    if existing:
        return
    truth = Path(tempfile.gettempdir()) / "dashboard_bench_truth.json"  # not beside the app's data
    seconds, _ = timed(
        lambda: demo.generate(url, seed=11, responses=responses, truth_path=truth, progress=lambda m: None)
    )
    say("demo_load_with_rollup", seconds)


def latest_day(url: str) -> date:
    with database.get_engine(url).connect() as conn:
        return pd.Timestamp(conn.execute(sa.select(sa.func.max(answer_daily.c.day))).scalar()).date()


def requests(end: date) -> dict[str, insight.Request]:
    quarter = end.replace(month=(end.month - 1) // 3 * 3 + 1, day=1)
    default = Filters(quarter, end)
    return {
        "default": insight.Request(default),
        "weighted": insight.Request(default, weighted=True),
        "filtered_monthly": insight.Request(
            Filters(end.replace(day=1), end, regions=("Hangzhou", "Ningbo"), tiers=("gold", "diamond")),
            metric="nps",
            grain="month",
        ),
    }


def cold(url: str, request: insight.Request) -> float:
    database.dispose_engines()
    seconds, _ = timed(lambda: _compute(url, request))
    return seconds


def _compute(url: str, request: insight.Request):
    rollup.refresh(url)
    return insight.dashboard(database.get_engine(url), request)


def warm(url: str, request: insight.Request, repeats: int = 5) -> float:
    """The page's path on a repeat view: refresh (nothing new) and the Streamlit caches."""
    from ui import insight as view

    def view_once():
        version = rollup.refresh(url)
        view.dashboard(url, version, request)
        view.impacts(url, version, ())

    view_once()
    return statistics.median(timed(view_once)[0] for _ in range(repeats))


def naive(url: str, request: insight.Request) -> float:
    """The headline figures from every answer row loaded into pandas (what the rollup avoids)."""

    def compute():
        with database.get_engine(url).connect() as conn:
            rows = pd.read_sql_query(
                sa.text(
                    "SELECT r.id, r.answered_on, r.survey_id, r.region, r.tier, r.touch_point, a.question_code, "
                    "a.value_num FROM response r JOIN answer a ON a.response_id = r.id WHERE a.value_num IS NOT NULL"
                ),
                conn,
            )
        rows["answered_on"] = pd.to_datetime(rows["answered_on"])
        periods = insight.Periods.of(request.filters)
        overall = rows[rows["question_code"] == "overall"]
        for period in (periods.current, periods.previous, periods.last_year):
            inside = overall[overall["answered_on"].between(pd.Timestamp(period.start), pd.Timestamp(period.end))]
            compare.proportion_interval(int((inside["value_num"] >= 4).sum()), len(inside))
            nps = rows[
                (rows["question_code"] == "nps")
                & rows["answered_on"].between(pd.Timestamp(period.start), pd.Timestamp(period.end))
            ]
            compare.nps_interval(nps["value_num"].to_numpy())
        weekly = overall.groupby(overall["answered_on"].dt.to_period("W"))["value_num"].agg(["mean", "count"])
        current = overall[overall["answered_on"] >= pd.Timestamp(periods.current.start)]
        for column in ("region", "tier", "touch_point"):
            groups = current.groupby(current[column].fillna(""))["value_num"]
            compare.versus_rest_from_counts(
                {g: np.bincount(v.astype(int), minlength=6)[1:] for g, v in groups},
                [1, 2, 3, 4, 5],
                metric="top_box",
                top_levels=[4, 5],
            )
        wide = rows[rows["tier"].isin(["diamond", "gold", "silver"])].pivot_table(
            index="id", columns="question_code", values="value_num", aggfunc="mean"
        )
        return weekly, wide.mean()

    seconds, _ = timed(compute)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--database", help="SQLAlchemy URL (default: a new SQLite file)")
    parser.add_argument(
        "--naive",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also time the naive way (loads every answer row: slow at 10^7)",
    )
    args = parser.parse_args()
    folder = tempfile.TemporaryDirectory() if args.database is None else None
    url = args.database or f"sqlite:///{Path(folder.name) / 'bench.db'}"
    prepare(url, args.responses)
    build, _ = timed(lambda: rollup.refresh(url))
    engine = database.get_engine(url)
    say("backend", engine.dialect.name)
    with engine.connect() as conn:
        say("responses", int(conn.execute(sa.text("SELECT COUNT(*) FROM response")).scalar()))
        for table in (answer_daily, answer_weekly, moments_daily, invitation_daily):
            say(f"rows_{table.name}", int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar()))
    say("rollup_build_remaining", build)
    say("refresh_noop", statistics.median(timed(lambda: rollup.refresh(url))[0] for _ in range(5)))
    end = latest_day(url)
    views = requests(end - timedelta(days=0))
    colds = {name: cold(url, request) for name, request in views.items()}
    colds = {name: min(seconds, cold(url, views[name])) for name, seconds in colds.items()}  # best of two
    for name, seconds in colds.items():
        say(f"cold_{name}", seconds)
    database.dispose_engines()
    changes, _ = timed(lambda: _changes(url))
    say("changes_cold", changes)
    say("warm", warm(url, views["default"]))
    if args.naive:
        seconds = naive(url, views["default"])
        say("naive", seconds)
        say("naive_over_cold", seconds / colds["default"])
    if folder is not None:
        database.dispose_engines()
        folder.cleanup()


def _changes(url: str):
    rollup.refresh(url)
    with database.get_engine(url).connect() as conn:
        return change_impact.analyse_all(conn)


if __name__ == "__main__":
    main()
