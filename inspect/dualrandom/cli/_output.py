"""Printing helpers shared by the commands: tables, problems, warnings, JSON."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from dualrandom.errors import Problem, ValidationError
from dualrandom.sheets import shown, write_problems_csv

__all__ = [
    "console",
    "print_csv",
    "print_json",
    "print_problems",
    "print_rows",
    "print_warning",
    "problem_json",
    "reporting_problems",
]

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

_PROBLEM_HEADERS = ("文件 file", "行 row", "列 column", "值 value", "原因", "reason")
# Below this width the table's six columns leave no room for a Chinese character:
# each problem is printed as lines instead, which the terminal wraps.
_NARROW = 60


def _cells(problem: Problem) -> tuple[str, ...]:
    row = "" if problem.row is None else str(problem.row)
    cells = (problem.file, row, problem.column, problem.value, problem.reason, problem.reason_en)
    return tuple(shown(cell) for cell in cells)


def print_problems(problems: Sequence[Problem], limit: int = 200) -> None:
    """Every bad row, on stderr: file, row, column, value, reason in Chinese and English.

    Nothing is ever cut: a long value or file name wraps within its cell
    (``overflow="fold"``), and on a narrow terminal the problems are listed
    one per block. Cells are text, never console markup, with control
    characters written out."""
    if err_console.width < _NARROW:
        for number, problem in enumerate(problems[:limit], start=1):
            lines = [f"问题 {number} Problem {number}"]
            lines += [f"  {h}: {c}" for h, c in zip(_PROBLEM_HEADERS, _cells(problem), strict=True)]
            err_console.print(Text("\n".join(lines)), soft_wrap=True)
    else:
        table = Table(title="问题 Problems", title_justify="left")
        for header in _PROBLEM_HEADERS:
            table.add_column(header, overflow="fold")
        for problem in problems[:limit]:
            table.add_row(*map(Text, _cells(problem)))
        err_console.print(table)
    if len(problems) > limit:
        more = len(problems) - limit
        err_console.print(
            Text(
                f"……另有 {more} 处问题（用 --errors-csv FILE 可得到全部）\n"
                f"… and {more} more (use --errors-csv FILE to get them all)"
            ),
            soft_wrap=True,
        )


def problem_json(problem: Problem) -> dict[str, Any]:
    """A problem for ``--json``: the reason in Chinese and in English."""
    return {
        "file": problem.file,
        "row": problem.row,
        "column": problem.column,
        "value": problem.value,
        "reason": problem.reason,
        "reason_en": problem.reason_en,
    }


@contextmanager
def reporting_problems(errors_csv: Path | None, as_json: bool) -> Iterator[None]:
    """On a ValidationError: write ``--errors-csv``, print JSON if asked, and re-raise
    so the root command prints the table and ``错误：…`` / ``Error: …``."""
    try:
        yield
    except ValidationError as exc:
        if errors_csv is not None:
            write_problems_csv(exc.problems, errors_csv)
            count = len(exc.problems)
            err_console.print(
                Text(
                    f"全部 {count} 处问题已写入 {errors_csv}\n"
                    f"All {count} problems written to {errors_csv}"
                ),
                soft_wrap=True,
            )
        if as_json:
            print_json({"ok": False, "problems": [problem_json(p) for p in exc.problems]})
        raise


def print_warning(message: str, english: str) -> None:
    """A warning on stderr: ``警告：…`` first, then ``Warning: …``."""
    err_console.print(Text(f"警告：{message}\nWarning: {english}"), soft_wrap=True)


def print_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str))


def print_csv(columns: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """CSV on stdout for Excel (UTF-8 with BOM): ``… --csv > file.csv``."""
    # Imported here: the publish package (1.4 s of imports) serves few commands.
    from dualrandom.publish import write_csv

    sys.stdout.flush()
    write_csv(sys.stdout.buffer, columns, rows)
    sys.stdout.buffer.flush()


def print_rows(columns: Sequence[str], rows: Iterable[Sequence[str]], title: str) -> None:
    """A table that wraps long cells instead of cutting them: an id or a
    name must be read whole. Cells are text, never console markup."""
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(Text(shown(cell)) for cell in row))
    console.print(table)
