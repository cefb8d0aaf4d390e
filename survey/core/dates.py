"""Times and dates as people read them: in SURVEY_TIMEZONE, in their language, never "+00:00".

Times are stored in UTC; everything shown to a person goes through here. Babel supplies the
month and weekday names and the order of the parts for each language (CLDR data), so the
Chinese UI reads "2026年12月3日 17:05" and the English one "3 Dec 2026, 17:05".
"""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_date, format_datetime

from survey.core.config import settings
from survey.core.i18n import normalise_language

_BABEL_LOCALE = {"zh-CN": "zh_CN", "en": "en_GB"}    # en_GB: day before month, 24-hour clock
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
