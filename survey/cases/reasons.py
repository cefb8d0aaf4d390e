"""Why a case was opened: stored as codes and numbers, read in the reader's language.

A case's ``reason`` (and the note of its "opened" and "new trigger" history entries) holds JSON
with one entry per rule that fired::

    {"why": [{"kind": "score", "question": "overall", "value": 1, "at_most": 2, "tier": "gold"},
             {"kind": "repeated_fault", "source": "ticket"},
             {"kind": "comment_theme", "themes": {"billing": ["扣费", "账单"]}}]}

so the Chinese pages read "总体满意度评分 1（不高于 2） · 金卡" and the English ones "Overall
satisfaction rated 1 (at most 2) · Gold" from the same row, and a label changed in the catalog
changes every case already open. Cases opened before reasons were stored this way hold plain
English text ("overall = 1 ≤ 2 (gold)"); that text shows as it is.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from survey.cases.themes import THEMES
from survey.core.i18n import label, question_label, t

__all__ = [
    "LIMIT",
    "THEMES",
    "comment_theme",
    "decode",
    "describe",
    "encode",
    "question_name",
    "repeated_fault",
    "score",
]

LIMIT = 500  # characters of FollowUpCase.reason
PHRASES_SHOWN = 3  # phrases of a comment quoted per theme
SHORT_PHRASE = 20  # characters of a phrase kept when the reason must shrink to fit


def score(question: str, value: float, at_most: float, tier: str | None) -> dict:
    return {"kind": "score", "question": question, "value": value, "at_most": at_most, "tier": tier}


def repeated_fault(source: str) -> dict:
    """``source``: "ticket" (the service event is flagged) or "what_wrong" (the customer says so)."""
    return {"kind": "repeated_fault", "source": source}


def comment_theme(themes: Mapping[str, Sequence[str]]) -> dict:
    """The themes a comment names, each with the phrases that named it."""
    return {
        "kind": "comment_theme",
        "themes": {theme: list(phrases)[:PHRASES_SHOWN] for theme, phrases in themes.items()},
    }


# ---------------------------------------------------------------- storing


def _dumps(why: list[dict]) -> str:
    return json.dumps({"why": why}, ensure_ascii=False, separators=(",", ":"))


def _shorter_phrases(why: list[dict], keep: int) -> list[dict]:
    return [
        {
            **item,
            "themes": {theme: [p[:SHORT_PHRASE] for p in phrases[:keep]] for theme, phrases in item["themes"].items()},
        }
        if item.get("kind") == "comment_theme"
        else item
        for item in why
    ]


def encode(why: list[dict], limit: int = LIMIT) -> str:
    """The reasons as compact JSON that fits ``limit`` characters: when too long, the comment's
    phrases are cut down first, then the last reasons are left out (the first is the rule the
    case is named after)."""
    for candidate in (why, _shorter_phrases(why, 1), _shorter_phrases(why, 0)):
        kept = list(candidate)
        while len(kept) > 1 and len(_dumps(kept)) > limit:
            kept.pop()
        if len(_dumps(kept)) <= limit:
            return _dumps(kept)
    return _dumps(kept[:1])[:limit]  # one entry that cannot fit: unreachable with the known kinds


def decode(stored: str | None) -> list[dict] | None:
    """The stored reasons, or None for text written before they were stored as codes."""
    if not stored or not stored.startswith("{"):
        return None
    try:
        value = json.loads(stored)
    except ValueError:
        return None
    why = value.get("why") if isinstance(value, dict) else None
    if not isinstance(why, list) or not all(isinstance(item, dict) for item in why):
        return None
    return why


# ---------------------------------------------------------------- reading

question_name = question_label  # a question code in words


def _number(value) -> str:
    return f"{float(value):g}" if isinstance(value, int | float) else str(value)


def _sentence(item: dict, lang: str | None) -> str:
    kind = item.get("kind")
    if kind == "score":
        text = t(
            "reason.score",
            lang,
            question=question_name(str(item.get("question")), lang),
            value=_number(item.get("value")),
            at_most=_number(item.get("at_most")),
        )
        return f"{text} · {label('tier', item['tier'], lang)}" if item.get("tier") else text
    if kind == "repeated_fault":
        return t(f"reason.repeated_fault.{'ticket' if item.get('source') == 'ticket' else 'what_wrong'}", lang)
    if kind == "comment_theme":
        named = [
            t("reason.theme_phrases", lang, theme=label("dimension", theme, lang), phrases="/".join(phrases))
            if phrases
            else label("dimension", theme, lang)
            for theme, phrases in item.get("themes", {}).items()
        ]
        return t("reason.comment_theme", lang, themes=t("words.list_separator", lang).join(named))
    return str(kind)


def describe(stored: str | None, lang: str | None) -> str:
    """Why the case was opened, in ``lang``; older plain-text reasons as they are."""
    why = decode(stored)
    if why is None:
        return stored or ""
    return t("words.separator", lang).join(_sentence(item, lang) for item in why)
