"""``dualrandom demo``: the main job from nothing, on an embedded SQLite database.

It builds a fresh demo workspace under ``var/demo/`` (its own config,
database and outputs), imports the sample registries, checks and loads the
rules, draws the first batch at a simulated ceremony, exports both bundles
and verifies them, then says where to look.
"""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import click

from dualrandom.app import App
from dualrandom.cli._context import AppContext
from dualrandom.config import load_settings
from dualrandom.draws import SecretStore, export_bundle, prepare_draw, run_draw, verify_bundle
from dualrandom.errors import IntegrityError
from dualrandom.registry import import_registry
from dualrandom.rules.check import check_rules, store_rules
from dualrandom.rules.store import StoredPlan, list_plans

REGISTRIES = ("departments", "objects", "inspectors", "conflicts")
# A demo stands in for the witnesses: a real ceremony types the digits they roll.
DEMO_ENTROPY = "demo: 4 2 6 1 5 3 3 6 1 2 5 4 6 6 2 1 3 5 4 2"


def register(cli: click.Group) -> None:
    cli.add_command(demo)


@click.command()
@click.pass_context
def demo(ctx: click.Context) -> None:
    """Run the whole job on a fresh demo database under var/demo/."""
    base = ctx.find_object(AppContext)
    settings = load_settings(base.config if base else None)
    workspace = settings.var_dir / "demo"
    config = _fresh_workspace(workspace, settings.registries_dir, settings.rules_dir)
    app = App.from_settings(load_settings(config, environ={}))
    try:
        _run(app, workspace, config)
    finally:
        app.close()


def _fresh_workspace(workspace: Path, registries: Path, rules: Path) -> Path:
    if workspace.exists():
        shutil.rmtree(workspace)
    workspace.mkdir(parents=True)
    config = workspace / "config.toml"
    config.write_text(
        "# Written by 'dualrandom demo'.\n"
        '[database]\nurl = "sqlite:///dualrandom.sqlite3"\n'
        f'[paths]\nregistries = "{registries.as_posix()}"\nrules = "{rules.as_posix()}"\nvar = "."\n',
        encoding="utf-8",
    )
    return config


def _run(app: App, workspace: Path, config: Path) -> None:
    now, today = datetime.now(UTC), datetime.now(UTC).date()
    app.upgrade()
    click.echo(f"1. Created the database {app.engine.url.render_as_string()}")
    with app.transaction() as session:
        for kind in REGISTRIES:
            summary = import_registry(
                session, kind, app.settings.registries_dir / f"{kind}.csv", today=today
            )
            click.echo(f"2. Imported {kind}: {summary.total} rows, digest {summary.digest[:16]}…")
        rules = check_rules(session, app.settings.rules_dir)
        store_rules(session, rules)
        plans = list_plans(session)
    click.echo(f"3. Checked and loaded the rules: {len(plans)} plans")
    plan = _next_plan(plans, today)
    secrets = SecretStore(workspace / "secrets")
    with app.transaction() as session:
        prepared = prepare_draw(session, plan, secrets=secrets, now=now)
    click.echo(
        f"4. Prepared {plan}: commitment {prepared.draw.commitment_hash[:16]}… published before any randomness"
    )
    with app.transaction() as session:
        _, result = run_draw(session, plan, DEMO_ENTROPY, secrets=secrets, now=now)
    click.echo(
        f"5. Drew {plan} with entropy {DEMO_ENTROPY!r}: {len(result.visits)} visits, seed {result.seed.hex()[:16]}…"
    )
    for tier in ("public", "auditor"):
        with app.transaction() as session:
            report = export_bundle(
                session, plan, workspace / "bundles" / f"{plan}-{tier}", tier=tier
            )
        verdict = verify_bundle(report.path)
        if not verdict.ok:
            raise IntegrityError(f"the demo's own {tier} bundle does not verify: {verdict.failure}")
        click.echo(f"6. Exported and verified the {tier} bundle: MATCH ({report.path})")
    click.echo("\nWhere to look:")
    click.echo(f"  dualrandom --config {config} draw show {plan}")
    click.echo(f"  python3 {workspace / 'bundles' / f'{plan}-public' / 'verify.py'}")
    click.echo(f"  dualrandom --config {config} audit verify")


def _next_plan(plans: list[StoredPlan], today: date) -> str:
    """The first plan whose window has not started, else the latest one."""
    upcoming = sorted(
        (p for p in plans if p.plan.window_start >= today), key=lambda p: p.plan.window_start
    )
    chosen = upcoming[0] if upcoming else max(plans, key=lambda p: p.plan.window_start)
    return str(chosen.plan.id)
