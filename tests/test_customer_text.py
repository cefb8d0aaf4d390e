"""What a customer, an import or the operator's systems wrote shows as written on the staff pages
(issue 16): a comment or a name in Markdown is no link and fetches no image.

An anonymous respondent can write ``[官方补偿通道](https://evil.example/refund)
![](http://attacker/x.png)``; imported names, regions and teams can hold the same. Each page
family (comment themes, personal data, cases, phone revisits) is opened in AppTest on such data,
and every Markdown string the page hands Streamlit (bodies, alerts, widget and expander labels)
is read the way the browser reads it (tests/markdown_support.py).
"""

from __future__ import annotations

import re
import zlib
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from survey.cases.rules import run_rules
from survey.core import db as database
from survey.core.filters import Filters
from survey.design.definitions import live_version
from survey.insight import dashboard as insight
from survey.insight import report as report_export
from survey.insight import rollup
from survey.models import Campaign, Invitation, utcnow
from survey.overview import local_today
from tests import apptest_support
from tests.cases_support import customer, repair_survey, respond, staff
from tests.markdown_support import rendered, shows_literally, words
from ui.text import plain

COMMENT = "账单乱扣费 bill [官方补偿通道](https://evil.example/refund) ![](http://attacker/x.png)"
NAME = "王芳[官方补偿通道](https://evil.example/refund)![](http://attacker/n.png)"
REGION = "宁波![](http://attacker/r.png)"
TEAM = "**装维**[班组](https://evil.example/t)"
PLANTED = "attacker", "evil.example"


def markdown_strings(at: AppTest) -> list[str]:
    """Every string on the page that Streamlit reads as Markdown."""
    bodies = [
        element.value
        for kind in ("title", "header", "subheader", "markdown", "caption", "info", "success", "warning", "error")
        for element in getattr(at, kind)
    ]
    labels = [
        element.label
        for kind in (
            "expander",
            "tabs",
            "radio",
            "text_input",
            "text_area",
            "checkbox",
            "button",
            "selectbox",
            "multiselect",
            "metric",
        )
        for element in getattr(at, kind)
    ]
    options = [str(option) for radio in at.radio for option in radio.options]
    return [text for text in [*bodies, *labels, *options] if isinstance(text, str)]


def assert_shown_as_written(at: AppTest, *written: str) -> None:
    assert not at.exception, at.exception
    strings = markdown_strings(at)
    planted = [text for text in strings if any(mark in text.replace("\\", "") for mark in PLANTED)]
    assert planted, "the planted text is not on the page"
    for text in planted:
        result = rendered(text)
        assert result.inert, f"{text!r} renders links {result.links}, images {result.images}, html {result.html}"
    for original in written:
        assert any(shows_literally(text, original) for text in planted), f"{original!r} is not shown as written"


@pytest.fixture
def planted(db_url):
    """A customer whose name, region and team came from an import, who wrote a comment with a link and
    an image; a case opened on it; another such customer waiting for a phone revisit."""
    with database.session() as db:
        survey = repair_survey(db)
        for username, role in (("qa", "quality"), ("ad", "admin"), ("ag", "agent")):
            staff(db, username, role)
        person, event = customer(db, "C1", "gold", name=NAME, region=REGION, team=TEAM)
        respond(db, person, event, overall=1, comment=COMMENT)
        campaign = Campaign(
            name="Repair revisit by phone",
            survey_id=survey.id,
            version_id=live_version(db, survey).id,
            channel="phone",
            status="sending",
        )
        db.add(campaign)
        db.flush()
        called, event = customer(db, "C2", "gold", name=NAME, region=REGION, team=TEAM)
        db.add(
            Invitation(
                campaign_id=campaign.id,
                customer_id=called.id,
                event_id=event.id,
                channel="phone",
                token="phone-token-C2",
                language="zh-CN",
                status="queued",
                expires_at=utcnow() + timedelta(days=7),
            )
        )
    run_rules()
    return db_url


def page(username: str, path: str) -> AppTest:
    return apptest_support.signed_in(username, f"{username}-password", path)


def test_the_themes_page_shows_a_comment_and_its_region_as_written(planted):
    at = page("qa", "pages/themes.py")
    assert_shown_as_written(at, COMMENT, REGION)


def test_the_personal_data_page_shows_an_imported_name_as_written(planted):
    at = page("ad", "pages/privacy.py")
    at.text_input(key="privacy_search").input("C1").run()
    assert_shown_as_written(at, NAME, REGION)


def test_the_cases_page_shows_the_customer_team_and_reason_as_written(planted):
    at = page("qa", "pages/cases.py")
    assert_shown_as_written(at, NAME, TEAM)


def test_the_phone_page_shows_the_customer_and_the_event_as_written(planted):
    at = page("ag", "pages/phone.py")
    assert_shown_as_written(at, NAME, TEAM)
    assert words(NAME) in [rendered(s.value).text for s in at.subheader]


# ---------------------------------------------------------------- the PDF report

# ASCII, so that it prints whether or not the Chinese font is installed; "{nb}" is fpdf2's own
# placeholder for the page count, which it fills in everywhere unless told not to.
PDF_REGION = "Ningbo{nb} **bold** [refund](https://evil.example/r)"


def pdf_text(pdf: bytes) -> str:
    """The text a PDF reader shows, line by line: fpdf2's content streams read through the font's
    ToUnicode map (two bytes a glyph), or as Latin-1 when the built-in font has none."""
    streams = []
    for raw in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            streams.append(zlib.decompress(raw))
        except zlib.error:
            streams.append(raw)
    glyphs = {
        int(code, 16): bytes.fromhex(text.decode()).decode("utf-16-be")
        for stream in streams
        if b"begincmap" in stream
        for block in re.findall(rb"beginbfchar(.*?)endbfchar", stream, re.S)
        for code, text in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block)
    }
    lines = []
    for stream in streams:
        for block in re.findall(rb"BT(.*?)ET", stream, re.S):
            shown = b"".join(_unescaped(s) for s in re.findall(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", block, re.S))
            if glyphs:
                lines.append(
                    "".join(glyphs.get(int.from_bytes(shown[i : i + 2], "big"), "") for i in range(0, len(shown), 2))
                )
            else:
                lines.append(shown.decode("latin-1"))
    return "\n".join(lines)


def _unescaped(literal: bytes) -> bytes:
    escapes = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}
    return re.sub(
        rb"\\([0-7]{1,3}|.)",
        lambda m: bytes([int(m.group(1), 8)]) if m.group(1)[:1].isdigit() else escapes.get(m.group(1), m.group(1)),
        literal,
        flags=re.S,
    )


def test_the_pdf_report_prints_an_imported_region_as_written(db_url):
    with database.session() as db:
        for number in range(40):
            person, event = customer(db, f"R{number}", region=PDF_REGION if number % 2 else "Hangzhou")
            respond(db, person, event, overall=1 + number % 5)
    rollup.refresh(db_url)
    today = local_today()
    board = insight.dashboard(database.get_engine(), insight.Request(Filters(today - timedelta(days=30), today)))
    pdf = report_export.pdf_bytes(board, "en")
    assert b"/URI" not in pdf and b"/Annots" not in pdf  # no link anywhere in the file
    printed = "".join(pdf_text(pdf).split())
    assert "".join(PDF_REGION.split()) in printed  # markup, placeholder and all, as written


# ---------------------------------------------------------------- the helper itself

MARKUP = st.sampled_from(
    [
        *"\\`*_{}[]()<>#+-.!|~:$&=^/@'\" \n\t\r0123456789",
        "http://",
        "https://",
        "www.",
        "](",
        "![",
        "    ",
        "\n\n",
        "&amp;",
        "&#91;",
        ":material/home:",
        ":red[x]",
        "a@b.cn",
        "<img src=x>",
        "1. ",
        "- ",
        "> ",
        "---",
        "===",
        "```",
        "| a |\n|---|",
        "$x$",
    ]
)
TEXT = st.one_of(st.lists(st.one_of(MARKUP, st.text(max_size=5)), max_size=30).map("".join), st.text(max_size=60))


@pytest.mark.slow  # CI runs it; the quick loop keeps a lighter test of the same feature
@settings(max_examples=500, deadline=None, derandomize=True)
@given(TEXT)
def test_any_text_shows_as_written_and_makes_no_link_image_or_html(text):
    result = rendered(plain(text))
    assert result.inert, (text, plain(text), result)
    assert result.text == words(text)


def test_the_issue_comment_is_plain_text_and_nothing_is_none():
    assert shows_literally(plain(COMMENT), COMMENT)
    assert plain(None) == "" and plain(12) == "12"
    assert plain("第一行\n第二行") == "第一行  \n第二行"  # a line break stays a line break
