"""The routes and start-up hook that app.py hands to ``st.App``."""

from __future__ import annotations

import logging
import sys

import anyio
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from survey import bootstrap
from survey.core import db as database
from survey.web import respondent, staff_auth

log = logging.getLogger(__name__)


async def healthz(_request: Request) -> JSONResponse:
    try:
        await anyio.to_thread.run_sync(database.check_connection)
    except database.DatabaseError as exc:
        return JSONResponse({"status": "error", "database": "unreachable", "detail": str(exc)}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})


def routes() -> list[BaseRoute]:
    return [Route("/healthz", healthz, methods=["GET"]), *staff_auth.routes(), *respondent.routes()]


def middleware() -> list[Middleware]:
    return [Middleware(staff_auth.StaffGate)]


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
