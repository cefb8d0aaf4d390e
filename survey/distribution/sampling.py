"""Who of the audience gets an invitation: everyone, a simple random sample, or a stratified one.

Stratified samples allocate either in proportion to each stratum's size (largest-remainder
rounding, so the total is exact) or a fixed number per stratum. Quotas (completes wanted per
stratum) travel with the plan; ``survey.jobs`` withdraws a stratum's unsent invitations once
its quota is met. Draws use a recorded seed, so a campaign's sample can be reproduced.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from survey.core.errors import Refused
from survey.distribution.audience import Candidate

STRATUM_KEYS = ("tier", "region", "segment")
METHODS = ("everyone", "random", "stratified")
ALLOCATIONS = ("proportional", "fixed")


@dataclass(frozen=True)
class SamplingPlan:
    method: str = "everyone"
    n: int | None = None  # random: sample size; stratified proportional: total
    strata: tuple[str, ...] = ()  # e.g. ("tier", "region")
    allocation: str = "proportional"
    per_stratum: int | None = None  # fixed allocation
    quotas: dict[str, int] = field(default_factory=dict)  # stratum -> completes wanted
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise Refused(key="errors.distribution.unknown_method", method=self.method, choices=", ".join(METHODS))
        if unknown := [k for k in self.strata if k not in STRATUM_KEYS]:
            raise Refused(
                key="errors.distribution.unknown_strata", unknown=", ".join(unknown), choices=", ".join(STRATUM_KEYS)
            )
        if self.method == "random" and not (self.n and self.n > 0):
            raise Refused(key="errors.distribution.random_needs_n")
        if self.method == "stratified":
            if not self.strata:
                raise Refused(key="errors.distribution.stratified_needs_strata")
            if self.allocation not in ALLOCATIONS:
                raise Refused(key="errors.distribution.allocation_choice", choices=" or ".join(ALLOCATIONS))
            if self.allocation == "fixed" and not (self.per_stratum and self.per_stratum > 0):
                raise Refused(key="errors.distribution.fixed_needs_number")
        if any(int(v) < 1 for v in self.quotas.values()):
            raise Refused(key="errors.distribution.quota_minimum")

    def with_seed(self) -> SamplingPlan:
        if self.seed is not None:
            return self
        return SamplingPlan(
            self.method, self.n, self.strata, self.allocation, self.per_stratum, dict(self.quotas), secrets.randbits(32)
        )

    def record(self) -> dict:
        return {
            "method": self.method,
            "n": self.n,
            "strata": list(self.strata),
            "allocation": self.allocation,
            "per_stratum": self.per_stratum,
            "quotas": dict(self.quotas),
            "seed": self.seed,
        }


def stratum_of(candidate: Candidate, keys: Sequence[str]) -> str | None:
    return "|".join(str(getattr(candidate, key)) for key in keys) if keys else None


def proportional_allocation(sizes: dict[str, int], total: int) -> dict[str, int]:
    """Split `total` over strata in proportion to their sizes (largest remainder, capped at size)."""
    population = sum(sizes.values())
    if total >= population:
        return dict(sizes)
    exact = {key: total * size / population for key, size in sizes.items()}
    allocated = {key: int(value) for key, value in exact.items()}
    leftover = total - sum(allocated.values())
    # Largest remainders first; on a tie the smaller stratum wins, so small strata are not starved.
    for key in sorted(exact, key=lambda k: (exact[k] - allocated[k], -sizes[k]), reverse=True)[:leftover]:
        allocated[key] += 1
    return allocated


def draw(candidates: Sequence[Candidate], plan: SamplingPlan) -> list[tuple[Candidate, str | None]]:
    """The sampled candidates with their stratum label, in the audience's order."""
    rng = np.random.default_rng(plan.seed)
    labelled = [(c, stratum_of(c, plan.strata)) for c in candidates]
    if plan.method == "everyone":
        return labelled
    if plan.method == "random":
        chosen = rng.choice(len(labelled), size=min(plan.n, len(labelled)), replace=False)
        return [labelled[i] for i in sorted(chosen.tolist())]
    by_stratum: dict[str, list[int]] = defaultdict(list)
    for index, (_, stratum) in enumerate(labelled):
        by_stratum[stratum].append(index)
    sizes = {key: len(members) for key, members in by_stratum.items()}
    if plan.allocation == "fixed":
        wanted = {key: min(plan.per_stratum, size) for key, size in sizes.items()}
    elif plan.n:
        wanted = proportional_allocation(sizes, plan.n)
    else:
        wanted = sizes  # stratified without a size: everyone, labelled by stratum
    chosen: list[int] = []
    for key in sorted(by_stratum):
        members = by_stratum[key]
        chosen += rng.choice(members, size=wanted[key], replace=False).tolist()
    return [labelled[i] for i in sorted(chosen)]


def parse_quotas(text: str) -> dict[str, int]:
    """ "gold=50, standard|Hangzhou=20" -> {"gold": 50, "standard|Hangzhou": 20}."""
    quotas = {}
    for item in filter(None, (part.strip() for part in text.replace("，", ",").split(","))):
        stratum, _, number = item.rpartition("=")
        if not stratum.strip() or not number.strip().isdigit():
            raise Refused(key="errors.distribution.quota_format", item=item)
        quotas[stratum.strip()] = int(number)
    return quotas
