"""`survey report ...`: the measured impact of service changes, and the metrics rollup."""

from __future__ import annotations

import json

import click

from survey.cli.common import friendly_errors, schema_ready
from survey.core import db as database

TABLE_ESTIMATES = (
    ("before_after", "before/after"),
    ("its_level", "ITS level"),
    ("its_slope", "ITS slope"),
    ("window", "event window"),
    ("did", "DiD"),
)


@click.group()
def report() -> None:
    """Reports from the survey data."""


@report.command("changes")
@click.option("--format", "output", type=click.Choice(["json", "table"]), default="table", show_default=True)
@click.option(
    "--lang",
    type=click.Choice(["en", "zh-CN"]),
    default="en",
    show_default=True,
    help="Language of the verdicts in the table.",
)
@friendly_errors
def changes(output: str, lang: str) -> None:
    """Every service change: before/after, interrupted time series (level and slope change)
    and difference-in-differences, each with its 95% interval, p and FDR-adjusted p."""
    from survey.insight import impact as change_impact
    from survey.insight import rollup

    schema_ready()
    rollup.refresh()
    with database.get_engine().connect() as conn:
        results = change_impact.analyse_all(conn)
    records = [change_impact.to_record(r) for r in results]
    if output == "json":
        click.echo(
            json.dumps(
                {
                    "changes": records,
                    "confidence": 0.95,
                    "p_adjustment": "Benjamini-Hochberg across changes, per estimate type",
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    for record in records:
        click.echo(_table(record, lang))


def _number(value, digits: int = 3) -> str:
    return (
        "—" if value is None else f"{value:.{digits}g}" if abs(value) < 0.01 and value != 0 else f"{value:.{digits}f}"
    )


def _table(record: dict, lang: str) -> str:
    title = record["title"] if lang == "zh-CN" else record["title_en"]
    window = f" to {record['end_date']}" if record["end_date"] else ""
    heading = (
        f"#{record['id']} {title} ({record['date']}{window}; {record['survey'] or 'all surveys'}, "
        f"{', '.join(record['question_codes']) or '-'}; series by {record['grain'] or '-'})"
    )
    lines = [heading, f"  {'estimate':<14}{'value':>10}{'95% CI':>22}{'p':>10}{'FDR p':>10}"]
    for key, name in TABLE_ESTIMATES:
        e = record["estimates"].get(key)
        if e is None:
            continue
        if key == "its_slope":
            name = f"ITS slope/{e['unit'].removeprefix('points per ')}"
        ci = f"{_number(e['ci_low'])} to {_number(e['ci_high'])}"
        lines.append(
            f"  {name:<14}{_number(e['estimate']):>10}{ci:>22}{_number(e['p_value']):>10}{_number(e['p_fdr']):>10}"
        )
    lines.append(f"  {record['verdict'][lang]}")
    if record["notes"]:
        lines.append(f"  notes: {', '.join(record['notes'])}")
    return "\n".join(lines) + "\n"


@report.command("rollup")
@click.option("--rebuild", is_flag=True, help="Recount everything (after deleting or editing answers).")
@friendly_errors
def rollup_command(rebuild: bool) -> None:
    """Bring the metrics rollup up to date (dashboards do this themselves)."""
    from survey.insight import rollup

    schema_ready()
    version = rollup.rebuild() if rebuild else rollup.refresh(invitations_now=True)
    click.echo(f"metrics rollup at version {version}")
