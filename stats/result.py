"""Result object shared by every test, with plain-language summaries in en and zh-CN.

Public: :class:`TestResult` (what every test returns), :class:`Caveat` (a warning that also
knows its Chinese text), and the number formatting the summaries use (:func:`fmt_num`,
:func:`fmt_p`, :func:`fmt_conf`), so pages and reports print numbers the way the
summaries do.  All are re-exported by :mod:`stats`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "LANGS",
    "TestResult",
    "Caveat",
    "caveat",
    "caveat_text",
    "fmt_num",
    "fmt_p",
    "fmt_conf",
    "plain",
    "frame_records",
]

LANGS = ("en", "zh-CN")

# ---------------------------------------------------------------------------
# Caveats: what a result cannot claim.  Each has an English and a Chinese text;
# the English one is the string value, so warnings stay plain strings.
# ---------------------------------------------------------------------------
_CAVEATS: dict[str, tuple[str, str]] = {
    "small_sample_t": (
        "Only {n} responses in the smallest group: the t interval assumes the mean is roughly "
        "normal, which is shaky for skewed ratings at this size.",
        "最小一组只有 {n} 个回答：t 区间假定均值近似正态，评分分布偏斜时在这样的样本量下并不可靠。",
    ),
    "small_expected": (
        "Fewer than 5 expected successes or failures in a group: the z-test p-value is "
        "approximate (Fisher's exact test gives p = {fisher_p}).",
        "某组预期的成功或失败数少于 5：z 检验的 p 值只是近似（Fisher 精确检验 p = {fisher_p}）。",
    ),
    "no_variation_proportion": (
        "Every response in both groups is a {what}: there is no variation to test, so p = 1.",
        "两组的所有回答都是{what_zh}：没有可检验的差异，因此 p = 1。",
    ),
    "small_nps": (
        "Only {n} responses in the smallest group: the NPS interval relies on a normal "
        "approximation that is rough below about 30 responses.",
        "最小一组只有 {n} 个回答：NPS 区间依赖正态近似，回答少于约 30 个时较粗糙。",
    ),
    "separation": (
        "The two groups do not overlap at all: the interval for the rank-biserial correlation is not reliable.",
        "两组评分完全不重叠：秩二列相关的置信区间不可靠。",
    ),
    "multiple_comparisons": (
        "{k} pairwise comparisons: p-values are Holm-adjusted, but the intervals are not "
        "adjusted for multiple comparisons.",
        "共 {k} 组两两比较：p 值已做 Holm 校正，但置信区间未做多重比较校正。",
    ),
    "welch_undefined": (
        "Welch ANOVA is undefined because group {group} has no variation; only the Kruskal-Wallis test is reported.",
        "{group} 组内没有变异，Welch 方差分析无法计算，只报告 Kruskal-Wallis 检验。",
    ),
    "few_points_mk": (
        "Only {n} points: the Mann-Kendall p-value uses a normal approximation; with fewer "
        "than 10 points an exact table is more accurate.",
        "只有 {n} 个数据点：Mann-Kendall 的 p 值使用正态近似，少于 10 个点时精确表更准确。",
    ),
    "autocorrelation_mk": (
        "The series is autocorrelated (lag-1 r = {r}): the plain Mann-Kendall test overstates "
        "significance; use hamed_rao=True.",
        "序列存在自相关（滞后 1 阶 r = {r}）：普通 Mann-Kendall 检验会高估显著性，请使用 hamed_rao=True。",
    ),
    "hamed_rao_not_positive": (
        "The Hamed-Rao correction factor was not positive; the uncorrected variance is used.",
        "Hamed-Rao 校正因子不为正，改用未校正的方差。",
    ),
    "residual_autocorrelation": (
        "Residuals are autocorrelated (lag-1 r = {r}, Ljung-Box p = {p}): Newey-West errors "
        "allow for this but can still be too narrow in short series; errors='glsar' models it "
        "directly.",
        "残差存在自相关（滞后 1 阶 r = {r}，Ljung-Box p = {p}）：Newey-West 标准误虽已考虑，"
        "但在短序列中区间仍可能偏窄；errors='glsar' 可直接建模自相关。",
    ),
    "residual_autocorrelation_ols": (
        "Residuals are autocorrelated (lag-1 r = {r}, Ljung-Box p = {p}) and plain OLS errors "
        "ignore this: the intervals are too narrow.",
        "残差存在自相关（滞后 1 阶 r = {r}，Ljung-Box p = {p}），而普通 OLS 标准误忽略了这一点：区间偏窄。",
    ),
    "residual_autocorrelation_glsar": (
        "Residuals are still autocorrelated after the AR(1) correction (lag-1 r = {r}, Ljung-Box "
        "p = {p}): there may be seasonality or longer memory the model leaves out; intervals may be "
        "too narrow.",
        "AR(1) 校正后残差仍有自相关（滞后 1 阶 r = {r}，Ljung-Box p = {p}）：可能存在模型未包含的季节性"
        "或更长的记忆，区间可能偏窄。",
    ),
    "short_segment": (
        "Only {n_pre} points before and {n_post} after the change: segmented regression is "
        "fragile with fewer than 8 points on each side.",
        "变化前只有 {n_pre} 个点、变化后 {n_post} 个点：每侧少于 8 个点时分段回归不稳健。",
    ),
    "short_baseline": (
        "Only {n_before} points before and {n_after} after the event window: the baseline trend "
        "is fragile with fewer than 8 points on each side.",
        "事件窗口前只有 {n_before} 个点、窗口后 {n_after} 个点：每侧少于 8 个点时基线趋势不稳健。",
    ),
    "few_clusters": (
        "Only {g} clusters: cluster-robust errors are unreliable with fewer than about 30 "
        "clusters and meaningless with 2; treat the interval as a rough guide at best.",
        "只有 {g} 个聚类：聚类稳健标准误在少于约 30 个聚类时不可靠，只有 2 个时毫无意义；区间最多只能作粗略参考。",
    ),
    "few_treated_clusters": (
        "Only {g_t} treated and {g_c} comparison cluster(s): the effect cannot be told apart "
        "from anything else that differs between these particular clusters.",
        "处理组只有 {g_t} 个、对照组只有 {g_c} 个聚类：无法把效应与这些聚类之间的其他差异区分开。",
    ),
    "pretrend": (
        "Before the change the treated group's trend differed from the comparison group's "
        "by {slope} per period (p = {p}): parallel trends are doubtful and the estimate may be "
        "biased.",
        "变化前处理组与对照组的趋势每期相差 {slope}（p = {p}）：平行趋势假设存疑，估计可能有偏。",
    ),
    "pretrend_untestable": (
        "Only one period before the change: parallel trends cannot be checked.",
        "变化前只有一个时期：无法检验平行趋势假设。",
    ),
    "pretrend_low_power": (
        "A pre-period test that finds no difference does not prove parallel trends: with few "
        "periods it has little power.",
        "变化前检验未发现差异并不能证明平行趋势成立：时期较少时检验功效很低。",
    ),
    "before_after": (
        "A before/after comparison credits the service change with every difference between "
        "the two periods (season, customer mix, other changes); a comparison group "
        "(difference-in-differences) or a time series (interrupted time series) separates them.",
        "前后对比会把两个时期之间的所有差异（季节、客户构成、其他变化）都归因于服务变化；"
        "使用对照组（双重差分）或时间序列（中断时间序列）才能区分。",
    ),
    "drivers_association": (
        "Importance shares describe how much of the outcome's variance each driver accounts "
        "for in this data; they are not causal effects.",
        "重要性份额描述的是在这批数据中各驱动因素解释结果方差的比例，并不是因果效应。",
    ),
    "collinear_drivers": (
        "Drivers {a} and {b} are strongly correlated (r = {r}): their shares of R² are split "
        "between them and are less certain.",
        "驱动因素 {a} 与 {b} 高度相关（r = {r}）：二者分摊 R² 份额，估计更不确定。",
    ),
    "top_box_default": (
        "Top box taken as the highest observed level ({level}); pass top_levels= to set it.",
        "未指定最高分档，取观测到的最高等级（{level}）；可通过 top_levels= 指定。",
    ),
    "negative_alpha": (
        "Alpha is negative: some items may be reverse-scored or unrelated to the others.",
        "α 系数为负：部分题目可能是反向计分或与其他题目无关。",
    ),
    "small_sample": (
        "Only {n} observations: the interval is approximate.",
        "只有 {n} 个观测：区间只是近似。",
    ),
    "low_effective_n": (
        "After weighting the effective sample size is {n_eff} of {n} (design effect {deff}): "
        "weighted estimates are much less precise than the raw count suggests.",
        "加权后有效样本量为 {n_eff}（原始 {n}，设计效应 {deff}）：加权估计的精度远低于原始样本量所显示的。",
    ),
    "dropped_rows": (
        "{k} rows with missing values were dropped.",
        "已删除 {k} 行含缺失值的数据。",
    ),
    "not_significant_is_not_no_effect": (
        "p = {p}: the data are compatible with no difference, but also with differences as large "
        "as the interval shows; this is not evidence of no effect.",
        "p = {p}：数据与无差异相容，但也与区间所示大小的差异相容；这并不是“没有效应”的证据。",
    ),
    "few_blocks": (
        "The bootstrap resampled only {b} blocks of responses: interval ends are rough.",
        "自助法只重抽样了 {b} 个回答组块：区间端点较粗糙。",
    ),
    "composite_renormalised": (
        "No responses for {absent} in this selection: the composite is re-weighted over the "
        "other dimensions and is not comparable with a composite that includes them.",
        "所选范围内没有 {absent} 的回答：综合指数按其余维度重新加权，不能与包含这些维度的综合指数直接比较。",
    ),
    "few_bootstrap": (
        "Only {b} bootstrap resamples: interval ends are rough.",
        "只有 {b} 次自助重抽样：区间端点较粗糙。",
    ),
}


class Caveat(str):
    """A warning that reads as its English text and also knows its Chinese text.

    A ``Caveat`` is a ``str`` (its English text), so ``warnings`` stay plain strings for
    callers that only print them; ``text(lang)`` gives either language.

    Parameters
    ----------
    code : str
        Which caveat (a key of the caveat catalogue in this module, e.g. ``"small_sample"``).
    **params
        The numbers the text names; floats are rounded for reading with :func:`fmt_num`.

    Examples
    --------
    >>> from stats import Caveat
    >>> warning = Caveat("small_sample", n=12)
    >>> print(warning)
    Only 12 observations: the interval is approximate.
    >>> print(warning.text("zh-CN"))
    只有 12 个观测：区间只是近似。
    >>> warning.code
    'small_sample'
    """

    code: str
    params: dict[str, Any]

    def __new__(cls, code: str, **params: Any) -> Caveat:
        en, _ = _CAVEATS[code]
        shown = {k: _fmt_param(v) for k, v in params.items()}
        obj = super().__new__(cls, en.format(**shown))
        obj.code = code
        obj.params = shown
        return obj

    def __reduce__(self):  # pickle (e.g. Streamlit caching) rebuilds from code and parameters
        return (_rebuild_caveat, (self.code, self.params))

    def text(self, lang: str = "en") -> str:
        """The caveat in ``lang`` ("en" or "zh-CN")."""
        _check_lang(lang)
        if lang == "en":
            return str(self)
        return _CAVEATS[self.code][1].format(**self.params)


def _rebuild_caveat(code: str, params: dict[str, Any]) -> Caveat:
    return Caveat(code, **params)


def caveat(code: str, **params: Any) -> Caveat:
    """Make a :class:`Caveat` (the spelling the test functions use).

    Parameters
    ----------
    code : str
        Which caveat, e.g. ``"small_sample"``.
    **params
        The numbers its text names.

    Returns
    -------
    Caveat

    Examples
    --------
    >>> from stats import caveat
    >>> print(caveat("dropped_rows", k=3))
    3 rows with missing values were dropped.
    """
    return Caveat(code, **params)


def caveat_text(warning: str, lang: str) -> str:
    """A warning in ``lang``: a :class:`Caveat` in that language, any other string as it is.

    Parameters
    ----------
    warning : str
        One entry of a result's ``warnings``.
    lang : {"en", "zh-CN"}

    Returns
    -------
    str

    Examples
    --------
    >>> from stats import caveat, caveat_text
    >>> caveat_text(caveat("small_sample", n=12), "zh-CN")
    '只有 12 个观测：区间只是近似。'
    >>> caveat_text("a note of the caller's own", "zh-CN")
    "a note of the caller's own"
    """
    return warning.text(lang) if isinstance(warning, Caveat) else str(warning)


def _fmt_param(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        return fmt_num(float(value))
    return str(value)


def _check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS} (got {lang!r})")


# ---------------------------------------------------------------------------
# Number formatting
# ---------------------------------------------------------------------------
def fmt_num(x: float, decimals: int = 2) -> str:
    """Round a number for reading: fixed decimals, but 3 significant digits for small values.

    Summaries, pages and reports use it so that one number reads the same everywhere.

    Parameters
    ----------
    x : float
    decimals : int, default 2
        Decimal places for ordinary values; a value below 10^(1 - decimals) in size keeps
        3 significant digits instead of rounding to 0.

    Returns
    -------
    str

    Examples
    --------
    >>> from stats import fmt_num
    >>> fmt_num(4.16666)
    '4.17'
    >>> fmt_num(12.5, 1)
    '12.5'
    >>> fmt_num(0.000123)
    '0.000123'
    >>> fmt_num(float("nan"))
    'nan'
    """
    if x == 0 or not math.isfinite(x):
        return f"{x:.{decimals}f}" if math.isfinite(x) else str(x)
    if abs(x) < 10 ** (1 - decimals):
        return f"{x:.3g}"
    return f"{x:.{decimals}f}"


def fmt_p(p: float) -> str:
    """A p-value as written in a summary: "p = 0.031", or "p < 0.001" below a thousandth.

    Parameters
    ----------
    p : float

    Returns
    -------
    str

    Examples
    --------
    >>> from stats import fmt_p
    >>> fmt_p(0.0312)
    'p = 0.031'
    >>> fmt_p(0.0004)
    'p < 0.001'
    """
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def fmt_conf(level: float) -> str:
    """A confidence level as a percentage: 0.95 -> "95%".

    Parameters
    ----------
    level : float

    Returns
    -------
    str

    Examples
    --------
    >>> from stats import fmt_conf
    >>> fmt_conf(0.95), fmt_conf(0.9)
    ('95%', '90%')
    """
    return f"{100 * level:g}%"


# ---------------------------------------------------------------------------
# What each kind of estimate says, in both languages.  Differences read
# "higher/lower in A than in B"; single values read "X is v".
# ---------------------------------------------------------------------------
# quantity -> (scale, decimals, en subject, zh subject, en unit, zh unit)
_DIFFERENCES: dict[str, tuple[float, int, str, str, str, str]] = {
    "mean_difference": (1.0, 2, "The mean is", "均值", "", ""),
    "proportion_difference": (100.0, 1, "The share is", "比例", " percentage points", " 个百分点"),
    "nps_difference": (1.0, 1, "NPS is", "NPS", " points", " 分"),
}
# quantity -> (scale, decimals, en template, zh template); {v} is the estimate
_SINGLES: dict[str, tuple[float, int, str, str]] = {
    "mean": (1.0, 2, "The mean is {v}", "均值为 {v}"),
    "proportion": (100.0, 1, "The share is {v}%", "比例为 {v}%"),
    "nps": (1.0, 1, "NPS is {v}", "NPS 为 {v}"),
    "rank_biserial": (
        1.0,
        2,
        "Ratings tend to be {word} {a_side} than {b_side}: rank-biserial correlation {v}",
        "{a_zh}评分总体{word_zh}于{b_zh}：秩二列相关 {v}",
    ),
    "slope": (1.0, 3, "The trend is {v} per {unit}", "趋势为每{unit_zh} {v}"),
    "level_change": (1.0, 2, "At the change the level moved by {v}", "变化发生时水平变动 {v}"),
    "slope_change": (
        1.0,
        3,
        "After the change the trend moved by {v} per {unit}",
        "变化后趋势每{unit_zh}变动 {v}",
    ),
    "post_effect": (
        1.0,
        2,
        "Averaged over the period after the change, the effect is {v}",
        "变化后整个时期的平均效应为 {v}",
    ),
    "did": (1.0, 2, "The difference-in-differences effect is {v}", "双重差分效应为 {v}"),
    "window_effect": (1.0, 2, "While the event lasted the level moved by {v}", "事件期间水平变动 {v}"),
    "pretrend_slope": (
        1.0,
        3,
        "Before the change the treated group's trend differed by {v} per period",
        "变化前处理组趋势每期相差 {v}",
    ),
    "alpha": (1.0, 2, "Cronbach's alpha is {v}", "Cronbach's α 系数为 {v}"),
    "epsilon_squared": (1.0, 3, "Across groups, epsilon-squared is {v}", "组间 ε² 为 {v}"),
    "eta_squared": (1.0, 3, "Across groups, eta-squared is {v}", "组间 η² 为 {v}"),
}

_UNITS_ZH = {"period": "期", "day": "天", "week": "周", "month": "月", "quarter": "季度", "year": "年"}

_METHODS_ZH = {
    "Welch t-test": "Welch t 检验",
    "t interval": "t 区间",
    "two-proportion z-test with Newcombe interval": "两比例 z 检验（Newcombe 区间）",
    "Wilson score interval": "Wilson 得分区间",
    "z-test for the difference of independent estimates": "独立估计值之差的 z 检验",
    "NPS z-test (trinomial variance)": "NPS z 检验（三项分布方差）",
    "NPS normal interval (trinomial variance)": "NPS 正态区间（三项分布方差）",
    "Mann-Whitney U test": "Mann-Whitney U 检验",
    "Kruskal-Wallis H test": "Kruskal-Wallis H 检验",
    "Welch ANOVA": "Welch 方差分析",
    "Mann-Kendall test with Sen's slope": "Mann-Kendall 检验与 Sen 斜率",
    "Mann-Kendall test (Hamed-Rao correction) with Sen's slope": "Mann-Kendall 检验（Hamed-Rao 校正）与 Sen 斜率",
    "OLS trend with Newey-West errors": "OLS 趋势（Newey-West 标准误）",
    "segmented regression, Newey-West errors": "分段回归（Newey-West 标准误）",
    "segmented regression, GLSAR AR(1) errors": "分段回归（GLSAR AR(1) 误差）",
    "segmented regression, OLS errors": "分段回归（OLS 标准误）",
    "segmented regression, GLSAR AR(1) errors, weighted": "加权分段回归（GLSAR AR(1) 误差）",
    "segmented regression, Newey-West errors, weighted": "加权分段回归（Newey-West 标准误）",
    "segmented regression, OLS errors, weighted": "加权分段回归（OLS 标准误）",
    "temporary-change regression, GLSAR AR(1) errors": "临时变化回归（GLSAR AR(1) 误差）",
    "temporary-change regression, Newey-West errors": "临时变化回归（Newey-West 标准误）",
    "temporary-change regression, OLS errors": "临时变化回归（OLS 标准误）",
    "temporary-change regression, GLSAR AR(1) errors, weighted": "加权临时变化回归（GLSAR AR(1) 误差）",
    "temporary-change regression, Newey-West errors, weighted": "加权临时变化回归（Newey-West 标准误）",
    "temporary-change regression, OLS errors, weighted": "加权临时变化回归（OLS 标准误）",
    "difference-in-differences OLS, cluster-robust errors": "双重差分 OLS（聚类稳健标准误）",
    "difference-in-differences OLS, HC1 robust errors": "双重差分 OLS（HC1 稳健标准误）",
    "pre-period trend difference, cluster-robust errors": "变化前趋势差异（聚类稳健标准误）",
    "pre-period trend difference, HC1 robust errors": "变化前趋势差异（HC1 稳健标准误）",
    "Cronbach's alpha with Feldt interval": "Cronbach's α 系数（Feldt 区间）",
    "weighted mean, Kish effective n": "加权均值（Kish 有效样本量）",
    "weighted composite of means, linearised variance": "均值加权综合（线性化方差）",
    "weighted share, Wilson interval with Kish effective n": "加权比例（Kish 有效样本量的 Wilson 区间）",
}

_KNOWN_LABELS = {
    # label -> (en phrase after "higher", zh noun)
    "after": ("after the change", "变化后"),
    "before": ("before", "变化前"),
    "current": ("in this period", "本期"),
    "previous": ("in the previous period", "上期"),
    "last_year": ("a year earlier", "去年同期"),
}


def _en_side(label: str) -> str:
    if label in _KNOWN_LABELS:
        return _KNOWN_LABELS[label][0]
    return f"in {label}"


def _zh_group(label: str) -> str:
    if label in _KNOWN_LABELS:
        return _KNOWN_LABELS[label][1]
    return f"{label} 组"


_CJK = "\u4e00-\u9fff"
_PANGU_BEFORE = re.compile(f"([{_CJK}])([A-Za-z0-9α])")
_PANGU_AFTER = re.compile(f"([A-Za-z0-9%α'²])([{_CJK}])")


def _pangu(text: str) -> str:
    """Put a space between Chinese characters and Latin letters or digits, as is usual."""
    return _PANGU_AFTER.sub(r"\1 \2", _PANGU_BEFORE.sub(r"\1 \2", text))


def _fmt_n(n: int | tuple[int, ...], lang: str) -> str:
    if isinstance(n, tuple):
        if len(n) == 2:
            sep = " vs " if lang == "en" else " 对 "
            body = sep.join(str(k) for k in n)
        else:
            body = (", " if lang == "en" else "、").join(str(k) for k in n)
    else:
        body = str(n)
    return f"n = {body}" if lang == "en" else f"样本量 {body}"


def plain(value: Any) -> Any:
    """Convert numpy scalars and arrays, tuples, mappings and dates to JSON-friendly Python
    values; a missing number becomes None, never NaN.

    Parameters
    ----------
    value : object

    Returns
    -------
    object
        ``float``, ``int``, ``bool``, ``list``, ``dict`` (string keys), an ISO date string,
        or ``value`` itself when it is already plain.

    Examples
    --------
    >>> import datetime
    >>> import numpy as np
    >>> from stats import plain
    >>> plain({"n": np.int64(3), "mean": np.float64(4.5), "missing": float("nan"),
    ...        "day": datetime.date(2026, 3, 1), "levels": np.array([1, 2])})
    {'n': 3, 'mean': 4.5, 'missing': None, 'day': '2026-03-01', 'levels': [1, 2]}
    """
    if isinstance(value, (np.floating, float)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.ndarray):
        return [plain(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if hasattr(value, "isoformat"):  # datetime, date, pandas Timestamp
        return value.isoformat()
    return value


@dataclass(frozen=True)
class TestResult:
    """An estimate with its interval, test and caveats: what every test in :mod:`stats` returns.

    Attributes
    ----------
    estimate : float
        The quantity estimated (a difference is always first group minus second).
    ci_low, ci_high : float or None
        Confidence interval at level ``confidence``; None when no interval is defined
        (e.g. an omnibus test across many groups).
    p_value, statistic : float or None
        Two-sided p-value and test statistic; None when no test is made.
    method : str
        Readable name of the method.
    n : int or tuple of int
        Sample size, or one per group.
    effect_size : float or None
        Standardised effect (Cohen's d, Cohen's h, rank-biserial r, Kendall's tau, ...).
    confidence : float
        Confidence level of the interval.
    warnings : tuple of str
        Plain-language statements of what this result cannot claim (:class:`Caveat`).
    quantity : str
        What ``estimate`` measures; drives the wording of ``summary``.
    labels : tuple of str
        Group names for differences.
    unit : str
        Time unit of a slope ("week", "month", ...).
    details : dict
        Method-specific extra numbers (degrees of freedom, S, Var(S), ...).

    Results pickle cleanly (for caching) and ``to_dict`` gives JSON-ready values.

    Examples
    --------
    >>> from stats import TestResult
    >>> result = TestResult(estimate=0.31, ci_low=0.12, ci_high=0.50, p_value=0.002, statistic=3.1,
    ...                     method="Welch t-test", n=(120, 95), quantity="mean_difference",
    ...                     labels=("Hangzhou", "Ningbo"))
    >>> print(result.summary())
    The mean is 0.31 higher in Hangzhou than in Ningbo (95% CI 0.12 to 0.50; Welch t-test, p = 0.002; n = 120 vs 95).
    >>> print(result.summary("zh-CN"))
    Hangzhou 组均值比 Ningbo 组高 0.31（95% 置信区间 0.12 至 0.50；Welch t 检验，p = 0.002；样本量 120 对 95）。
    >>> result.to_dict()["n"]
    [120, 95]
    """

    __test__ = False  # not a pytest test class, despite the name

    estimate: float
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    statistic: float | None
    method: str
    n: int | tuple[int, ...]
    effect_size: float | None = None
    confidence: float = 0.95
    warnings: tuple[str, ...] = ()
    quantity: str = "mean"
    labels: tuple[str, ...] = ("A", "B")
    unit: str = "period"
    details: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("estimate", "ci_low", "ci_high", "p_value", "statistic", "effect_size"):
            value = getattr(self, name)
            if value is None:
                continue
            value = float(value)
            if math.isnan(value):
                raise ValueError(f"{self.method}: {name} came out as NaN; the input cannot support it")
            object.__setattr__(self, name, value)
        if self.p_value is not None:
            object.__setattr__(self, "p_value", min(1.0, max(0.0, self.p_value)))
        n = self.n
        object.__setattr__(self, "n", tuple(int(k) for k in n) if isinstance(n, (tuple, list)) else int(n))
        object.__setattr__(self, "warnings", tuple(self.warnings))
        object.__setattr__(self, "labels", tuple(self.labels))
        object.__setattr__(self, "details", dict(self.details))

    # -- text -------------------------------------------------------------
    def summary(self, lang: str = "en") -> str:
        """One plain sentence with estimate, interval, p and n (``lang`` "en" or "zh-CN")."""
        _check_lang(lang)
        if self.quantity in _DIFFERENCES:
            lead, scale, decimals = self._difference_lead(lang)
        else:
            lead, scale, decimals = self._single_lead(lang)
        parts = []
        if self.ci_low is not None and self.ci_high is not None:
            low, high = self.ci_low * scale, self.ci_high * scale
            if self.quantity in _DIFFERENCES and self.estimate < 0:
                # "0.31 lower (CI 0.12 to 0.50)": state the interval of the amount lower
                low, high = -high, -low
            conf = fmt_conf(self.confidence)
            lo_s, hi_s = fmt_num(low, decimals), fmt_num(high, decimals)
            parts.append(f"{conf} CI {lo_s} to {hi_s}" if lang == "en" else f"{conf} 置信区间 {lo_s} 至 {hi_s}")
        method = self.method if lang == "en" else _METHODS_ZH.get(self.method, self.method)
        if self.p_value is not None:
            sep = ", " if lang == "en" else "，"
            parts.append(f"{method}{sep}{fmt_p(self.p_value)}")
        else:
            parts.append(method)
        parts.append(_fmt_n(self.n, lang))
        if lang == "en":
            return f"{lead} ({'; '.join(parts)})."
        return f"{lead}（{'；'.join(parts)}）。"

    def _difference_lead(self, lang: str) -> tuple[str, float, int]:
        scale, decimals, subj_en, subj_zh, unit_en, unit_zh = _DIFFERENCES[self.quantity]
        a, b = (self.labels + ("A", "B"))[:2]
        size = fmt_num(abs(self.estimate) * scale, decimals)
        higher = self.estimate >= 0
        if lang == "en":
            word = "higher" if higher else "lower"
            lead = f"{subj_en} {size}{unit_en} {word} {_en_side(a)} than {_en_side(b)}"
        else:
            word = "高" if higher else "低"
            lead = _pangu(f"{_zh_group(a)}{subj_zh}比{_zh_group(b)}{word} {size}{unit_zh}")
        return lead, scale, decimals

    def _single_lead(self, lang: str) -> tuple[str, float, int]:
        scale, decimals, en, zh = _SINGLES.get(self.quantity, (1.0, 2, "The estimate is {v}", "估计值为 {v}"))
        a, b = (self.labels + ("A", "B"))[:2]
        value = fmt_num(self.estimate * scale, decimals)
        template = en if lang == "en" else zh
        lead = template.format(
            v=value,
            word="higher" if self.estimate >= 0 else "lower",
            word_zh="高" if self.estimate >= 0 else "低",
            a_side=_en_side(a),
            b_side=_en_side(b),
            a_zh=_zh_group(a),
            b_zh=_zh_group(b),
            unit=self.unit,
            unit_zh=_UNITS_ZH.get(self.unit, self.unit),
        )
        return (lead if lang == "en" else _pangu(lead)), scale, decimals

    def caveats(self, lang: str = "en") -> list[str]:
        """The warnings in the requested language."""
        _check_lang(lang)
        return [caveat_text(w, lang) for w in self.warnings]

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        """Plain-Python dictionary (JSON-serialisable), with summary and warnings in ``lang``."""
        return {
            "estimate": self.estimate,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "p_value": self.p_value,
            "statistic": self.statistic,
            "method": self.method,
            "n": list(self.n) if isinstance(self.n, tuple) else self.n,
            "effect_size": self.effect_size,
            "confidence": self.confidence,
            "quantity": self.quantity,
            "labels": list(self.labels),
            "unit": self.unit,
            "warnings": self.caveats(lang),
            "summary": self.summary(lang),
            "details": plain(dict(self.details)),
        }


def frame_records(frame: Any) -> list[dict[str, Any]]:
    """A DataFrame as a list of plain dicts, one per row (``to_dict`` of container results).

    Parameters
    ----------
    frame : pandas.DataFrame or None

    Returns
    -------
    list of dict
        Values made JSON-friendly by :func:`plain`; an empty list for None.

    Examples
    --------
    >>> import pandas as pd
    >>> from stats import frame_records
    >>> frame_records(pd.DataFrame({"group": ["a", "b"], "mean": [4.5, float("nan")]}))
    [{'group': 'a', 'mean': 4.5}, {'group': 'b', 'mean': None}]
    """
    if frame is None:
        return []
    return [plain(row) for row in frame.to_dict(orient="records")]
