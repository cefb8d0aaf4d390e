"""The sample-size planner: how many invitations it takes to detect a chosen change.

The question it answers: "to see a change of 3 points of CSAT (or 5 points of NPS) between two
equal waves (before/after a service change, this quarter vs last), how many responses does each
wave need, and how many invitations is that at the response rate this audience has shown?"
The baseline comes from this survey's answers over the last year, the response rate from past
invitations to customers like this audience (same tiers, regions, segments, channel); the
statistics are ``stats.power``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session

from stats import power
from survey.distribution.audience import Audience
from survey.distribution.funnel import response_rates
from survey.models import Answer, Response, Survey, utcnow

BASELINE_DAYS = 365
MIN_DELIVERED = 30  # fewer past invitations than this: widen to every survey
DEFAULT_CSAT = 0.80  # used only when the survey has no answers yet
DEFAULT_NPS = (0.45, 0.15)  # promoters, detractors


@dataclass(frozen=True)
class HistoricRate:
    rate: float | None
    ci_low: float | None
    ci_high: float | None
    delivered: int
    scope: str  # "survey" (this survey's past invitations) or "all" (any survey)


def historic_response_rate(db: Session, audience: Audience) -> HistoricRate:
    filters = {"tier": audience.tiers, "region": audience.regions, "segment": audience.segments}
    since = utcnow() - timedelta(days=BASELINE_DAYS)
    for scope, survey_code in (("survey", audience.survey_code), ("all", None)):
        if scope == "survey" and not survey_code:
            continue
        rows = response_rates(
            db, (), survey_code=survey_code, since=since, customer_filters=filters, channel=audience.channel
        )
        if rows and rows[0].delivered >= MIN_DELIVERED:
            r = rows[0]
            return HistoricRate(r.rate, r.ci_low, r.ci_high, r.delivered, scope)
    return HistoricRate(None, None, None, 0, "none")


def _level_counts(db: Session, survey_code: str | None, question_code: str) -> dict[int, int]:
    query = (
        sa.select(Answer.value_num, sa.func.count())
        .join(Response, Response.id == Answer.response_id)
        .where(
            Answer.question_code == question_code,
            Answer.value_num.is_not(None),
            Response.submitted_at >= utcnow() - timedelta(days=BASELINE_DAYS),
        )
    )
    if survey_code:
        query = query.join(Survey, Survey.id == Response.survey_id).where(Survey.code == survey_code)
    return {int(level): n for level, n in db.exec(query.group_by(Answer.value_num)).all()}


def baseline_csat(db: Session, survey_code: str | None) -> float:
    """Top-2-box share of the 1-5 ``overall`` question over the last year."""
    counts = _level_counts(db, survey_code, "overall")
    total = sum(counts.values())
    return (counts.get(4, 0) + counts.get(5, 0)) / total if total else DEFAULT_CSAT


def baseline_nps(db: Session, survey_code: str | None) -> tuple[float, float]:
    """(promoter share, detractor share) of the 0-10 ``nps`` question over the last year."""
    counts = _level_counts(db, survey_code, "nps")
    total = sum(counts.values())
    if not total:
        return DEFAULT_NPS
    promoters = sum(n for level, n in counts.items() if level >= 9) / total
    detractors = sum(n for level, n in counts.items() if level <= 6) / total
    return promoters, detractors


@dataclass(frozen=True)
class PlanResult:
    metric: str  # "csat" or "nps"
    baseline: float  # CSAT share, or NPS points
    change: float  # points to detect
    responses_per_group: int
    response_rate: float
    invitations_per_group: int
    audience: int
    detectable_with_audience: float | None  # points detectable if the whole audience is one wave

    @property
    def audience_is_enough(self) -> bool:
        return self.audience >= self.invitations_per_group


def _detectable(mde, expected_responses: float) -> float | None:
    """The change detectable with the whole audience as one wave; None when no change is."""
    try:
        return mde(expected_responses)
    except ValueError:  # too few responses for any detectable change
        return None


def plan_csat(
    baseline: float,
    points: float,
    response_rate: float,
    audience: int,
    *,
    alpha: float = 0.05,
    target_power: float = 0.8,
) -> PlanResult:
    target = min(max(baseline + points / 100, 0.0), 1.0)
    n = power.n_proportions(baseline, target, alpha=alpha, power=target_power)
    mde = _detectable(
        lambda n: 100 * power.mde_proportions(n, baseline, alpha=alpha, power=target_power), audience * response_rate
    )
    return PlanResult(
        "csat", baseline, points, n, response_rate, power.invitations_needed(n, response_rate), audience, mde
    )


def plan_nps(
    promoters: float,
    detractors: float,
    points: float,
    response_rate: float,
    audience: int,
    *,
    alpha: float = 0.05,
    target_power: float = 0.8,
) -> PlanResult:
    """The change is assumed to come half from more promoters, half from fewer detractors."""
    shift = points / 200
    new_promoters, new_detractors = min(promoters + shift, 1.0), max(detractors - shift, 0.0)
    n = power.n_nps(promoters, detractors, new_promoters, new_detractors, alpha=alpha, power=target_power)
    mde = _detectable(
        lambda n: power.mde_nps(n, promoters, detractors, alpha=alpha, power=target_power), audience * response_rate
    )
    return PlanResult(
        "nps",
        100 * (promoters - detractors),
        points,
        n,
        response_rate,
        power.invitations_needed(n, response_rate),
        audience,
        mde,
    )
