"""The `survey` command line: what operators script from cron and set-up scripts.

Every command acts on SURVEY_DATABASE_URL (or data/survey.db). A refusal (a
``survey.core.errors.SurveyError``: bad input, a wrong setting, a state that does not allow it)
is one line on stderr and exit 1; anything else is a bug and keeps its traceback. Commands live
in one module per capability (``admin``, ``distribution``, ``jobs``, ``cases``, ``links``,
``report``) and join ``main`` here, in one place; no command module imports this one.
"""

from __future__ import annotations

import logging

import click

from survey.cli import admin, cases, distribution, jobs, links, report


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log progress to stderr.")
def main(verbose: bool) -> None:
    """Service-quality surveys: revisits, VIP satisfaction, measured service changes."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(message)s")
    if not verbose:
        logging.getLogger("alembic").setLevel(logging.WARNING)


for command in (*admin.COMMANDS, *distribution.COMMANDS, *jobs.COMMANDS, links.link, report.report, *cases.COMMANDS):
    main.add_command(command)
