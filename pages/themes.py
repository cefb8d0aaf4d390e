"""Comment themes: what customers complain about in their own words, per period, with example
comments; quality staff edit the keyword rules that classify them."""

from datetime import timedelta

import altair as alt
import pandas as pd
import streamlit as st

from survey.cases import service
from survey.core.errors import SurveyError
from survey.core.filters import filter_choices
from survey.core.i18n import label
from survey.core.vocab import Role
from survey.overview import local_today
from survey.privacy.service import text_for
from ui import feedback
from ui.filters import filter_row, period_input
from ui.format import count, day, pct
from ui.insight import chart as draw_chart
from ui.session import lang, require_page, tr
from ui.text import plain

PAGE = "themes"

user = require_page(__file__)
st.title(tr("themes.page"))
feedback.show(PAGE)

with st.spinner(tr("themes.classifying")):
    service.classify_new_comments()
choices = filter_choices()

today = local_today()
top = st.columns([2, 1, 1])
period = period_input(
    tr("cases.period"), (today - timedelta(days=364), today), "themes_period", container=top[0], max_value=today
)
grain = top[1].selectbox(
    tr("themes.grain"),
    list(service.THEME_PERIODS),
    index=1,
    key="themes_grain",
    format_func=lambda p: tr(f"themes.grain_{p}"),
)
by = top[2].selectbox(
    tr("themes.by"),
    [None, "region", "tier", "touch_point"],
    key="themes_by",
    format_func=lambda g: tr("themes.by_none") if g is None else tr(f"themes.by_{g}"),
)
filters = filter_row("themes", choices, period)
if filters is None:
    st.info(tr("cases.pick_period"))
    st.stop()

counts = service.theme_counts(filters, period=grain, by=by)
if counts.empty:
    st.info(tr("themes.none"))
else:
    counts["theme_label"] = [label("dimension", t, lang()) for t in counts["theme"]]
    counts["period"] = pd.to_datetime(counts["period"])
    complaints = counts[counts["theme"] != service.OTHER_THEME]
    totals = counts.drop_duplicates(["period", *([by] if by else [])])["total"].sum()
    named = complaints.groupby("theme")["comments"].sum().sort_values(ascending=False)
    cols = st.columns(3)
    cols[0].metric(tr("themes.comments"), count(int(totals)))
    cols[1].metric(
        tr("themes.with_complaint"),
        pct(named.sum() / totals if totals else None),
        help=tr("themes.with_complaint_help"),
    )
    cols[2].metric(tr("themes.top"), label("dimension", named.index[0], lang()) if len(named) else "—")
    chart = (
        alt.Chart(complaints)
        .mark_bar()
        .encode(
            x=alt.X("period:T", title=tr("themes.period")),
            y=alt.Y("comments:Q", title=tr("themes.comments")),
            color=alt.Color("theme_label:N", title=tr("themes.theme")),
            tooltip=[
                alt.Tooltip("period:T", title=tr("themes.period")),
                alt.Tooltip("theme_label:N", title=tr("themes.theme")),
                alt.Tooltip("comments:Q", title=tr("themes.comments")),
                alt.Tooltip("share:Q", title=tr("themes.share"), format=".1%"),
            ],
        )
    )
    if by:
        chart = chart.encode(row=alt.Row(f"{by}:N", title=tr(f"themes.by_{by}")))
    draw_chart(chart, width="stretch")
    table = counts.pivot_table(
        index=["period", *([by] if by else [])], columns="theme_label", values="comments", fill_value=0, aggfunc="sum"
    ).reset_index()
    table["period"] = [day(period) for period in table["period"].dt.date]
    st.dataframe(table, hide_index=True, width="stretch")

    st.subheader(tr("themes.examples"))
    theme = st.selectbox(
        tr("themes.theme"),
        [*named.index, service.OTHER_THEME],
        key="themes_example_theme",
        format_func=lambda t: label("dimension", t, lang()),
    )
    for example in service.theme_examples(filters, theme, limit=8):
        st.markdown("> " + plain(text_for(user.role, example.text)))
        st.caption(
            f"{day(example.answered_on)} · {plain(example.region or '—')} · {label('tier', example.tier, lang())}"
        )

if user.role in (Role.QUALITY, Role.ADMIN):
    st.subheader(tr("themes.keywords"))
    st.caption(tr("themes.keywords_help"))
    stored = service.keyword_rules()
    edited = st.data_editor(
        pd.DataFrame(
            [
                {"theme": k.theme, "language": k.language, "phrase": k.phrase, "weight": k.weight, "enabled": k.enabled}
                for k in stored
            ],
            columns=["theme", "language", "phrase", "weight", "enabled"],
        ),
        num_rows="dynamic",
        key="themes_keywords_editor",
        hide_index=True,
        width="stretch",
        column_config={
            "theme": st.column_config.SelectboxColumn(tr("themes.theme"), options=list(service.THEMES), required=True),
            "language": st.column_config.SelectboxColumn(
                tr("themes.language"), options=list(service.THEME_LANGUAGES), required=True
            ),
            "phrase": st.column_config.TextColumn(tr("themes.phrase"), required=True, max_chars=100),
            "weight": st.column_config.NumberColumn(
                tr("themes.weight"), min_value=-5, max_value=5, step=0.5, default=1.0
            ),
            "enabled": st.column_config.CheckboxColumn(tr("themes.enabled"), default=True),
        },
    )
    if st.button(tr("themes.save_keywords"), key="themes_save_keywords", type="primary"):
        try:
            version = service.save_keyword_rules(user.id, edited.to_dict("records"))
        except SurveyError as exc:
            st.error(plain(feedback.refusal_text(exc)))
        else:
            feedback.success(PAGE, tr("themes.keywords_saved", version=version))
            st.rerun()
    sample = st.text_input(tr("themes.try"), key="themes_try", placeholder=tr("themes.try_placeholder"))
    if sample:
        result = service.classify_comment(sample)
        st.write(
            ", ".join(
                f"{label('dimension', t, lang())} ({plain(' / '.join(result.evidence.get(t, ())))})"
                for t in result.labels
            )
        )
