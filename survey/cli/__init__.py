"""The `survey` command line: what operators script from cron and set-up scripts.

Every command acts on SURVEY_DATABASE_URL (or data/survey.db). Errors are one line on stderr
and a non-zero exit, never a traceback. Commands live in one module per capability
(``admin``, ``distribution``, ``cases``, ``links``, ``report``) and join ``main`` here, in one
place; no command module imports this one.
"""

from __future__ import annotations

import logging

import click

from survey.cli import admin, cases, distribution, links, report

@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log progress to stderr.")
def main(verbose: bool) -> None:
    """Service-quality surveys: revisits, VIP satisfaction, measured service changes."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(message)s")
    if not verbose:
        logging.getLogger("alembic").setLevel(logging.WARNING)


for command in (*admin.COMMANDS, *distribution.COMMANDS, links.link, report.report, *cases.COMMANDS):
    main.add_command(command)
