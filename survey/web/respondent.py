"""Respondent routes served beside Streamlit by ``st.App``: plain HTML, no JavaScript.

- ``/s/<token>``          a customer's personal link (GET the page, POST a page of answers)
- ``/s/<token>/optout``   "do not survey me again" (GET asks, POST confirms)
- ``/p/<slug>``           a public link at a counter (anonymous, device cookie, rate limit)

The routes read the request (bounded in size), refuse a post whose Origin or Referer names
another site (one with neither, from an old phone, is read), check the form's signature, call
``survey.collect.visit`` and draw the result with ``survey.web.render``. Whatever goes wrong, the
customer gets a polite page in their language, never a traceback.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Route

from survey.cases.rules import follow_up_hours
from survey.collect import visit as respondent
from survey.collect.answering import answer_fields
from survey.collect.visit import LinkState, Visit
from survey.core import db as database
from survey.core import signing
from survey.core.clients import request_client, request_from_this_site
from survey.core.i18n import normalise_language, t
from survey.web import render

log = logging.getLogger(__name__)

MAX_FORM_BYTES = 256 * 1024  # ample for a long survey with long comments; refuses floods
MAX_FIELDS = 2000
DEVICE_COOKIE = "sq_device"
DEVICE_COOKIE_SECONDS = 365 * 24 * 3600
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    # The token is in the address: never pass it on to another site. Same-origin (not
    # no-referrer, which makes browsers post "Origin: null") lets our own forms say they are ours.
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}
STATUS = {
    LinkState.UNKNOWN: 404,
    LinkState.EXPIRED: 410,
    LinkState.CLOSED: 410,
    LinkState.REPLACED: 410,
    LinkState.BUSY: 429,
}
Form = dict[str, list[str]]


class FormRejected(Exception):
    def __init__(self, kind: str, status: int):
        super().__init__(kind)
        self.kind, self.status = kind, status


def routes() -> list[BaseRoute]:
    # ":path" so that any address under /s/ and /p/, however mangled, gets our polite page
    return [
        Route("/s/{token}/optout", personal_optout, methods=["GET", "POST"]),
        Route("/s/{token:path}", personal_page, methods=["GET", "POST"]),
        Route("/p/{slug:path}", public_page, methods=["GET", "POST"]),
    ]


async def personal_page(request: Request) -> HTMLResponse:
    return await _guarded(request, _personal)


async def personal_optout(request: Request) -> HTMLResponse:
    return await _guarded(request, _optout)


async def public_page(request: Request) -> HTMLResponse:
    return await _guarded(request, _public)


async def _guarded(request: Request, handler: Callable[[Request, Form | None], HTMLResponse]) -> HTMLResponse:
    """Read the form (bounded), run the handler in a worker thread, and turn every failure
    into a polite page."""
    try:
        if request.method == "POST" and not request_from_this_site(request):
            raise FormRejected("foreign_origin", 403)  # a page elsewhere posting into a customer's link
        form = await read_form(request) if request.method == "POST" else None
        return await run_in_threadpool(handler, request, form)
    except FormRejected as exc:
        return _message(request, exc.kind, _language(request, None, None), exc.status)
    except (database.DatabaseError, OperationalError) as exc:
        log.warning("respondent page: database unavailable: %s", database.unavailable_reason(exc))
        return _message(request, "unavailable", _language(request, None, None), 503)
    except Exception:
        log.exception("respondent page failed")
        return _message(request, "error", _language(request, None, None), 500)


async def read_form(request: Request) -> Form:
    """The posted fields, refusing bodies over MAX_FORM_BYTES before reading them whole."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_FORM_BYTES):
        raise FormRejected("too_large", 413)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise FormRejected("too_large", 413)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in ("application/x-www-form-urlencoded", ""):
        try:
            pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=MAX_FIELDS)
        except ValueError:
            raise FormRejected("too_large", 413) from None
    elif content_type == "multipart/form-data":
        pairs = await _multipart_pairs(request.headers, bytes(body))
    else:
        raise FormRejected("bad_request", 415)
    form: Form = {}
    for name, value in pairs:
        form.setdefault(name, []).append(value)
    return form


async def _multipart_pairs(headers: Headers, body: bytes) -> list[tuple[str, str]]:
    async def once():
        yield body

    try:
        parsed = await MultiPartParser(
            headers, once(), max_files=0, max_fields=MAX_FIELDS, max_part_size=MAX_FORM_BYTES
        ).parse()
    except MultiPartException:
        raise FormRejected("bad_request", 400) from None
    return [(name, value) for name, value in parsed.multi_items() if isinstance(value, str)]


# ---------------------------------------------------------------- personal link


def _personal(request: Request, form: Form | None) -> HTMLResponse:
    token = request.path_params["token"]
    scope, key = f"s:{token}", _form_key()
    if form is None:
        visit = respondent.open_personal(token)
        return _respond(request, visit, _language(request, form, visit), key=key, scope=scope, posted=False)
    page = _page_of(form)
    if not _genuine(key, form, scope, page):
        visit = _stale(respondent.open_personal(token), form)
        lang = _language(request, form, visit)
        return _respond(
            request, visit, lang, key=key, scope=scope, posted=False, notice=t("respondent.form_stale", lang)
        )
    if _switching_language(form):
        visit = _stale(respondent.open_personal(token), form)
        return _respond(request, visit, _language(request, form, visit), key=key, scope=scope, posted=False)
    visit = respondent.post_personal(
        token, page, form, language=_requested_language(request, form), back=_going_back(form)
    )
    return _respond(request, visit, _language(request, form, visit), key=key, scope=scope, posted=True)


def _optout(request: Request, form: Form | None) -> HTMLResponse:
    token = request.path_params["token"]
    visit = respondent.link_state(token)
    lang = _language(request, form, visit)
    if visit.state == LinkState.UNKNOWN:
        return _message(request, "unknown", lang, 404)
    key = _form_key()
    if form is not None and _genuine(key, form, f"o:{token}", 0):
        respondent.opt_out(token)
        return _message(request, "optout_done", lang, 200)
    notice = t("respondent.form_stale", lang) if form is not None else ""
    confirm = {"_form": signing.sign_form(key, f"o:{token}", 0), "_page": "0", "_lang": lang}
    return _html(
        render.message_page(
            "optout_ask", lang, path=request.url.path, form=confirm, back_url=f"/s/{token}?lang={lang}", notice=notice
        ),
        200,
    )


# ---------------------------------------------------------------- public link


def _public(request: Request, form: Form | None) -> HTMLResponse:
    slug = request.path_params["slug"]
    cookie = request.cookies.get(DEVICE_COOKIE, "")
    device = cookie if respondent.DEVICE_PATTERN.fullmatch(cookie) else secrets.token_urlsafe(16)
    scope, key = f"p:{slug}", _form_key()
    if form is None:
        visit = respondent.open_public(slug, device)
        response = _respond(
            request, visit, _language(request, form, visit), key=key, scope=scope, posted=False, carry=_pack({}, _now())
        )
    else:
        page, state = _page_of(form), _last(form, "_state")
        carried, started = _unpack(state)
        if not _genuine(key, form, scope, page, state) or started is None:
            visit = _stale(respondent.open_public(slug, device), form)
            lang = _language(request, form, visit)
            response = _respond(
                request,
                visit,
                lang,
                key=key,
                scope=scope,
                posted=False,
                carry=_pack({}, _now()),
                notice=t("respondent.form_stale", lang),
            )
        elif _switching_language(form):
            visit = _stale(respondent.open_public(slug, device), form)
            response = _respond(
                request, visit, _language(request, form, visit), key=key, scope=scope, posted=False, carry=state
            )
        else:
            client = request_client(request).address
            visit = respondent.post_public(
                slug,
                device,
                client,
                page,
                carried,
                form,
                language=_requested_language(request, form),
                started_at=datetime.fromtimestamp(started, UTC),
                back=_going_back(form),
            )
            response = _respond(
                request,
                visit,
                _language(request, form, visit),
                key=key,
                scope=scope,
                posted=True,
                carry=_pack(visit.fields, started),
            )
    if cookie != device:
        response.set_cookie(
            DEVICE_COOKIE,
            device,
            max_age=DEVICE_COOKIE_SECONDS,
            path="/p/",
            httponly=True,
            samesite="lax",
            secure=request_client(request).scheme == "https",
        )
    return response


def _pack(fields: Form, started: int) -> str:
    """The answers of earlier pages, carried by the (signed) form of an anonymous visitor."""
    raw = json.dumps({"fields": fields, "started": started}, ensure_ascii=False, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _unpack(state: str) -> tuple[Form, int | None]:
    try:
        data = json.loads(base64.urlsafe_b64decode(state.encode()))
        return dict(data["fields"]), int(data["started"])
    except (ValueError, KeyError, TypeError):
        return {}, None


def _now() -> int:
    return int(datetime.now(UTC).timestamp())


# ---------------------------------------------------------------- drawing the answer


def _respond(
    request: Request,
    visit: Visit,
    lang: str,
    *,
    key: bytes,
    scope: str,
    posted: bool,
    carry: str = "",
    notice: str = "",
) -> HTMLResponse:
    """The page for a visit: a polite page for the link's state, the thank-you page, or the
    next page of questions with a freshly signed form."""
    questionnaire = visit.questionnaire
    if visit.finished or (posted and visit.state == LinkState.ANSWERED):
        return _html(
            render.message_page(
                "thanks", lang, path=request.url.path, body=_thanks(visit, lang), notice=_follow_up_promise(visit, lang)
            ),
            200,
        )
    if visit.state != LinkState.OPEN:
        kind = visit.state.value
        body = _thanks(visit, lang) if visit.state == LinkState.ANSWERED else ""
        return _html(render.message_page(kind, lang, path=request.url.path, body=body), STATUS.get(visit.state, 200))
    hidden = {"_form": signing.sign_form(key, scope, visit.page, carry), "_page": str(visit.page), "_lang": lang}
    if carry:
        hidden["_state"] = carry
    token_link = request.url.path.startswith("/s/")
    html = render.survey_page(
        questionnaire,
        visit.page,
        lang,
        fields=visit.fields,
        problems=visit.problems,
        hidden=hidden,
        path=request.url.path,
        notice=notice,
        optout_url=f"{request.url.path}/optout?lang={lang}" if token_link else "",
    )
    return _html(html, 200)


def _follow_up_promise(visit: Visit, lang: str) -> str:
    """A complaint or a very low score: say that someone will call, when a case rule will open a case."""
    if visit.response_id is None:
        return ""
    try:
        hours = follow_up_hours(visit.response_id)
    except Exception:  # the answer is saved; a failed promise must not turn the thank-you into an error
        log.exception("could not check the follow-up rules for response %s", visit.response_id)
        return ""
    return t("respondent.follow_up", lang, hours=hours) if hours else ""


def _thanks(visit: Visit, lang: str) -> str:
    return visit.questionnaire.text("thanks", lang) if visit.questionnaire else ""


def _message(request: Request, kind: str, lang: str, status: int) -> HTMLResponse:
    return _html(render.message_page(kind, lang, path=request.url.path), status)


def _html(html: str, status: int) -> HTMLResponse:
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


# ---------------------------------------------------------------- small readers


def _last(form: Form, name: str) -> str:
    values = form.get(name) or [""]
    return values[-1]


def _page_of(form: Form) -> int:
    page = _last(form, "_page")
    return int(page) if page.isdigit() and len(page) < 6 else 0


def _going_back(form: Form) -> bool:
    return _last(form, "_action") == "back"


def _form_key() -> bytes:
    with database.session() as db:
        return signing.form_key(db)


def _genuine(key: bytes, form: Form, scope: str, page: int, state: str = "") -> bool:
    return signing.form_is_genuine(key, _last(form, "_form"), scope, page, state)


def _stale(visit: Visit, form: Form) -> Visit:
    """The page again with what the customer chose on it, saving nothing: after a language
    switch, or for a form we cannot trust (too old, or not ours), so nothing is lost."""
    if visit.state == LinkState.OPEN:
        shown = [q for q in visit.questionnaire.questions if q.page == visit.page]
        visit.fields = {**visit.fields, **answer_fields(shown, form)}
    return visit


def _switching_language(form: Form) -> bool:
    """The customer pressed another language: show this page again in it, with what they chose
    so far on it, and save nothing (no page is checked or left)."""
    return bool(_last(form, "_switch"))


def _requested_language(request: Request, form: Form | None) -> str | None:
    chosen = (_last(form, "_switch") or _last(form, "_lang") if form else "") or request.query_params.get("lang", "")
    return normalise_language(chosen) if chosen else None


def _language(request: Request, form: Form | None, visit: Visit | None) -> str:
    """The page's language: the customer's choice; else the invitation's; else (public links,
    unknown links) the browser's when it prefers Chinese or English; else the survey's."""
    chosen = _requested_language(request, form)
    if chosen:
        return chosen
    questionnaire = visit.questionnaire if visit else None
    if questionnaire is not None and request.url.path.startswith("/s/"):
        return questionnaire.language
    browser = request.headers.get("accept-language", "").split(",")[0].strip().lower()
    if browser.startswith(("en", "zh")):
        return normalise_language(browser)
    return questionnaire.language if questionnaire else normalise_language(None)
