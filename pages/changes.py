"""Service changes: record them (quality staff) and see what each one did to perceived quality."""

import pandas as pd
import streamlit as st

from survey.core.dates import date_text
from survey.core.i18n import label
from survey.core.vocab import ChangeKind, Dimension, Role
from survey.insight import charts, service
from survey.insight.service import ChangeError, ChangeInput, question_label
from survey.overview import local_today
from ui import feedback
from ui import format as fmt
from ui import insight as view
from ui.filters import group_pickers
from ui.session import lang, require_page, tr
from ui.text import plain

PAGE = "changes"
SCOPE_LABELS = {"regions": "changes.regions", "touch_points": "changes.touch_points", "tiers": "changes.tiers"}

user = require_page(__file__)
language, text = view.fixed_language()
can_edit = user.role == Role.QUALITY
st.title(tr("page.changes"))
feedback.show(PAGE)
version = view.data_version()
url = view.current_url()
changes = service.recorded_changes()
results = view.impacts(url, version, tuple(changes))
options = view.filter_options(url, version)
survey_codes = {survey.code: survey.name(language) for survey in options.surveys}


def title_of(result) -> str:
    return result.title if language == "zh-CN" else result.title_en


def estimate_cell(result, key: str, digits: int = 2) -> str:
    estimate = result.estimates().get(key)
    if estimate is None:
        return "—"
    return fmt.estimate_with_interval(estimate.estimate, estimate.ci_low, estimate.ci_high, digits)


# ---------------------------------------------------------------- all changes
st.subheader(tr("changes.table"))
if not results:
    st.info(tr("changes.none"))
else:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    tr("changes.col.date"): fmt.day(r.changed_on),
                    tr("changes.col.title"): title_of(r),
                    tr("changes.col.question"): question_label(r, lang()),
                    tr("changes.col.before_after"): estimate_cell(r, "before_after"),
                    tr("changes.col.its_level"): estimate_cell(r, "its_level" if not r.temporary else "window"),
                    tr("changes.col.its_slope"): estimate_cell(r, "its_slope", 4),
                    tr("changes.col.did"): estimate_cell(r, "did"),
                    tr("changes.col.p_fdr"): fmt.p_cell(r.p_adjusted(r.primary) if r.primary else None),
                    tr("changes.col.flagged"): r.flagged,
                }
                for r in results
            ]
        ),
        hide_index=True,
        width="stretch",
        key="changes_table",
    )
    st.caption(tr("changes.table_caption"))

# ---------------------------------------------------------------- one change
if results:
    st.subheader(tr("changes.analysis"))
    by_id = {r.change_id: r for r in results}
    chosen = st.selectbox(
        tr("changes.choose"),
        list(by_id),
        format_func=lambda i: f"{date_text(by_id[i].changed_on, language)} · {title_of(by_id[i])}",
        key="changes_choose",
    )
    result = by_id[chosen]
    other = "en" if lang() == "zh-CN" else "zh-CN"
    (st.success if result.flagged else st.info)(plain(result.verdict(lang())))  # it names the change's title
    st.caption(plain(result.verdict(other)))
    scope = [
        plain(", ".join(label(v, x, lang()) for x in values))
        for v, values in (
            ("region", result.scope.regions),
            ("touch_point", result.scope.touch_points),
            ("tier", result.scope.tiers),
        )
    ]
    st.caption(
        tr(
            "changes.scope",
            regions=scope[0] or tr("insight.all"),
            touch_points=scope[1] or tr("insight.all"),
            tiers=scope[2] or tr("insight.all"),
            survey=plain(survey_codes.get(result.survey_code, tr("insight.all"))),
            grain=tr(f"grain.{result.grain}") if result.grain else "—",
        )
    )
    for note in result.notes:
        st.warning(tr(f"impact.note.{note}"))
    texts = charts.texts(language)
    if not result.series.empty:
        fitted = None
        model = result.its or result.window
        if model is not None:
            fitted = model.table[["time", "fitted", "counterfactual"]]
        view.chart(
            charts.impact_series_chart(result.series, fitted, result.changed_on, result.ends_on, texts),
            width="stretch",
            key="impact_chart",
        )
        st.caption(tr("changes.series_caption"))
    columns = st.columns(3)
    with columns[0]:
        st.markdown(f"**{tr('impact.estimate.before_after')}**")
        if result.before_after is not None:
            st.write(result.before_after.summary(lang()))
            for warning in result.before_after.caveats(lang()):
                st.caption(f"⚠ {warning}")
    with columns[1]:
        st.markdown(f"**{tr('changes.its')}**")
        model = result.its or result.window
        if model is not None:
            st.write(model.summary(lang()))
            for warning in model.caveats(lang()):
                st.caption(f"⚠ {warning}")
    with columns[2]:
        st.markdown(f"**{tr('impact.estimate.did')}**")
        if result.did is not None:
            st.write(result.did.summary(lang()))
            pre = result.did.pre_trend
            if pre is not None:
                verdict = "changes.pretrend_failed" if result.pretrend_failed else "changes.pretrend_ok"
                st.caption(tr(verdict, p=fmt.p_value(pre.p_value), joint=fmt.p_value(pre.details.get("joint_p"))))
            for warning in result.did.caveats(lang()):
                st.caption(f"⚠ {warning}")
    if result.did is not None and result.did.event_study is not None:
        st.markdown(f"**{tr('changes.event_study')}**")
        view.chart(charts.event_study_chart(result.did.event_study, texts), width="stretch", key="event_chart")
    if result.primary and not result.flagged and result.minimum_detectable():
        st.info(
            tr(
                "changes.power",
                mde=fmt.number(result.minimum_detectable()),
                method=tr(f"impact.estimate.{result.primary}"),
            )
        )

# ---------------------------------------------------------------- record / edit
st.subheader(tr("changes.record"))
if not can_edit:
    st.caption(tr("changes.read_only"))
else:
    existing = {change.id: change for change in changes}
    editing = st.selectbox(
        tr("changes.edit"),
        [None, *existing],
        key="changes_edit",
        format_func=lambda i: text("changes.new") if i is None else f"#{i} {existing[i].title}",
    )
    current = existing.get(editing)
    survey_code = st.selectbox(
        tr("changes.survey"),
        [None, *survey_codes],
        key="change_survey",
        index=[None, *survey_codes].index(current.survey_code) if current else 0,
        format_func=lambda c: text("insight.all") if c is None else survey_codes[c],
    )
    questions = service.rating_questions(survey_code)
    with st.form("change_form"):
        title = st.text_input(tr("changes.title"), value=current.title if current else "", key="change_title")
        title_en = st.text_input(
            tr("changes.title_en"), value=current.title_en if current else "", key="change_title_en"
        )
        description = st.text_area(
            tr("changes.description"), value=current.description if current else "", key="change_description"
        )
        left, right = st.columns(2)
        changed_on = left.date_input(
            tr("changes.date"), value=current.changed_on if current else local_today(), key="change_date"
        )
        ends_on = right.date_input(
            tr("changes.end"), value=current.ends_on if current else None, help=tr("changes.end_help"), key="change_end"
        )
        kind = left.selectbox(
            tr("changes.kind"),
            [k.value for k in ChangeKind],
            key="change_kind",
            index=[k.value for k in ChangeKind].index(current.kind) if current else 0,
            format_func=lambda k: text(f"change_kind.{k}"),
        )
        owner = right.text_input(tr("changes.owner"), value=current.owner if current else "", key="change_owner")
        scope = group_pickers(
            "change",
            options,
            (st, st, st),
            labels=SCOPE_LABELS,
            language=language,
            defaults={"regions": current.regions, "touch_points": current.touch_points, "tiers": current.tiers}
            if current
            else None,
        )
        codes = [None, *dict.fromkeys(code for code, _ in questions)]
        question_code = left.selectbox(
            tr("changes.question"),
            codes,
            key="change_question",
            index=codes.index(current.question_code) if current and current.question_code in codes else 0,
            format_func=lambda c: "—" if c is None else c,
        )
        dimensions = [None, *(d.value for d in Dimension)]
        dimension = right.selectbox(
            tr("changes.dimension"),
            dimensions,
            key="change_dimension",
            index=dimensions.index(current.dimension) if current and current.dimension in dimensions else 0,
            format_func=lambda d: "—" if d is None else label("dimension", d, language),
        )
        expected = st.text_input(
            tr("changes.expected"), value=current.expected_effect if current else "", key="change_expected"
        )
        submitted = st.form_submit_button(tr("changes.save"), type="primary", key="change_save")
    if submitted:
        data = ChangeInput(
            title=title,
            title_en=title_en,
            description=description,
            changed_on=changed_on,
            ends_on=ends_on or None,
            kind=kind,
            regions=list(scope["regions"]),
            touch_points=list(scope["touch_points"]),
            tiers=list(scope["tiers"]),
            survey_code=survey_code,
            dimension=dimension,
            question_code=question_code,
            owner=owner,
            expected_effect=expected,
        )
        try:
            saved = service.save_change(user.id, data, change_id=editing)
        except ChangeError as exc:
            st.error(plain(feedback.refusal_text(exc)))
        else:
            feedback.success(PAGE, tr("changes.saved", title=saved.title))
            st.rerun()
