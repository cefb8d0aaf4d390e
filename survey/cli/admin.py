"""Commands for the installation itself: schema, demo data, staff users, settings."""

from __future__ import annotations

import sys
from datetime import date

import click

from survey.cli.common import friendly_errors, schema_ready
from survey.core import db as database
from survey.core.config import settings
from survey.core.vocab import Role

# ---------------------------------------------------------------- db


@click.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@friendly_errors
def db_upgrade() -> None:
    """Apply every pending migration."""
    database.upgrade()
    click.echo(f"database is at revision {', '.join(sorted(database.current_revisions()))}")


# ---------------------------------------------------------------- demo


@click.command()
@click.option("--seed", type=int, default=7, show_default=True, help="Random seed (same seed, same data).")
@click.option(
    "--responses",
    type=click.IntRange(min=500),
    default=None,
    help="How many responses to generate (default: SURVEY_DEMO_RESPONSES or 30000).",
)
@click.option(
    "--end-date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Last day of the 24 months of data (default: today).",
)
@click.option("--replace", is_flag=True, help="Wipe existing survey data first (users are kept).")
@friendly_errors
def demo(seed: int, responses: int | None, end_date, replace: bool) -> None:
    """Load realistic demo data with known injected effects, and write its ground truth."""
    from survey import demo as demo_data

    schema_ready()
    end: date | None = end_date.date() if end_date else None
    summary = demo_data.generate(
        seed=seed, responses=responses, end=end, replace=replace, progress=lambda message: click.echo(message, err=True)
    )
    counts = ", ".join(f"{v:,} {k}" for k, v in summary.counts.items())
    click.echo(f"demo data {summary.start} to {summary.end}: {counts}")
    click.echo(f"ground truth: {summary.truth_path}")


# ---------------------------------------------------------------- users


@click.group()
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
    from survey.accounts.auth import create_user

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


@click.command("config")
def show_config() -> None:
    """Print the settings in effect (passwords hidden)."""
    current = settings()
    try:
        url = database.normalise_url(current.database_url).render_as_string(hide_password=True)
    except database.DatabaseError as exc:
        url = f"(invalid) {exc}"
    click.echo(f"database: {url}\nbase url: {current.base_url}\ntimezone: {current.timezone.key}")
    click.echo(f"data dir: {current.data_dir}\nauto demo: {current.auto_demo}")


COMMANDS = (db, demo, user, show_config)
