"""`survey link`: a personal link for one customer, printed for scripts and for pasting."""

from __future__ import annotations

import click

from survey.core import db as database
from survey.cli.common import friendly_errors, schema_ready
from survey.core.i18n import LANGUAGES


@click.command("link")
@click.option("--survey", "survey_code", required=True, help="Survey code, e.g. repair-revisit.")
@click.option("--customer", "external_id", required=True, help="The customer's external id.")
@click.option("--lang", "language", type=click.Choice(LANGUAGES), default=None,
              help="Language of the survey page (default: the customer's).")
@click.option("--event", "ticket", default=None, help="Ticket id of the service event the survey asks about.")
@friendly_errors
def link(survey_code: str, external_id: str, language: str | None, ticket: str | None) -> None:
    """Create an invitation for one customer and print its personal link (base: SURVEY_BASE_URL)."""
    from survey.distribution.personal_links import create_personal_link

    schema_ready()
    with database.session() as db:
        _, url = create_personal_link(db, survey_code, external_id, language=language, event_ticket=ticket)
    click.echo(url)
