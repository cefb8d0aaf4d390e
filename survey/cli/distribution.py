"""Distribution commands: `survey import`, `survey campaign`, `survey send`, `survey review`,
`survey jobs run`. Cron-friendly: one summary line per step, non-zero exit with a clear
message on error."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from survey.cli.common import UserError, flatten, friendly_errors, schema_ready
from survey.core import db as database
from survey.core.vocab import Channel

# ---------------------------------------------------------------- import


@click.group("import")
def import_group() -> None:
    """Customers and service events from CSV or Excel."""


def _import(
    kind: str,
    file: Path,
    encoding: str,
    valid_only: bool,
    mappings: tuple[str, ...],
    sheet: str | None,
    rejected_out: Path | None,
) -> None:
    from survey.distribution.imports import ImportRejected, import_file

    pairs = [m.split("=", 1) for m in mappings]
    if any(len(p) != 2 for p in pairs):
        raise UserError("--map takes FIELD=COLUMN, e.g. --map phone=联系电话")
    _check_writable(rejected_out)
    schema_ready()
    try:
        with database.session() as db:
            report = import_file(
                db,
                file.read_bytes(),
                file.name,
                kind,
                encoding=encoding,
                mapping=dict(pairs),
                valid_only=valid_only,
                sheet=sheet,
            )
    except ImportRejected as exc:
        _write_rejected(exc.report, rejected_out)
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    _write_rejected(report, rejected_out)
    click.echo(
        f"imported {kind}: {report.inserted} new, {report.updated} updated, {len(report.rejected)} rejected"
        + (f" (encoding {report.encoding})" if report.encoding else "")
    )
    for line in report.error_lines()[:20]:
        click.echo(f"  rejected {line}", err=True)


def _check_writable(path: Path | None) -> None:
    """Refuse an output file that cannot be written before any work is done (or handed over)."""
    if path is not None and not (path.parent.is_dir() and os.access(path.parent, os.W_OK)):
        raise UserError(f"cannot write {path}: the folder {path.parent} does not exist or is not writable")


def _write_rejected(report, path: Path | None) -> None:
    if path is not None and report.rejected:
        path.write_text(report.rejected_csv(), encoding="utf-8")
        click.echo(f"rejected rows written to {path}", err=True)


def _import_options(func):
    for option in reversed(
        (
            click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path)),
            click.option(
                "--encoding",
                type=click.Choice(["auto", "utf-8", "gbk"]),
                default="auto",
                show_default=True,
                help="Text encoding of a CSV file.",
            ),
            click.option(
                "--valid-only",
                is_flag=True,
                help="Import the valid rows and skip the bad ones (default: a file with any bad row imports nothing).",
            ),
            click.option(
                "--map",
                "mappings",
                multiple=True,
                metavar="FIELD=COLUMN",
                help="Map a field to a column whose header is not recognised.",
            ),
            click.option("--sheet", default=None, help="Excel sheet (default: the first)."),
            click.option(
                "--rejected-out",
                type=click.Path(dir_okay=False, path_type=Path),
                default=None,
                help="Write the rejected rows, with their errors, to this CSV.",
            ),
        )
    ):
        func = option(func)
    return func


@import_group.command("customers")
@_import_options
@friendly_errors
def import_customers(file, encoding, valid_only, mappings, sheet, rejected_out) -> None:
    """Upsert customers by external id (columns: external_id, name, phone, email, tier, region, segment, language)."""
    _import("customers", file, encoding, valid_only, mappings, sheet, rejected_out)


@import_group.command("events")
@_import_options
@friendly_errors
def import_events(file, encoding, valid_only, mappings, sheet, rejected_out) -> None:
    """Upsert service events by ticket id (columns: external_ticket_id, customer_external_id, kind, touch_point,
    region, team, category, repeated_fault, occurred_at, closed_at)."""
    _import("events", file, encoding, valid_only, mappings, sheet, rejected_out)


# ---------------------------------------------------------------- campaigns


@click.group("campaign")
def campaign_group() -> None:
    """Campaigns: audience, sample, invitations."""


@campaign_group.command("create")
@click.option("--survey", "survey_code", required=True, help="Survey code, e.g. repair-revisit.")
@click.option("--channel", type=click.Choice([c.value for c in Channel]), required=True)
@click.option("--name", default=None)
@click.option("--tier", multiple=True, help="Customer tiers (repeat or comma-separate).")
@click.option("--region", multiple=True)
@click.option("--segment", multiple=True)
@click.option("--event-kind", multiple=True, help="Service event kinds, e.g. repair,install.")
@click.option("--touch-point", multiple=True)
@click.option("--team", multiple=True)
@click.option(
    "--closed-since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Events closed on or after this local date.",
)
@click.option("--closed-until", type=click.DateTime(formats=["%Y-%m-%d"]), default=None)
@click.option(
    "--sample",
    type=click.IntRange(min=1),
    default=None,
    help="Simple random sample of N (with --stratify: N in total, allocated in proportion).",
)
@click.option("--stratify", default=None, help="Strata, e.g. tier,region.")
@click.option("--per-stratum", type=click.IntRange(min=1), default=None, help="Fixed allocation: N per stratum.")
@click.option("--quota", multiple=True, metavar="STRATUM=N", help="Stop a stratum at N completes, e.g. gold=50.")
@click.option(
    "--fatigue-days",
    type=click.IntRange(min=0),
    default=30,
    show_default=True,
    help="Skip customers invited by any survey in the last N days.",
)
@click.option(
    "--survey-fatigue-days",
    type=click.IntRange(min=0),
    default=90,
    show_default=True,
    help="Skip customers invited by this survey in the last N days.",
)
@click.option("--expires-days", type=click.IntRange(min=1), default=14, show_default=True)
@click.option("--remind-after", type=click.IntRange(min=1), default=None, help="Remind non-responders after N days.")
@click.option("--max-reminders", type=click.IntRange(min=0), default=1, show_default=True)
@click.option("--seed", type=int, default=None, help="Random seed of the sample (recorded either way).")
@click.option(
    "--queue-until-configured",
    is_flag=True,
    help="On SMS or email not configured yet, queue the messages until it is (default: refuse).",
)
@click.option(
    "--launch-key",
    default=None,
    metavar="KEY",
    help="Run again with the same key (a retried script) and no second campaign is created.",
)
@friendly_errors
def campaign_create(
    survey_code,
    channel,
    name,
    tier,
    region,
    segment,
    event_kind,
    touch_point,
    team,
    closed_since,
    closed_until,
    sample,
    stratify,
    per_stratum,
    quota,
    fatigue_days,
    survey_fatigue_days,
    expires_days,
    remind_after,
    max_reminders,
    seed,
    queue_until_configured,
    launch_key,
) -> None:
    """Create and launch a campaign; prints its id and the number of invitations."""
    from survey.distribution.audience import Audience
    from survey.distribution.campaigns import create_campaign
    from survey.distribution.channels import ChannelNotConfigured

    audience = Audience(
        event_kinds=flatten(event_kind),
        regions=flatten(region),
        tiers=flatten(tier),
        segments=flatten(segment),
        touch_points=flatten(touch_point),
        teams=flatten(team),
        closed_since=closed_since.date() if closed_since else None,
        closed_until=closed_until.date() if closed_until else None,
        fatigue_days=fatigue_days,
        survey_fatigue_days=survey_fatigue_days,
    )
    plan = _plan(sample, stratify, per_stratum, quota, seed)
    schema_ready()
    try:
        with database.session() as db:
            created = create_campaign(
                db,
                survey_code,
                audience,
                plan,
                channel,
                name=name,
                expires_days=expires_days,
                remind_after_days=remind_after,
                max_reminders=max_reminders if remind_after else 0,
                launch_key=launch_key,
                queue_until_configured=queue_until_configured,
            )
    except ChannelNotConfigured as exc:
        raise UserError(f"{exc} (or queue it with --queue-until-configured)") from None
    if created.repeated:
        click.echo(
            f"campaign {created.campaign.id}: launched with this key already ({created.invitations} "
            "invitations); nothing new was created"
        )
        return
    click.echo(
        f"campaign {created.campaign.id}: {created.invitations} invitations "
        f"(channel {channel}, audience {created.audience})"
    )
    for stratum, n in sorted(created.by_stratum.items()):
        click.echo(f"  {stratum}: {n}")
    if created.waits_for_channel:
        click.echo(f"  the messages wait in the queue until {channel} is configured (see README, Configuration)")


def _plan(sample, stratify, per_stratum, quotas, seed):
    from survey.distribution.sampling import SamplingPlan, parse_quotas

    parsed_quotas = parse_quotas(",".join(quotas))
    if stratify:
        return SamplingPlan(
            "stratified",
            n=sample,
            strata=flatten((stratify,)),
            allocation="fixed" if per_stratum else "proportional",
            per_stratum=per_stratum,
            quotas=parsed_quotas,
            seed=seed,
        )
    if per_stratum or parsed_quotas:
        raise UserError("--per-stratum and --quota need --stratify")
    return SamplingPlan("random", n=sample, seed=seed) if sample else SamplingPlan("everyone", seed=seed)


@campaign_group.command("list")
@friendly_errors
def campaign_list() -> None:
    """Campaigns, newest first, with their funnel."""
    from survey.distribution.campaigns import campaigns
    from survey.distribution.funnel import funnel

    schema_ready()
    with database.session() as db:
        for campaign in campaigns(db):
            counts = funnel(db, campaign.id)
            click.echo(
                f"{campaign.id}\t{campaign.status}\t{campaign.channel}\t{counts['invited']} invited\t"
                f"{counts['completed']} completed\t{campaign.name}"
            )


@campaign_group.command("funnel")
@click.argument("campaign_id", type=int)
@friendly_errors
def campaign_funnel(campaign_id: int) -> None:
    """A campaign's funnel and response rate by stratum (95% Wilson intervals)."""
    from survey.distribution.funnel import STAGES, funnel, response_rates

    schema_ready()
    with database.session() as db:
        counts = funnel(db, campaign_id)
        if not counts["invited"]:
            raise UserError(f"campaign {campaign_id} has no invitations")
        click.echo("  ".join(f"{stage} {counts[stage]}" for stage in (*STAGES, "queued")))
        for rate in response_rates(db, ("stratum",), campaign_id=campaign_id):
            shown = "-" if rate.rate is None else (f"{rate.rate:.1%} [{rate.ci_low:.1%}, {rate.ci_high:.1%}]")
            click.echo(f"  {rate.group['stratum'] or 'all'}: {rate.completed}/{rate.delivered} {shown}")


@campaign_group.command("export")
@click.argument("campaign_id", type=int)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File to write (default: standard output).",
)
@click.option("--all", "everything", is_flag=True, help="Include invitations already exported.")
@friendly_errors
def campaign_export(campaign_id: int, output: Path | None, everything: bool) -> None:
    """CSV of phone, name, link and message for the operator's own SMS platform."""
    from survey.distribution.operator_csv import export_campaign

    _check_writable(output)
    schema_ready()
    with database.session() as db:
        exported = export_campaign(db, campaign_id, everything=everything)
        if output is not None:  # inside the transaction: a file that fails to write hands nothing over
            output.write_text(exported.text, encoding="utf-8")
    if output is None:
        click.echo(exported.text, nl=False)
    else:
        click.echo(f"{exported.rows} rows written to {output} ({exported.handed_over} newly handed over)")


# ---------------------------------------------------------------- sending


@click.command("send")
@click.option("--campaign", "campaign_id", type=int, default=None, help="Only this campaign's messages.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Send at most N messages.")
@friendly_errors
def send(campaign_id: int | None, limit: int | None) -> None:
    """Send the queued invitations and reminders that are due (run from cron)."""
    from survey.distribution.sending import run_queue

    schema_ready()
    report = run_queue(campaign_id=campaign_id, max_messages=limit)
    click.echo(report.summary())


@click.command("review")
@click.option("--campaign", "campaign_id", type=int, default=None)
@click.option("--mark-sent", type=int, multiple=True, metavar="ID", help="The message did arrive.")
@click.option("--resend", type=int, multiple=True, metavar="ID", help="The message did not arrive: send again.")
@friendly_errors
def review(campaign_id: int | None, mark_sent: tuple[int, ...], resend: tuple[int, ...]) -> None:
    """Messages whose outcome is unknown (a sender stopped mid-send on a channel that cannot dedupe)."""
    from survey.distribution.sending import resolve_uncertain, uncertain_deliveries

    schema_ready()
    with database.session() as db:
        for delivery_id in mark_sent:
            resolve_uncertain(db, delivery_id, delivered=True)
        for delivery_id in resend:
            resolve_uncertain(db, delivery_id, delivered=False)
        waiting = uncertain_deliveries(db, campaign_id)
    for delivery in waiting:
        click.echo(
            f"{delivery.id}\tcampaign {delivery.campaign_id}\tinvitation {delivery.invitation_id}\t"
            f"{delivery.channel}\t{delivery.last_error}"
        )
    click.echo(f"{len(waiting)} messages need a decision")


COMMANDS = (import_group, campaign_group, send, review)
