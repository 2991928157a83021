"""``dualrandom draw …`` and ``dualrandom verify``: the draw protocol on the command line."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from dualrandom.app import App
from dualrandom.cli._context import current_actor, pass_app
from dualrandom.cli._output import console, print_csv, print_json, print_rows
from dualrandom.draws import (
    TIERS,
    VISIT_COLUMNS,
    DrawState,
    SecretStore,
    draw_summary,
    export_bundle,
    get_draw,
    prepare_draw,
    prepared_draw,
    public_entropy,
    run_draw,
    verify_bundle,
    visit_cells,
    visit_views,
    write_commitment_notice,
)
from dualrandom.errors import IntegrityError, UserError
from dualrandom.integrity import require_exportable


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
            actor=current_actor(),
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
@click.option(
    "--yes", "-y", is_flag=True, help="Draw without asking to confirm the entropy (for scripts)."
)
@pass_app
def run(app: App, plan_id: str, entropy: str | None, yes: bool) -> None:
    """Reveal the secret, derive the seed and draw, in one transaction.

    The entropy is shown back, character by character, and the draw starts
    only once it is confirmed (or with --yes): a typo cannot be undone.
    """
    with app.transaction() as session:
        prepared_draw(session, plan_id)  # refuse before anyone types the entropy
    if entropy is None:
        entropy = click.prompt("公开随机数 Public entropy (e.g. the digits the witnesses rolled)")
    value = public_entropy(entropy)
    _show_entropy(value)
    if not yes and not click.confirm(
        "核对无误，开始抽取？抽取不可撤销 (Is it right? The draw cannot be undone)", default=False
    ):
        raise UserError(
            f"公开随机数未确认，没有抽取；请重新运行 dualrandom draw run {plan_id}",
            f"the entropy was not confirmed; nothing was drawn. Run 'dualrandom draw run {plan_id}' again",
        )
    with app.transaction() as session:
        row, result = run_draw(
            session,
            plan_id,
            value,
            secrets=_secrets(app),
            now=datetime.now(UTC),
            actor=current_actor(),
        )
    click.echo(
        f"Drew {plan_id} attempt {row.attempt}: {len(result.visits)} visits, seed {row.seed}"
    )
    for quota in result.shortfalls:
        click.echo(
            f"Shortfall: {quota.item}/{quota.stratum} has {quota.pool_size} objects, below its minimum {quota.min_count}"
        )
    click.echo(f"Next: 'dualrandom draw show {plan_id}' or 'dualrandom draw export {plan_id} DIR'.")


def _show_entropy(value: str) -> None:
    """The entropy large and unmistakable: characters spaced apart, a space as ␣."""
    spaced = " ".join("␣" if char == " " else char for char in value)
    console.print(
        Panel(
            Text(spaced, style="bold", justify="center"),
            title="公开随机数 public entropy",
            expand=False,
            padding=(1, 4),
        )
    )
    spaces = "，␣ 为空格 (␣ is a space)" if " " in value else ""
    click.echo(f"共 {len(value)} 个字符 ({len(value)} characters){spaces}")


@draw.command()
@click.argument("plan_id")
@click.option("--attempt", type=int, help="An earlier attempt [default: the latest].")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV for Excel (UTF-8 with BOM) on stdout.")
@pass_app
def show(app: App, plan_id: str, attempt: int | None, as_json: bool, as_csv: bool) -> None:
    """Print a draw: state, seed and each visit's business, items and team.

    For internal use: the teams are shown with the officers' names and
    roles (组长, 组员, …), which the public notices do not publish.
    """
    if as_json and as_csv:
        raise click.UsageError("--json and --csv: choose one")
    with app.transaction() as session:
        row = get_draw(session, plan_id, attempt)
        summary = draw_summary(session, row) if as_json else None
        visits = [] if as_json else visit_views(session, row)
    if summary is not None:
        print_json(summary)
        return
    if as_csv:
        print_csv(VISIT_COLUMNS, (visit_cells(v) for v in visits))
        return
    state = DrawState(row.state)
    click.echo(
        f"计划 {plan_id} 第 {row.attempt} 次抽取：{state.label}"
        f"（plan {plan_id} attempt {row.attempt}: {state}, {row.algorithm}）"
    )
    click.echo(f"承诺 commitment {row.commitment_hash}  种子 seed {row.seed or '-'}")
    print_rows(VISIT_COLUMNS, (visit_cells(v) for v in visits), f"{len(visits)} 户 visits")


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
        require_exportable(session, plan_id, attempt, site=app.settings.site_dir)
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
