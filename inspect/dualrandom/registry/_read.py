"""Checking a whole file: every row, every problem, before anything is kept.

:func:`check_file` streams the file in batches and hands each batch to the
caller while no problem has been found; after the first problem it keeps
checking but hands nothing on. At the end it raises one ValidationError
holding every problem, so the caller's transaction rolls back whatever the
earlier batches wrote.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator
from datetime import date
from itertools import islice

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualrandom.errors import Problem, ValidationError
from dualrandom.registry._checks import Check, Context, checks_for
from dualrandom.registry._columns import COLUMNS
from dualrandom.sheets import Batch, Source, read_sheet
from dualrandom.tables import DepartmentRow, InspectorRow, ObjectRow

__all__ = ["MAX_PROBLEMS", "Progress", "check_file", "context_for"]

# Enough for any clerk to work through; a file of garbage stops here instead
# of filling memory with millions of problems.
MAX_PROBLEMS = 100_000
BATCH_ROWS = 5000  # rows checked and written at a time: memory stays flat

Progress = Callable[[str, int, int], None]  # step, done, total (0: unknown)


def context_for(session: Session, today: date) -> Context:
    departments = frozenset(session.scalars(select(DepartmentRow.code)))
    return Context(today, departments, lambda kind, ids: _registered(session, kind, ids))


_IDS = {
    "objects": (ObjectRow.object_id, ObjectRow.version_to),
    "inspectors": (InspectorRow.cert_no, InspectorRow.version_to),
}


def _registered(session: Session, kind: str, ids: Collection[str]) -> set[str]:
    """Which of ``ids`` have a current row (gone or not) in the ``kind`` registry."""
    key, version_to = _IDS[kind]
    found: set[str] = set()
    for chunk in _chunks(sorted(ids), 500):
        found.update(session.scalars(select(key).where(key.in_(chunk), version_to.is_(None))))
    return found


def _chunks(values: list[str], size: int) -> Iterator[list[str]]:
    iterator = iter(values)
    while chunk := list(islice(iterator, size)):
        yield chunk


def check_file(
    kind: str,
    source: Source,
    context: Context,
    accept: Callable[[Batch], None],
    progress: Progress | None = None,
    *,
    checks: list[Check] | None = None,
    first_problem: bool = False,
) -> int:
    """Check every row of ``source``; pass clean batches to ``accept``; return the row count.

    ``checks`` replaces those of ``checks_for``; with ``first_problem`` the
    ValidationError comes with the first batch that has a problem (and lists
    only what was found so far)."""
    sheet = read_sheet(source, COLUMNS[kind], BATCH_ROWS, _bytes_progress(progress, source.size))
    problems = sheet.problems
    if checks is None:
        checks = checks_for(kind, context)
    count = 0
    for batch in sheet.batches:
        count += len(batch)
        for check in checks:
            check(batch)
        problems += batch.problems
        if not problems:
            accept(batch)
        elif first_problem:
            break
        if len(problems) >= MAX_PROBLEMS:
            problems.append(_stopped(source.name, batch.rows[-1]))
            break
    if problems:
        raise ValidationError(_in_file_order(problems))
    return count


def _bytes_progress(progress: Progress | None, total: int) -> Callable[[int], None] | None:
    if progress is None:
        return None
    return lambda done: progress("checking", done, total)


def _stopped(file: str, row: int) -> Problem:
    return Problem(
        file,
        row,
        "",
        "",
        f"已发现 {MAX_PROBLEMS} 处问题，停止检查；请先改正这些问题再导入",
        f"checking stopped after {MAX_PROBLEMS} problems; fix these and import again",
    )


def _in_file_order(problems: Iterable[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: p.row or 0)
