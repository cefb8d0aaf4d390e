"""Revisit rules (quality): "repair closed -> repair revisit one day later, 100% of VIPs, 30% of
standard customers", stored in the database; and a button that asks the scheduler to run the
jobs now (it runs them in the app process within seconds)."""

import pandas as pd
import streamlit as st

from survey.core.errors import SurveyError
from survey.core.i18n import label
from survey.core.vocab import Channel, EventKind, Tier
from survey.distribution import service
from survey.distribution.triggers import RuleSpec
from survey.jobs import service as jobs
from survey.jobs.scheduler import JOB_NAMES
from ui import feedback
from ui.channels import missing_text, show_statuses, unconfigured
from ui.session import action, lang, require_page, tr
from ui.text import plain

user = require_page(__file__)
st.title(tr("dist.page.rules"))
PAGE = "rules"
NEW = ""
DEFAULT_RATES = {"diamond": 100, "gold": 100, "silver": 100, "standard": 30}


@action
def run_jobs_now() -> None:
    """Bring every job's next run forward; the scheduler picks them up within seconds."""
    for name in JOB_NAMES:
        jobs.request_run(name, user.id)
    if jobs.scheduler_state().runner:
        feedback.success(PAGE, tr("dist.jobs_requested"))
    else:
        feedback.warning(PAGE, tr("dist.jobs_requested_no_runner"))


def saved(spec: RuleSpec) -> None:
    """Say the rule is saved, and when its channel cannot send yet, that its invitations wait."""
    waiting = unconfigured(channel_states, spec.channel) if spec.active else None
    if waiting is None:
        feedback.success(PAGE, tr("dist.rule_saved", code=spec.code))
    else:
        feedback.warning(
            PAGE,
            tr(
                "dist.rule_saved_waits",
                code=spec.code,
                missing=missing_text(waiting.channel, waiting.missing or waiting.settings),
            ),
        )


feedback.show(PAGE)
channel_states = service.channel_statuses()
show_statuses(channel_states)
specs = {spec.code: spec for spec in service.revisit_rules()}
surveys = [s.code for s in service.launchable_surveys()]

if specs:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    tr("dist.rule_code"): spec.code,
                    tr("dist.rule_name"): spec.name,
                    tr("dist.survey"): spec.survey_code,
                    tr("dist.event_kinds"): ", ".join(label("event_kind", k, lang()) for k in spec.event_kinds),
                    tr("dist.delay_hours"): spec.delay_hours,
                    tr("dist.rates"): ", ".join(
                        f"{label('tier', t, lang())} {round(100 * r)}%" for t, r in spec.rates.items()
                    ),
                    tr("dist.channel"): label("channel", spec.channel, lang()),
                    tr("dist.active"): spec.active,
                }
                for spec in specs.values()
            ]
        ),
        hide_index=True,
        width="stretch",
    )
else:
    st.info(tr("dist.no_rules"))

chosen = st.selectbox(
    tr("dist.edit_rule"),
    [NEW, *specs],
    key="rule_pick",
    format_func=lambda c: tr("dist.new_rule") if c == NEW else f"{c} · {specs[c].name}",
)
current = specs.get(chosen)
if not surveys:
    st.info(tr("dist.no_surveys"))
    st.stop()

with st.form(f"rule_form_{chosen or 'new'}"):
    cols = st.columns(3)
    code = cols[0].text_input(
        tr("dist.rule_code"), current.code if current else "", key="rule_code", disabled=current is not None
    )
    name = cols[1].text_input(tr("dist.rule_name"), current.name if current else "", key="rule_name")
    survey_code = cols[2].selectbox(
        tr("dist.survey"),
        surveys,
        key="rule_survey",
        index=surveys.index(current.survey_code) if current else 0,
        disabled=current is not None,
    )
    kinds = st.multiselect(
        tr("dist.event_kinds"),
        [k.value for k in EventKind],
        placeholder=tr("app.choose"),
        key="rule_kinds",
        default=list(current.event_kinds) if current else ["repair"],
        format_func=lambda k: label("event_kind", k, lang()),
    )
    timing = st.columns(4)
    delay = timing[0].number_input(
        tr("dist.delay_hours"), 0, 24 * 30, current.delay_hours if current else 24, key="rule_delay"
    )
    channels = [Channel.SMS.value, Channel.EMAIL.value, Channel.PHONE.value]
    channel = timing[1].selectbox(
        tr("dist.channel"),
        channels,
        key="rule_channel",
        index=channels.index(current.channel) if current else 0,
        format_func=lambda c: label("channel", c, lang()),
    )
    expires = timing[2].number_input(
        tr("dist.expires_days"), 1, 90, current.expires_days if current else 7, key="rule_expires"
    )
    fatigue = timing[3].number_input(
        tr("dist.survey_fatigue_days"), 0, 365, current.fatigue_days if current else 30, key="rule_fatigue"
    )
    st.markdown(f"**{tr('dist.rates')}**")
    rate_cols = st.columns(4)
    rates = {
        tier.value: rate_cols[i].number_input(
            label("tier", tier.value, lang()),
            0,
            100,
            round(100 * current.rates.get(tier.value, 0)) if current else DEFAULT_RATES[tier.value],
            key=f"rule_rate_{tier.value}",
        )
        / 100
        for i, tier in enumerate(Tier)
    }
    reminders = st.columns(3)
    remind_after = reminders[0].number_input(
        tr("dist.remind_after"), 0, 30, (current.remind_after_days or 0) if current else 2, key="rule_remind"
    )
    max_reminders = reminders[1].number_input(
        tr("dist.max_reminders"), 0, 5, current.max_reminders if current else 1, key="rule_max_reminders"
    )
    active = reminders[2].checkbox(tr("dist.active"), current.active if current else True, key="rule_active")
    if st.form_submit_button(tr("dist.save_rule"), key="rule_save", type="primary"):
        spec = RuleSpec(
            code=(current.code if current else code).strip(),
            name=name.strip(),
            survey_code=current.survey_code if current else survey_code,
            event_kinds=tuple(kinds),
            rates=rates,
            channel=channel,
            delay_hours=int(delay),
            fatigue_days=int(fatigue),
            expires_days=int(expires),
            remind_after_days=int(remind_after) or None,
            max_reminders=int(max_reminders) if remind_after else 0,
            active=active,
            **({"messages": current.messages} if current else {}),
        )
        try:
            service.save_revisit_rule(user.id, spec)
        except SurveyError as exc:
            st.error(plain(feedback.refusal_text(exc)))
        else:
            saved(spec)
            st.rerun()

st.divider()
st.button(tr("dist.run_jobs"), key="rule_run_jobs", help=tr("dist.run_jobs_help"), on_click=run_jobs_now)
