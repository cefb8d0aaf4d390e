"""`survey link`: a personal link for one customer, printed for scripts and for pasting."""

from __future__ import annotations

import click

from survey.cli.common import friendly_errors, schema_ready
from survey.core import db as database
from survey.core.i18n import LANGUAGES


@click.command("link")
@click.option("--survey", "survey_code", required=True, help="Survey code, e.g. repair-revisit.")
@click.option("--customer", "external_id", required=True, help="The customer's external id.")
@click.option(
    "--lang",
    "language",
    type=click.Choice(LANGUAGES),
    default=None,
    help="Language of the survey page (default: the customer's).",
)
@click.option("--event", "ticket", default=None, help="Ticket id of the service event the survey asks about.")
@click.option(
    "--replace",
    is_flag=True,
    help="Make a new link even if the customer has a live one about this event; the old one stops working.",
)
@friendly_errors
def link(survey_code: str, external_id: str, language: str | None, ticket: str | None, replace: bool) -> None:
    """Print a customer's personal link (base: SURVEY_BASE_URL): the live one they have about this
    event, else a new invitation. Asking again never makes a second live link."""
    from survey.distribution.personal_links import LinkOutcome, personal_link_for

    schema_ready()
    with database.session() as db:
        made = personal_link_for(db, survey_code, external_id, language=language, event_ticket=ticket, replace=replace)
    click.echo(made.link)
    if made.outcome == LinkOutcome.REUSED:
        click.echo("(the customer's live link about this event; --replace makes a new one)", err=True)
    elif made.outcome == LinkOutcome.REPLACED:
        click.echo("(the customer's previous link now says it was replaced)", err=True)
