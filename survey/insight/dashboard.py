"""Everything the executive page shows, computed from the rollup in one call.

``dashboard(engine, request)`` returns plain data (frames and ``stats`` results) that the
page draws, the CSV and PDF exports write, and the benchmark times.  It reads only the
rollup tables: a handful of grouped queries whose cost does not grow with the number of
responses.  Choices made here, stated on the page:

- Periods: the chosen date range; the previous period (the same days of the month or
  quarter before for a calendar month or quarter, else the same number of days just
  before); and the same dates a year earlier.  KPI comparisons are Holm-adjusted across
  the tiles' tests.
- Trend: the 24 months ending with the range, by week or month; a period cut by the end
  of the range is drawn as partial and left out of the control limits and the trend test.
- Weighting (optional): respondents raked to the tier and region margins of the
  invitations delivered in each period (KPI tiles and trend); anonymous answers, which no
  invitation describes, are left out of weighted figures.  Breakdowns, the VIP view and
  drivers are unweighted.
- Drivers use the 12 months ending with the range (key-driver analysis needs many
  responses) and one survey, whose questions define the dimensions.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from stats import TestResult, compare, trend
from stats.drivers import KeyDrivers, key_drivers_from_moments
from stats.moments import composite_index, paired_versus_rest
from survey.core.filters import Filters
from survey.insight import metrics
from survey.insight.metrics import DIMENSIONS, LEVEL_COLUMNS, METRICS, OVERALL, MetricKind
from survey.models import Question, ServiceChange, Survey, SurveyVersion

SMALL_GROUP = 30  # below this many responses a group is flagged, not hidden
TREND_MONTHS = 24
WEEKS_PER_MONTH = 52.1775 / 12
DRIVER_MONTHS = 12
BREAKDOWNS = ("region", "touch_point", "tier")
KPI_KEYS = ("csat", "nps", "vip_index", "response_rate", "n")
SECTIONS_AT_ONCE = 2


@dataclass(frozen=True)
class Request:
    """What the page asks for."""

    filters: Filters
    metric: MetricKind = MetricKind.CSAT
    grain: str = "week"  # week | month
    weighted: bool = False
    vip_weights: str = "configured"  # configured | drivers
    drivers_survey: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "metric", MetricKind(self.metric))  # a page may pass the plain string


@dataclass(frozen=True)
class Periods:
    current: Filters
    previous: Filters
    last_year: Filters

    @classmethod
    def of(cls, filters: Filters) -> Periods:
        """The previous period of a calendar quarter or month (or the part of one so far) is
        the same days of the quarter or month before; of any other range, the same number of
        days just before it."""
        start, end = filters.start, filters.end
        same_quarter = (start.year, (start.month - 1) // 3) == (end.year, (end.month - 1) // 3)
        if start.day == 1 and start.month % 3 == 1 and same_quarter and end.month != start.month:
            previous = (_months_before(start, 3), _months_before(end, 3))
        elif start.day == 1 and (start.year, start.month) == (end.year, end.month):
            previous = (_months_before(start, 1), _months_before(end, 1))
        else:
            previous_end = start - timedelta(days=1)
            previous = (previous_end - timedelta(days=filters.days - 1), previous_end)
        return cls(
            filters, filters.between(*previous), filters.between(_months_before(start, 12), _months_before(end, 12))
        )


def _month_end(day: date) -> bool:
    return (day + timedelta(days=1)).day == 1


def _months_before(day: date, months: int) -> date:
    """The same day ``months`` earlier (the month's last day when it is shorter; a month's
    last day stays its last day)."""
    stamp = pd.Timestamp(day) - pd.DateOffset(months=months)
    return (stamp + pd.offsets.MonthEnd(0)).date() if _month_end(day) else stamp.date()


@dataclass(frozen=True)
class Kpi:
    key: str
    current: TestResult | None
    previous: TestResult | None
    last_year: TestResult | None
    vs_previous: TestResult | None = None
    vs_last_year: TestResult | None = None
    p_holm_previous: float | None = None
    p_holm_last_year: float | None = None
    n: int = 0
    n_previous: int = 0
    n_last_year: int = 0
    n_effective: float | None = None
    excluded: int = 0


@dataclass(frozen=True)
class Trend:
    table: pd.DataFrame  # period, estimate, ci_low, ci_high, n, partial, centre, lcl, ucl, signal
    mann_kendall: TestResult | None
    verdict: str  # rising | falling | none | too_short
    slope_per_month: float | None
    chart_kind: str  # p | XmR
    changes: pd.DataFrame  # date, end_date, title, title_en


@dataclass(frozen=True)
class Dashboard:
    request: Request
    periods: Periods
    kpis: dict[str, Kpi]
    trend: Trend
    breakdowns: dict[str, pd.DataFrame]  # region / touch_point / tier / dimension
    vip: dict[str, pd.DataFrame]  # by_tier, by_region, dimensions, movers
    vip_index_weights: dict[str, float]
    drivers: KeyDrivers | None
    drivers_note: str | None
    drivers_survey: int | None
    surveys: dict[int, str] = field(default_factory=dict)


def dashboard(engine: sa.Engine, request: Request) -> Dashboard:
    """Every section of the page.  The sections are independent reads, so two run at a time,
    each on its own connection: the database works on one while Python works on another."""
    periods = Periods.of(request.filters)

    def run(section, *args):
        with engine.connect() as conn:
            return section(conn, *args)

    with ThreadPoolExecutor(max_workers=SECTIONS_AT_ONCE) as pool:
        drivers = pool.submit(run, _drivers_section, request)
        trend_part = pool.submit(run, _trend, request)
        breakdowns = pool.submit(run, _breakdowns, request)
        drivers_survey, (driver_result, drivers_note), survey_codes = drivers.result()
        weights = _vip_weights(request.vip_weights, driver_result)
        kpis = pool.submit(run, _kpis, periods, request.weighted, weights)
        vip = pool.submit(run, _vip_view, periods, weights)
        return Dashboard(
            request=request,
            periods=periods,
            kpis=kpis.result(),
            trend=trend_part.result(),
            breakdowns=breakdowns.result(),
            vip=vip.result(),
            vip_index_weights=weights,
            drivers=driver_result,
            drivers_note=drivers_note,
            drivers_survey=drivers_survey,
            surveys=survey_codes,
        )


def _drivers_section(conn: Connection, request: Request):
    survey_codes = dict(conn.execute(sa.select(Survey.id, Survey.code)).all())
    survey_id = request.drivers_survey or _default_drivers_survey(conn, request.filters)
    return survey_id, _drivers(conn, request.filters, survey_id), survey_codes


# ---------------------------------------------------------------- KPI tiles


def _kpis(conn: Connection, periods: Periods, weighted: bool, vip_weights: dict[str, float]) -> dict[str, Kpi]:
    spans = {"current": periods.current, "previous": periods.previous, "last_year": periods.last_year}
    scales = metrics.question_scales(conn, [OVERALL, metrics.NPS_CODE], periods.current.surveys)
    by = ("question_code", "tier", "region") if weighted else ("question_code",)
    counts = {name: metrics.level_counts(conn, [OVERALL, metrics.NPS_CODE], f, by) for name, f in spans.items()}
    invited = {name: metrics.invitation_counts(conn, f, ("tier", "region")) for name, f in spans.items()}
    moments = {
        name: metrics.moment_sums(conn, metrics.vip_filters(f), ("tier", "region") if weighted else ())
        for name, f in spans.items()
    }
    tiles = {
        "csat": _histogram_kpi("csat", METRICS[MetricKind.CSAT], scales.get(OVERALL), counts, invited, weighted),
        "nps": _histogram_kpi("nps", METRICS[MetricKind.NPS], scales.get(metrics.NPS_CODE), counts, invited, weighted),
        "vip_index": _vip_kpi(moments, invited, weighted, vip_weights),
        "response_rate": _rate_kpi(invited),
    }
    tiles = _holm(tiles)
    # n: responses that rated overall satisfaction (every survey asks it)
    rated = {
        name: int(_question(frame, OVERALL)[list(LEVEL_COLUMNS)].to_numpy().sum()) for name, frame in counts.items()
    }
    tiles["n"] = Kpi(
        "n", None, None, None, n=rated["current"], n_previous=rated["previous"], n_last_year=rated["last_year"]
    )
    return {key: tiles[key] for key in KPI_KEYS}


def _question(frame: pd.DataFrame, code: str) -> pd.DataFrame:
    return frame[frame["question_code"] == code]


def _respondents(counts: pd.DataFrame) -> pd.DataFrame:
    return counts.assign(n=counts[list(LEVEL_COLUMNS)].sum(axis=1))


def _histogram_kpi(key, metric, scale, counts, invited, weighted) -> Kpi:
    cells = {name: _question(frame, metric.question_code) for name, frame in counts.items()}
    histograms = {name: scale.counts(part) for name, part in cells.items()} if scale is not None else {}
    results, extra = {}, {}
    for name, part in cells.items():
        results[name] = None
        if scale is None or histograms[name].sum() < 2:
            continue
        try:
            if weighted:
                cell_weights = metrics.invited_weights(_respondents(part), invited[name])[()]
                results[name] = metric.weighted_estimate(scale.matrix(part), cell_weights.of(part), scale)
                extra[name] = cell_weights
            else:
                results[name] = metric.estimate(histograms[name], scale)
        except ValueError:  # no variation, or nothing to weight: no figure rather than a wrong one
            results[name] = None
    vs = {}
    for other in ("previous", "last_year"):
        if results["current"] is None or results[other] is None:
            vs[other] = None
        elif weighted:
            vs[other] = compare.difference_of_estimates(results["current"], results[other], labels=("current", other))
        else:
            vs[other] = metric.compare(histograms["current"], histograms[other], scale, labels=("current", other))
    weights = extra.get("current")
    return Kpi(
        key,
        results["current"],
        results["previous"],
        results["last_year"],
        vs["previous"],
        vs["last_year"],
        n=_n(results["current"]),
        n_previous=_n(results["previous"]),
        n_last_year=_n(results["last_year"]),
        n_effective=weights.n_effective if weights else None,
        excluded=weights.excluded if weights else 0,
    )


def _n(result: TestResult | None) -> int:
    if result is None:
        return 0
    return int(sum(result.n)) if isinstance(result.n, tuple) else int(result.n)


def _vip_kpi(moments, invited, weighted, vip_weights) -> Kpi:
    results, extra = {}, {}
    for name, rows in moments.items():
        try:
            if weighted:
                cell_weights = metrics.invited_weights(rows, invited[name])[()]
                results[name] = metrics.vip_index(rows, vip_weights, block_weights=cell_weights.of(rows))
                extra[name] = cell_weights
            else:
                results[name] = metrics.vip_index(rows, vip_weights)
        except ValueError:
            results[name] = None
    vs = {
        other: (
            compare.difference_of_estimates(results["current"], results[other], labels=("current", other))
            if results["current"] is not None and results[other] is not None
            else None
        )
        for other in ("previous", "last_year")
    }
    weights = extra.get("current")
    return Kpi(
        "vip_index",
        results["current"],
        results["previous"],
        results["last_year"],
        vs["previous"],
        vs["last_year"],
        n=_n(results["current"]),
        n_previous=_n(results["previous"]),
        n_last_year=_n(results["last_year"]),
        n_effective=weights.n_effective if weights else None,
        excluded=weights.excluded if weights else 0,
    )


def _rate_kpi(invited) -> Kpi:
    totals = {name: (int(frame["delivered"].sum()), int(frame["completed"].sum())) for name, frame in invited.items()}
    results = {name: metrics.response_rate(*t) if t[0] else None for name, t in totals.items()}
    vs = {
        other: (
            metrics.compare_response_rates(totals["current"], totals[other], ("current", other))
            if totals["current"][0] and totals[other][0]
            else None
        )
        for other in ("previous", "last_year")
    }
    return Kpi(
        "response_rate",
        results["current"],
        results["previous"],
        results["last_year"],
        vs["previous"],
        vs["last_year"],
        n=totals["current"][0],
        n_previous=totals["previous"][0],
        n_last_year=totals["last_year"][0],
    )


def _holm(tiles: dict[str, Kpi]) -> dict[str, Kpi]:
    """Holm-adjust the p-values of every tile comparison together (they are read together)."""
    tests = [
        (key, which, getattr(kpi, f"vs_{which}"))
        for key, kpi in tiles.items()
        for which in ("previous", "last_year")
        if getattr(kpi, f"vs_{which}") is not None
    ]
    if not tests:
        return tiles
    adjusted = compare.adjust([t.p_value for _, _, t in tests], "holm")
    out = dict(tiles)
    for (key, which, _), p in zip(tests, adjusted):
        out[key] = replace(out[key], **{f"p_holm_{which}": float(p)})
    return out


# ---------------------------------------------------------------- trend


def trend_window(filters: Filters, grain: str) -> Filters:
    first = (pd.Timestamp(filters.end) - pd.DateOffset(months=TREND_MONTHS)).date() + timedelta(days=1)
    first = first - timedelta(days=first.weekday()) if grain == "week" else first.replace(day=1)
    return filters.between(first, filters.end)


def _trend(conn: Connection, request: Request) -> Trend:
    metric = METRICS[request.metric]
    window = trend_window(request.filters, request.grain)
    grain = request.grain
    scale = metrics.question_scales(conn, [metric.question_code], window.surveys).get(metric.question_code)
    changes = _changes(conn, window)
    by = (grain, "tier", "region") if request.weighted else (grain,)
    counts = metrics.level_counts(conn, metric.question_code, window, by)
    if scale is None or counts.empty:
        return Trend(pd.DataFrame(), None, "too_short", None, "XmR", changes)
    codes, periods = pd.factorize(counts[grain], sort=True)
    matrix = scale.matrix(counts)
    histograms = metrics.sum_by(codes, len(periods), matrix)
    if request.weighted:
        invited = metrics.invitation_counts(conn, window, (grain, "tier", "region"))
        weights_by_period = metrics.invited_weights(_respondents(counts), invited, (grain,))
        weights = np.zeros(len(counts))
        for k, period in enumerate(periods):
            rows_of_period = codes == k
            weights[rows_of_period] = weights_by_period[(period,)].of(counts[rows_of_period])
    top = np.isin(scale.levels, scale.top_levels)
    rows = []
    for k, period in enumerate(periods):
        histogram = histograms[k]
        if histogram.sum() < 2:
            continue
        try:
            if request.weighted:
                rows_of_period = codes == k
                result = metric.weighted_estimate(matrix[rows_of_period], weights[rows_of_period], scale)
            else:
                result = metric.estimate(histogram, scale)
        except ValueError:  # a period with no variation, or nothing to weight
            continue
        rows.append(
            {
                "period": period,
                "estimate": result.estimate,
                "ci_low": result.ci_low,
                "ci_high": result.ci_high,
                "n": int(histogram.sum()),
                "successes": int(histogram[top].sum()),
            }
        )
    table = pd.DataFrame(rows)
    if table.empty:
        return Trend(table, None, "too_short", None, "XmR", changes)
    period_end = table["period"] + (pd.Timedelta(days=6) if grain == "week" else pd.offsets.MonthEnd(0))
    table["partial"] = (period_end.dt.date > request.filters.end) | (table["period"].dt.date < window.start)
    chart_kind = "p" if metric.key == MetricKind.CSAT and not request.weighted else "XmR"
    # Partial periods are drawn but kept out of the limits and the trend test: their few
    # answers would raise false signals.
    complete = table[~table["partial"]]
    table = table.join(_control_limits(complete, chart_kind)).fillna({"signal": False})
    mk, verdict, slope = _mann_kendall(complete["estimate"].to_numpy(), grain)
    return Trend(table, mk, verdict, slope, chart_kind, changes)


def _control_limits(table: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Centre, limits and signals of each period (indexed like ``table``)."""
    empty = pd.DataFrame({"centre": np.nan, "lcl": np.nan, "ucl": np.nan, "signal": False}, index=table.index)
    if len(table) < 3:
        return empty
    try:
        chart = (
            trend.p_chart(table["successes"], table["n"]) if kind == "p" else trend.individuals_chart(table["estimate"])
        )
    except ValueError:  # a flat series: nothing to chart
        return empty
    return chart.table[["centre", "lcl", "ucl", "signal"]].set_axis(table.index)


def _mann_kendall(values: np.ndarray, grain: str) -> tuple[TestResult | None, str, float | None]:
    """Mann-Kendall with the Hamed-Rao correction (weekly satisfaction is autocorrelated)."""
    if values.size < 4 or np.all(values == values[0]):
        return None, "too_short", None
    result = trend.mann_kendall(values, hamed_rao=True)
    per_month = result.estimate * (WEEKS_PER_MONTH if grain == "week" else 1.0)
    if result.p_value >= 0.05:
        return result, "none", per_month
    return result, "rising" if result.estimate > 0 else "falling", per_month


def _changes(conn: Connection, window: Filters) -> pd.DataFrame:
    rows = conn.execute(
        sa.select(ServiceChange.changed_on, ServiceChange.ends_on, ServiceChange.title, ServiceChange.title_en)
        .where(ServiceChange.changed_on.between(window.start, window.end))
        .order_by(ServiceChange.changed_on)
    ).all()
    frame = pd.DataFrame(rows, columns=["date", "end_date", "title", "title_en"])
    frame["date"] = pd.to_datetime(frame["date"])
    frame["end_date"] = pd.to_datetime(frame["end_date"])
    return frame


# ---------------------------------------------------------------- breakdowns


def _breakdowns(conn: Connection, request: Request) -> dict[str, pd.DataFrame]:
    metric = METRICS[request.metric]
    filters = request.filters
    scale = metrics.question_scales(conn, [metric.question_code], filters.surveys).get(metric.question_code)
    counts = metrics.level_counts(conn, metric.question_code, filters, BREAKDOWNS)
    out = {dimension: _group_table(metric, scale, counts, dimension) for dimension in BREAKDOWNS}
    out["dimension"] = _dimension_table(metrics.blocks(metrics.moment_sums(conn, filters)))
    return out


def _group_table(metric, scale, counts: pd.DataFrame, column: str) -> pd.DataFrame:
    if scale is None or counts.empty:
        return pd.DataFrame()
    codes, groups = pd.factorize(counts[column], sort=True)
    sums = metrics.sum_by(codes, len(groups), scale.matrix(counts))
    histograms = {g: sums[k] for k, g in enumerate(groups) if sums[k].sum() >= 2}
    rows = []
    for group, histogram in histograms.items():
        try:
            own = metric.estimate(histogram, scale)
        except ValueError:
            continue
        rows.append(
            {
                "group": group,
                "value": own.estimate,
                "ci_low": own.ci_low,
                "ci_high": own.ci_high,
                "n": int(histogram.sum()),
            }
        )
    table = pd.DataFrame(rows)
    if len(histograms) >= 2 and not table.empty:
        rest = metric.versus_rest({g: histograms[g] for g in table["group"]}, scale)
        table = table.merge(
            rest[["group", "difference", "ci_low", "ci_high", "p_value", "p_holm"]].rename(
                columns={"ci_low": "diff_ci_low", "ci_high": "diff_ci_high"}
            ),
            on="group",
        )
    if not table.empty:
        table["small"] = table["n"] < SMALL_GROUP
        table = table.sort_values("value", ascending=metric.key == MetricKind.CES).reset_index(drop=True)
    return table


def _dimension_table(blocks) -> pd.DataFrame:
    """Dimension scores (0-100) and each against the respondents' other dimensions (paired)."""
    rows = []
    for d in DIMENSIONS:
        try:
            score = composite_index(blocks, {d: 1.0})
        except ValueError:
            continue
        rows.append(
            {"group": d, "value": score.estimate, "ci_low": score.ci_low, "ci_high": score.ci_high, "n": _n(score)}
        )
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    paired = paired_versus_rest(blocks, list(table["group"]))
    table = table.merge(
        paired[["variable", "difference", "ci_low", "ci_high", "p_value", "p_holm"]].rename(
            columns={"variable": "group", "ci_low": "diff_ci_low", "ci_high": "diff_ci_high"}
        ),
        on="group",
        how="left",
    )
    table["small"] = table["n"] < SMALL_GROUP
    return table.sort_values("value").reset_index(drop=True)


# ---------------------------------------------------------------- VIP view


def _vip_view(conn: Connection, periods: Periods, weights: dict[str, float]) -> dict[str, pd.DataFrame]:
    """VIP index by tier and region, VIP dimension scores and movers, all over the VIP
    respondents who rated every dimension (as the index)."""
    rated = [d for d, w in weights.items() if w > 0]
    current = metrics.moment_sums(conn, metrics.vip_filters(periods.current), ("tier", "region"))
    previous = metrics.moment_sums(conn, metrics.vip_filters(periods.previous), ())
    current = current[metrics.rated_all(current, rated)] if not current.empty else current
    previous = previous[metrics.rated_all(previous, rated)] if not previous.empty else previous
    out = {}
    for column in ("tier", "region"):
        rows = []
        for group, part in current.groupby(column):
            try:
                result = metrics.vip_index(part, weights)
            except ValueError:
                continue
            rows.append(
                {
                    "group": group,
                    "value": result.estimate,
                    "ci_low": result.ci_low,
                    "ci_high": result.ci_high,
                    "n": _n(result),
                    "small": _n(result) < SMALL_GROUP,
                }
            )
        out[f"by_{column}"] = pd.DataFrame(rows)
    now, then = metrics.blocks(current), metrics.blocks(previous)
    out["dimensions"] = _dimension_table(now)
    out["movers"] = _movers(now, then)
    return out


def _movers(now, then) -> pd.DataFrame:
    """Change of each VIP dimension score vs the previous period, biggest first (Holm-adjusted)."""
    rows = []
    for d in DIMENSIONS:
        try:
            a, b = composite_index(now, {d: 1.0}), composite_index(then, {d: 1.0})
        except ValueError:
            continue
        change = compare.difference_of_estimates(a, b, labels=("current", "previous"))
        rows.append(
            {
                "group": d,
                "value": a.estimate,
                "previous": b.estimate,
                "change": change.estimate,
                "ci_low": change.ci_low,
                "ci_high": change.ci_high,
                "p_value": change.p_value,
                "n": _n(a),
                "n_previous": _n(b),
            }
        )
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    table["p_holm"] = compare.adjust(table["p_value"], "holm")
    return table.reindex(table["change"].abs().sort_values(ascending=False).index).reset_index(drop=True)


# ---------------------------------------------------------------- drivers


def driver_window(filters: Filters) -> Filters:
    first = (pd.Timestamp(filters.end) - pd.DateOffset(months=DRIVER_MONTHS)).date() + timedelta(days=1)
    return filters.between(min(first, filters.start), filters.end)


def _default_drivers_survey(conn: Connection, filters: Filters) -> int | None:
    """Among the chosen surveys, the one whose questions rate the most dimensions (the VIP
    survey in the demo)."""
    dimensions = sa.func.count(sa.distinct(Question.dimension))
    query = (
        sa.select(SurveyVersion.survey_id, dimensions)
        .join(Question, Question.version_id == SurveyVersion.id)
        .where(Question.type == "rating", Question.dimension.in_(DIMENSIONS))
        .group_by(SurveyVersion.survey_id)
        .order_by(dimensions.desc(), SurveyVersion.survey_id)
    )
    if filters.surveys:
        query = query.where(SurveyVersion.survey_id.in_(filters.surveys))
    best = conn.execute(query.limit(1)).first()
    return int(best[0]) if best else None


def _drivers(conn: Connection, filters: Filters, survey_id: int | None) -> tuple[KeyDrivers | None, str | None]:
    if survey_id is None:
        return None, "no_data"
    sums = metrics.moment_sums(conn, replace(driver_window(filters), surveys=(survey_id,)), ("day", "region"))
    blocks = [b for b in metrics.blocks(sums, merge=False) if OVERALL in b.names]
    if not blocks:
        return None, "no_data"
    coverage: dict[tuple[str, ...], float] = {}
    for b in blocks:
        coverage[b.names] = coverage.get(b.names, 0.0) + b.n
    names = max(coverage, key=coverage.get)
    predictors = [v for v in names if v != OVERALL]
    complete = [b for b in blocks if set(names) <= set(b.names)]
    if len(predictors) < 2 or sum(b.n for b in complete) < 50:
        return None, "too_few"
    try:
        return key_drivers_from_moments(complete, OVERALL, predictors, n_boot=200), None
    except ValueError:
        return None, "too_few"


def _vip_weights(source: str, drivers: KeyDrivers | None) -> dict[str, float]:
    if source == "drivers" and drivers is not None:
        table = drivers.table[drivers.table["driver"].isin(DIMENSIONS)]
        total = table["importance"].clip(lower=0).sum()
        if total > 0:
            return {row.driver: float(max(row.importance, 0) / total) for row in table.itertuples()}
    return metrics.vip_weights()
