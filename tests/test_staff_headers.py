"""The staff app's security headers (survey/web/headers.py) without a browser; the browser
check that the policy blocks a remote image and lets Streamlit draw is tests/e2e/test_staff_csp.py."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.testclient import TestClient

from survey.web.app import middleware, routes
from survey.web.headers import inline_script_hashes, staff_policy, streamlit_index


def directives(policy: str) -> dict[str, list[str]]:
    return {name: values for name, *values in (part.split() for part in policy.split(";") if part.strip())}


def test_the_staff_policy_loads_nothing_from_another_host_and_allows_streamlits_own_inline_script():
    policy = directives(staff_policy())
    assert policy["img-src"] == ["'self'", "data:", "blob:"]
    assert policy["default-src"] == ["'self'"] and policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'self'"] and policy["form-action"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
    index = streamlit_index()
    assert index is not None
    hashes = inline_script_hashes(index.read_text(encoding="utf-8"))
    assert hashes and set(hashes) <= set(policy["script-src"])


def test_every_answer_gets_the_policy_and_a_plain_route_keeps_its_stricter_one(db_url):
    client = TestClient(Starlette(routes=routes(), middleware=middleware()))
    health = client.get("/healthz")  # an answer with no policy of its own, as Streamlit's page
    assert health.headers["content-security-policy"] == staff_policy()
    assert health.headers["referrer-policy"] == "same-origin"
    login = client.get("/login")
    assert login.headers["content-security-policy"].startswith("default-src 'none'")
    assert len(login.headers.get_list("content-security-policy")) == 1
