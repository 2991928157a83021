"""Finding a spreadsheet file: its encoding (or that it is a workbook), its hash, its rows.

CSV encodings follow docs/FORMATS.md: a UTF-8 byte-order mark means UTF-8;
otherwise a file that decodes as strict UTF-8 is UTF-8; otherwise it must
decode as GB18030 (what Excel on Chinese Windows writes). The first pass over
the bytes both decides this and computes the SHA-256 recorded with the
version, so a file is never held in memory whole. The rows themselves are
read by :mod:`._csv` and :mod:`._workbook`.
"""

from __future__ import annotations

import codecs
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import cast

from dualrandom.errors import NotFoundError
from dualrandom.sheets._csv import Chunk, csv_chunks, csv_table
from dualrandom.sheets._reason import Reason, file_problem
from dualrandom.sheets._workbook import MAX_UNPACKED_BYTES, check_unpacked_size, workbook_chunks

__all__ = ["Source", "guess_source", "hashed", "open_source", "read_chunks", "read_table"]

_CHUNK = 1 << 20
_XLSX = (".xlsx", ".xlsm")


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


def open_source(path: Path, *, max_unpacked: int = MAX_UNPACKED_BYTES) -> Source:
    """Hash ``path`` and decide how to read it. A missing file is a NotFoundError, one
    that is not text in a known encoding, or a workbook that unpacks to more than
    ``max_unpacked`` bytes, a ValidationError."""
    if not path.is_file():
        raise NotFoundError(f"文件 {path} 不存在", f"file {str(path)!r} does not exist")
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise file_problem(
            path,
            Reason(
                "不读取旧版 .xls 工作簿；请另存为 .xlsx 或 CSV",
                "old .xls workbooks are not read; save the sheet as .xlsx or CSV",
            ),
        )
    if suffix in _XLSX:
        check_unpacked_size(path, max_unpacked)
        return Source(path, _sha256(path), path.stat().st_size, "xlsx")
    return Source(path, *_sniff_csv(path))


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
        raise file_problem(
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
        yield from workbook_chunks(source, size, progress)
    else:
        yield from csv_chunks(source, size, progress)


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
    items = csv_table(source, size, progress)
    header = next(items, None)
    if header is None:
        return None
    return cast(list[str], header), cast(Iterator[Chunk], items)
