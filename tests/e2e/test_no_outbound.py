"""An on-premises install calls no third party: `streamlit run app.py` as an operator starts it
(only the repository's .streamlit/config.toml, no test flags), and a real browser through the
staff pages, with every request to a host other than this machine recorded and refused.

The server's own outbound HTTP goes through a recording proxy (HTTP_PROXY / HTTPS_PROXY, which
the requests library that Streamlit uses obeys), so a look-up of the external address shows up
as a request there instead of leaving the machine."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from survey import demo
from survey.core import db as database
from tests.support import APP_READY, LiveApp, free_port, server_env, staff_sign_in

pytestmark = pytest.mark.slow
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
PAGES = ("/", "/executive", "/changes", "/cases", "/themes", "/campaigns", "/design", "/audit")


class RecordingProxy:
    """An HTTP proxy that forwards nothing: it records what it was asked for and answers 502."""

    def __init__(self):
        self.requests: list[str] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _refuse(self):
                proxy.requests.append(f"{self.command} {self.path}")
                self.send_response(502)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = do_HEAD = do_CONNECT = _refuse

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def __enter__(self) -> RecordingProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def operator_app(db_url, tmp_path):
    """The product on a small demo, started the way an operator starts it, behind the proxy."""
    demo.generate(db_url, seed=2, responses=600)
    database.dispose_engines()
    with RecordingProxy() as proxy:
        env = server_env(
            db_url,
            tmp_path / "server",
            HTTP_PROXY=proxy.url,
            HTTPS_PROXY=proxy.url,
            http_proxy=proxy.url,
            https_proxy=proxy.url,
            NO_PROXY="127.0.0.1,localhost",
            no_proxy="127.0.0.1,localhost",
        )
        app = LiveApp(env, free_port(), flags=())
        try:
            app.wait_healthy()
            yield app, proxy
        finally:
            app.stop()


def test_the_server_and_the_staff_pages_make_no_outbound_request(operator_app, browser_page):
    app, proxy = operator_app
    page = browser_page
    outbound: list[str] = []

    def refuse_other_hosts(route):
        host = urlsplit(route.request.url).hostname or ""
        if route.request.url.startswith(("data:", "blob:")) or host in LOCAL_HOSTS:
            route.continue_()
        else:
            outbound.append(route.request.url)
            route.abort()

    page.route("**/*", refuse_other_hosts)
    staff_sign_in(page, app.base_url, "admin", "admin-demo")
    for path in PAGES:
        page.goto(app.base_url + path)
        page.wait_for_selector(APP_READY)
        page.wait_for_load_state("networkidle")
    favicon = page.locator("link[rel='shortcut icon']").get_attribute("href")
    assert favicon.startswith(app.base_url) or not favicon.startswith(("http:", "https:", "//")), favicon
    assert outbound == []
    assert proxy.requests == [], "the server asked a third party for something"
    assert "External URL" not in app.log()
