"""The `survey` command line: what operators script from cron and set-up scripts.

Every command acts on SURVEY_DATABASE_URL (or data/survey.db). Errors are one line on stderr
and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import functools
import logging
import sys
from datetime import date

import click

from survey import db as database
from survey.config import settings
from survey.vocab import Role


class UserError(click.ClickException):
    """One clear line for the user."""


def friendly_errors(func):
    """Turn the domain's expected failures into one-line CLI errors."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from survey.auth import AuthError
        from survey.demo import DemoExistsError
        from survey.design import DefinitionError

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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log progress to stderr.")
def main(verbose: bool) -> None:
    """Service-quality surveys: revisits, VIP satisfaction, measured service changes."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(message)s")
    if not verbose:
        logging.getLogger("alembic").setLevel(logging.WARNING)


# ---------------------------------------------------------------- db

@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@friendly_errors
def db_upgrade() -> None:
    """Apply every pending migration."""
    database.upgrade()
    click.echo(f"database is at revision {', '.join(sorted(database.current_revisions()))}")


# ---------------------------------------------------------------- demo

@main.command()
@click.option("--seed", type=int, default=7, show_default=True, help="Random seed (same seed, same data).")
@click.option("--responses", type=click.IntRange(min=500), default=None,
              help="How many responses to generate (default: SURVEY_DEMO_RESPONSES or 30000).")
@click.option("--end-date", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Last day of the 24 months of data (default: today).")
@click.option("--replace", is_flag=True, help="Wipe existing survey data first (users are kept).")
@friendly_errors
def demo(seed: int, responses: int | None, end_date, replace: bool) -> None:
    """Load realistic demo data with known injected effects, and write its ground truth."""
    from survey import demo as demo_data

    schema_ready()
    end: date | None = end_date.date() if end_date else None
    summary = demo_data.generate(seed=seed, responses=responses, end=end, replace=replace,
                                 progress=lambda message: click.echo(message, err=True))
    counts = ", ".join(f"{v:,} {k}" for k, v in summary.counts.items())
    click.echo(f"demo data {summary.start} to {summary.end}: {counts}")
    click.echo(f"ground truth: {summary.truth_path}")


# ---------------------------------------------------------------- users

@main.group()
def user() -> None:
    """Staff accounts."""


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--display-name", default="", help="Name shown in the app.")
@click.option("--language", type=click.Choice(["zh-CN", "en"]), default="zh-CN", show_default=True)
@click.option("--team", default=None, help="Team (agents: the queue they work).")
@friendly_errors
def user_add(name: str, role: str, password_stdin: bool, display_name: str, language: str, team: str | None) -> None:
    """Create a staff user NAME with a role."""
    from survey.auth import create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    schema_ready()
    with database.session() as db:
        created = create_user(db, name, role, password, display_name=display_name, language=language, team=team)
        click.echo(f"created {created.role} user '{created.username}'")


@user.command("list")
@friendly_errors
def user_list() -> None:
    """List staff users."""
    from sqlmodel import select

    from survey.models import User

    schema_ready()
    with database.session() as db:
        for account in db.exec(select(User).order_by(User.username)):
            state = "active" if account.active else "disabled"
            click.echo(f"{account.username}\t{account.role}\t{state}")


@main.command("config")
def show_config() -> None:
    """Print the settings in effect (passwords hidden)."""
    current = settings()
    try:
        url = database.normalise_url(current.database_url).render_as_string(hide_password=True)
    except database.DatabaseError as exc:
        url = f"(invalid) {exc}"
    click.echo(f"database: {url}\nbase url: {current.base_url}\ntimezone: {current.timezone.key}")
    click.echo(f"data dir: {current.data_dir}\nauto demo: {current.auto_demo}")



def register_feature_commands() -> None:
    """Feature modules build their commands with this module's helpers; they join `main` here."""
    from survey.cli_distribution import COMMANDS as DISTRIBUTION_COMMANDS

    for command in DISTRIBUTION_COMMANDS:
        main.add_command(command)
    from survey.cli_links import link

    main.add_command(link)
    from survey.cli_report import report

    main.add_command(report)
    from survey.cli_cases import COMMANDS as CASES_COMMANDS

    for command in CASES_COMMANDS:
        main.add_command(command)


if __name__ == "__main__":
    # `python -m survey.cli`: run the importable module, the one the feature modules import.
    from survey.cli import main as entry

    entry()
else:
    register_feature_commands()
