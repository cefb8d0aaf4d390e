"""`streamlit run app.py` as a user starts it: first start on an empty database, health, bad URLs."""

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from sqlmodel import func, select

from survey.core import db as database
from survey.models import Response, User
from tests.support import PROJECT_ROOT, LiveApp, free_port, server_env


def get(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.headers.get("content-type", ""), response.read()


@pytest.mark.slow
def test_first_start_migrates_loads_demo_data_and_serves_health_and_ui(db_url, tmp_path):
    data_dir = tmp_path / "server"
    env = server_env(
        db_url, data_dir, SURVEY_AUTO_DEMO="1", SURVEY_DEMO_RESPONSES="1000", SURVEY_ADMIN_PASSWORD="first-admin-pw"
    )
    database.dispose_engines()
    app = LiveApp(env, free_port())
    try:
        app.wait_healthy()
        status, content_type, body = get(app.base_url + "/healthz")
        assert status == 200 and content_type.startswith("application/json")
        assert json.loads(body) == {"status": "ok", "database": "ok"}
        status, content_type, body = get(app.base_url + "/")
        assert status == 200 and b'<div id="root">' in body
    finally:
        app.stop()
    with database.session(db_url) as db:
        assert db.exec(select(func.count(Response.id))).one() == 1000
        assert db.exec(select(User).where(User.username == "admin")).one().role == "admin"
    truth = (
        Path(db_url.removeprefix("sqlite:///")).with_name("demo_truth.json")
        if db_url.startswith("sqlite")
        else data_dir / "demo_truth.json"
    )
    assert json.loads(truth.read_text(encoding="utf-8"))["counts"]["response"] == 1000


@pytest.mark.slow
@pytest.mark.parametrize(
    "url, expected",
    [
        ("postgresql://postgres@127.0.0.1:1/none", "cannot reach the database at postgresql"),
        ("this is not a url", "SURVEY_DATABASE_URL is malformed"),
    ],
)
def test_a_bad_database_url_stops_the_server_with_one_clear_line(tmp_path, url, expected):
    env = server_env(url, tmp_path)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(PROJECT_ROOT / "app.py"),
            "--server.headless",
            "true",
            "--server.port",
            str(free_port()),
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert expected in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
