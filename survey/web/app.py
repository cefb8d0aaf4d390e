"""The routes and start-up hook that app.py hands to ``st.App``."""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from survey import bootstrap
from survey.accounts import service as accounts
from survey.accounts import sessions as staff_sessions
from survey.core import db as database
from survey.core.vocab import Role
from survey.web import respondent, staff_auth
from survey.web.headers import StaffPageHeaders

log = logging.getLogger(__name__)


async def healthz(request: Request) -> JSONResponse:
    """The status for anyone (a load balancer, a monitor); where the database is only for a
    signed-in admin: host, port, user and database name help an attacker, not a monitor. The
    reason of a failure goes to the log."""
    try:
        await anyio.to_thread.run_sync(database.check_connection)
    except database.DatabaseError as exc:
        log.warning("healthz: %s", exc)
        return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
    report = {"status": "ok", "database": "ok"}
    if await anyio.to_thread.run_sync(_signed_in_admin, request.cookies.get(staff_sessions.COOKIE_NAME)):
        engine = database.get_engine()
        report |= {"backend": engine.dialect.name, "url": engine.url.render_as_string(hide_password=True)}
    return JSONResponse(report)


def _signed_in_admin(token: str | None) -> bool:
    try:
        user = accounts.session_user(token)
    except staff_auth.DATABASE_DOWN:
        return False
    return user is not None and user.role == Role.ADMIN


def routes() -> list[BaseRoute]:
    return [Route("/healthz", healthz, methods=["GET"]), *staff_auth.routes(), *respondent.routes()]


def middleware() -> list[Middleware]:
    # Outermost first: the security headers go on every answer, the gate's redirects included.
    return [Middleware(StaffPageHeaders), Middleware(staff_auth.StaffGate)]


def prepare_or_exit() -> None:
    """Migrate (and load demo data into an empty database) before serving anyone.

    Runs while app.py is imported, before the server starts: a bad or unreachable
    SURVEY_DATABASE_URL stops it with one line naming the problem (an exception inside the
    ASGI lifespan would be printed with a traceback).
    """
    try:
        bootstrap.prepare()
    except database.DatabaseError as exc:
        print(f"survey: cannot start: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(2) from None


@asynccontextmanager
async def lifespan(_app) -> AsyncIterator[None]:
    """Start the scheduler with the server (unless SURVEY_SCHEDULER=off), stop it with the server."""
    from survey.core.config import settings
    from survey.jobs.scheduler import BackgroundScheduler

    _log_to_server_output()
    runner = BackgroundScheduler().start() if settings().scheduler else None
    try:
        yield
    finally:
        if runner is not None:
            await anyio.to_thread.run_sync(runner.stop)


def _log_to_server_output() -> None:
    """The product's own INFO lines (each scheduled run) go to the server's output, as Streamlit's do."""
    product = logging.getLogger("survey")
    if not product.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        product.addHandler(handler)
        product.setLevel(logging.INFO)
