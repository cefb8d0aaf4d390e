"""Every metric the product reports, defined once, computed from the rollup.

Definitions (the UI states them beside each figure):

- **CSAT**: share of answers to the overall question (code ``overall``) in the top two
  boxes of a 1-5 scale (4 or 5); on any other scale, the top box (its highest level).
- **Mean score** of a question on its own scale, and its **0-100 index**,
  (mean - min) / (max - min) x 100.
- **NPS** (question ``nps``, 0-10): % promoters (9-10) minus % detractors (0-6).
- **CES** (question ``ces``): the mean effort score on its scale (1 = very easy).
- **VIP index**: the weighted composite of the 0-100 dimension scores (network quality,
  billing, business handling, fault repair, staff attitude) of respondents from VIP tiers
  (diamond, gold, silver) who rated every dimension (the VIP survey; a revisit rates one
  or two); weights from SURVEY_VIP_INDEX_WEIGHTS (equal by default) or from key-driver
  importance.  A dimension score is the mean of the rating questions of that dimension.
- **Response rate**: completed / delivered invitations (sent, not failed, not replaced), counted by
  the local day the invitation was sent.

Every histogram metric is the mean of a per-level value (CSAT: 1 for a top box, else 0;
NPS: +100 / 0 / -100; index: the level on 0-100), which is how weighted estimates are made.
Aggregation runs in SQL on the rollup (``survey.insight.rollup``) and returns per-level counts by
period (day, week, month, quarter) and group; ``stats`` works from those histograms.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from stats import TestResult, compare, weighting
from stats.moments import Moments, composite_index
from survey.core.config import settings
from survey.core.errors import Refused
from survey.core.filters import Filters
from survey.core.vocab import VIP_TIERS
from survey.models import (
    CROSS_COLUMNS,
    CROSS_PAIRS,
    GROUP_COLUMNS,
    LEVEL_COLUMNS,
    MOMENT_VARIABLES,
    SUM_COLUMNS,
    Question,
    SurveyVersion,
    answer_daily,
    answer_weekly,
    invitation_daily,
    invitation_weekly,
    moments_daily,
)

OVERALL, NPS_CODE, CES_CODE = "overall", "nps", "ces"
DIMENSIONS = ("network_quality", "billing", "business_handling", "fault_repair", "staff_attitude")
REPEATED_FAULT = "repeated_fault"
VIP_TIER_VALUES = tuple(t.value for t in VIP_TIERS)
PERIODS = ("day", "week", "month", "quarter")
GROUPS = ("survey_id", "question_code", "item_code", *GROUP_COLUMNS)


class MetricKind(StrEnum):
    """The histogram metrics (see the module docstring for each definition)."""

    CSAT = "csat"  # share in the top box(es) of the overall question
    MEAN = "mean"  # mean score of the overall question on its own scale
    INDEX = "index"  # that mean on 0-100
    NPS = "nps"  # % promoters minus % detractors
    CES = "ces"  # mean effort score


# ---------------------------------------------------------------- filters
# What a figure looks at is survey.core.filters.Filters (a date range and groups); the rollup is
# read per period, so a figure refuses an open date range (Filters.bounds).


def _group_conditions(table: sa.Table, filters: Filters) -> list:
    conditions = []
    for column, values in (
        ("survey_id", filters.surveys),
        ("region", filters.regions),
        ("touch_point", filters.touch_points),
        ("tier", filters.tiers),
        ("segment", filters.segments),
    ):
        if values:
            conditions.append(table.c[column].in_(values))
    return conditions


def _check_by(by: Sequence[str], allowed: Iterable[str]) -> None:
    allowed = set(allowed)
    unknown = [b for b in by if b not in allowed]
    if unknown:
        raise Refused(
            key="errors.insight.unknown_group", unknown=", ".join(unknown), allowed=", ".join(sorted(allowed))
        )
    if sum(b in PERIODS for b in by) > 1:
        raise Refused(key="errors.insight.one_period")


def _select(
    conn: Connection,
    table: sa.Table,
    sums: Sequence[str],
    by: Sequence[str],
    where: Sequence,
    computed: Mapping | None = None,
) -> pd.DataFrame:
    computed = computed or {}
    keys = [computed[b](table).label(b) if b in computed else table.c[b] for b in by]
    statement = sa.select(*keys, *(sa.func.sum(table.c[c]).label(c) for c in sums)).where(*where).group_by(*keys)
    rows = conn.execute(statement).all()
    columns = list(zip(*rows)) if rows else [()] * (len(by) + len(sums))
    # Built column by column from arrays: a frame of small tables is made thousands of times a view.
    data = {
        name: (
            pd.to_datetime(np.array(values, dtype="datetime64[D]"))
            if name in ("day", "week", "month")
            else np.array(values, dtype=object)
        )
        for name, values in zip(by, columns)
    }
    data |= {name: np.nan_to_num(np.array(values, dtype=float)) for name, values in zip(sums, columns[len(by) :])}
    return pd.DataFrame(data)


def _grouped(
    conn: Connection,
    table: sa.Table,
    sums: Sequence[str],
    filters: Filters,
    by: Sequence[str],
    extra=lambda table: (),
    weekly: sa.Table | None = None,
    computed: Mapping | None = None,
) -> pd.DataFrame:
    """SUM(sums) over the rollup rows matching filters, grouped by ``by``.  With a ``weekly``
    twin table, the whole weeks of the range (that also lie in one month or quarter when
    grouping by those) come from it and only the remaining days from the daily table."""
    first, last = filters.bounds()
    period = next((b for b in by if b in PERIODS), None)
    weeks = _whole_weeks(filters, period) if weekly is not None and period != "day" else []
    parts, daily_where = [], [table.c.day.between(first, last)]
    if weeks:
        week_by = ["week" if b in ("month", "quarter") else b for b in by]
        part = _select(
            conn,
            weekly,
            sums,
            week_by,
            [_among(weekly.c.week, weeks), *_group_conditions(weekly, filters), *extra(weekly)],
            computed,
        )
        if period in ("month", "quarter"):
            part = part.rename(columns={"week": period})
        parts.append(part)
        daily_where.append(sa.not_(_among(table.c.week, weeks)))
    daily_by = ["month" if b == "quarter" else b for b in by]
    part = _select(
        conn, table, sums, daily_by, [*daily_where, *_group_conditions(table, filters), *extra(table)], computed
    )
    parts.append(part.rename(columns={"month": "quarter"}) if period == "quarter" else part)
    frame = pd.concat([p for p in parts if not p.empty] or parts[-1:], ignore_index=True)
    if period == "month":
        frame["month"] = frame["month"].dt.to_period("M").dt.start_time
    elif period == "quarter":
        frame["quarter"] = frame["quarter"].dt.to_period("Q").dt.start_time
    if len(parts) > 1 or period == "quarter":
        frame = (
            frame.groupby(list(by), as_index=False)[list(sums)].sum() if by else frame[list(sums)].sum().to_frame().T
        )
    return frame.reset_index(drop=True)


def _among(column, mondays: list[date]):
    """column IN mondays, as a range when they are consecutive (the usual case)."""
    if (mondays[-1] - mondays[0]).days == 7 * (len(mondays) - 1):
        return column.between(mondays[0], mondays[-1])
    return column.in_(mondays)


def _whole_weeks(filters: Filters, period: str | None) -> list[date]:
    """Mondays of the weeks that lie wholly in the range (and in one month or quarter when
    grouping by those)."""
    first = filters.start + timedelta(days=(7 - filters.start.weekday()) % 7)
    mondays = [first + timedelta(weeks=k) for k in range(max(0, (filters.end - first).days + 1) // 7)]
    if period == "month":
        mondays = [m for m in mondays if m.month == (m + timedelta(days=6)).month]
    elif period == "quarter":
        mondays = [m for m in mondays if (m.month - 1) // 3 == ((m + timedelta(days=6)).month - 1) // 3]
    return mondays


def level_counts(
    conn: Connection,
    questions: str | Sequence[str],
    filters: Filters,
    by: Sequence[str] = (),
    *,
    scope: Mapping[str, Sequence[str]] | None = None,
) -> pd.DataFrame:
    """Per-level answer counts (columns n0..n10) of one or more questions, grouped by ``by``:
    groups among survey_id, question_code, item_code, region, tier, touch_point, segment,
    and at most one period among day, week (Monday), month and quarter (first day).

    With ``scope`` (e.g. {"region": ["Hangzhou"], "touch_point": ["business_hall"]}; an empty
    list allows any value) ``by`` may also hold ``in_scope``: whether the answers fall inside
    it, decided in SQL so a service change's treated and comparison groups come back as two
    rows per period."""
    computed = {"in_scope": lambda table: _inside(table, scope or {})}
    _check_by(by, (*GROUPS, *PERIODS, *(("in_scope",) if scope is not None else ())))
    codes = (questions,) if isinstance(questions, str) else tuple(questions)
    frame = _grouped(
        conn,
        answer_daily,
        LEVEL_COLUMNS,
        filters,
        by,
        lambda table: [table.c.question_code.in_(codes)],
        weekly=answer_weekly,
        computed=computed,
    )
    if "in_scope" in frame:
        frame["in_scope"] = frame["in_scope"].astype(bool)
    return frame


def _inside(table: sa.Table, scope: Mapping[str, Sequence[str]]):
    conditions = [table.c[column].in_(list(values)) for column, values in scope.items() if values]
    return sa.case((sa.and_(sa.true(), *conditions), 1), else_=0)


def moment_sums(conn: Connection, filters: Filters, by: Sequence[str] = ()) -> pd.DataFrame:
    """Counts, sums and cross-products of the 0-100 scores per set of scores answered
    (column ``answered``), grouped by ``by`` (groups and one period, as ``level_counts``)."""
    _check_by(by, ("survey_id", *GROUP_COLUMNS, *PERIODS))
    return _grouped(conn, moments_daily, ("n", *SUM_COLUMNS, *CROSS_COLUMNS), filters, (*by, "answered"))


def invitation_counts(conn: Connection, filters: Filters, by: Sequence[str] = ()) -> pd.DataFrame:
    """Delivered and completed invitations by local sent day, grouped by ``by``."""
    _check_by(by, ("survey_id", *GROUP_COLUMNS, *PERIODS))
    return _grouped(conn, invitation_daily, ("delivered", "completed"), filters, by, weekly=invitation_weekly)


def blocks(frame: pd.DataFrame, *, merge: bool = True) -> list[Moments]:
    """Moment blocks from rows of ``moment_sums``: one per set of scores answered (rows with the
    same set add up), or with ``merge=False`` one per row (a bootstrap resamples those)."""
    masks = frame["answered"].to_numpy(int)
    n = frame["n"].to_numpy(float)
    sums = frame[list(SUM_COLUMNS)].to_numpy(float)
    crosses = frame[list(CROSS_COLUMNS)].to_numpy(float)
    if merge:
        masks, inverse = np.unique(masks, return_inverse=True)
        n, sums, crosses = (sum_by(inverse, len(masks), values) for values in (n, sums, crosses))
    p = len(MOMENT_VARIABLES)
    cross = np.zeros((len(masks), p, p))
    rows, cols = np.array(CROSS_PAIRS).T
    cross[:, rows, cols] = crosses
    cross[:, cols, rows] = crosses
    out = []
    for k, mask in enumerate(masks.tolist()):
        present = [i for i in range(p) if mask >> i & 1]
        out.append(
            Moments(
                tuple(MOMENT_VARIABLES[i] for i in present), n[k], sums[k, present], cross[k][np.ix_(present, present)]
            )
        )
    return out


def sum_by(groups: np.ndarray, size: int, values: np.ndarray) -> np.ndarray:
    """Sum rows of ``values`` into ``size`` groups (``groups``: each row's group index)."""
    out = np.zeros((size, *values.shape[1:]))
    np.add.at(out, groups, values)
    return out


# ---------------------------------------------------------------- scales and metrics


@dataclass(frozen=True)
class Scale:
    low: int
    high: int

    @property
    def levels(self) -> np.ndarray:
        return np.arange(self.low, self.high + 1, dtype=float)

    @property
    def top_levels(self) -> tuple[int, ...]:
        """CSAT's success levels: the top two boxes of a 1-5 scale, else the top box."""
        return (4, 5) if (self.low, self.high) == (1, 5) else (self.high,)

    @property
    def columns(self) -> list[str]:
        return [f"n{k}" for k in range(self.low, self.high + 1)]

    def counts(self, data: pd.DataFrame | pd.Series | Mapping) -> np.ndarray:
        """The counts of this scale's levels: from one row holding n0..n10, or summed over a frame."""
        if isinstance(data, pd.DataFrame):
            return data[self.columns].to_numpy(float).sum(axis=0)
        return np.array([data[c] for c in self.columns], dtype=float)

    def matrix(self, frame: pd.DataFrame) -> np.ndarray:
        """One histogram of this scale's levels per row of a frame holding n0..n10."""
        return frame[self.columns].to_numpy(float)


def question_scales(conn: Connection, codes: Iterable[str], survey_ids: Sequence[int] = ()) -> dict[str, Scale]:
    """Each question code's scale across the versions of the chosen surveys (all when empty).
    A code asked on two different scales is refused: its answers cannot be pooled."""
    query = (
        sa.select(Question.code, Question.scale_min, Question.scale_max)
        .distinct()
        .join(SurveyVersion, SurveyVersion.id == Question.version_id)
        .where(Question.code.in_(list(codes)), Question.scale_min.is_not(None))
    )
    if survey_ids:
        query = query.where(SurveyVersion.survey_id.in_(list(survey_ids)))
    scales: dict[str, Scale] = {}
    for code, low, high in conn.execute(query).all():
        scale = Scale(int(low), int(high))
        if scales.setdefault(code, scale) != scale:
            raise Refused(key="errors.insight.mixed_scales", code=code, first=str(scales[code]), second=str(scale))
    return scales


@dataclass(frozen=True)
class Metric:
    """A metric that is the mean of a per-level value of one question."""

    key: MetricKind
    question_code: str

    def values(self, scale: Scale) -> np.ndarray:
        lv = scale.levels
        if self.key == MetricKind.CSAT:
            return np.isin(lv, scale.top_levels).astype(float)
        if self.key == MetricKind.INDEX:
            return (lv - scale.low) / (scale.high - scale.low) * 100
        if self.key == MetricKind.NPS:
            return np.select([lv >= 9, lv <= 6], [100.0, -100.0], 0.0)
        return lv

    def estimate(self, counts: np.ndarray, scale: Scale) -> TestResult:
        """The metric with its interval from a histogram of ``scale``'s levels."""
        if self.key == MetricKind.CSAT:
            return compare.proportion_interval(
                int(counts[np.isin(scale.levels, scale.top_levels)].sum()), int(counts.sum())
            )
        if self.key == MetricKind.NPS:
            return compare.nps_interval_from_counts(_nps_counts(counts, scale))
        return compare.mean_interval_from_counts(counts, self.values(scale))

    def compare(self, a: np.ndarray, b: np.ndarray, scale: Scale, labels: Sequence[str]) -> TestResult:
        """a minus b, two independent histograms, with the metric's own test."""
        if self.key == MetricKind.CSAT:
            return compare.proportions_from_counts(a, b, scale.levels, scale.top_levels, labels=labels)
        if self.key == MetricKind.NPS:
            return compare.nps_from_counts(_nps_counts(a, scale), _nps_counts(b, scale), labels=labels)
        return compare.means_from_counts(a, b, self.values(scale), labels=labels)

    def weighted_estimate(self, histograms: np.ndarray, weights: np.ndarray, scale: Scale) -> TestResult:
        """The metric from histograms (rows of counts of ``scale``'s levels) whose respondents
        carry ``weights`` (one per row), with Kish's effective n."""
        keep = weights > 0  # respondents outside the weighted population
        histograms, weights = histograms[keep], weights[keep]
        values = np.tile(self.values(scale), len(histograms))
        w = np.repeat(weights, scale.levels.size)
        counts = histograms.ravel()
        if self.key == MetricKind.CSAT:
            return weighting.weighted_proportion_from_counts(values, w, counts)
        result = weighting.weighted_mean_from_counts(values, w, counts)
        return replace(result, quantity="nps") if self.key == MetricKind.NPS else result

    def versus_rest(self, counts_by_group: Mapping, scale: Scale) -> pd.DataFrame:
        if self.key == MetricKind.CSAT:
            return compare.versus_rest_from_counts(
                counts_by_group, scale.levels, metric="top_box", top_levels=scale.top_levels
            )
        if self.key == MetricKind.NPS:
            return compare.versus_rest_from_counts(
                {g: _nps_counts(c, scale) for g, c in counts_by_group.items()}, compare.NPS_LEVELS, metric="nps"
            )
        return compare.versus_rest_from_counts(counts_by_group, self.values(scale), metric="mean")


def _nps_counts(counts: np.ndarray, scale: Scale) -> np.ndarray:
    if (scale.low, scale.high) != (0, 10):
        raise Refused(key="errors.insight.nps_scale", low=scale.low, high=scale.high)
    return counts


METRICS: dict[MetricKind, Metric] = {
    MetricKind.CSAT: Metric(MetricKind.CSAT, OVERALL),
    MetricKind.MEAN: Metric(MetricKind.MEAN, OVERALL),
    MetricKind.INDEX: Metric(MetricKind.INDEX, OVERALL),
    MetricKind.NPS: Metric(MetricKind.NPS, NPS_CODE),
    MetricKind.CES: Metric(MetricKind.CES, CES_CODE),
}


# Shares (CSAT, response rate) are shown as percentages; everything else on its own scale.
PERCENT_METRICS = (MetricKind.CSAT, "response_rate")


def shown(key: MetricKind | str, value):
    """A metric value (or array) on the scale people read it: shares as percentages."""
    return value * 100 if key in PERCENT_METRICS else value


# ---------------------------------------------------------------- VIP index


def vip_weights(setting: str | None = None) -> dict[str, float]:
    """The configured VIP index weights ("dimension=weight,..."; empty: equal), summing to 1."""
    text = settings().vip_index_weights if setting is None else setting
    if not text.strip():
        return {d: 1 / len(DIMENSIONS) for d in DIMENSIONS}
    weights: dict[str, float] = {}
    for part in text.split(","):
        name, _, value = part.partition("=")
        name = name.strip()
        if name not in DIMENSIONS:
            raise Refused(key="errors.insight.vip_weight_name", name=name, dimensions=", ".join(DIMENSIONS))
        try:
            weights[name] = float(value)
        except ValueError:
            raise Refused(key="errors.insight.vip_weight_value", part=part.strip()) from None
    total = sum(weights.values())
    if total <= 0 or any(w < 0 for w in weights.values()):
        raise Refused(key="errors.insight.vip_weight_total")
    return {d: w / total for d, w in weights.items()}


def vip_filters(filters: Filters) -> Filters:
    """The filters restricted to VIP tiers (keeping a narrower tier choice)."""
    tiers = tuple(t for t in (filters.tiers or VIP_TIER_VALUES) if t in VIP_TIER_VALUES)
    return replace(filters, tiers=tiers or ("-",))  # "-" matches nothing: no VIP tier chosen


def rated_all(moment_rows: pd.DataFrame, variables: Iterable[str]) -> pd.Series:
    """Which ``moment_sums`` rows hold respondents who rated every one of ``variables``."""
    needed = sum(1 << MOMENT_VARIABLES.index(v) for v in variables)
    return (moment_rows["answered"].astype(int) & needed) == needed


def vip_index(
    moment_rows: pd.DataFrame, weights: Mapping[str, float], block_weights: np.ndarray | None = None
) -> TestResult:
    """The VIP index from ``moment_sums`` rows of VIP responses: the mean, over respondents
    who rated every weighted dimension, of their weighted dimension scores.  Respondents who
    rated only some dimensions (a revisit asks one or two) are left out, so a month with
    more revisits and fewer VIP-survey answers does not move the index by its mix alone.
    Raises ValueError when no respondent rated them all."""
    complete = rated_all(moment_rows, [d for d, w in weights.items() if w > 0]).to_numpy()
    if not complete.any():
        raise Refused(key="errors.insight.vip_incomplete")
    rows = moment_rows[complete]
    if block_weights is None:
        return composite_index(blocks(rows), weights)
    return composite_index(blocks(rows, merge=False), weights, block_weights=np.asarray(block_weights)[complete])


# ---------------------------------------------------------------- response rate


def response_rate(delivered: int, completed: int) -> TestResult:
    return compare.proportion_interval(int(completed), int(delivered))


def compare_response_rates(a: tuple[int, int], b: tuple[int, int], labels: Sequence[str]) -> TestResult:
    """(delivered, completed) of two periods: two-proportion z-test."""
    return compare.proportions(int(a[1]), int(a[0]), int(b[1]), int(b[0]), labels=labels)


# ---------------------------------------------------------------- weighting


@dataclass(frozen=True)
class CellWeights:
    """Raking weights per tier x region cell, to the invited population's margins."""

    weights: dict[tuple[str, str], float]
    n_effective: float
    excluded: int  # respondents outside the invited population's cells (e.g. anonymous)

    def of(self, frame: pd.DataFrame) -> np.ndarray:
        """The weight of one respondent of each row (by its tier and region; 0 = left out)."""
        return np.array([self.weights.get(key, 0.0) for key in zip(frame["tier"].tolist(), frame["region"].tolist())])


def invited_weights(
    respondents: pd.DataFrame, invited: pd.DataFrame, by: Sequence[str] = ()
) -> dict[tuple, CellWeights]:
    """Raking weights per tier x region for each ``by`` group (e.g. each week), so that the
    respondents' weighted tier and region shares match those of the invitations delivered
    in that group.  ``respondents`` has columns by + tier, region, n; ``invited`` by + tier,
    region, delivered.  Respondents whose tier or region no invitation has (anonymous
    public-link answers) cannot be weighted to the invited population: they get weight 0
    and are counted in ``excluded``."""
    tiers = sorted(set(respondents["tier"]) | set(invited["tier"]))
    regions = sorted(set(respondents["region"]) | set(invited["region"]))
    keys = sorted(set(map(tuple, respondents[list(by)].itertuples(index=False, name=None))))
    index = {key: k for k, key in enumerate(keys)}
    shape = (len(keys), len(tiers), len(regions))

    def codes(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        key = [index.get(tuple(k), -1) for k in frame[list(by)].itertuples(index=False, name=None)]
        return (
            np.array(key, dtype=int),
            frame["tier"].map(tiers.index).to_numpy(int),
            frame["region"].map(regions.index).to_numpy(int),
        )

    counts, rows, cols = np.zeros(shape), np.zeros(shape[:2]), np.zeros((shape[0], shape[2]))
    k, t, r = codes(respondents)
    np.add.at(counts, (k, t, r), respondents["n"].to_numpy(float))
    k, t, r = codes(invited)
    known = (k >= 0) & (invited["tier"].to_numpy() != "") & (invited["region"].to_numpy() != "")
    delivered = invited["delivered"].to_numpy(float)
    np.add.at(rows, (k[known], t[known]), delivered[known])
    np.add.at(cols, (k[known], r[known]), delivered[known])
    w, n_eff = weighting.rake_two_way(counts, rows, cols)
    out = {}
    for key, k in index.items():
        kept = counts[k][w[k] > 0].sum()
        out[key] = CellWeights(
            {(tiers[i], regions[j]): float(w[k, i, j]) for i, j in zip(*np.nonzero(w[k]))},
            float(n_eff[k]),
            int(counts[k].sum() - kept),
        )
    return out
