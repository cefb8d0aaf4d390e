"""Campaigns (quality): audience with a live count, sampling, the sample-size planner, message
with preview and SMS length, launch; then send progress, the send queue and the funnel."""

import altair as alt
import pandas as pd
import streamlit as st

from survey.distribution import audience as audiences
from survey.accounts import auth
from survey.core import db as database
from survey.distribution import planner
from survey.distribution.audience import Audience
from survey.distribution.campaigns import campaigns, create_campaign, launchable_surveys
from survey.distribution.operator_csv import export_campaign
from survey.distribution.funnel import STAGES, funnel, nonresponse, response_rates
from survey.core.i18n import label
from survey.distribution.messages import TemplateError, compose, default_messages, sample_link, sms_length, template_problems
from survey.models import Survey, utcnow
from survey.distribution.sampling import SamplingPlan, parse_quotas
from survey.distribution.sending import campaign_progress, resolve_uncertain, run_queue, uncertain_deliveries
from survey.core.vocab import Channel, EventKind, Tier, TouchPoint
from ui.format import count, pct, points
from ui.session import lang, require_page, tr

user = require_page(__file__)
st.title(tr("dist.page.campaigns"))
LANGS = ("zh-CN", "en")
SEND_SECONDS = 60   # one click of "run the queue" works this long, then reports


def vocabulary(name: str, values) -> dict:
    return {"options": [v.value for v in values], "format_func": lambda v: label(name, v, lang())}


def audience_form(db, survey_code: str, channel: str) -> Audience:
    options = audiences.filter_options(db)
    st.subheader(tr("dist.audience"))
    left, middle, right = st.columns(3)
    kinds = left.multiselect(tr("dist.event_kinds"), placeholder=tr("app.choose_filter"), key="camp_kinds", **vocabulary("event_kind", EventKind))
    since = left.date_input(tr("dist.closed_since"), value=None, key="camp_since")
    until = left.date_input(tr("dist.closed_until"), value=None, key="camp_until")
    tiers = middle.multiselect(tr("dist.tiers"), placeholder=tr("app.choose_filter"), key="camp_tiers", **vocabulary("tier", Tier))
    regions = middle.multiselect(tr("dist.regions"), options["regions"], placeholder=tr("app.choose_filter"), key="camp_regions",
                                 format_func=lambda v: label("region", v, lang()))
    segments = middle.multiselect(tr("dist.segments"), options["segments"], placeholder=tr("app.choose_filter"), key="camp_segments",
                                  format_func=lambda v: label("segment", v, lang()))
    touch_points = right.multiselect(tr("dist.touch_points"), placeholder=tr("app.choose_filter"), key="camp_touch", **vocabulary("touch_point", TouchPoint))
    teams = right.multiselect(tr("dist.teams"), options["teams"], placeholder=tr("app.choose_filter"), key="camp_teams")
    fatigue = right.number_input(tr("dist.fatigue_days"), 0, 365, 30, key="camp_fatigue",
                                 help=tr("dist.fatigue_help"))
    survey_fatigue = right.number_input(tr("dist.survey_fatigue_days"), 0, 730, 90, key="camp_survey_fatigue")
    return Audience(survey_code=survey_code, event_kinds=tuple(kinds), closed_since=since, closed_until=until,
                    regions=tuple(regions), touch_points=tuple(touch_points), teams=tuple(teams), tiers=tuple(tiers),
                    segments=tuple(segments), channel=channel, fatigue_days=int(fatigue),
                    survey_fatigue_days=int(survey_fatigue))


def sampling_form(audience_size: int) -> SamplingPlan:
    st.subheader(tr("dist.sampling"))
    method = st.radio(tr("dist.method"), ("everyone", "random", "stratified"), horizontal=True, key="camp_method",
                      format_func=lambda m: tr(f"dist.method.{m}"))
    left, right = st.columns(2)
    if method == "everyone":
        return SamplingPlan()
    if method == "random":
        n = left.number_input(tr("dist.sample_size"), 1, max(audience_size, 1), min(500, max(audience_size, 1)),
                              key="camp_n")
        return SamplingPlan("random", n=int(n))
    strata = left.multiselect(tr("dist.strata"), ("tier", "region", "segment"), default=["tier"],
                              placeholder=tr("app.choose"), key="camp_strata",
                              format_func=lambda s: tr(f"dist.stratum_key.{s}"))
    allocation = left.radio(tr("dist.allocation"), ("proportional", "fixed"), key="camp_allocation",
                            format_func=lambda a: tr(f"dist.allocation.{a}"), horizontal=True)
    size = right.number_input(tr("dist.sample_size") if allocation == "proportional" else tr("dist.per_stratum"),
                              1, max(audience_size, 1), min(200, max(audience_size, 1)), key="camp_n")
    quotas = parse_quotas(right.text_input(tr("dist.quotas"), key="camp_quotas", help=tr("dist.quotas_help")))
    return SamplingPlan("stratified", n=int(size) if allocation == "proportional" else None,
                        strata=tuple(strata) or ("tier",), allocation=allocation,
                        per_stratum=int(size) if allocation == "fixed" else None, quotas=quotas)


def planner_panel(db, audience: Audience, audience_size: int) -> None:
    with st.expander(tr("dist.planner"), expanded=True):
        historic = planner.historic_response_rate(db, audience)
        left, middle, right = st.columns(3)
        metric = left.radio(tr("dist.plan_metric"), ("csat", "nps"), key="plan_metric", horizontal=True,
                            format_func=lambda m: tr(f"dist.plan_metric.{m}"))
        change = left.number_input(tr("dist.plan_change"), 0.5, 50.0, 3.0 if metric == "csat" else 5.0, 0.5,
                                   key="plan_change")
        rate = historic.rate or middle.slider(tr("dist.assumed_rate"), 0.05, 0.9, 0.3, 0.05, key="plan_rate")
        if historic.rate is not None:
            middle.metric(tr("dist.historic_rate"), pct(historic.rate),
                          help=tr("dist.historic_rate_help", n=historic.delivered, low=pct(historic.ci_low),
                                  high=pct(historic.ci_high), scope=tr(f"dist.scope.{historic.scope}")))
        else:
            middle.caption(tr("dist.no_history"))
        if metric == "csat":
            plan = planner.plan_csat(planner.baseline_csat(db, audience.survey_code), change, rate, audience_size)
            baseline = pct(plan.baseline)
        else:
            plan = planner.plan_nps(*planner.baseline_nps(db, audience.survey_code), change, rate, audience_size)
            baseline = points(plan.baseline)
        right.metric(tr("dist.invitations_needed"), count(plan.invitations_per_group),
                     help=tr("dist.invitations_needed_help", responses=count(plan.responses_per_group),
                             baseline=baseline, change=points(change)))
        if plan.audience_is_enough:
            st.success(tr("dist.plan_enough", audience=count(audience_size)))
        elif plan.detectable_with_audience is None:
            st.warning(tr("dist.plan_nothing", audience=count(audience_size)))
        else:
            st.warning(tr("dist.plan_short", audience=count(audience_size),
                          detectable=points(plan.detectable_with_audience)))


def message_form(channel: str, survey: Survey) -> dict:
    st.subheader(tr("dist.message"))
    messages = default_messages()
    kinds = ("invitation", "reminder", "subject") if channel == Channel.EMAIL else ("invitation", "reminder")
    for kind in kinds:
        columns = st.columns(2)
        for column, language in zip(columns, LANGS):
            messages[kind][language] = column.text_area(
                f"{tr(f'dist.message.{kind}')} · {language}", messages[kind][language],
                key=f"msg_{kind}_{language}", height=90 if kind != "subject" else 68)
    preview_language = st.radio(tr("dist.preview_language"), LANGS, horizontal=True, key="msg_preview_lang")
    for kind in ("invitation", "reminder"):
        problems = template_problems(messages[kind][preview_language], kind=kind)
        if problems:
            st.error("; ".join(problems))
            continue
        text, subject = compose(messages, kind, lang=preview_language, name="王伟" if preview_language == "zh-CN"
                                else "Emma Smith", survey_names={"zh-CN": survey.name_zh, "en": survey.name_en},
                                link=sample_link(), expires=utcnow())
        st.markdown(f"**{tr(f'dist.message.{kind}')}**" + (f" — {subject}" if channel == Channel.EMAIL else ""))
        st.code(text, language=None, wrap_lines=True)
        length = sms_length(text)
        st.caption(tr("dist.sms_length", characters=len(text), encoding=length.encoding, units=length.units,
                      segments=length.segments, per_segment=length.per_segment))
    return messages


def new_campaign() -> None:
    with database.session() as db:
        surveys = launchable_surveys(db)
        if not surveys:
            st.info(tr("dist.no_surveys"))
            return
        by_code = {s.code: s for s in surveys}
        top = st.columns(3)
        code = top[0].selectbox(tr("dist.survey"), list(by_code), key="camp_survey",
                                format_func=lambda c: by_code[c].name_zh if lang() == "zh-CN" else by_code[c].name_en)
        channel = top[1].selectbox(tr("dist.channel"), [c.value for c in Channel], key="camp_channel",
                                   format_func=lambda c: label("channel", c, lang()))
        name = top[2].text_input(tr("dist.campaign_name"), key="camp_name")
        audience = audience_form(db, code, channel)
        size = audiences.count(db, audience)
        st.metric(tr("dist.audience_count"), count(size))
        try:
            plan = sampling_form(size)
        except ValueError as exc:
            st.error(str(exc))
            return
        planner_panel(db, audience, size)
        st.subheader(tr("dist.timing"))
        timing = st.columns(3)
        expires = timing[0].number_input(tr("dist.expires_days"), 1, 90, 14, key="camp_expires")
        remind_after = timing[1].number_input(tr("dist.remind_after"), 0, 30, 3, key="camp_remind_after",
                                              help=tr("dist.remind_help"))
        max_reminders = timing[2].number_input(tr("dist.max_reminders"), 0, 5, 1, key="camp_max_reminders")
        messages = message_form(channel, by_code[code])
    if st.button(tr("dist.launch"), key="camp_launch", type="primary", disabled=size == 0):
        try:
            with database.session() as db:
                created = create_campaign(
                    db, code, audience, plan, channel, name=name or None, expires_days=int(expires),
                    remind_after_days=int(remind_after) or None,
                    max_reminders=int(max_reminders) if remind_after else 0,
                    messages=messages, actor=auth.acting_user(db, user.id))
            st.session_state["camp_select"] = created.campaign.id
            st.success(tr("dist.launched", id=created.campaign.id, n=count(created.invitations)))
        except (TemplateError, ValueError) as exc:
            st.error(str(exc))


def funnel_chart(counts: dict) -> None:
    data = pd.DataFrame([{"stage": tr(f"dist.stage.{s}"), "n": counts[s], "order": i} for i, s in enumerate(STAGES)])
    chart = alt.Chart(data).mark_bar().encode(
        x=alt.X("n:Q", title=tr("home.count")), y=alt.Y("stage:N", sort=alt.SortField("order"), title=None),
        tooltip=[alt.Tooltip("stage:N", title=tr("dist.stage")), alt.Tooltip("n:Q", title=tr("home.count"))],
    )
    st.altair_chart(chart, width="stretch")


def rate_table(rates, keys) -> pd.DataFrame:
    return pd.DataFrame([{
        **{tr(f"dist.stratum_key.{k}"): (rate.group[k] or "—") for k in keys},
        tr("dist.delivered"): rate.delivered, tr("dist.completed"): rate.completed,
        tr("dist.response_rate"): pct(rate.rate), tr("dist.interval"): f"{pct(rate.ci_low)} – {pct(rate.ci_high)}",
    } for rate in rates])


def send_panel(campaign) -> None:
    with database.session() as db:
        progress = campaign_progress(db, campaign.id)
        waiting = uncertain_deliveries(db, campaign.id)
    total = sum(progress.values())
    done = progress["sent"] + progress["failed"] + progress["skipped"]
    bar = st.progress(done / total if total else 0.0,
                      text=tr("dist.progress", sent=progress["sent"], failed=progress["failed"],
                              pending=progress["pending"] + progress["claimed"] + progress["sending"], total=total))
    if st.button(tr("dist.run_queue"), key="camp_send", disabled=not (progress["pending"] or progress["claimed"])):
        def show(sent_now: int, due: int) -> None:
            bar.progress(min((done + sent_now) / total, 1.0), text=tr("dist.sending", n=sent_now, due=due))

        with database.session() as db:
            sender = auth.acting_user(db, user.id)
        report = run_queue(campaign_id=campaign.id, max_seconds=SEND_SECONDS, progress=show, actor=sender)
        st.info(report.summary())
        st.rerun()
    if waiting:
        st.warning(tr("dist.uncertain", n=len(waiting)))
        for delivery in waiting:
            cols = st.columns([3, 1, 1])
            cols[0].caption(f"#{delivery.id} · {delivery.last_error}")
            for column, delivered, key in ((cols[1], True, "mark"), (cols[2], False, "resend")):
                if column.button(tr(f"dist.uncertain_{key}"), key=f"uncertain_{key}_{delivery.id}"):
                    with database.session() as db:
                        resolve_uncertain(db, delivery.id, delivered=delivered, actor=auth.acting_user(db, user.id))
                    st.rerun()


def export_panel(campaign) -> None:
    everything = st.checkbox(tr("dist.export_all"), key="camp_export_all")
    if st.button(tr("dist.export_prepare"), key="camp_export_prepare"):
        with database.session() as db:
            exported = export_campaign(db, campaign.id, everything=everything, actor=auth.acting_user(db, user.id))
        st.session_state["camp_export_file"] = (campaign.id, exported.text, exported.rows)
    prepared = st.session_state.get("camp_export_file")
    if prepared and prepared[0] == campaign.id:
        st.download_button(tr("dist.export_download", n=prepared[2]), prepared[1].encode("utf-8"),
                           file_name=f"campaign-{campaign.id}.csv", mime="text/csv", key="camp_export")


def campaign_view() -> None:
    with database.session() as db:
        existing = campaigns(db)
    if not existing:
        st.info(tr("dist.no_campaigns"))
        return
    by_id = {c.id: c for c in existing}
    chosen = st.selectbox(tr("dist.campaign"), list(by_id), key="camp_select", format_func=lambda i: (
        f"#{i} · {by_id[i].name} · {label('channel', by_id[i].channel, lang())}"))
    campaign = by_id[chosen]
    with database.session() as db:
        counts = funnel(db, campaign.id)
        by_stratum = response_rates(db, ("stratum",), campaign_id=campaign.id)
        cells = nonresponse(db, ("tier", "region"), campaign_id=campaign.id)
    figures = st.columns(4)
    for column, stage in zip(figures, ("invited", "sent", "completed", "failed")):
        column.metric(tr(f"dist.stage.{stage}"), count(counts[stage]))
    if campaign.channel in (Channel.SMS, Channel.EMAIL):
        send_panel(campaign)
    elif campaign.channel == Channel.EXPORT:
        export_panel(campaign)
    else:
        st.caption(tr("dist.phone_campaign"))
    funnel_chart(counts)
    st.subheader(tr("dist.rate_by_stratum"))
    st.dataframe(rate_table(by_stratum, ("stratum",)), hide_index=True, width="stretch", key="camp_rates")
    st.subheader(tr("dist.nonresponse"))
    st.caption(tr("dist.nonresponse_help"))
    if not cells.empty and cells["delivered"].sum():
        heat = alt.Chart(cells.dropna(subset=["nonresponse_rate"])).mark_rect().encode(
            x=alt.X("region:N", title=tr("dist.stratum_key.region")),
            y=alt.Y("tier:N", title=tr("dist.stratum_key.tier")),
            color=alt.Color("nonresponse_rate:Q", title=tr("dist.nonresponse_rate"), scale=alt.Scale(domain=[0, 1])),
            tooltip=["tier", "region", "delivered", "completed",
                     alt.Tooltip("nonresponse_rate:Q", format=".1%", title=tr("dist.nonresponse_rate"))],
        )
        st.altair_chart(heat, width="stretch")


new_tab, campaigns_tab = st.tabs([tr("dist.new_campaign"), tr("dist.campaigns")])
with new_tab:
    new_campaign()
with campaigns_tab:
    campaign_view()
