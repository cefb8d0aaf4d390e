"""Metric definitions against hand-computed values on a small fixture with known answers,
and the rollup that feeds them (incremental, never double-counting), on SQLite and PostgreSQL."""

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from sqlmodel import select

from survey.core import db as database
from survey.core.filters import Filters
from survey.design.definitions import create_survey, live_version
from survey.design.templates import template
from survey.insight import dashboard as insight
from survey.insight import metrics, rollup
from survey.insight.metrics import LEVEL_COLUMNS, METRICS
from survey.models import (
    Answer,
    Campaign,
    Customer,
    Invitation,
    Response,
    ServiceEvent,
    Survey,
)

OCTOBER = Filters(date(2026, 10, 1), date(2026, 10, 31))
DAY = date(2026, 10, 14)

# (survey, region, tier, answers) — tier None: an anonymous public-link answer
RESPONSES = [
    (
        "hall-visit",
        "Hangzhou",
        "gold",
        {"overall": 5, "business_handling": 4, "staff_attitude": 5, "ces": 2, "nps": 10},
    ),
    (
        "hall-visit",
        "Hangzhou",
        "standard",
        {"overall": 4, "business_handling": 2, "staff_attitude": 3, "ces": 5, "nps": 8},
    ),
    (
        "hall-visit",
        "Ningbo",
        "standard",
        {"overall": 2, "business_handling": 1, "staff_attitude": 4, "ces": 7, "nps": 3},
    ),
    ("hall-visit", "Ningbo", None, {"overall": 3, "business_handling": 3, "staff_attitude": 3, "ces": 4, "nps": 6}),
    (
        "vip-quarterly",
        "Hangzhou",
        "gold",
        {
            "network_quality": 4,
            "billing": 5,
            "business_handling": 4,
            "fault_repair": 3,
            "staff_attitude": 5,
            "overall": 4,
            "nps": 9,
        },
    ),
    (
        "vip-quarterly",
        "Ningbo",
        "diamond",
        {
            "network_quality": 2,
            "billing": 3,
            "business_handling": 3,
            "fault_repair": 2,
            "staff_attitude": 4,
            "overall": 2,
            "nps": 5,
        },
    ),
]


def _at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _add_response(db, surveys, code, region, tier, answers, day=DAY, customer=None, invitation=None):
    survey, version = surveys[code]
    response = Response(
        survey_id=survey.id,
        version_id=version.id,
        channel="link",
        answered_on=day,
        submitted_at=_at(day),
        region=region,
        tier=tier,
        segment="consumer" if tier else None,
        touch_point="business_hall" if code == "hall-visit" else None,
        customer_id=customer.id if customer else None,
        invitation_id=invitation.id if invitation else None,
    )
    db.add(response)
    db.flush()
    db.add_all(Answer(response_id=response.id, question_code=q, value_num=float(v)) for q, v in answers.items())
    return response


@pytest.fixture
def known(db_url):
    """The responses above, invitations for a 60% response rate, and one repeated fault."""
    with database.session() as db:
        surveys = {}
        for code in ("hall-visit", "vip-quarterly"):
            survey = create_survey(db, template(code), publish=True)
            surveys[code] = (survey, live_version(db, survey))
        campaign = Campaign(
            name="Oct",
            survey_id=surveys["vip-quarterly"][0].id,
            version_id=surveys["vip-quarterly"][1].id,
            channel="sms",
        )
        db.add(campaign)
        db.flush()
        for i, (code, region, tier, answers) in enumerate(RESPONSES):
            customer = None
            if tier:
                customer = Customer(external_id=f"C{i}", tier=tier, region=region)
                db.add(customer)
                db.flush()
            _add_response(db, surveys, code, region, tier, answers, customer=customer)
            if i == 1:  # this customer had a repeated fault a month before answering
                db.add(
                    ServiceEvent(
                        customer_id=customer.id,
                        kind="repair",
                        touch_point="field_crew",
                        region=region,
                        repeated_fault=True,
                        occurred_at=_at(DAY - timedelta(days=30)),
                    )
                )
        invited = Customer(external_id="INV", tier="gold", region="Hangzhou")
        db.add(invited)
        db.flush()
        for k, status in enumerate(["completed", "completed", "completed", "expired", "opted_out", "failed"]):
            db.add(
                Invitation(
                    campaign_id=campaign.id,
                    customer_id=invited.id,
                    token=f"t{k}",
                    channel="sms",
                    status=status,
                    sent_at=None if status == "failed" else _at(date(2026, 10, 3)),
                    failed_at=_at(date(2026, 10, 3)) if status == "failed" else None,
                )
            )
    rollup.refresh(invitations_now=True)
    return surveys


def _histogram(conn, code, filters=OCTOBER, by=()):
    return metrics.level_counts(conn, code, filters, by)


def _scale(conn, code):
    return metrics.question_scales(conn, [code])[code]


def test_headline_metrics_match_hand_computed_values(known):
    with database.get_engine().connect() as conn:
        overall = _scale(conn, "overall").counts(_histogram(conn, "overall").iloc[0])
        nps = _scale(conn, "nps").counts(_histogram(conn, "nps").iloc[0])
        ces = _scale(conn, "ces").counts(_histogram(conn, "ces").iloc[0])
        scale = _scale(conn, "overall")
        # overall answers 5, 4, 2, 3, 4, 2: top two boxes (4, 5) are 3 of 6
        assert METRICS["csat"].estimate(overall, scale).estimate == pytest.approx(3 / 6)
        assert METRICS["mean"].estimate(overall, scale).estimate == pytest.approx(20 / 6)
        assert METRICS["index"].estimate(overall, scale).estimate == pytest.approx((20 / 6 - 1) / 4 * 100)
        # NPS answers 10, 8, 3, 6, 9, 5: two promoters, three detractors
        assert METRICS["nps"].estimate(nps, _scale(conn, "nps")).estimate == pytest.approx(100 * (2 - 3) / 6)
        # CES (hall visits only, 1-7): 2, 5, 7, 4
        assert METRICS["ces"].estimate(ces, _scale(conn, "ces")).estimate == pytest.approx(4.5)
        invited = metrics.invitation_counts(conn, OCTOBER)
        rate = metrics.response_rate(int(invited["delivered"].sum()), int(invited["completed"].sum()))
        assert (rate.n, rate.estimate) == (5, pytest.approx(3 / 5))  # the failed one was never delivered


def test_vip_index_is_the_composite_of_respondents_who_rated_every_dimension(known):
    with database.get_engine().connect() as conn:
        rows = metrics.moment_sums(conn, metrics.vip_filters(OCTOBER))
    # gold VIP: 75, 100, 75, 50, 100 -> 80; diamond: 25, 50, 50, 25, 75 -> 45; the gold hall visitor
    # rated two dimensions only and is not in the index
    equal = metrics.vip_index(rows, metrics.vip_weights(""))
    assert equal.estimate == pytest.approx(62.5)
    assert equal.n == 2
    weighted = metrics.vip_index(rows, metrics.vip_weights("billing=3,network_quality=1"))
    assert weighted.estimate == pytest.approx(((3 * 100 + 75) / 4 + (3 * 50 + 25) / 4) / 2)


def test_breakdowns_and_dimension_scores_match_hand_computed_values(known):
    with database.get_engine().connect() as conn:
        request = insight.Request(OCTOBER)
        tables = insight._breakdowns(conn, request)
    region = tables["region"].set_index("group")
    assert region.loc["Hangzhou", "value"] == pytest.approx(1.0)  # 5, 4, 4
    assert region.loc["Ningbo", "value"] == pytest.approx(0.0)  # 2, 3, 2
    assert region.loc["Hangzhou", "difference"] == pytest.approx(1.0)
    assert region["small"].all()  # flagged, not hidden
    dimension = tables["dimension"].set_index("group")
    # business handling 4, 2, 1, 3, 4, 3 on 1-5 -> 75, 25, 0, 50, 75, 50
    assert dimension.loc["business_handling", "value"] == pytest.approx(275 / 6)
    assert dimension.loc["business_handling", "n"] == 6


def test_repeated_fault_flag_marks_customers_with_a_recent_repeated_fault(known):
    with database.get_engine().connect() as conn:
        blocks = metrics.blocks(metrics.moment_sums(conn, OCTOBER))
    flagged = [b for b in blocks if "repeated_fault" in b.names]
    n = sum(b.n for b in flagged)
    total = sum(b.sums[b.names.index("repeated_fault")] for b in flagged)
    assert n == 5  # the anonymous answer has no customer to look up
    assert total == pytest.approx(400)  # one of five had a repeated fault (0), four did not (100)


def test_weighting_rakes_respondents_to_the_invited_tier_mix(known):
    with database.get_engine().connect() as conn:
        counts = metrics.level_counts(conn, "overall", OCTOBER, ("tier", "region"))
        counts = counts.assign(n=counts[list(LEVEL_COLUMNS)].sum(axis=1))
    # invited: everyone in Hangzhou; 2 gold for each standard -> gold and standard weighted 2:1
    margins = pd.DataFrame({"tier": ["gold", "standard"], "region": ["Hangzhou", "Hangzhou"], "delivered": [20, 10]})
    weights = metrics.invited_weights(counts[counts["region"] == "Hangzhou"], margins)[()]
    hangzhou = counts[counts["region"] == "Hangzhou"]
    w = weights.of(hangzhou)
    tier_share = {
        tier: float((w * hangzhou["n"])[hangzhou["tier"] == tier].sum() / (w * hangzhou["n"]).sum())
        for tier in ("gold", "standard")
    }
    assert tier_share == pytest.approx({"gold": 2 / 3, "standard": 1 / 3})
    scale = metrics.Scale(1, 5)
    weighted = METRICS["csat"].weighted_estimate(scale.matrix(hangzhou), w, scale)
    # gold: 5 and 4 (both top boxes), standard: 4 (top box) -> 100% either way; the mean shows the weights
    mean = METRICS["mean"].weighted_estimate(scale.matrix(hangzhou), w, scale)
    assert weighted.estimate == pytest.approx(1.0)
    assert mean.estimate == pytest.approx(2 / 3 * 4.5 + 1 / 3 * 4)


def test_refresh_counts_new_responses_once(known):
    with database.get_engine().connect() as conn:
        before = int(_histogram(conn, "overall")[list(LEVEL_COLUMNS)].to_numpy().sum())
        version = rollup.data_version(conn)
    with database.session() as db:
        surveys = {
            code: (s, live_version(db, s))
            for code, s in (
                (code, db.exec(select(Survey).where(Survey.code == code)).one())
                for code in ("hall-visit", "vip-quarterly")
            )
        }
        _add_response(db, surveys, "hall-visit", "Hangzhou", "silver", {"overall": 1, "business_handling": 1})
    assert rollup.refresh() > version
    same = rollup.refresh()
    assert rollup.refresh() == same  # nothing new: no new version
    with database.get_engine().connect() as conn:
        after = _histogram(conn, "overall")[list(LEVEL_COLUMNS)].sum()
    assert int(after.sum()) == before + 1
    assert int(after["n1"]) == 1
    assert rollup.rebuild() > same
    with database.get_engine().connect() as conn:
        assert int(_histogram(conn, "overall")[list(LEVEL_COLUMNS)].to_numpy().sum()) == before + 1


def test_weekly_and_daily_rollups_agree_for_any_range(known):
    with database.session() as db:
        surveys = {
            code: (s, live_version(db, s))
            for code, s in (
                (code, db.exec(select(Survey).where(Survey.code == code)).one()) for code in ("hall-visit",)
            )
        }
        for k in range(40):  # answers spread over six weeks
            _add_response(
                db,
                surveys,
                "hall-visit",
                "Hangzhou",
                "gold",
                {"overall": 1 + k % 5},
                day=date(2026, 9, 20) + timedelta(days=k),
            )
    rollup.refresh()
    with database.get_engine().connect() as conn:
        for filters in (Filters(date(2026, 9, 23), date(2026, 10, 27)), Filters(date(2026, 9, 21), date(2026, 10, 4))):
            for by in (("week",), ("month",), ("day",), ()):
                hybrid = metrics.level_counts(conn, "overall", filters, by)
                daily = metrics._grouped(
                    conn, metrics.answer_daily, LEVEL_COLUMNS, filters, by, lambda t: [t.c.question_code == "overall"]
                )
                keys = list(by)
                hybrid = hybrid.sort_values(keys).reset_index(drop=True) if keys else hybrid
                daily = daily.sort_values(keys).reset_index(drop=True) if keys else daily
                np.testing.assert_array_equal(
                    hybrid[list(LEVEL_COLUMNS)].to_numpy(int), daily[list(LEVEL_COLUMNS)].to_numpy(int)
                )
                invited = metrics.invitation_counts(conn, filters, by)
                invited_daily = metrics._grouped(
                    conn, metrics.invitation_daily, ("delivered", "completed"), filters, by
                )
                assert (
                    invited[["delivered", "completed"]].sum().tolist()
                    == invited_daily[["delivered", "completed"]].sum().tolist()
                    == [5, 3]
                )


def test_a_response_committed_after_a_refresh_began_is_counted_by_the_next(known, backend):
    """Late-committing writers (PostgreSQL: a transaction still open while a refresh claims)."""
    if backend != "postgresql":
        pytest.skip("SQLite lets one writer in at a time: a refresh waits for the open transaction")
    engine = database.get_engine()
    with database.session() as db:
        hall = db.exec(select(Survey).where(Survey.code == "hall-visit")).one()
        version = live_version(db, hall)
    writer = engine.connect()
    transaction = writer.begin()
    writer.execute(
        sa.insert(Response).values(
            survey_id=hall.id,
            version_id=version.id,
            channel="link",
            answered_on=DAY,
            submitted_at=_at(DAY),
            region="Hangzhou",
        )
    )
    response_id = writer.execute(sa.select(sa.func.max(Response.id))).scalar()
    writer.execute(sa.insert(Answer).values(response_id=response_id, question_code="overall", value_num=1.0))
    rollup.refresh()  # runs while the insert is uncommitted
    transaction.commit()
    writer.close()
    rollup.refresh()
    with engine.connect() as conn:
        assert int(_histogram(conn, "overall")["n1"].sum()) == 1


def test_recent_invitations_are_recounted_when_their_status_changes(known):
    from survey.overview import local_today

    yesterday = local_today() - timedelta(days=1)
    recent = Filters(yesterday, yesterday)
    with database.session() as db:
        campaign = db.exec(select(Campaign)).first()
        customer = db.exec(select(Customer).where(Customer.external_id == "INV")).one()
        invitation = Invitation(
            campaign_id=campaign.id,
            customer_id=customer.id,
            token="recent",
            channel="sms",
            status="sent",
            sent_at=_at(yesterday, 12),
        )
        db.add(invitation)
    rollup.refresh(invitations_now=True)

    def counted(filters):
        with database.get_engine().connect() as conn:
            frame = metrics.invitation_counts(conn, filters)
        return int(frame["delivered"].sum()), int(frame["completed"].sum())

    assert counted(recent) == (1, 0)
    with database.session() as db:
        db.get(Invitation, invitation.id).status = "completed"
        settled = db.exec(select(Invitation).where(Invitation.status == "expired")).one()
        settled.status = "completed"  # an October invitation: its day is settled
    version = rollup.refresh(invitations_now=True)
    assert counted(recent) == (1, 1)
    assert counted(OCTOBER) == (5, 3)  # settled days are not re-read...
    assert rollup.rebuild() > version
    assert counted(OCTOBER) == (5, 4)  # ...until a rebuild
