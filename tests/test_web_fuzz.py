"""Random bodies posted to every plain route that takes a form (/login, /logout, /s/..., /p/...,
and every endpoint under /api/v1 once there is one) get a polite answer, never a 5xx, and
store nothing (issue 16).

A seeded generator (the same requests on every run; a failure names the request's number and
the seed) makes bodies of every shape a browser, a scanner or a broken proxy might send:
url-encoded and multipart forms with the routes' own field names (_form, _page, _lang,
_switch, _state, _action, the survey's question codes), forged and truncated signatures,
invalid UTF-8, null bytes, huge values and too many fields, JSON, no content type, a wrong
one. The app is the real route list and middleware of survey.web.app, over the test database.
"""

from __future__ import annotations

import base64
import json
import random
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.testclient import TestClient

import survey.models  # noqa: F401  (every table, for the snapshot)
from survey.accounts import auth
from survey.accounts import service as accounts
from survey.accounts import sessions as staff_sessions
from survey.collect import public_links
from survey.core import db as database
from survey.core import signing
from survey.web.app import middleware, routes
from survey.web.respondent import DEVICE_COOKIE, MAX_FIELDS, MAX_FORM_BYTES
from survey.web.staff_auth import LOGIN_NONCE_COOKIE, MAX_LOGIN_BYTES
from tests.respondent_support import personal_token, published, read_form

SEED = 16
SITE = "http://testserver"
FORM_NAMES = [
    "_form",
    "_page",
    "_lang",
    "_switch",
    "_state",
    "_action",
    "username",
    "password",
    "next",
    "lang",
    "overall",
    "fault_repair",
    "staff_attitude",
    "resolved",
    "nps",
    "comment",
    "what_wrong",
    "q1.i1",
]
CONTENT_TYPES = [
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=gbk",
    "",
    "multipart/form-data",
    "multipart/form-data; boundary=",
    "application/json",
    "text/plain",
    "text/html",
    "application/octet-stream",
    "*/*",
    "form-data",
    "application/x-www-form-urlencoded;;;",
]


@dataclass(frozen=True)
class Target:
    path: str
    genuine_form: dict[str, str]  # the hidden fields of the page a browser got (signatures to forge from)


@dataclass(frozen=True)
class Attempt:
    number: int
    path: str
    content_type: str | None
    body: bytes
    headers: dict[str, str]
    cookies: dict[str, str]

    def __str__(self) -> str:
        return (
            f"request {self.number} (seed {SEED}): POST {self.path!r} content-type {self.content_type!r}, "
            f"{len(self.body)} bytes {self.body[:120]!r}..., headers {self.headers}, cookies {self.cookies}"
        )


class Bodies:
    """Random requests for a set of targets, from one seeded generator."""

    def __init__(self, rng: random.Random, targets: list[Target]):
        self.rng, self.targets = rng, targets

    def attempts(self, count: int, *, huge: float = 0.02) -> Iterator[Attempt]:
        for number in range(count):
            target = self.rng.choice(self.targets)
            content_type, body = self.body(target, huge)
            yield Attempt(number, self.path(target.path), content_type, body, self.headers(), self.cookies())

    # -- the pieces

    def path(self, path: str) -> str:
        """Mostly the route itself; sometimes a mangled address under it."""
        if self.rng.random() < 0.8:
            return path
        tail = self.rng.choice(
            [
                "",
                "/",
                "/..",
                "/%00",
                "/%ff%fe",
                "/" + self.quoted(self.text(20)),
                "/optout",
                "//x",
                "/" + "a" * 300,
                "?lang=" + self.quoted(self.text(8)),
            ]
        )
        return path + tail

    def headers(self) -> dict[str, str]:
        """Same-site or no Origin mostly (so the body is read), sometimes another site's."""
        headers = {}
        origin = self.rng.choice([None, None, None, SITE, SITE, SITE, "https://evil.example", "null", SITE + ":8501"])
        if origin is not None:
            headers["origin"] = origin
        if self.rng.random() < 0.15:
            headers["referer"] = self.rng.choice([SITE + "/s/x", "https://evil.example/", "not a url"])
        if self.rng.random() < 0.2:
            headers["accept-language"] = self.rng.choice(["en", "zh-CN", "xx", self.text(30, printable=True)])
        return headers

    def cookies(self) -> dict[str, str]:
        """Made-up cookies of the right names: a login nonce, a device, a staff session."""
        cookies = {}
        if self.rng.random() < 0.3:
            cookies[LOGIN_NONCE_COOKIE] = self.rng.choice(["A" * 32, self.token(32), self.text(10, printable=True)])
        if self.rng.random() < 0.3:
            cookies[DEVICE_COOKIE] = self.rng.choice([self.token(22), self.text(10, printable=True)])
        if self.rng.random() < 0.2:
            cookies[staff_sessions.COOKIE_NAME] = self.token(43)
        return cookies

    def body(self, target: Target, huge: float) -> tuple[str | None, bytes]:
        roll = self.rng.random()
        if roll < huge:
            return "application/x-www-form-urlencoded", b"comment=" + b"x" * (MAX_FORM_BYTES + self.rng.randint(1, 9))
        if roll < huge + 0.01:
            return "application/x-www-form-urlencoded", b"&".join([b"a=1"] * (MAX_FIELDS + 1))
        if roll < 0.55:
            return self.content_type("application/x-www-form-urlencoded"), self.urlencoded(self.fields(target))
        if roll < 0.75:
            return self.multipart(self.fields(target))
        if roll < 0.85:
            return self.content_type("application/json"), json.dumps(
                {
                    name: value if isinstance(value, str) else value.decode("latin-1")
                    for name, value in self.fields(target)
                },
                ensure_ascii=self.rng.random() < 0.5,
            ).encode("utf-8", "surrogatepass")
        return self.content_type(self.rng.choice(CONTENT_TYPES)), self.rng.randbytes(self.rng.randint(0, 400))

    def content_type(self, usual: str) -> str | None:
        roll = self.rng.random()
        if roll < 0.1:
            return None
        return usual if roll < 0.8 else self.rng.choice(CONTENT_TYPES)

    def fields(self, target: Target) -> list[tuple[str, str | bytes]]:
        names = [*FORM_NAMES, *target.genuine_form]
        pairs = [(self.name(names), self.value(target)) for _ in range(self.rng.randint(0, 12))]
        if target.genuine_form and self.rng.random() < 0.5:  # the page's own fields, its signature forged
            forged = dict(target.genuine_form)
            for name in {"_form", self.rng.choice(list(forged))} & set(forged):
                forged[name] = self.forged(forged[name])
            pairs = list(forged.items()) + pairs
        return pairs

    def name(self, names: list[str]) -> str:
        roll = self.rng.random()
        if roll < 0.75:
            return self.rng.choice(names)
        return self.rng.choice(["", "\x00", "名字", "a" * 2000, "_form[]", "_page.x", self.text(12)])

    def value(self, target: Target) -> str | bytes:
        kind = self.rng.randrange(10)
        if kind == 0:
            return ""
        if kind == 1:
            return str(self.rng.choice([0, 1, -1, 5, 11, 99999, 10**30, -(10**30)]))
        if kind == 2:
            return self.text(self.rng.choice([1, 20, 500]))
        if kind == 3:
            return self.rng.randbytes(self.rng.randint(1, 40))  # anything, invalid UTF-8 too
        if kind == 4:
            return "\x00" * self.rng.randint(1, 5) + self.text(5)
        if kind == 5:
            return self.state()
        if kind == 6 and target.genuine_form:
            return self.forged(self.rng.choice(list(target.genuine_form.values())))
        if kind == 7:
            return self.rng.choice(
                [
                    "next",
                    "back",
                    "submit",
                    "zh-CN",
                    "en",
                    "fr",
                    "../../etc/passwd",
                    "/\\evil.example",
                    "javascript:alert(1)",
                    "<script>alert(1)</script>",
                    "[x](https://evil.example)",
                ]
            )
        if kind == 8:
            return "x" * self.rng.choice([1_000, 20_000, 60_000])
        return self.token(self.rng.randint(1, 80))

    def state(self) -> str:
        """What the public form carries between pages (base64 JSON), made up."""
        data = self.rng.choice(
            [
                {"fields": {"overall": ["5"]}, "started": self.rng.randint(-(2**63), 2**63)},
                {"fields": "x", "started": "y"},
                {"fields": {"a": [1, 2]}, "started": 1.5},
                [],
                None,
                self.text(10),
            ]
        )
        encoded = base64.urlsafe_b64encode(json.dumps(data).encode()).decode()
        return self.rng.choice([encoded, encoded[:-3], encoded + "!!", "%%%", self.token(40)])

    def forged(self, value: str) -> str:
        """A signature (or any hidden value) that is almost right: never the genuine one."""
        if not value:
            return "x"
        at = self.rng.randrange(len(value))
        replacement = self.rng.choice([c for c in string.ascii_letters + string.digits + "-_." if c != value[at]])
        return self.rng.choice([value[:at] + replacement + value[at + 1 :], value[:-1], value + "A", value[::-1]])

    def urlencoded(self, pairs: list[tuple[str, str | bytes]]) -> bytes:
        def encoded(text: str | bytes) -> bytes:
            raw = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
            return quote(raw, safe="").encode() if self.rng.random() < 0.8 else raw  # sometimes not encoded at all

        separator = self.rng.choice([b"&", b"&", b"&", b";", b"&&", b"\n"])
        body = separator.join(encoded(name) + b"=" + encoded(value) for name, value in pairs)
        if self.rng.random() < 0.1:
            body += self.rng.choice([b"%", b"%zz", b"%ff%fe", b"=", b"&=&", b"+++", b"%00"])
        return body

    def multipart(self, pairs: list[tuple[str, str | bytes]]) -> tuple[str | None, bytes]:
        boundary = self.token(self.rng.randint(1, 70))
        parts = []
        for name, value in pairs:
            raw = value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")
            disposition = f'form-data; name="{name}"'
            if self.rng.random() < 0.1:
                disposition += '; filename="x.txt"'
            if self.rng.random() < 0.05:
                disposition = self.text(20)
            parts.append(
                f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode("utf-8", "surrogatepass")
                + raw
                + b"\r\n"
            )
        body = b"".join(parts) + (f"--{boundary}--\r\n".encode() if self.rng.random() < 0.8 else b"")
        declared = self.rng.choice([boundary, boundary, boundary, "other", ""])
        return f"multipart/form-data; boundary={declared}", body

    def text(self, length: int, *, printable: bool = False) -> str:
        if printable:
            return "".join(self.rng.choice(string.ascii_letters + string.digits + " -_.") for _ in range(length))
        alphabet = [*string.printable, "\x00", "\u2028", "\ufeff", "名", "字", "😀", "\U0010ffff", "\ud800", "\x7f"]
        return "".join(self.rng.choice(alphabet) for _ in range(length))

    @staticmethod
    def quoted(text: str) -> str:
        return quote(text.encode("utf-8", "surrogatepass"), safe="")

    def token(self, length: int) -> str:
        return "".join(self.rng.choice(string.ascii_letters + string.digits + "-_") for _ in range(length))


# ---------------------------------------------------------------- the world and the checks


def snapshot(url: str) -> dict[str, list[tuple]]:
    """Every row of every table, in a stable order."""
    engine = database.get_engine(url)
    with engine.connect() as conn:
        return {
            name: sorted(tuple(map(repr, row)) for row in conn.execute(sa.select(table)))
            for name, table in SQLModel.metadata.tables.items()
        }


def path_for(route: Route, values: dict[str, str]) -> str:
    """A route's path with its parameters filled in (random text for those we have no value for)."""
    return re.sub(r"{(\w+)(?::\w+)?}", lambda found: values.get(found.group(1), "x" + found.group(1)), route.path)


def form_targets(app_client: TestClient, token: str, slug: str) -> list[Target]:
    """Every route that takes a POST, and every API endpoint, with the hidden fields of its page
    where it has one."""
    values = {"token": token, "slug": slug}
    targets = []
    for route in routes():
        if isinstance(route, Route) and ("POST" in (route.methods or ()) or route.path.startswith("/api/v1")):
            path = path_for(route, values)
            page = app_client.get(path)
            targets.append(Target(path, read_form(page.text).hidden if page.status_code == 200 else {}))
            if route.param_convertors:  # and an address that names nothing
                targets.append(Target(path_for(route, {"token": "no-such-token", "slug": "no-such-link"}), {}))
    return targets


@pytest.fixture
def world(db_url):
    """A personal link (opened once, as the customer did), a public link, a staff member signed in."""
    with database.session() as db:
        token = personal_token(db)
        public_links.create_public_link(
            db, published(db, "hall-visit"), "fuzz-hall", touch_point="business_hall", region="Ningbo"
        )
        auth.create_user(db, "qi", "quality", "quality-password")
    assert accounts.sign_in("qi", "quality-password", client="127.0.0.1").user is not None
    app_client = TestClient(
        Starlette(routes=routes(), middleware=middleware()), raise_server_exceptions=False, follow_redirects=False
    )
    targets = form_targets(app_client, token, "fuzz-hall")
    assert {"/login", "/logout", f"/s/{token}", f"/s/{token}/optout", "/p/fuzz-hall"} <= {t.path for t in targets}
    forms = [t.genuine_form for t in targets if t.path in ("/login", f"/s/{token}", "/p/fuzz-hall")]
    assert len(forms) == 3 and all(forms), "the pages' own forms are the material to forge from"
    return db_url, app_client, targets


def fuzz(world, count: int, *, huge: float = 0.02) -> None:
    url, app_client, targets = world
    before = snapshot(url)
    failures = []
    for attempt in Bodies(random.Random(SEED), targets).attempts(count, huge=huge):
        app_client.cookies.clear()
        headers = {**attempt.headers, **({"content-type": attempt.content_type} if attempt.content_type else {})}
        if attempt.cookies:
            headers["cookie"] = "; ".join(f"{name}={value}" for name, value in attempt.cookies.items())
        response = app_client.post(attempt.path, content=attempt.body, headers=headers)
        if response.status_code >= 500:
            failures.append(f"{response.status_code} for {attempt}")
    assert not failures, f"{len(failures)} of {count} answered 5xx; first: {failures[:3]}"
    after = snapshot(url)
    changed = [name for name in before if before[name] != after[name]]
    assert not changed, f"random posts changed {changed}"


@pytest.mark.slow  # CI runs it; the quick loop keeps a lighter test of the same feature
def test_a_thousand_random_posts_get_no_server_error_and_store_nothing(world):
    fuzz(world, 1_000)


@pytest.mark.slow
def test_ten_thousand_random_posts_with_more_huge_bodies(world):
    fuzz(world, 10_000, huge=0.05)


# ---------------------------------------------------------------- what the fuzzing found


def test_a_signature_with_other_characters_is_refused_not_an_error():
    key = b"k" * 32
    genuine = signing.sign_form(key, "s:x", 1)
    issued, _, mac = genuine.partition(".")
    for forged in (f"{issued}.{mac[:-1]}é", f"²{issued[1:]}.{mac}", f"{issued}.名字"):
        assert signing.form_is_genuine(key, forged, "s:x", 1) is False
    assert signing.form_is_genuine(key, genuine, "s:x", 1)


def test_a_sign_in_post_too_large_is_refused_politely(world):
    _url, app_client, _targets = world
    response = app_client.post(
        "/login", content=b"a" * (MAX_LOGIN_BYTES + 1), headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 413 and "<form" in response.text
