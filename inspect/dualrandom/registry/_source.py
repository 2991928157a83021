"""Reading a registry file, CSV or XLSX, as rows of text.

CSV encodings follow docs/FORMATS.md: a UTF-8 byte-order mark means UTF-8;
otherwise a file that decodes as strict UTF-8 is UTF-8; otherwise it must
decode as GB18030 (what Excel on Chinese Windows writes). The first pass over
the bytes both decides this and computes the SHA-256 recorded with the
version, so a file is never held in memory whole.

Every cell comes out as text in Unicode normal form C, because the canonical
snapshot refuses anything else and two spellings of one name must not count
as a change.
"""

from __future__ import annotations

import codecs
import csv
import functools
import hashlib
import io
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from itertools import islice
from pathlib import Path
from typing import IO

import openpyxl

from dualrandom.errors import NotFoundError, Problem, ValidationError

__all__ = ["Source", "open_source", "read_chunks"]

_CHUNK = 1 << 20
_XLSX = (".xlsx", ".xlsm")


@dataclass(frozen=True, slots=True)
class Source:
    """A registry file as found: where it is, what it hashes to and how to decode it."""

    path: Path
    sha256: str
    size: int
    encoding: str  # "xlsx" for a workbook

    @property
    def name(self) -> str:
        return self.path.name


def _fail(path: Path, reason: str, row: int | None = None) -> ValidationError:
    return ValidationError([Problem(path.name, row, "", "", reason)])


def open_source(path: Path) -> Source:
    """Hash ``path`` and decide how to read it. A missing file is a NotFoundError, one
    that is not text in a known encoding a ValidationError."""
    if not path.is_file():
        raise NotFoundError(f"file {str(path)!r} does not exist")
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise _fail(path, "old .xls workbooks are not read; save the sheet as .xlsx or CSV")
    if suffix in _XLSX:
        return Source(path, _sha256(path), path.stat().st_size, "xlsx")
    return Source(path, *_sniff_csv(path))


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
            "is neither UTF-8 nor GB18030 (GBK) text; save it as 'CSV UTF-8' or as .xlsx",
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
            raise _fail(source.path, f"is not well-formed CSV: {exc}", reader.line_num) from None


def _text(raw: IO[bytes], encoding: str) -> io.TextIOWrapper:
    return io.TextIOWrapper(raw, encoding=encoding, errors="strict", newline="")


def _xlsx_chunks(
    source: Source, size: int, progress: Callable[[int], None] | None
) -> Iterator[list[list[str]]]:
    try:
        book = openpyxl.load_workbook(source.path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError, XML errors...
        raise _fail(source.path, f"is not a readable .xlsx workbook ({exc})") from None
    try:
        sheet = book.worksheets[0]
        total, done = sheet.max_row or 0, 0
        rows = ([_cell_text(value) for value in row] for row in sheet.iter_rows(values_only=True))
        while chunk := list(islice(rows, size)):
            done += len(chunk)
            if progress is not None and total:
                progress(source.size * min(done, total) // total)
            yield chunk
    finally:
        book.close()


def _cell_text(value: object) -> str:
    """A cell as the text a clerk sees: dates as ISO dates, whole numbers without '.0'."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return unicodedata.normalize("NFC", str(value))
