"""The UI string catalog (zh-CN and en), shared by staff pages and the respondent page.

One catalog, split into files by area under ``survey/core/locales/*.json`` so features can add
strings without touching each other's files. Each file maps a key to ``{"zh-CN": .., "en": ..}``.
A key defined twice, or missing a language, is an error at load time (and in the tests).
Strings use ``str.format`` fields: ``t("login.locked", "en", seconds=4)``.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from pathlib import Path

LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"
LOCALES_DIR = Path(__file__).resolve().parent / "locales"
log = logging.getLogger(__name__)


class CatalogError(ValueError):
    pass


@functools.cache
def catalog() -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    for path in sorted(LOCALES_DIR.glob("*.json")):
        for key, texts in json.loads(path.read_text(encoding="utf-8")).items():
            if key in merged:
                raise CatalogError(f"{path.name}: key '{key}' is already defined in another catalog file")
            missing = [lang for lang in LANGUAGES if not isinstance(texts.get(lang), str)]
            if missing:
                raise CatalogError(f"{path.name}: key '{key}' has no text for {', '.join(missing)}")
            merged[key] = texts
    return merged


def normalise_language(lang: str | None) -> str:
    if not lang:
        return DEFAULT_LANGUAGE
    lang = lang.strip()
    if lang.lower().startswith("zh"):
        return "zh-CN"
    if lang.lower().startswith("en"):
        return "en"
    return DEFAULT_LANGUAGE


def t(key: str, lang: str | None = None, **fields) -> str:
    """The text of `key` in `lang`; shows the key itself (and logs) when it is missing."""
    texts = catalog().get(key)
    if texts is None:
        log.warning("i18n: missing key %s", key)
        return key
    text = texts[normalise_language(lang)]
    return text.format(**fields) if fields else text


def label(vocabulary: str, value: str | None, lang: str | None = None) -> str:
    """A vocabulary value's label (tier.gold -> 金卡); unknown values (regions, teams) show as they are."""
    if value is None:
        return ""
    texts = catalog().get(f"{vocabulary}.{value}")
    return texts[normalise_language(lang)] if texts else str(value)


def text_in(texts: dict[str, str] | None, lang: str | None) -> str:
    """Pick a language from a {"zh-CN": .., "en": ..} dict, falling back to the other language."""
    if not texts:
        return ""
    lang = normalise_language(lang)
    return texts.get(lang) or next((v for v in texts.values() if v), "")


# The operator's team names follow a few patterns ("Hangzhou Crew 3", "Ningbo Hall 2",
# "Hotline 10000 Team 1"): stored as they come from the operator's systems, read in words.
_TEAM_PATTERNS = (
    (re.compile(r"(?P<region>[A-Z][A-Za-z]*) Crew (?P<n>\d+)"), "team.crew"),
    (re.compile(r"(?P<region>[A-Z][A-Za-z]*) Hall (?P<n>\d+)"), "team.hall"),
    (re.compile(r"Hotline 10000 Team (?P<n>\d+)"), "team.hotline"),
    (re.compile(r"Online Hall Team (?P<n>\d+)"), "team.online_hall"),
)


def team_label(team: str | None, lang: str | None = None) -> str:
    """A team's name in the user's language ("Hangzhou Crew 1" -> 杭州装维1班); a name of no
    known pattern shows as it is (or as its catalog label ``team.<name>``, when there is one)."""
    if not team:
        return ""
    for pattern, key in _TEAM_PATTERNS:
        found = pattern.fullmatch(team)
        if found:
            parts = found.groupdict()
            region = label("region", parts.get("region"), lang)
            return t(key, lang, region=region, n=parts["n"])
    return label("team", team, lang)


def question_label(code: str, lang: str | None = None) -> str:
    """A question code in words: its own label (question.nps -> 推荐意愿), else its service
    dimension's (overall -> 总体满意度), else the code itself."""
    named = label("question", code, lang)
    return label("dimension", code, lang) if named == code else named
