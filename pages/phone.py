"""Phone revisits (agent): the queue, the customer and service event, the call script, the
outcome of each call, and the answers, checked exactly like the customer's link page."""

from datetime import datetime, timedelta

import pandas as pd
import streamlit as st

from survey.accounts import auth
from survey.core import db as database
from survey.collect import phone
from survey.collect.answering import local_day_text
from survey.core.config import settings
from survey.core.i18n import label, text_in
from survey.collect.visit import LinkState
from survey.core.vocab import CallOutcome
from ui.answer_widgets import draw_questions, posted_fields
from ui.format import count
from ui.session import lang, require_page, tr

user = require_page(__file__)
st.title(tr("page.phone"))
RESULT_KEY = "phone_result"      # the last save or record, shown after the rerun


def prefix_of(invitation_id: int) -> str:
    return f"phone_{invitation_id}"


def save_answers(invitation_id: int, questions) -> None:
    fields = posted_fields(questions, prefix_of(invitation_id))
    note = st.session_state.get(f"phone_note_{invitation_id}", "")
    try:
        result = phone.save_answers(invitation_id, user.id, fields, note=note)
    except phone.CallError as exc:
        st.session_state[RESULT_KEY] = ("error", str(exc))
        return
    if result.saved:
        st.session_state[RESULT_KEY] = ("success", tr("phone.saved"))
    elif result.state != LinkState.OPEN:
        st.session_state[RESULT_KEY] = ("error", tr(f"phone.not_open_{result.state.value}"))
    else:
        st.session_state[RESULT_KEY] = ("problems", result.problems)


def record_call(invitation_id: int, outcome: str) -> None:
    callback = st.session_state.get(f"phone_callback_{invitation_id}")
    callback_at = callback.replace(tzinfo=settings().timezone) if callback else None
    try:
        with database.session() as db:
            phone.record_attempt(db, invitation_id, user.id, outcome, callback_at=callback_at,
                                 note=st.session_state.get(f"phone_note_{invitation_id}", ""))
        st.session_state[RESULT_KEY] = ("success", tr("phone.recorded", outcome=label("call_outcome", outcome, lang())))
    except phone.CallError as exc:
        st.session_state[RESULT_KEY] = ("error", str(exc))


def show_result() -> dict:
    """Shows the last action's message; returns the answers' problems, if that is what it was."""
    kind, payload = st.session_state.pop(RESULT_KEY, (None, None))
    if kind == "success":
        st.success(payload)
    elif kind == "error":
        st.error(payload)
    elif kind == "problems":
        st.error(tr("phone.fix_answers", n=len(payload)))
        return payload
    return {}


def queue_table(entries) -> None:
    st.dataframe(pd.DataFrame([{
        tr("phone.customer"): e.customer_name, tr("phone.tier"): label("tier", e.tier, lang()),
        tr("phone.region"): label("region", e.region, lang()), tr("phone.survey"): text_in(e.survey_name, lang()),
        tr("phone.event"): label("event_kind", e.event_kind, lang()), tr("phone.attempts"): e.attempts,
        tr("phone.last_outcome"): label("call_outcome", e.last_outcome, lang()),
        tr("phone.callback_at"): phone.local_time_text(e.callback_at, lang()),
    } for e in entries]), hide_index=True, width="stretch")


def customer_card(call) -> None:
    customer, event = call.customer, call.event
    st.subheader(customer.name or customer.external_id)
    st.markdown(f"📞 **{customer.phone or '—'}**  \n"
                f"{label('tier', customer.tier, lang())} · {label('region', customer.region, lang())} · "
                f"{label('segment', customer.segment, lang())} · {tr('phone.speaks')} {call.language}")
    if event is not None:
        day = event.occurred_at.astimezone(settings().timezone).date()
        st.markdown(f"**{tr('phone.event')}:** {label('event_kind', event.kind, lang())} · "
                    f"{label('touch_point', event.touch_point, lang())} · {local_day_text(day, lang())}"
                    + (f" · {event.team}" if event.team else "")
                    + (f" · {tr('phone.repeated_fault')}" if event.repeated_fault else ""))
    if call.attempts:
        st.caption(tr("phone.history"))
        st.dataframe(pd.DataFrame([{
            tr("phone.when"): phone.local_time_text(a.at, lang()),
            tr("phone.outcome"): label("call_outcome", a.outcome, lang()),
            tr("phone.callback_at"): phone.local_time_text(a.callback_at, lang()), tr("phone.note"): a.note,
        } for a in call.attempts]), hide_index=True, width="stretch")


problems = show_result()
with database.session() as db:
    entries = phone.queue(db, user.id)
st.caption(tr("phone.queue_size", n=count(len(entries))))
if not entries:
    st.info(tr("phone.empty"))
    st.stop()
queue_table(entries)
labels = {e.invitation_id: f"{e.customer_name} · {text_in(e.survey_name, lang())}"
          + ("" if e.due else f" · {tr('phone.later')}") for e in entries}
chosen = st.selectbox(tr("phone.pick"), list(labels), format_func=labels.get, key="phone_pick")
try:
    with database.session() as db:
        call = phone.open_call(db, chosen, user.id)
        agent_name = auth.acting_user(db, user.id).display_name or user.username
except phone.CallError as exc:
    st.error(str(exc))
    st.stop()

left, right = st.columns([2, 3])
with left:
    customer_card(call)
with right:
    st.info("\n\n".join(phone.script(call, agent_name)))

outcome = st.radio(tr("phone.outcome"), [o.value for o in CallOutcome], key=f"phone_outcome_{chosen}",
                   horizontal=True, format_func=lambda o: label("call_outcome", o, lang()))
if outcome == CallOutcome.ANSWERED:
    questionnaire = call.questionnaire
    draw_questions(questionnaire.questions, call.language, questionnaire.pipe(call.language), prefix_of(chosen),
                   problems)
    st.text_area(tr("phone.note"), key=f"phone_note_{chosen}")
    st.button(tr("phone.save"), key="phone_save", type="primary", on_click=save_answers,
              args=(chosen, questionnaire.questions))
else:
    if outcome == CallOutcome.CALL_BACK:
        tomorrow = datetime.now(settings().timezone).replace(tzinfo=None, minute=0, second=0, microsecond=0)
        st.datetime_input(tr("phone.callback_at"), tomorrow + timedelta(days=1), key=f"phone_callback_{chosen}")
    st.text_area(tr("phone.note"), key=f"phone_note_{chosen}")
    st.button(tr("phone.record"), key="phone_record", type="primary", on_click=record_call, args=(chosen, outcome))
