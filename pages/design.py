"""Survey design (quality team): new surveys from templates or scratch, drafts edited question
by question, a preview that is the customer's page itself, publishing, new versions of live
surveys, JSON export and import, personal links, and public links with QR codes to print."""

from collections.abc import Callable

import pandas as pd
import streamlit as st

from survey.accounts import auth
from survey.core import db as database
from survey.design import drafts
from survey.distribution import personal_links
from survey.collect import public_links
from survey.design.definitions import (
    DefinitionError, FrozenVersionError, create_survey, definition_of, live_version, questions_of, survey_by_code,
)
from survey.core.i18n import LANGUAGES, label, t, text_in
from survey.core.links import public_link
from survey.models import PublicLink, Survey, SurveyVersion
from survey.overview import local_today
from survey.collect.visit import Questionnaire
from survey.design.templates import TEMPLATES, template
from survey.core.vocab import SurveyStatus, TouchPoint
from survey.web.render import survey_page
from ui.format import count
from ui.question_editor import bilingual_input, question_editor
from ui.session import lang, require_page, tr

user = require_page(__file__)
st.title(tr("page.design"))
FLASH_KEY = "design_flash"
SCRATCH = "scratch"
NEW_QUESTION = "__new__"


def flash(kind: str, message: str) -> None:
    st.session_state[FLASH_KEY] = (kind, message)


def select_next(key: str, value: str | None) -> None:
    """Choose what a selectbox shows after the rerun (a widget's own key cannot change once drawn)."""
    st.session_state[f"{key}__next"] = value


def apply_selection(key: str, options: list[str]) -> None:
    chosen = st.session_state.pop(f"{key}__next", st.session_state.get(key))
    st.session_state[key] = chosen if chosen in options else options[0]


def show_flash() -> None:
    kind, message = st.session_state.pop(FLASH_KEY, (None, None))
    if kind == "success":
        st.success(message)
    elif kind == "code":
        st.success(tr("design.link_created"))
        st.code(message, language=None)


def attempt(change: Callable, success: str) -> bool:
    """Run a change in one transaction; show what is wrong instead of failing."""
    try:
        with database.session() as db:
            change(db, auth.acting_user(db, user.id))
    except DefinitionError as exc:
        st.error(tr("design.problems") + "\n\n" + "\n".join(f"- {p}" for p in exc.problems))
        return False
    except (FrozenVersionError, ValueError) as exc:
        st.error(str(exc))
        return False
    flash("success", success)
    return True


def action_button(caption: str, key: str, change: Callable, success: str, *, where=st, primary: bool = False,
                  then: Callable[[], None] | None = None, submits_form: bool = False) -> None:
    """A button that makes one change and shows the page again (or says what is wrong)."""
    press = where.form_submit_button if submits_form else where.button
    if press(caption, key=key, type="primary" if primary else "secondary") and attempt(change, success):
        if then is not None:
            then()
        st.rerun()


def name_of(row: dict) -> str:
    return text_in({"zh-CN": row["name_zh"], "en": row["name_en"]}, lang())


# ---------------------------------------------------------------- the list and a new survey

def survey_table(rows: list[dict]) -> None:
    st.dataframe(pd.DataFrame([{
        tr("design.code"): r["code"], tr("design.name"): name_of(r),
        tr("design.status"): label("survey_status", r["status"], lang()),
        tr("design.live_version"): r["live_version"] or "—", tr("design.draft_version"): r["draft_version"] or "—",
        tr("design.responses"): r["responses"],
    } for r in rows]), hide_index=True, width="stretch")


def new_survey_form() -> None:
    with st.expander(tr("design.new"), expanded=not rows), st.form("design_new_survey"):
        sources = [*TEMPLATES, SCRATCH]
        source = st.selectbox(tr("design.new_source"), sources, key="design_new_source",
                              format_func=lambda s: tr("design.scratch") if s == SCRATCH else
                              text_in(TEMPLATES[s]["name"], lang()))
        code = st.text_input(tr("design.code"), key="design_new_code", help=tr("design.code_help"))
        left, right = st.columns(2)
        name_zh = left.text_input(tr("design.name_zh"), key="design_new_name_zh")
        name_en = right.text_input(tr("design.name_en"), key="design_new_name_en")
        action_button(tr("design.create"), "design_new_create",
                      lambda db, actor: create_survey(db, starting_definition(source, code.strip(), name_zh.strip(),
                                                                              name_en.strip()),
                                                      actor=actor, template=None if source == SCRATCH else source),
                      tr("design.created", code=code), primary=True, submits_form=True,
                      then=lambda: select_next("design_survey", code.strip()))


def starting_definition(source: str, code: str, name_zh: str, name_en: str) -> dict:
    """A template (under a new code and name), or a blank survey with one overall question."""
    if source == SCRATCH:
        definition = {"questions": [{
            "code": "overall", "type": "rating", "dimension": "overall", "scale": [1, 5], "required": True,
            "text": {"zh-CN": "总体而言，您对我们的服务满意吗？",
                     "en": "Overall, how satisfied are you with our service?"},
        }]}
    else:
        definition = template(source)
    names = definition.get("name", {})
    definition["code"] = code
    definition["name"] = {"zh-CN": name_zh or names.get("zh-CN", ""), "en": name_en or names.get("en", "")}
    definition.setdefault("title", dict(definition["name"]))
    return definition


# ---------------------------------------------------------------- one survey

def questions_tab(survey, draft, live) -> None:
    with database.session() as db:
        definition = definition_of(db, draft or live)
    question_table(definition["questions"])
    if draft is None:
        st.info(tr("design.frozen", number=live.number))
        action_button(tr("design.new_version"), "design_new_version",
                      lambda db, actor: drafts.start_new_version(db, db.get(Survey, survey.id), actor=actor),
                      tr("design.new_version_done"), primary=True)
        return
    st.caption(tr("design.editing", number=draft.number))
    texts_editor(draft, definition)
    question_controls(draft, definition)


def question_table(questions: list[dict]) -> None:
    st.dataframe(pd.DataFrame([{
        "#": i, tr("design.q_page"): q.get("page", 1), tr("design.q_code"): q["code"],
        tr("design.q_type"): tr(f"question_type.{q['type']}"), tr("design.q_required"): q.get("required", True),
        tr("design.q_dimension"): label("dimension", q.get("dimension"), lang()),
        tr("design.q_text"): text_in(q["text"], lang()),
        tr("design.q_condition"): condition_text(q.get("condition")),
    } for i, q in enumerate(questions, start=1)]), hide_index=True, width="stretch")


def condition_text(condition: dict | None) -> str:
    return f"{condition['question']} {condition['op']} {condition['value']}" if condition else ""


def texts_editor(draft, definition: dict) -> None:
    with st.expander(tr("design.texts")):
        texts = {field_name: bilingual_input(tr(f"design.{field_name}"), definition.get(field_name),
                                             f"design_{draft.id}_{field_name}", area=field_name != "name")
                 for field_name in ("name", "title", "intro", "thanks")}
        st.caption(tr("design.piping_help"))
        action_button(tr("design.save_texts"), "design_texts_save",
                      lambda db, actor: drafts.edit_texts(db, db.get(SurveyVersion, draft.id), texts, actor=actor),
                      tr("design.saved"))


def question_controls(draft, definition: dict) -> None:
    questions = definition["questions"]
    codes = [NEW_QUESTION] + [q["code"] for q in questions]
    apply_selection("design_question", codes)
    chosen = st.selectbox(tr("design.edit_question"), codes, key="design_question",
                          format_func=lambda c: tr("design.add_question") if c == NEW_QUESTION else c)
    index = codes.index(chosen) - 1
    existing = questions[index] if chosen != NEW_QUESTION else None
    earlier = questions[:index] if existing else questions
    edited = question_editor(existing, earlier, key=f"qe_{draft.id}_{chosen}")
    buttons = st.columns(4)
    version = lambda db: db.get(SurveyVersion, draft.id)  # noqa: E731
    select_edited = lambda: select_next("design_question", edited["code"])  # noqa: E731
    if existing is None:
        action_button(tr("design.add_question"), "design_q_save",
                      lambda db, actor: drafts.add_question(db, version(db), edited, actor=actor),
                      tr("design.saved"), where=buttons[0], primary=True, then=select_edited)
        return
    action_button(tr("design.save_question"), "design_q_save",
                  lambda db, actor: drafts.update_question(db, version(db), chosen, edited, actor=actor),
                  tr("design.saved"), where=buttons[0], primary=True, then=select_edited)
    action_button(tr("design.move_up"), "design_q_up",
                  lambda db, actor: drafts.move_question(db, version(db), chosen, -1, actor=actor),
                  tr("design.saved"), where=buttons[1])
    action_button(tr("design.move_down"), "design_q_down",
                  lambda db, actor: drafts.move_question(db, version(db), chosen, 1, actor=actor),
                  tr("design.saved"), where=buttons[2])
    action_button(tr("design.delete_question"), "design_q_delete",
                  lambda db, actor: drafts.delete_question(db, version(db), chosen, actor=actor),
                  tr("design.saved"), where=buttons[3], then=lambda: select_next("design_question", NEW_QUESTION))


def preview_tab(survey, draft, live) -> None:
    versions = {v.number: v for v in (live, draft) if v is not None}
    cols = st.columns(3)
    number = cols[0].selectbox(tr("design.preview_version"), list(versions), index=len(versions) - 1,
                               key="design_preview_version", format_func=lambda n: tr("design.version_n", number=n))
    language = cols[1].selectbox(tr("design.preview_language"), LANGUAGES, key="design_preview_lang",
                                 index=LANGUAGES.index(survey.default_language))
    with database.session() as db:
        questions = questions_of(db, versions[number])
    pages = sorted({q.page for q in questions}) or [1]
    page = cols[2].selectbox(tr("design.preview_page"), pages, key="design_preview_page")
    sample = Questionnaire(survey, versions[number], questions, language, name=t("design.sample_name", language),
                           event_day=local_today(), touch_point=TouchPoint.BUSINESS_HALL)
    st.iframe(survey_page(sample, page, language, fields={}, problems={}, hidden={}, path="#", preview=True),
              height=900, alt=tr("design.preview"))
    st.caption(tr("design.preview_help"))


def publish_tab(survey, draft, live) -> None:
    if draft is not None:
        st.write(tr("design.publish_explain", number=draft.number))
        action_button(tr("design.publish", number=draft.number), "design_publish",
                      lambda db, actor: drafts.publish_draft(db, db.get(Survey, survey.id), actor=actor),
                      tr("design.published", number=draft.number), primary=True)
    elif live is not None:
        st.write(tr("design.live_explain", number=live.number))
    if survey.status == SurveyStatus.LIVE:
        action_button(tr("design.close"), "design_close",
                      lambda db, actor: drafts.close_survey(db, db.get(Survey, survey.id), actor=actor),
                      tr("design.closed"))
    elif survey.status == SurveyStatus.CLOSED:
        action_button(tr("design.reopen"), "design_reopen",
                      lambda db, actor: drafts.reopen_survey(db, db.get(Survey, survey.id), actor=actor),
                      tr("design.reopened"))
    with database.session() as db:
        versions = drafts.versions_of(db, db.get(Survey, survey.id))
    st.dataframe(pd.DataFrame([{
        tr("design.version"): v.number, tr("design.status"): label("survey_status", v.status, lang()),
        tr("design.published_at"): v.published_at,
    } for v in versions]), hide_index=True, width="stretch")


def files_tab(survey, draft, live) -> None:
    for version in (v for v in (live, draft) if v is not None):
        with database.session() as db:
            data = drafts.export_json(db, version)
        st.download_button(tr("design.export", number=version.number), data.encode("utf-8"),
                           file_name=f"{survey.code}-v{version.number}.json", mime="application/json",
                           key=f"design_export_{version.number}")
    st.divider()
    st.write(tr("design.import_explain"))
    uploaded = st.file_uploader(tr("design.import"), type=["json"], key="design_import")
    if uploaded is not None:
        imported = {}
        action_button(tr("design.import_submit"), "design_import_submit",
                      lambda db, actor: imported.update(
                          code=drafts.import_json(db, uploaded.getvalue(), actor=actor)[0].code),
                      tr("design.imported"), primary=True,
                      then=lambda: select_next("design_survey", imported["code"]))


def links_tab(survey) -> None:
    st.subheader(tr("design.personal_link"))
    with st.form("design_personal_link"):
        cols = st.columns([2, 1, 1], vertical_alignment="bottom")
        customer = cols[0].text_input(tr("design.customer_id"), key="design_link_customer")
        language = cols[1].selectbox(tr("design.link_language"), ["", *LANGUAGES], key="design_link_lang",
                                     format_func=lambda v: v or tr("design.customer_language"))
        made = {}
        action_button(tr("design.create_link"), "design_link_create",
                      lambda db, actor: made.update(link=personal_links.create_personal_link(
                          db, survey.code, customer.strip(), language=language or None, actor=actor)[1]),
                      "", where=cols[2], submits_form=True, then=lambda: flash("code", made["link"]))
    st.subheader(tr("design.public_links"))
    with database.session() as db:
        links = public_links.links_of(db, db.get(Survey, survey.id))
    if links:
        public_link_table(links)
        qr_panel(links)
    new_public_link_form(survey)


def public_link_table(links) -> None:
    st.dataframe(pd.DataFrame([{
        tr("design.slug"): link.slug, tr("design.label"): link.label,
        tr("design.touch_point"): label("touch_point", link.touch_point, lang()),
        tr("design.region"): link.region or "", tr("design.team"): link.team or "", tr("design.active"): link.active,
        tr("design.address"): public_link(link.slug),
    } for link in links]), hide_index=True, width="stretch")


def qr_panel(links) -> None:
    by_slug = {link.slug: link for link in links}
    slug = st.selectbox(tr("design.qr_for"), list(by_slug), key="design_qr_pick")
    link = by_slug[slug]
    left, right = st.columns([1, 2])
    left.image(public_links.qr_code(link, "png"), width=220, caption=public_link(slug))
    right.download_button(tr("design.qr_png"), public_links.qr_code(link, "png"), file_name=f"qr-{slug}.png",
                          mime="image/png", key="design_qr_png")
    right.download_button(tr("design.qr_svg"), public_links.qr_code(link, "svg"), file_name=f"qr-{slug}.svg",
                          mime="image/svg+xml", key="design_qr_svg")
    toggle = tr("design.deactivate") if link.active else tr("design.activate")
    action_button(toggle, "design_qr_toggle",
                  lambda db, actor: public_links.set_active(db, db.get(PublicLink, link.id), not link.active,
                                                            actor=actor),
                  tr("design.saved"), where=right)


def new_public_link_form(survey) -> None:
    with st.form("design_new_public_link"):
        st.caption(tr("design.new_public_link"))
        cols = st.columns(2)
        slug = cols[0].text_input(tr("design.slug"), key="design_pl_slug", help=tr("design.slug_help"))
        link_label = cols[1].text_input(tr("design.label"), key="design_pl_label")
        cols = st.columns(3)
        touch = cols[0].selectbox(tr("design.touch_point"), [t.value for t in TouchPoint], key="design_pl_touch",
                                  format_func=lambda v: label("touch_point", v, lang()))
        region = cols[1].text_input(tr("design.region"), key="design_pl_region")
        team = cols[2].text_input(tr("design.team"), key="design_pl_team")
        action_button(tr("design.create_public_link"), "design_pl_create",
                      lambda db, actor: public_links.create_public_link(
                          db, db.get(Survey, survey.id), slug, label=link_label, touch_point=touch, region=region,
                          team=team, actor=actor),
                      tr("design.public_link_created", slug=slug), submits_form=True)


# ---------------------------------------------------------------- the page

show_flash()
with database.session() as db:
    rows = drafts.survey_rows(db)
survey_table(rows)
new_survey_form()
if rows:
    codes = [r["code"] for r in rows]
    apply_selection("design_survey", codes)
    names = {r["code"]: f"{r['code']} · {name_of(r)}" for r in rows}
    code = st.selectbox(tr("design.pick"), codes, key="design_survey", format_func=names.get)
    chosen_row = next(r for r in rows if r["code"] == code)
    figures = st.columns(4)
    figures[0].metric(tr("design.status"), label("survey_status", chosen_row["status"], lang()))
    figures[1].metric(tr("design.live_version"), chosen_row["live_version"] or "—")
    figures[2].metric(tr("design.draft_version"), chosen_row["draft_version"] or "—")
    figures[3].metric(tr("design.responses"), count(chosen_row["responses"]))
    with database.session() as db:
        survey = survey_by_code(db, code)
        draft, live = drafts.draft_version(db, survey), live_version(db, survey)
    tabs = st.tabs([tr("design.tab_questions"), tr("design.tab_preview"), tr("design.tab_publish"),
                    tr("design.tab_files"), tr("design.tab_links")],
                   key="design_tab", on_change="rerun")   # the chosen tab stays chosen when a widget reruns
    with tabs[0]:
        questions_tab(survey, draft, live)
    with tabs[1]:
        preview_tab(survey, draft, live)
    with tabs[2]:
        publish_tab(survey, draft, live)
    with tabs[3]:
        files_tab(survey, draft, live)
    with tabs[4]:
        links_tab(survey)
