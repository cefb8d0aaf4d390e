"""What quality staff configure for follow-up cases: the rules that open them, the SLA per tier,
how far back the rules look, and which team (and agent) takes a case.

Rules, settings and routes live in the database and are seeded with defaults on first use:

- rules: a VIP (diamond, gold, silver) rating ``overall`` at most 2 of 5; a diamond or gold
  detractor (NPS 0-6); a comment that names a complaint category (survey.cases.themes); a repeated
  fault (the service event is flagged, or the customer ticked it under "what went wrong");
- SLA: diamond and gold 24 h, silver 48 h, standard 72 h to resolve;
- the rules look at responses answered in the last 30 days (an older response is too late
  for a call back), and a case no team member can take goes round the agents.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Session

from survey.cases.themes import CATEGORIES, THEMES
from survey.core.audit import record
from survey.core.errors import Refused
from survey.core.vocab import Tier, TouchPoint
from survey.models import CaseRoute, CaseRule, CaseSetting, utcnow

TIERS = tuple(t.value for t in Tier)
DEFAULT_SLA_HOURS = {"diamond": 24, "gold": 24, "silver": 48, "standard": 72}
DEFAULT_LOOKBACK_DAYS = 30
LOOP_KEY = "loop"


class RuleKind(StrEnum):
    SCORE = "score"  # a rating at most a threshold, for some tiers
    COMMENT_THEME = "comment_theme"  # a comment naming one of some themes
    REPEATED_FAULT = "repeated_fault"  # the event is a repeated fault, or the customer says so


class Priority(StrEnum):
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


PRIORITY_ORDER = {Priority.HIGH: 0, Priority.NORMAL: 1, Priority.LOW: 2}


class Fallback(StrEnum):
    AGENTS = "agents"  # round the active agents
    NOBODY = "nobody"  # unassigned, in the team's queue


@dataclass(frozen=True)
class RuleSpec:
    code: str
    name_zh: str
    name_en: str
    kind: str
    params: dict
    priority: str = Priority.NORMAL
    enabled: bool = True
    position: int = 0

    def problems(self) -> list[str]:
        problems = []
        if not self.code or len(self.code) > 40 or not all(c.isalnum() or c in "-_" for c in self.code):
            problems.append("code must be 1-40 letters, digits, '-' or '_'")
        if not self.name_zh.strip() or not self.name_en.strip():
            problems.append("the rule needs a name in zh-CN and en")
        if self.kind not in {k.value for k in RuleKind}:
            return problems + [f"kind must be one of {', '.join(k.value for k in RuleKind)}"]
        if self.priority not in {p.value for p in Priority}:
            problems.append(f"priority must be one of {', '.join(p.value for p in Priority)}")
        tiers = self.params.get("tiers", [])
        if not isinstance(tiers, list) or any(t not in TIERS for t in tiers):
            problems.append(f"tiers must be a list of {', '.join(TIERS)} (empty: every tier)")
        if self.kind == RuleKind.SCORE:
            if not str(self.params.get("question") or "").strip():
                problems.append("a score rule needs a question code")
            at_most = self.params.get("at_most")
            if isinstance(at_most, bool) or not isinstance(at_most, int | float) or not 0 <= at_most <= 10:
                problems.append("the threshold (at most) must be a number from 0 to 10")
        if self.kind == RuleKind.COMMENT_THEME:
            themes = self.params.get("themes")
            if not isinstance(themes, list) or not themes or any(t not in THEMES for t in themes):
                problems.append(f"choose at least one theme of {', '.join(THEMES)}")
        return problems


DEFAULT_RULES = (
    RuleSpec(
        "vip-low-overall",
        "VIP客户总体评分低（≤2分）",
        "VIP rates overall 2 or lower",
        RuleKind.SCORE,
        {"tiers": ["diamond", "gold", "silver"], "question": "overall", "at_most": 2},
        Priority.HIGH,
        position=1,
    ),
    RuleSpec(
        "vip-nps-detractor",
        "钻石/金卡客户贬损者（NPS 0-6）",
        "Diamond or gold detractor (NPS 0-6)",
        RuleKind.SCORE,
        {"tiers": ["diamond", "gold"], "question": "nps", "at_most": 6},
        Priority.HIGH,
        position=2,
    ),
    RuleSpec(
        "repeated-fault",
        "重复障碍",
        "Repeated fault",
        RuleKind.REPEATED_FAULT,
        {"tiers": []},
        Priority.HIGH,
        position=3,
    ),
    RuleSpec(
        "complaint-comment",
        "评论提到投诉类别",
        "Comment names a complaint category",
        RuleKind.COMMENT_THEME,
        {"tiers": [], "themes": list(THEMES)},
        Priority.NORMAL,
        position=4,
    ),
)


# ---------------------------------------------------------------- rules


def ensure_rules(db: Session) -> None:
    if db.execute(sa.select(CaseRule.id).limit(1)).first() is None:
        db.add_all(
            CaseRule(
                code=s.code,
                name_zh=s.name_zh,
                name_en=s.name_en,
                kind=s.kind,
                params=s.params,
                priority=s.priority,
                enabled=s.enabled,
                position=s.position,
            )
            for s in DEFAULT_RULES
        )
        db.flush()


def rules(db: Session, *, enabled_only: bool = False) -> list[CaseRule]:
    ensure_rules(db)
    query = sa.select(CaseRule).order_by(CaseRule.position, CaseRule.id)
    if enabled_only:
        query = query.where(CaseRule.enabled)
    return list(db.execute(query).scalars())


def spec_of(rule: CaseRule) -> RuleSpec:
    return RuleSpec(
        rule.code, rule.name_zh, rule.name_en, rule.kind, dict(rule.params), rule.priority, rule.enabled, rule.position
    )


def save_rule(db: Session, spec: RuleSpec, *, actor=None) -> CaseRule:
    """Create a rule or update the one with the same code (its kind stays)."""
    if problems := spec.problems():
        raise Refused(key="errors.cases.rule_invalid", problems="; ".join(problems))
    ensure_rules(db)
    rule = db.execute(sa.select(CaseRule).where(CaseRule.code == spec.code)).scalar_one_or_none()
    if rule is None:
        rule = CaseRule(code=spec.code, kind=spec.kind, name_zh="", name_en="")
    elif rule.kind != spec.kind:
        raise Refused(key="errors.cases.rule_kind_fixed", code=spec.code, kind=rule.kind)
    rule.name_zh, rule.name_en, rule.params = spec.name_zh.strip(), spec.name_en.strip(), dict(spec.params)
    rule.priority, rule.enabled, rule.position = spec.priority, spec.enabled, spec.position
    rule.updated_at, rule.updated_by_id = utcnow(), getattr(actor, "id", None)
    db.add(rule)
    db.flush()
    record(db, actor, "case_rule.save", "caserule", rule.id, asdict(spec))
    return rule


# ---------------------------------------------------------------- SLA, look-back, fallback


@dataclass(frozen=True)
class LoopSettings:
    sla_hours: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_SLA_HOURS))
    lookback_days: int = DEFAULT_LOOKBACK_DAYS
    fallback: str = Fallback.AGENTS

    def problems(self) -> list[str]:
        problems = []
        if set(self.sla_hours) != set(TIERS) or any(
            isinstance(h, bool) or not isinstance(h, int) or not 1 <= h <= 24 * 30 for h in self.sla_hours.values()
        ):
            problems.append(f"give every tier ({', '.join(TIERS)}) an SLA of 1 to 720 hours")
        if (
            isinstance(self.lookback_days, bool)
            or not isinstance(self.lookback_days, int)
            or not (1 <= self.lookback_days <= 365)
        ):
            problems.append("the rules look back 1 to 365 days")
        if self.fallback not in {f.value for f in Fallback}:
            problems.append(f"fallback must be one of {', '.join(f.value for f in Fallback)}")
        return problems

    def sla_for(self, tier: str | None) -> int:
        return self.sla_hours.get(tier or "standard", self.sla_hours["standard"])


def loop_settings(db: Session) -> LoopSettings:
    stored = db.get(CaseSetting, LOOP_KEY)
    if stored is None:
        return LoopSettings()
    value = stored.value
    return LoopSettings(
        {**DEFAULT_SLA_HOURS, **value.get("sla_hours", {})},
        int(value.get("lookback_days", DEFAULT_LOOKBACK_DAYS)),
        value.get("fallback", Fallback.AGENTS),
    )


def save_loop_settings(db: Session, settings_: LoopSettings, *, actor=None) -> None:
    if problems := settings_.problems():
        raise Refused(key="errors.cases.settings_invalid", problems="; ".join(problems))
    stored = db.get(CaseSetting, LOOP_KEY) or CaseSetting(key=LOOP_KEY)
    stored.value = {
        "sla_hours": dict(settings_.sla_hours),
        "lookback_days": settings_.lookback_days,
        "fallback": str(settings_.fallback),
    }
    stored.updated_at, stored.updated_by_id = utcnow(), getattr(actor, "id", None)
    db.add(stored)
    db.flush()
    record(db, actor, "case_settings.save", "casesetting", LOOP_KEY, stored.value)


# ---------------------------------------------------------------- routes


@dataclass(frozen=True)
class RouteSpec:
    """Cases in these regions, touch points, tiers and root-cause categories (each empty = any)
    go to ``team``; the category is the complaint's (see survey.cases.rules)."""

    team: str
    regions: tuple[str, ...] = ()
    touch_points: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()

    def problems(self) -> list[str]:
        problems = []
        if not self.team.strip() or len(self.team) > 64:
            problems.append("a route needs a team (at most 64 characters)")
        if any(t not in TIERS for t in self.tiers):
            problems.append(f"tiers must be among {', '.join(TIERS)}")
        if any(t not in {tp.value for tp in TouchPoint} for t in self.touch_points):
            problems.append(f"touch points must be among {', '.join(tp.value for tp in TouchPoint)}")
        if any(c not in CATEGORIES for c in self.categories):
            problems.append(f"categories must be among {', '.join(CATEGORIES)}")
        return problems

    def matches(
        self, region: str | None, touch_point: str | None, tier: str | None, category: str | None = None
    ) -> bool:
        return all(
            not wanted or value in wanted
            for wanted, value in (
                (self.regions, region),
                (self.touch_points, touch_point),
                (self.tiers, tier),
                (self.categories, category),
            )
        )


def routes(db: Session) -> list[RouteSpec]:
    rows = db.execute(sa.select(CaseRoute).order_by(CaseRoute.position, CaseRoute.id)).scalars()
    return [
        RouteSpec(r.team, tuple(r.regions), tuple(r.touch_points), tuple(r.tiers), tuple(r.categories or ()))
        for r in rows
    ]


def save_routes(db: Session, specs: list[RouteSpec], *, actor=None) -> None:
    """Replace the routes (in this order: the first that matches a case names its team)."""
    problems = [f"route {i}: {p}" for i, spec in enumerate(specs, start=1) for p in spec.problems()]
    if problems:
        raise Refused(key="errors.cases.routes_invalid", problems="; ".join(problems))
    db.execute(sa.delete(CaseRoute))
    now = utcnow()
    db.add_all(
        CaseRoute(
            position=i,
            team=s.team.strip(),
            regions=list(s.regions),
            touch_points=list(s.touch_points),
            tiers=list(s.tiers),
            categories=list(s.categories),
            updated_at=now,
            updated_by_id=getattr(actor, "id", None),
        )
        for i, s in enumerate(specs, start=1)
    )
    db.flush()
    record(db, actor, "case_routes.save", "caseroute", None, {"routes": [asdict(s) for s in specs]})
