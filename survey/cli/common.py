"""What every command shares: one-line errors, migrating first, repeated options."""

from __future__ import annotations

import functools

import click

from survey.core import db as database
from survey.core.errors import SurveyError


class UserError(click.ClickException):
    """One clear line for the user."""


def friendly_errors(func):
    """Turn the domain's refusals (:class:`SurveyError`) into one-line CLI errors.

    Only those: any other exception is a bug, and its traceback is what finds it."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except SurveyError as exc:
            raise UserError(str(exc)) from None

    return wrapper


def schema_ready() -> None:
    """Commands that need the tables migrate first (cheap when already current)."""
    database.upgrade()


def flatten(values: tuple[str, ...]) -> tuple[str, ...]:
    """Repeated options that may also hold comma-separated lists: ("a,b", "c") -> ("a", "b", "c")."""
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())
