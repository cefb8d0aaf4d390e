"""Helpers for tests of the respondent pages: set up a survey and a personal link, read a
page's form the way a browser does, and post it."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html.parser import HTMLParser

from starlette.applications import Starlette
from starlette.testclient import TestClient

from survey.design.definitions import create_survey, survey_by_code
from survey.design.templates import template
from survey.distribution.personal_links import create_personal_link
from survey.models import Customer, ServiceEvent
from survey.web.app import routes

EVENT_TIME = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)  # 10:00 on 4 March in Shanghai


def client() -> TestClient:
    return TestClient(Starlette(routes=routes()))


def published(db, key: str = "repair-revisit"):
    return survey_by_code(db, key) or create_survey(db, template(key), publish=True)


def customer(
    db,
    external_id: str = "C001",
    *,
    name: str = "王芳",
    language: str = "zh-CN",
    tier: str = "gold",
    with_event: bool = True,
) -> Customer:
    """A customer (with a repair on 4 March, ticket T-<id>, unless with_event is False)."""
    person = Customer(
        external_id=external_id,
        name=name,
        phone="13312345678",
        email="wang@example.cn",
        tier=tier,
        region="Ningbo",
        segment="business",
        language=language,
    )
    db.add(person)
    db.flush()
    if with_event:
        db.add(
            ServiceEvent(
                customer_id=person.id,
                external_ticket_id=f"T-{external_id}",
                kind="repair",
                touch_point="field_crew",
                region="Ningbo",
                team="Ningbo Crew 3",
                occurred_at=EVENT_TIME,
            )
        )
        db.flush()
    return person


def personal_token(db, key: str = "repair-revisit", external_id: str = "C001", **person) -> str:
    """A published survey (from a template) and a new personal link for a new customer."""
    published(db, key)
    made = customer(db, external_id, **person)
    ticket = f"T-{external_id}" if person.get("with_event", True) else None
    invitation, _ = create_personal_link(db, key, made.external_id, event_ticket=ticket)
    return invitation.token


class _Form(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hidden: dict[str, str] = {}
        self.checked: dict[str, list[str]] = {}
        self.names: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "input" and attributes.get("type") == "hidden":
            self.hidden[attributes["name"]] = attributes.get("value", "")
        elif tag in ("input", "textarea") and attributes.get("name"):
            self.names.append(attributes["name"])
            if "checked" in attributes:
                self.checked.setdefault(attributes["name"], []).append(attributes["value"])


def read_form(html: str) -> _Form:
    form = _Form()
    form.feed(html)
    return form


def answer(client_: TestClient, path: str, html: str, answers: dict, action: str = "next"):
    """Post the page's form with these answers, as a browser would."""
    data = {**read_form(html).hidden, **answers, "_action": action}
    return client_.post(path, data=data)


def fieldset(html: str, code: str) -> str:
    found = re.search(rf'<fieldset id="q-{code}"(.*?)</fieldset>', html, re.S)
    return found.group(0) if found else ""


def ten_question_definition(code: str = "ten-questions") -> dict:
    """A heavy 10-question page: six 0-10 scales, a 6-option multiple choice, a 5-item matrix,
    a single choice and a comment, every text long and with help: the page-weight yardstick."""
    long = {
        "zh-CN": "您对本次服务在各个方面的体验是否满意？请根据您的真实感受选择一个分值。" * 2,
        "en": "How satisfied are you with each part of the service today? Choose the score that fits. " * 2,
    }
    ends = {
        "low": {"zh-CN": "完全不可能", "en": "Not at all likely"},
        "high": {"zh-CN": "非常可能", "en": "Extremely likely"},
    }
    scale = [{"code": f"q{i}", "type": "nps", "scale": [0, 10], "labels": ends} for i in range(1, 7)]
    others = [
        {"code": "q7", "type": "multi", "options": [{"value": f"o{j}", **long} for j in range(6)]},
        {"code": "q8", "type": "matrix", "scale": [1, 7], "items": [{"code": f"i{j}", **long} for j in range(5)]},
        {"code": "q9", "type": "single", "options": [{"value": f"s{j}", **long} for j in range(4)]},
        {"code": "q10", "type": "text", "max_length": 500},
    ]
    return {
        "code": code,
        "name": {"zh-CN": "十题问卷", "en": "Ten questions"},
        "title": {"zh-CN": "服务评价", "en": "Rate our service"},
        "intro": long,
        "questions": [{**q, "text": long, "help": long, "required": True} for q in scale + others],
    }


TEN_ANSWERS = {
    **{f"q{i}": "8" for i in range(1, 7)},
    "q7": ["o1", "o3"],
    **{f"q8.i{j}": "6" for j in range(5)},
    "q9": "s2",
    "q10": "服务很好",
}
# A complete, valid answer to the hall-visit template (public links).
HALL_ANSWERS = {
    "overall": "4",
    "business_handling": "5",
    "wait_time": "lt5",
    "staff_attitude": "5",
    "ces": "2",
    "nps": "9",
}

REPAIR_ANSWERS = {
    "overall": "5",
    "fault_repair": "4",
    "staff_attitude": "5",
    "resolved": "1",
    "nps": "9",
    "comment": "师傅很专业",
}
