"""Reading a CSV file as rows of NFC text, plain files at C speed.

Every cell comes out as text in Unicode normal form C, because the canonical
snapshot refuses anything else and two spellings of one name must not count
as a change. A plain file (no quotes, no lone CR, every row as wide as the
header) is split a block at a time into :class:`Columns` without a list per
row; anything else goes through the csv module, with the same rows, chunks
and errors.
"""

from __future__ import annotations

import csv
import functools
import io
import operator
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import chain, islice, repeat
from typing import IO, TYPE_CHECKING

from dualrandom.sheets._reason import Reason, file_problem

if TYPE_CHECKING:
    from dualrandom.sheets._source import Source

__all__ = ["Chunk", "Columns", "csv_chunks", "csv_table"]

_BLOCK_CHARS = 1 << 20  # text split at a time by the fast CSV path

_NFC = functools.partial(unicodedata.normalize, "NFC")


def csv_chunks(
    source: Source, size: int, progress: Callable[[int], None] | None
) -> Iterator[list[list[str]]]:
    with source.path.open("rb") as raw, _text(raw, source.encoding) as text:
        # map() and islice() keep the per-row work in C: no Python frame per row.
        reader = csv.reader(map(_NFC, text), strict=True)
        try:
            while chunk := list(islice(reader, size)):
                if progress is not None:
                    progress(raw.tell())
                yield chunk
        except csv.Error as exc:
            raise file_problem(source.path, _malformed(exc), reader.line_num) from None


@dataclass(frozen=True, slots=True)
class Columns:
    """Consecutive rows that all have the header's number of cells, column by column."""

    columns: list[list[str]]
    count: int

    def __len__(self) -> int:
        return self.count

    def rows(self) -> list[list[str]]:
        return [list(cells) for cells in zip(*self.columns, strict=True)]


Chunk = list[list[str]] | Columns


def csv_table(
    source: Source, size: int, progress: Callable[[int], None] | None
) -> Iterator[list[str] | Chunk]:
    with source.path.open("rb") as raw, _text(raw, source.encoding) as text:
        line = text.readline()
        if not line:
            return
        if '"' in line or line.endswith("\r"):
            # A quoted header, or lines that end with a lone CR: the csv module throughout.
            yield from _csv_rest(source, raw, text, line, _Rows(size, [], size), progress, 0)
            return
        header = _split(_NFC(line.rstrip("\r\n")))
        yield header
        out = _Rows(size, [], size - 1)  # the first chunk also held the header
        pending, lines_done = "", 1
        while True:
            block = text.read(_BLOCK_CHARS)
            body = pending + block
            cut = body.rfind("\n") + 1 if block else len(body)
            body, pending = body[:cut], body[cut:]
            plain = _plain_block(body, len(header)) if body else []
            if plain is None:
                # Quotes (perhaps a cell over several lines) or a lone CR: from
                # this block on, the csv module reads the file, as for any CSV.
                head = body + pending + (text.readline() if block else "")
                yield from _csv_rest(source, raw, text, head, out, progress, lines_done)
                return
            out.add(plain)
            lines_done += len(plain)
            yield from out.ready(progress, raw, final=not block)
            if not block:
                return


def _split(line: str) -> list[str]:
    """A line without quotes as the csv module reads it (an empty line has no cells)."""
    return line.split(",") if line else []


def _plain_block(body: str, width: int) -> Chunk | None:
    """Whole lines of text as rows, when nothing in them needs the csv module; else None.

    NFC is applied to the block at once: LF and CR are starters that compose
    with nothing, so this is the same as normalising each line."""
    if '"' in body:
        return None
    if "\r" in body:
        body = body.replace("\r\n", "\n")  # as csv.writer ends lines
        if "\r" in body:
            return None  # a lone CR ends a line for the csv module: leave it to it
    if not unicodedata.is_normalized("NFC", body):
        body = unicodedata.normalize("NFC", body)
    if not body.endswith("\n"):
        body += "\n"
    if width > 1 and "\x00" not in body:
        columns = _columns(body, width)
        if columns is not None:
            return columns
    lines = body.split("\n")
    lines.pop()
    return [_split(line) for line in lines]


def _columns(body: str, width: int) -> Columns | None:
    """Lines (each ending with LF, no NUL, no quote) of ``width`` cells each, column by
    column; None when a line has another number of cells.

    One split of the whole text at its commas: the last cell of each line and the
    first of the next then come as one piece, a *seam* (``"last\\nfirst"``), every
    ``width - 1``-th piece when every line has ``width`` cells. The lines are all
    that wide exactly when there are as many pieces as that makes and each seam
    holds one LF and the text no other: when each of the ``count`` seams holds one
    at least, they hold all ``count`` LFs of the text, one each. The seams, joined,
    are split again at their LFs.
    (Replacing each LF by two characters first, to split once, copied the text.)"""
    count = body.count("\n")
    pieces = body.split(",")
    step = width - 1
    if len(pieces) != count * step + 1:
        return None
    seams = pieces[step::step]  # one per line: "last\nfirst", the final one "last\n"
    if not all(map(operator.contains, seams, repeat("\n"))):
        return None
    halves = "\n".join(seams).split("\n")  # last, first, last, first, ..., last, ""
    columns = [pieces[:1] + halves[1:-1:2]]
    columns += [pieces[k::step] for k in range(1, step)]
    columns.append(halves[0::2])
    return Columns(columns, count)


class _Rows:
    """Rows gathered from blocks and handed on in chunks of ``size`` rows;
    the current chunk is to have ``need`` rows."""

    def __init__(self, size: int, parts: list[Chunk], need: int) -> None:
        self.size = size
        self.parts = parts
        self.count = sum(map(len, parts))
        self.need = need

    def add(self, part: Chunk) -> None:
        if len(part):
            self.parts.append(part)
            self.count += len(part)

    def ready(
        self, progress: Callable[[int], None] | None, raw: IO[bytes], final: bool = False
    ) -> Iterator[Chunk]:
        """The chunks that are complete; with ``final``, also the last, shorter one."""
        while self.count >= self.need or (final and self.count):
            chunk = self._take(min(self.need, self.count))
            self.need = self.size
            if progress is not None:
                progress(raw.tell())
            yield chunk

    def leftover(self) -> list[list[str]]:
        """The rows gathered for the current chunk, as rows."""
        return _as_rows(self._take(self.count)) if self.count else []

    def _take(self, count: int) -> Chunk:
        taken: list[Chunk] = []
        left = count
        while left:
            part = self.parts[0]
            if len(part) <= left:
                taken.append(self.parts.pop(0))
                left -= len(part)
            else:
                taken.append(_slice(part, 0, left))
                self.parts[0] = _slice(part, left, len(part))
                left = 0
        self.count -= count
        if len(taken) == 1:
            return taken[0]
        columns = [part.columns for part in taken if isinstance(part, Columns)]
        if len(columns) == len(taken):
            return Columns(
                [list(chain.from_iterable(c)) for c in zip(*columns, strict=True)], count
            )
        return [row for part in taken for row in _as_rows(part)]


def _slice(part: Chunk, start: int, stop: int) -> Chunk:
    if isinstance(part, Columns):
        return Columns([cells[start:stop] for cells in part.columns], stop - start)
    return part[start:stop]


def _as_rows(part: Chunk) -> list[list[str]]:
    return part.rows() if isinstance(part, Columns) else part


def _csv_rest(
    source: Source,
    raw: IO[bytes],
    text: io.TextIOWrapper,
    head: str,
    out: _Rows,
    progress: Callable[[int], None] | None,
    lines_done: int,
) -> Iterator[list[str] | Chunk]:
    """The rest of the file through the csv module: ``head`` (whole lines), then ``text``.

    ``lines_done`` lines came before ``head``; the rows ``out`` holds come first.
    When nothing was read before (``lines_done`` 0), ``head`` starts with the header."""
    reader = csv.reader(map(_NFC, chain(io.StringIO(head, newline=""), text)), strict=True)
    try:
        if not lines_done:
            header = next(reader, None)
            if header is None:
                return
            yield header
            out.need -= 1  # the first chunk also held the header
        rows, need = out.leftover(), out.need
        while True:
            rows += islice(reader, need - len(rows))
            if not rows and need:
                return
            if progress is not None:
                progress(raw.tell())
            yield rows
            if len(rows) < need:
                return
            rows, need = [], out.size
    except csv.Error as exc:
        line = lines_done + reader.line_num
        raise file_problem(source.path, _malformed(exc), line) from None


def _malformed(exc: csv.Error) -> Reason:
    return Reason(f"不是格式正确的 CSV：{exc}", f"is not well-formed CSV: {exc}")


def _text(raw: IO[bytes], encoding: str) -> io.TextIOWrapper:
    return io.TextIOWrapper(raw, encoding=encoding, errors="strict", newline="")
