"""The personal link page /s/<token> through Starlette's TestClient: a plain HTML form that an
ordinary form post answers, polite pages for every state, server-side checks, one response
per token under concurrency, multi-page resume, opt-out, bounded and signed forms."""

import logging
import threading
import time
from datetime import timedelta

import pytest
from sqlmodel import func, select

from survey.core import db as database
from survey.core.audit import entries
from survey.design import drafts
from survey.design.definitions import create_survey, live_version
from survey.distribution.personal_links import create_personal_link
from survey.models import Answer, Customer, FollowUpCase, Invitation, Response, Survey, utcnow
from survey.overview import local_today
from survey.web import respondent as routes_module
from tests.respondent_support import (
    REPAIR_ANSWERS,
    TEN_ANSWERS,
    answer,
    client,
    customer,
    fieldset,
    personal_token,
    read_form,
    ten_question_definition,
)


@pytest.fixture
def token(db_url):
    with database.session() as db:
        return personal_token(db)


def invitation_of(token: str) -> Invitation:
    with database.session() as db:
        return db.exec(select(Invitation).where(Invitation.token == token)).one()


def response_count() -> int:
    with database.session() as db:
        return db.exec(select(func.count(Response.id))).one()


# ---------------------------------------------------------------- the page


def test_the_link_page_is_a_plain_light_form_in_the_invitations_language(token):
    page = client().get(f"/s/{token}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "<script" not in html and 'method="post"' in html
    assert "王芳您好，您于2026年3月4日办理的装维服务已完成" in html  # piped from the customer and the event
    assert "您对本次装维服务的总体满意度如何？" in html and "非常满意" in html
    assert {"overall", "fault_repair", "nps", "comment"} <= set(read_form(html).names)
    assert "13312345678" not in html and "wang@example.cn" not in html  # nothing beyond what is piped in
    for header in ("content-security-policy", "referrer-policy", "cache-control"):
        assert header in page.headers
    assert "script-src" not in page.headers["content-security-policy"]  # default-src 'none': no scripts at all


def test_the_customer_can_switch_language_on_the_page(token):
    english = client().get(f"/s/{token}?lang=en").text
    assert "Hello 王芳, our crew visited you on 4 March 2026" in english and 'lang="en"' in english
    assert 'name="_switch" value="zh-CN"' in english  # a button of the form: answers go with it
    with database.session() as db:
        english_token = personal_token(db, external_id="C002", name="Mary Smith", language="en")
    assert "How did our install/repair visit go?" in client().get(f"/s/{english_token}").text


def test_switching_language_keeps_the_answers_chosen_and_saves_nothing(token):
    browser = client()
    html = browser.get(f"/s/{token}").text
    chosen = {"overall": "4", "fault_repair": "5", "comment": "师傅很专业"}
    english = browser.post(f"/s/{token}", data={**read_form(html).hidden, **chosen, "_switch": "en"}).text
    assert 'lang="en"' in english and "How did our install/repair visit go?" in english
    form = read_form(english)
    assert form.checked["overall"] == ["4"] and form.checked["fault_repair"] == ["5"]
    assert "师傅很专业</textarea>" in english
    assert form.hidden["_lang"] == "en" and "problems" not in english.lower()
    assert response_count() == 0 and invitation_of(token).status == "opened"
    done = answer(browser, f"/s/{token}", english, {**REPAIR_ANSWERS, **chosen})
    assert "Thank you" in done.text
    with database.session() as db:
        assert db.exec(select(Response)).one().language == "en"


def test_a_link_without_a_service_event_claims_no_date(db_url):
    with database.session() as db:
        token = personal_token(db, external_id="C009", with_event=False, name="Mary Smith", language="en")
    html = client().get(f"/s/{token}").text
    assert "our crew visited you recently." in html and "on recently" not in html


def test_a_very_low_score_from_a_vip_hears_that_someone_will_call(token):
    browser = client()
    html = browser.get(f"/s/{token}").text
    low = {**REPAIR_ANSWERS, "overall": "1", "what_wrong": "fault_repair", "comment": "修了三次还没好"}
    done = answer(browser, f"/s/{token}", html, low).text
    assert "我们的工作人员将在24小时内与您联系" in done  # gold: a 24-hour SLA
    with database.session() as db:
        assert db.exec(select(func.count(FollowUpCase.id))).one() == 0  # promised, not yet opened


def test_a_happy_customer_is_only_thanked(token):
    browser = client()
    html = browser.get(f"/s/{token}").text
    done = answer(browser, f"/s/{token}", html, REPAIR_ANSWERS).text
    assert "感谢您的评价" in done and "与您联系" not in done


def test_an_ordinary_form_post_saves_one_response_with_the_snapshot_and_timeline(token):
    browser = client()
    html = browser.get(f"/s/{token}").text
    assert invitation_of(token).opened_at is not None and invitation_of(token).status == "opened"
    done = answer(browser, f"/s/{token}", html, REPAIR_ANSWERS)
    assert done.status_code == 200 and "感谢您的评价，我们会持续改进！" in done.text
    with database.session() as db:
        response = db.exec(select(Response)).one()
        version = live_version(db, db.exec(select(Survey)).one())
        answers = {
            (a.question_code, a.value_num, a.value_text)
            for a in db.exec(select(Answer).where(Answer.response_id == response.id))
        }
    assert (response.channel, response.language, response.version_id) == ("link", "zh-CN", version.id)
    assert (response.tier, response.region, response.segment) == ("gold", "Ningbo", "business")
    assert (response.touch_point, response.event_kind, response.team) == ("field_crew", "repair", "Ningbo Crew 3")
    assert response.answered_on == local_today()
    assert answers == {
        ("overall", 5.0, None),
        ("fault_repair", 4.0, None),
        ("staff_attitude", 5.0, None),
        ("resolved", 1.0, None),
        ("nps", 9.0, None),
        ("comment", None, "师傅很专业"),
    }
    invitation = invitation_of(token)
    assert invitation.status == "completed" and invitation.opened_at <= invitation.started_at <= invitation.completed_at
    assert response.started_at == invitation.started_at


def test_problems_show_beside_their_questions_and_the_answers_stay(token):
    browser = client()
    html = browser.get(f"/s/{token}").text
    page = answer(browser, f"/s/{token}", html, {"overall": "2", "fault_repair": "9", "comment": "x" * 600})
    html = page.text
    assert page.status_code == 200 and response_count() == 0
    assert "请回答此题。" in fieldset(html, "staff_attitude")
    assert "请选择 1 到 5 之间的分值。" in fieldset(html, "fault_repair")
    assert "请控制在 500 字以内（现在 600 字）。" in fieldset(html, "comment")
    assert "请回答此题。" in fieldset(html, "what_wrong")  # overall <= 2: "what went wrong?" now shows
    assert read_form(html).checked["overall"] == ["2"]
    assert "x" * 600 in fieldset(html, "comment")
    assert invitation_of(token).status == "started"


def test_a_condition_on_the_same_page_is_shown_by_css_without_javascript(token):
    html = client().get(f"/s/{token}").text
    assert 'class="q cond"' in fieldset(html, "what_wrong")
    assert "form:has(#i-overall-0:checked,#i-overall-1:checked) #q-what_wrong{display:block}" in html


def test_the_customer_name_is_escaped(db_url):
    with database.session() as db:
        hostile = personal_token(db, external_id="C666", name='<img src=x onerror="alert(1)">')
    html = client().get(f"/s/{hostile}").text
    assert "<img src=x" not in html and "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html


# ---------------------------------------------------------------- one response per token


def test_a_repeated_post_shows_the_thank_you_page_and_keeps_one_response(token):
    browser = client()
    html = browser.get(f"/s/{token}").text
    first = answer(browser, f"/s/{token}", html, REPAIR_ANSWERS)
    again = answer(browser, f"/s/{token}", html, {**REPAIR_ANSWERS, "overall": "1"})
    assert again.status_code == 200 and again.text == first.text
    assert response_count() == 1
    later = client().get(f"/s/{token}?lang=en")
    assert "You have already answered this survey" in later.text


def test_twenty_concurrent_posts_of_one_token_leave_exactly_one_response(token):
    html = client().get(f"/s/{token}").text
    clients = [client() for _ in range(20)]
    start = threading.Barrier(20)
    pages: list = [None] * 20

    def post(index: int) -> None:
        start.wait()
        pages[index] = answer(clients[index], f"/s/{token}", html, REPAIR_ANSWERS)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(p is not None and p.status_code == 200 and "感谢您的评价" in p.text for p in pages)
    with database.session() as db:
        assert db.exec(select(func.count(Response.id))).one() == 1
        assert db.exec(select(func.count(Answer.id))).one() == len(REPAIR_ANSWERS)
    assert invitation_of(token).status == "completed"


# ---------------------------------------------------------------- multi-page surveys


def test_a_multi_page_survey_keeps_completed_pages_when_the_customer_comes_back(db_url):
    with database.session() as db:
        vip = personal_token(db, "vip-quarterly")
    first_visit = client()
    html = first_visit.get(f"/s/{vip}").text
    assert "第 1 页，共 2 页" in html
    page_one = {
        "network_quality": "4",
        "billing": "3",
        "business_handling": "5",
        "fault_repair": "4",
        "staff_attitude": "5",
    }
    html = answer(first_visit, f"/s/{vip}", html, page_one).text
    assert "第 2 页，共 2 页" in html and "总体而言，您对我们的服务满意吗？" in html
    later = client()  # another day, another browser, the same link
    html = later.get(f"/s/{vip}").text
    assert "第 2 页，共 2 页" in html
    html = answer(later, f"/s/{vip}", html, {"overall": "4"}, action="back").text
    assert "第 1 页" in html and read_form(html).checked["billing"] == ["3"]
    html = answer(later, f"/s/{vip}", html, {**page_one, "billing": "2"}).text
    assert read_form(html).checked["overall"] == ["4"]  # page 2 kept what was typed before going back
    assert "感谢您的宝贵意见" in answer(later, f"/s/{vip}", html, {"overall": "4", "nps": "8"}).text
    with database.session() as db:
        billing = db.exec(select(Answer.value_num).where(Answer.question_code == "billing")).one()
    assert billing == 2.0


def test_answers_go_to_the_live_version_and_record_which(token):
    with database.session() as db:
        survey = db.exec(select(Survey)).one()
        draft = drafts.start_new_version(db, survey)
        drafts.publish_draft(db, survey)
        second = draft.id
    browser = client()
    answer(browser, f"/s/{token}", browser.get(f"/s/{token}").text, REPAIR_ANSWERS)
    with database.session() as db:
        assert db.exec(select(Response.version_id)).one() == second


# ---------------------------------------------------------------- polite pages


def close_survey(_token):
    with database.session() as db:
        drafts.close_survey(db, db.exec(select(Survey)).one())


def expire(token_):
    with database.session() as db:
        invitation = db.exec(select(Invitation).where(Invitation.token == token_)).one()
        invitation.expires_at = utcnow() - timedelta(minutes=1)
        db.add(invitation)


def answer_it(token_):
    browser = client()
    answer(browser, f"/s/{token_}", browser.get(f"/s/{token_}").text, REPAIR_ANSWERS)


def opt_out(token_):
    browser = client()
    confirm = browser.get(f"/s/{token_}/optout").text
    answer(browser, f"/s/{token_}/optout", confirm, {})


@pytest.mark.parametrize(
    "make_state, status, zh, en",
    [
        (None, 404, "找不到这个问卷链接", "We cannot find this survey link"),
        (expire, 410, "这个问卷已过期", "This survey has expired"),
        (answer_it, 200, "您已完成这份问卷", "You have already answered this survey"),
        (close_survey, 410, "这份问卷已结束", "This survey is closed"),
        (opt_out, 200, "我们不会再邀请您参加调查", "We will not survey you again"),
    ],
)
def test_each_state_gets_a_polite_page_in_both_languages(token, make_state, status, zh, en):
    path = f"/s/{token}" if make_state else "/s/NoSuchTokenAtAll12345"
    if make_state:
        make_state(token)
    for lang, heading in (("zh-CN", zh), ("en", en)):
        page = client().get(f"{path}?lang={lang}")
        assert page.status_code == status and f"<h1>{heading}</h1>" in page.text
        assert "Traceback" not in page.text and "<form" not in page.text
    posted = client().post(path, data={"overall": "5"})
    assert posted.status_code in (200, status) and "Traceback" not in posted.text


@pytest.mark.parametrize("path", ["/s/x", "/s/" + "A" * 200, "/s/%3Cscript%3E", "/s/..%2F..%2Fetc", "/p/NO"])
def test_malformed_links_get_the_unknown_page(db_url, path):
    page = client().get(path)
    assert page.status_code == 404 and "找不到" in page.text


def test_a_customer_who_opened_before_expiry_may_finish_within_a_day(token):
    browser = client()
    html = browser.get(f"/s/{token}").text
    with database.session() as db:
        invitation = db.exec(select(Invitation).where(Invitation.token == token)).one()
        invitation.opened_at = utcnow() - timedelta(minutes=30)  # opened in time,
        invitation.expires_at = utcnow() - timedelta(minutes=1)  # answered just after the deadline
        db.add(invitation)
    assert "感谢您的评价" in answer(browser, f"/s/{token}", html, REPAIR_ANSWERS).text
    with database.session() as db:
        never_opened = personal_token(db, external_id="C009")
    expire(never_opened)
    assert client().get(f"/s/{never_opened}").status_code == 410


def test_do_not_survey_me_again_marks_the_invitation_and_the_customer(token):
    browser = client()
    html = browser.get(f"/s/{token}").text
    assert f'href="/s/{token}/optout?lang=zh-CN"' in html
    confirm = browser.get(f"/s/{token}/optout")
    assert confirm.status_code == 200 and "不再参加调查？" in confirm.text and "<form" in confirm.text
    assert invitation_of(token).opted_out_at is None  # asking is not doing
    done = answer(browser, f"/s/{token}/optout", confirm.text, {})
    assert "我们将不再向您发送调查邀请。" in done.text
    invitation = invitation_of(token)
    with database.session() as db:
        person = db.get(Customer, invitation.customer_id)
        logged = [e.action for e in entries(db)]
    assert invitation.status == "opted_out" and invitation.opted_out_at is not None
    assert person.opted_out and person.opted_out_at is not None and "customer.opt_out" in logged


def test_an_opt_out_post_without_our_signature_changes_nothing(token):
    page = client().post(f"/s/{token}/optout", data={"_form": "1.forged", "_page": "0"})
    assert page.status_code == 200 and "<form" in page.text
    assert invitation_of(token).opted_out_at is None


# ---------------------------------------------------------------- signed, bounded forms


@pytest.mark.parametrize(
    "tamper",
    [
        lambda form: {**form, "_page": "2"},  # claim another page
        lambda form: {**form, "_form": form["_form"][:-2] + "xx"},  # forge the signature
        lambda form: {k: v for k, v in form.items() if k != "_form"},  # a cross-site post has none
        lambda form: {**form, "_form": f"{int(time.time()) - 3 * 86400}." + form["_form"].split(".")[1]},  # stale
    ],
)
def test_a_form_we_did_not_sign_saves_nothing_but_keeps_the_answers(token, tamper):
    browser = client()
    hidden = read_form(browser.get(f"/s/{token}").text).hidden
    page = browser.post(f"/s/{token}", data={**tamper(hidden), **REPAIR_ANSWERS})
    assert page.status_code == 200 and "请检查您的回答后再提交一次" in page.text
    assert read_form(page.text).checked["overall"] == ["5"] and response_count() == 0
    fresh = read_form(page.text).hidden
    assert "感谢您的评价" in browser.post(f"/s/{token}", data={**fresh, **REPAIR_ANSWERS}).text


def test_a_form_signed_by_another_process_is_accepted(token):
    """The signing key lives in the database, so any app process accepts the forms of another."""
    html = client().get(f"/s/{token}").text
    database.dispose_engines()  # a "new process": nothing cached in memory
    assert "感谢您的评价" in answer(client(), f"/s/{token}", html, REPAIR_ANSWERS).text


def test_request_size_is_bounded(token):
    browser = client()
    hidden = read_form(browser.get(f"/s/{token}").text).hidden
    huge = browser.post(f"/s/{token}", data={**hidden, "comment": "x" * (routes_module.MAX_FORM_BYTES + 1)})
    assert huge.status_code == 413 and "提交的内容过多" in huge.text
    many = browser.post(
        f"/s/{token}",
        content="&".join(f"f{i}=1" for i in range(routes_module.MAX_FIELDS + 10)),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert many.status_code == 413
    odd = browser.post(f"/s/{token}", content=b"{}", headers={"content-type": "application/json"})
    assert odd.status_code == 415 and "Traceback" not in odd.text
    assert response_count() == 0


def test_a_multipart_form_post_is_read_too_but_files_are_refused(token):
    browser = client()
    hidden = read_form(browser.get(f"/s/{token}").text).hidden
    with_file = browser.post(f"/s/{token}", data=hidden, files={"upload": ("a.txt", b"hello", "text/plain")})
    assert with_file.status_code == 400
    fields = {**hidden, **REPAIR_ANSWERS}
    multipart = browser.post(f"/s/{token}", files={name: (None, value) for name, value in fields.items()})
    assert "感谢您的评价" in multipart.text and response_count() == 1


def test_a_ten_question_page_weighs_well_under_sixty_kilobytes(db_url):
    with database.session() as db:
        create_survey(db, ten_question_definition(), publish=True)
        customer(db)
        token_ = create_personal_link(db, "ten-questions", "C001")[0].token
    browser = client()
    page = browser.get(f"/s/{token_}")
    assert page.status_code == 200 and page.text.count("<fieldset") == 10
    assert len(page.content) < 60_000
    assert "src=" not in page.text.replace('href="data:,"', "") and "stylesheet" not in page.text
    assert "感谢" in answer(browser, f"/s/{token_}", page.text, TEN_ANSWERS).text


# ---------------------------------------------------------------- when things go wrong


def test_every_polite_page_and_vocabulary_has_both_languages():
    from survey.collect.visit import LinkState
    from survey.core.i18n import catalog
    from survey.core.vocab import CallOutcome
    from survey.design.question_types import QUESTION_TYPES
    from survey.web.render import MESSAGE_KINDS, message_page

    keys = catalog()
    assert {s.value for s in LinkState} - {"open"} <= set(MESSAGE_KINDS)
    for kind in MESSAGE_KINDS:
        for lang in ("zh-CN", "en"):
            html = message_page(kind, lang, path="/s/x")
            assert "respondent." not in html, (kind, lang)
    assert all(f"phone.not_open_{s.value}" in keys for s in LinkState if s != "open")
    assert all(f"call_outcome.{o.value}" in keys for o in CallOutcome)
    assert all(f"question_type.{name}" in keys for name in QUESTION_TYPES)


def test_an_unreachable_database_gets_a_polite_page_and_one_log_line(monkeypatch, caplog):
    monkeypatch.setenv("SURVEY_DATABASE_URL", "postgresql://postgres@127.0.0.1:1/none")
    caplog.set_level(logging.INFO, logger=routes_module.log.name)
    page = client().get("/s/AAAAAAAAAAAAAAAAAAAAAA?lang=en")
    assert page.status_code == 503 and "Temporarily unavailable" in page.text and "Traceback" not in page.text
    logged = [r for r in caplog.records if r.name == routes_module.log.name]
    assert len(logged) == 1 and not logged[0].exc_info, "the reason in one line, not a traceback"
    line = logged[0].getMessage()
    assert "database unavailable" in line and "127.0.0.1" in line and "\n" not in line


def test_broken_data_gets_a_polite_page_not_a_traceback(token):
    with database.get_engine().begin() as conn:  # bypasses the domain on purpose
        conn.exec_driver_sql("UPDATE question SET type = 'stars' WHERE code = 'nps'")
    page = client().get(f"/s/{token}")
    assert page.status_code == 500 and "出了点问题" in page.text and "Traceback" not in page.text
