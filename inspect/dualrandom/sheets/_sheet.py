"""A whole file opened as a sheet: its header matched to the columns, its rows in batches."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from dualrandom.errors import Problem, ValidationError
from dualrandom.sheets._batches import Batch, Header, batches, read_header
from dualrandom.sheets._columns import Column
from dualrandom.sheets._source import Source, read_table

__all__ = ["Sheet", "read_sheet"]


@dataclass(frozen=True, slots=True)
class Sheet:
    """The header of a file, what is wrong with it, and its data rows in batches.

    ``batches`` is lazy: the file is read as the caller goes through it."""

    header: Header
    problems: list[Problem]
    batches: Iterator[Batch]


def read_sheet(
    source: Source,
    columns: tuple[Column, ...],
    size: int,
    progress: Callable[[int], None] | None = None,
) -> Sheet:
    """Open ``source`` for reading in batches of ``size`` rows; a file without a header
    row is a ValidationError. ``progress`` is told how many bytes are read."""
    table = read_table(source, size, progress)
    if table is None:
        raise ValidationError([Problem(source.name, None, "", "", "is empty: no header row")])
    cells, chunks = table
    header, problems = read_header(source.name, cells, columns)
    return Sheet(header, problems, batches(source.name, header, columns, chunks))
