"""The outcome of a staff action, shown after the rerun that the action causes.

A button's callback runs, Streamlit reruns the page, and anything the callback drew is gone.
So an action records its outcome here and the page shows it on the next run, once: every
action says what happened, and the message survives the rerun (docs/ARCHITECTURE.md).

    def save():
        try:
            saved = design.save(...)
        except SurveyError as exc:
            feedback.refused(PAGE, exc)
        else:
            feedback.success(PAGE, tr("design.saved", title=saved.title))

    feedback.show(PAGE)      # where the page wants the message, once per run

A message is plain text: it often carries what someone typed or imported (a name, a customer
id, a file's cell, an error from the SMS gateway), so it is shown as written (ui/text.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import streamlit as st

from survey.core.errors import SurveyError
from ui.text import plain

Kind = Literal["success", "info", "warning", "error"]


@dataclass(frozen=True)
class Outcome:
    kind: Kind
    message: str
    details: tuple[str, ...] = ()  # e.g. one line per problem found in a form


def _key(page: str) -> str:
    return f"{page}__outcome"


def report(page: str, kind: Kind, message: str, details: tuple[str, ...] | list[str] = ()) -> None:
    st.session_state[_key(page)] = Outcome(kind, message, tuple(details))


def success(page: str, message: str) -> None:
    report(page, "success", message)


def info(page: str, message: str) -> None:
    report(page, "info", message)


def warning(page: str, message: str, details: tuple[str, ...] | list[str] = ()) -> None:
    report(page, "warning", message, details)


def error(page: str, message: str, details: tuple[str, ...] | list[str] = ()) -> None:
    report(page, "error", message, details)


def refusal_text(error: Exception) -> str:
    """A domain refusal in the reader's language (a refusal written as plain text reads as written)."""
    from ui.session import lang  # ui.session draws feedback too: import when used

    return error.text(lang()) if isinstance(error, SurveyError) else str(error)


def refused(page: str, error: Exception) -> None:
    """A domain refusal, shown after the rerun in the reader's language."""
    report(page, "error", refusal_text(error))


def pending(page: str) -> Outcome | None:
    """The outcome waiting to be shown, taken off so it shows once."""
    return st.session_state.pop(_key(page), None)


def show(page: str) -> Outcome | None:
    """Draw the waiting outcome (if any) where the page calls this, and return it."""
    outcome = pending(page)
    if outcome is not None:
        getattr(st, outcome.kind)(plain(outcome.message) + "".join(f"\n- {plain(line)}" for line in outcome.details))
    return outcome
