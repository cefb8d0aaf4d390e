"""Follow-up cases: agents see their cases (overdue first) and work them; quality staff see every
team's, reassign and run the rules; executives read, with phone numbers masked. Everything reads
in words: why a case was opened, the answers behind it, its history, team names."""

import re
from collections.abc import Callable

import pandas as pd
import streamlit as st

from survey.cases import service as cases
from survey.core.i18n import label, team_label, text_in
from survey.core.vocab import CaseStatus, Role
from survey.distribution.service import channel_statuses
from survey.privacy.service import contact_for, text_for
from ui import feedback
from ui.channels import missing_text
from ui.format import count, day, local_time
from ui.session import lang, require_page, tr
from ui.text import plain

PAGE = "cases"
user = require_page(__file__)
st.title(tr("cases.page"))
RECOVERED = {True: "cases.recovered_true", False: "cases.recovered_false", None: "cases.recovered_none"}
works = user.role in (Role.AGENT, Role.QUALITY, Role.ADMIN)
manages = user.role in (Role.QUALITY, Role.ADMIN)
PICK_KEY = "cases_pick"
PICK_AGAIN = "cases_pick__again"  # the case an action changed: chosen again, under its new label


def act(case_id: int, change: Callable[[], object], done: str) -> None:
    """Run a change to a case; what happened shows after the rerun, with the case still chosen."""
    try:
        change()
    except cases.RecontactChannelMissing as exc:
        feedback.error(PAGE, missing_text(exc.channel, exc.settings) + " " + tr("cases.recontact_not_sent"))
    except cases.CaseError as exc:
        feedback.refused(PAGE, exc)
    else:
        feedback.success(PAGE, done)
    st.session_state[PICK_AGAIN] = case_id
    st.rerun()


def pick_again(case_ids: list[int]) -> None:
    """The picker's labels carry each case's status. The browser keeps the label it last chose, so
    after a change the page chooses the case again: the browser then shows its new status, and
    its next click still names an option (a stale label would jump to another case)."""
    again = st.session_state.pop(PICK_AGAIN, None)
    if again in case_ids:
        st.session_state[PICK_KEY] = again


def reason(stored: str) -> str:
    return cases.reason_text(stored, lang())


def yes_no(value: str | None) -> str:
    return {"True": tr("words.yes"), "False": tr("words.no")}.get(value or "", value or "")


def numbered(key: str, text: str | None) -> str:
    """ "response 12" / "invitation 7" (as the history stores them) in words."""
    found = re.fullmatch(r"[a-z]+ (\d+)", text or "")
    return tr(key, id=found.group(1)) if found else (text or "")


HISTORY_VALUES = {
    "status": lambda v: label("case_status", v, lang()),
    "root_cause": lambda v: label("dimension", v, lang()),
    "recovered": yes_no,
    "team": lambda v: team_label(v, lang()),
    "trigger": lambda v: numbered("cases.trigger_response", v),
    "recontact": lambda v: label("channel", v, lang()),
}
HISTORY_NOTES = {
    "recovered": lambda n: tr("cases.source.phone") if n == "phone" else tr("cases.source.survey") if n else "",
    "recontact": lambda n: numbered("cases.recontact_invitation", n),
}


def history_value(field: str, value: str | None) -> str:
    return HISTORY_VALUES.get(field, lambda v: v or "")(value) if value is not None else ""


def history_note(field: str, note: str) -> str:
    """A note as written, or (opening and trigger entries) why the case was opened, in words."""
    return HISTORY_NOTES[field](note) if field in HISTORY_NOTES else text_for(user.role, reason(note))


def run_rules() -> None:
    report = cases.apply_rules(user.id)
    feedback.success(
        PAGE,
        tr(
            "cases.run_done",
            evaluated=report.evaluated,
            opened=report.opened,
            added=report.added_to_open,
            recontacts=report.recontacts_recorded,
        ),
    )
    st.rerun()


def case_table(rows) -> None:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "#": r.id,
                    tr("cases.overdue"): "⚠" if r.overdue else "",
                    tr("cases.status"): label("case_status", r.status, lang()),
                    tr("cases.priority"): label("cases.priority", r.priority, lang()),
                    tr("cases.customer"): contact_for(user.role, r.customer_name, r.customer_phone).name or "",
                    tr("cases.phone"): contact_for(user.role, r.customer_name, r.customer_phone).phone or "",
                    tr("cases.tier"): label("tier", r.tier, lang()),
                    tr("cases.team"): team_label(r.team, lang()),
                    tr("cases.assignee"): r.assignee or tr("cases.nobody"),
                    tr("cases.due"): local_time(r.due_at),
                    tr("cases.category"): label("dimension", r.category, lang()),
                    tr("cases.reason"): reason(r.reason),
                }
                for r in rows
            ]
        ),
        hide_index=True,
        width="stretch",
    )


feedback.show(PAGE)
if manages and st.button(tr("cases.run_rules"), key="cases_run", help=tr("cases.run_rules_help")):
    run_rules()

team_names = cases.teams()
scopes = ["mine", "team", "all", "unassigned"] if user.role != Role.AGENT else ["mine", "unassigned"]
left, middle, right = st.columns(3)
scope = left.radio(
    tr("cases.scope"),
    scopes,
    key="cases_scope",
    horizontal=True,
    index=0 if user.role == Role.AGENT else scopes.index("all"),
    format_func=lambda s: tr(f"cases.scope_{s}"),
)
statuses = middle.multiselect(
    tr("cases.status"),
    [s.value for s in CaseStatus],
    placeholder=tr("app.choose_filter"),
    key="cases_statuses",
    default=[s.value for s in cases.OPEN_STATUSES],
    format_func=lambda s: label("case_status", s, lang()),
)
team = (
    right.selectbox(tr("cases.team"), team_names, key="cases_team", format_func=lambda n: team_label(n, lang()))
    if scope == "team" and team_names
    else None
)

rows = cases.case_queue(user.id, scope, team=team, statuses=statuses)
overdue = sum(r.overdue for r in rows)
cols = st.columns(3)
cols[0].metric(tr("cases.shown"), count(len(rows)))
cols[1].metric(tr("cases.overdue_count"), count(overdue))
cols[2].metric(tr("cases.high_priority"), count(sum(r.priority == "high" for r in rows)))
if not rows:
    st.info(tr("cases.none"))
    st.stop()
case_table(rows)

by_id = {r.id: r for r in rows}
pick_again(list(by_id))
chosen = st.selectbox(
    tr("cases.pick"),
    list(by_id),
    key=PICK_KEY,
    format_func=lambda i: f"#{i} · {label('case_status', by_id[i].status, lang())} · {reason(by_id[i].reason)[:60]}",
)
case = cases.case_view(chosen)
shown = contact_for(user.role, case.customer_name, case.customer_phone, case.customer_email)

st.subheader(tr("cases.case_title", id=case.id, status=label("case_status", case.status, lang())))
info = st.columns(4)
info[0].markdown(
    f"**{tr('cases.customer')}**  \n{plain(shown.name or '—')} · {label('tier', case.tier, lang())}  \n"
    f"{plain(shown.phone or '—')}  \n{plain(shown.email)}"
)
info[1].markdown(
    f"**{tr('cases.due')}**  \n{local_time(case.due_at)}" + ("  \n⚠ " + tr("cases.overdue") if case.overdue else "")
)
info[2].markdown(
    f"**{tr('cases.team')}**  \n{plain(team_label(case.team, lang()) or '—')}  \n"
    f"{plain(case.assignee or tr('cases.nobody'))}"
)
info[3].markdown(
    f"**{tr('cases.root_cause')}**  \n{label('dimension', case.root_cause, lang()) or '—'}  \n"
    f"{tr('cases.recovered')}: {tr(RECOVERED[case.recovered])}"
)
st.caption(
    f"{tr('cases.reason')}: {plain(reason(case.reason))}"  # it may quote the comment
    + (f" · {tr('cases.category')}: {label('dimension', case.category, lang())}" if case.category else "")
)
if case.survey_name:
    with st.expander(
        tr("cases.answers", survey=plain(text_in(case.survey_name, lang())), day=day(case.answered_on)), expanded=True
    ):
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        tr("cases.question"): text_in(a.question, lang()),
                        tr("cases.answer"): text_for(user.role, text_in(a.value, lang())),
                    }
                    for a in case.answers
                    if not a.free_text
                ],
                columns=[tr("cases.question"), tr("cases.answer")],
            ),
            hide_index=True,
            width="stretch",
        )
        for comment in (a for a in case.answers if a.free_text):  # whole, not cut to a cell
            st.caption(plain(text_in(comment.question, lang())))
            st.text(text_for(user.role, text_in(comment.value, lang())))
if case.notes:
    st.text(text_for(user.role, case.notes))
if case.recontact_status:
    st.caption(tr("cases.recontact_state", state=label("invitation_status", case.recontact_status, lang())))

if works:
    note = st.text_area(tr("cases.note"), key=f"cases_note_{case.id}", max_chars=cases.NOTE_LIMIT)
    buttons = st.columns(4)
    if CaseStatus.CONTACTED in case.next_statuses and buttons[0].button(
        tr("cases.mark_contacted"), key="cases_contacted"
    ):
        act(
            case.id,
            lambda: cases.change_status(user.id, case.id, CaseStatus.CONTACTED, note=note),
            tr("cases.done_contacted", id=case.id),
        )
    if CaseStatus.UNREACHABLE in case.next_statuses and buttons[1].button(
        tr("cases.mark_unreachable"), key="cases_unreachable"
    ):
        act(
            case.id,
            lambda: cases.change_status(user.id, case.id, CaseStatus.UNREACHABLE, note=note),
            tr("cases.done_unreachable", id=case.id),
        )
    if CaseStatus.OPEN in case.next_statuses and buttons[2].button(tr("cases.reopen"), key="cases_reopen"):
        act(
            case.id,
            lambda: cases.change_status(user.id, case.id, CaseStatus.OPEN, note=note),
            tr("cases.done_reopened", id=case.id),
        )
    if buttons[3].button(tr("cases.add_note"), key="cases_add_note"):
        act(case.id, lambda: cases.add_note(user.id, case.id, note), tr("cases.done_note", id=case.id))
    if CaseStatus.RESOLVED in case.next_statuses:
        with st.form(f"cases_resolve_{case.id}"):
            root = st.selectbox(
                tr("cases.root_cause"),
                cases.ROOT_CAUSES,
                key="cases_root_cause",
                index=cases.ROOT_CAUSES.index(case.category) if case.category in cases.ROOT_CAUSES else 0,
                format_func=lambda c: label("dimension", c, lang()),
            )
            send = st.checkbox(tr("cases.send_recontact"), key="cases_send_recontact", help=tr("cases.recontact_help"))
            queue = any(not channel.configured for channel in channel_statuses()) and st.checkbox(
                tr("cases.queue_recontact"), key="cases_queue_recontact"
            )
            if st.form_submit_button(tr("cases.resolve"), key="cases_resolve", type="primary"):
                act(
                    case.id,
                    lambda: cases.resolve(
                        user.id, case.id, root, note=note, send_recontact=send, queue_until_configured=queue
                    ),
                    tr("cases.done_resolved", id=case.id),
                )
    if case.status == CaseStatus.RESOLVED and case.recovered is None:
        asked = st.columns(2)
        if asked[0].button(tr("cases.phone_satisfied"), key="cases_phone_yes"):
            act(
                case.id,
                lambda: cases.record_phone_answer(user.id, case.id, True),
                tr("cases.done_recontact", id=case.id),
            )
        if asked[1].button(tr("cases.phone_unsatisfied"), key="cases_phone_no"):
            act(
                case.id,
                lambda: cases.record_phone_answer(user.id, case.id, False),
                tr("cases.done_recontact", id=case.id),
            )

if manages:
    people = {
        w.id: f"{w.username} ({label('role', w.role, lang())}{', ' + team_label(w.team, lang()) if w.team else ''})"
        for w in cases.workers()
    }
    with st.form(f"cases_assign_{case.id}"):
        options = [None, *people]
        assignee = st.selectbox(
            tr("cases.assignee"),
            options,
            key="cases_assignee",
            index=options.index(case.assignee_id) if case.assignee_id in options else 0,
            format_func=lambda i: tr("cases.nobody") if i is None else people[i],
        )
        new_team = st.text_input(tr("cases.team"), case.team or "", key="cases_new_team")
        if st.form_submit_button(tr("cases.reassign"), key="cases_reassign"):
            act(
                case.id,
                lambda: cases.reassign(user.id, case.id, assignee, team=new_team.strip() or None),
                tr("cases.done_assigned", id=case.id),
            )

st.subheader(tr("cases.history"))
st.dataframe(
    pd.DataFrame(
        [
            {
                tr("cases.when"): local_time(event.at),
                tr("cases.who"): event.who or tr("cases.system"),
                tr("cases.field"): label("cases.field", event.field, lang()),
                tr("cases.from"): history_value(event.field, event.old_value),
                tr("cases.to"): history_value(event.field, event.new_value),
                tr("cases.note"): history_note(event.field, event.note),
            }
            for event in case.history
        ]
    ),
    hide_index=True,
    width="stretch",
)
