"""Statistics for service-quality surveys: significance, trend, impact and drivers.

Pure statistics on numbers, arrays and small pandas frames.  Submodules:

- :mod:`stats.compare`     two-group and many-group comparisons (means, shares, NPS, ratings)
- :mod:`stats.trend`       Mann-Kendall, OLS trend with HAC errors, control charts, change points
- :mod:`stats.impact`      interrupted time series, difference-in-differences, before/after
- :mod:`stats.drivers`     key-driver analysis (Shapley / LMG decomposition of R^2)
- :mod:`stats.moments`     moment blocks (n, sums, cross-products): composites, paired comparisons
- :mod:`stats.power`       sample sizes, minimum detectable effects, invitations needed
- :mod:`stats.reliability` Cronbach's alpha with the Feldt interval
- :mod:`stats.weighting`   raking and weighted estimates with Kish's effective n
- :mod:`stats.result`      :class:`TestResult`, :class:`Caveat` and number formatting
  (``fmt_num``, ``fmt_p``, ``fmt_conf``), all re-exported here

Every estimate comes back as a :class:`TestResult` (or a small container of them)
with an interval, a p-value where a test is made, the sample size, plain-language
``warnings`` about what it cannot claim, and ``summary(lang="en" | "zh-CN")``.
"""

from . import compare, drivers, impact, moments, power, reliability, result, trend, weighting
from .result import LANGS, Caveat, TestResult, caveat, caveat_text, fmt_conf, fmt_num, fmt_p, frame_records, plain

__all__ = [
    "TestResult",
    "Caveat",
    "caveat",
    "caveat_text",
    "fmt_num",
    "fmt_p",
    "fmt_conf",
    "plain",
    "frame_records",
    "LANGS",
    "result",
    "compare",
    "trend",
    "impact",
    "drivers",
    "moments",
    "power",
    "reliability",
    "weighting",
]
