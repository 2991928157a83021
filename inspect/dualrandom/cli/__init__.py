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
    if _short(args) and _verified_dr2(Path(args[1]), Path(args[3]) if len(args) == 4 else None):
        return
    from dualrandom.cli._main import main as full

    full()


def _short(args: list[str]) -> bool:
    """``verify FOLDER`` or ``verify FOLDER --snapshot PATH`` (PATH existing; else the
    full command says what is wrong)."""
    if len(args) == 2:
        return args[0] == "verify"
    return (
        len(args) == 4 and args[0] == "verify" and args[2] == "--snapshot" and Path(args[3]).exists()
    )


def _verified_dr2(folder: Path, snapshot: Path | None = None) -> bool:
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

    report = verify_dr2(folder, str(declared.get("tier", "unknown")), snapshot)
    if not report.ok:
        return False
    for check in report.checks:
        click.echo(f"通过 ok  {check}")
    click.echo(report.verdict)
    return True
