"""Times and dates as people read them: in SURVEY_TIMEZONE, in their language, never "+00:00".

Times are stored in UTC; everything shown to a person goes through here. Babel supplies the
month and weekday names and the order of the parts for each language (CLDR data), so the
Chinese UI reads "2026年12月3日 17:05" and the English one "3 Dec 2026, 17:05".
"""

from __future__ import annotations

import re
from datetime import date, datetime

from babel import Locale
from babel.dates import format_date, format_datetime, get_day_names, get_month_names, get_period_names
from babel.numbers import get_currency_symbol, get_territory_currencies

from survey.core.config import settings
from survey.core.i18n import normalise_language

_BABEL_LOCALE = {"zh-CN": "zh_CN", "en": "en_GB"}  # en_GB: day before month, 24-hour clock
_DATETIME_PATTERN = {"zh-CN": "y年M月d日 HH:mm", "en": "d MMM y, HH:mm"}
_DATE_PATTERN = {"zh-CN": "y年M月d日", "en": "d MMM y"}


def babel_locale(lang: str) -> str:
    return _BABEL_LOCALE[normalise_language(lang)]


def local_datetime_text(moment: datetime | None, lang: str, *, never: str = "") -> str:
    """A stored (UTC) time as local wall-clock time in the user's language; ``never`` when missing."""
    if moment is None:
        return never
    code = normalise_language(lang)
    return format_datetime(moment, _DATETIME_PATTERN[code], tzinfo=settings().timezone, locale=_BABEL_LOCALE[code])


def date_text(day: date | None, lang: str) -> str:
    if day is None:
        return ""
    code = normalise_language(lang)
    return format_date(day, _DATE_PATTERN[code], locale=_BABEL_LOCALE[code])


def long_date_text(day: date, lang: str) -> str:
    """A day written out in a sentence: "5 March 2026", "2026年3月5日"."""
    return format_date(day, "long", locale=babel_locale(lang))


def local_date_text(moment: datetime | None, lang: str) -> str:
    """The local calendar day of a stored (UTC) time, in the user's language."""
    if moment is None:
        return ""
    return format_datetime(
        moment, _DATE_PATTERN[normalise_language(lang)], tzinfo=settings().timezone, locale=babel_locale(lang)
    )


# ---------------------------------------------------------------- charts (d3 / Vega locales)
#
# Vega-Lite formats axis labels and tooltips with d3, which knows English only unless it is
# given a locale. These build d3's locale definitions from the same CLDR data (through Babel)
# that the tables and sentences use, so a chart reads "3月", "周三" beside a table reading
# "2026年3月4日".

# CLDR pattern fields and their d3 (strftime-like) directives; "-" asks d3 for no padding.
_D3_DIRECTIVES = {
    "y": "%Y",
    "yyyy": "%Y",
    "yy": "%y",
    "M": "%-m",
    "MM": "%m",
    "MMM": "%b",
    "MMMM": "%B",
    "L": "%-m",
    "LL": "%m",
    "LLL": "%b",
    "LLLL": "%B",
    "d": "%-d",
    "dd": "%d",
    "E": "%a",
    "EE": "%a",
    "EEE": "%a",
    "EEEE": "%A",
    "c": "%a",
    "ccc": "%a",
    "cccc": "%A",
    "H": "%-H",
    "HH": "%H",
    "h": "%-I",
    "hh": "%I",
    "m": "%-M",
    "mm": "%M",
    "s": "%-S",
    "ss": "%S",
    "a": "%p",
}
_CLDR_PARTS = re.compile(r"'(?:[^']|'')*'|([A-Za-z])\1*|[^A-Za-z']+")

# Vega's time multi-format (one format per tick granularity) as CLDR skeletons: the locale
# decides the order and the words ("3月" / "Mar", "3月4日" / "4 Mar").
_AXIS_SKELETONS = {
    "year": "y",
    "quarter": "MMM",
    "month": "MMM",
    "week": "MMMd",
    "date": "MMMd",
    "hours": "Hm",
    "minutes": "Hm",
    "seconds": "Hms",
    "milliseconds": "Hms",
}


def d3_pattern(cldr_pattern: str) -> str:
    """A CLDR date pattern ("y年M月d日", "d MMM y") as a d3 time format ("%Y年%-m月%-d日")."""
    parts = []
    for match in _CLDR_PARTS.finditer(cldr_pattern):
        token = match.group(0)
        if token.startswith("'"):
            parts.append(token[1:-1].replace("''", "'").replace("%", "%%") or "'")
        elif match.group(1):
            if token not in _D3_DIRECTIVES:
                raise ValueError(f"CLDR field {token!r} in {cldr_pattern!r} has no d3 equivalent")
            parts.append(_D3_DIRECTIVES[token])
        else:
            parts.append(token.replace("%", "%%"))
    return "".join(parts)


def _skeleton(locale: Locale, skeleton: str) -> str:
    return d3_pattern(locale.datetime_skeletons[skeleton].pattern)


def _in_week_order(names) -> list[str]:
    """CLDR numbers weekdays from Monday (0); d3 lists them from Sunday."""
    return [names[(day + 6) % 7] for day in range(7)]


def d3_time_locale(lang: str) -> dict:
    """d3's time-format locale (months, weekdays, date and time formats) from CLDR."""
    locale = Locale.parse(babel_locale(lang))
    periods = get_period_names("abbreviated", "format", locale=locale)
    date_pattern, time_pattern = locale.date_formats["medium"].pattern, locale.time_formats["medium"].pattern
    return {
        "dateTime": locale.datetime_formats["medium"].replace("{1}", "%x").replace("{0}", "%X"),
        "date": d3_pattern(date_pattern),
        "time": d3_pattern(time_pattern),
        "periods": [periods["am"], periods["pm"]],
        "days": _in_week_order(get_day_names("wide", locale=locale)),
        "shortDays": _in_week_order(get_day_names("abbreviated", locale=locale)),
        "months": [get_month_names("wide", locale=locale)[month] for month in range(1, 13)],
        "shortMonths": [get_month_names("abbreviated", locale=locale)[month] for month in range(1, 13)],
    }


def d3_number_locale(lang: str) -> dict:
    """d3's number-format locale (decimal mark, grouping, minus, currency) from CLDR."""
    locale = Locale.parse(babel_locale(lang))
    symbols = locale.number_symbols["latn"]
    assert locale.territory is not None  # every locale in _BABEL_LOCALE names its country
    currency = get_territory_currencies(locale.territory)[0]
    symbol = get_currency_symbol(currency, locale=locale)
    prefix = locale.currency_formats["standard"].pattern.startswith("¤")
    return {
        "decimal": symbols["decimal"],
        "thousands": symbols["group"],
        "grouping": [locale.decimal_formats[None].grouping[0]],
        "currency": [symbol, ""] if prefix else ["", symbol],
        "minus": symbols["minusSign"],
        "percent": symbols["percentSign"],
    }


def d3_axis_formats(lang: str) -> dict[str, str]:
    """Vega's time multi-format for axis ticks in ``lang`` ("2026年", "3月", "3月4日", "17:05")."""
    locale = Locale.parse(babel_locale(lang))
    return {granularity: _skeleton(locale, skeleton) for granularity, skeleton in _AXIS_SKELETONS.items()}


def d3_date_format(lang: str) -> str:
    """A day in a chart's tooltip or label: "2026年3月4日", "4 Mar 2026"."""
    return _skeleton(Locale.parse(babel_locale(lang)), "yMMMd")
