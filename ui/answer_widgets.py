"""Streamlit widgets for answering a survey on a customer's behalf (phone revisits).

The widgets only collect form fields; ``survey.collect.answering`` decides which questions show and
whether the answers hold, exactly as for the link page. Question texts are in the customer's
language (the agent reads them out); problems are in the agent's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import streamlit as st

from survey.collect.answering import Problem, evaluate, matrix_field, pipe
from survey.core.i18n import t, text_in
from survey.design.question_types import question_type
from survey.models import Question
from ui.session import lang as ui_lang
from ui.text import plain


def widget_key(prefix: str, field: str) -> str:
    return f"{prefix}__{field}"


def posted_fields(questions: Sequence[Question], prefix: str) -> dict[str, list[str]]:
    """The answers the widgets hold now, as the form fields a link page would post."""
    fields: dict[str, list[str]] = {}
    for question in questions:
        for name in _field_names(question):
            value = st.session_state.get(widget_key(prefix, name))
            if value is None or value == "" or value == []:
                continue
            fields[name] = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return fields


def draw_questions(
    questions: Sequence[Question], language: str, piped: dict[str, str], prefix: str, problems: Mapping[str, Problem]
) -> None:
    """The questions that show given the answers so far (conditions follow as the agent types)."""
    visible = {q.code for q in evaluate(questions, posted_fields(questions, prefix)).visible}
    for question in questions:
        if question.code in visible:
            _draw(question, language, piped, prefix)
            if question.code in problems:
                st.error(problems[question.code].text(ui_lang()))


def _field_names(question: Question) -> list[str]:
    if question_type(question.type).has_items:
        return [matrix_field(question.code, item["code"]) for item in question.items]
    return [question.code]


def _draw(question: Question, language: str, piped: dict[str, str], prefix: str) -> None:
    qtype = question_type(question.type)
    # Labels and radio options are Markdown: the staff's words, with the customer's own piped in, shown as written.
    text = plain(pipe(text_in({"zh-CN": question.text_zh, "en": question.text_en}, language), piped))
    text = f"{text} *" if question.required else text
    key = widget_key(prefix, question.code)
    if qtype.free_text:
        st.text_area(text, key=key, max_chars=question.max_length)
    elif qtype.has_options:
        labels = {o["value"]: text_in(o, language) for o in question.options}
        if qtype.multiple:
            st.multiselect(text, list(labels), placeholder=t("app.choose", ui_lang()), key=key, format_func=labels.get)
        else:
            st.radio(text, list(labels), index=None, key=key, format_func=lambda value: plain(labels[value]))
    elif qtype.has_items:
        st.markdown(f"**{text}**")
        for item in question.items:
            _scale(
                question,
                plain(text_in(item, language)),
                widget_key(prefix, matrix_field(question.code, item["code"])),
                language,
            )
    else:
        _scale(question, text, key, language)


def _scale(question: Question, text: str, key: str, language: str) -> None:
    if question.type == "yes_no":
        names = {1: t("respondent.yes", language), 0: t("respondent.no", language)}
        st.radio(text, [1, 0], index=None, key=key, horizontal=True, format_func=names.get)
        return
    labels = question.labels or {}
    # The ends' meaning beside the numbers, where the agent reads the question out (a tooltip
    # would hide it behind a hover).
    ends = {
        question.scale_min: text_in(labels.get("low"), language),
        question.scale_max: text_in(labels.get("high"), language),
    }
    st.radio(
        text,
        list(range(question.scale_min, question.scale_max + 1)),
        index=None,
        key=key,
        horizontal=True,
        format_func=lambda value: f"{value} · {plain(ends[value])}" if ends.get(value) else str(value),
    )
