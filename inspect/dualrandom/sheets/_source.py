"""Reading a spreadsheet file, CSV or XLSX, as rows of text.

CSV encodings follow docs/FORMATS.md: a UTF-8 byte-order mark means UTF-8;
otherwise a file that decodes as strict UTF-8 is UTF-8; otherwise it must
decode as GB18030 (what Excel on Chinese Windows writes). The first pass over
the bytes both decides this and computes the SHA-256 recorded with the
version, so a file is never held in memory whole.

Every cell comes out as text in Unicode normal form C, because the canonical
snapshot refuses anything else and two spellings of one name must not count
as a change.

A workbook is a zip archive, and a small one may unpack to gigabytes. Before
any sheet is read, the sizes its central directory declares are added up and
a workbook over the limit is refused. The declared sizes bind: Python's
zipfile stops inflating a member at its declared size.
"""

from __future__ import annotations

import codecs
import csv
import functools
import hashlib
import io
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from itertools import chain, islice
from pathlib import Path
from typing import IO, Any, cast

import openpyxl

from dualrandom.config import ImportSettings
from dualrandom.errors import NotFoundError, Problem, ValidationError
from dualrandom.sheets._fields import Reason

__all__ = [
    "MAX_UNPACKED_BYTES",
    "Chunk",
    "Columns",
    "LostDigits",
    "Source",
    "guess_source",
    "hashed",
    "open_source",
    "read_chunks",
    "read_table",
]

_CHUNK = 1 << 20
_BLOCK_CHARS = 1 << 20  # text split at a time by the fast CSV path
_XLSX = (".xlsx", ".xlsm")
_MB = 1 << 20
# What a workbook may unpack to unless the caller says otherwise ([import] in config.toml).
MAX_UNPACKED_BYTES = ImportSettings().max_unpacked_bytes


@dataclass(frozen=True, slots=True)
class Source:
    """A spreadsheet file as found: where it is, what it hashes to and how to decode it."""

    path: Path
    sha256: str
    size: int
    encoding: str  # "xlsx" for a workbook

    @property
    def name(self) -> str:
        return self.path.name


def _fail(path: Path, reason: Reason, row: int | None = None, value: str = "") -> ValidationError:
    return ValidationError([Problem(path.name, row, "", value, *reason)])


def open_source(path: Path, *, max_unpacked: int = MAX_UNPACKED_BYTES) -> Source:
    """Hash ``path`` and decide how to read it. A missing file is a NotFoundError, one
    that is not text in a known encoding, or a workbook that unpacks to more than
    ``max_unpacked`` bytes, a ValidationError."""
    if not path.is_file():
        raise NotFoundError(f"文件 {path} 不存在", f"file {str(path)!r} does not exist")
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise _fail(
            path,
            Reason(
                "不读取旧版 .xls 工作簿；请另存为 .xlsx 或 CSV",
                "old .xls workbooks are not read; save the sheet as .xlsx or CSV",
            ),
        )
    if suffix in _XLSX:
        _check_unpacked_size(path, max_unpacked)
        return Source(path, _sha256(path), path.stat().st_size, "xlsx")
    return Source(path, *_sniff_csv(path))


def _check_unpacked_size(path: Path, limit: int) -> None:
    """Refuse a workbook whose members add up to more than ``limit`` bytes, from the
    zip's central directory alone: nothing is inflated."""
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise _unreadable(path, exc) from None
    if unpacked > limit:
        size, most = _megabytes(unpacked), _megabytes(limit)
        raise _fail(
            path,
            Reason(
                f"工作簿解压后有 {size} MB，超过 {most} MB 的上限，未读取；请拆分文件或另存为 CSV"
                "（上限在 config.toml 的 [import] max_xlsx_unpacked_mb 中设置）",
                f"the workbook unpacks to {size} MB, over the limit of {most} MB, and was not "
                "read; split it or save it as CSV (the limit is [import] max_xlsx_unpacked_mb "
                "in config.toml)",
            ),
        )


def _megabytes(size: int) -> str:
    return f"{size / _MB:,.1f}"


def _unreadable(path: Path, exc: Exception) -> ValidationError:
    return _fail(
        path,
        Reason(
            f"不是可读取的 .xlsx 工作簿（{exc}）",
            f"is not a readable .xlsx workbook ({exc})",
        ),
    )


def guess_source(path: Path) -> Source | None:
    """What :func:`open_source` will most likely find for a CSV file, from its first
    MiB alone: no hash yet (empty), UTF-8 if that much decodes (with a BOM:
    utf-8-sig). None for a workbook, a missing file, or what does not look like UTF-8.

    A reader that goes on to decode the whole file with this encoding
    without error has confirmed it: open_source finds the same."""
    if not path.is_file() or path.suffix.lower() in (".xls", *_XLSX):
        return None
    with path.open("rb") as f:
        head = f.read(_CHUNK)
    try:
        codecs.getincrementaldecoder("utf-8")("strict").decode(head, final=False)
    except UnicodeDecodeError:
        return None
    encoding = "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
    return Source(path, "", path.stat().st_size, encoding)


def hashed(guessed: Source) -> Source:
    """A guessed source with its hash, once a reader has decoded the whole file with
    the guessed encoding: then it is what open_source finds, without decoding it again."""
    return Source(
        guessed.path, _sha256(guessed.path), guessed.path.stat().st_size, guessed.encoding
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _sniff_csv(path: Path) -> tuple[str, int, str]:
    """One pass for the hash and strict UTF-8; a second only for GB18030 files."""
    digest = hashlib.sha256()
    utf8 = codecs.getincrementaldecoder("utf-8")("strict")
    is_utf8, size = True, 0
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            is_utf8 = is_utf8 and _decodes(utf8, chunk)
    if is_utf8 and _decodes(utf8, b"", final=True):
        with path.open("rb") as f:
            encoding = "utf-8-sig" if f.read(3) == codecs.BOM_UTF8 else "utf-8"
        return digest.hexdigest(), size, encoding
    bad_line = _first_undecodable_line(path, "gb18030")
    if bad_line is not None:
        raise _fail(
            path,
            Reason(
                "既不是 UTF-8 也不是 GB18030（GBK）编码的文本；请另存为“CSV UTF-8”或 .xlsx",
                "is neither UTF-8 nor GB18030 (GBK) text; save it as 'CSV UTF-8' or as .xlsx",
            ),
            bad_line,
        )
    return digest.hexdigest(), size, "gb18030"


def _decodes(decoder: codecs.IncrementalDecoder, chunk: bytes, final: bool = False) -> bool:
    try:
        decoder.decode(chunk, final)
    except UnicodeDecodeError:
        return False
    return True


def _first_undecodable_line(path: Path, encoding: str) -> int | None:
    """The first line that does not decode. Splitting the bytes at LF is safe:
    no GB18030 multi-byte sequence contains the byte 0x0A."""
    with path.open("rb") as f:
        for number, line in enumerate(f, start=1):
            try:
                line.decode(encoding)
            except UnicodeDecodeError:
                return number
    return None


def read_chunks(
    source: Source, size: int, progress: Callable[[int], None] | None = None
) -> Iterator[list[list[str]]]:
    """The rows of the file, header first, in lists of at most ``size`` consecutive
    rows of NFC text; ``progress`` is told how many of the file's bytes are read."""
    if source.encoding == "xlsx":
        yield from _xlsx_chunks(source, size, progress)
    else:
        yield from _csv_chunks(source, size, progress)


_NFC = functools.partial(unicodedata.normalize, "NFC")


def _csv_chunks(
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
            raise _fail(source.path, _malformed(exc), reader.line_num) from None


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


def read_table(
    source: Source, size: int, progress: Callable[[int], None] | None = None
) -> tuple[list[str], Iterator[Chunk]] | None:
    """The header row and the data rows in chunks (None for an empty file).

    The chunks are cut as :func:`read_chunks` cuts them: the first chunk of
    ``size`` rows held the header. A chunk is a list of rows or, where a CSV
    file is plain (no quotes, no lone CR, every row as wide as the header),
    :class:`Columns`, split at C speed without a list per row."""
    if source.encoding == "xlsx":
        chunks = read_chunks(source, size, progress)
        first = next(chunks, [])
        return (first[0], chain([first[1:]], chunks)) if first else None
    items = _csv_table(source, size, progress)
    header = next(items, None)
    if header is None:
        return None
    return cast(list[str], header), cast(Iterator[Chunk], items)


def _csv_table(
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
        if body.count("\r") != body.count("\r\n"):
            return None  # a lone CR ends a line for the csv module: leave it to it
        body = body.replace("\r\n", "\n")
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

    One split of the whole text: each LF becomes NUL and a comma, so the last cell of
    each line ends with the only NUL of its line. The lines are all ``width`` cells
    wide exactly when every ``width``-th cell holds one of those NULs."""
    count = body.count("\n")
    cells = body.replace("\n", "\x00,").split(",")
    cells.pop()
    if len(cells) != count * width:
        return None
    last = "".join(cells[width - 1 :: width])
    if last.count("\x00") != count:
        return None
    columns = [cells[k::width] for k in range(width - 1)]
    ends = last.split("\x00")
    ends.pop()
    return Columns([*columns, ends], count)


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
        raise _fail(source.path, _malformed(exc), line) from None


def _malformed(exc: csv.Error) -> Reason:
    return Reason(f"不是格式正确的 CSV：{exc}", f"is not well-formed CSV: {exc}")


def _text(raw: IO[bytes], encoding: str) -> io.TextIOWrapper:
    return io.TextIOWrapper(raw, encoding=encoding, errors="strict", newline="")


def _xlsx_chunks(
    source: Source, size: int, progress: Callable[[int], None] | None
) -> Iterator[list[list[str]]]:
    try:
        book = openpyxl.load_workbook(source.path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError, XML errors...
        raise _unreadable(source.path, exc) from None
    try:
        sheet = book.worksheets[0]
        total, done = sheet.max_row or 0, 0
        rows = _sheet_rows(sheet)
        first = _first_filled(rows)
        if not first:
            _refuse_data_elsewhere(source.path, sheet.title, book.worksheets[1:])
        rows = chain(first, rows)
        while chunk := list(islice(rows, size)):
            done += len(chunk)
            if progress is not None and total:
                progress(source.size * min(done, total) // total)
            yield chunk
    finally:
        book.close()


def _sheet_rows(sheet: Any) -> Iterator[list[str]]:
    return ([_cell_text(value) for value in row] for row in sheet.iter_rows(values_only=True))


def _first_filled(rows: Iterator[list[str]]) -> list[list[str]]:
    """The rows up to the first one with any text, taken from ``rows``; none if all are blank."""
    taken = []
    for row in rows:
        taken.append(row)
        if "".join(row).strip():
            return taken
    return []


def _refuse_data_elsewhere(path: Path, title: str, others: list[Any]) -> None:
    """The first sheet is blank: if another one has data, say which (only the first
    sheet is read)."""
    for other in others:
        if _first_filled(_sheet_rows(other)):
            raise _fail(
                path,
                Reason(
                    f"工作簿的第一个工作表“{title}”是空的，数据在工作表“{other.title}”中；"
                    "只读取第一个工作表：请把数据移到第一个工作表（或删除空的工作表）后重新导入",
                    f"the first sheet of the workbook, '{title}', is empty; the data is in "
                    f"sheet '{other.title}', and only the first sheet is read: move the data "
                    "to the first sheet (or delete the empty one) and import again",
                ),
                value=title,
            )


class LostDigits(str):
    """The text of a workbook cell that holds a number of more than 15 digits.

    Excel keeps 15 significant digits of a number: an 18-digit code typed into
    a cell of number format comes back with its last digits changed
    (912111001105025920). Such a cell is a problem of its own, whatever its
    column (:func:`~dualrandom.sheets.batches`), and no other check sees it: a
    check character that makes the damaged code valid must not be suggested."""

    REASON = Reason(
        "此单元格是数字格式，Excel 只保留 15 位有效数字，其后的数位已丢失；"
        "请将该列设置为文本格式后重新录入",
        "this cell is a number; format the column as text and re-enter it "
        "(Excel keeps only 15 significant digits of a number, the rest are lost)",
    )

    __slots__ = ()


_EXCEL_DIGITS = 15


def _lost_digits(value: object) -> bool:
    """A whole number of more digits than Excel keeps."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return abs(value) >= 10**_EXCEL_DIGITS and float(value).is_integer()


def _cell_text(value: object) -> str:
    """A cell as the text a clerk sees: dates as ISO dates, whole numbers without '.0'
    (:class:`LostDigits` when too long for Excel to have kept)."""
    if value is None:
        return ""
    if _lost_digits(value):
        return LostDigits(str(int(cast(float, value))))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return unicodedata.normalize("NFC", str(value))
