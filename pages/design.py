"""Survey design (quality team): new surveys from templates or scratch, drafts edited question
by question, a preview that is the customer's page itself, publishing, new versions of live
surveys, JSON export and import, personal links, and public links with QR codes to print."""

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from survey.collect import service as answering
from survey.collect.service import PublicLinkRow
from survey.core.errors import SurveyError
from survey.core.i18n import LANGUAGES, label, question_label, team_label, text_in
from survey.core.vocab import SurveyStatus, TouchPoint
from survey.design import service as design
from survey.design.definitions import DefinitionError
from survey.design.service import SCRATCH, SurveyDetail, SurveyRow
from survey.design.templates import TEMPLATES
from survey.distribution import service as distribution
from survey.web.render import survey_page
from ui import feedback
from ui.format import count, local_time
from ui.question_editor import bilingual_input, question_editor
from ui.session import lang, require_page, tr

user = require_page(__file__)
st.title(tr("page.design"))
PAGE = "design"
LINK_TO_COPY = "design_link_to_copy"  # a new personal link, shown under the outcome to copy
NEW_QUESTION = "__new__"


def select_next(key: str, value: str | None) -> None:
    """Choose what a selectbox shows after the rerun (a widget's own key cannot change once drawn)."""
    st.session_state[f"{key}__next"] = value


def apply_selection(key: str, options: list[str]) -> None:
    chosen = st.session_state.pop(f"{key}__next", st.session_state.get(key))
    st.session_state[key] = chosen if chosen in options else options[0]


def attempt(change: Callable[[], Any], success: str) -> tuple[bool, Any]:
    """Make one change; record what happened (or what is wrong) for the next run to show."""
    try:
        result = change()
    except DefinitionError as exc:
        feedback.error(PAGE, tr("design.problems"), exc.problems_in(lang()))
        return False, None
    except SurveyError as exc:
        feedback.refused(PAGE, exc)
        return False, None
    feedback.success(PAGE, success)
    return True, result


def action_button(
    caption: str,
    key: str,
    change: Callable[[], Any],
    success: str,
    *,
    where=st,
    primary: bool = False,
    then: Callable[[Any], None] | None = None,
    submits_form: bool = False,
) -> None:
    """A button that makes one change and shows the page again with its outcome; ``then``
    receives what the change returned."""
    press = where.form_submit_button if submits_form else where.button
    if press(caption, key=key, type="primary" if primary else "secondary"):
        done, result = attempt(change, success)
        if done and then is not None:
            then(result)
        st.rerun()


def name_of(row: SurveyRow) -> str:
    return text_in({"zh-CN": row.name_zh, "en": row.name_en}, lang())


def show_outcome() -> None:
    feedback.show(PAGE)
    link = st.session_state.pop(LINK_TO_COPY, None)
    if link:
        st.code(link, language=None)


# ---------------------------------------------------------------- the list and a new survey


def survey_table(rows: list[SurveyRow]) -> None:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    tr("design.code"): r.code,
                    tr("design.name"): name_of(r),
                    tr("design.status"): label("survey_status", r.status, lang()),
                    tr("design.live_version"): r.live_version or "—",
                    tr("design.draft_version"): r.draft_version or "—",
                    tr("design.responses"): r.responses,
                }
                for r in rows
            ]
        ),
        hide_index=True,
        width="stretch",
    )


def new_survey_form() -> None:
    with st.expander(tr("design.new"), expanded=not rows), st.form("design_new_survey"):
        sources = [*TEMPLATES, SCRATCH]
        source = st.selectbox(
            tr("design.new_source"),
            sources,
            key="design_new_source",
            format_func=lambda s: tr("design.scratch") if s == SCRATCH else text_in(TEMPLATES[s]["name"], lang()),
        )
        code = st.text_input(tr("design.code"), key="design_new_code", help=tr("design.code_help"))
        left, right = st.columns(2)
        name_zh = left.text_input(tr("design.name_zh"), key="design_new_name_zh")
        name_en = right.text_input(tr("design.name_en"), key="design_new_name_en")
        action_button(
            tr("design.create"),
            "design_new_create",
            lambda: design.create_survey(source, code, name_zh, name_en, actor_id=user.id),
            tr("design.created", code=code.strip()),
            primary=True,
            submits_form=True,
            then=lambda created: select_next("design_survey", created),
        )


# ---------------------------------------------------------------- one survey


def questions_tab(survey: SurveyDetail) -> None:
    question_table(survey.definition["questions"])
    if survey.draft is None:
        st.info(tr("design.frozen", number=survey.live.number))
        action_button(
            tr("design.new_version"),
            "design_new_version",
            lambda: design.start_new_version(survey.id, actor_id=user.id),
            tr("design.new_version_done"),
            primary=True,
        )
        return
    st.caption(tr("design.editing", number=survey.draft.number))
    texts_editor(survey.draft.id, survey.definition)
    question_controls(survey.draft.id, survey.definition)


def question_table(questions: list[dict]) -> None:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "#": i,
                    tr("design.q_page"): q.get("page", 1),
                    tr("design.q_code"): q["code"],
                    tr("design.q_type"): tr(f"question_type.{q['type']}"),
                    tr("design.q_required"): q.get("required", True),
                    tr("design.q_dimension"): label("dimension", q.get("dimension"), lang()),
                    tr("design.q_text"): text_in(q["text"], lang()),
                    tr("design.q_condition"): condition_text(q.get("condition"), questions),
                }
                for i, q in enumerate(questions, start=1)
            ]
        ),
        hide_index=True,
        width="stretch",
    )


def condition_text(condition: dict | None, questions: list[dict]) -> str:
    """When a question shows, in words: 总体满意度 ≤ 2, 问题是否解决 = 否, 等候时间 是以下之一：30分钟以上."""
    if not condition:
        return ""
    source = next((q for q in questions if q["code"] == condition["question"]), {})
    options = {o["value"]: text_in(o, lang()) for o in source.get("options", [])}
    if source.get("type") == "yes_no":
        options = {1: tr("words.yes"), 0: tr("words.no")}
    value = condition["value"]
    values = value if isinstance(value, list) else [value]
    shown = tr("words.list_separator").join(str(options.get(v, v)) for v in values)
    return f"{question_label(condition['question'], lang())} {label('condition.op', condition['op'], lang())} {shown}"


def texts_editor(draft_id: int, definition: dict) -> None:
    with st.expander(tr("design.texts")):
        texts = {
            field_name: bilingual_input(
                tr(f"design.{field_name}"),
                definition.get(field_name),
                f"design_{draft_id}_{field_name}",
                area=field_name != "name",
            )
            for field_name in ("name", "title", "intro", "thanks")
        }
        st.caption(tr("design.piping_help"))
        action_button(
            tr("design.save_texts"),
            "design_texts_save",
            lambda: design.edit_texts(draft_id, texts, actor_id=user.id),
            tr("design.saved"),
        )


def question_controls(draft_id: int, definition: dict) -> None:
    questions = definition["questions"]
    codes = [NEW_QUESTION] + [q["code"] for q in questions]
    apply_selection("design_question", codes)
    chosen = st.selectbox(
        tr("design.edit_question"),
        codes,
        key="design_question",
        format_func=lambda c: tr("design.add_question") if c == NEW_QUESTION else c,
    )
    index = codes.index(chosen) - 1
    existing = questions[index] if chosen != NEW_QUESTION else None
    earlier = questions[:index] if existing else questions
    edited = question_editor(existing, earlier, key=f"qe_{draft_id}_{chosen}")
    buttons = st.columns(4)
    select_edited = lambda _saved: select_next("design_question", edited["code"])  # noqa: E731
    if existing is None:
        action_button(
            tr("design.add_question"),
            "design_q_save",
            lambda: design.add_question(draft_id, edited, actor_id=user.id),
            tr("design.saved"),
            where=buttons[0],
            primary=True,
            then=select_edited,
        )
        return
    action_button(
        tr("design.save_question"),
        "design_q_save",
        lambda: design.update_question(draft_id, chosen, edited, actor_id=user.id),
        tr("design.saved"),
        where=buttons[0],
        primary=True,
        then=select_edited,
    )
    action_button(
        tr("design.move_up"),
        "design_q_up",
        lambda: design.move_question(draft_id, chosen, -1, actor_id=user.id),
        tr("design.saved"),
        where=buttons[1],
    )
    action_button(
        tr("design.move_down"),
        "design_q_down",
        lambda: design.move_question(draft_id, chosen, 1, actor_id=user.id),
        tr("design.saved"),
        where=buttons[2],
    )
    action_button(
        tr("design.delete_question"),
        "design_q_delete",
        lambda: design.delete_question(draft_id, chosen, actor_id=user.id),
        tr("design.saved"),
        where=buttons[3],
        then=lambda _saved: select_next("design_question", NEW_QUESTION),
    )


def preview_tab(survey: SurveyDetail) -> None:
    versions = {v.number: v for v in (survey.live, survey.draft) if v is not None}
    cols = st.columns(3)
    number = cols[0].selectbox(
        tr("design.preview_version"),
        list(versions),
        index=len(versions) - 1,
        key="design_preview_version",
        format_func=lambda n: tr("design.version_n", number=n),
    )
    language = cols[1].selectbox(
        tr("design.preview_language"),
        LANGUAGES,
        key="design_preview_lang",
        index=LANGUAGES.index(survey.default_language),
    )
    sample = answering.preview_questionnaire(versions[number].id, language)
    pages = sorted({q.page for q in sample.questions}) or [1]
    page = cols[2].selectbox(tr("design.preview_page"), pages, key="design_preview_page")
    st.iframe(
        survey_page(sample, page, language, fields={}, problems={}, hidden={}, path="#", preview=True),
        height=900,
        alt=tr("design.preview"),
    )
    st.caption(tr("design.preview_help"))


def publish_tab(survey: SurveyDetail) -> None:
    draft, live = survey.draft, survey.live
    if draft is not None:
        st.write(tr("design.publish_explain", number=draft.number))
        action_button(
            tr("design.publish", number=draft.number),
            "design_publish",
            lambda: design.publish_draft(survey.id, actor_id=user.id),
            tr("design.published", number=draft.number),
            primary=True,
        )
    elif live is not None:
        st.write(tr("design.live_explain", number=live.number))
    if survey.status == SurveyStatus.LIVE:
        action_button(
            tr("design.close"),
            "design_close",
            lambda: design.close_survey(survey.id, actor_id=user.id),
            tr("design.closed"),
        )
    elif survey.status == SurveyStatus.CLOSED:
        action_button(
            tr("design.reopen"),
            "design_reopen",
            lambda: design.reopen_survey(survey.id, actor_id=user.id),
            tr("design.reopened"),
        )
    st.dataframe(
        pd.DataFrame(
            [
                {
                    tr("design.version"): v.number,
                    tr("design.status"): label("survey_status", v.status, lang()),
                    tr("design.published_at"): local_time(v.published_at),
                }
                for v in survey.versions
            ]
        ),
        hide_index=True,
        width="stretch",
    )


def files_tab(survey: SurveyDetail) -> None:
    for version in (v for v in (survey.live, survey.draft) if v is not None):
        st.download_button(
            tr("design.export", number=version.number),
            design.export_json(version.id).encode("utf-8"),
            file_name=f"{survey.code}-v{version.number}.json",
            mime="application/json",
            key=f"design_export_{version.number}",
        )
    st.divider()
    st.write(tr("design.import_explain"))
    uploaded = st.file_uploader(tr("design.import"), type=["json"], key="design_import")
    if uploaded is not None:
        action_button(
            tr("design.import_submit"),
            "design_import_submit",
            lambda: design.import_json(uploaded.getvalue(), actor_id=user.id),
            tr("design.imported"),
            primary=True,
            then=lambda imported: select_next("design_survey", imported),
        )


def link_made(made: distribution.PersonalLinkMade) -> None:
    """The link to copy, and whether it is new, the live one the customer had, or replaces it."""
    st.session_state[LINK_TO_COPY] = made.link
    if made.outcome != distribution.LinkOutcome.CREATED:
        feedback.info(PAGE, tr(f"design.link_{made.outcome}"))


def links_tab(survey: SurveyDetail) -> None:
    st.subheader(tr("design.personal_link"))
    with st.form("design_personal_link"):
        cols = st.columns([2, 1, 1], vertical_alignment="bottom")
        customer = cols[0].text_input(tr("design.customer_id"), key="design_link_customer")
        language = cols[1].selectbox(
            tr("design.link_language"),
            ["", *LANGUAGES],
            key="design_link_lang",
            format_func=lambda v: v or tr("design.customer_language"),
        )
        replace = st.checkbox(tr("design.replace_link"), key="design_link_replace", help=tr("design.replace_link_help"))
        action_button(
            tr("design.create_link"),
            "design_link_create",
            lambda: distribution.personal_link(
                survey.code, customer, language=language or None, replace=replace, actor_id=user.id
            ),
            tr("design.link_created"),
            where=cols[2],
            submits_form=True,
            then=link_made,
        )
    st.subheader(tr("design.public_links"))
    links = answering.public_links_of(survey.id)
    if links:
        public_link_table(links)
        qr_panel(links)
    new_public_link_form(survey)


def public_link_table(links: list[PublicLinkRow]) -> None:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    tr("design.slug"): link.slug,
                    tr("design.label"): link.label,
                    tr("design.touch_point"): label("touch_point", link.touch_point, lang()),
                    tr("design.region"): label("region", link.region, lang()),
                    tr("design.team"): team_label(link.team, lang()),
                    tr("design.active"): link.active,
                    tr("design.address"): link.address,
                }
                for link in links
            ]
        ),
        hide_index=True,
        width="stretch",
    )


def qr_panel(links: list[PublicLinkRow]) -> None:
    by_slug = {link.slug: link for link in links}
    slug = st.selectbox(tr("design.qr_for"), list(by_slug), key="design_qr_pick")
    link = by_slug[slug]
    png = answering.public_link_qr_code(link, "png")
    left, right = st.columns([1, 2])
    left.image(png, width=220, caption=link.address)  # our own address; its slug is [a-z0-9-]
    right.download_button(tr("design.qr_png"), png, file_name=f"qr-{slug}.png", mime="image/png", key="design_qr_png")
    right.download_button(
        tr("design.qr_svg"),
        answering.public_link_qr_code(link, "svg"),
        file_name=f"qr-{slug}.svg",
        mime="image/svg+xml",
        key="design_qr_svg",
    )
    toggle = tr("design.deactivate") if link.active else tr("design.activate")
    outcome = tr("design.link_deactivated" if link.active else "design.link_activated", slug=slug)
    action_button(
        toggle,
        "design_qr_toggle",
        lambda: answering.set_public_link_active(link.id, not link.active, actor_id=user.id),
        outcome,
        where=right,
    )


def new_public_link_form(survey: SurveyDetail) -> None:
    """A public link's region and team come from the operator's own lists, the ones campaigns pick
    from, so its answers land in the same groups as the campaigns' (not in a typo of them)."""
    known = distribution.audience_options()
    with st.form("design_new_public_link"):
        st.caption(tr("design.new_public_link"))
        cols = st.columns(2)
        slug = cols[0].text_input(tr("design.slug"), key="design_pl_slug", help=tr("design.slug_help"))
        link_label = cols[1].text_input(tr("design.label"), key="design_pl_label")
        cols = st.columns(3)
        touch = cols[0].selectbox(
            tr("design.touch_point"),
            [t.value for t in TouchPoint],
            key="design_pl_touch",
            format_func=lambda v: label("touch_point", v, lang()),
        )
        region = cols[1].selectbox(
            tr("design.region"),
            [None, *known["regions"]],
            key="design_pl_region",
            format_func=lambda v: label("region", v, lang()) if v else "—",
        )
        team = cols[2].selectbox(
            tr("design.team"),
            [None, *known["teams"]],
            key="design_pl_team",
            format_func=lambda v: team_label(v, lang()) if v else "—",
        )
        action_button(
            tr("design.create_public_link"),
            "design_pl_create",
            lambda: answering.create_public_link(
                survey.id, slug, label=link_label, touch_point=touch, region=region, team=team, actor_id=user.id
            ),
            tr("design.public_link_created", slug=slug),
            submits_form=True,
        )


# ---------------------------------------------------------------- the page

show_outcome()
rows = design.survey_list()
survey_table(rows)
new_survey_form()
if rows:
    codes = [r.code for r in rows]
    apply_selection("design_survey", codes)
    names = {r.code: f"{r.code} · {name_of(r)}" for r in rows}
    code = st.selectbox(tr("design.pick"), codes, key="design_survey", format_func=names.get)
    chosen_row = next(r for r in rows if r.code == code)
    figures = st.columns(4)
    figures[0].metric(tr("design.status"), label("survey_status", chosen_row.status, lang()))
    figures[1].metric(tr("design.live_version"), chosen_row.live_version or "—")
    figures[2].metric(tr("design.draft_version"), chosen_row.draft_version or "—")
    figures[3].metric(tr("design.responses"), count(chosen_row.responses))
    survey = design.survey_detail(code)
    tabs = st.tabs(
        [
            tr("design.tab_questions"),
            tr("design.tab_preview"),
            tr("design.tab_publish"),
            tr("design.tab_files"),
            tr("design.tab_links"),
        ],
        key="design_tab",
        on_change="rerun",
    )  # the chosen tab stays chosen when a widget reruns
    with tabs[0]:
        questions_tab(survey)
    with tabs[1]:
        preview_tab(survey)
    with tabs[2]:
        publish_tab(survey)
    with tabs[3]:
        files_tab(survey)
    with tabs[4]:
        links_tab(survey)
