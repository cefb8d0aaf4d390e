"""How the demo draws answers whose true means are known exactly.

Each scale has a "low" and a "high" answer distribution. An answer with target mean ``m`` is
drawn from their mixture with weight ``w = (m - mean_low) / (mean_high - mean_low)``; the
mixture's mean is exactly ``m`` and its top-2-box share is linear in ``m`` too. So an effect
injected as "+0.40 on the mean" is +0.40 on the expected mean, with a known top-2-box effect,
whatever the rest of the model does.

Answers of one response are correlated through a Gaussian copula (a general factor plus
dimension factors; overall depends on the dimensions with known weights), which leaves each
question's marginal distribution, and so its true mean, untouched.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr


@dataclass(frozen=True)
class ScaleModel:
    low: int
    p_low: np.ndarray
    p_high: np.ndarray

    @property
    def levels(self) -> np.ndarray:
        return np.arange(self.low, self.low + len(self.p_low))

    @property
    def mean_low(self) -> float:
        return float(self.levels @ self.p_low)

    @property
    def mean_high(self) -> float:
        return float(self.levels @ self.p_high)

    def weight(self, target_mean: np.ndarray) -> np.ndarray:
        return (np.asarray(target_mean, float) - self.mean_low) / (self.mean_high - self.mean_low)

    def draw(self, target_mean: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Inverse-CDF draw: the answer is the first level whose mixture CDF reaches u."""
        w = np.clip(self.weight(target_mean), 0.0, 1.0)
        cdf_low, cdf_high = np.cumsum(self.p_low), np.cumsum(self.p_high)
        answer = np.full(len(u), self.low, dtype=np.int64)
        for k in range(len(self.p_low) - 1):
            answer += u > (1 - w) * cdf_low[k] + w * cdf_high[k]
        return answer

    def top2_per_point(self) -> float:
        """Change in the top-2-box share per point of mean (exact for this mixture)."""
        top_low, top_high = self.p_low[-2:].sum(), self.p_high[-2:].sum()
        return float((top_high - top_low) / (self.mean_high - self.mean_low))


def _p(*values: float) -> np.ndarray:
    array = np.array(values, float)
    return array / array.sum()


SCALES: dict[tuple[int, int], ScaleModel] = {
    (1, 5): ScaleModel(1, _p(0.35, 0.30, 0.20, 0.10, 0.05), _p(0.0, 0.005, 0.015, 0.08, 0.90)),
    (0, 10): ScaleModel(0, _p(8, 5, 7, 8, 10, 15, 15, 12, 10, 6, 4), _p(0, 0, 0, 0, 0, 1, 1, 3, 8, 27, 60)),
    (1, 7): ScaleModel(1, _p(35, 30, 15, 10, 5, 3, 2), _p(2, 5, 10, 18, 25, 20, 20)),
    (0, 1): ScaleModel(0, _p(1, 0), _p(0, 1)),
}

# Copula structure: a general factor loads every dimension; overall is driven by the
# dimensions with these true weights (the key-driver analysis should rank them this way).
GENERAL_LOADING = 0.55
DRIVER_WEIGHTS = {
    "network_quality": 0.30,
    "fault_repair": 0.22,
    "billing": 0.15,
    "business_handling": 0.15,
    "staff_attitude": 0.10,
}


def latent_scores(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Standard-normal latent scores per response for every dimension and derived question."""
    a = GENERAL_LOADING
    general = rng.standard_normal(n)
    scores = {d: a * general + np.sqrt(1 - a * a) * rng.standard_normal(n) for d in DRIVER_WEIGHTS}
    beta = np.array(list(DRIVER_WEIGHTS.values()))
    correlation = np.full((len(beta), len(beta)), a * a) + np.eye(len(beta)) * (1 - a * a)
    explained = float(beta @ correlation @ beta)
    overall = sum(w * scores[d] for d, w in DRIVER_WEIGHTS.items())
    scores["overall"] = overall + np.sqrt(1 - explained) * rng.standard_normal(n)
    scores["nps"] = 0.8 * scores["overall"] + 0.6 * rng.standard_normal(n)
    scores["resolved"] = 0.75 * scores["overall"] + np.sqrt(1 - 0.75**2) * rng.standard_normal(n)
    scores["handling_speed"] = 0.8 * scores["business_handling"] + 0.6 * rng.standard_normal(n)
    # CES: 1 = very easy, so effort runs against business-handling satisfaction.
    scores["ces"] = -(0.7 * scores["business_handling"] + np.sqrt(1 - 0.49) * rng.standard_normal(n))
    return scores


def uniform(score: np.ndarray) -> np.ndarray:
    return ndtr(score)
