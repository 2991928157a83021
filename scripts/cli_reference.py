"""Write docs/CLI.md from the commands' own --help (a test checks it is current).

python scripts/cli_reference.py [--check]
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from dualrandom.cli._main import cli

DOC = Path(__file__).resolve().parent.parent / "docs" / "CLI.md"
HEADER = """# Command reference

Generated from the commands' own `--help` by `scripts/cli_reference.py`; do
not edit by hand. Every command accepts `--config FILE` and `--operator NAME`
(who is acting, as the audit log records it: docs/AUDIT.md) before its name.
"""


def _commands(
    group: click.Group, path: tuple[str, ...]
) -> list[tuple[tuple[str, ...], click.Command]]:
    found: list[tuple[tuple[str, ...], click.Command]] = []
    for name in sorted(group.commands):
        command = group.commands[name]
        found.append(((*path, name), command))
        if isinstance(command, click.Group):
            found += _commands(command, (*path, name))
    return found


def reference() -> str:
    parts = [HEADER]
    for path, command in [((), cli), *_commands(cli, ())]:
        name = " ".join(("dualrandom", *path))
        with click.Context(command, info_name=name, terminal_width=88) as ctx:
            text = command.get_help(ctx)
        parts.append(f"\n## `{name}`\n\n```\n{text}\n```\n")
    return "".join(parts)


def main() -> None:
    text = reference()
    if "--check" in sys.argv:
        current = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
        sys.exit(
            0
            if current == text
            else "docs/CLI.md is out of date: run python scripts/cli_reference.py"
        )
    DOC.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
