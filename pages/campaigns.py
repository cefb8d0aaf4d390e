"""Campaigns (quality): audience with a live count, sampling, the sample-size planner, message
with preview and SMS length, launch; then send progress, the send queue and the funnel.

Launching asks first (audience, channel, message), says which channels can send and what to
set for those that cannot, and carries a launch key made when the form is drawn (kept in the
page address too): a second click, a resubmitted form or a reload finds the campaign it
launched instead of launching another."""

import re
import uuid
from datetime import datetime, timedelta

import altair as alt
import pandas as pd
import streamlit as st

from survey.core.config import settings
from survey.core.errors import SurveyError
from survey.core.i18n import label, text_in
from survey.core.vocab import Channel, EventKind, Tier, TouchPoint
from survey.distribution import service
from survey.distribution.audience import Audience
from survey.distribution.channels import ChannelNotConfigured, ChannelStatus
from survey.distribution.funnel import STAGES
from survey.distribution.messages import (
    compose,
    default_messages,
    sample_link,
    sms_length,
    template_problems,
)
from survey.distribution.sampling import SamplingPlan, parse_quotas
from survey.distribution.sending import SendReport
from survey.models import utcnow
from ui import feedback
from ui.channels import channel_name, missing_text, show_statuses, unconfigured
from ui.format import count, local_time, pct, points
from ui.session import action, lang, require_page, tr
from ui.text import plain

user = require_page(__file__)
st.title(tr("dist.page.campaigns"))
PAGE = "campaigns"
LANGS = ("zh-CN", "en")
SEND_SECONDS = 60  # one click of "run the queue" works this long, then reports
RECENT_DAYS = 7  # the default event window: events closed in the last week, not every event ever
LAUNCH_KEY = "camp_launch_key"
LAUNCH_PARAM = "launch"  # the same key in the page address, so a reload keeps it
CONFIRMING = "camp_confirming"
KEY_PATTERN = re.compile(r"[0-9a-f]{32}")


def vocabulary(name: str, values) -> dict:
    return {"options": [v.value for v in values], "format_func": lambda v: label(name, v, lang())}


def audience_form(survey_code: str, channel: str) -> Audience:
    """Customers with a service event closed recently (the last week unless changed), or, as an
    explicit choice, every customer whatever their events."""
    options = service.audience_options()
    st.subheader(tr("dist.audience"))
    scope = st.radio(
        tr("dist.scope"),
        ("events", "everyone"),
        key="camp_scope",
        horizontal=True,
        format_func=lambda s: tr(f"dist.scope.{s}"),
    )
    by_event = scope == "events"
    left, middle, right = st.columns(3)
    kinds, since, until, touch_points, teams = [], None, None, [], []
    if by_event:
        today = datetime.now(settings().timezone).date()
        kinds = left.multiselect(
            tr("dist.event_kinds"),
            placeholder=tr("app.choose_filter"),
            key="camp_kinds",
            **vocabulary("event_kind", EventKind),
        )
        since = left.date_input(tr("dist.closed_since"), value=today - timedelta(days=RECENT_DAYS), key="camp_since")
        until = left.date_input(tr("dist.closed_until"), value=today, key="camp_until")
    else:
        left.caption(tr("dist.scope.everyone_help"))
    tiers = middle.multiselect(
        tr("dist.tiers"), placeholder=tr("app.choose_filter"), key="camp_tiers", **vocabulary("tier", Tier)
    )
    regions = middle.multiselect(
        tr("dist.regions"),
        options["regions"],
        placeholder=tr("app.choose_filter"),
        key="camp_regions",
        format_func=lambda v: label("region", v, lang()),
    )
    segments = middle.multiselect(
        tr("dist.segments"),
        options["segments"],
        placeholder=tr("app.choose_filter"),
        key="camp_segments",
        format_func=lambda v: label("segment", v, lang()),
    )
    if by_event:
        touch_points = right.multiselect(
            tr("dist.touch_points"),
            placeholder=tr("app.choose_filter"),
            key="camp_touch",
            **vocabulary("touch_point", TouchPoint),
        )
        teams = right.multiselect(
            tr("dist.teams"), options["teams"], placeholder=tr("app.choose_filter"), key="camp_teams"
        )
    fatigue = right.number_input(tr("dist.fatigue_days"), 0, 365, 30, key="camp_fatigue", help=tr("dist.fatigue_help"))
    survey_fatigue = right.number_input(tr("dist.survey_fatigue_days"), 0, 730, 90, key="camp_survey_fatigue")
    return Audience(
        survey_code=survey_code,
        event_kinds=tuple(kinds),
        closed_since=since,
        closed_until=until,
        regions=tuple(regions),
        touch_points=tuple(touch_points),
        teams=tuple(teams),
        tiers=tuple(tiers),
        segments=tuple(segments),
        channel=channel,
        fatigue_days=int(fatigue),
        survey_fatigue_days=int(survey_fatigue),
        events=by_event,
    )


def sampling_form(audience_size: int) -> SamplingPlan:
    st.subheader(tr("dist.sampling"))
    method = st.radio(
        tr("dist.method"),
        ("everyone", "random", "stratified"),
        horizontal=True,
        key="camp_method",
        format_func=lambda m: tr(f"dist.method.{m}"),
    )
    left, right = st.columns(2)
    if method == "everyone":
        return SamplingPlan()
    if method == "random":
        n = left.number_input(
            tr("dist.sample_size"), 1, max(audience_size, 1), min(500, max(audience_size, 1)), key="camp_n"
        )
        return SamplingPlan("random", n=int(n))
    strata = left.multiselect(
        tr("dist.strata"),
        ("tier", "region", "segment"),
        default=["tier"],
        placeholder=tr("app.choose"),
        key="camp_strata",
        format_func=lambda s: tr(f"dist.stratum_key.{s}"),
    )
    allocation = left.radio(
        tr("dist.allocation"),
        ("proportional", "fixed"),
        key="camp_allocation",
        format_func=lambda a: tr(f"dist.allocation.{a}"),
        horizontal=True,
    )
    size = right.number_input(
        tr("dist.sample_size") if allocation == "proportional" else tr("dist.per_stratum"),
        1,
        max(audience_size, 1),
        min(200, max(audience_size, 1)),
        key="camp_n",
    )
    quotas = parse_quotas(right.text_input(tr("dist.quotas"), key="camp_quotas", help=tr("dist.quotas_help")))
    return SamplingPlan(
        "stratified",
        n=int(size) if allocation == "proportional" else None,
        strata=tuple(strata) or ("tier",),
        allocation=allocation,
        per_stratum=int(size) if allocation == "fixed" else None,
        quotas=quotas,
    )


def planner_panel(audience: Audience, audience_size: int) -> None:
    with st.expander(tr("dist.planner"), expanded=True):
        historic = service.historic_rate(audience)
        left, middle, right = st.columns(3)
        metric = left.radio(
            tr("dist.plan_metric"),
            ("csat", "nps"),
            key="plan_metric",
            horizontal=True,
            format_func=lambda m: tr(f"dist.plan_metric.{m}"),
        )
        change = left.number_input(
            tr("dist.plan_change"), 0.5, 50.0, 3.0 if metric == "csat" else 5.0, 0.5, key="plan_change"
        )
        rate = historic.rate or middle.slider(tr("dist.assumed_rate"), 0.05, 0.9, 0.3, 0.05, key="plan_rate")
        if historic.rate is not None:
            middle.metric(
                tr("dist.historic_rate"),
                pct(historic.rate),
                help=tr(
                    "dist.historic_rate_help",
                    n=historic.delivered,
                    low=pct(historic.ci_low),
                    high=pct(historic.ci_high),
                    scope=tr(f"dist.scope.{historic.scope}"),
                ),
            )
        else:
            middle.caption(tr("dist.no_history"))
        plan = service.plan_sample(audience.survey_code, metric, change, rate, audience_size)
        baseline = pct(plan.baseline) if metric == "csat" else points(plan.baseline)
        right.metric(
            tr("dist.invitations_needed"),
            count(plan.invitations_per_group),
            help=tr(
                "dist.invitations_needed_help",
                responses=count(plan.responses_per_group),
                baseline=baseline,
                change=points(change),
            ),
        )
        if plan.audience_is_enough:
            st.success(tr("dist.plan_enough", audience=count(audience_size)))
        elif plan.detectable_with_audience is None:
            st.warning(tr("dist.plan_nothing", audience=count(audience_size)))
        else:
            st.warning(
                tr("dist.plan_short", audience=count(audience_size), detectable=points(plan.detectable_with_audience))
            )


def message_form(channel: str, survey: service.SurveyChoice) -> dict:
    st.subheader(tr("dist.message"))
    messages = default_messages()
    kinds = ("invitation", "reminder", "subject") if channel == Channel.EMAIL else ("invitation", "reminder")
    for kind in kinds:
        columns = st.columns(2)
        for column, language in zip(columns, LANGS):
            messages[kind][language] = column.text_area(
                f"{tr(f'dist.message.{kind}')} · {language}",
                messages[kind][language],
                key=f"msg_{kind}_{language}",
                height=90 if kind != "subject" else 68,
            )
    preview_language = st.radio(tr("dist.preview_language"), LANGS, horizontal=True, key="msg_preview_lang")
    for kind in ("invitation", "reminder"):
        problems = template_problems(messages[kind][preview_language], kind=kind)
        if problems:
            st.error(plain("; ".join(problems)))
            continue
        text, subject = sample_message(messages, kind, preview_language, survey)
        st.markdown(f"**{tr(f'dist.message.{kind}')}**" + (f" — {plain(subject)}" if channel == Channel.EMAIL else ""))
        st.code(text, language=None, wrap_lines=True)
        length = sms_length(text)
        st.caption(
            tr(
                "dist.sms_length",
                characters=len(text),
                encoding=length.encoding,
                units=length.units,
                segments=length.segments,
                per_segment=length.per_segment,
            )
        )
    return messages


def default_name(survey: service.SurveyChoice) -> str:
    """The name of a campaign launched without one, in the launcher's words (the domain's own
    default is for the CLI): the survey and the local time, "装移维服务回访 2026年12月4日 02:28"."""
    return f"{text_in(survey.names, lang())} {local_time(utcnow())}"


def sample_message(messages: dict, kind: str, language: str, survey: service.SurveyChoice) -> tuple[str, str]:
    """(text, subject) of a message as a sample customer would get it."""
    return compose(
        messages,
        kind,
        lang=language,
        name="王伟" if language == "zh-CN" else "Emma Smith",
        survey_names=survey.names,
        link=sample_link(),
        expires=utcnow(),
    )


def launch_key() -> str:
    """The key of the campaign this form launches: made when the form is first drawn, and taken
    from the page address after a reload (see the module docstring)."""
    key = st.session_state.get(LAUNCH_KEY)
    if key is None:
        from_address = st.query_params.get(LAUNCH_PARAM, "")
        key = from_address if KEY_PATTERN.fullmatch(from_address) else uuid.uuid4().hex
        st.session_state[LAUNCH_KEY] = key
    if st.query_params.get(LAUNCH_PARAM) != key:
        st.query_params[LAUNCH_PARAM] = key
    return key


@action
def ask_to_confirm() -> None:
    st.session_state[CONFIRMING] = True


@action
def cancel_launch() -> None:
    st.session_state.pop(CONFIRMING, None)


@action
def start_new_form() -> None:
    """A new launch key: the next launch is a new campaign."""
    st.session_state[LAUNCH_KEY] = uuid.uuid4().hex
    st.query_params[LAUNCH_PARAM] = st.session_state[LAUNCH_KEY]
    cancel_launch()


def invited_text(plan: SamplingPlan, size: int) -> str:
    if plan.method == "everyone":
        return count(size)
    if plan.n is not None:
        return count(min(plan.n, size))
    return tr("dist.confirm_per_stratum", n=count(plan.per_stratum or 0))


def launch(key: str, queue_until_configured: bool, **campaign) -> None:
    """Launch (once per key) and say what happened: launched, queued for a channel, or launched before."""
    try:
        launched = service.launch_campaign(
            user.id, launch_key=key, queue_until_configured=queue_until_configured, **campaign
        )
    except ChannelNotConfigured as exc:
        feedback.error(PAGE, missing_text(exc.channel, exc.settings) + " " + tr("dist.nothing_launched"))
    except SurveyError as exc:
        feedback.refused(PAGE, exc)
    else:
        st.session_state["camp_select"] = launched.campaign_id  # the campaigns tab opens on it
        n = count(launched.invitations)
        if launched.repeated:
            feedback.info(PAGE, tr("dist.already_launched", id=launched.campaign_id, n=n))
        elif launched.waits_for_channel:
            feedback.warning(
                PAGE,
                tr("dist.launched_waiting", id=launched.campaign_id, n=n, channel=channel_name(campaign["channel"])),
            )
        else:
            feedback.success(PAGE, tr("dist.launched", id=launched.campaign_id, n=n))
        start_new_form()
    st.rerun()


def confirm_launch(
    key: str, size: int, survey: service.SurveyChoice, channels: list[ChannelStatus], **campaign
) -> None:
    """What will happen, before it happens: how many, by which channel, with which message."""
    channel, messages = campaign["channel"], campaign["messages"]
    with st.container(border=True):
        st.markdown(f"**{tr('dist.confirm_title')}**")
        st.markdown(
            tr(
                "dist.confirm_summary",
                audience=count(size),
                invited=invited_text(campaign["plan"], size),
                channel=channel_name(channel),
                survey=plain(text_in(survey.names, lang())),
            )
        )
        preview_language = st.session_state.get("msg_preview_lang", LANGS[0])
        if not template_problems(messages["invitation"][preview_language], kind="invitation"):
            st.code(sample_message(messages, "invitation", preview_language, survey)[0], language=None, wrap_lines=True)
        waiting = unconfigured(channels, channel)
        queue = False
        if waiting is not None:
            st.error(
                missing_text(waiting.channel, waiting.missing or waiting.settings)
                + " "
                + tr("dist.launch_refused_until")
            )
            queue = st.checkbox(
                tr("dist.queue_until_configured", channel=channel_name(channel)), key="camp_queue_unconfigured"
            )
        left, right = st.columns(2)
        if left.button(
            tr("dist.confirm_launch"), key="camp_confirm", type="primary", disabled=waiting is not None and not queue
        ):
            launch(key, queue, **campaign)
        right.button(tr("dist.cancel_launch"), key="camp_cancel", on_click=cancel_launch)


def new_campaign() -> None:
    surveys = service.launchable_surveys()
    if not surveys:
        st.info(tr("dist.no_surveys"))
        return
    key = launch_key()
    earlier = service.campaign_launched_with(key)
    if earlier is not None:  # a reload after the launch, or a second session of the same form
        st.info(tr("dist.already_launched", id=earlier.campaign_id, n=count(earlier.invitations)))
        st.button(tr("dist.start_new"), key="camp_start_new", on_click=start_new_form)
        return
    channels = service.channel_statuses()
    show_statuses(channels)
    by_code = {s.code: s for s in surveys}
    top = st.columns(3)
    code = top[0].selectbox(
        tr("dist.survey"), list(by_code), key="camp_survey", format_func=lambda c: text_in(by_code[c].names, lang())
    )
    channel = top[1].selectbox(
        tr("dist.channel"),
        [c.value for c in Channel],
        key="camp_channel",
        format_func=lambda c: label("channel", c, lang()),
    )
    name = top[2].text_input(tr("dist.campaign_name"), key="camp_name")
    if (waiting := unconfigured(channels, channel)) is not None:
        st.warning(missing_text(waiting.channel, waiting.missing or waiting.settings))
    audience = audience_form(code, channel)
    size = service.audience_size(audience)
    st.metric(tr("dist.audience_count"), count(size))
    try:
        plan = sampling_form(size)
    except SurveyError as exc:
        st.error(plain(feedback.refusal_text(exc)))
        return
    planner_panel(audience, size)
    st.subheader(tr("dist.timing"))
    timing = st.columns(3)
    expires = timing[0].number_input(tr("dist.expires_days"), 1, 90, 14, key="camp_expires")
    remind_after = timing[1].number_input(
        tr("dist.remind_after"), 0, 30, 3, key="camp_remind_after", help=tr("dist.remind_help")
    )
    max_reminders = timing[2].number_input(tr("dist.max_reminders"), 0, 5, 1, key="camp_max_reminders")
    messages = message_form(channel, by_code[code])
    st.button(tr("dist.launch"), key="camp_launch", type="primary", disabled=size == 0, on_click=ask_to_confirm)
    if st.session_state.get(CONFIRMING) and size:
        confirm_launch(
            key,
            size,
            by_code[code],
            channels,
            survey_code=code,
            audience=audience,
            plan=plan,
            channel=channel,
            name=name.strip() or default_name(by_code[code]),
            expires_days=int(expires),
            remind_after_days=int(remind_after) or None,
            max_reminders=int(max_reminders) if remind_after else 0,
            messages=messages,
        )


def funnel_chart(counts: dict) -> None:
    data = pd.DataFrame([{"stage": tr(f"dist.stage.{s}"), "n": counts[s], "order": i} for i, s in enumerate(STAGES)])
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("n:Q", title=tr("home.count")),
            y=alt.Y("stage:N", sort=alt.SortField("order"), title=None),
            tooltip=[alt.Tooltip("stage:N", title=tr("dist.stage")), alt.Tooltip("n:Q", title=tr("home.count"))],
        )
    )
    st.altair_chart(chart, width="stretch")


def group_label(value: str | None) -> str:
    """A stratum such as "gold|Hangzhou" in words: each part as the tier, region or segment it names."""
    if not value:
        return "—"
    return " · ".join(
        next((named for kind in ("tier", "region", "segment") if (named := label(kind, part, lang())) != part), part)
        for part in value.split("|")
    )


def rate_table(rates, keys) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                **{tr(f"dist.stratum_key.{k}"): group_label(rate.group[k]) for k in keys},
                tr("dist.delivered"): rate.delivered,
                tr("dist.completed"): rate.completed,
                tr("dist.response_rate"): pct(rate.rate),
                tr("dist.interval"): f"{pct(rate.ci_low)} – {pct(rate.ci_high)}",
            }
            for rate in rates
        ]
    )


def send_summary(report: SendReport) -> tuple[str, list[str]]:
    """What one run of the queue did, and why anything was held back."""
    details = [tr("dist.send_quiet", n=report.deferred_quiet)] if report.deferred_quiet else []
    return (
        tr(
            "dist.send_report", sent=report.sent, failed=report.failed, retrying=report.retrying, skipped=report.skipped
        ),
        details + list(report.unavailable.values()),
    )


@action
def decide_uncertain(delivery_id: int, delivered: bool) -> None:
    try:
        service.decide_uncertain_message(user.id, delivery_id, delivered=delivered)
    except SurveyError as exc:
        feedback.refused(PAGE, exc)
    else:
        feedback.success(PAGE, tr("dist.uncertain_marked" if delivered else "dist.uncertain_resent", id=delivery_id))


def send_panel(campaign: service.CampaignSummary) -> None:
    status = service.send_status(campaign.id)
    progress, total, done = status.progress, status.total, status.done
    waiting = unconfigured(service.channel_statuses(), campaign.channel)
    if waiting is not None and status.waiting:
        st.warning(
            tr(
                "dist.waiting_for_channel",
                n=count(status.waiting),
                missing=missing_text(waiting.channel, waiting.missing or waiting.settings),
            )
        )
    bar = st.progress(
        done / total if total else 0.0,
        text=tr("dist.progress", sent=progress["sent"], failed=progress["failed"], pending=status.waiting, total=total),
    )
    if st.button(tr("dist.run_queue"), key="camp_send", disabled=not status.sendable):

        def show(sent_now: int, due: int) -> None:
            bar.progress(min((done + sent_now) / total, 1.0), text=tr("dist.sending", n=sent_now, due=due))

        report = service.send_campaign(user.id, campaign.id, max_seconds=SEND_SECONDS, progress=show)
        message, details = send_summary(report)
        feedback.report(PAGE, "warning" if details or report.failed else "success", message, details)
        st.rerun()
    if status.uncertain:
        st.warning(tr("dist.uncertain", n=len(status.uncertain)))
        for message in status.uncertain:
            cols = st.columns([3, 1, 1])
            cols[0].caption(f"#{message.delivery_id} · {plain(message.last_error)}")  # the gateway's words
            for column, delivered, key in ((cols[1], True, "mark"), (cols[2], False, "resend")):
                column.button(
                    tr(f"dist.uncertain_{key}"),
                    key=f"uncertain_{key}_{message.delivery_id}",
                    on_click=decide_uncertain,
                    args=(message.delivery_id, delivered),
                )


def export_panel(campaign: service.CampaignSummary) -> None:
    everything = st.checkbox(tr("dist.export_all"), key="camp_export_all")
    if st.button(tr("dist.export_prepare"), key="camp_export_prepare"):
        try:
            exported = service.export_campaign_file(user.id, campaign.id, everything=everything)
        except SurveyError as exc:
            feedback.refused(PAGE, exc)
        else:
            st.session_state["camp_export_file"] = (campaign.id, exported.text, exported.rows)
            feedback.success(
                PAGE, tr("dist.exported", rows=count(exported.rows), handed_over=count(exported.handed_over))
            )
        st.rerun()
    prepared = st.session_state.get("camp_export_file")
    if prepared and prepared[0] == campaign.id:
        st.download_button(
            tr("dist.export_download", n=prepared[2]),
            prepared[1].encode("utf-8"),
            file_name=f"campaign-{campaign.id}.csv",
            mime="text/csv",
            key="camp_export",
        )


def campaign_view() -> None:
    existing = service.recent_campaigns()
    if not existing:
        st.info(tr("dist.no_campaigns"))
        return
    by_id = {c.id: c for c in existing}
    chosen = st.selectbox(
        tr("dist.campaign"),
        list(by_id),
        key="camp_select",
        format_func=lambda i: f"#{i} · {by_id[i].name} · {label('channel', by_id[i].channel, lang())}",
    )
    campaign = by_id[chosen]
    figures = service.campaign_figures(campaign.id)
    counts, cells = figures.funnel, figures.nonresponse
    for column, stage in zip(st.columns(4), ("invited", "sent", "completed", "failed")):
        column.metric(tr(f"dist.stage.{stage}"), count(counts[stage]))
    if campaign.channel in (Channel.SMS, Channel.EMAIL):
        send_panel(campaign)
    elif campaign.channel == Channel.EXPORT:
        export_panel(campaign)
    else:
        st.caption(tr("dist.phone_campaign"))
    funnel_chart(counts)
    st.subheader(tr("dist.rate_by_stratum"))
    st.dataframe(rate_table(figures.rates_by_stratum, ("stratum",)), hide_index=True, width="stretch", key="camp_rates")
    st.subheader(tr("dist.nonresponse"))
    st.caption(tr("dist.nonresponse_help"))
    if not cells.empty and cells["delivered"].sum():
        shown = cells.dropna(subset=["nonresponse_rate"]).assign(  # names, not codes
            tier=lambda f: f["tier"].map(lambda v: label("tier", v, lang())),
            region=lambda f: f["region"].map(lambda v: label("region", v, lang())),
        )
        heat = (
            alt.Chart(shown)
            .mark_rect()
            .encode(
                x=alt.X("region:N", title=tr("dist.stratum_key.region")),
                y=alt.Y("tier:N", title=tr("dist.stratum_key.tier")),
                color=alt.Color(
                    "nonresponse_rate:Q", title=tr("dist.nonresponse_rate"), scale=alt.Scale(domain=[0, 1])
                ),
                tooltip=[
                    alt.Tooltip("tier:N", title=tr("dist.stratum_key.tier")),
                    alt.Tooltip("region:N", title=tr("dist.stratum_key.region")),
                    alt.Tooltip("delivered:Q", title=tr("dist.stage.sent")),
                    alt.Tooltip("completed:Q", title=tr("dist.stage.completed")),
                    alt.Tooltip("nonresponse_rate:Q", format=".1%", title=tr("dist.nonresponse_rate")),
                ],
            )
        )
        st.altair_chart(heat, width="stretch")


feedback.show(PAGE)
new_tab, campaigns_tab = st.tabs([tr("dist.new_campaign"), tr("dist.campaigns")])
with new_tab:
    new_campaign()
with campaigns_tab:
    campaign_view()
