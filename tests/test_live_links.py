"""One live invitation per customer, survey and service event: asking for a link again gives
the live one (or replaces it, and the old link then says so politely), campaigns and revisit
rules leave out customers who have one, and nobody answers the same survey about the same
event twice through different tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlmodel import func, select

from survey.cli import main
from survey.collect.responses import AlreadyAnswered, complete_invitation
from survey.core import db as database
from survey.core.links import new_token
from survey.core.vocab import InvitationStatus
from survey.design.definitions import live_version
from survey.distribution import audience as audiences
from survey.distribution import service
from survey.distribution.audience import Audience
from survey.distribution.campaigns import create_campaign
from survey.distribution.personal_links import adhoc_campaign
from survey.distribution.sampling import SamplingPlan
from survey.distribution.triggers import RuleSpec, apply_rules, save_rule
from survey.models import Customer, Invitation, Response, RuleDecision, Survey, User, utcnow
from tests.distribution_support import add_customers, published_survey
from tests.respondent_support import REPAIR_ANSWERS, answer, client

TOKEN_OF = "{}/s/{}"


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def world(db_url):
    """Three customers, each with a repair (ticket T-C0000n) closed two days ago."""
    with database.session() as db:
        published_survey(db)
        add_customers(db, 3, prefix="C")
        db.add(User(username="qa", role="quality", password_hash="-"))
    return db_url


def link_for(customer: str, *extra: str) -> tuple[str, str]:
    """(the link printed, what else the command said) for `survey link` about the customer's repair."""
    result = run("link", "--survey", "repair-revisit", "--customer", customer, "--event", f"T-{customer}", *extra)
    assert result.exit_code == 0, result.output
    link, *notes = result.output.strip().splitlines()
    return link, " ".join(notes)


def token_of(link: str) -> str:
    return link.rsplit("/", 1)[1]


def invitations() -> list[Invitation]:
    with database.session() as db:
        return list(db.exec(select(Invitation).order_by(Invitation.id)))


def test_asking_again_for_a_link_gives_the_live_one(world):
    first, _ = link_for("C00000")
    again, note = link_for("C00000")
    assert again == first and "live link" in note and len(invitations()) == 1
    with database.session() as db:
        actor = db.exec(select(User.id)).one()
    made = [service.personal_link("repair-revisit", "C00000", actor_id=actor) for _ in range(2)]  # the design page's
    assert [m.outcome for m in made] == ["created", "reused"] and made[0].link == made[1].link  # (about no event)
    assert len(invitations()) == 2


def test_a_replaced_link_says_so_politely_and_the_new_one_works(world):
    old, _ = link_for("C00000")
    new, note = link_for("C00000", "--replace")
    assert new != old and "replaced" in note
    assert [i.status for i in invitations()] == [InvitationStatus.SUPERSEDED, InvitationStatus.SENT]
    browser = client()
    page = browser.get(f"/s/{token_of(old)}")
    assert page.status_code == 410 and "这个链接已被新链接替换" in page.text
    english = browser.get(f"/s/{token_of(old)}?lang=en")
    assert "This link was replaced" in english.text
    fresh = browser.get(f"/s/{token_of(new)}")
    assert fresh.status_code == 200
    assert "感谢您的评价" in answer(browser, f"/s/{token_of(new)}", fresh.text, REPAIR_ANSWERS).text


def second_token_about_the_same_event(customer: str) -> str:
    """A second live invitation about the same event, as data made before the rule existed can hold."""
    with database.session() as db:
        person = db.exec(select(Customer).where(Customer.external_id == customer)).one()
        first = db.exec(select(Invitation).where(Invitation.customer_id == person.id)).one()
        survey = db.exec(select(Survey).where(Survey.code == "repair-revisit")).one()
        token = new_token()
        db.add(
            Invitation(
                campaign_id=adhoc_campaign(db, survey).id,
                customer_id=person.id,
                event_id=first.event_id,
                token=token,
                channel="export",
                status="sent",
                expires_at=utcnow() + timedelta(days=7),
            )
        )
    return token


def response_count() -> int:
    with database.session() as db:
        return db.exec(select(func.count(Response.id))).one()


def test_no_customer_answers_the_same_event_twice_through_two_tokens(world):
    first = token_of(link_for("C00000")[0])
    second = second_token_about_the_same_event("C00000")
    browser = client()
    second_page = browser.get(f"/s/{second}")  # opened before the first link is answered
    first_page = browser.get(f"/s/{first}")
    assert "感谢您的评价" in answer(browser, f"/s/{first}", first_page.text, REPAIR_ANSWERS).text
    late = answer(browser, f"/s/{second}", second_page.text, REPAIR_ANSWERS)
    assert response_count() == 1 and "感谢" in late.text
    assert "您已完成这份问卷" in browser.get(f"/s/{second}").text
    with database.session() as db:  # the guard where answers are saved, whatever the caller checked
        invitation = db.exec(select(Invitation).where(Invitation.token == second)).one()
        version = live_version(db, db.exec(select(Survey).where(Survey.code == "repair-revisit")).one())
        with pytest.raises(AlreadyAnswered):
            complete_invitation(db, invitation, version, {"overall": 5}, channel="agent", language="zh-CN")
    refused = run("link", "--survey", "repair-revisit", "--customer", "C00000", "--event", "T-C00000")
    assert (
        refused.exit_code != 0
        and "has answered survey 'repair-revisit' about this service event already" in refused.output
    )


def test_campaigns_and_rules_leave_out_customers_with_a_live_link_about_the_event(world):
    link_for("C00000")
    repairs = Audience(survey_code="repair-revisit", event_kinds=("repair",))
    with database.session() as db:
        assert audiences.count(db, repairs) == 2
        created = create_campaign(db, "repair-revisit", repairs, SamplingPlan(), "export")
    assert created.invitations == 2
    with database.session() as db:
        assert audiences.count(db, repairs) == 0  # everyone now has a live link about their repair
        save_rule(
            db,
            RuleSpec(
                code="repair-next-day",
                name="报修次日回访",
                survey_code="repair-revisit",
                event_kinds=("repair",),
                rates={"standard": 1.0},
                delay_hours=1,
            ),
            now=utcnow() - timedelta(days=5),
        )
    assert apply_rules(database.session)["repair-next-day"].invited == 0
    with database.session() as db:
        assert set(db.exec(select(RuleDecision.outcome)).all()) == {"already_invited"}
    assert len(invitations()) == 3
