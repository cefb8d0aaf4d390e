"""Staff sign-in as plain routes, and the gate in front of the staff UI.

- ``GET /login`` a light sign-in form bound to this browser: the browser gets a random nonce in
  a cookie, and the form's signature covers that nonce. ``POST /login`` accepts only a form
  signed for the nonce the posting browser holds and sent from this site (Origin/Referer), so
  a form another site fetched cannot sign a victim's browser into the other site's account
  (login CSRF). It checks the password (throttled per account and per client address,
  survey.accounts.auth), starts a server-side session that replaces the browser's previous one,
  sets an HttpOnly cookie and returns to the page asked for.
- ``POST /logout``, from this site, ends the session and clears the cookie; a GET changes nothing
  (a link or an image elsewhere must not sign anyone out).
- ``StaffGate`` answers any browser page request for the staff UI without a valid session with
  a redirect to ``/login``: a visitor never receives the staff app, and a signed-in user keeps
  their session across reloads, deep links and app processes (Streamlit's own session state
  lives and dies with one websocket).
- With the database unreachable, each of these answers a polite 503 page with a link to try
  again, and works again by itself once the database is back; the log gets one line.
"""

from __future__ import annotations

import logging
import re
import secrets
from urllib.parse import parse_qsl, quote, urlencode

from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from survey.accounts import service as accounts
from survey.accounts import sessions as staff_sessions
from survey.core import db as database
from survey.core import signing
from survey.core.clients import request_client, request_from_this_site
from survey.core.config import settings
from survey.core.i18n import LANGUAGES, normalise_language, t
from survey.web.render import ENV

log = logging.getLogger(__name__)

# Paths the gate lets through: Streamlit's own assets and API, and the public routes.
OPEN_PREFIXES = (
    "/_stcore/",
    "/static/",
    "/component/",
    "/media/",
    "/app/static/",
    "/s/",
    "/p/",
    "/healthz",
    "/login",
    "/logout",
    "/favicon",
)
MAX_LOGIN_BYTES = 8 * 1024
FORM_SCOPE = "staff-login"
LOGIN_NONCE_COOKIE = "survey_login"
NONCE_PATTERN = re.compile(r"[A-Za-z0-9_-]{32}")
RETRY_AFTER_SECONDS = 10
DATABASE_DOWN = (database.DatabaseError, OperationalError)
HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}


def safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect to somewhere else."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _language(request: Request, posted: dict[str, str] | None = None) -> str:
    chosen = (posted or {}).get("lang") or request.query_params.get("lang")
    if chosen:
        return normalise_language(chosen)
    accepted = request.headers.get("accept-language", "")
    return "en" if accepted.lower().startswith("en") else "zh-CN"


def _secure(request: Request) -> bool:
    """Cookies only over HTTPS when the visitor uses HTTPS (as a trusted proxy reports it)."""
    return request_client(request).scheme == "https" or settings().base_url.startswith("https://")


def _browser_nonce(request: Request) -> str | None:
    value = request.cookies.get(LOGIN_NONCE_COOKIE, "")
    return value if NONCE_PATTERN.fullmatch(value) else None


def _form_scope(nonce: str) -> str:
    return f"{FORM_SCOPE}:{nonce}"


def _page(
    request: Request, lang: str, next_path: str, *, error: str = "", username: str = "", status: int = 200
) -> HTMLResponse:
    """The sign-in form, signed for this browser's nonce (a new one when it has none)."""
    nonce = _browser_nonce(request) or secrets.token_urlsafe(24)
    with database.session() as db:
        token = signing.sign_form(signing.form_key(db), _form_scope(nonce), 0)
    texts = {key: t(f"login.{key}", lang) for key in ("title", "username", "password", "submit")}
    texts |= {"app": t("app.title", lang), "tagline": t("app.tagline", lang)}
    languages = [
        (
            code,
            {"zh-CN": "中文", "en": "English"}[code],
            "" if code == lang else "/login?" + urlencode({"lang": code, "next": next_path}),
        )
        for code in LANGUAGES
    ]
    html = ENV.get_template("login.html").render(
        lang=lang, texts=texts, languages=languages, form_token=token, next=next_path, error=error, username=username
    )
    response = HTMLResponse(html, status_code=status, headers=HEADERS)
    if nonce != request.cookies.get(LOGIN_NONCE_COOKIE):
        response.set_cookie(
            LOGIN_NONCE_COOKIE,
            nonce,
            max_age=signing.FORM_MAX_AGE,
            httponly=True,
            samesite="lax",
            secure=_secure(request),
            path="/login",
        )
    return response


def _notice(
    lang: str, kind: str, *, link_url: str, link_text: str, status: int, headers: dict[str, str] | None = None
) -> HTMLResponse:
    """A short page: a title, a sentence and one link (the database is down, a refused sign-out)."""
    texts = {"title": t(f"{kind}_title", lang), "body": t(f"{kind}_body", lang), "link": link_text}
    html = ENV.get_template("notice.html").render(lang=lang, texts=texts, link_url=link_url, languages=[])
    return HTMLResponse(html, status_code=status, headers={**HEADERS, **(headers or {})})


def unavailable(request: Request, exc: Exception) -> HTMLResponse:
    """The database cannot be reached: a polite page that offers to try the same page again."""
    log.warning("%s %s: database unavailable: %s", request.method, request.url.path, database.unavailable_reason(exc))
    retry = (
        request.url.path
        if request.method != "GET" or not request.url.query
        else (f"{request.url.path}?{request.url.query}")
    )
    lang = _language(request)
    return _notice(
        lang,
        "login.unavailable",
        link_url=retry,
        link_text=t("app.retry", lang),
        status=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


async def _politely(request: Request, work, *args, **kwargs) -> Response:
    """Run `work` in a worker thread; a polite 503 page when the database cannot be reached."""
    try:
        return await run_in_threadpool(work, *args, **kwargs)
    except DATABASE_DOWN as exc:
        return unavailable(request, exc)


async def login_form(request: Request) -> Response:
    return await _politely(request, _page, request, _language(request), safe_next(request.query_params.get("next")))


async def login_submit(request: Request) -> Response:
    body = await request.body()
    if len(body) > MAX_LOGIN_BYTES:
        return await _politely(request, _page, request, "zh-CN", "/", status=413)
    posted = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return await _politely(request, _sign_in, request, posted, _language(request, posted))


def _sign_in(request: Request, posted: dict[str, str], lang: str) -> Response:
    next_path = safe_next(posted.get("next"))
    username, password = posted.get("username", "").strip(), posted.get("password", "")
    if not request_from_this_site(request):
        return _page(request, lang, next_path, error=t("login.form_refused", lang), username=username, status=403)
    if not _bound_to_this_browser(request, posted.get("_form", "")):
        return _page(request, lang, next_path, error=t("login.form_refused", lang), username=username, status=400)
    if not username or not password:
        return _page(request, lang, next_path, error=t("login.missing", lang), username=username, status=400)
    outcome = accounts.sign_in(
        username,
        password,
        client=request_client(request).address,
        replaces=request.cookies.get(staff_sessions.COOKIE_NAME),
    )
    if outcome.user is None:
        status = 429 if outcome.error == "throttled" else 401
        return _page(request, lang, next_path, error=outcome.message(lang), username=username, status=status)
    response = RedirectResponse(next_path, status_code=303)
    secure = _secure(request)
    response.set_cookie(
        staff_sessions.COOKIE_NAME,
        outcome.token,
        max_age=int(staff_sessions.MAX_AGE.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )
    # A language picked on this page (not the browser's own) becomes the user's preference,
    # which the app opens in.
    if lang != _language(request):
        accounts.set_language(outcome.user.id, lang)
    return response


def _bound_to_this_browser(request: Request, form_token: str) -> bool:
    """Whether the posted form is one we served to this browser (signed for its nonce cookie)."""
    nonce = _browser_nonce(request)
    if nonce is None:
        return False
    with database.session() as db:
        key = signing.form_key(db)
    return signing.form_is_genuine(key, form_token, _form_scope(nonce), 0)


async def logout(request: Request) -> Response:
    if not request_from_this_site(request):
        lang = _language(request)
        return _notice(lang, "logout.refused", link_url="/", link_text=t("logout.back", lang), status=403)
    return await _politely(request, _sign_out, request)


def _sign_out(request: Request) -> Response:
    accounts.sign_out(request.cookies.get(staff_sessions.COOKIE_NAME))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(staff_sessions.COOKIE_NAME, path="/")
    return response


async def logout_by_get(_request: Request) -> RedirectResponse:
    """An old link or bookmark to /logout: change nothing, go to the app (which has the button)."""
    return RedirectResponse("/", status_code=303)


def routes() -> list[BaseRoute]:
    return [
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login_submit, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/logout", logout_by_get, methods=["GET"]),
    ]


def signed_in(token: str | None) -> bool:
    return accounts.session_user(token) is not None


class StaffGate:
    """ASGI middleware: browser page requests for the staff UI need a valid session."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD") and self._guarded(scope):
            request = Request(scope)
            try:
                allowed = await run_in_threadpool(signed_in, request.cookies.get(staff_sessions.COOKIE_NAME))
            except DATABASE_DOWN as exc:
                await unavailable(request, exc)(scope, receive, send)
                return
            if not allowed:
                target = scope["path"] + (("?" + scope["query_string"].decode()) if scope["query_string"] else "")
                await RedirectResponse("/login?next=" + quote(target, safe="/"), status_code=303)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    @staticmethod
    def _guarded(scope) -> bool:
        path = scope["path"]
        if path.startswith(OPEN_PREFIXES):
            return False
        accept = dict(scope.get("headers") or []).get(b"accept", b"").decode()
        return "text/html" in accept  # a browser navigating to a staff page, not an asset
