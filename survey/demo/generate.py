"""Demo data with known truth: `survey demo`.

One province's operator over 24 months: customers in six cities, service events at every
touch point, revisit campaigns with realistic response rates by tier and channel, answers
and comments, and service changes whose effects were injected on purpose. The true effects
go to a ground-truth JSON file beside the database, so the impact analyses can be checked
against them (see ``truth_changes``).

Deterministic for a given ``seed`` and ``end`` date. Rows are written in bulk, so a million
responses take minutes, not hours.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlmodel import Session, SQLModel, select

import survey.models  # noqa: F401  (every table registered, for the wipe in `replace`)
from survey.accounts.auth import create_user, has_password
from survey.core import db as database
from survey.core.bulk import BulkWriter, datetime_text, nullable_datetime_text
from survey.core.config import settings
from survey.core.errors import Refused, SurveyError
from survey.demo import world
from survey.demo.answers import DRIVER_WEIGHTS, SCALES, latent_scores, uniform
from survey.demo.casework import work_cases
from survey.design.definitions import create_survey, live_version, questions_of
from survey.design.templates import TEMPLATES
from survey.insight import rollup
from survey.models import Customer, PublicLink, Response, ServiceChange, User

log = logging.getLogger(__name__)

DEMO_USERS = (  # username, role, password (demo only: README says so), display name
    ("admin", "admin", "admin-demo", "管理员 Admin"),
    ("quality", "quality", "quality-demo", "质量管理 Quality"),
    ("agent", "agent", "agent-demo", "回访坐席 Agent"),
    ("executive", "executive", "executive-demo", "领导 Executive"),
)
KEEP_TABLES = {"user", "auditlog", "alembic_version"}
MONTHS = 24
LOCAL_OFFSET = np.timedelta64(8, "h")  # demo times are laid out in China Standard Time

# True means before offsets and effects (1-5 unless the scale says otherwise).
BASE_MEANS = {
    "overall": 4.05,
    "fault_repair": 3.80,
    "staff_attitude": 4.25,
    "network_quality": 3.70,
    "billing": 3.85,
    "business_handling": 3.80,
    "handling_speed": 3.70,
    "nps": 7.9,
    "ces": 2.9,
    "resolved": 0.82,
}
# How a one-point shift on a 1-5 satisfaction mean translates to other scales.
OFFSET_FACTOR = {"nps": 2.0, "ces": -1.2, "resolved": 0.12}
REPEATED_FAULT_OFFSET = {"fault_repair": -0.6, "overall": -0.4, "resolved": -0.3 / 0.12}

SMS_RATE = np.array([0.48, 0.42, 0.36, 0.27])  # response rate by tier (diamond..standard)
EMAIL_RATE = SMS_RATE * 0.5
PHONE_RATE = np.array([0.64, 0.62, 0.62, 0.60])
SAMPLE_RATE = np.array([1.0, 1.0, 1.0, 0.4])  # 100% of VIPs, 40% of standard customers
FAIL_RATE = {"sms": 0.02, "email": 0.04, "phone": 0.0}
OPT_OUT_RATE = 0.004
ABANDON_RATE = 0.12  # opened (or started) but never finished
EXPIRY_DAYS = 7


@dataclass(frozen=True)
class Stream:
    key: str
    survey: str
    kinds: dict[str, float]
    touch_points: dict[str, float]
    share: float  # of all responses
    phone_share: float  # invitations routed to agents' phone revisits
    duration_hours: tuple[float, float]


STREAMS = (
    Stream(
        "repair",
        "repair-revisit",
        {"repair": 0.6, "install": 0.3, "move": 0.1},
        {"field_crew": 1.0},
        0.43,
        0.15,
        (4, 40),
    ),
    Stream("hall", "hall-visit", {"hall_visit": 1.0}, {"business_hall": 1.0}, 0.22, 0.10, (0.2, 1.0)),
    Stream(
        "complaint",
        "complaint-revisit",
        {"complaint": 1.0},
        {"hotline": 0.5, "business_hall": 0.2, "online_hall": 0.3},
        0.12,
        0.35,
        (24, 120),
    ),
)
VIP_SHARE = 0.18
PUBLIC_SHARE = 1 - VIP_SHARE - sum(s.share for s in STREAMS)
COMPLAINT_CATEGORIES = {
    "billing": 0.3,
    "network_quality": 0.3,
    "business_handling": 0.15,
    "repeated_fault": 0.1,
    "staff_attitude": 0.15,
}
OTHER_EVENTS = {
    "hotline_call": ("hotline", 0.5),
    "online_order": ("online_hall", 0.3),
    "account_visit": ("account_manager", 0.2),
}


# ---------------------------------------------------------------- service changes (the truth)


@dataclass(frozen=True)
class Effect:
    """An injected effect on the true mean of one question within a scope."""

    key: str
    kind: str  # level_shift | slope_change | placebo | seasonal_dip
    title: str
    title_en: str
    description: str
    start: date
    question: str
    survey: str
    dimension: str
    size: float  # points (level), points per week (slope)
    end: date | None = None  # seasonal dips end
    regions: tuple[str, ...] = ()
    touch_points: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    owner: str = ""

    def delta(self, day: np.ndarray) -> np.ndarray:
        """The effect on the target mean for service days (numpy datetime64[D])."""
        start = np.datetime64(self.start)
        if self.kind == "slope_change":
            weeks = (day - start).astype(float) / 7.0
            return np.where(weeks >= 0, self.size * weeks, 0.0)
        active = day >= start
        if self.end is not None:
            active &= day <= np.datetime64(self.end)
        return np.where(active, self.size, 0.0)

    def in_scope(self, region: np.ndarray, touch_point: np.ndarray, tier: np.ndarray) -> np.ndarray:
        mask = np.ones(len(region), bool)
        for values, allowed in ((region, self.regions), (touch_point, self.touch_points), (tier, self.tiers)):
            if allowed:
                mask &= np.isin(values, allowed)
        return mask


def _monday_after(day: date) -> date:
    return day + timedelta(days=(7 - day.weekday()) % 7)


def planned_effects(start: date, end: date) -> list[Effect]:
    """The service changes of the demo and their true effects, placed inside [start, end]."""
    months = lambda m: _monday_after(start + timedelta(days=round(30.44 * m)))  # noqa: E731
    effects = [
        Effect(
            "queue_ticketing",
            "level_shift",
            "营业厅排队叫号系统上线",
            "Queue-ticketing system in business halls",
            "杭州、宁波营业厅上线排队叫号与预约系统，减少等候。 Hangzhou and Ningbo halls get ticketing and booking.",
            months(10.5),
            "business_handling",
            "hall-visit",
            "business_handling",
            0.40,
            regions=("Hangzhou", "Ningbo"),
            touch_points=("business_hall",),
            owner="渠道运营部 Channel ops",
        ),
        Effect(
            "repair_sla",
            "slope_change",
            "装维4小时上门承诺",
            "4-hour repair on-site commitment",
            "全省装维实行4小时上门SLA，逐步改善修复体验。 Province-wide repair SLA, improving steadily.",
            months(8),
            "fault_repair",
            "repair-revisit",
            "fault_repair",
            0.008,
            touch_points=("field_crew",),
            owner="网络运维部 Network ops",
        ),
        Effect(
            "hall_uniform",
            "placebo",
            "营业厅员工新工装",
            "New uniforms for hall staff",
            "温州营业厅更换员工工装（预计对服务态度评价无影响）。 New uniforms in Wenzhou halls.",
            months(14),
            "staff_attitude",
            "hall-visit",
            "staff_attitude",
            0.0,
            regions=("Wenzhou",),
            touch_points=("business_hall",),
            owner="温州分公司 Wenzhou branch",
        ),
        Effect(
            "vip_billing_care",
            "level_shift",
            "VIP账单解读专席",
            "Bill-explanation desk for VIPs",
            "钻石、金卡客户可预约账单解读专席。 Diamond and gold customers get a billing-explanation desk.",
            months(12),
            "billing",
            "vip-quarterly",
            "billing",
            0.40,
            tiers=("diamond", "gold"),
            owner="VIP服务中心 VIP centre",
        ),
    ]
    for year, new_year in sorted(world.SPRING_FESTIVAL.items()):
        first, last = new_year - timedelta(days=7), new_year + timedelta(days=13)
        if first >= start and last <= end:
            effects.append(
                Effect(
                    f"spring_festival_{year}",
                    "seasonal_dip",
                    f"{year}年春节",
                    f"Spring Festival {year}",
                    "春节前后装维人手紧张，总体满意度季节性下降。 Crews are short over the holiday.",
                    first,
                    "overall",
                    "repair-revisit",
                    "overall",
                    -0.30,
                    end=last,
                    touch_points=("field_crew",),
                    owner="",
                )
            )
    return effects


def truth_changes(effects: list[Effect], change_ids: dict[str, int]) -> list[dict]:
    rows = []
    for e in effects:
        scale = (1, 5)
        per_point = SCALES[scale].top2_per_point()
        rows.append(
            {
                "key": e.key,
                "service_change_id": change_ids.get(e.key),
                "kind": e.kind,
                "title": e.title,
                "title_en": e.title_en,
                "date": e.start.isoformat(),
                "end_date": e.end.isoformat() if e.end else None,
                "scope": {"regions": list(e.regions), "touch_points": list(e.touch_points), "tiers": list(e.tiers)},
                "survey": e.survey,
                "question_code": e.question,
                "dimension": e.dimension,
                "metric": "mean",
                "scale": list(scale),
                "true_effect": e.size,
                "unit": "points per week after the date" if e.kind == "slope_change" else "points on the 1-5 mean",
                "true_effect_top2_box": round(e.size * per_point, 6),
            }
        )
    return rows


# ---------------------------------------------------------------- generation


@dataclass
class DemoSummary:
    seed: int
    start: date
    end: date
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    truth_path: Path | None = None


class DemoExistsError(SurveyError):
    """The database already holds survey data and the caller did not ask to replace it."""


def generate(
    url: str | None = None,
    *,
    seed: int = 7,
    responses: int | None = None,
    end: date | None = None,
    replace: bool = False,
    truth_path: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> DemoSummary:
    """Fill the database with demo data and write the ground truth. See the module docstring."""
    began = time.perf_counter()
    responses = responses if responses is not None else settings().demo_responses
    if responses < 500:
        raise Refused("the demo needs at least 500 responses to show anything")
    tz = settings().timezone
    end = end or datetime.now(tz).date()
    first_month = end.year * 12 + end.month - 1 - (MONTHS - 1)
    start = date(first_month // 12, first_month % 12 + 1, 1)
    say = progress or (lambda message: log.info(message))
    engine = database.get_engine(url)
    with Session(engine, expire_on_commit=False) as db:
        if db.exec(select(Response.id).limit(1)).first() or db.exec(select(Customer.id).limit(1)).first():
            if not replace:
                raise DemoExistsError("the database already holds survey data; pass --replace to wipe it first")
            _wipe(db)
        users = _ensure_users(db)
        surveys = _create_surveys(db, users["quality"])
        effects = planned_effects(start, end)
        change_ids = _record_changes(db, effects, users["quality"])
        halls = _public_links(db, surveys["hall-visit"])
        db.commit()
    generator = _Generator(
        np.random.default_rng(seed),
        start,
        end,
        responses,
        surveys,
        halls,
        effects,
        users["agent"].id,
        engine.dialect.name == "postgresql",
        say,
    )
    with BulkWriter(engine) as writer:
        counts = generator.run(writer)
    database.analyze(engine, *counts)
    say("demo: counting the responses into the metrics rollup")
    rollup.refresh(url, invitations_now=True)
    say("demo: opening follow-up cases from the recent responses and working them")
    counts["followupcase"] = sum(
        work_cases(url, _demo_now(end, tz), np.random.default_rng(seed), users["quality"]).values()
    )
    summary = DemoSummary(seed, start, end, counts, time.perf_counter() - began)
    summary.truth_path = truth_path or settings().truth_path
    _write_truth(summary, effects, change_ids)
    say(f"demo: {counts['response']:,} responses in {summary.seconds:.1f} s; truth in {summary.truth_path}")
    return summary


def _demo_now(end: date, tz) -> datetime:
    """The moment the demo's story ends: now when it ends today, else that day's evening."""
    now = datetime.now(tz)
    return now if end >= now.date() else datetime.combine(end, datetime.min.time(), tz) + timedelta(hours=20)


def _wipe(db: Session) -> None:
    for table in reversed(SQLModel.metadata.sorted_tables):
        if table.name not in KEEP_TABLES:
            db.execute(table.delete())
    db.commit()


def _ensure_users(db: Session) -> dict[str, User]:
    users = {}
    for username, role, password, display in DEMO_USERS:
        existing = db.exec(select(User).where(User.username == username)).first()
        users[role] = existing or create_user(db, username, role, password, display_name=display)
    db.flush()
    return users


def demo_logins_in_use(db: Session) -> list[str]:
    """The demo users still active with their published password: anyone who read the README
    can sign in as them."""
    users = {
        user.username: user
        for user in db.exec(
            select(User).where(User.username.in_([username for username, *_ in DEMO_USERS]), User.active.is_(True))
        )
    }
    return [
        username
        for username, _, password, _ in DEMO_USERS
        if username in users and has_password(users[username], password)
    ]


def _create_surveys(db: Session, author: User) -> dict[str, dict]:
    surveys = {}
    for code, definition in TEMPLATES.items():
        survey = create_survey(db, definition, actor=author, publish=True, template=code)
        version = live_version(db, survey)
        surveys[code] = {"id": survey.id, "version_id": version.id, "questions": questions_of(db, version)}
    return surveys


def _record_changes(db: Session, effects: list[Effect], author: User) -> dict[str, int]:
    ids = {}
    for e in effects:
        change = ServiceChange(
            kind="external_event" if e.kind == "seasonal_dip" else "service_change",
            title=e.title,
            title_en=e.title_en,
            description=e.description,
            changed_on=e.start,
            ends_on=e.end,
            regions=list(e.regions),
            touch_points=list(e.touch_points),
            tiers=list(e.tiers),
            dimension=e.dimension,
            question_code=e.question,
            survey_code=e.survey,
            owner=e.owner,
            expected_effect="" if e.kind == "placebo" else f"{e.question} {e.size:+g}",
            created_by_id=author.id,
        )
        db.add(change)
        db.flush()
        ids[e.key] = change.id
    return ids


def _public_links(db: Session, hall_survey: dict) -> list[dict]:
    halls = []
    for region in world.REGIONS:
        for number in range(1, region.halls + 1):
            team = f"{region.name} Hall {number}"
            link = PublicLink(
                slug=f"{region.name.lower()}-hall-{number}",
                survey_id=hall_survey["id"],
                touch_point="business_hall",
                region=region.name,
                team=team,
                label=f"{region.name} 营业厅 {number}",
            )
            db.add(link)
            db.flush()
            halls.append({"id": link.id, "region": region.name, "team": team})
    return halls


def _write_truth(summary: DemoSummary, effects: list[Effect], change_ids: dict[str, int]) -> None:
    truth = {
        "seed": summary.seed,
        "start": summary.start.isoformat(),
        "end": summary.end.isoformat(),
        "counts": summary.counts,
        "changes": truth_changes(effects, change_ids),
        "trends": [
            {
                "question_code": "network_quality",
                "survey": "vip-quarterly",
                "slope_per_year": NETWORK_TREND_PER_YEAR,
                "unit": "points on the 1-5 mean per year",
            }
        ],
        "drivers": {
            "survey": "vip-quarterly",
            "outcome": "overall",
            "weights": DRIVER_WEIGHTS,
            "order": sorted(DRIVER_WEIGHTS, key=DRIVER_WEIGHTS.get, reverse=True),
        },
        "notes": "Effects are on the true (expected) mean of the question among responses in scope; "
        "dates are service dates (event date, or answer date for surveys without an event).",
    }
    summary.truth_path.parent.mkdir(parents=True, exist_ok=True)
    summary.truth_path.write_text(json.dumps(truth, ensure_ascii=False, indent=2), encoding="utf-8")


NETWORK_TREND_PER_YEAR = 0.12


class _Generator:
    """Draws every row with numpy and streams it to a BulkWriter."""

    def __init__(self, rng, start, end, responses, surveys, halls, effects, agent_id, postgres, say):
        self.rng, self.start, self.end = rng, start, end
        self.target = responses
        self.surveys, self.halls, self.effects = surveys, halls, effects
        self.agent_id, self.postgres, self.say = agent_id, postgres, say
        self.start64 = np.datetime64(start, "s") - LOCAL_OFFSET  # local midnight, in UTC
        self.end64 = np.datetime64(end + timedelta(days=1), "s") - LOCAL_OFFSET
        self.days = int((np.datetime64(end) - np.datetime64(start)).astype(int)) + 1
        self.counts: dict[str, int] = {}

    # -- helpers
    def _times(self, values: np.ndarray) -> list[str]:
        return datetime_text(values, self.postgres)

    def _ids(self, writer: BulkWriter, table: str, n: int) -> np.ndarray:
        first = writer.next_id(table)
        return np.arange(first, first + n)

    def _count(self, table: str, n: int) -> None:
        self.counts[table] = self.counts.get(table, 0) + n

    def run(self, writer: BulkWriter) -> dict[str, int]:
        self._customers(writer)
        for stream in STREAMS:
            self._stream(writer, stream)
        self._vip(writer)
        self._public(writer)
        self._other_events(writer)
        return self.counts

    # -- customers
    def _customers(self, writer: BulkWriter) -> None:
        rng = self.rng
        n = max(1000, int(self.target * 0.6))
        self.say(f"demo: {n:,} customers")
        ids = self._ids(writer, "customer", n)
        shares = np.array([r.share for r in world.REGIONS])
        self.c_region = rng.choice(len(world.REGIONS), n, p=shares / shares.sum())
        self.c_tier = rng.choice(4, n, p=world.TIER_SHARE)
        self.c_business = rng.random(n) < world.BUSINESS_SHARE
        self.c_english = rng.random(n) < world.ENGLISH_SHARE
        self.c_email = rng.random(n) < world.EMAIL_SHARE
        self.c_ids = ids
        names = np.array(world.chinese_names(rng, n), dtype=object)
        names[self.c_english] = world.english_names(rng, int(self.c_english.sum()))
        phones = world.phone_numbers(rng, n)
        created = self._times(
            self.start64 - np.timedelta64(400, "D") + rng.integers(0, 360 * 86400, n).astype("timedelta64[s]")
        )
        rows = (
            (
                int(i),
                f"C{i:08d}",
                name,
                phone,
                f"c{i:08d}@example.cn" if has_mail else None,
                world.TIERS[t],
                world.REGIONS[r].name,
                world.SEGMENTS[int(b)],
                "en" if en else "zh-CN",
                False,
                None,
                None,
                ts,
                ts,
            )
            for i, name, phone, has_mail, t, r, b, en, ts in zip(
                ids.tolist(),
                names.tolist(),
                phones,
                self.c_email.tolist(),
                self.c_tier.tolist(),
                self.c_region.tolist(),
                self.c_business.tolist(),
                self.c_english.tolist(),
                created,
            )
        )
        self._count(
            "customer",
            writer.insert(
                "customer",
                (
                    "id",
                    "external_id",
                    "name",
                    "phone",
                    "email",
                    "tier",
                    "region",
                    "segment",
                    "language",
                    "opted_out",
                    "opted_out_at",
                    "erased_at",
                    "created_at",
                    "updated_at",
                ),
                rows,
            ),
        )
        weight = world.TIER_EVENT_WEIGHT[self.c_tier]
        self.c_event_p = weight / weight.sum()

    # -- service events
    def _service_days(self, n: int, dip_kinds: bool) -> np.ndarray:
        """Days with fewer events at weekends and, for field work, over the Spring Festival."""
        day = np.arange(self.days)
        weekday = (np.datetime64(self.start) + day).astype("datetime64[D]").view("int64")
        weight = np.where((weekday + 3) % 7 >= 5, 0.7, 1.0)
        if dip_kinds:
            for new_year in world.SPRING_FESTIVAL.values():
                offset = (np.datetime64(new_year) - np.datetime64(self.start)).astype(int)
                weight[(day >= offset - 5) & (day <= offset + 7)] *= 0.5
        return self.rng.choice(self.days, n, p=weight / weight.sum())

    def _events(
        self,
        writer,
        n: int,
        kinds: dict[str, float],
        touch_points: dict[str, float],
        duration_hours: tuple[float, float],
        field_work: bool,
    ) -> dict[str, np.ndarray]:
        rng = self.rng
        ids = self._ids(writer, "serviceevent", n)
        customer = rng.choice(len(self.c_ids), n, p=self.c_event_p)
        kind = rng.choice(list(kinds), n, p=list(kinds.values()))
        touch = rng.choice(list(touch_points), n, p=list(touch_points.values()))
        day = self._service_days(n, field_work)
        occurred = (
            self.start64
            + day.astype("timedelta64[D]")
            + np.timedelta64(8, "h")
            + rng.integers(0, 12 * 3600, n).astype("timedelta64[s]")
        )
        low, high = duration_hours
        closed = occurred + (rng.uniform(low, high, n) * 3600).astype("timedelta64[s]")
        region = self.c_region[customer]
        team_number = rng.integers(1, 1 + np.array([max(r.crews, r.halls) for r in world.REGIONS])[region])
        region_names = np.array([r.name for r in world.REGIONS])[region]
        team = np.where(
            touch == "field_crew",
            np.char.add(region_names, " Crew "),
            np.where(
                touch == "business_hall",
                np.char.add(region_names, " Hall "),
                np.where(touch == "hotline", "Hotline 10000 Team ", "Online Hall Team "),
            ),
        )
        team = np.char.add(team.astype(str), team_number.astype(str))
        category = np.full(n, None, dtype=object)
        is_complaint = kind == "complaint"
        category[is_complaint] = rng.choice(
            list(COMPLAINT_CATEGORIES), int(is_complaint.sum()), p=list(COMPLAINT_CATEGORIES.values())
        )
        repeated = ((kind == "repair") & (rng.random(n) < 0.08)) | (category == "repeated_fault")
        occurred_text, closed_text = self._times(occurred), self._times(closed)
        rows = (
            (int(i), int(self.c_ids[c]), f"T{i:09d}", k, tp, world.REGIONS[r].name, tm, cat, bool(rep), o, cl, o)
            for i, c, k, tp, r, tm, cat, rep, o, cl in zip(
                ids.tolist(),
                customer.tolist(),
                kind.tolist(),
                touch.tolist(),
                region.tolist(),
                team.tolist(),
                category.tolist(),
                repeated.tolist(),
                occurred_text,
                closed_text,
            )
        )
        self._count(
            "serviceevent",
            writer.insert(
                "serviceevent",
                (
                    "id",
                    "customer_id",
                    "external_ticket_id",
                    "kind",
                    "touch_point",
                    "region",
                    "team",
                    "category",
                    "repeated_fault",
                    "occurred_at",
                    "closed_at",
                    "created_at",
                ),
                rows,
            ),
        )
        return {
            "id": ids,
            "customer": customer,
            "kind": kind,
            "touch": touch,
            "team": team,
            "closed": closed,
            "day": day,
            "repeated": repeated,
        }

    def _expected_yield(self, phone_share: float, tiers: np.ndarray, p: np.ndarray) -> float:
        """Expected completed responses per event (or per candidate), for sizing the draw."""
        tier_share = np.bincount(tiers, weights=p, minlength=4)
        email_share = world.EMAIL_SHARE * 0.25
        per_tier = SAMPLE_RATE * (
            phone_share * PHONE_RATE
            + (1 - phone_share)
            * (
                email_share * EMAIL_RATE * (1 - FAIL_RATE["email"])
                + (1 - email_share) * SMS_RATE * (1 - FAIL_RATE["sms"])
            )
        )
        return float(tier_share @ per_tier) * (1 - OPT_OUT_RATE)

    def _stream(self, writer: BulkWriter, stream: Stream) -> None:
        target = round(self.target * stream.share)
        n_events = int(target / self._expected_yield(stream.phone_share, self.c_tier, self.c_event_p) * 1.06) + 50
        self.say(f"demo: {stream.survey}: {n_events:,} events")
        events = self._events(
            writer,
            n_events,
            stream.kinds,
            stream.touch_points,
            stream.duration_hours,
            field_work=stream.key == "repair",
        )
        tier = self.c_tier[events["customer"]]
        sent = events["closed"] + (self.rng.uniform(18, 30, n_events) * 3600).astype("timedelta64[s]")
        sampled = (self.rng.random(n_events) < SAMPLE_RATE[tier]) & (sent < self.end64)
        pick = np.flatnonzero(sampled)
        self._invite_and_answer(
            writer,
            stream.survey,
            target,
            customer=events["customer"][pick],
            sent=sent[pick],
            phone_share=stream.phone_share,
            event=events,
            pick=pick,
        )

    def _vip(self, writer: BulkWriter) -> None:
        """Quarterly waves to VIP customers, sent over the first four weeks of each quarter."""
        rng = self.rng
        vip = np.flatnonzero(self.c_tier < 3)
        waves = [
            np.datetime64(f"{y}-{m:02d}-01") for y in range(self.start.year, self.end.year + 1) for m in (1, 4, 7, 10)
        ]
        waves = [w for w in waves if np.datetime64(self.start) <= w <= np.datetime64(self.end)]
        target = round(self.target * VIP_SHARE)
        uniform_p = np.full(len(vip), 1 / len(vip))
        per_wave = int(target / len(waves) / self._expected_yield(0.3, self.c_tier[vip], uniform_p) * 1.06) + 10
        customers, sent = [], []
        for wave in waves:
            chosen = rng.choice(vip, min(per_wave, len(vip)), replace=False)
            customers.append(chosen)
            sent.append(
                np.datetime64(wave, "s")
                - LOCAL_OFFSET
                + np.timedelta64(10, "h")
                + rng.integers(0, 28, len(chosen)).astype("timedelta64[D]")
                + rng.integers(0, 8 * 3600, len(chosen)).astype("timedelta64[s]")
            )
        customer, sent_at = np.concatenate(customers), np.concatenate(sent)
        keep = sent_at < self.end64
        self.say(f"demo: vip-quarterly: {int(keep.sum()):,} invitations in {len(waves)} waves")
        self._invite_and_answer(
            writer,
            "vip-quarterly",
            target,
            customer=customer[keep],
            sent=sent_at[keep],
            phone_share=0.3,
            event=None,
            pick=None,
        )

    def _invite_and_answer(self, writer, survey_code, target, *, customer, sent, phone_share, event, pick):
        rng = self.rng
        n = len(customer)
        tier = self.c_tier[customer]
        roll = rng.random(n)
        channel = np.where(
            roll < phone_share,
            "phone",
            np.where((roll < phone_share + 0.25 * (1 - phone_share)) & self.c_email[customer], "email", "sms"),
        )
        rate = np.select([channel == "phone", channel == "email"], [PHONE_RATE[tier], EMAIL_RATE[tier]], SMS_RATE[tier])
        fail_rate = np.select([channel == "phone", channel == "email"], [0.0, FAIL_RATE["email"]], FAIL_RATE["sms"])
        outcome = rng.random(n)
        failed = outcome < fail_rate
        opted_out = ~failed & (outcome < fail_rate + OPT_OUT_RATE)
        delay = (rng.exponential(5.0, n) * 3600).astype("timedelta64[s]")
        submitted = sent + delay
        completes = ~failed & ~opted_out & (rng.random(n) < rate) & (submitted < self.end64)
        completes &= delay < np.timedelta64(EXPIRY_DAYS, "D")
        complete_idx = np.flatnonzero(completes)
        if len(complete_idx) > target:  # trim to the requested size: the rest started but never finished
            drop = rng.choice(complete_idx, len(complete_idx) - target, replace=False)
            completes[drop] = False
        abandoned = ~failed & ~opted_out & ~completes & (rng.random(n) < ABANDON_RATE / (1 - rate.clip(0, 0.9)))
        expires = sent + np.timedelta64(EXPIRY_DAYS, "D")
        expired = ~failed & ~opted_out & ~completes & (expires < self.end64)
        status = np.select(
            [failed, opted_out, completes, abandoned & ~expired, expired],
            ["failed", "opted_out", "completed", "opened", "expired"],
            "sent",
        )
        invitation_ids = self._ids(writer, "invitation", n)
        campaign = self._campaigns(writer, survey_code, sent, channel)
        self._write_invitations(
            writer,
            invitation_ids,
            campaign,
            customer,
            event,
            pick,
            channel,
            status,
            sent,
            submitted,
            expires,
            completes,
            abandoned,
            failed,
            opted_out,
        )
        done = np.flatnonzero(completes)
        context = {
            "invitation": invitation_ids[done],
            "customer": customer[done],
            "submitted": submitted[done],
            "channel": channel[done],
            "tier": tier[done],
        }
        if event is not None:
            chosen = pick[done]
            context |= {
                "event_id": event["id"][chosen],
                "touch": event["touch"][chosen],
                "kind": event["kind"][chosen],
                "team": event["team"][chosen],
                "service_day": event["closed"][chosen],
                "repeated": event["repeated"][chosen],
            }
        self._responses(writer, survey_code, context)

    def _campaigns(self, writer, survey_code, sent, channel) -> np.ndarray:
        """One campaign per survey, month and channel; returns each invitation's campaign id."""
        local_month = (sent + LOCAL_OFFSET).astype("datetime64[M]")
        keys = np.char.add(np.char.add(local_month.astype(str), "|"), channel)
        unique, inverse = np.unique(keys, return_inverse=True)
        ids = self._ids(writer, "campaign", len(unique))
        survey = self.surveys[survey_code]
        name_en = TEMPLATES[survey_code]["name"]["en"]
        channel_word = {"sms": "SMS", "email": "email", "phone": "phone revisit"}
        end_month = np.datetime64(self.end, "M").astype(str)
        rows = []
        for campaign_id, key in zip(ids.tolist(), unique.tolist()):
            month, chan = key.split("|")
            first_day = f"{month}-01 02:00:00.000000" + ("+00" if self.postgres else "")
            rows.append(
                (
                    campaign_id,
                    f"{name_en} {month} ({channel_word[chan]})",
                    survey["id"],
                    survey["version_id"],
                    chan,
                    "sending" if month == end_month else "done",
                    json.dumps({"survey": survey_code, "month": month}),
                    json.dumps({"method": "stratified", "rates": {"vip": 1.0, "standard": 0.4}}),
                    EXPIRY_DAYS,
                    3 if chan != "phone" else None,
                    1 if chan != "phone" else 0,
                    first_day,
                    first_day,
                )
            )
        self._count(
            "campaign",
            writer.insert(
                "campaign",
                (
                    "id",
                    "name",
                    "survey_id",
                    "version_id",
                    "channel",
                    "status",
                    "audience",
                    "sampling",
                    "expires_days",
                    "remind_after_days",
                    "max_reminders",
                    "created_at",
                    "launched_at",
                ),
                rows,
            ),
        )
        return ids[inverse]

    def _write_invitations(
        self,
        writer,
        ids,
        campaign,
        customer,
        event,
        pick,
        channel,
        status,
        sent,
        submitted,
        expires,
        completes,
        abandoned,
        failed,
        opted_out,
    ) -> None:
        n = len(ids)
        tokens = _tokens(self.rng, n)
        event_ids = event["id"][pick].tolist() if event is not None else [None] * n
        opened = completes | abandoned
        started_at = submitted - np.timedelta64(3, "m")
        cols = {
            "sent": nullable_datetime_text(sent, ~failed, self.postgres),
            "failed": nullable_datetime_text(sent, failed, self.postgres),
            "opened": nullable_datetime_text(started_at - np.timedelta64(1, "m"), opened, self.postgres),
            "started": nullable_datetime_text(started_at, opened, self.postgres),
            "completed": nullable_datetime_text(submitted, completes, self.postgres),
            "opted_out": nullable_datetime_text(sent + np.timedelta64(2, "h"), opted_out, self.postgres),
            "queued": self._times(sent - np.timedelta64(1, "h")),
            "expires": self._times(expires),
        }
        languages = np.where(self.c_english[customer], "en", "zh-CN").tolist()
        agent = [self.agent_id if c == "phone" else None for c in channel.tolist()]
        rows = (
            (
                i,
                camp,
                int(self.c_ids[c]),
                ev,
                tok,
                ch,
                lang,
                st,
                ag,
                exp,
                q,
                s,
                f,
                "SMS gateway rejected the number" if f else None,
                0 if ch == "phone" else 1,
                o,
                stt,
                cpl,
                opt,
                0,
                "{}",
            )
            for i, camp, c, ev, tok, ch, lang, st, ag, exp, q, s, f, o, stt, cpl, opt in zip(
                ids.tolist(),
                campaign.tolist(),
                customer.tolist(),
                event_ids,
                tokens,
                channel.tolist(),
                languages,
                status.tolist(),
                agent,
                cols["expires"],
                cols["queued"],
                cols["sent"],
                cols["failed"],
                cols["opened"],
                cols["started"],
                cols["completed"],
                cols["opted_out"],
            )
        )
        self._count(
            "invitation",
            writer.insert(
                "invitation",
                (
                    "id",
                    "campaign_id",
                    "customer_id",
                    "event_id",
                    "token",
                    "channel",
                    "language",
                    "status",
                    "assigned_to_id",
                    "expires_at",
                    "queued_at",
                    "sent_at",
                    "failed_at",
                    "last_error",
                    "attempts",
                    "opened_at",
                    "started_at",
                    "completed_at",
                    "opted_out_at",
                    "reminder_count",
                    "draft",
                ),
                rows,
            ),
        )

    # -- responses and answers
    def _responses(self, writer: BulkWriter, survey_code: str, ctx: dict) -> None:
        n = len(ctx["submitted"])
        if n == 0:
            return
        survey = self.surveys[survey_code]
        ids = self._ids(writer, "response", n)
        answered_on = (ctx["submitted"] + LOCAL_OFFSET).astype("datetime64[D]")
        service_day = (
            (ctx["service_day"] + LOCAL_OFFSET).astype("datetime64[D]") if "service_day" in ctx else answered_on
        )
        public = "customer" not in ctx
        if public:
            region = ctx["region"]
            tier = np.full(n, -1)
            business = np.zeros(n, bool)
            language = np.where(self.rng.random(n) < world.ENGLISH_SHARE, "en", "zh-CN")
            response_channel = np.full(n, "public")
            customer_db = [None] * n
        else:
            region = self.c_region[ctx["customer"]]
            tier = ctx["tier"]
            business = self.c_business[ctx["customer"]]
            language = np.where(self.c_english[ctx["customer"]], "en", "zh-CN")
            response_channel = np.where(ctx["channel"] == "phone", "agent", "link")
            customer_db = self.c_ids[ctx["customer"]].tolist()
        touch = ctx.get("touch", np.full(n, None, dtype=object))
        kind = ctx.get("kind", np.full(n, None, dtype=object))
        team = ctx.get("team", np.full(n, None, dtype=object))
        repeated = ctx.get("repeated", np.zeros(n, bool))
        region_names = np.array([r.name for r in world.REGIONS])[region]
        tier_names = np.array(list(world.TIERS) + [None], dtype=object)[tier]
        segment = np.where(business, "business", "consumer").astype(object)
        if public:
            segment[:] = None
        submitted = ctx["submitted"]
        rows = (
            (
                i,
                inv,
                survey["id"],
                survey["version_id"],
                ch,
                lang,
                cust,
                ev,
                ag,
                pl,
                dev,
                st,
                sub,
                ans,
                ti,
                rg,
                tp,
                sg,
                kd,
                tm,
            )
            for i, inv, ch, lang, cust, ev, ag, pl, dev, st, sub, ans, ti, rg, tp, sg, kd, tm in zip(
                ids.tolist(),
                ctx["invitation"].tolist() if not public else [None] * n,
                response_channel.tolist(),
                language.tolist(),
                customer_db,
                ctx["event_id"].tolist() if "event_id" in ctx else [None] * n,
                [self.agent_id if c == "agent" else None for c in response_channel.tolist()],
                ctx["public_link"].tolist() if public else [None] * n,
                ctx["device"] if public else [None] * n,
                self._times(submitted - np.timedelta64(3, "m")),
                self._times(submitted),
                answered_on.astype(str).tolist(),
                tier_names.tolist(),
                region_names.tolist(),
                touch.tolist(),
                segment.tolist(),
                kind.tolist(),
                team.tolist(),
            )
        )
        self._count(
            "response",
            writer.insert(
                "response",
                (
                    "id",
                    "invitation_id",
                    "survey_id",
                    "version_id",
                    "channel",
                    "language",
                    "customer_id",
                    "event_id",
                    "agent_id",
                    "public_link_id",
                    "device_key",
                    "started_at",
                    "submitted_at",
                    "answered_on",
                    "tier",
                    "region",
                    "touch_point",
                    "segment",
                    "event_kind",
                    "team",
                ),
                rows,
            ),
        )
        offsets = (
            np.array([r.offset for r in world.REGIONS])[region]
            + np.where(tier >= 0, world.TIER_OFFSET[np.maximum(tier, 0)], 0.0)
            + np.where(business, world.BUSINESS_OFFSET, 0.0)
            + np.where(response_channel == "agent", world.PHONE_CHANNEL_OFFSET, 0.0)
        )
        scope = {"region": region_names, "touch": touch.astype(str), "tier": tier_names.astype(str)}
        self._answers(writer, survey, ids, offsets, scope, service_day, repeated, language)

    def _target_mean(self, code: str, offsets, scope, service_day, repeated) -> np.ndarray:
        factor = OFFSET_FACTOR.get(code, 1.0)
        target = BASE_MEANS[code] + factor * (offsets + np.where(repeated, REPEATED_FAULT_OFFSET.get(code, 0.0), 0.0))
        for effect in self.effects:
            if effect.question == code:
                target = target + effect.in_scope(scope["region"], scope["touch"], scope["tier"]) * effect.delta(
                    service_day
                )
        if code == "network_quality":
            years = (service_day - np.datetime64(self.start)).astype(float) / 365.25
            target = target + NETWORK_TREND_PER_YEAR * years
        return target

    def _answers(self, writer, survey, response_ids, offsets, scope, service_day, repeated, language) -> None:
        n = len(response_ids)
        latent = latent_scores(self.rng, n)
        values: dict[str, np.ndarray] = {}
        for question in survey["questions"]:
            code = question.code
            if question.type in ("rating", "nps", "ces", "yes_no"):
                target = self._target_mean(code, offsets, scope, service_day, repeated)
                model = SCALES[(question.scale_min, question.scale_max)]
                outside = (target < model.mean_low) | (target > model.mean_high)
                if outside.mean() > 0.001:
                    log.warning("demo: %.2f%% of %s targets clipped", 100 * outside.mean(), code)
                values[code] = model.draw(target, uniform(latent[code]))
                self._write_numeric(writer, code, response_ids, values[code])
            elif code == "wait_time":
                self._write_wait_time(writer, response_ids, values["business_handling"], question.options)
            elif code == "what_wrong":
                self._write_what_went_wrong(writer, response_ids, values, repeated)
            elif code == "comment":
                self._write_comments(writer, response_ids, values, repeated, language)

    def _answer_ids(self, writer: BulkWriter, n: int) -> np.ndarray:
        if not hasattr(self, "_next_answer"):
            self._next_answer = writer.next_id("answer")
        first, self._next_answer = self._next_answer, self._next_answer + n
        return np.arange(first, first + n)

    def _write_answer_rows(self, writer, response_ids, codes, numbers, texts) -> None:
        ids = self._answer_ids(writer, len(response_ids))
        rows = zip(ids.tolist(), list(response_ids), codes, [None] * len(ids), numbers, texts)
        self._count(
            "answer",
            writer.insert(
                "answer", ("id", "response_id", "question_code", "item_code", "value_num", "value_text"), rows
            ),
        )

    def _write_numeric(self, writer, code, response_ids, values) -> None:
        n = len(values)
        self._write_answer_rows(writer, response_ids.tolist(), [code] * n, values.astype(float).tolist(), [None] * n)

    def _write_wait_time(self, writer, response_ids, business_handling, options) -> None:
        score = (5 - business_handling) * 0.7 + self.rng.normal(0, 0.8, len(business_handling))
        category = np.digitize(score, [1.0, 2.0, 3.0])
        labels = np.array([o["value"] for o in options])[category]
        n = len(labels)
        self._write_answer_rows(writer, response_ids.tolist(), ["wait_time"] * n, [None] * n, labels.tolist())

    def _dimension_values(self, values: dict[str, np.ndarray]) -> tuple[list[str], np.ndarray]:
        present = [d for d in DRIVER_WEIGHTS if d in values]
        if "handling_speed" in values:
            present.append("business_handling")
            values = {**values, "business_handling": values["handling_speed"]}
        return present, np.column_stack([values[d] for d in present])

    def _write_what_went_wrong(self, writer, response_ids, values, repeated) -> None:
        unhappy = np.flatnonzero(values["overall"] <= 2)
        names, matrix = self._dimension_values(values)
        ids, codes = [], []
        for row in unhappy.tolist():
            scores = matrix[row]
            chosen = [names[j] for j in np.flatnonzero(scores <= 2)] or [names[int(np.argmin(scores))]]
            if repeated[row]:
                chosen.append("repeated_fault")
            for option in dict.fromkeys(chosen):
                ids.append(int(response_ids[row]))
                codes.append(option)
        self._write_answer_rows(writer, ids, ["what_wrong"] * len(ids), [None] * len(ids), codes)

    def _write_comments(self, writer, response_ids, values, repeated, language) -> None:
        overall = values["overall"]
        chance = np.select([overall <= 2, overall == 3], [0.45, 0.18], 0.10)
        writers = np.flatnonzero(self.rng.random(len(overall)) < chance)
        names, matrix = self._dimension_values(values)
        texts, ids = [], []
        for row in writers.tolist():
            lowest = int(np.argmin(matrix[row]))
            if overall[row] <= 2 or matrix[row, lowest] <= 2:
                theme = names[lowest]
                if theme == "fault_repair" and repeated[row]:
                    theme = "repeated_fault"
            elif overall[row] == 5 and self.rng.random() < 0.7:
                theme = "praise"
            else:
                theme = "suggestion"
            pool = world.COMMENTS[theme][language[row]]
            texts.append(pool[int(self.rng.integers(len(pool)))])
            ids.append(int(response_ids[row]))
        self._write_answer_rows(writer, ids, ["comment"] * len(ids), [None] * len(ids), texts)

    # -- anonymous answers at business-hall counters (QR code)
    def _public(self, writer: BulkWriter) -> None:
        n = round(self.target * PUBLIC_SHARE)
        if n <= 0:
            return
        rng = self.rng
        hall = rng.integers(0, len(self.halls), n)
        day = self._service_days(n, dip_kinds=False)
        submitted = (
            self.start64
            + day.astype("timedelta64[D]")
            + np.timedelta64(9, "h")
            + rng.integers(0, 9 * 3600, n).astype("timedelta64[s]")
        )
        region_index = {r.name: i for i, r in enumerate(world.REGIONS)}
        self.say(f"demo: hall-visit: {n:,} answers through counter QR codes")
        self._responses(
            writer,
            "hall-visit",
            {
                "submitted": submitted,
                "region": np.array([region_index[self.halls[h]["region"]] for h in hall.tolist()]),
                "touch": np.full(n, "business_hall", dtype=object),
                "kind": np.full(n, "hall_visit", dtype=object),
                "team": np.array([self.halls[h]["team"] for h in hall.tolist()], dtype=object),
                "public_link": np.array([self.halls[h]["id"] for h in hall.tolist()]),
                "device": [d.hex() for d in np.frombuffer(rng.bytes(8 * n), dtype="S8").tolist()],
            },
        )

    def _other_events(self, writer: BulkWriter) -> None:
        """Contacts that no demo survey follows up (hotline calls, online orders, account visits)."""
        total = int(self.counts.get("serviceevent", 0) * 0.25)
        for kind, (touch, share) in OTHER_EVENTS.items():
            self._events(writer, max(1, int(total * share)), {kind: 1.0}, {touch: 1.0}, (0.1, 2.0), field_work=False)


def _tokens(rng: np.random.Generator, n: int) -> list[str]:
    """128-bit URL-safe tokens (22 characters) from `secrets`, like real invitations: a token
    drawn from the seed could be recomputed by anyone who knows the seed and the end date.
    The seeded generator still advances by the bytes it used to give, so every other value
    of the demo stays what the seed made it."""
    rng.bytes(16 * n)
    return [secrets.token_urlsafe(16) for _ in range(n)]
