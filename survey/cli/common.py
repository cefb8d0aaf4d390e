"""What every command shares: one-line errors, migrating first, repeated options."""

from __future__ import annotations

import functools

import click

from survey.core import db as database


class UserError(click.ClickException):
    """One clear line for the user."""


def friendly_errors(func):
    """Turn the domain's expected failures into one-line CLI errors."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from survey.accounts.auth import AuthError
        from survey.demo import DemoExistsError
        from survey.design.definitions import DefinitionError

        try:
            return func(*args, **kwargs)
        except database.DatabaseError as exc:
            raise UserError(str(exc)) from None
        except KeyError as exc:   # str(KeyError) wraps its message in quotes
            raise UserError(str(exc.args[0]) if exc.args else str(exc)) from None
        except (AuthError, DemoExistsError, DefinitionError, ValueError) as exc:
            raise UserError(str(exc)) from None

    return wrapper


def schema_ready() -> None:
    """Commands that need the tables migrate first (cheap when already current)."""
    database.upgrade()


def flatten(values: tuple[str, ...]) -> tuple[str, ...]:
    """Repeated options that may also hold comma-separated lists: ("a,b", "c") -> ("a", "b", "c")."""
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())
