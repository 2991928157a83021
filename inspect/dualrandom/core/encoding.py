"""Byte-level building blocks of DR-1 (docs/SPEC.md §2): domain tags, length
prefixes, the escaped tab-separated line format and its parser.

Everything that is hashed or published goes through these few functions, so
that the byte layout lives in one place and matches the specification:
tab-separated lines for the registries and results, canonical JSON for the
plan, the commitment and the audit log.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import Any

import numpy as np

ALGORITHM = "DR-1"
DR1, DR2 = "DR-1", "DR-2"
# Every algorithm the core runs: DR-1 only to verify draws made before DR-2 (SPEC §14).
ALGORITHMS = (DR1, DR2)

# Domain-separation tags: ASCII, ending in NUL, so no tag is a prefix of another.
TAG_OBJECTS = b"DR-1/objects\x00"
TAG_SEED = b"DR-1/seed\x00"
TAG_COMMIT = b"DR-1/commit\x00"
TAG_TARGET = b"DR-1/target\x00"  # DR-2 draws tickets and teams with the DR-1 tags (SPEC §14.1)
TAG_TEAM = b"DR-1/team\x00"
TAG_RESULT = b"DR-1/result\x00"

# DR-2 (SPEC §14.1): every construction that changed, so no DR-2 digest equals a DR-1 one.
TAG2_OBJECTS = b"DR-2/objects\x00"
TAG2_SNAPSHOT = b"DR-2/snapshot\x00"
TAG2_BUCKET = b"DR-2/bucket\x00"
TAG2_SEED = b"DR-2/seed\x00"
TAG2_RESULT = b"DR-2/result\x00"
TAG2_PUBLIC = b"DR-2/public\x00"
TAG2_INTERNAL = b"DR-2/internal\x00"
TAG2_RISK_LEAF = b"DR-2/risk-leaf\x00"


def check_algorithm(algorithm: str) -> str:
    """``algorithm`` if the core runs it, else ValueError naming it."""
    if algorithm not in ALGORITHMS:
        raise ValueError(f"algorithm {algorithm!r} is not one of {', '.join(ALGORITHMS)}")
    return algorithm


_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}
_UNESCAPES = {"\\": "\\", "t": "\t", "n": "\n", "r": "\r", "s": ";"}


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical_json(value: Any) -> str:
    """JSON with sorted keys, no insignificant whitespace, non-ASCII kept as
    UTF-8 and no NaN: the form of every JSON document that is hashed (the
    plan, the commitment, audit entries)."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def lp(data: bytes) -> bytes:
    """Length-prefix ``data`` with its length as 4 bytes big-endian."""
    return len(data).to_bytes(4, "big") + data


def tagged_hash(tag: bytes, fields: Iterable[bytes]) -> bytes:
    """SHA-256(tag ‖ lp(f1) ‖ lp(f2) ‖ …): two different field tuples never
    hash the same bytes because every field carries its length."""
    h = hashlib.sha256(tag)
    for data in fields:
        h.update(lp(data))
    return h.digest()


def digest_bytes(hex_digest: str) -> bytes:
    """The 32 raw bytes of a digest written as 64 lowercase hex digits."""
    if len(hex_digest) != 64 or hex_digest != hex_digest.lower():
        raise ValueError(f"digest {hex_digest!r} is not 64 lowercase hex digits")
    return bytes.fromhex(hex_digest)


def check_text(text: str, what: str) -> str:
    """Refuse text that is not NFC instead of normalising it silently: the
    draw must compare exactly the strings that the canonical bytes hold."""
    if not unicodedata.is_normalized("NFC", text):
        raise ValueError(f"{what} {text!r} is not in Unicode normal form C")
    return text


def check_id(text: str, what: str) -> str:
    """Identifiers also enter ticket hashes, where NUL is the separator."""
    check_text(text, what)
    if not text or "\x00" in text:
        raise ValueError(f"{what} {text!r} is empty or contains NUL")
    return text


def escape(text: str) -> str:
    """Escape one scalar field: backslash, TAB, LF and CR become two-character
    sequences, so a raw TAB or LF in a line is always a separator."""
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return "".join(_ESCAPES.get(ch, ch) for ch in text)
    return text


def escape_list(values: Iterable[str], what: str) -> str:
    """A list field: elements escaped, ``;`` inside an element written ``\\s``,
    sorted by UTF-8 bytes (= code points), de-duplicated, joined with ``;``."""
    items = sorted(set(values))
    for value in items:
        if not value:
            raise ValueError(f"{what} contains an empty element")
    return ";".join(escape(value).replace(";", "\\s") for value in items)


def unescape(field: str) -> str:
    if "\\" not in field:
        return field
    out: list[str] = []
    chars = iter(field)
    for ch in chars:
        if ch != "\\":
            out.append(ch)
            continue
        nxt = next(chars, "")
        if nxt not in _UNESCAPES:
            raise ValueError(f"field {field!r} has an invalid escape \\{nxt}")
        out.append(_UNESCAPES[nxt])
    return "".join(out)


def unescape_list(field: str) -> tuple[str, ...]:
    if not field:
        return ()
    return tuple(unescape(part) for part in field.split(";"))


def fmt_bool(value: bool) -> str:
    return "1" if value else "0"


def fmt_date(value: date | None) -> str:
    return "" if value is None else value.isoformat()


def fmt_int(value: int | None) -> str:
    return "" if value is None else str(value)


def parse_bool(field: str) -> bool:
    if field not in ("0", "1"):
        raise ValueError(f"boolean field {field!r} is not 0 or 1")
    return field == "1"


def parse_date(field: str) -> date | None:
    return None if field == "" else date.fromisoformat(field)


def parse_int(field: str) -> int | None:
    if field == "":
        return None
    if not field.isascii() or not field.isdigit() or (len(field) > 1 and field[0] == "0"):
        raise ValueError(f"integer field {field!r} is not canonical decimal")
    return int(field)


def join_lines(header: Sequence[str], rows: Iterable[str]) -> bytes:
    """Header line, then the (already escaped, already ordered) rows; every
    line, the last included, ends with LF; UTF-8 without BOM."""
    text = "\t".join(header) + "\n" + "".join(row + "\n" for row in rows)
    return text.encode("utf-8")


def split_lines(data: bytes, header: Sequence[str], what: str) -> list[list[str]]:
    """Inverse of :func:`join_lines`: check the header and split every row
    into its raw (still escaped) fields."""
    return list(iter_lines(data, header, what))


def row_lines(data: bytes, header: Sequence[str], what: str) -> list[str]:
    """The rows of a table file, unsplit, once its encoding, last LF and header
    are checked (the fields are not counted: :func:`iter_lines` does that)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{what}: not UTF-8 ({exc})") from None
    if not text.endswith("\n"):
        raise ValueError(f"{what}: the last line does not end with LF")
    first = text[: text.index("\n")]
    if first != "\t".join(header):
        raise ValueError(f"{what}: header {first!r} is not {chr(9).join(header)!r}")
    # Split as it is: slicing off the header and the last LF first would copy a
    # file of a million rows twice over.
    lines = text.split("\n")
    del text, lines[0], lines[-1]
    return lines


def row_chunks(data: bytes, header: Sequence[str], what: str, rows: int) -> Iterator[list[str]]:
    """:func:`row_lines` ``rows`` lines at a time: the file is checked as
    :func:`row_lines` checks it before the first chunk is given (the same
    errors), but a file of a million rows is never held as a million strings."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:  # the whole file's encoding first, a piece at a time, nothing kept
        for start in range(0, len(data), _CHECKED_AT_ONCE):
            decoder.decode(view[start : start + _CHECKED_AT_ONCE], final=False)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        row_lines(data, header, what)  # raises the error for the whole file
        raise
    if not data.endswith(b"\n"):
        raise ValueError(f"{what}: the last line does not end with LF")
    ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)  # each line's LF
    first = data[: ends[0]].decode("utf-8")
    if first != "\t".join(header):
        raise ValueError(f"{what}: header {first!r} is not {chr(9).join(header)!r}")
    for line in range(1, len(ends), rows):
        last = min(line + rows, len(ends)) - 1
        yield data[int(ends[line - 1]) + 1 : int(ends[last])].decode("utf-8").split("\n")


_CHECKED_AT_ONCE = 1 << 24


def iter_lines(data: bytes, header: Sequence[str], what: str) -> Iterator[list[str]]:
    """:func:`split_lines` a row at a time: a file of 100,000 rows is never held
    as 100,000 lists (the whole file is checked before the first row is given)."""
    lines = row_lines(data, header, what)
    tabs = len(header) - 1
    for number, line in enumerate(lines, start=2):
        if line.count("\t") != tabs:
            fields = line.count("\t") + 1
            raise ValueError(f"{what}: line {number} has {fields} fields, not {len(header)}")
    for line in lines:
        yield line.split("\t")
