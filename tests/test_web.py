"""Plain routes served beside Streamlit: /healthz."""

from starlette.applications import Starlette
from starlette.testclient import TestClient

from survey.web.app import routes


def client():
    return TestClient(Starlette(routes=routes()))


def test_healthz_reports_a_reachable_database(db_url):
    response = client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_answers_503_when_the_database_is_down(monkeypatch):
    monkeypatch.setenv("SURVEY_DATABASE_URL", "postgresql://postgres@127.0.0.1:1/none")
    response = client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"
