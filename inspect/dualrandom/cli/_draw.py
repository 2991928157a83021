"""``dualrandom draw …`` and ``dualrandom verify``: the draw protocol on the command line."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click
from rich.table import Table

from dualrandom.app import App
from dualrandom.cli._context import pass_app
from dualrandom.cli._output import console, print_json
from dualrandom.draws import (
    TIERS,
    SecretStore,
    draw_summary,
    export_bundle,
    get_draw,
    prepare_draw,
    run_draw,
    verify_bundle,
    write_commitment_notice,
)
from dualrandom.errors import IntegrityError


def register(cli: click.Group) -> None:
    cli.add_command(draw)
    cli.add_command(verify)


def _secrets(app: App) -> SecretStore:
    return SecretStore(app.settings.secrets_dir)


@click.group()
def draw() -> None:
    """Draw a plan's batch: prepare (commit), run (reveal and draw), show, export."""


@draw.command()
@click.argument("plan_id")
@click.option(
    "--entropy-source",
    type=click.Choice(["dice", "beacon", "typed"]),
    help="How the public entropy will be obtained [default: the plan's].",
)
@click.option(
    "--supersede", is_flag=True, help="Replace an earlier draw of this plan (kept on record)."
)
@click.option("--reason", help="Why the earlier draw is superseded (required with --supersede).")
@pass_app
def prepare(
    app: App, plan_id: str, entropy_source: str | None, supersede: bool, reason: str | None
) -> None:
    """Freeze the inputs and publish the commitment (抽取前公告), before any randomness."""
    if supersede != (reason is not None):
        raise click.UsageError("--supersede and --reason TEXT go together")
    with app.transaction() as session:
        prepared = prepare_draw(
            session,
            plan_id,
            secrets=_secrets(app),
            now=datetime.now(UTC),
            entropy_source=entropy_source,
            supersede_reason=reason,
        )
        row = prepared.draw
        notice = write_commitment_notice(app.settings.var_dir, row)
    table = Table(
        "item",
        "stratum",
        "pool",
        "k",
        "reserve",
        "shortfall",
        title=f"{plan_id} attempt {row.attempt}: quotas",
    )
    for q in json.loads(row.commitment)["quotas"]:
        table.add_row(
            q["item"],
            q["stratum"],
            str(q["pool_size"]),
            str(q["k"]),
            str(q["reserve"]),
            str(q["shortfall"] or ""),
        )
    console.print(table)
    click.echo(f"Commitment {row.commitment_hash} written to {notice}")
    click.echo(f"Operator secret kept in {prepared.secret_path} (only its hash is published).")
    click.echo(
        f"Next: publish the commitment, then 'dualrandom draw run {plan_id}' at the ceremony."
    )


@draw.command()
@click.argument("plan_id")
@click.option(
    "--entropy", help="The public entropy (witnesses' dice, beacon value); prompted for if omitted."
)
@pass_app
def run(app: App, plan_id: str, entropy: str | None) -> None:
    """Reveal the secret, derive the seed and draw, in one transaction."""
    if entropy is None:
        entropy = click.prompt("Public entropy (e.g. the digits the witnesses rolled)")
    with app.transaction() as session:
        row, result = run_draw(
            session, plan_id, entropy, secrets=_secrets(app), now=datetime.now(UTC)
        )
    click.echo(
        f"Drew {plan_id} attempt {row.attempt}: {len(result.visits)} visits, seed {row.seed}"
    )
    for quota in result.shortfalls:
        click.echo(
            f"Shortfall: {quota.item}/{quota.stratum} has {quota.pool_size} objects, below its minimum {quota.min_count}"
        )
    click.echo(f"Next: 'dualrandom draw show {plan_id}' or 'dualrandom draw export {plan_id} DIR'.")


@draw.command()
@click.argument("plan_id")
@click.option("--attempt", type=int, help="An earlier attempt [default: the latest].")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def show(app: App, plan_id: str, attempt: int | None, as_json: bool) -> None:
    """Print a draw: state, seed and the drawn visits (no personal data)."""
    with app.transaction() as session:
        summary = draw_summary(session, get_draw(session, plan_id, attempt))
    if as_json:
        print_json(summary)
        return
    click.echo(
        f"{summary['plan']} attempt {summary['attempt']}: {summary['state']} ({summary['algorithm']})"
    )
    click.echo(f"commitment {summary['commitment_hash']}  seed {summary['seed'] or '-'}")
    table = Table("#", "object", "ticket", "items", "departments")
    for v in summary["visits"]:
        table.add_row(
            str(v["number"]),
            v["object_id"],
            v["ticket"],
            ", ".join(v["items"]),
            ", ".join(v["departments"]),
        )
    console.print(table)


@draw.command()
@click.argument("plan_id")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--tier",
    type=click.Choice(TIERS),
    default="public",
    show_default=True,
    help="public: for everyone; auditor: re-runs the whole draw.",
)
@click.option("--attempt", type=int, help="An earlier attempt [default: the latest].")
@pass_app
def export(app: App, plan_id: str, folder: Path, tier: str, attempt: int | None) -> None:
    """Write the verification bundle of a draw into FOLDER."""
    with app.transaction() as session:
        report = export_bundle(session, plan_id, folder, tier=tier, attempt=attempt)
    click.echo(
        f"Wrote the {report.tier} bundle: {report.files} files, {report.bytes} bytes, in {report.path}"
    )
    click.echo(f"Check it with: python3 {report.path / 'verify.py'}")


@click.command()
@click.argument("bundle", type=click.Path(exists=True, file_okay=False, path_type=Path))
def verify(bundle: Path) -> None:
    """Recompute a draw from its bundle; print MATCH or the first difference."""
    report = verify_bundle(bundle)
    for check in report.checks:
        click.echo(f"ok  {check}")
    if not report.ok:
        raise IntegrityError(f"MISMATCH ({report.tier} bundle): {report.failure}")
    click.echo("MATCH")
