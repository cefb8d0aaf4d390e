"""Closed-loop commands: `survey cases run|list`, `survey export responses`, `survey customer erase`."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from survey.cli.common import UserError, flatten, friendly_errors, schema_ready
from survey.core import db as database
from survey.core.dates import local_datetime_text
from survey.core.i18n import LANGUAGES, label, t, team_label
from survey.core.vocab import CaseStatus


@click.group("cases")
def cases_group() -> None:
    """Follow-up cases for unhappy customers."""


@cases_group.command("run")
@friendly_errors
def cases_run() -> None:
    """Apply the case rules to new responses and record recontact answers (idempotent, for cron)."""
    from survey.cases.rules import run_rules

    schema_ready()
    for line in run_rules().lines():
        click.echo(line)


@cases_group.command("list")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice([s.value for s in CaseStatus]),
    help="Only these statuses (default: open and contacted).",
)
@click.option("--team", default=None, help="Only this team's cases.")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True)
@click.option(
    "--lang",
    "language",
    type=click.Choice(LANGUAGES),
    default="en",
    show_default=True,
    help="Language of the reason, status, priority and team (codes otherwise stay codes).",
)
@friendly_errors
def cases_list(statuses: tuple[str, ...], team: str | None, limit: int, language: str) -> None:
    """Cases, overdue first (tab-separated; phone numbers masked; due in local time)."""
    from survey.cases.reasons import describe
    from survey.cases.workflow import OPEN_STATUSES, case_list
    from survey.privacy.erasure import mask_phone

    schema_ready()
    with database.session() as db:
        rows = case_list(db, statuses=statuses or OPEN_STATUSES, team=team, limit=limit)
    for row in rows:
        click.echo(
            "\t".join(
                str(v)
                for v in (
                    row.id,
                    label("case_status", row.status, language),
                    t("cli.overdue", language) if row.overdue else "",
                    label("cases.priority", row.priority, language),
                    team_label(row.team, language),
                    row.assignee or "",
                    mask_phone(row.customer_phone) or "",
                    local_datetime_text(row.due_at, language),
                    describe(row.reason, language),
                )
            )
        )


@click.group("export")
def export_group() -> None:
    """Exports of survey data."""


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UserError(f"{option} must be a date like 2026-03-31 (got '{value}')") from None


@export_group.command("responses")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), required=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="File to write.")
@click.option("--survey", "surveys", multiple=True, help="Survey code (repeat or comma-separate for several).")
@click.option("--from", "start", default=None, help="First answer date, YYYY-MM-DD (local).")
@click.option("--to", "end", default=None, help="Last answer date, YYYY-MM-DD (local).")
@click.option("--region", "regions", multiple=True, help="Region (repeat or comma-separate).")
@click.option("--touch-point", "touch_points", multiple=True, help="Touch point (repeat or comma-separate).")
@click.option("--tier", "tiers", multiple=True, help="Tier (repeat or comma-separate).")
@click.option("--segment", "segments", multiple=True, help="Segment (repeat or comma-separate).")
@click.option("--with-contact", is_flag=True, help="Add the customer's external id, name, phone and email.")
@friendly_errors
def export_responses(
    fmt: str, out: Path, surveys, start, end, regions, touch_points, tiers, segments, with_contact: bool
) -> None:
    """Responses as CSV (UTF-8 with BOM) or Excel, one column per question code."""
    from survey.core.filters import Filters, survey_ids
    from survey.privacy.export import write_export

    schema_ready()
    with database.session() as db:
        filters = Filters(
            start=_date(start, "--from"),
            end=_date(end, "--to"),
            surveys=survey_ids(db, flatten(surveys)),
            regions=flatten(regions),
            touch_points=flatten(touch_points),
            tiers=flatten(tiers),
            segments=flatten(segments),
        )
        rows = write_export(db, filters, out, fmt, with_contact=with_contact)
    click.echo(f"{rows} responses written to {out}")


@click.group("customer")
def customer_group() -> None:
    """Customers' personal data."""


@customer_group.command("erase")
@click.argument("external_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@friendly_errors
def customer_erase(external_id: str, yes: bool) -> None:
    """Erase a customer's personal data; their responses stay, anonymous."""
    from survey.privacy.erasure import erase_customer

    if not yes:
        click.confirm(f"Erase the personal data of customer '{external_id}'? This cannot be undone", abort=True)
    schema_ready()
    with database.session() as db:
        done = erase_customer(db, external_id)
    click.echo(
        f"customer {external_id} erased (now erased-{done.customer_id}): {done.responses} responses kept "
        f"anonymous, {done.answers_redacted} free-text answers redacted, {done.cases} cases cleared"
    )


COMMANDS = (cases_group, export_group, customer_group)
