"""A whole file opened as a sheet: its header matched to the columns, its rows in batches."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain

from dualrandom.errors import Problem, ValidationError
from dualrandom.sheets._batches import Batch, Header, batches, read_header
from dualrandom.sheets._columns import Column, header_lookup
from dualrandom.sheets._csv import Chunk, Columns
from dualrandom.sheets._reason import shown
from dualrandom.sheets._source import Source, read_table

__all__ = ["Sheet", "read_sheet"]

# How far below the first row a header is looked for when the first row is not one.
_TITLE_ROWS = 5


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
    row, or with a title above it, is a ValidationError. ``progress`` is told how many
    bytes are read."""
    table = read_table(source, size, progress)
    if table is None:
        raise ValidationError(
            [Problem(source.name, None, "", "", "是空文件：没有表头行", "is empty: no header row")]
        )
    cells, chunks = table
    header, problems = read_header(source.name, cells, columns)
    if not header.positions and any(map(str.strip, cells)):
        first = next(chunks, None)
        _refuse_title_row(source.name, cells, first, columns)
        chunks = chain([first] if first is not None else [], chunks)
    workbook = source.encoding == "xlsx"
    return Sheet(header, problems, batches(source.name, header, columns, chunks, workbook=workbook))


def _refuse_title_row(
    file: str, cells: list[str], first: Chunk | None, columns: tuple[Column, ...]
) -> None:
    """Row 1 names no known column: if one of the next rows is the header, row 1 is a
    title (often merged across the columns) and the header must move up."""
    if first is None:
        return
    rows = first.rows()[:_TITLE_ROWS] if isinstance(first, Columns) else first[:_TITLE_ROWS]
    lookup = header_lookup(columns)
    for offset, row in enumerate(rows):
        if _known(row, lookup) >= min(2, len(columns)):
            header_row = offset + 2
            title = " ".join(cell.strip() for cell in cells if cell.strip())
            above = "1" if header_row == 2 else f"1–{header_row - 1}"
            raise ValidationError(
                [
                    Problem(
                        file,
                        1,
                        "",
                        shown(title),
                        f"表头必须是第一行：第 {header_row} 行才是表头，它上面的第 {above} 行"
                        "是标题（常为合并单元格）；请删除表头上方的行后重新导入",
                        f"the header must be the first row: row {header_row} is the header, "
                        f"with a title (often merged cells) above it in row {above}; delete "
                        "the rows above the header and import again",
                    )
                ]
            )


def _known(row: Sequence[str], lookup: dict[str, Column]) -> int:
    """How many cells of ``row`` are headers of a column."""
    texts = (cell.strip() for cell in row)
    return sum(1 for text in texts if text and (text in lookup or text.lower() in lookup))


