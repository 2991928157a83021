"""``dualrandom audit``: show and verify the hash-chained audit log."""

from __future__ import annotations

import click

from dualrandom import audit as audit_log
from dualrandom.app import App
from dualrandom.cli._context import pass_app
from dualrandom.cli._output import print_json
from dualrandom.errors import IntegrityError


def register(cli: click.Group) -> None:
    cli.add_command(audit)


@click.group()
def audit() -> None:
    """The append-only, hash-chained audit log (全程留痕)."""


@audit.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def verify(app: App, as_json: bool) -> None:
    """Walk the chain; report the first altered, removed or inserted entry."""
    with app.transaction() as session:
        report = audit_log.verify(session)
    if as_json:
        print_json(
            {
                "entries": report.entries,
                "ok": report.ok,
                "first_bad_seq": report.first_bad_seq,
                "reason": report.reason,
            }
        )
    if not report.ok:
        raise IntegrityError(f"audit log broken at entry {report.first_bad_seq}: {report.reason}")
    if not as_json:
        click.echo(f"Audit log intact: {report.entries} entries.")
