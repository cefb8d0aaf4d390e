"""Phone revisits (agent): the queue, the customer and service event, the call script, the
outcome of each call, and the answers, checked exactly like the customer's link page. Once a
call's outcome is recorded, the page moves on to the next customer in the queue."""

import pandas as pd
import streamlit as st

from survey.collect import phone, service
from survey.collect.visit import LinkState
from survey.core.config import settings
from survey.core.dates import long_date_text
from survey.core.i18n import label, team_label, text_in
from survey.core.vocab import CallOutcome
from ui import feedback
from ui.answer_widgets import draw_questions, posted_fields
from ui.format import count
from ui.session import action, lang, require_page, tr
from ui.text import plain

user = require_page(__file__)
st.title(tr("page.phone"))
PAGE = "phone"
PROBLEMS_KEY = "phone_problems"  # the answers a save refused, marked beside their questions after the rerun
PICK_KEY = "phone_pick"


def move_on_from(invitation_id: int) -> None:
    """The next customer in the queue is the one on screen after the rerun (the first, if none is left)."""
    following = service.next_call_after(user.id, invitation_id)
    if following is None:
        st.session_state.pop(PICK_KEY, None)
    else:
        st.session_state[PICK_KEY] = following


def prefix_of(invitation_id: int) -> str:
    return f"phone_{invitation_id}"


@action
def save_answers(invitation_id: int, questions) -> None:
    fields = posted_fields(questions, prefix_of(invitation_id))
    note = st.session_state.get(f"phone_note_{invitation_id}", "")
    try:
        result = phone.save_answers(invitation_id, user.id, fields, note=note)
    except phone.CallError as exc:
        feedback.refused(PAGE, exc)
        return
    if result.saved:
        feedback.success(PAGE, tr("phone.saved"))
        move_on_from(invitation_id)
    elif result.state != LinkState.OPEN:
        feedback.error(PAGE, tr(f"phone.not_open_{result.state.value}"))
    else:
        st.session_state[PROBLEMS_KEY] = result.problems
        feedback.error(PAGE, tr("phone.fix_answers", n=len(result.problems)))


@action
def record_call(invitation_id: int, outcome: str) -> None:
    callback = st.session_state.get(f"phone_callback_{invitation_id}")
    callback_at = callback.replace(tzinfo=settings().timezone) if callback else None
    try:
        service.record_call(
            user.id,
            invitation_id,
            outcome,
            callback_at=callback_at,
            note=st.session_state.get(f"phone_note_{invitation_id}", ""),
        )
    except phone.CallError as exc:
        feedback.refused(PAGE, exc)
    else:
        feedback.success(PAGE, tr("phone.recorded", outcome=label("call_outcome", outcome, lang())))
        move_on_from(invitation_id)


def queue_table(entries) -> None:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    tr("phone.customer"): e.customer_name,
                    tr("phone.tier"): label("tier", e.tier, lang()),
                    tr("phone.region"): label("region", e.region, lang()),
                    tr("phone.survey"): text_in(e.survey_name, lang()),
                    tr("phone.event"): label("event_kind", e.event_kind, lang()),
                    tr("phone.attempts"): e.attempts,
                    tr("phone.last_outcome"): label("call_outcome", e.last_outcome, lang()),
                    tr("phone.callback_at"): phone.local_time_text(e.callback_at, lang()),
                }
                for e in entries
            ]
        ),
        hide_index=True,
        width="stretch",
    )


def customer_card(call: service.PhoneCall) -> None:
    customer, event = call.customer, call.event
    st.subheader(plain(customer.name))
    st.markdown(
        f"📞 **{plain(customer.phone or '—')}**  \n"
        f"{label('tier', customer.tier, lang())} · {plain(label('region', customer.region, lang()))} · "
        f"{plain(label('segment', customer.segment, lang()))} · "
        f"{tr('phone.speaks')} {label('language', call.language, lang())}"
    )
    if event is not None:
        st.markdown(
            f"**{tr('phone.event')}:** {label('event_kind', event.kind, lang())} · "
            f"{label('touch_point', event.touch_point, lang())} · {long_date_text(event.day, lang())}"
            + (f" · {plain(team_label(event.team, lang()))}" if event.team else "")
            + (f" · {tr('phone.repeated_fault')}" if event.repeated_fault else "")
        )
    if call.history:
        st.caption(tr("phone.history"))
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        tr("phone.when"): phone.local_time_text(a.at, lang()),
                        tr("phone.outcome"): label("call_outcome", a.outcome, lang()),
                        tr("phone.callback_at"): phone.local_time_text(a.callback_at, lang()),
                        tr("phone.note"): a.note,
                    }
                    for a in call.history
                ]
            ),
            hide_index=True,
            width="stretch",
        )


feedback.show(PAGE)
problems = st.session_state.pop(PROBLEMS_KEY, {})
entries = service.phone_queue(user.id)
st.caption(tr("phone.queue_size", n=count(len(entries))))
if not entries:
    st.info(tr("phone.empty"))
    st.stop()
queue_table(entries)
labels = {
    e.invitation_id: f"{e.customer_name} · {text_in(e.survey_name, lang())}"
    + ("" if e.due else f" · {tr('phone.later')}")
    for e in entries
}
chosen = st.selectbox(tr("phone.pick"), list(labels), format_func=labels.get, key=PICK_KEY)
try:
    call = service.take_call(user.id, chosen)
except phone.CallError as exc:
    st.error(plain(feedback.refusal_text(exc)))
    st.stop()

left, right = st.columns([2, 3])
with left:
    customer_card(call)
with right:
    st.info("\n\n".join(plain(line) for line in call.script))  # it names the customer

outcome = st.radio(
    tr("phone.outcome"),
    [o.value for o in CallOutcome],
    key=f"phone_outcome_{chosen}",
    horizontal=True,
    format_func=lambda o: label("call_outcome", o, lang()),
)
if outcome == CallOutcome.ANSWERED:
    draw_questions(call.questions, call.language, call.piped, prefix_of(chosen), problems)
    st.text_area(tr("phone.note"), key=f"phone_note_{chosen}")
    st.button(tr("phone.save"), key="phone_save", type="primary", on_click=save_answers, args=(chosen, call.questions))
else:
    if outcome == CallOutcome.CALL_BACK:
        st.datetime_input(
            tr("phone.callback_at"),
            service.default_callback_time().replace(tzinfo=None),
            key=f"phone_callback_{chosen}",
            help=tr("phone.callback_help"),
        )
    st.text_area(tr("phone.note"), key=f"phone_note_{chosen}")
    st.button(tr("phone.record"), key="phone_record", type="primary", on_click=record_call, args=(chosen, outcome))
