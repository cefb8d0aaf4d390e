"""Jobs (admins, quality): the scheduled jobs' last run, outcome, next run and last error."""

import pandas as pd
import streamlit as st

from survey.jobs import service as jobs
from ui import feedback
from ui.format import local_time
from ui.session import action, require_page, tr

PAGE = "jobs"

user = require_page(__file__)
st.title(tr("page.jobs"))
st.caption(tr("jobs.intro"))
feedback.show(PAGE)


def job_label(name: str) -> str:
    return tr(f"jobs.name.{name}")


def outcome_label(outcome) -> str:
    return tr(f"jobs.outcome.{outcome}") if outcome else tr("jobs.outcome.never")


@action
def run_now(name: str) -> None:
    jobs.request_run(name, user.id)
    if jobs.scheduler_state().runner:
        feedback.success(PAGE, tr("jobs.requested", job=job_label(name)))
    else:
        feedback.warning(PAGE, tr("jobs.requested_no_runner", job=job_label(name)))


state = jobs.scheduler_state()
if state.runner:
    st.success(tr("jobs.runner", runner=state.runner, since=local_time(state.runner_since)))
else:
    st.warning(tr("jobs.no_runner"))

never = tr("jobs.never")
st.dataframe(
    pd.DataFrame(
        [
            {
                tr("jobs.col.job"): job_label(job.name),
                tr("jobs.col.last_run"): local_time(job.last_started_at, never=never),
                tr("jobs.col.outcome"): outcome_label(job.last_outcome),
                tr("jobs.col.next_run"): local_time(job.next_run_at, never=never),
                tr("jobs.col.runs"): job.runs,
                tr("jobs.col.failures"): job.failures,
                tr("jobs.col.last_error"): (
                    tr("jobs.error_at", when=local_time(job.last_error_at), error=job.last_error)
                    if job.last_error
                    else ""
                ),
            }
            for job in state.jobs
        ]
    ),
    hide_index=True,
    width="stretch",
)

for job in state.jobs:
    left, right = st.columns([4, 1])
    with left.expander(tr("jobs.details", job=job_label(job.name))):
        if job.last_counts:
            st.markdown("\n".join(f"- {tr(f'jobs.count.{kind}', n=n)}" for kind, n in job.last_counts.items()))
        else:
            st.caption(outcome_label(job.last_outcome))
    right.button(
        tr("jobs.run_now"), key=f"jobs_run_{job.name}", help=tr("jobs.run_now_help"), on_click=run_now, args=(job.name,)
    )
st.button(tr("jobs.refresh"), key="jobs_refresh")
