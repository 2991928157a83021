"""A spreadsheet read as batches of rows, column by column.

Working on a few thousand rows at a time keeps memory flat however large the
file is, and working on whole columns lets each distinct text of a
low-cardinality column (a status, a date, a district) be parsed once. Every
bad cell becomes a :class:`~dualrandom.errors.Problem` in the batch: reading
never stops at the first.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from dualrandom.errors import Problem
from dualrandom.sheets._columns import Column, header_lookup
from dualrandom.sheets._csv import Columns
from dualrandom.sheets._fields import Invalid, Parsed
from dualrandom.sheets._reason import Reason, shown
from dualrandom.sheets._workbook import LostDigits

__all__ = ["Batch", "Header", "batches", "read_header"]

_MEMO_LIMIT = 1 << 16  # distinct texts remembered per column before starting afresh


@dataclass(frozen=True, slots=True)
class Header:
    """Where each known column is in the file, and how its header was written."""

    positions: dict[str, int]
    written: dict[str, str]
    width: int
    blank: tuple[int, ...]  # positions without a header: a value there is a problem


def read_header(
    file: str, cells: Sequence[str], columns: tuple[Column, ...]
) -> tuple[Header, list[Problem]]:
    """Match the header row to ``columns``; report unknown, repeated and missing columns."""
    lookup = header_lookup(columns)
    positions: dict[str, int] = {}
    written: dict[str, str] = {}
    blank: list[int] = []
    problems: list[Problem] = []
    for position, cell in enumerate(cells):
        text = cell.strip().lstrip("\ufeff")
        column = lookup.get(text) or lookup.get(text.lower())
        if not text:
            blank.append(position)
        elif column is None:
            problems.append(Problem(file, 1, shown(text), shown(text), *_unknown(text, lookup)))
        elif column.name in positions:
            first = written[column.name]
            reason = Reason(
                f"与已有的列“{first}”重复，两者都是 {column.label()}",
                f"repeats column {column.label()}, already given as {first!r}",
            )
            problems.append(Problem(file, 1, text, text, *reason))
        else:
            positions[column.name], written[column.name] = position, text
    problems += [
        Problem(
            file,
            1,
            column.chinese,
            "",
            f"缺少必填的列 {column.label()}",
            f"the required column {column.label()} is missing",
        )
        for column in columns
        if column.required and column.name not in positions
    ]
    return Header(positions, written, len(cells), tuple(blank)), problems


def _unknown(text: str, lookup: dict[str, Column]) -> Reason:
    guess = difflib.get_close_matches(text, list(lookup), n=1, cutoff=0.5)
    if not guess:
        return Reason("不是可识别的列名", "is not a known column")
    label = lookup[guess[0]].label()
    return Reason(
        f"不是可识别的列名；您是否要写 {label}？", f"is not a known column; did you mean {label}?"
    )


@dataclass(slots=True)
class Batch:
    """Consecutive data rows: their cells and parsed values by column name."""

    file: str
    header: Header
    columns: dict[str, Column]
    rows: list[int]
    cells: dict[str, Sequence[str]] = field(default_factory=dict)
    values: dict[str, list[Any]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rows)

    def problem(
        self,
        index: int,
        column: str,
        reason: Reason,
        value: str | None = None,
        row: int | None = None,
    ) -> None:
        """Record a problem with the cell of ``column`` in the ``index``-th row of the batch
        (or, for a pair of rows, in an earlier ``row``). The value is shown with its
        control characters written out (:func:`shown`)."""
        cells = self.cells.get(column)
        text = value if value is not None else (cells[index].strip() if cells else "")
        where = self.rows[index] if row is None else row
        self.problems.append(Problem(self.file, where, self.label(column), shown(text), *reason))

    def label(self, column: str) -> str:
        """The header as written in the file; the Chinese header for an absent column."""
        if column in self.header.written:
            return self.header.written[column]
        return self.columns[column].chinese if column in self.columns else column


class ColumnParser:
    """Parses one column of every batch of one file, remembering distinct texts."""

    def __init__(self, column: Column, workbook: bool = False) -> None:
        self.column = column
        self.workbook = workbook
        self.known: dict[str, Any] = {}
        self.bad: dict[str, Reason] = {}

    def parse(self, cells: Sequence[str]) -> Parsed:
        values, failures = self._parse(cells)
        if self.workbook:
            lost = [i for i, cell in enumerate(cells) if type(cell) is LostDigits]
            if lost:
                for i in lost:
                    values[i] = None
                failures = [(i, r) for i, r in failures if i not in lost]
                failures += [(i, LostDigits.REASON) for i in lost]
        return values, failures

    def _parse(self, cells: Sequence[str]) -> Parsed:
        field = self.column.field
        if not field.memo:
            return field.parse_many(cells, self.column.required)
        try:  # one pass when every text was seen before, as in most batches
            values = list(map(self.known.__getitem__, cells))
        except KeyError:
            if len(self.known) > _MEMO_LIMIT:
                self.known.clear()
            for cell in set(cells).difference(self.known):
                try:
                    self.known[cell] = field.parse_cell(cell, self.column.required)
                except Invalid as exc:
                    self.known[cell], self.bad[cell] = None, exc.reason
            values = list(map(self.known.__getitem__, cells))
        if not self.bad or self.bad.keys().isdisjoint(cells):
            return values, []
        return values, [(i, self.bad[cell]) for i, cell in enumerate(cells) if cell in self.bad]


def batches(
    file: str,
    header: Header,
    columns: tuple[Column, ...],
    chunks: Iterable[list[list[str]] | Columns],
    first_row: int = 2,
    *,
    workbook: bool = False,
) -> Iterator[Batch]:
    """Parse chunks of consecutive data rows, the first being ``first_row``; skip blank rows.

    A chunk is a list of rows, or :class:`Columns` (rows as wide as the header).
    From a ``workbook``, a cell that was a number too long for Excel
    (:class:`LostDigits`) is a problem of its own, and no other check sees it."""
    by_name = {column.name: column for column in columns}
    parsers = [ColumnParser(column, workbook) for column in columns]
    number = first_row
    for chunk in chunks:
        by_position: Sequence[Sequence[str]]
        if isinstance(chunk, Columns):
            by_position, numbers = _without_blank_columns(chunk, number)
        else:
            rows, numbers = _without_blank_rows(chunk, number)
        number += len(chunk)
        if numbers:
            batch = Batch(file, header, by_name, numbers)
            if not isinstance(chunk, Columns):
                by_position = _by_position(batch, rows)
            _fill(batch, by_position, parsers)
            yield batch


def _without_blank_rows(chunk: list[list[str]], first: int) -> tuple[list[list[str]], list[int]]:
    """Rows with any text, and their numbers. Spreadsheets often end with blank rows."""
    blank = {
        i
        for i, cells in enumerate(chunk)
        if not (cells and cells[0].strip()) and not "".join(cells).strip()
    }
    numbers = range(first, first + len(chunk))
    if not blank:
        return chunk, list(numbers)
    kept = [i for i in range(len(chunk)) if i not in blank]
    return [chunk[i] for i in kept], [numbers[i] for i in kept]


def _without_blank_columns(chunk: Columns, first: int) -> tuple[list[list[str]], list[int]]:
    """The columns without blank rows, and the rows' numbers (as _without_blank_rows)."""
    columns = chunk.columns
    numbers = range(first, first + len(chunk))
    if not columns or all(map(str.strip, columns[0])):
        return columns, list(numbers)
    blank = {
        i
        for i, cell in enumerate(columns[0])
        if not cell.strip() and not "".join(cells[i] for cells in columns).strip()
    }
    kept = [i for i in range(len(chunk)) if i not in blank]
    return [[cells[i] for i in kept] for cells in columns], [numbers[i] for i in kept]


def _by_position(batch: Batch, rows: list[list[str]]) -> list[Sequence[str]]:
    """The rows' cells column by column, short rows padded and long ones reported."""
    width = batch.header.width
    if set(map(len, rows)) != {width}:
        rows = [_fit(batch, i, cells, width) for i, cells in enumerate(rows)]
    return list(zip(*rows, strict=True))


def _fill(batch: Batch, by_position: Sequence[Sequence[str]], parsers: list[ColumnParser]) -> None:
    for position in batch.header.blank:
        for index, cell in enumerate(by_position[position]):
            if cell.strip():
                where = _column_label(position)
                batch.problem(index, where, Reason("此列没有表头", "has no header"), cell)
    for parser in parsers:
        name = parser.column.name
        if name not in batch.header.positions:
            batch.values[name] = [parser.column.field.default] * len(batch)
            continue
        cells = by_position[batch.header.positions[name]]
        batch.cells[name] = cells
        batch.values[name], failures = parser.parse(cells)
        for index, reason in failures:
            batch.problem(index, name, reason)


def _fit(batch: Batch, index: int, cells: list[str], width: int) -> list[str]:
    """Pad a short row; report the values of a row longer than the header."""
    if len(cells) < width:
        return cells + [""] * (width - len(cells))
    if len(cells) > width:
        extra = [cell for cell in cells[width:] if cell.strip()]
        if extra:
            reason = Reason(
                f"超出最后一列：此行有 {len(cells)} 个单元格，表头只有 {width} 个",
                f"is beyond the last column: the row has {len(cells)} cells, the header {width}",
            )
            batch.problem(index, _column_label(width), reason, extra[0])
        return cells[:width]
    return cells


def _column_label(position: int) -> str:
    """How a problem names a column that has no header: by its number."""
    return f"第 {position + 1} 列 (column {position + 1})"
