"""Measure the personal link page: what it weighs and the server time per view and per submission.

Run:  /work/venv/bin/python benchmarks/link_page_bench.py [--database postgresql://postgres@127.0.0.1:5432/test]
      [--links 200]

Without --database it runs on a fresh SQLite file; with a PostgreSQL URL it creates a scratch
database on that server and drops it afterwards. The page is the ten-question yardstick of the
tests (six 0-10 scales, a multiple choice, a matrix, a single choice, a comment, long texts);
each link is viewed once and answered once through Starlette's TestClient, in process, so the
times are the server's (routing, database, validation, rendering) without a network. The page
should be the only request a customer's browser makes (inline CSS, no script, no image):
``link_page_subresources`` counts anything else the HTML would fetch.
Prints one ``name: value`` line per figure; times are milliseconds.
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scratch import scratch_database

from survey.core import db as database
from survey.design.definitions import create_survey
from survey.distribution.personal_links import create_personal_link
from tests.respondent_support import TEN_ANSWERS, answer, client, customer, ten_question_definition

SUBRESOURCE = re.compile(r"<(?:script|img|iframe|video|audio)\b|<link\b(?![^>]*data:)|url\(", re.I)


def personal_links(count: int) -> list[str]:
    with database.session() as db:
        create_survey(db, ten_question_definition(), publish=True)
        tokens = []
        for number in range(count):
            customer(db, f"B{number:05d}", with_event=number % 2 == 0)
            tokens.append(create_personal_link(db, "ten-questions", f"B{number:05d}")[0].token)
    return tokens


def timed(action) -> tuple[float, object]:
    start = time.perf_counter()
    result = action()
    return (time.perf_counter() - start) * 1000, result


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="a PostgreSQL server URL (default: a SQLite file)")
    parser.add_argument("--links", type=int, default=200, help="links to view and answer")
    args = parser.parse_args()
    url, drop = scratch_database(args.database)
    os.environ["SURVEY_DATABASE_URL"] = url
    try:
        database.upgrade(url)
        tokens = personal_links(args.links)
        browser = client()
        browser.get(f"/s/{tokens[0]}")  # warm up imports, templates and the pool
        views, pages = zip(*(timed(lambda t=t: browser.get(f"/s/{t}")) for t in tokens[1:]), strict=True)
        submissions = [
            timed(lambda t=t, p=p: answer(browser, f"/s/{t}", p.text, TEN_ANSWERS))[0]
            for t, p in zip(tokens[1:], pages, strict=True)
        ]
        html = pages[0].content
        assert all(p.status_code == 200 for p in pages)
        backend = database.get_engine(url).dialect.name
        print(f"backend: {backend}")
        print(f"link_page_questions: {pages[0].text.count('<fieldset')}")
        print(f"link_page_html_bytes: {len(html)}")
        print(f"link_page_gzip_bytes: {len(gzip.compress(html))}")
        print(f"link_page_subresources: {len(SUBRESOURCE.findall(pages[0].text))}")
        print(f"page_view_ms_median: {statistics.median(views):.1f}")
        print(f"page_view_ms_p95: {percentile(list(views), 0.95):.1f}")
        print(f"submission_ms_median: {statistics.median(submissions):.1f}")
        print(f"submission_ms_p95: {percentile(submissions, 0.95):.1f}")
    finally:
        database.dispose_engines()
        drop()


if __name__ == "__main__":
    main()
