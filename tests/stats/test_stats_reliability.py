"""stats.reliability against a textbook alpha, pingouin and R psych (via pingouin's docs)."""

import numpy as np
import pandas as pd
import pingouin as pg
import pytest

from stats import reliability

# Denis, D. J. (2016). Applied Univariate, Bivariate, and Multivariate Statistics (Wiley),
# SPSS RELIABILITY example with 10 respondents and 5 items: Cronbach's alpha = 0.633.
DENIS = np.array(
    [
        [10, 12, 15, 11, 12],
        [12, 18, 12, 12, 1],
        [8, 16, 14, 14, 4],
        [6, 8, 16, 8, 6],
        [4, 7, 8, 7, 5],
        [6, 6, 3, 7, 3],
        [3, 4, 6, 5, 8],
        [7, 3, 7, 9, 9],
        [8, 9, 4, 10, 10],
        [9, 5, 6, 11, 12],
    ],
    dtype=float,
)


def test_alpha_matches_the_published_spss_example():
    r = reliability.cronbach_alpha(DENIS)
    assert round(r.estimate, 3) == 0.633
    assert r.n == 10 and r.details["items"] == 5


def test_feldt_interval_matches_pingouin():
    r = reliability.cronbach_alpha(DENIS)
    alpha, ci = pg.cronbach_alpha(pd.DataFrame(DENIS))
    assert r.estimate == pytest.approx(alpha)
    assert (r.ci_low, r.ci_high) == pytest.approx(tuple(ci), abs=5e-4)  # pingouin rounds to 3 decimals


def test_alpha_matches_r_psych_on_pingouins_dataset():
    # pingouin's cronbach_alpha docstring: R psych::alpha(data, use="complete.obs") gives
    # alpha = 0.8017 on its "cronbach_wide_missing" dataset (9 complete rows of 12).  pingouin's
    # interval there keeps n = 12 from before the deletion, so only alpha is compared.
    data = pg.read_dataset("cronbach_wide_missing").dropna()
    r = reliability.cronbach_alpha(data)
    assert r.estimate == pytest.approx(0.8017, abs=5e-5)
    assert r.n == 9 and r.details["df1"] == 8


def test_reverse_scored_items_give_a_warning():
    rng = np.random.default_rng(60)
    trait = rng.normal(size=200)
    items = np.column_stack(
        [
            trait + rng.normal(size=200),
            trait + rng.normal(size=200),
            -trait + rng.normal(size=200),
            -trait + rng.normal(size=200),
        ]
    )
    r = reliability.cronbach_alpha(items)
    assert r.estimate < 0 and any("reverse-scored" in w for w in r.warnings)
    assert "α" in r.summary("zh-CN")


def test_missing_values_are_refused_with_the_item_named():
    df = pd.DataFrame(DENIS, columns=list("abcde"))
    df.loc[3, "c"] = np.nan
    with pytest.raises(ValueError, match=r"\['c'\]"):
        reliability.cronbach_alpha(df)
