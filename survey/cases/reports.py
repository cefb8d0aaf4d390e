"""How the closed loop performs: cases opened, closed and overdue by team; time to close; the
recovery rate (satisfied on recontact) with its Wilson interval; top root causes by month; and
a recurring root cause turned into a draft service change, whose effect the impact analysis
then measures (defect -> improvement -> measured effect).

Cases are few next to responses (thousands a month, not millions), so the reports read the
cases of the period into a frame and group there. "Closed" means resolved or unreachable; a
closed case's ``resolved_at`` is when it closed. Months and days are local (SURVEY_TIMEZONE).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from stats import TestResult, compare
from survey.cases.workflow import OPEN_STATUSES
from survey.core.audit import record
from survey.core.config import settings
from survey.core.i18n import LANGUAGES, t
from survey.core.vocab import CaseStatus
from survey.models import CaseChange, FollowUpCase, Response, ServiceChange, utcnow

CLOSED = (CaseStatus.RESOLVED, CaseStatus.UNREACHABLE)
CLOSE_BINS = (0, 24, 48, 72, 24 * 7, np.inf)  # hours
CLOSE_BIN_LABELS = ("< 24 h", "24-48 h", "48-72 h", "3-7 d", "> 7 d")
SCOPE_SHARE = 0.8  # a draft change covers the groups holding this share of the cases
DRAFT_LEAD_DAYS = 30  # a draft change is planned this many days ahead until someone dates it


def _utc_range(start: date, end: date) -> tuple[datetime, datetime]:
    tz = settings().timezone
    return (
        datetime.combine(start, datetime.min.time(), tz),
        datetime.combine(end + timedelta(days=1), datetime.min.time(), tz),
    )


CASE_COLUMNS = (
    "id",
    "status",
    "team",
    "priority",
    "opened_at",
    "due_at",
    "resolved_at",
    "root_cause",
    "recovered",
    "recontact_invitation_id",
    "category",
    "region",
    "touch_point",
    "tier",
)


def case_frame(db: Session, start: date, end: date) -> pd.DataFrame:
    """Cases opened or closed in the local date range, or still open, with the response's groups."""
    low, high = _utc_range(start, end)
    rows = db.execute(
        sa.select(
            FollowUpCase.id,
            FollowUpCase.status,
            FollowUpCase.team,
            FollowUpCase.priority,
            FollowUpCase.opened_at,
            FollowUpCase.due_at,
            FollowUpCase.resolved_at,
            FollowUpCase.root_cause,
            FollowUpCase.recovered,
            FollowUpCase.recontact_invitation_id,
            FollowUpCase.category,
            Response.region,
            Response.touch_point,
            Response.tier,
        )
        .outerjoin(Response, Response.id == FollowUpCase.response_id)
        .where(
            sa.or_(
                FollowUpCase.opened_at.between(low, high),
                FollowUpCase.resolved_at.between(low, high),
                FollowUpCase.status.in_(OPEN_STATUSES),
            )
        )
    ).all()
    frame = pd.DataFrame(rows, columns=list(CASE_COLUMNS))
    frame["team"] = frame["team"].fillna("—")
    for column in ("opened_at", "due_at", "resolved_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    frame["opened_in"] = frame["opened_at"].between(low, high, inclusive="left")
    frame["closed_in"] = frame["status"].isin(CLOSED) & frame["resolved_at"].between(low, high, inclusive="left")
    frame["hours_to_close"] = (frame["resolved_at"] - frame["opened_at"]).dt.total_seconds() / 3600
    return frame


def by_team(frame: pd.DataFrame, now: datetime | None = None) -> pd.DataFrame:
    """Per team: opened and closed in the period, open and overdue now, median hours to close."""
    now = pd.Timestamp(now or utcnow())
    open_now = frame["status"].isin(OPEN_STATUSES)
    work = frame.assign(
        opened=frame["opened_in"],
        closed=frame["closed_in"],
        open=open_now,
        overdue=open_now & (frame["due_at"] < now),
        hours=frame["hours_to_close"].where(frame["closed_in"]),
    )
    table = work.groupby("team").agg(
        opened=("opened", "sum"),
        closed=("closed", "sum"),
        open=("open", "sum"),
        overdue=("overdue", "sum"),
        median_hours=("hours", "median"),
    )
    table = table[(table[["opened", "closed", "open"]].sum(axis=1)) > 0]
    return (
        table.astype({"opened": int, "closed": int, "open": int, "overdue": int})
        .reset_index()
        .sort_values(["overdue", "open"], ascending=False, ignore_index=True)
    )


@dataclass(frozen=True)
class CloseTimes:
    n: int
    median_hours: float | None
    p25_hours: float | None
    p75_hours: float | None
    p90_hours: float | None
    within_sla: TestResult | None  # share of closed cases closed by their due time
    distribution: pd.DataFrame  # bin, cases


def close_times(frame: pd.DataFrame) -> CloseTimes:
    closed = frame[frame["closed_in"]]
    hours = closed["hours_to_close"].to_numpy(dtype=float)
    bins = pd.cut(pd.Series(hours, dtype=float), CLOSE_BINS, labels=CLOSE_BIN_LABELS, right=False)
    distribution = bins.value_counts(sort=False).rename_axis("bin").reset_index(name="cases")
    if not len(hours):
        return CloseTimes(0, None, None, None, None, None, distribution)
    p25, median, p75, p90 = np.percentile(hours, [25, 50, 75, 90])
    on_time = int((closed["resolved_at"] <= closed["due_at"]).sum())
    return CloseTimes(
        len(hours),
        float(median),
        float(p25),
        float(p75),
        float(p90),
        compare.proportion_interval(on_time, len(hours)),
        distribution,
    )


@dataclass(frozen=True)
class Recovery:
    asked: int  # closed in the period with a recontact sent or a phone answer
    answered: int
    recovered: int
    rate: TestResult | None  # recovered / answered, Wilson interval


def recovery(frame: pd.DataFrame) -> Recovery:
    closed = frame[frame["closed_in"] & (frame["status"] == CaseStatus.RESOLVED)]
    answered = closed[closed["recovered"].notna()]
    asked = int((closed["recontact_invitation_id"].notna() | closed["recovered"].notna()).sum())
    recovered = int(answered["recovered"].astype(bool).sum())
    rate = compare.proportion_interval(recovered, len(answered)) if len(answered) else None
    return Recovery(asked, len(answered), recovered, rate)


def opened_by_category(frame: pd.DataFrame) -> pd.DataFrame:
    """Cases opened in the period per root-cause category, most first (category, cases); a case
    with no category (opened before categories were kept) counts under ""."""
    opened = frame[frame["opened_in"]]
    if opened.empty:
        return pd.DataFrame(columns=["category", "cases"])
    table = opened.assign(category=opened["category"].fillna("")).groupby("category").size().reset_index(name="cases")
    return table.sort_values(["cases", "category"], ascending=[False, True], ignore_index=True)


def root_causes_by_month(frame: pd.DataFrame) -> pd.DataFrame:
    """Resolved cases per local month and root cause (month, root_cause, cases)."""
    resolved = frame[frame["closed_in"] & frame["root_cause"].notna()]
    if resolved.empty:
        return pd.DataFrame(columns=["month", "root_cause", "cases"])
    local = resolved["resolved_at"].dt.tz_convert(settings().timezone.key)
    months = local.dt.tz_localize(None).dt.to_period("M").dt.start_time.dt.date
    table = resolved.assign(month=months).groupby(["month", "root_cause"]).size().reset_index(name="cases")
    return table.sort_values(["month", "cases"], ascending=[True, False], ignore_index=True)


# ---------------------------------------------------------------- root cause -> service change


@dataclass(frozen=True)
class Recurring:
    root_cause: str
    cases: int
    months: int  # months of the period in which it came up
    regions: tuple[str, ...]  # the groups holding most of its cases (empty: all)
    touch_points: tuple[str, ...]
    tiers: tuple[str, ...]
    change_id: int | None  # a service change already drafted from it


def _main_groups(values: pd.Series) -> tuple[str, ...]:
    """The fewest groups that hold SCOPE_SHARE of the cases; () when that takes every group."""
    counts = values.dropna().value_counts()
    if counts.empty:
        return ()
    cumulative = counts.cumsum() / counts.sum()
    chosen = tuple(counts.index[: int((cumulative < SCOPE_SHARE).sum()) + 1])
    return () if len(chosen) == len(counts) and len(counts) > 1 else chosen


def recurring_causes(db: Session, frame: pd.DataFrame, *, min_cases: int = 3) -> list[Recurring]:
    resolved = frame[frame["closed_in"] & frame["root_cause"].notna()]
    drafted = dict(
        db.execute(
            sa.select(CaseChange.root_cause, sa.func.max(CaseChange.service_change_id)).group_by(CaseChange.root_cause)
        ).all()
    )
    found = []
    months = root_causes_by_month(frame)
    for cause, group in resolved.groupby("root_cause"):
        if len(group) < min_cases:
            continue
        found.append(
            Recurring(
                cause,
                len(group),
                int((months["root_cause"] == cause).sum()),
                _main_groups(group["region"]),
                _main_groups(group["touch_point"]),
                _main_groups(group["tier"]),
                drafted.get(cause),
            )
        )
    return sorted(found, key=lambda r: -r.cases)


def draft_service_change(
    db: Session, cause: Recurring, start: date, end: date, *, actor=None, changed_on: date | None = None
) -> ServiceChange:
    """A draft service change for a recurring root cause: title, dimension and scope from its
    cases, planned DRAFT_LEAD_DAYS ahead; its owner dates and describes it on the changes page."""
    change = ServiceChange(
        title=t("cases.draft_title", "zh-CN", cause=t(f"dimension.{cause.root_cause}", "zh-CN"), n=cause.cases),
        title_en=t("cases.draft_title", "en", cause=t(f"dimension.{cause.root_cause}", "en"), n=cause.cases),
        description="\n".join(
            t("cases.draft_description", lang, n=cause.cases, start=start, end=end, months=cause.months)
            for lang in LANGUAGES
        ),
        changed_on=changed_on or (utcnow().astimezone(settings().timezone).date() + timedelta(days=DRAFT_LEAD_DAYS)),
        regions=list(cause.regions),
        touch_points=list(cause.touch_points),
        tiers=list(cause.tiers),
        dimension=cause.root_cause,
        owner=getattr(actor, "display_name", "") or "",
        expected_effect=t("cases.draft_effect", "zh-CN"),
        created_by_id=getattr(actor, "id", None),
    )
    db.add(change)
    db.flush()
    db.add(
        CaseChange(
            service_change_id=change.id,
            root_cause=cause.root_cause,
            cases=cause.cases,
            since=start,
            until=end,
            created_by_id=getattr(actor, "id", None),
        )
    )
    record(
        db,
        actor,
        "service_change.draft",
        "servicechange",
        change.id,
        {"root_cause": cause.root_cause, "cases": cause.cases, "since": str(start), "until": str(end)},
    )
    db.flush()
    return change
