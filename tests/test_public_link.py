"""Public links /p/<slug> for counters: anonymous answers tagged with where the link hangs, one
answer per device (cookie), a rate limit kept in the database, and the QR code to print."""

import io
import json
import xml.etree.ElementTree as ElementTree

import pytest
from PIL import Image
from sqlmodel import func, select

from survey.collect import public_links
from survey.core import db as database
from survey.core.ratelimit import allow
from survey.design.definitions import create_survey
from survey.design.templates import template
from survey.models import Response, Survey
from survey.overview import local_today
from survey.web.respondent import DEVICE_COOKIE
from tests.respondent_support import HALL_ANSWERS, answer, client, published, read_form


@pytest.fixture
def hall_link(db_url):
    with database.session() as db:
        survey = published(db, "hall-visit")
        public_links.create_public_link(
            db,
            survey,
            "ningbo-hall-2",
            label="宁波营业厅 2",
            touch_point="business_hall",
            region="Ningbo",
            team="Ningbo Hall 2",
        )
    return "/p/ningbo-hall-2"


def responses() -> list[Response]:
    with database.session() as db:
        return list(db.exec(select(Response)))


def test_an_anonymous_answer_is_tagged_with_the_counter(hall_link):
    visitor = client()
    page = visitor.get(hall_link)
    assert page.status_code == 200 and DEVICE_COOKIE in page.cookies
    assert "尊敬的客户您好，感谢您近日光临营业厅" in page.text  # a QR code knows where, not when
    assert "/optout" not in page.text  # nothing to opt out of: nobody is known
    done = answer(visitor, hall_link, page.text, HALL_ANSWERS)
    assert done.status_code == 200 and "感谢您的评价！" in done.text
    [response] = responses()
    assert (response.channel, response.region, response.touch_point, response.team, response.event_kind) == (
        "public",
        "Ningbo",
        "business_hall",
        "Ningbo Hall 2",
        "hall_visit",
    )
    assert response.customer_id is None and response.invitation_id is None and response.tier is None
    assert response.device_key == visitor.cookies[DEVICE_COOKIE] and response.answered_on == local_today()
    assert response.started_at <= response.submitted_at


def test_one_device_answers_once_but_another_device_may(hall_link):
    visitor = client()
    html = visitor.get(hall_link).text
    answer(visitor, hall_link, html, HALL_ANSWERS)
    again = visitor.get(hall_link)
    assert "您已完成这份问卷" in again.text and "<form" not in again.text
    double_click = answer(visitor, hall_link, html, HALL_ANSWERS)  # the same page posted again
    assert "感谢您的评价" in double_click.text
    other = client()
    answer(other, hall_link, other.get(hall_link).text, HALL_ANSWERS)
    assert len(responses()) == 2


def test_a_network_address_is_rate_limited_across_devices(hall_link, monkeypatch):
    monkeypatch.setenv("SURVEY_PUBLIC_RATE_LIMIT", "2")
    for _ in range(2):
        visitor = client()
        assert "感谢" in answer(visitor, hall_link, visitor.get(hall_link).text, HALL_ANSWERS).text
    flood = client()
    refused = answer(flood, hall_link, flood.get(hall_link).text, HALL_ANSWERS)
    assert refused.status_code == 429 and "请稍后再试" in refused.text
    assert len(responses()) == 2


def test_the_rate_limit_counts_exactly_and_forgets_old_windows(db_url):
    with database.session() as db:
        assert [allow(db, "k", 3, 60, now=1000) for _ in range(4)] == [True, True, True, False]
        assert allow(db, "k", 3, 60, now=1061)  # a new window
        assert allow(db, "other", 1, 60, now=1000)


def test_a_multi_page_survey_carries_earlier_pages_in_the_signed_form(db_url):
    with database.session() as db:
        survey = published(db, "vip-quarterly")
        public_links.create_public_link(db, survey, "vip-desk", touch_point="account_manager", region="Hangzhou")
    visitor = client()
    html = visitor.get("/p/vip-desk").text
    page_one = {
        "network_quality": "4",
        "billing": "3",
        "business_handling": "5",
        "fault_repair": "4",
        "staff_attitude": "5",
    }
    html = answer(visitor, "/p/vip-desk", html, page_one).text
    assert "第 2 页" in html
    state = read_form(html).hidden["_state"]
    forged = {**read_form(html).hidden, "_state": state[:-4] + "AAAA", "overall": "5", "nps": "9", "_action": "next"}
    assert "请检查您的回答" in visitor.post("/p/vip-desk", data=forged).text and responses() == []
    assert "感谢" in answer(visitor, "/p/vip-desk", html, {"overall": "5", "nps": "9"}).text
    with database.session() as db:
        assert db.exec(select(func.count(Response.id))).one() == 1


def test_a_deactivated_link_or_closed_survey_is_politely_closed(hall_link):
    with database.session() as db:
        link = public_links.links_of(db, db.exec(select(Survey)).one())[0]
        public_links.set_active(db, link, False)
    page = client().get(hall_link + "?lang=en")
    assert page.status_code == 410 and "This survey is closed" in page.text
    assert client().get("/p/no-such-hall").status_code == 404


def test_public_links_prefer_the_browsers_language(hall_link):
    page = client().get(hall_link, headers={"accept-language": "en-GB,en;q=0.9"})
    assert 'lang="en"' in page.text and "How was your visit to our business hall?" in page.text


def test_link_names_are_checked(hall_link):
    with database.session() as db:
        survey = db.exec(select(Survey)).one()
        for slug, message in (("Bad Slug!", "2-40 lowercase"), ("ningbo-hall-2", "is taken")):
            with pytest.raises(ValueError, match=message):
                public_links.create_public_link(db, survey, slug)
        with pytest.raises(ValueError, match="unknown touch point"):
            public_links.create_public_link(db, survey, "x-hall", touch_point="moon")


def test_the_qr_code_prints_as_png_and_svg(hall_link, monkeypatch):
    monkeypatch.setenv("SURVEY_BASE_URL", "https://survey.example.cn")
    with database.session() as db:
        link = public_links.links_of(db, db.exec(select(Survey)).one())[0]
    png = Image.open(io.BytesIO(public_links.qr_code(link, "png")))
    assert png.format == "PNG" and png.width == png.height >= 25 * public_links.QR_SCALE
    svg = ElementTree.fromstring(public_links.qr_code(link, "svg"))
    assert svg.tag.endswith("svg")


def test_templates_survive_a_definition_round_trip_as_public_surveys(db_url):
    definition = template("hall-visit")
    definition["code"] = "hall-json"
    with database.session() as db:
        survey = create_survey(db, json.loads(json.dumps(definition)), publish=True)
        public_links.create_public_link(db, survey, "json-hall", touch_point="business_hall")
    assert client().get("/p/json-hall").status_code == 200
