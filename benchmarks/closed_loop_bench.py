"""Closed-loop timings on demo data: the first `survey cases run` (classify every comment,
evaluate the responses of the look-back window), a second run (nothing new), and streaming
exports of every response to CSV and Excel, with the process's peak memory.

    python benchmarks/closed_loop_bench.py [--responses 30000] [--database URL]

Prints `name: value` lines. Without --database a fresh SQLite file in a temporary folder is used.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=30_000)
    parser.add_argument("--database", default=None, help="an empty database URL (default: temporary SQLite)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="closed-loop-bench-"))
    url = args.database or f"sqlite:///{folder / 'bench.db'}"
    os.environ.update({"SURVEY_DATABASE_URL": url, "SURVEY_DATA_DIR": str(folder), "SURVEY_AUTO_DEMO": "0"})

    from survey import demo
    from survey.cases.rules import run_rules
    from survey.core import db as database
    from survey.core.filters import Filters
    from survey.privacy.export import write_export

    database.upgrade(url)
    demo.generate(url, responses=args.responses, truth_path=folder / "truth.json")
    print(f"responses: {args.responses}")
    began = time.perf_counter()
    first = run_rules(url)
    print(f"cases_run_first_seconds: {time.perf_counter() - began:.2f}")
    print(f"comments_classified: {first.comments_classified}")
    print(f"responses_evaluated: {first.evaluated}")
    print(f"cases_opened: {first.opened}")
    began = time.perf_counter()
    run_rules(url)
    print(f"cases_run_again_seconds: {time.perf_counter() - began:.2f}")
    for fmt in ("csv", "xlsx"):
        began = time.perf_counter()
        with database.session(url) as db:
            rows = write_export(db, Filters(), folder / f"all.{fmt}", fmt)
        seconds = time.perf_counter() - began
        print(f"export_{fmt}_seconds: {seconds:.2f}")
        print(f"export_{fmt}_rows_per_second: {rows / seconds:.0f}")
    print(f"peak_rss_mb: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")


if __name__ == "__main__":
    main()
