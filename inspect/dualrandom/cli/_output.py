"""Printing helpers shared by the commands: tables, problems, JSON."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from dualrandom.errors import Problem
from dualrandom.publish import write_csv

__all__ = ["console", "print_csv", "print_json", "print_problems", "print_rows"]

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def print_problems(problems: Sequence[Problem], limit: int = 200) -> None:
    """Every bad row, on stderr: file, row, column, value, reason."""
    table = Table(
        "file", "row", "column", "value", "reason", title="Problems", title_justify="left"
    )
    for problem in problems[:limit]:
        row = "" if problem.row is None else str(problem.row)
        table.add_row(problem.file, row, problem.column, problem.value, problem.reason)
    err_console.print(table)
    if len(problems) > limit:
        err_console.print(
            f"… and {len(problems) - limit} more (use --errors-csv FILE to get them all)"
        )


def print_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str))


def print_csv(columns: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """CSV on stdout for Excel (UTF-8 with BOM): ``… --csv > file.csv``."""
    sys.stdout.flush()
    write_csv(sys.stdout.buffer, columns, rows)
    sys.stdout.buffer.flush()


def print_rows(columns: Sequence[str], rows: Iterable[Sequence[str]], title: str) -> None:
    """A table that wraps long cells instead of cutting them: an id or a
    name must be read whole."""
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*row)
    console.print(table)
