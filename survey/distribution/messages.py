"""What customers read: invitation and reminder texts in zh-CN and en, and SMS length.

A campaign keeps its own templates (``Campaign.messages``), starting from the defaults here:
``{"invitation": {lang: text}, "reminder": {lang: text}, "subject": {lang: text}}``. Texts use
the fields ``{name}``, ``{survey}``, ``{link}`` (required: the personal link) and ``{expires}``.
The same text goes out by SMS, in the email body and in the export file, so the SMS length
shown in the preview is the length customers get.

SMS length follows GSM 03.38: a text that fits the GSM-7 alphabet costs 1 unit a character
(2 for the extension characters ``^{}\\[~]|€``), 160 units in one message or 153 per part when
concatenated; any other character (Chinese, emoji) switches the whole message to UCS-2: 70
UTF-16 units in one message or 67 per part.
"""

from __future__ import annotations

import math
import string
from dataclasses import dataclass
from datetime import datetime

from survey.core.config import settings
from survey.core.errors import SurveyError
from survey.core.i18n import LANGUAGES, normalise_language
from survey.core.links import TOKEN_BYTES, personal_link

FIELDS = ("name", "survey", "link", "expires")
KINDS = ("invitation", "reminder", "subject")

# Short enough that the Chinese texts, with a link of about 45 characters, fit one SMS (70).
DEFAULT_MESSAGES: dict[str, dict[str, str]] = {
    "invitation": {
        "zh-CN": "{name}您好，诚邀您评价本次服务（约1分钟）：{link}",
        "en": "Hello {name}, could you spare a minute to rate our service? {link}",
    },
    "reminder": {
        "zh-CN": "{name}您好，您的评价对我们很重要，{expires}截止：{link}",
        "en": "Hello {name}, your opinion matters to us. The survey closes on {expires}: {link}",
    },
    "subject": {
        "zh-CN": "诚邀您评价：{survey}",
        "en": "Your opinion, please: {survey}",
    },
}
NAME_FALLBACK = {"zh-CN": "尊敬的客户", "en": "valued customer"}
EMAIL_BUTTON = {"zh-CN": "开始评价", "en": "Start the survey"}

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
SMS_LIMITS = {"GSM-7": (160, 153), "UCS-2": (70, 67)}  # single message, per part when concatenated


class TemplateError(SurveyError, ValueError):
    """A message template that cannot be sent."""


def default_messages() -> dict[str, dict[str, str]]:
    return {kind: dict(texts) for kind, texts in DEFAULT_MESSAGES.items()}


def template_problems(text: str, *, kind: str = "invitation") -> list[str]:
    """Why a template cannot be used (empty list when it can)."""
    if not text or not text.strip():
        return ["the message is empty"]
    try:
        used = {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}
    except ValueError as exc:
        return [f"braces do not match ({exc}); write {{link}}, {{name}}, {{survey}} or {{expires}}"]
    problems = [
        f"unknown field {{{field}}}; use {', '.join('{' + f + '}' for f in FIELDS)}"
        for field in sorted(used - set(FIELDS))
    ]
    if kind != "subject" and "link" not in used:
        problems.append("the message must contain {link}, the customer's personal link")
    return problems


def check_messages(messages: dict[str, dict[str, str]]) -> None:
    """Raise TemplateError unless every kind has a usable text in every language."""
    problems = []
    for kind in KINDS:
        for lang in LANGUAGES:
            text = (messages.get(kind) or {}).get(lang, "")
            problems += [f"{kind} ({lang}): {p}" for p in template_problems(text, kind=kind)]
    if problems:
        raise TemplateError(key="errors.distribution.template_problems", problems="; ".join(problems))


def local_date_text(moment: datetime | None, lang: str) -> str:
    if moment is None:
        return ""
    day = moment.astimezone(settings().timezone)
    return f"{day.month}月{day.day}日" if normalise_language(lang) == "zh-CN" else day.strftime("%d %b").lstrip("0")


def render(text: str, *, lang: str, name: str | None, survey: str, link: str, expires: datetime | None) -> str:
    lang = normalise_language(lang)
    return text.format_map(
        {
            "name": (name or "").strip() or NAME_FALLBACK[lang],
            "survey": survey,
            "link": link,
            "expires": local_date_text(expires, lang),
        }
    )


def sample_link() -> str:
    """A link as long as a real one (for previews and length counts)."""
    return personal_link("x" * math.ceil(TOKEN_BYTES * 4 / 3))


@dataclass(frozen=True)
class SmsLength:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # characters as the network counts them
    segments: int  # messages billed
    per_segment: int  # units that fit in each of those messages


def sms_length(text: str) -> SmsLength:
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text):
        encoding = "GSM-7"
        units = sum(2 if ch in GSM7_EXTENSION else 1 for ch in text)
    else:
        encoding = "UCS-2"
        units = len(text.encode("utf-16-le")) // 2
    single, part = SMS_LIMITS[encoding]
    if units <= single:
        return SmsLength(encoding, units, 1 if units else 0, single)
    return SmsLength(encoding, units, math.ceil(units / part), part)


def compose(
    messages: dict,
    kind: str,
    *,
    lang: str,
    name: str | None,
    survey_names: dict[str, str],
    link: str,
    expires: datetime | None,
) -> tuple[str, str]:
    """(text, email subject) of one message of `kind` (invitation or reminder) in `lang`."""
    lang = normalise_language(lang)
    texts = {k: (messages.get(k) or DEFAULT_MESSAGES[k]) for k in KINDS}
    fields = {"lang": lang, "name": name, "survey": survey_names[lang], "link": link, "expires": expires}
    return render(texts[kind][lang], **fields), render(texts["subject"][lang], **fields)
