"""Drawing respondent pages. The same templates serve customers and the staff preview, so the
preview is exactly what a customer sees.

Pages are plain HTML forms with a little inline CSS and no JavaScript. A display condition
whose source question is on the same page is shown by CSS (``:has``) as soon as the answer
meets it; browsers without ``:has`` get it from the server after the next post. Either way
the server decides what counts (survey.collect.answering).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from jinja2 import Environment, PackageLoader, StrictUndefined

from survey.collect.answering import Problem, condition_holds, evaluate, matrix_field, pipe
from survey.collect.visit import Questionnaire, visible_pages
from survey.core.i18n import LANGUAGES, t, text_in
from survey.design.question_types import question_type
from survey.models import Question

ENV = Environment(
    loader=PackageLoader("survey.web", "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=StrictUndefined,
)
LANGUAGE_NAMES = {"zh-CN": "中文", "en": "English"}


@dataclass(frozen=True)
class Choice:
    id: str
    value: str
    label: str
    checked: bool
    hint: str = ""  # an end label, read out by screen readers


@dataclass(frozen=True)
class Item:
    field: str
    label: str
    choices: list[Choice]


@dataclass
class QuestionView:
    code: str
    kind: str  # scale | single | multi | matrix | text
    text: str
    help: str
    required: bool
    problem: str = ""
    conditional: bool = False  # shown by CSS when its same-page source question is answered so
    shown: bool = True
    choices: list[Choice] = field(default_factory=list)
    low: str = ""
    high: str = ""
    items: list[Item] = field(default_factory=list)
    max_length: int | None = None
    value: str = ""
    note: str = ""


@dataclass
class PageView:
    lang: str
    title: str
    intro: str
    questions: list[QuestionView]
    hidden: dict[str, str]
    action: str
    page_number: int
    page_count: int
    can_go_back: bool
    is_last: bool
    languages: list[tuple[str, str, str]]  # (code, name, url); the current one has no url
    texts: dict[str, str]
    condition_css: str = ""
    notice: str = ""
    optout_url: str = ""
    preview: bool = False


def language_links(path: str, current: str) -> list[tuple[str, str, str]]:
    return [(code, LANGUAGE_NAMES[code], "" if code == current else f"{path}?lang={code}") for code in LANGUAGES]


# ---------------------------------------------------------------- the survey page


def survey_page(
    questionnaire: Questionnaire,
    page: int,
    lang: str,
    *,
    fields: Mapping[str, Sequence[str]],
    problems: Mapping[str, Problem],
    hidden: dict[str, str],
    path: str,
    notice: str = "",
    optout_url: str = "",
    preview: bool = False,
) -> str:
    questions = questionnaire.questions
    piped = questionnaire.pipe(lang)
    pages = visible_pages(questions, fields) or [page]
    position = pages.index(page) + 1 if page in pages else len(pages)
    views, css = _question_views(questions, page, lang, piped, fields, problems)
    view = PageView(
        lang=lang,
        title=questionnaire.text("title", lang) or _survey_name(questionnaire, lang),
        intro=questionnaire.text("intro", lang) if position == 1 else "",
        questions=views,
        hidden=hidden,
        action=path,
        page_number=position,
        page_count=len(pages),
        can_go_back=position > 1,
        is_last=position == len(pages),
        languages=language_links(path, lang),
        texts=_page_texts(lang, position, len(pages), len(problems)),
        condition_css=css,
        notice=notice,
        optout_url=optout_url,
        preview=preview,
    )
    return ENV.get_template("survey.html").render(view=view, lang=lang, languages=view.languages)


def _page_texts(lang: str, position: int, count: int, problems: int) -> dict[str, str]:
    return {
        "next": t("respondent.next", lang),
        "submit": t("respondent.submit", lang),
        "back": t("respondent.back", lang),
        "progress": t("respondent.progress", lang, page=position, count=count),
        "problems": t("respondent.problems", lang, n=problems) if problems else "",
        "required": t("respondent.required", lang),
        "optout": t("respondent.optout_link", lang),
        "preview": t("respondent.preview_note", lang),
        "language_switch": t("respondent.language_switch", lang),
    }


def _survey_name(questionnaire: Questionnaire, lang: str) -> str:
    return text_in({"zh-CN": questionnaire.survey.name_zh, "en": questionnaire.survey.name_en}, lang)


def _question_views(
    questions: Sequence[Question],
    page: int,
    lang: str,
    piped: dict[str, str],
    fields: Mapping[str, Sequence[str]],
    problems: Mapping[str, Problem],
) -> tuple[list[QuestionView], str]:
    visible = {q.code for q in evaluate(questions, fields).visible}
    by_code = {q.code: q for q in questions}
    views, rules = [], []
    for question in questions:
        if question.page != page:
            continue
        source = by_code.get(question.condition["question"]) if question.condition else None
        conditional = source is not None and source.page == page
        if question.code not in visible and not conditional:
            continue
        view = _question_view(question, lang, piped, fields, problems.get(question.code))
        view.conditional, view.shown = conditional, question.code in visible
        views.append(view)
        if conditional:
            rules.append(_condition_rule(question, source))
    return views, "".join(r for r in rules if r)


def _question_view(
    question: Question, lang: str, piped: dict[str, str], fields: Mapping[str, Sequence[str]], problem: Problem | None
) -> QuestionView:
    qtype = question_type(question.type)
    view = QuestionView(
        code=question.code,
        kind="scale",
        required=question.required,
        text=pipe(text_in({"zh-CN": question.text_zh, "en": question.text_en}, lang), piped),
        help=pipe(text_in({"zh-CN": question.help_zh, "en": question.help_en}, lang), piped),
        problem=problem.text(lang) if problem else "",
    )
    labels = question.labels or {}
    view.low, view.high = text_in(labels.get("low"), lang), text_in(labels.get("high"), lang)
    posted = fields.get(question.code, [])
    if qtype.free_text:
        view.kind, view.max_length, view.value = "text", question.max_length, "\n".join(posted)
        view.note = t("respondent.chars_limit", lang, limit=question.max_length)
    elif qtype.has_options:
        view.kind = "multi" if qtype.multiple else "single"
        view.choices = [
            Choice(f"i-{question.code}-{i}", o["value"], text_in(o, lang), o["value"] in posted)
            for i, o in enumerate(question.options)
        ]
    elif qtype.has_items:
        view.kind = "matrix"
        names = [matrix_field(question.code, item["code"]) for item in question.items]
        view.items = [
            Item(
                name,
                text_in(item, lang),
                _scale_choices(question, f"i-{question.code}-{n}", fields.get(name, []), view.low, view.high, lang),
            )
            for n, (name, item) in enumerate(zip(names, question.items, strict=True))
        ]
    else:
        view.choices = _scale_choices(question, f"i-{question.code}", posted, view.low, view.high, lang)
    return view


def _scale_choices(
    question: Question, id_prefix: str, posted: Sequence[str], low: str, high: str, lang: str
) -> list[Choice]:
    if question.type == "yes_no":
        return [
            Choice(f"{id_prefix}-{i}", str(v), t(key, lang), str(v) in posted)
            for i, (v, key) in enumerate(((1, "respondent.yes"), (0, "respondent.no")))
        ]
    values = range(question.scale_min, question.scale_max + 1)
    last = question.scale_max - question.scale_min
    return [
        Choice(f"{id_prefix}-{i}", str(v), str(v), str(v) in posted, hint=low if i == 0 else high if i == last else "")
        for i, v in enumerate(values)
    ]


def _condition_rule(question: Question, source: Question) -> str:
    """CSS that shows a conditional question once its same-page source is answered so.

    For a single answer, the rule lists the choices that meet the condition. For a multiple
    choice with "none of these", it needs another choice and none of the listed ones.
    """
    ids = _input_ids(source)
    code = source.code
    if question_type(source.type).multiple:
        meets = [i for value, i in ids if condition_holds(question.condition, {code: [value]})]
        exclusive = question.condition["op"] in ("!=", "not_in")
        blocks = [i for value, i in ids if exclusive and not condition_holds(question.condition, {code: [value]})]
    else:
        meets = [i for value, i in ids if condition_holds(question.condition, {code: _typed(source, value)})]
        blocks = []
    if not meets:
        return ""
    selector = "form:has(" + ",".join(f"#{i}:checked" for i in meets) + ")"
    if blocks:
        selector += ":not(:has(" + ",".join(f"#{i}:checked" for i in blocks) + "))"
    return f"{selector} #q-{question.code}{{display:block}}"


def _input_ids(question: Question) -> list[tuple[str, str]]:
    """(value, input id) of a single- or multiple-choice or scale question, as drawn above."""
    if question_type(question.type).has_options:
        return [(o["value"], f"i-{question.code}-{i}") for i, o in enumerate(question.options)]
    return [(c.value, c.id) for c in _scale_choices(question, f"i-{question.code}", [], "", "", "en")]


def _typed(question: Question, value: str) -> int | str:
    return value if question_type(question.type).has_options else int(value)


# ---------------------------------------------------------------- polite pages

# Each kind has respondent.<kind>_title and _body in both languages (tests check).
MESSAGE_KINDS = (
    "unknown",
    "expired",
    "answered",
    "closed",
    "opted_out",
    "busy",
    "replaced",
    "thanks",
    "optout_ask",
    "optout_done",
    "too_large",
    "bad_request",
    "foreign_origin",
    "unavailable",
    "error",
)


def message_page(
    kind: str,
    lang: str,
    *,
    path: str,
    body: str = "",
    form: dict[str, str] | None = None,
    back_url: str = "",
    notice: str = "",
) -> str:
    """A page for a state of the link (unknown, expired, answered, ...) or a refused request."""
    texts = {
        "title": t(f"respondent.{kind}_title", lang),
        "body": body or t(f"respondent.{kind}_body", lang),
        "confirm": t("respondent.optout_confirm", lang),
        "back": t("respondent.back_to_survey", lang),
    }
    return ENV.get_template("message.html").render(
        lang=lang, texts=texts, form=form, back_url=back_url, notice=notice, languages=language_links(path, lang)
    )
