"""The question editor of the design page: widgets for one question that give back its
definition (the dict ``survey.design`` validates). Options and matrix items are typed one per
line as ``value | 中文 | English``."""

from __future__ import annotations

import streamlit as st

from survey.core.i18n import label
from survey.core.vocab import Dimension
from survey.design.question_types import CONDITION_OPERATORS, DEFAULT_TEXT_LIMIT, QUESTION_TYPES, question_type
from ui.session import lang, tr

NEW_QUESTION = {
    "code": "",
    "type": "rating",
    "required": True,
    "page": 1,
    "dimension": None,
    "text": {"zh-CN": "", "en": ""},
}


def question_editor(question: dict | None, earlier: list[dict], key: str) -> dict:
    """Draw the editor (``question`` None: a new one) and return what the widgets now say."""
    q = question or NEW_QUESTION
    k = lambda name: f"{key}_{name}"  # noqa: E731  (widget keys of this editor)
    top = st.columns(4)
    code = top[0].text_input(tr("design.q_code"), q.get("code", ""), key=k("code"), help=tr("design.q_code_help"))
    types = list(QUESTION_TYPES)
    qtype = top[1].selectbox(
        tr("design.q_type"),
        types,
        index=types.index(q.get("type", "rating")),
        key=k("type"),
        format_func=lambda v: tr(f"question_type.{v}"),
    )
    dimensions = [""] + [d.value for d in Dimension]
    dimension = top[2].selectbox(
        tr("design.q_dimension"),
        dimensions,
        index=dimensions.index(q.get("dimension") or ""),
        key=k("dimension"),
        format_func=lambda d: label("dimension", d, lang()) if d else "—",
    )
    page = top[3].number_input(
        tr("design.q_page"), min_value=1, max_value=50, value=int(q.get("page", 1)), key=k("page")
    )
    definition = {
        "code": code.strip(),
        "type": qtype,
        "dimension": dimension or None,
        "page": int(page),
        "required": st.checkbox(tr("design.q_required"), bool(q.get("required", True)), key=k("required")),
        "text": bilingual_input(tr("design.q_text"), q.get("text"), k("text"), area=True),
    }
    help_text = bilingual_input(tr("design.q_help"), q.get("help"), k("help"))
    if any(help_text.values()):
        definition["help"] = help_text
    definition.update(_type_settings(question_type(qtype), q, k))
    condition = _condition(q.get("condition"), earlier, k)
    if condition:
        definition["condition"] = condition
    return definition


def bilingual_input(caption: str, texts: dict | None, key: str, *, area: bool = False) -> dict[str, str]:
    """A text in Chinese and English, side by side."""
    texts = texts or {}
    widget = st.text_area if area else st.text_input
    left, right = st.columns(2)
    with left:
        zh = widget(f"{caption}（中文）", texts.get("zh-CN", ""), key=f"{key}_zh")
    with right:
        en = widget(f"{caption} (English)", texts.get("en", ""), key=f"{key}_en")
    return {"zh-CN": zh.strip(), "en": en.strip()}


def _type_settings(qtype, q: dict, k) -> dict:
    settings: dict = {}
    if qtype.scales and qtype.name != "yes_no":
        scales = [f"{lo}-{hi}" for lo, hi in qtype.scales]
        current = "-".join(str(v) for v in (q.get("scale") or qtype.default_scale))
        chosen = st.selectbox(
            tr("design.q_scale"), scales, index=scales.index(current) if current in scales else 0, key=k("scale")
        )
        settings["scale"] = [int(v) for v in chosen.split("-")]
        labels = q.get("labels") or {}
        low = bilingual_input(tr("design.q_low"), labels.get("low"), k("low"))
        high = bilingual_input(tr("design.q_high"), labels.get("high"), k("high"))
        if any(low.values()) or any(high.values()):
            settings["labels"] = {"low": low, "high": high}
    if qtype.has_options:
        settings["options"] = _entries(tr("design.q_options"), q.get("options"), "value", k("options"))
    if qtype.has_items:
        settings["items"] = _entries(tr("design.q_items"), q.get("items"), "code", k("items"))
    if qtype.free_text:
        settings["max_length"] = int(
            st.number_input(
                tr("design.q_max_length"),
                min_value=1,
                max_value=5000,
                value=int(q.get("max_length") or DEFAULT_TEXT_LIMIT),
                key=k("max_length"),
            )
        )
    return settings


def _entries(caption: str, entries: list | None, key_name: str, key: str) -> list[dict]:
    lines = "\n".join(f"{e.get(key_name, '')} | {e.get('zh-CN', '')} | {e.get('en', '')}" for e in entries or [])
    typed = st.text_area(caption, lines, key=key, help=tr("design.q_entries_help"))
    parsed = []
    for line in typed.splitlines():
        if line.strip():
            parts = [p.strip() for p in line.split("|")] + ["", ""]
            parsed.append({key_name: parts[0], "zh-CN": parts[1], "en": parts[2]})
    return parsed


def _condition(condition: dict | None, earlier: list[dict], k) -> dict | None:
    """Show only when an earlier answer meets a rule, e.g. overall <= 2."""
    sources = [""] + [
        e["code"] for e in earlier if not question_type(e["type"]).free_text and not question_type(e["type"]).has_items
    ]
    condition = condition or {}
    current = condition.get("question", "")
    cols = st.columns(3)
    source = cols[0].selectbox(
        tr("design.q_condition"),
        sources,
        index=sources.index(current) if current in sources else 0,
        key=k("cond_source"),
        format_func=lambda c: c or tr("design.q_always"),
    )
    ops = list(CONDITION_OPERATORS)
    op = cols[1].selectbox(
        tr("design.q_condition_op"),
        ops,
        index=ops.index(condition.get("op", "<=")),
        key=k("cond_op"),
        disabled=not source,
    )
    value = cols[2].text_input(
        tr("design.q_condition_value"),
        _value_text(condition.get("value")),
        key=k("cond_value"),
        disabled=not source,
        help=tr("design.q_condition_value_help"),
    )
    if not source:
        return None
    numeric = question_type(next(e["type"] for e in earlier if e["code"] == source)).numeric
    values = [_typed(v.strip(), numeric) for v in value.split(",") if v.strip()]
    return {"question": source, "op": op, "value": values if op in ("in", "not_in") else (values[0] if values else "")}


def _value_text(value) -> str:
    if value is None:
        return ""
    return ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)


def _typed(text: str, numeric: bool):
    if not numeric:
        return text
    try:
        number = float(text)
    except ValueError:
        return text  # validation names the problem
    return int(number) if number.is_integer() else number
