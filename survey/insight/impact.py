"""The measured impact of each service change, from the rollup.

For a recorded ``ServiceChange`` (its date, optional end date, scope, survey and question or
dimension), ``analyse`` builds the series of the affected question inside the scope (the
"treated" units) and outside it within the same survey (the comparison units), and runs:

- **before/after**: the quarter (91 days) before the change against the quarter after it
  (for an event with an end date: against the event window), Welch t-test, with the
  warning that anything else that changed between the periods is mixed in;
- **interrupted time series** on the scope's series (GLSAR AR(1) errors, weighted by each
  period's responses): level and slope change; for an event with an end date, the level
  shift while it lasted (``stats.impact.temporary_change``: the weeks before *and after*
  the window form the baseline, which a segmented regression with the window as its "post"
  period would waste);
- **difference-in-differences** against the out-of-scope responses of the same survey and
  question, from per-period cell moments, with the event study and the parallel-trends
  check (none when the scope covers the whole survey: there is nothing to compare with).

Series grain: weeks, unless fewer than 80% of the weeks between the first and last answer
of the scope have answers (a quarterly VIP survey arrives in waves), then months, then
quarters.  Periods are split at the change date (and the end of an event), so no period
mixes before and after.  Weeks inside the window of another recorded event on the same
survey and question are left out of the baseline.

The primary estimate (DiD when a comparison group exists and the pre-trends pass, else the
time series; the window effect for an event with an end date) gives the one-sentence
verdict; ``analyse_all`` adjusts every estimate type's p-values across changes
(Benjamini-Hochberg).  A change whose primary estimate is not significant carries the
minimum detectable effect of its data (``stats.power.mde_from_se``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import numpy as np
import pandas as pd
import sqlalchemy as sa
from scipy import stats as sps
from sqlalchemy.engine import Connection

from stats import TestResult, compare, fmt_num, fmt_p, impact, power
from survey.core.filters import Filters
from survey.core.i18n import label, t, text_in
from survey.insight import metrics
from survey.insight.metrics import LEVEL_COLUMNS
from survey.models import Question, ServiceChange, Survey, SurveyVersion, answer_daily

BEFORE_AFTER_DAYS = 91
MIN_PERIODS = 3  # points each side for a time series (stats.impact.MIN_SEGMENT)
COVERAGE = 0.8  # share of periods with answers needed to use a grain
ALPHA = 0.05
ESTIMATES = ("before_after", "its_level", "its_slope", "window", "did")
PERIOD_OFFSETS = {"week": pd.DateOffset(weeks=1), "month": pd.DateOffset(months=1), "quarter": pd.DateOffset(months=3)}


@dataclass(frozen=True)
class Scope:
    regions: tuple[str, ...] = ()
    touch_points: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()

    def as_filter(self) -> dict[str, tuple[str, ...]]:
        return {"region": self.regions, "touch_point": self.touch_points, "tier": self.tiers}

    @property
    def everything(self) -> bool:
        return not (self.regions or self.touch_points or self.tiers)


@dataclass(frozen=True)
class Impact:
    """The analysis of one service change (see the module docstring)."""

    change_id: int
    title: str
    title_en: str
    changed_on: date
    ends_on: date | None
    scope: Scope
    survey_code: str | None
    question_codes: tuple[str, ...]
    dimension: str | None
    grain: str | None
    series: pd.DataFrame = field(default_factory=pd.DataFrame)  # period, time, group, n, mean, var, post
    before_after: TestResult | None = None
    its: impact.ITSResult | None = None
    window: impact.TemporaryChangeResult | None = None
    did: impact.DiDResult | None = None
    notes: tuple[str, ...] = ()
    fdr: dict[str, float] = field(default_factory=dict)
    question_texts: dict[str, dict[str, str]] = field(default_factory=dict)  # code -> {"zh-CN": .., "en": ..}

    @property
    def temporary(self) -> bool:
        return self.ends_on is not None

    def estimates(self) -> dict[str, TestResult]:
        out = {"before_after": self.before_after}
        if self.its is not None:
            out |= {"its_level": self.its.level_change, "its_slope": self.its.slope_change}
        if self.window is not None:
            out["window"] = self.window.effect
        if self.did is not None:
            out["did"] = self.did.effect
        return {k: v for k, v in out.items() if v is not None}

    @property
    def pretrend_failed(self) -> bool:
        return self.did is not None and any(getattr(w, "code", "") == "pretrend" for w in self.did.warnings)

    @property
    def primary(self) -> str | None:
        """Which estimate the verdict rests on."""
        available = self.estimates()
        if self.temporary:
            order = ("window", "did", "before_after")
        elif self.did is not None and not self.pretrend_failed:
            order = ("did", "its_level", "before_after")
        else:
            order = ("its_level", "did", "before_after")
        return next((k for k in order if k in available), None)

    def p_adjusted(self, key: str) -> float | None:
        return self.fdr.get(key)

    def significant(self, key: str) -> bool:
        p = self.fdr.get(key, self.estimates()[key].p_value if key in self.estimates() else None)
        return p is not None and p < ALPHA

    @property
    def flagged(self) -> bool:
        """A detectable effect: the primary estimate, or a change in the trend, is significant
        after the adjustment across changes."""
        keys = [k for k in (self.primary, "its_slope") if k and k in self.estimates()]
        return any(self.significant(k) for k in keys)

    def minimum_detectable(self) -> float | None:
        """The effect the primary estimate had an 80% chance to detect at the 5% level."""
        key = self.primary
        if key is None:
            return None
        result = self.estimates()[key]
        se = _standard_error(result)
        return power.mde_from_se(se) if se else None

    def verdict(self, lang: str) -> str:
        return _verdict(self, lang)


def _standard_error(result: TestResult) -> float | None:
    """The estimate's standard error: estimate / test statistic (exact for t and z tests)."""
    if result.statistic:
        return abs(result.estimate / result.statistic) or None
    if result.ci_low is None or result.ci_high is None:
        return None
    return (result.ci_high - result.ci_low) / (2 * sps.norm.ppf(0.5 + result.confidence / 2)) or None


# ---------------------------------------------------------------- analysis


def analyse_all(conn: Connection, *, confidence: float = 0.95) -> list[Impact]:
    """Every recorded service change, with p-values adjusted across changes (BH)."""
    changes = recorded_changes(conn)
    return adjust_across([analyse(conn, change, changes, confidence=confidence) for change in changes])


def recorded_changes(conn: Connection) -> list:
    return conn.execute(sa.select(ServiceChange.__table__).order_by(ServiceChange.changed_on, ServiceChange.id)).all()


def adjust_across(results: list[Impact]) -> list[Impact]:
    fdr: list[dict[str, float]] = [{} for _ in results]
    for key in ESTIMATES:
        found = [(i, r.estimates()[key].p_value) for i, r in enumerate(results) if key in r.estimates()]
        if found:
            for (i, _), p in zip(found, compare.adjust([p for _, p in found], "fdr_bh")):
                fdr[i][key] = float(p)
    return [replace(r, fdr=f) for r, f in zip(results, fdr)]


def analyse(conn: Connection, change, others=(), *, confidence: float = 0.95) -> Impact:
    """The impact analysis of one ServiceChange (``others``: every recorded change, whose event
    windows on the same question are left out of this one's baseline)."""
    scope = Scope(tuple(change.regions or ()), tuple(change.touch_points or ()), tuple(change.tiers or ()))
    survey_id = _survey_id(conn, change.survey_code)
    codes = _question_codes(conn, change, survey_id)
    base = Impact(
        change.id,
        change.title,
        change.title_en or change.title,
        change.changed_on,
        change.ends_on,
        scope,
        change.survey_code,
        codes,
        change.dimension,
        None,
        question_texts=_question_texts(conn, codes),
    )
    if not codes:
        return replace(base, notes=("no_question",))
    try:
        scale = _single_scale(conn, codes, survey_id)
    except ValueError:
        return replace(base, notes=("mixed_scales",))
    if scale is None:
        return replace(base, notes=("no_question",))
    surveys = (survey_id,) if survey_id is not None else ()
    span = _data_span(conn, codes, surveys)
    if span is None or not span[0] < change.changed_on <= span[1]:
        return replace(base, notes=("no_data_around_change",))
    grain, parts = _finest_grain(conn, codes, surveys, span, change, scope)
    series = _series(_without_other_events(parts, grain, change, others), scale)
    notes: list[str] = []
    result = replace(
        base,
        grain=grain,
        series=series,
        before_after=_before_after(conn, codes, surveys, change, scope, scale, confidence),
    )
    treated = series[series["group"] == "treated"].sort_values("time")
    if change.ends_on is None:
        result = replace(result, its=_its(treated, change.changed_on, notes, confidence))
    else:
        result = replace(result, window=_window(treated, notes, confidence))
    if scope.everything or series[series["group"] == "comparison"].empty:
        notes.append("no_comparison")
    else:
        result = replace(result, did=_did(series, change, notes, confidence))
    return replace(result, notes=tuple(notes))


def _survey_id(conn: Connection, code: str | None) -> int | None:
    if not code:
        return None
    found = conn.execute(sa.select(Survey.id).where(Survey.code == code)).scalar()
    return int(found) if found is not None else -1  # -1: a survey that no longer exists matches nothing


def _question_codes(conn: Connection, change, survey_id: int | None) -> tuple[str, ...]:
    """The change's question, or every rating question of its dimension in its survey."""
    if change.question_code:
        return (change.question_code,)
    if not change.dimension:
        return ()
    query = (
        sa.select(Question.code)
        .distinct()
        .join(SurveyVersion, SurveyVersion.id == Question.version_id)
        .where(Question.dimension == change.dimension, Question.type == "rating")
    )
    if survey_id is not None:
        query = query.where(SurveyVersion.survey_id == survey_id)
    return tuple(sorted(conn.execute(query).scalars()))


def _question_texts(conn: Connection, codes: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """Each question's wording in its newest version, so verdicts name it in words."""
    texts: dict[str, dict[str, str]] = {}
    rows = conn.execute(
        sa.select(Question.code, Question.text_zh, Question.text_en)
        .where(Question.code.in_(codes))
        .order_by(Question.version_id.desc())
    )
    for code, text_zh, text_en in rows:
        texts.setdefault(code, {"zh-CN": text_zh, "en": text_en})
    return texts


def _single_scale(conn: Connection, codes: tuple[str, ...], survey_id: int | None) -> metrics.Scale | None:
    scales = set(metrics.question_scales(conn, codes, (survey_id,) if survey_id is not None else ()).values())
    if len(scales) > 1:
        raise ValueError("the change's questions use different scales")
    return next(iter(scales), None)


def _data_span(conn: Connection, codes, surveys) -> tuple[date, date] | None:
    query = sa.select(sa.func.min(answer_daily.c.day), sa.func.max(answer_daily.c.day)).where(
        answer_daily.c.question_code.in_(codes)
    )
    if surveys:
        query = query.where(answer_daily.c.survey_id.in_(surveys))
    first, last = conn.execute(query).one()
    return (pd.Timestamp(first).date(), pd.Timestamp(last).date()) if first is not None else None


def _segments(span: tuple[date, date], change) -> list[tuple[date, date, bool]]:
    """The data span cut at the change (and at the end of an event): (first, last, post)."""
    first, last = span
    if change.ends_on is None:
        return [(first, change.changed_on - timedelta(days=1), False), (change.changed_on, last, True)]
    window_end = min(change.ends_on, last)
    return [
        (first, change.changed_on - timedelta(days=1), False),
        (change.changed_on, window_end, True),
        (window_end + timedelta(days=1), last, False),
    ]


def _parts(conn, codes, surveys, span, change, scope: Scope, grain: str) -> pd.DataFrame:
    """Histogram rows per period part (a period cut at the change's dates), in and out of scope."""
    frames = []
    for first, last, post in _segments(span, change):
        if last < first:
            continue
        counts = metrics.level_counts(
            conn, codes, Filters(first, last, surveys=surveys), (grain, "in_scope"), scope=scope.as_filter()
        )
        if counts.empty:
            continue
        counts = counts.rename(columns={grain: "period"})
        counts["time"] = counts["period"].where(counts["period"] >= pd.Timestamp(first), pd.Timestamp(first))
        counts["post"] = post
        frames.append(counts)
    if not frames:
        return pd.DataFrame(columns=["period", "time", "post", "in_scope", *LEVEL_COLUMNS])
    return pd.concat(frames, ignore_index=True)


def _finest_grain(conn, codes, surveys, span, change, scope: Scope) -> tuple[str, pd.DataFrame]:
    """The finest grain at which the scope has answers in most periods, and its parts."""
    for grain, step in (("week", "W-MON"), ("month", "MS")):
        parts = _parts(conn, codes, surveys, span, change, scope, grain)
        inside = parts[parts["in_scope"].astype(bool)]
        answered = inside.groupby("period")[list(LEVEL_COLUMNS)].sum().sum(axis=1)
        answered = answered[answered > 0]
        if answered.empty:
            continue
        expected = len(pd.date_range(answered.index.min(), answered.index.max(), freq=step))
        if len(answered) / expected >= COVERAGE:
            return grain, parts
    return "quarter", _parts(conn, codes, surveys, span, change, scope, "quarter")


def _without_other_events(parts: pd.DataFrame, grain: str, change, others) -> pd.DataFrame:
    """Leave out periods that overlap the window of another event on the same question."""
    keep = np.ones(len(parts), bool)
    period_end = parts["period"] + PERIOD_OFFSETS[grain] - pd.Timedelta(days=1)
    for other in others:
        if other.id == change.id or other.ends_on is None or other.survey_code != change.survey_code:
            continue
        if (other.question_code or other.dimension) != (change.question_code or change.dimension):
            continue
        start, end = pd.Timestamp(other.changed_on), pd.Timestamp(other.ends_on)
        keep &= ~((parts["time"] <= end) & (period_end >= start))
    return parts[keep]


def _series(parts: pd.DataFrame, scale: metrics.Scale) -> pd.DataFrame:
    """n, mean and variance of the treated and comparison answers in each period part."""
    if parts.empty:
        return pd.DataFrame(columns=["period", "time", "post", "group", "n", "mean", "var"])
    parts = parts.assign(group=np.where(parts["in_scope"].astype(bool), "treated", "comparison"))
    hist = parts.groupby(["period", "time", "post", "group"], as_index=False)[list(LEVEL_COLUMNS)].sum()
    counts = scale.matrix(hist)
    levels = scale.levels
    n = counts.sum(axis=1)
    mean = counts @ levels / np.maximum(n, 1)
    var = (counts * (levels[None, :] - mean[:, None]) ** 2).sum(axis=1) / np.maximum(n - 1, 1)
    out = hist[["period", "time", "post", "group"]].assign(n=n, mean=mean, var=var)
    return out[out["n"] > 0].sort_values(["time", "group"]).reset_index(drop=True)


def _before_after(conn, codes, surveys, change, scope: Scope, scale, confidence: float) -> TestResult | None:
    window = timedelta(days=BEFORE_AFTER_DAYS)
    before = Filters(change.changed_on - window, change.changed_on - timedelta(days=1), surveys=surveys)
    after_end = change.ends_on or change.changed_on + window - timedelta(days=1)
    after = Filters(change.changed_on, after_end, surveys=surveys)
    histograms = []
    for filters in (before, after):
        counts = metrics.level_counts(conn, codes, filters, ("in_scope",), scope=scope.as_filter())
        inside = counts[counts["in_scope"]] if not counts.empty else counts
        histograms.append(scale.counts(inside[list(LEVEL_COLUMNS)].sum()) if not inside.empty else None)
    if any(h is None or h.sum() < 2 for h in histograms):
        return None
    try:
        return impact.before_after_from_counts(
            histograms[0], histograms[1], scale.levels, "mean", confidence=confidence
        )
    except ValueError:
        return None


def _its(treated: pd.DataFrame, changed_on: date, notes: list[str], confidence: float) -> impact.ITSResult | None:
    if (~treated["post"]).sum() < MIN_PERIODS or treated["post"].sum() < MIN_PERIODS:
        notes.append("too_few_periods")
        return None
    try:
        return impact.interrupted_time_series(
            treated["mean"].to_numpy(),
            pd.DatetimeIndex(treated["time"]),
            pd.Timestamp(changed_on),
            weights=treated["n"].to_numpy(float),
            confidence=confidence,
        )
    except ValueError:
        notes.append("too_few_periods")
        return None


def _window(treated: pd.DataFrame, notes: list[str], confidence: float) -> impact.TemporaryChangeResult | None:
    try:
        return impact.temporary_change(
            treated["mean"].to_numpy(),
            pd.DatetimeIndex(treated["time"]),
            exposure=treated["post"].to_numpy(float),
            weights=treated["n"].to_numpy(float),
            confidence=confidence,
        )
    except ValueError:
        notes.append("too_few_periods")
        return None


def _did(series: pd.DataFrame, change, notes: list[str], confidence: float) -> impact.DiDResult | None:
    cells = series.copy()
    if change.ends_on is not None:  # the event window against the periods before it
        cells = cells[cells["time"] <= pd.Timestamp(change.ends_on)]
    both = cells.groupby("time")["group"].nunique()
    cells = cells[cells["time"].isin(both[both == 2].index)]
    cells = cells.assign(
        treated=(cells["group"] == "treated").astype(int), post=cells["post"].astype(int), period=cells["time"]
    )
    try:
        return impact.difference_in_differences_from_cells(cells, confidence=confidence)
    except ValueError:
        notes.append("too_few_periods_comparison")
        return None


# ---------------------------------------------------------------- verdict


def question_label(result: Impact, lang: str) -> str:
    if result.dimension:
        return label("dimension", result.dimension, lang)
    joiner = "、" if lang == "zh-CN" else ", "
    return joiner.join(text_in(result.question_texts.get(code), lang) or code for code in result.question_codes)


def _verdict(result: Impact, lang: str) -> str:
    title = result.title if lang == "zh-CN" else result.title_en
    key = result.primary
    if key is None:
        return t("impact.verdict.no_analysis", lang, title=title)
    estimate = result.estimates()[key]
    fields = {
        "title": title,
        "question": question_label(result, lang),
        "method": t(f"impact.estimate.{key}", lang),
        "low": fmt_num(estimate.ci_low),
        "high": fmt_num(estimate.ci_high),
        "p": fmt_p(result.p_adjusted(key) if result.p_adjusted(key) is not None else estimate.p_value),
    }
    slope = result.estimates().get("its_slope")
    if key != "its_slope" and slope is not None and result.significant("its_slope") and not result.significant(key):
        unit = t(f"impact.unit.{slope.unit}", lang) if slope.unit in ("week", "month", "quarter") else slope.unit
        return t(
            "impact.verdict.trend",
            lang,
            **{
                **fields,
                "low": fmt_num(slope.ci_low, 3),
                "high": fmt_num(slope.ci_high, 3),
                "p": fmt_p(result.p_adjusted("its_slope")),
            },
            direction=t("impact.up" if slope.estimate > 0 else "impact.down", lang),
            size=fmt_num(abs(slope.estimate), 3),
            unit=unit,
        )
    if result.significant(key):
        return t(
            "impact.verdict.effect",
            lang,
            **fields,
            size=fmt_num(abs(estimate.estimate)),
            direction=t("impact.up" if estimate.estimate > 0 else "impact.down", lang),
        )
    mde = result.minimum_detectable()
    return t(
        "impact.verdict.none", lang, **fields, estimate=fmt_num(estimate.estimate), mde=fmt_num(mde) if mde else "—"
    )


# ---------------------------------------------------------------- report


def to_record(result: Impact) -> dict:
    """A JSON-ready record: the change, every estimate with interval, p and FDR-adjusted p."""
    estimates = {}
    for key, r in result.estimates().items():
        estimates[key] = {
            "estimate": r.estimate,
            "ci_low": r.ci_low,
            "ci_high": r.ci_high,
            "p_value": r.p_value,
            "p_fdr": result.fdr.get(key),
            "method": r.method,
            "n": list(r.n) if isinstance(r.n, tuple) else r.n,
            "unit": f"points per {r.unit}" if key == "its_slope" else "points",
            "warnings": r.caveats("en"),
        }
    if result.did is not None and result.did.pre_trend is not None:
        estimates["did"]["pretrend_p"] = result.did.pre_trend.p_value
        estimates["did"]["pretrend_joint_p"] = result.did.pre_trend.details.get("joint_p")
    mde = result.minimum_detectable()
    return {
        "id": result.change_id,
        "title": result.title,
        "title_en": result.title_en,
        "date": result.changed_on.isoformat(),
        "end_date": result.ends_on.isoformat() if result.ends_on else None,
        "scope": {
            "regions": list(result.scope.regions),
            "touch_points": list(result.scope.touch_points),
            "tiers": list(result.scope.tiers),
        },
        "survey": result.survey_code,
        "question_codes": list(result.question_codes),
        "dimension": result.dimension,
        "grain": result.grain,
        "primary": result.primary,
        "flagged": result.flagged if result.primary else False,
        "estimates": estimates,
        "minimum_detectable_effect": mde if result.primary and not result.flagged else None,
        "notes": list(result.notes),
        "verdict": {"en": result.verdict("en"), "zh-CN": result.verdict("zh-CN")},
    }
