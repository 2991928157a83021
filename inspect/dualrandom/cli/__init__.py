"""The ``dualrandom`` command line: a thin layer over the library.

Each command parses its options, calls one library function inside one
transaction, and prints. Every error a user can cause prints ``Error: …``
with what to do next and exits 1; a traceback means a bug.

``dualrandom verify FOLDER`` of a DR-2 bundle that matches takes a short
path: it imports the verifier alone, not the database layer and every
command (over a second on a shared machine), and prints what the full
command prints. Anything else, a mismatch included, runs the full command.
"""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["main"]


def main() -> None:
    args = sys.argv[1:]
    if len(args) == 2 and args[0] == "verify" and _verified_dr2(Path(args[1])):
        return
    from dualrandom.cli._main import main as full

    full()


def _verified_dr2(folder: Path) -> bool:
    """Verify a DR-2 bundle and print as ``verify`` does, if it matches; else False."""
    import json

    try:
        declared = json.loads((folder / "bundle.json").read_bytes())
    except (OSError, ValueError):
        return False
    if not isinstance(declared, dict) or declared.get("algorithm") != "DR-2":
        return False
    import click

    from dualrandom.draws.verify_dr2 import verify_dr2

    report = verify_dr2(folder, str(declared.get("tier", "unknown")))
    if not report.ok:
        return False
    for check in report.checks:
        click.echo(f"通过 ok  {check}")
    click.echo(report.verdict)
    return True
