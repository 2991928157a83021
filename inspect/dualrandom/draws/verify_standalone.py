#!/usr/bin/env python3
"""Check a dual-random draw from its verification bundle, with nothing but Python.

双随机抽查核验程序：只需 Python 3.11+ 标准库，运行 ``python3 verify.py``，看到 MATCH 即核验通过。

Run it inside a bundle folder (the folder this file is in is the default)::

    python3 verify.py [FOLDER] [--snapshot FILE_OR_FOLDER]

It is an independent implementation of algorithm DR-1 (``docs/SPEC.md`` of the
dual-random project) and of the bundle layout (``docs/BUNDLE.md``), written from
those documents alone. It performs, in this order:

1. **manifest** - ``MANIFEST.sha256`` lists every other file with its SHA-256;
   no file is missing, changed or unlisted, and the tier has its files;
2. **digests** - the plan and snapshot files hash to the digests committed in
   ``commitment.json`` before the draw, and ``O = H(T_OBJECTS; P, I)``;
3. **secret** - the revealed secret hashes to the committed ``secret_commitment``;
4. **seed** - the seed follows from the five digests, the entropy and the secret;
5. **tickets** - every published ticket is recomputed from the seed;
6. public tier: **selection** - for every stratum that does not use the risk
   class, the pools (objects-public.tsv through the plan's filters, minus
   exclusions.tsv), quotas, selection and reserve are recomputed, and the drawn
   objects of risk-class strata are counted;
   auditor tier: **re-run** - the whole draw (pools, exclusions, quotas,
   selection, reserve, visits, teams) is recomputed and all six output files are
   compared byte for byte, as is the result digest.

A **DR-2** bundle (``bundle.json`` says ``"algorithm": "DR-2"``; SPEC Part II,
docs/BUNDLE.md Part II) is checked by ``verify2``: manifest, commitment,
the registry snapshot (``objects-public.tsv.gz``: in the folder, or published
once per registry version on the notice site as ``snapshots/<digest>.tsv.gz``
and given with ``--snapshot FILE`` or ``--snapshot FOLDER``; its digest must
be the committed ``objects_public``; bundle.json names both), digests (bucketed, SPEC §15), the beacon pin (quicknet, or the demo chain,
always reported as DEMO), the round and its BLS signature (only when py_ecc
can be imported; otherwise the verdict says ``signature NOT checked``), the
dice, the seed (§19), then the public check of §23.1 (public tier) or the
whole draw re-run (auditor tier), and the result digest (§22). Every
difference is a ``MISMATCH [code]`` line, and the last line is the verdict,
the same line ``dualrandom verify`` prints. With 100,000 objects or more the
auditor tier's risk root (§18) is made by a forked copy of this process
meanwhile (on POSIX systems; elsewhere in turn): the same function, whose
answer is compared with the commitment as the one made here would be.

It prints one ``ok`` line per passed check and then ``MATCH`` (exit status 0),
or ``MISMATCH: <file>[:<line>]: <what>`` for the first difference (exit status 1).
Line numbers count the header line as line 1. Exit status 2 means the
checker could not run (e.g. no such folder).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import gzip
import hashlib
import itertools
import json
import math
import operator
import os
import re
import signal
import struct
import sys
import threading
import unicodedata
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date
from itertools import repeat
from pathlib import Path
from typing import Any

ALGORITHM = "DR-1"
T_OBJECTS = b"DR-1/objects\x00"
T_SEED = b"DR-1/seed\x00"
T_COMMIT = b"DR-1/commit\x00"
T_TARGET = b"DR-1/target\x00"
T_TEAM = b"DR-1/team\x00"
T_RESULT = b"DR-1/result\x00"

MANIFEST = "MANIFEST.sha256"


def fields(names: str) -> list[str]:
    """A header: field names separated by spaces."""
    return names.split()


OUTPUT_FILES = (
    "quotas.tsv",
    "result.tsv",
    "reserve.tsv",
    "teams.tsv",
    "exclusions.tsv",
    "outside.tsv",
)
COMMON_FILES = frozenset(
    {
        "bundle.json",
        "commitment.json",
        "plan.json",
        "objects-public.tsv",
        "quotas.tsv",
        "result.tsv",
        "reserve.tsv",
        "exclusions.tsv",
        "outside.tsv",
    }
)
TIER_FILES = {
    "public": COMMON_FILES | {"result-internal-strata.tsv"},
    "auditor": COMMON_FILES
    | {"objects-internal.tsv", "inspectors.tsv", "conflicts.tsv", "history.tsv", "teams.tsv"},
}
# checkpoint.json, inclusion.json: the audit log's anchor (docs/AUDIT.md), checked
# with dualrandom.core.auditlog's rules (inclusion_problem) by the site verifier.
OPTIONAL_FILES = frozenset({"README.txt", "verify.py", "checkpoint.json", "inclusion.json"})

OBJECTS_HEADER = fields(
    "id id_type name type industry district registration_authority address status established abnormal_list serious_illegal_list departments tags last_inspected"
)
INTERNAL_HEADER = ["id", "risk_class"]
INSPECTORS_HEADER = fields(
    "cert_no name department post specialties leader expert cert_valid_until status unavailable district home_district"
)
CONFLICTS_HEADER = ["cert_no", "object_id", "relation", "valid_from", "valid_until"]
HISTORY_HEADER = ["object_id", "item_code", "date", "officers"]
QUOTAS_HEADER = ["stratum", "item", "pool_size", "ratio", "min", "max", "k", "shortfall", "reserve"]
SELECTION_HEADER = ["stratum", "item", "rank", "id", "ticket"]
TEAMS_HEADER = fields("visit id ticket items departments slot role officer department position")
EXCLUSIONS_HEADER = ["stratum", "item", "id", "reasons"]
OUTSIDE_HEADER = ["id"]
INTERNAL_STRATA_HEADER = ["item", "id", "ticket"]

OBJECT_TYPES = frozenset({"企业", "个体工商户", "农民专业合作社", "外国企业常驻代表机构", "其他"})
OBJECT_STATUSES = frozenset({"存续", "在业", "注销", "吊销", "迁出", "撤销"})
RISK_CLASSES = frozenset({"A", "B", "C", "D"})
OFFICER_STATUSES = frozenset({"在岗", "休假", "借调", "离岗"})
RELATIONS = frozenset({"亲属", "原单位", "持股", "受礼", "办理过案件", "其他"})
REASONS = ("status", "lookback", "annual_cap", "item_cap")
FILTER_KEYS = frozenset(
    {"type", "district", "industry", "risk_class", "status", "department", "tag", "list"}
)
CONFLICT_RULES = frozenset({"declared", "home_district", "previous_team"})
ON_DUTY = "在岗"
HEX = frozenset("0123456789abcdef")


class Mismatch(Exception):
    """The first difference found: a file, optionally a line, and what differs."""

    def __init__(self, file: str, what: str, line: int | None = None) -> None:
        super().__init__(what)
        self.file, self.what, self.line = file, what, line

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.what}"


# --------------------------------------------------------------------------
# Primitives (SPEC §2, §5, §6)


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def tagged_hash(tag: bytes, *fields: bytes) -> bytes:
    """H(tag; f1, ..., fn): SHA-256 over the tag and length-prefixed fields."""
    h = hashlib.sha256(tag)
    for f in fields:
        h.update(len(f).to_bytes(4, "big"))
        h.update(f)
    return h.digest()


def ticket(seed: bytes, object_id: str) -> int:
    """The 64-bit ticket of an object (SPEC §6)."""
    digest = hashlib.sha256(T_TARGET + seed + object_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


def tickets_of(seed: bytes, object_ids: Iterable[str]) -> list[int]:
    """[ticket(seed, x) for x in object_ids], a list at a time (map over builtins)."""
    digests = sha256_each(map((T_TARGET + seed).__add__, map(str.encode, object_ids)))
    return list(
        map(
            functools.partial(int.from_bytes, byteorder="big"),
            map(operator.itemgetter(slice(8)), digests),
        )
    )


def ticket_hex(value: int) -> str:
    return f"{value:016x}"


def is_hex(text: str, length: int) -> bool:
    return len(text) == length and set(text) <= HEX


# --------------------------------------------------------------------------
# The line format (SPEC §2.1)

_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}
_UNESCAPES = {"\\": "\\", "t": "\t", "n": "\n", "r": "\r", "s": ";"}


def escape(text: str) -> str:
    if "\\" not in text and "\t" not in text and "\n" not in text and "\r" not in text:
        return text
    return "".join(_ESCAPES.get(c, c) for c in text)


def escape_list(values: Iterable[str]) -> str:
    return ";".join(escape(v).replace(";", "\\s") for v in sorted(set(values)))


def unescape(text: str) -> str:
    if "\\" not in text:
        return text
    out: list[str] = []
    chars = iter(text)
    for c in chars:
        if c != "\\":
            out.append(c)
            continue
        code = next(chars, "")
        if code not in _UNESCAPES:
            raise ValueError(f"invalid escape '\\{code}'")
        out.append(_UNESCAPES[code])
    return "".join(out)


def require_nfc(text: str) -> str:
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        raise ValueError(f"{text!r} is not in Unicode NFC")
    return text


def dec_text(raw: str) -> str:
    if "\\" not in raw:
        return require_nfc(raw)  # no escapes: canonical, since raw TAB, LF and CR cannot occur
    value = unescape(raw)
    if escape(value) != raw:
        raise ValueError(f"{raw!r} is not canonically escaped")
    return require_nfc(value)


def dec_ident(raw: str) -> str:
    value = dec_text(raw)
    if not value or "\x00" in value:
        raise ValueError("an identifier must be non-empty and without U+0000")
    return value


def dec_list(raw: str) -> tuple[str, ...]:
    if raw == "":
        return ()
    values = tuple(require_nfc(unescape(part)) for part in raw.split(";"))
    if "" in values:
        raise ValueError("empty list element")
    if escape_list(values) != raw:
        raise ValueError(f"{raw!r} is not a sorted, de-duplicated, canonically escaped list")
    return values


def dec_bool(raw: str) -> bool:
    if raw not in ("0", "1"):
        raise ValueError(f"boolean {raw!r} is not 0 or 1")
    return raw == "1"


def is_date(text: str) -> bool:
    if len(text) != 10 or not text.isascii() or text[4] != "-" or text[7] != "-":
        return False
    y, m, d = text[:4], text[5:7], text[8:]
    if not (y.isdigit() and m.isdigit() and d.isdigit()):
        return False
    try:
        date(int(y), int(m), int(d))
    except ValueError:
        return False
    return True


def dec_date(raw: str) -> str:
    if not is_date(raw):
        raise ValueError(f"{raw!r} is not a YYYY-MM-DD date")
    return raw


def dec_opt_date(raw: str) -> str | None:
    return None if raw == "" else dec_date(raw)


def dec_int(raw: str) -> int:
    if not (raw.isascii() and raw.isdigit()) or (len(raw) > 1 and raw[0] == "0"):
        raise ValueError(f"{raw!r} is not a canonical non-negative integer")
    return int(raw)


def dec_enum(values: frozenset[str]) -> Callable[[str], str]:
    known = {v: v for v in values}  # returns the shared string, not the field's copy

    def decode(raw: str) -> str:
        if raw not in known:
            raise ValueError(f"{raw!r} is not one of {', '.join(sorted(values))}")
        return known[raw]

    return decode


def check_table_bytes(name: str, data: bytes) -> None:
    """No byte-order mark, no raw CR, and LF at the end (SPEC §2.1)."""
    if data.startswith(b"\xef\xbb\xbf"):
        raise Mismatch(name, "starts with a byte-order mark", 1)
    if b"\r" in data:
        raise Mismatch(name, "contains a raw CR", data[: data.index(b"\r")].count(b"\n") + 1)
    if not data.endswith(b"\n"):
        raise Mismatch(name, "the last line does not end with LF", data.count(b"\n") + 1)


def table_lines(name: str, data: bytes, header: Sequence[str]) -> Iterator[tuple[int, str]]:
    """Yield (line number, line) of the data rows of a §2.1 table."""
    check_table_bytes(name, data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Mismatch(name, "not UTF-8", data[: exc.start].count(b"\n") + 1) from None
    lines = text[:-1].split("\n")
    if lines[0].split("\t") != list(header):
        raise Mismatch(name, f"header is not {chr(9).join(header)!r}", 1)
    yield from enumerate(lines[1:], start=2)


Decoder = Callable[[str], Any]


def plain_ident(raw: str) -> str:
    if not raw or "\x00" in raw:
        raise ValueError("an identifier must be non-empty and without U+0000")
    return raw


def plain_list(raw: str) -> tuple[str, ...]:
    values = tuple(raw.split(";")) if raw else ()
    if "" in values or ";".join(sorted(set(values))) != raw:
        raise ValueError(f"{raw!r} is not a sorted, de-duplicated list of non-empty elements")
    return values


def plain_text(raw: str) -> str:
    return raw


# For a line without backslash and already known to be NFC: the same checks, cheaper.
PLAIN: dict[Decoder, Decoder] = {dec_text: plain_text, dec_ident: plain_ident, dec_list: plain_list}


def read_rows(
    name: str,
    data: bytes,
    header: Sequence[str],
    decoders: Sequence[Decoder],
    order: Callable[[list[Any]], Any] | None = None,
    unique: bool = True,
) -> Iterator[tuple[int, list[Any]]]:
    """Decode a §2.1 table strictly, row by row; with order, check the rows' sort order.

    A line without any backslash holds no escapes, so its text fields stand as
    they are and one NFC check covers them all (TAB is a starter that never composes).
    """
    columns = read_columns(data, header, decoders, order, unique)
    if columns is not None:
        yield from enumerate(map(list, zip(*columns, strict=True)), start=2)
        return
    yield from read_lines(name, data, header, decoders, order, unique)


def read_lines(
    name: str,
    data: bytes,
    header: Sequence[str],
    decoders: Sequence[Decoder],
    order: Callable[[list[Any]], Any] | None = None,
    unique: bool = True,
) -> Iterator[tuple[int, list[Any]]]:
    """read_rows line by line, naming the line at fault."""
    plain = [PLAIN.get(decode, decode) for decode in decoders]
    width = len(header)
    previous: Any = None
    for number, line in table_lines(name, data, header):
        fields = line.split("\t")
        if len(fields) != width:
            raise Mismatch(name, f"{len(fields)} fields, the header has {width}", number)
        fast = "\\" not in line and (line.isascii() or unicodedata.is_normalized("NFC", line))
        try:
            values = [f(raw) for f, raw in zip(plain if fast else decoders, fields, strict=True)]
        except ValueError:
            values = decode_fields(name, number, header, decoders, fields)
        if order is not None:
            key = order(values)
            if previous is not None and (key < previous or (unique and key == previous)):
                what = "duplicate key" if key == previous else "rows out of order"
                raise Mismatch(name, what, number)
            previous = key
        yield number, values


ROWS_AT_ONCE = 1 << 16


def read_columns(
    data: bytes,
    header: Sequence[str],
    decoders: Sequence[Decoder],
    order: Callable[[list[Any]], Any] | None,
    unique: bool,
    keep: Sequence[int] | None = None,
) -> list[list[Any]] | None:
    """read_rows a column at a time, for a large table all of whose lines are plain
    (no backslash; NFC, checked once over the whole text, since TAB and LF compose
    with nothing): each column through its plain decoder, a field that is neither
    text nor an identifier decoded once per distinct value. The same values as
    read_rows gives; None if anything is amiss, and read_rows then reads the table
    row by row and names the line at fault. With keep, only those columns are
    returned (the others are checked alike and left empty); order is then None
    or first, and keep holds column 0."""
    if keep is not None and (0 not in keep or order not in (None, first)):
        raise ValueError("read_columns: keep needs column 0 and an order of None or first")
    if len(data) < ROWS_AT_ONCE or data.startswith(b"\xef\xbb\xbf") or not data.endswith(b"\n"):
        return None
    if b"\r" in data or b"\\" in data:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        return None
    lines = text[:-1].split("\n")
    del text
    if lines[0].split("\t") != list(header):
        return None
    width = len(header)
    tabs = list(map(str.count, lines, ["\t"] * len(lines)))
    if tabs.count(width - 1) != len(lines):
        return None
    columns: list[list[Any]] = [[] for _ in header]
    known: list[dict[str, Any]] = [{} for _ in header]
    kept = frozenset(range(width) if keep is None else keep)
    try:
        for start in range(1, len(lines), ROWS_AT_ONCE):
            fields = "\t".join(lines[start : start + ROWS_AT_ONCE]).split("\t")
            for column, decode in enumerate(decoders):
                values = fields[column::width]
                if decode is dec_text:
                    pass
                elif decode is dec_ident:
                    if not all(values) or "\x00" in "".join(values):
                        return None
                else:
                    memo = known[column]
                    plain = PLAIN.get(decode, decode)
                    for raw in set(values).difference(memo):
                        memo[raw] = plain(raw)
                    if column in kept:
                        columns[column].extend(map(memo.__getitem__, values))
                    continue
                if column in kept:
                    columns[column].extend(values)
    except ValueError:
        return None
    del lines
    if order is not None:
        keys = (
            columns[0]
            if order is first
            else list(map(order, map(list, zip(*columns, strict=True))))
        )
        if not all(map(operator.lt if unique else operator.le, keys, keys[1:])):
            return None
    return columns


def read_column_lists(
    name: str,
    data: bytes,
    header: Sequence[str],
    decoders: Sequence[Decoder],
    order: Callable[[list[Any]], Any] | None = None,
    keep: Sequence[int] | None = None,
) -> list[list[Any]]:
    """The values of read_rows as one list per column (those of keep only, the
    others empty): at once for a large plain table, else line by line."""
    columns = read_columns(data, header, decoders, order, True, keep)
    if columns is not None:
        return columns
    rows = [values for _, values in read_lines(name, data, header, decoders, order)]
    columns = [list(column) for column in zip(*rows, strict=True)] if rows else []
    columns += [[] for _ in range(len(header) - len(columns))]
    if keep is not None:
        columns = [c if n in keep else [] for n, c in enumerate(columns)]
    return columns


def decode_fields(
    name: str, number: int, header: Sequence[str], decoders: Sequence[Decoder], fields: list[str]
) -> list[Any]:
    """Decode one row field by field, naming the column of the first bad field."""
    values = []
    for column, decode, raw in zip(header, decoders, fields, strict=True):
        try:
            values.append(decode(raw))
        except ValueError as exc:
            raise Mismatch(name, f"{column}: {exc}", number) from None
    return values


def read_table(
    name: str,
    data: bytes,
    header: Sequence[str],
    decoders: Sequence[Decoder],
    order: Callable[[list[Any]], Any] | None = None,
) -> list[tuple[int, list[Any]]]:
    """All rows of a small table (see read_rows)."""
    return list(read_rows(name, data, header, decoders, order))


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    """Serialise already-encoded fields as a §2.1 table."""
    lines = ["\t".join(header)]
    lines.extend("\t".join(row) for row in rows)
    return ("\n".join(lines) + "\n").encode("utf-8")


def compare_file(name: str, expected: bytes, actual: bytes) -> None:
    """Byte-for-byte comparison that names the first differing line."""
    if expected == actual:
        return
    want, have = expected.split(b"\n"), actual.split(b"\n")
    for number, (w, h) in enumerate(zip(want, have, strict=False), start=1):
        if w != h:
            raise Mismatch(name, f"expected {show(w)}, found {show(h)}", number)
    number = min(len(want), len(have)) + 1
    if len(want) > len(have):
        raise Mismatch(name, f"file ends; expected {show(want[number - 1])}", number)
    raise Mismatch(name, f"unexpected {show(have[number - 1])}", number)


def show(line: bytes) -> str:
    text = line.decode("utf-8", errors="replace").replace("\t", " | ")
    return repr(text if len(text) <= 160 else text[:157] + "...")


# --------------------------------------------------------------------------
# Canonical JSON (SPEC §4; commitment.json as in BUNDLE.md)


def canonical_json(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json_string(value)
    if isinstance(value, list):
        return "[" + ",".join(canonical_json(v) for v in value) + "]"
    if isinstance(value, dict):
        members = (f"{json_string(k)}:{canonical_json(value[k])}" for k in sorted(value))
        return "{" + ",".join(members) + "}"
    raise ValueError(f"{type(value).__name__} is not allowed in canonical JSON")


_JSON_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n"}
_JSON_ESCAPES |= {"\f": "\\f", "\r": "\\r"}


def json_string(text: str) -> str:
    out = []
    for c in text:
        if c in _JSON_ESCAPES:
            out.append(_JSON_ESCAPES[c])
        elif c < " ":
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def load_json(name: str, data: bytes) -> Any:
    try:
        return json.loads(data.decode("utf-8"), parse_float=_no_float, parse_constant=_no_float)
    except (UnicodeDecodeError, ValueError) as exc:
        raise Mismatch(name, f"not valid JSON: {exc}") from None


def _no_float(text: str) -> Any:
    raise ValueError(f"non-integer number {text}")


# --------------------------------------------------------------------------
# The plan document (SPEC §4)


class Filter:
    """An object filter (docs/FORMATS.md): AND across keys, OR within a key."""

    def __init__(self, spec: dict[str, list[str]]) -> None:
        self.keys = tuple(sorted(spec))
        self.sets = {key: frozenset(values) for key, values in spec.items()}
        self.prefixes = tuple(spec.get("industry", ()))

    @property
    def uses_risk(self) -> bool:
        return "risk_class" in self.sets

    def match(self, obj: Obj, public_only: bool = False) -> bool:
        """Does obj match? With public_only, the risk_class key is ignored."""
        for key in self.keys:
            values = self.sets[key]
            if key == "industry":
                ok = obj.industry.startswith(self.prefixes)
            elif key == "department":
                ok = not values.isdisjoint(obj.departments)
            elif key == "tag":
                ok = not values.isdisjoint(obj.tags)
            elif key == "list":
                ok = ("abnormal" in values and obj.abnormal) or (
                    "serious_illegal" in values and obj.serious_illegal
                )
            elif key == "risk_class":
                if public_only:
                    continue
                if obj.risk_class is None:
                    raise ValueError("risk class needed but not known")
                ok = obj.risk_class in values
            else:
                ok = getattr(obj, key) in values
            if not ok:
                return False
        return True


@dataclass(frozen=True)
class Item:
    code: str
    department: str
    ratio: tuple[int, int]
    max_per_year: int | None
    scope: Filter
    specialty: str


@dataclass(frozen=True)
class Stratum:
    name: str
    where: Filter
    ratio: tuple[int, int] | None
    min: int
    max: int | None
    public: bool


@dataclass(frozen=True)
class Team:
    size: int
    leader: bool
    same_district: bool
    load_cap: int | None
    require: tuple[tuple[str, int], ...]
    rules: frozenset[str]


@dataclass(frozen=True)
class Plan:
    raw: dict[str, Any]
    id: str
    year: int
    department: str
    start: str
    end: str
    scope: Filter
    strata: tuple[Stratum, ...]
    items: dict[str, Item]
    statuses: frozenset[str]
    lookback: int
    annual_cap: int | None
    team: Team

    @property
    def codes(self) -> list[str]:
        return sorted(self.items)

    @property
    def cutoff(self) -> str | None:
        """Events on or after this date are within the look-back (SPEC §7.2)."""
        return months_before(self.start, self.lookback) if self.lookback > 0 else None


class PlanReader:
    """Typed access to plan.json; every problem is a Mismatch naming plan.json."""

    name = "plan.json"

    def fail(self, path: str, what: str) -> Mismatch:
        return Mismatch(self.name, f"{path}: {what}")

    def get(self, obj: Any, path: str, key: str, kind: type | tuple[type, ...]) -> Any:
        if not isinstance(obj, dict) or key not in obj:
            raise self.fail(path, f"missing key {key!r}")
        value = obj[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        bad_bool = isinstance(value, bool) and bool not in kinds
        if bad_bool or not isinstance(value, kinds):
            raise self.fail(f"{path}.{key}", f"expected {' or '.join(k.__name__ for k in kinds)}")
        return value

    def opt_int(self, obj: Any, path: str, key: str, minimum: int) -> int | None:
        value = self.get(obj, path, key, (int, type(None)))
        if value is not None and value < minimum:
            raise self.fail(f"{path}.{key}", f"must be at least {minimum}")
        return value  # type: ignore[no-any-return]

    def integer(self, obj: Any, path: str, key: str, minimum: int) -> int:
        value = self.get(obj, path, key, int)
        if value < minimum:
            raise self.fail(f"{path}.{key}", f"must be at least {minimum}")
        return value  # type: ignore[no-any-return]

    def strings(self, obj: Any, path: str, key: str) -> list[str]:
        values = self.get(obj, path, key, list)
        if not all(isinstance(v, str) for v in values):
            raise self.fail(f"{path}.{key}", "expected an array of strings")
        if values != sorted(set(values)):
            raise self.fail(f"{path}.{key}", "a set must be sorted and without duplicates")
        return values  # type: ignore[no-any-return]

    def ratio(self, value: Any, path: str) -> tuple[int, int]:
        parts = value.split("/") if isinstance(value, str) else []
        nums = [p for p in parts if p.isascii() and p.isdigit() and p[0] != "0"]
        if len(parts) != 2 or len(nums) != 2:
            raise self.fail(path, f"ratio {value!r} is not p/q")
        p, q = int(parts[0]), int(parts[1])
        if not 0 < p <= q or math.gcd(p, q) != 1:
            raise self.fail(path, f"ratio {value!r} is not a fraction in (0, 1] in lowest terms")
        return p, q

    def filter_of(self, obj: Any, path: str, key: str) -> Filter:
        spec = self.get(obj, path, key, dict)
        for name in spec:
            if name not in FILTER_KEYS:
                raise self.fail(f"{path}.{key}", f"unknown filter key {name!r}")
            self.strings(spec, f"{path}.{key}", name)
        return Filter(spec)

    def day(self, obj: Any, path: str, key: str) -> str:
        value = self.get(obj, path, key, str)
        if not is_date(value):
            raise self.fail(f"{path}.{key}", f"{value!r} is not a date")
        return value  # type: ignore[no-any-return]


def check_canonical_json(name: str, doc: Any, data: bytes, end: str = "") -> None:
    try:
        canonical = (canonical_json(doc) + end).encode("utf-8")
    except (ValueError, UnicodeEncodeError) as exc:
        raise Mismatch(name, f"not canonical JSON: {exc}") from None
    if canonical != data:
        tail = " followed by one LF" if end else ""
        raise Mismatch(name, f"not canonical JSON (keys sorted, no whitespace, UTF-8){tail}")


def parse_plan(data: bytes, algorithm: str = ALGORITHM) -> Plan:
    doc = load_json("plan.json", data)
    check_canonical_json("plan.json", doc, data)
    r = PlanReader()
    if r.get(doc, "", "algorithm", str) != algorithm:
        raise r.fail("algorithm", f"expected {algorithm!r}")
    plan = r.get(doc, "", "plan", dict)
    items = [
        parse_item(r, raw, f"items[{n}]") for n, raw in enumerate(r.get(doc, "", "items", list))
    ]
    codes = [item.code for item in items]
    if codes != sorted(set(codes)) or codes != r.strings(plan, "plan", "items"):
        raise r.fail("items", "items must be sorted by code and be exactly plan.items")
    plan_scope = r.filter_of(plan, "plan", "scope")
    strata = [
        parse_stratum(r, raw, f"plan.strata[{n}]", plan_scope.uses_risk)
        for n, raw in enumerate(r.get(plan, "plan", "strata", list))
    ]
    names = [s.name for s in strata]
    if names != sorted(set(names)):
        raise r.fail("plan.strata", "strata must be sorted by name, names unique")
    window = r.get(plan, "plan", "window", dict)
    start, end = r.day(window, "plan.window", "start"), r.day(window, "plan.window", "end")
    if start > end:
        raise r.fail("plan.window", "start is after end")
    exclusions = r.get(plan, "plan", "exclusions", dict)
    statuses = r.strings(exclusions, "plan.exclusions", "statuses")
    return Plan(
        raw=plan,
        id=r.get(plan, "plan", "id", str),
        year=r.get(plan, "plan", "year", int),
        department=r.get(plan, "plan", "department", str),
        start=start,
        end=end,
        scope=plan_scope,
        strata=tuple(strata),
        items={item.code: item for item in items},
        statuses=frozenset(statuses),
        lookback=r.integer(exclusions, "plan.exclusions", "lookback_months", 0),
        annual_cap=r.opt_int(exclusions, "plan.exclusions", "annual_cap", 1),
        team=parse_team(r, r.get(plan, "plan", "team", dict)),
    )


def parse_item(r: PlanReader, raw: Any, path: str) -> Item:
    return Item(
        code=r.get(raw, path, "code", str),
        department=r.get(raw, path, "department", str),
        ratio=r.ratio(r.get(raw, path, "ratio", str), f"{path}.ratio"),
        max_per_year=r.opt_int(raw, path, "max_per_year", 1),
        scope=r.filter_of(raw, path, "scope"),
        specialty=r.get(raw, path, "specialty", str),
    )


def parse_stratum(r: PlanReader, raw: Any, path: str, scope_uses_risk: bool) -> Stratum:
    where = r.filter_of(raw, path, "where")
    ratio = r.get(raw, path, "ratio", (str, type(None)))
    return Stratum(
        name=r.get(raw, path, "name", str),
        where=where,
        ratio=None if ratio is None else r.ratio(ratio, f"{path}.ratio"),
        min=r.integer(raw, path, "min", 0),
        max=r.opt_int(raw, path, "max", 1),
        public=not (where.uses_risk or scope_uses_risk),
    )


def parse_team(r: PlanReader, raw: dict[str, Any]) -> Team:
    path = "plan.team"
    district = r.get(raw, path, "district", str)
    if district not in ("any", "same"):
        raise r.fail(f"{path}.district", f"{district!r} is not 'any' or 'same'")
    require = []
    for n, entry in enumerate(r.get(raw, path, "require", list)):
        where = f"{path}.require[{n}]"
        require.append(
            (r.get(entry, where, "department", str), r.integer(entry, where, "count", 1))
        )
    if [d for d, _ in require] != sorted({d for d, _ in require}):
        raise r.fail(f"{path}.require", "must be sorted by department, each once")
    rules = r.strings(raw, path, "conflict_rules")
    if not set(rules) <= CONFLICT_RULES:
        raise r.fail(f"{path}.conflict_rules", "unknown rule")
    return Team(
        size=r.integer(raw, path, "size", 2),
        leader=r.get(raw, path, "leader", bool),
        same_district=district == "same",
        load_cap=r.opt_int(raw, path, "load_cap", 1),
        require=tuple(require),
        rules=frozenset(rules),
    )


# --------------------------------------------------------------------------
# Registry snapshots (SPEC §3)


@dataclass(slots=True)
class Obj:
    id: str
    type: str
    industry: str
    district: str
    status: str
    abnormal: bool
    serious_illegal: bool
    departments: frozenset[str]
    tags: frozenset[str]
    last_inspected: str | None
    risk_class: str | None = None


@dataclass(slots=True)
class Officer:
    cert_no: str
    department: str
    specialties: frozenset[str]
    leader: bool
    valid_until: str
    status: str
    unavailable: tuple[tuple[str, str], ...]
    district: str
    home_district: str


@dataclass(frozen=True)
class Conflict:
    cert_no: str
    object_id: str
    valid_from: str | None
    valid_until: str | None


@dataclass(frozen=True)
class Past:
    """One history row: an earlier planned inspection."""

    object_id: str
    item_code: str
    date: str
    officers: tuple[str, ...]


def dec_range(raw: str) -> tuple[str, str]:
    first, sep, last = raw.partition("..")
    if not sep or not is_date(first) or not is_date(last) or first > last:
        raise ValueError(f"{raw!r} is not a date range D..D")
    return first, last


OBJECT_DECODERS: list[Decoder] = [
    dec_ident,
    dec_enum(frozenset({"uscc", "other"})),
    dec_text,
    dec_enum(OBJECT_TYPES),
    dec_text,
    dec_text,
    dec_text,
    dec_text,
    dec_enum(OBJECT_STATUSES),
    dec_opt_date,
    dec_bool,
    dec_bool,
    dec_list,
    dec_list,
    dec_opt_date,
]


def parse_objects(data: bytes) -> list[Obj]:
    name = "objects-public.tsv"
    shared: dict[tuple[str, ...], frozenset[str]] = {}
    objects = []
    for _, v in read_rows(name, data, OBJECTS_HEADER, OBJECT_DECODERS, order=first):
        departments = shared.get(v[12]) or shared.setdefault(v[12], frozenset(v[12]))
        tags = shared.get(v[13]) or shared.setdefault(v[13], frozenset(v[13]))
        industry, district = sys.intern(v[4]), sys.intern(v[5])
        objects.append(
            Obj(v[0], v[3], industry, district, v[8], v[10], v[11], departments, tags, v[14])
        )
    return objects


def first(values: list[Any]) -> Any:
    return values[0]


def add_risk_classes(objects: list[Obj], data: bytes) -> None:
    name = "objects-internal.tsv"
    rows = read_rows(name, data, INTERNAL_HEADER, [dec_ident, dec_enum(RISK_CLASSES)])
    count = 0
    for obj, (number, (object_id, risk)) in zip(objects, rows, strict=False):
        if object_id != obj.id:
            raise Mismatch(name, f"id {object_id!r}, objects-public.tsv has {obj.id!r}", number)
        obj.risk_class = risk
        count += 1
    count += sum(1 for _ in rows)
    if count != len(objects):
        raise Mismatch(name, f"{count} rows, objects-public.tsv has {len(objects)}")


def parse_officers(data: bytes) -> list[Officer]:
    decoders: list[Decoder] = [
        dec_ident,
        dec_text,
        dec_text,
        dec_text,
        dec_list,
        dec_bool,
        dec_bool,
        dec_date,
        dec_enum(OFFICER_STATUSES),
        lambda raw: tuple(dec_range(r) for r in dec_list(raw)),
        dec_text,
        dec_text,
    ]
    rows = read_rows("inspectors.tsv", data, INSPECTORS_HEADER, decoders, order=first)
    return [
        Officer(v[0], v[2], frozenset(v[4]), v[5], v[7], v[8], v[9], v[10], v[11]) for _, v in rows
    ]


def parse_conflicts(data: bytes) -> list[Conflict]:
    decoders = [dec_ident, dec_ident, dec_enum(RELATIONS), dec_opt_date, dec_opt_date]
    v = read_column_lists(
        "conflicts.tsv", data, CONFLICTS_HEADER, decoders, order=lambda v: (v[0], v[1], v[2])
    )
    return list(map(Conflict, v[0], v[1], v[3], v[4]))


def parse_history(data: bytes) -> list[Past]:
    name = "history.tsv"
    decoders = [dec_ident, dec_ident, dec_date, dec_list]
    history = []
    for number, v in read_rows(
        name, data, HISTORY_HEADER, decoders, order=history_order, unique=False
    ):
        if any("\x00" in officer for officer in v[3]):
            raise Mismatch(name, "officers: an identifier contains U+0000", number)
        history.append(Past(*v))
    return history


def history_order(v: list[Any]) -> tuple[str, str, str, str]:
    """object_id, item_code, date, then the encoded officers field (SPEC §3.4)."""
    return v[0], v[1], v[2], escape_list(v[3])


# --------------------------------------------------------------------------
# Pools, exclusions and quotas (SPEC §7)


def months_before(day: str, months: int) -> str:
    n = 12 * int(day[:4]) + int(day[5:7]) - 1 - months
    year, month = divmod(n, 12)
    month += 1
    next_month = date(year + (month == 12), month % 12 + 1, 1)
    last_day = (next_month - date(year, month, 1)).days
    return f"{year:04d}-{month:02d}-{min(int(day[8:]), last_day):02d}"


def exclusion_reasons(
    obj: Obj, item: Item, plan: Plan, events: Sequence[tuple[str, str]], cutoff: str | None
) -> list[str]:
    """The reason codes of SPEC §7.2, in order; events are (item code or '*', date)."""
    reasons = []
    if obj.status in plan.statuses:
        reasons.append("status")
    mine = [d for code, d in events if code in (item.code, "*")]
    if cutoff is not None and any(d >= cutoff for d in mine):
        reasons.append("lookback")
    this_year = str(plan.year).zfill(4)
    cap = plan.annual_cap
    if cap is not None and sum(d[:4] == this_year for _, d in events) >= cap:
        reasons.append("annual_cap")
    cap = item.max_per_year
    if cap is not None and sum(d[:4] == this_year for d in mine) >= cap:
        reasons.append("item_cap")
    return reasons


SIGNATURE: dict[str, tuple[str, ...]] = {  # filter key -> the fields of Obj it reads
    "type": ("type",),
    "district": ("district",),
    "industry": ("industry",),
    "risk_class": ("risk_class",),
    "status": ("status",),
    "department": ("departments",),
    "tag": ("tags",),
    "list": ("abnormal", "serious_illegal"),
}


@dataclass(frozen=True)
class Place:
    """Where an object falls in a plan."""

    in_scope: bool
    strata: tuple[Stratum, ...]  # the strata whose filter it matches
    items: tuple[str, ...]  # the items whose scope it matches


class Placer:
    """The filters of a plan applied to objects, memoised on the fields they read.

    With public_only, risk_class keys are ignored (the public tier's view).
    """

    def __init__(self, plan: Plan, public_only: bool = False) -> None:
        self.plan, self.public_only = plan, public_only
        filters = [plan.scope, *(s.where for s in plan.strata)]
        filters.extend(i.scope for i in plan.items.values())
        keys = sorted({k for f in filters for k in f.keys})
        names = [name for key in keys for name in SIGNATURE[key]]
        # the fields the filters read, as one value or a tuple of them
        self.signature: Callable[[Obj], object] = (
            operator.attrgetter(*names) if names else lambda obj: ()
        )
        self.memo: dict[object, Place] = {}

    def __call__(self, obj: Obj) -> Place:
        signature = self.signature(obj)
        place = self.memo.get(signature)
        if place is None:
            place = self.memo[signature] = self._place(obj)
        return place

    def _place(self, obj: Obj) -> Place:
        plan, public_only = self.plan, self.public_only
        if not plan.scope.match(obj, public_only):
            return Place(False, (), ())
        strata = tuple(s for s in plan.strata if s.where.match(obj, public_only))
        if len(strata) > 1 and not public_only:
            names = ", ".join(s.name for s in strata)
            raise Mismatch("plan.json", f"object {obj.id} matches more than one stratum ({names})")
        items = tuple(c for c in plan.codes if plan.items[c].scope.match(obj, public_only))
        return Place(True, strata, items)


@dataclass
class Prepared:
    """What SPEC §7 computes before any randomness exists."""

    pools: dict[tuple[str, str], list[Obj]]  # (stratum, item) -> members in id order
    exclusions: list[tuple[str, str, str, list[str]]]
    outside: list[str]


def prepare(plan: Plan, objects: list[Obj], history: list[Past]) -> Prepared:
    events: dict[str, list[tuple[str, str]]] = {}
    for past in history:
        events.setdefault(past.object_id, []).append((past.item_code, past.date))
    cutoff = plan.cutoff
    pools = {(s.name, c): list[Obj]() for s in plan.strata for c in plan.codes}
    result = Prepared(pools, [], [])
    place = Placer(plan)
    signature, memo = place.signature, place.memo
    statuses = plan.statuses
    for obj in objects:
        where = memo.get(signature(obj)) or place(obj)
        if not where.in_scope:
            continue
        if not where.strata:
            result.outside.append(obj.id)
            continue
        stratum = where.strata[0]
        if obj.last_inspected is None and obj.id not in events:
            # no events: exclusion_reasons gives status alone (a cap is at least 1)
            for code in where.items:
                if obj.status in statuses:
                    result.exclusions.append((stratum.name, code, obj.id, ["status"]))
                else:
                    pools[stratum.name, code].append(obj)
            continue
        mine = list(events.get(obj.id, ()))
        if obj.last_inspected is not None:
            mine.append(("*", obj.last_inspected))
        for code in where.items:
            item = plan.items[code]
            reasons = exclusion_reasons(obj, item, plan, mine, cutoff)
            if reasons:
                result.exclusions.append((stratum.name, code, obj.id, reasons))
            else:
                pools[stratum.name, code].append(obj)
    result.exclusions.sort(key=lambda row: row[:3])
    return result


@dataclass(frozen=True)
class Quota:
    stratum: str
    item: str
    pool_size: int
    ratio: tuple[int, int]
    min: int
    max: int | None
    k: int
    shortfall: int
    reserve: int

    def row(self) -> list[str]:
        return [
            escape(self.stratum),
            escape(self.item),
            str(self.pool_size),
            f"{self.ratio[0]}/{self.ratio[1]}",
            str(self.min),
            "" if self.max is None else str(self.max),
            str(self.k),
            str(self.shortfall),
            str(self.reserve),
        ]


def quota(stratum: Stratum, item: Item, pool_size: int) -> Quota:
    """Sample size, shortfall and reserve length of a pool (SPEC §7.3)."""
    p, q = stratum.ratio or item.ratio
    c = -(-p * pool_size // q)
    k = max(c, stratum.min)
    if stratum.max is not None:
        k = min(k, stratum.max)
    k = min(pool_size, k)
    reserve = min(pool_size - k, max(3, -(-k // 10)))
    shortfall = max(0, stratum.min - pool_size)
    return Quota(
        stratum.name, item.code, pool_size, (p, q), stratum.min, stratum.max, k, shortfall, reserve
    )


def quotas_for(plan: Plan, sizes: dict[tuple[str, str], int]) -> list[Quota]:
    return [
        quota(s, plan.items[code], sizes[s.name, code])
        for s in sorted(plan.strata, key=lambda s: s.name)
        for code in plan.codes
    ]


# --------------------------------------------------------------------------
# Selection, reserve and visits (SPEC §8)


class Tickets:
    """Tickets of the draw's seed, computed once per id."""

    def __init__(self, seed: bytes) -> None:
        self.seed = seed
        self.cache: dict[str, int] = {}

    def __call__(self, object_id: str) -> int:
        value = self.cache.get(object_id)
        if value is None:
            value = self.cache[object_id] = ticket(self.seed, object_id)
        return value

    def key(self, object_id: str) -> tuple[int, str]:
        return self(object_id), object_id


@dataclass
class Selection:
    result: list[tuple[str, str, int, str]]  # stratum, item, rank, id
    reserve: list[tuple[str, str, int, str]]


def select(
    quotas: list[Quota], pools: dict[tuple[str, str], list[str]], tickets: Tickets
) -> Selection:
    out = Selection([], [])
    for q in quotas:
        pool = pools[q.stratum, q.item]
        # sorted(pool, key=tickets.key)[: q.k + q.reserve], without sorting the whole pool:
        # the first n (ticket, id) pairs are among those whose ticket is at most the n-th
        n = q.k + q.reserve
        keys = tickets_of(tickets.seed, pool)
        if 0 < n < len(pool):
            bound = sorted(keys)[n - 1]
            near: Iterable[tuple[int, str]] = itertools.compress(
                zip(keys, pool, strict=True), map(bound.__ge__, keys)
            )
        else:
            near = zip(keys, pool, strict=True)
        ordered = [x for _, x in sorted(near)[:n]]
        for rank, object_id in enumerate(ordered, start=1):
            target = out.result if rank <= q.k else out.reserve
            target.append((q.stratum, q.item, rank, object_id))
    return out


def selection_table(rows: list[tuple[str, str, int, str]], tickets: Tickets) -> bytes:
    return table(
        SELECTION_HEADER,
        (
            [escape(h), escape(i), str(rank), escape(x), ticket_hex(tickets(x))]
            for h, i, rank, x in rows
        ),
    )


@dataclass
class Visit:
    number: int
    obj: Obj
    items: list[str]
    departments: list[str]


def make_visits(
    selected: list[tuple[str, str, int, str]], plan: Plan, by_id: dict[str, Obj], tickets: Tickets
) -> list[Visit]:
    items: dict[str, set[str]] = {}
    for _, code, _, object_id in selected:
        items.setdefault(object_id, set()).add(code)
    ordered = sorted(items, key=tickets.key)
    return [
        Visit(
            number,
            by_id[x],
            sorted(items[x]),
            sorted({plan.items[c].department for c in items[x]}),
        )
        for number, x in enumerate(ordered, start=1)
    ]


# --------------------------------------------------------------------------
# Teams (SPEC §9)


@dataclass
class Slot:
    visit: int  # index into the visit list
    admits: frozenset[str]
    department: str | None  # a department slot's department; None for a free slot
    role: str | None = None  # "leader", "specialist:<s>" or None (member)
    specialty: str | None = None


def visit_slots(visit: Visit, index: int, plan: Plan, staffed: frozenset[str]) -> list[Slot]:
    """The slots of one team, with their roles (SPEC §9.1)."""
    items = [plan.items[c] for c in visit.items]
    demand = dict(plan.team.require)
    for item in items:
        if item.department in staffed:
            demand[item.department] = max(demand.get(item.department, 0), 1)
    involved = frozenset({i.department for i in items} | set(demand) | {plan.department})
    slots = [Slot(index, frozenset({d}), d) for d in sorted(demand) for _ in range(demand[d])]
    while len(slots) < max(plan.team.size, sum(demand.values())):
        slots.append(Slot(index, involved, None))
    roles: list[tuple[str, str | None, set[str]]] = []
    if plan.team.leader:
        roles.append(("leader", None, {plan.department}))
    for s in sorted({i.specialty for i in items} - {""}):
        roles.append((f"specialist:{s}", s, {i.department for i in items if i.specialty == s}))
    for role, specialty, preferred in roles:
        slot = next((x for x in slots if x.role is None and x.department in preferred), None)
        slot = slot or next((x for x in slots if x.role is None and x.department is None), None)
        if slot is None:
            slot = Slot(index, involved, None)
            slots.append(slot)
        slot.role, slot.specialty = role, specialty
    return slots


def fits(officer: Officer, slot: Slot) -> bool:
    if officer.department not in slot.admits:
        return False
    if slot.role == "leader" and not officer.leader:
        return False
    return slot.specialty is None or slot.specialty in officer.specialties


class Eligibility:
    """E1-E6 of SPEC §9.2: the candidate list L of a visit, sorted by cert_no."""

    def __init__(
        self, plan: Plan, officers: list[Officer], conflicts: list[Conflict], history: list[Past]
    ) -> None:
        self.plan = plan
        self.officers = officers
        index = {o.cert_no: n for n, o in enumerate(officers)}
        self.available = [n for n, o in enumerate(officers) if self._free(o)]
        self.by_district: dict[str, list[int]] = {}
        self.blocked: dict[str, set[int]] = {}
        rules = plan.team.rules
        if "declared" in rules:
            for c in conflicts:
                in_force = (c.valid_from is None or c.valid_from <= plan.end) and (
                    c.valid_until is None or c.valid_until >= plan.start
                )
                if in_force and c.cert_no in index:
                    self.blocked.setdefault(c.object_id, set()).add(index[c.cert_no])
        if "previous_team" in rules:
            for object_id, certs in previous_teams(history).items():
                found = {index[c] for c in certs if c in index}
                self.blocked.setdefault(object_id, set()).update(found)

    def _free(self, o: Officer) -> bool:
        """E1 and E2."""
        if o.status != ON_DUTY or o.valid_until < self.plan.end:
            return False
        return all(last < self.plan.start or first > self.plan.end for first, last in o.unavailable)

    def _local(self, n: int, district: str) -> bool:
        """E3 and E4."""
        o = self.officers[n]
        if self.plan.team.same_district and o.district not in ("", district):
            return False
        home = o.home_district
        return not ("home_district" in self.plan.team.rules and home != "" and home == district)

    def candidates(self, obj: Obj) -> list[int]:
        base = self.by_district.get(obj.district)
        if base is None:
            base = self.by_district[obj.district] = [
                n for n in self.available if self._local(n, obj.district)
            ]
        blocked = self.blocked.get(obj.id)
        return [n for n in base if n not in blocked] if blocked else base


def previous_teams(history: list[Past]) -> dict[str, set[str]]:
    """Officers of the latest-dated history rows of each object (E6)."""
    latest: dict[str, tuple[str, set[str]]] = {}
    for past in history:
        day, certs = latest.get(past.object_id, ("", set()))
        if past.date > day:
            latest[past.object_id] = (past.date, set(past.officers))
        elif past.date == day:
            certs.update(past.officers)
    return {object_id: certs for object_id, (_, certs) in latest.items()}


class SeededOrder:
    """The lazy seeded Fisher-Yates order of a visit's candidates (SPEC §9.3)."""

    def __init__(self, seed: bytes, object_id: str, candidates: list[int]) -> None:
        self.prefix = T_TEAM + seed
        self.suffix = object_id.encode("utf-8")
        self.candidates = candidates
        self.block = 0
        self.words: deque[int] = deque()
        self.swapped: dict[int, int] = {}
        self.order: list[int] = []  # the officer at each position taken so far

    def _word(self) -> int:
        if not self.words:
            digest = sha256(self.prefix + self.block.to_bytes(8, "big") + self.suffix)
            self.block += 1
            self.words.extend(int.from_bytes(digest[i : i + 8], "big") for i in range(0, 32, 8))
        return self.words.popleft()

    def _uniform(self, m: int) -> int:
        limit = 2**64 - (2**64 % m)
        while True:
            word = self._word()
            if word < limit:
                return word % m

    def at(self, position: int) -> int | None:
        """The officer at a position, or None past the end of the list."""
        n = len(self.candidates)
        while len(self.order) <= position < n:
            t = len(self.order)
            j = t + self._uniform(n - t)
            at_t, at_j = self.swapped.get(t, t), self.swapped.get(j, j)
            self.swapped[j] = at_t
            self.order.append(self.candidates[at_j])
        return self.order[position] if position < n else None


class TeamSolver:
    """The first feasible assignment in seeded order (SPEC §9.4).

    It keeps one complete valid assignment ``assign`` consistent with every
    slot already decided. A candidate for the next slot is feasible when it is
    that assignment's choice, or when the assignment can be repaired after
    forcing the candidate, which is one augmenting-path search in the
    slot -> (visit, officer) -> officer flow network.

    A failed search proves a Hall-tight region: undecided slots S that need
    every remaining unit of the officers O it reached. Deciding slots keeps it
    tight (a slot of S can only take an officer of O, one unit each), so any
    later slot outside S is refused those officers without another search.
    """

    def __init__(
        self,
        slots: list[Slot],
        visits: list[Visit],
        orders: list[SeededOrder],
        officers: list[Officer],
        cap: int | None,
    ) -> None:
        self.slots, self.visits, self.orders, self.officers = slots, visits, orders, officers
        self.cap = cap if cap is not None else len(slots) + 1
        self.first: list[int] = []  # index of the first slot of each visit
        self.end: list[int] = []  # one past the last slot of each visit
        for n, slot in enumerate(slots):
            if slot.visit == len(self.first):
                self.first.append(n)
                self.end.append(n)
            self.end[slot.visit] = n + 1
        self.assign = [-1] * len(slots)
        self.load = [0] * len(officers)
        self.held: list[set[int]] = [set() for _ in officers]  # slots per officer
        self.fitting: dict[int, tuple[list[int], frozenset[int]]] = {}
        self.shared: dict[tuple[object, ...], tuple[list[int], frozenset[int]]] = {}
        self.free = set(range(len(officers)))  # officers with a unit to spare
        self.core: dict[int, set[int]] = {}  # officer -> the slots in all its tight regions
        self.reached: tuple[set[int], set[int]] = (set(), set())  # of the last failed search

    def _set(self, slot: int, officer: int) -> None:
        old = self.assign[slot]
        if old >= 0:
            self.load[old] -= 1
            self.held[old].discard(slot)
            if self.load[old] < self.cap:
                self.free.add(old)
        self.assign[slot] = officer
        if officer >= 0:
            self.load[officer] += 1
            self.held[officer].add(slot)
            if self.load[officer] >= self.cap:
                self.free.discard(officer)

    def _fits(self, slot: int) -> tuple[list[int], frozenset[int]]:
        """The candidates of the slot's visit who fit it, as a list and as a set."""
        found = self.fitting.get(slot)
        if found is None:
            s = self.slots[slot]
            candidates = self.orders[s.visit].candidates  # often one list for many visits
            key = (id(candidates), s.admits, s.role, s.specialty)
            found = self.shared.get(key)
            if found is None:
                fitting = [o for o in candidates if fits(self.officers[o], s)]
                found = self.shared[key] = (fitting, frozenset(fitting))
            self.fitting[slot] = found
        return found

    def _holder(self, slot: int, officer: int) -> int:
        """The slot of the same visit holding officer, or -1."""
        v = self.slots[slot].visit
        for other in range(self.first[v], self.end[v]):
            if other != slot and self.assign[other] == officer:
                return other
        return -1

    def _augment(self, start: int, fixed: int) -> bool:
        """Find an assignment for slot start, moving only slots after fixed (BFS)."""
        parent: dict[int, tuple[int, int]] = {start: (-1, -1)}
        seen: set[int] = set()  # officers reached; each queues the slots it holds once
        pending: dict[int, list[int]] = {}  # per shared candidate list: officers not yet seen
        barren: set[int] = set()  # shared candidate lists without an officer to spare
        queue = deque([start])
        if self._finish(parent, start, barren):
            return True
        while queue:
            x = queue.popleft()
            own, team = self.assign[x], self._team(x)
            candidates = self._fits(x)[0]
            unseen = [o for o in pending.get(id(candidates), candidates) if o not in seen]
            pending[id(candidates)] = unseen
            for o in unseen:
                if o == own:
                    continue
                holder = team.get(o, -1)
                if holder >= 0:  # x takes o's place in this team; the holder moves on
                    moved = [holder] if holder > fixed and holder not in parent else []
                else:  # o is at the cap: one of its movable slots must move on
                    seen.add(o)
                    moved = [z for z in self.held[o] if z > fixed and z not in parent]
                for z in moved:
                    parent[z] = (x, o)
                    if self._finish(parent, z, barren):
                        return True
                    queue.append(z)
        self.reached = (set(parent), seen)
        return False

    def _team(self, slot: int) -> dict[int, int]:
        """Officer -> slot, for the other slots of this slot's visit."""
        v = self.slots[slot].visit
        return {self.assign[y]: y for y in range(self.first[v], self.end[v]) if y != slot}

    def _finish(self, parent: dict[int, tuple[int, int]], slot: int, barren: set[int]) -> bool:
        """If slot can move to an officer with a free unit, end the path there."""
        candidates, fitting = self._fits(slot)
        if id(candidates) in barren:
            return False
        spare = self.free & fitting if len(self.free) < len(fitting) else fitting & self.free
        if not spare:
            barren.add(id(candidates))  # free units do not change during one search
            return False
        own, team = self.assign[slot], self._team(slot)
        for o in sorted(spare):
            if o != own and o not in team:
                self._shift(parent, slot, o)
                return True
        return False

    def _barred(self, slot: int, officer: int) -> bool:
        """Is officer in a tight region that slot is not part of?"""
        core = self.core.get(officer)
        return core is not None and slot not in core

    def _add_tight(self, region: set[int], officers: set[int]) -> None:
        """Record a tight region; officers sharing a core share its intersection."""
        narrowed: dict[int, set[int]] = {}
        for o in officers:
            core = self.core.get(o)
            if core is None:
                self.core[o] = region
            else:
                if id(core) not in narrowed:
                    narrowed[id(core)] = core & region
                self.core[o] = narrowed[id(core)]

    def _shift(self, parent: dict[int, tuple[int, int]], last: int, officer: int) -> None:
        chain = [(last, officer)]
        while parent[chain[-1][0]][0] >= 0:
            chain.append(parent[chain[-1][0]])
        for slot, _ in chain:
            self._set(slot, -1)
        for slot, o in chain:
            self._set(slot, o)

    def _try(self, slot: int, officer: int) -> bool:
        """Force officer on slot; keep the change if the rest stays solvable."""
        if self._barred(slot, officer):
            return False
        undo = [(slot, self.assign[slot])]
        holder = self._holder(slot, officer)
        self._set(slot, officer)
        loose = holder
        if loose < 0 and self.load[officer] > self.cap:
            loose = min(z for z in self.held[officer] if z > slot)
        if loose < 0:
            return True
        undo.append((loose, self.assign[loose]))
        self._set(loose, -1)
        if self._augment(loose, slot):
            return True
        for s, o in reversed(undo):
            self._set(s, o)
        self._add_tight(*self.reached)
        return False

    def _open(self, slot: int, officer: int, decided: list[int]) -> bool:
        """Fits, not yet on this team, and under the load cap so far."""
        if not fits(self.officers[officer], self.slots[slot]) or decided[officer] >= self.cap:
            return False
        v = self.slots[slot].visit
        return all(self.assign[s] != officer for s in range(self.first[v], slot))

    def _greedy(self) -> None:
        for slot in range(len(self.slots)):
            order = self.orders[self.slots[slot].visit]
            position = 0
            while (o := order.at(position)) is not None:
                if self._open(slot, o, self.load):
                    self._set(slot, o)
                    break
                position += 1

    def solve(self) -> list[int]:
        """Assign every slot; return each slot's position in its visit's order."""
        self._greedy()
        for slot in range(len(self.slots)):
            if self.assign[slot] < 0 and not self._augment(slot, -1):
                raise self._infeasible(slot)
        decided = [0] * len(self.officers)
        positions = []
        for slot in range(len(self.slots)):
            order = self.orders[self.slots[slot].visit]
            position = 0
            while True:
                o = order.at(position)
                if o is None:
                    raise self._infeasible(slot)
                if self._open(slot, o, decided) and (o == self.assign[slot] or self._try(slot, o)):
                    break
                position += 1
            decided[o] += 1
            positions.append(position)
        return positions

    def _infeasible(self, slot: int) -> Mismatch:
        s = self.slots[slot]
        v = self.visits[s.visit]
        role = s.role or "member"
        return Mismatch(
            "teams.tsv",
            f"no valid team assignment exists: visit {v.number} ({v.obj.id}) slot "
            f"{slot - self.first[s.visit]} ({role}) cannot be staffed within the rules",
        )


def draw_teams(
    plan: Plan,
    visits: list[Visit],
    seed: bytes,
    officers: list[Officer],
    conflicts: list[Conflict],
    history: list[Past],
) -> bytes:
    staffed = frozenset(o.department for o in officers)
    eligibility = Eligibility(plan, officers, conflicts, history)
    slots: list[Slot] = []
    orders = []
    kinds: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}  # a visit's slots by its items
    for index, visit in enumerate(visits):
        kind = kinds.get(tuple(visit.items))
        if kind is None:
            kind = kinds[tuple(visit.items)] = [
                (s.admits, s.department, s.role, s.specialty)
                for s in visit_slots(visit, index, plan, staffed)
            ]
        slots.extend([Slot(index, *k) for k in kind])
        orders.append(SeededOrder(seed, visit.obj.id, eligibility.candidates(visit.obj)))
    solver = TeamSolver(slots, visits, orders, officers, plan.team.load_cap)
    positions = solver.solve()
    # the first five fields of a row, the same for every slot of a visit
    heads = [
        "\t".join(
            [
                str(visit.number),
                escape(visit.obj.id),
                ticket_hex(value),
                escape_list(visit.items),
                escape_list(visit.departments),
            ]
        )
        for visit, value in zip(visits, tickets_of(seed, [v.obj.id for v in visits]), strict=True)
    ]
    rows = []
    for n, slot in enumerate(slots):
        officer = officers[solver.assign[n]]
        rows.append(
            [
                heads[slot.visit],
                str(n - solver.first[slot.visit]),
                escape(slot.role or "member"),
                escape(officer.cert_no),
                escape(officer.department),
                str(positions[n]),
            ]
        )
    return table(TEAMS_HEADER, rows)


# --------------------------------------------------------------------------
# The bundle


@dataclass
class Bundle:
    folder: Path
    files: dict[str, bytes] = field(default_factory=dict)
    tier: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    commitment: dict[str, Any] = field(default_factory=dict)
    digests: dict[str, bytes] = field(default_factory=dict)
    plan: Plan | None = None
    seed: bytes = b""


def check_manifest(b: Bundle) -> str:
    path = b.folder / MANIFEST
    if not path.is_file():
        raise Mismatch(MANIFEST, "missing")
    listed: dict[str, str] = {}
    data = path.read_bytes()
    try:
        lines = data.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        raise Mismatch(MANIFEST, "not UTF-8") from None
    if lines[-1] != "":
        raise Mismatch(MANIFEST, "the last line does not end with LF", len(lines))
    for number, line in enumerate(lines[:-1], start=1):
        digest, sep, name = line.partition("  ")
        bad_name = not name or "/" in name or "\x00" in name or name == MANIFEST
        if not sep or not is_hex(digest, 64) or bad_name:
            raise Mismatch(MANIFEST, "not a '<sha256>  <name>' line", number)
        if listed and name <= max(listed):
            raise Mismatch(MANIFEST, "names are not sorted and unique", number)
        listed[name] = digest
    for name, digest in listed.items():
        file = b.folder / name
        if not file.is_file():
            raise Mismatch(name, "listed in the manifest but missing")
        b.files[name] = file.read_bytes()
        if hashlib.sha256(b.files[name]).hexdigest() != digest:
            raise Mismatch(name, "SHA-256 differs from the manifest")
    for entry in sorted(p.name for p in b.folder.iterdir()):
        if entry != MANIFEST and entry not in listed:
            raise Mismatch(entry, "not in the manifest")
    b.meta = load_object("bundle.json", b.files)
    b.tier = b.meta.get("tier", "")
    if b.tier not in TIER_FILES:
        raise Mismatch("bundle.json", f"tier {b.tier!r} is not 'public' or 'auditor'")
    missing = sorted(TIER_FILES[b.tier] - set(listed))
    if missing:
        raise Mismatch(missing[0], f"missing: the {b.tier} tier needs it")
    foreign = sorted(set(listed) - TIER_FILES[b.tier] - OPTIONAL_FILES)
    if foreign:
        raise Mismatch(foreign[0], f"does not belong in the {b.tier} tier")
    draw = f"plan {b.meta.get('plan')} attempt {b.meta.get('attempt')} ({b.meta.get('state')})"
    return f"manifest: {len(listed)} files, every SHA-256 matches; {b.tier} bundle of {draw}"


def load_object(name: str, files: dict[str, bytes]) -> dict[str, Any]:
    if name not in files:
        raise Mismatch(name, "missing")
    value = load_json(name, files[name])
    if not isinstance(value, dict):
        raise Mismatch(name, "not a JSON object")
    return value


def field_of(name: str, doc: dict[str, Any], key: str, kind: type) -> Any:
    value = doc.get(key)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise Mismatch(name, f"{key!r} is missing or not a {kind.__name__}")
    return value


DIGEST_FILES = {
    "plan": "plan.json",
    "objects_public": "objects-public.tsv",
    "objects_internal": "objects-internal.tsv",
    "inspectors": "inspectors.tsv",
    "conflicts": "conflicts.tsv",
    "history": "history.tsv",
}


def check_digests(b: Bundle) -> str:
    b.commitment = load_object("commitment.json", b.files)
    check_canonical_json("commitment.json", b.commitment, b.files["commitment.json"], "\n")
    digests = field_of("commitment.json", b.commitment, "digests", dict)
    for key in (*DIGEST_FILES, "objects"):
        value = digests.get(key)
        if not isinstance(value, str) or not is_hex(value, 64):
            raise Mismatch("commitment.json", f"digests.{key} is not 64 lowercase hex digits")
        b.digests[key] = bytes.fromhex(value)
    checked = []
    for key, name in DIGEST_FILES.items():
        if name in b.files:
            if sha256(b.files[name]) != b.digests[key]:
                raise Mismatch(name, f"digest differs from the committed digests.{key}")
            checked.append(name)
    combined = tagged_hash(T_OBJECTS, b.digests["objects_public"], b.digests["objects_internal"])
    if combined != b.digests["objects"]:
        raise Mismatch("commitment.json", "digests.objects is not H(T_OBJECTS; P, I)")
    b.plan = parse_plan(b.files["plan.json"])
    check_identity(b)
    return f"digests: {', '.join(checked)} match the commitment; O = H(T_OBJECTS; P, I)"


def check_identity(b: Bundle) -> None:
    """bundle.json, commitment.json and plan.json describe the same draw."""
    assert b.plan is not None
    for name, doc in (("bundle.json", b.meta), ("commitment.json", b.commitment)):
        if doc.get("algorithm") != ALGORITHM:
            raise Mismatch(name, f"algorithm is not {ALGORITHM!r}")
    if b.meta.get("plan") != b.plan.id:
        raise Mismatch(
            "bundle.json", f"plan {b.meta.get('plan')!r} is not plan.json's {b.plan.id!r}"
        )
    if b.meta.get("attempt") != b.commitment.get("attempt"):
        raise Mismatch("bundle.json", "attempt differs from commitment.json")
    summary = field_of("commitment.json", b.commitment, "plan", dict)
    raw = b.plan.raw
    expected = {
        "id": raw["id"],
        "title": raw.get("title"),
        "year": raw["year"],
        "batch": raw.get("batch"),
        "type": raw.get("kind"),
        "department": raw["department"],
        "co_departments": raw.get("co_departments"),
        "items": raw["items"],
        "window": [raw["window"]["start"], raw["window"]["end"]],
    }
    for key, value in expected.items():
        if summary.get(key) != value:
            raise Mismatch("commitment.json", f"plan.{key} does not describe plan.json")


def check_secret(b: Bundle) -> str:
    secret = field_of("bundle.json", b.meta, "secret", str)
    if not is_hex(secret, 64):
        raise Mismatch("bundle.json", "secret is not 64 lowercase hex digits")
    committed = field_of("commitment.json", b.commitment, "secret_commitment", str)
    if hashlib.sha256(T_COMMIT + bytes.fromhex(secret)).hexdigest() != committed:
        raise Mismatch(
            "bundle.json", "SHA-256(T_COMMIT || secret) is not the committed secret_commitment"
        )
    return f"secret: matches the commitment {committed}"


def check_seed(b: Bundle) -> str:
    entropy = field_of("bundle.json", b.meta, "entropy", str)
    if not unicodedata.is_normalized("NFC", entropy):
        raise Mismatch("bundle.json", "entropy is not in Unicode NFC")
    d = b.digests
    seed = tagged_hash(
        T_SEED,
        d["plan"],
        d["objects"],
        d["inspectors"],
        d["conflicts"],
        d["history"],
        entropy.encode("utf-8"),
        bytes.fromhex(b.meta["secret"]),
    )
    if seed.hex() != field_of("bundle.json", b.meta, "seed", str):
        raise Mismatch(
            "bundle.json",
            "seed does not follow from the committed digests, the entropy and the secret",
        )
    b.seed = seed
    return f"seed: {seed.hex()} from the five digests, entropy {entropy!r} and the secret"


TICKET_FILES = {
    "result.tsv": (SELECTION_HEADER, 3, 4),
    "reserve.tsv": (SELECTION_HEADER, 3, 4),
    "result-internal-strata.tsv": (INTERNAL_STRATA_HEADER, 1, 2),
    "teams.tsv": (TEAMS_HEADER, 1, 2),
}


def check_tickets(b: Bundle) -> str:
    count = 0
    for name, (header, id_col, ticket_col) in TICKET_FILES.items():
        if name not in b.files:
            continue
        width = len(header)
        for number, line in table_lines(name, b.files[name], header):
            fields = line.split("\t")
            if len(fields) != width:
                raise Mismatch(name, f"{len(fields)} fields, the header has {width}", number)
            try:
                object_id = dec_ident(fields[id_col])
            except ValueError as exc:
                raise Mismatch(name, f"{header[id_col]}: {exc}", number) from None
            expected = ticket_hex(ticket(b.seed, object_id))
            if fields[ticket_col] != expected:
                raise Mismatch(
                    name, f"ticket of {object_id} is {expected}, not {fields[ticket_col]!r}", number
                )
            count += 1
    return f"tickets: {count} published tickets recomputed from the seed"


# --------------------------------------------------------------------------
# Public tier: publicly verifiable strata


@dataclass
class PublicView:
    """The public tier's view of a plan: objects placed without their risk class."""

    plan: Plan
    objects: list[Obj]
    public: dict[str, Stratum]
    places: dict[str, Place]

    @classmethod
    def of(cls, plan: Plan, objects: list[Obj]) -> PublicView:
        placer = Placer(plan, public_only=True)
        public = {s.name: s for s in plan.strata if s.public}
        return cls(plan, objects, public, {o.id: placer(o) for o in objects})

    def public_stratum(self, object_id: str) -> Stratum | None:
        found = [s for s in self.places[object_id].strata if s.public]
        if len(found) > 1:
            names = ", ".join(s.name for s in found)
            raise Mismatch(
                "plan.json", f"object {object_id} matches more than one stratum ({names})"
            )
        return found[0] if found else None


def check_public_selection(b: Bundle) -> str:
    assert b.plan is not None
    plan = b.plan
    view = PublicView.of(plan, parse_objects(b.files["objects-public.tsv"]))
    excluded = read_public_exclusions(b, view)
    cutoff = plan.cutoff
    pools = {(h, c): list[str]() for h in view.public for c in plan.codes}
    for obj in view.objects:
        stratum = view.public_stratum(obj.id)
        if stratum is None or not view.places[obj.id].in_scope:
            continue
        for code in view.places[obj.id].items:
            if (stratum.name, code, obj.id) in excluded:
                continue
            reasons = exclusion_reasons(obj, plan.items[code], plan, public_events(obj), cutoff)
            if reasons:
                what = f"no row for {obj.id} in ({stratum.name}, {code}), though objects-public.tsv gives reason {reasons[0]!r}"
                raise Mismatch("exclusions.tsv", what)
            pools[stratum.name, code].append(obj.id)
    quotas = check_public_quotas(b, plan, pools)
    tickets = Tickets(b.seed)
    chosen = select([q for q in quotas if q.stratum in view.public], pools, tickets)
    compare_file("result.tsv", selection_table(chosen.result, tickets), b.files["result.tsv"])
    compare_file("reserve.tsv", selection_table(chosen.reserve, tickets), b.files["reserve.tsv"])
    drawn = check_internal_strata(b, view, quotas)
    check_public_outside(b, view)
    return (
        f"selection: {len(pools)} publicly verifiable pool(s) recomputed "
        f"({len(chosen.result)} drawn, {len(chosen.reserve)} reserve); "
        f"{drawn} object(s) of risk-class strata counted"
    )


def read_public_exclusions(b: Bundle, view: PublicView) -> set[tuple[str, str, str]]:
    """The exclusions of public strata, checked against what public data shows."""
    name, plan = "exclusions.tsv", view.plan
    decoders = [dec_text, dec_ident, dec_ident, dec_text]
    rows = read_table(name, b.files[name], EXCLUSIONS_HEADER, decoders, order=lambda v: v[:3])
    by_id = {o.id: o for o in view.objects}
    cutoff = plan.cutoff
    keys = set()
    for number, (stratum, code, object_id, text) in rows:
        if stratum not in view.public:
            what = f"stratum {stratum!r} is not a publicly verifiable stratum of the plan"
            raise Mismatch(name, what, number)
        obj = by_id.get(object_id)
        if obj is None or code not in plan.items:
            raise Mismatch(name, f"unknown item {code!r} or object {object_id!r}", number)
        place = view.places[object_id]
        if not place.in_scope or view.public_stratum(object_id) is not view.public[stratum]:
            raise Mismatch(name, f"{object_id} is not in stratum {stratum}", number)
        if code not in place.items:
            raise Mismatch(name, f"{object_id} is not in the scope of {code}", number)
        check_public_reasons(name, number, text.split(";"), obj, plan.items[code], plan, cutoff)
        keys.add((stratum, code, object_id))
    return keys


def public_events(obj: Obj) -> list[tuple[str, str]]:
    """The inspection events the public can see: last_inspected only (history is internal)."""
    return [("*", obj.last_inspected)] if obj.last_inspected else []


def check_public_reasons(
    name: str, number: int, reasons: list[str], obj: Obj, item: Item, plan: Plan, cutoff: str | None
) -> None:
    """Reasons are known codes in §7.2 order, consistent with the public part."""
    if not reasons or [r for r in REASONS if r in reasons] != reasons:
        raise Mismatch(
            name,
            f"reasons {';'.join(reasons)!r} are not reason codes in the order of SPEC §7.2",
            number,
        )
    implied = exclusion_reasons(obj, item, plan, public_events(obj), cutoff)
    possible = {
        "status": obj.status in plan.statuses,
        "lookback": cutoff is not None,
        "annual_cap": plan.annual_cap is not None,
        "item_cap": item.max_per_year is not None,
    }
    for reason in REASONS:
        # history.tsv is not public: it can add lookback and cap reasons, never status.
        if reason in implied and reason not in reasons:
            verb = "lacks"
        elif reason in reasons and not possible[reason]:
            verb = "cannot have"
        else:
            continue
        raise Mismatch(
            name, f"{obj.id} {verb} reason {reason!r} (by objects-public.tsv and plan.json)", number
        )


def check_public_quotas(
    b: Bundle, plan: Plan, pools: dict[tuple[str, str], list[str]]
) -> list[Quota]:
    """quotas.tsv and the committed quotas, with public pool sizes recomputed."""
    name = "quotas.tsv"
    decoders: list[Decoder] = [dec_text, dec_text, dec_int] + [str] * 6
    rows = read_table(name, b.files[name], QUOTAS_HEADER, decoders)
    published = {(v[0], v[1]): v[2] for _, v in rows}
    sizes = {}
    for stratum in plan.strata:
        for code in plan.codes:
            key = (stratum.name, code)
            sizes[key] = len(pools[key]) if key in pools else published.get(key, 0)
    quotas = quotas_for(plan, sizes)
    compare_file(name, table(QUOTAS_HEADER, (q.row() for q in quotas)), b.files[name])
    check_committed_quotas(b, plan, quotas)
    return quotas


def check_committed_quotas(b: Bundle, plan: Plan, quotas: list[Quota]) -> None:
    """The quotas published before the draw equal those of quotas.tsv."""
    committed = b.commitment.get("quotas")
    public = {s.name: s.public for s in plan.strata}
    expected = [
        {
            "item": q.item,
            "k": q.k,
            "max": q.max,
            "min": q.min,
            "pool_size": q.pool_size,
            "publicly_verifiable": public[q.stratum],
            "ratio": f"{q.ratio[0]}/{q.ratio[1]}",
            "reserve": q.reserve,
            "shortfall": q.shortfall,
            "stratum": q.stratum,
        }
        for q in sorted(quotas, key=lambda q: (q.item, q.stratum))
    ]
    if not isinstance(committed, list) or len(committed) != len(expected):
        raise Mismatch(
            "commitment.json", f"quotas should list {len(expected)} (item, stratum) pools"
        )
    for want, have in zip(expected, committed, strict=True):
        if want != have:
            raise Mismatch(
                "commitment.json",
                f"quotas of ({want['item']}, {want['stratum']}) differ from quotas.tsv: {have}",
            )


def check_internal_strata(b: Bundle, view: PublicView, quotas: list[Quota]) -> int:
    """Drawn objects of risk-class strata: known, in scope, and as many as the quotas."""
    name, plan = "result-internal-strata.tsv", view.plan
    decoders: list[Decoder] = [dec_ident, dec_ident, str]
    rows = read_table(name, b.files[name], INTERNAL_STRATA_HEADER, decoders, order=lambda v: v[:2])
    counts = dict.fromkeys(plan.codes, 0)
    for number, (code, object_id, _) in rows:
        place = view.places.get(object_id)
        if code not in counts or place is None:
            raise Mismatch(name, f"unknown item {code!r} or object {object_id!r}", number)
        if not place.in_scope or code not in place.items:
            what = f"{object_id} is outside the scope of the plan or of {code}"
            raise Mismatch(name, what, number)
        if view.public_stratum(object_id) is not None or not place.strata:
            what = f"{object_id} cannot belong to a risk-class stratum"
            raise Mismatch(name, what, number)
        counts[code] += 1
    for code in plan.codes:
        k = sum(q.k for q in quotas if q.item == code and q.stratum not in view.public)
        if counts[code] != k:
            what = f"{counts[code]} row(s) of {code}, but the risk-class strata draw {k}"
            raise Mismatch(name, what)
    return len(rows)


def check_public_outside(b: Bundle, view: PublicView) -> None:
    """Objects outside every stratum, as far as public data can tell."""
    name = "outside.tsv"
    rows = read_table(name, b.files[name], OUTSIDE_HEADER, [dec_ident], order=first)
    listed = {v[0]: n for n, v in rows}
    for object_id, number in listed.items():
        place = view.places.get(object_id)
        if place is None or not place.in_scope:
            raise Mismatch(name, f"{object_id} is not an object in the plan's scope", number)
        if view.public_stratum(object_id) is not None:
            raise Mismatch(name, f"{object_id} belongs to a publicly verifiable stratum", number)
    if not view.plan.scope.uses_risk:
        for obj in view.objects:
            place = view.places[obj.id]
            if place.in_scope and not place.strata and obj.id not in listed:
                what = f"{obj.id} is in the plan's scope and in no stratum, but not listed"
                raise Mismatch(name, what)
    if b.commitment.get("outside_strata") != len(rows):
        what = f"outside_strata is not the {len(rows)} row(s) of outside.tsv"
        raise Mismatch("commitment.json", what)


# --------------------------------------------------------------------------
# Auditor tier: the whole draw


def check_rerun(b: Bundle) -> str:
    assert b.plan is not None
    plan = b.plan
    objects = parse_objects(b.files["objects-public.tsv"])
    add_risk_classes(objects, b.files["objects-internal.tsv"])
    officers = parse_officers(b.files["inspectors.tsv"])
    conflicts = parse_conflicts(b.files["conflicts.tsv"])
    history = parse_history(b.files["history.tsv"])
    prepared = prepare(plan, objects, history)
    quotas = quotas_for(plan, {key: len(pool) for key, pool in prepared.pools.items()})
    tickets = Tickets(b.seed)
    pools = {key: [o.id for o in pool] for key, pool in prepared.pools.items()}
    chosen = select(quotas, pools, tickets)
    visits = make_visits(chosen.result, plan, {o.id: o for o in objects}, tickets)
    files = {
        "quotas.tsv": table(QUOTAS_HEADER, (q.row() for q in quotas)),
        "result.tsv": selection_table(chosen.result, tickets),
        "reserve.tsv": selection_table(chosen.reserve, tickets),
        "teams.tsv": b"",
        "exclusions.tsv": table(
            EXCLUSIONS_HEADER,
            ([escape(h), escape(i), escape(x), ";".join(r)] for h, i, x, r in prepared.exclusions),
        ),
        "outside.tsv": table(OUTSIDE_HEADER, ([escape(x)] for x in prepared.outside)),
    }
    for name in ("quotas.tsv", "result.tsv", "reserve.tsv"):
        compare_file(name, files[name], b.files[name])
    files["teams.tsv"] = draw_teams(plan, visits, b.seed, officers, conflicts, history)
    for name in ("teams.tsv", "exclusions.tsv", "outside.tsv"):
        compare_file(name, files[name], b.files[name])
    parts = [p for name in OUTPUT_FILES for p in (name.encode("ascii"), files[name])]
    if tagged_hash(T_RESULT, *parts).hex() != b.meta.get("result_digest"):
        raise Mismatch(
            "bundle.json", "result_digest is not H(T_RESULT; ...) of the six output files"
        )
    check_committed_quotas(b, plan, quotas)
    check_committed_counts(b, prepared)
    return (
        f"re-run: {len(visits)} visits; quotas, result, reserve, teams, exclusions "
        "and outside identical; result digest matches"
    )


def check_committed_counts(b: Bundle, prepared: Prepared) -> None:
    counts: dict[str, int] = {}
    for *_, reasons in prepared.exclusions:
        for reason in reasons:
            counts[reason] = counts.get(reason, 0) + 1
    if b.commitment.get("exclusions") != counts:
        raise Mismatch(
            "commitment.json",
            f"exclusions counts {b.commitment.get('exclusions')} are not {counts}",
        )
    if b.commitment.get("outside_strata") != len(prepared.outside):
        raise Mismatch("commitment.json", f"outside_strata is not {len(prepared.outside)}")


# --------------------------------------------------------------------------
# DR-2 (SPEC Part II; docs/BUNDLE.md Part II)
#
# A DR-2 bundle is checked in the same order as ``dualrandom verify`` checks
# it, and every difference is a MISMATCH with the same code: manifest,
# commitment, digest, wrong-chain, demo-as-quicknet, beacon-round,
# wrong-round, bad-signature, dice, seed, public-check, risk-root, rerun,
# result-digest, substitution. The last line is the verdict, saying exactly what was checked.

T2_OBJECTS = b"DR-2/objects\x00"
T2_SNAPSHOT = b"DR-2/snapshot\x00"
T2_BUCKET = b"DR-2/bucket\x00"
T2_SEED = b"DR-2/seed\x00"
T2_RESULT = b"DR-2/result\x00"
T2_PUBLIC = b"DR-2/public\x00"
T2_INTERNAL = b"DR-2/internal\x00"
T2_RISK_LEAF = b"DR-2/risk-leaf\x00"

DR2_BEACON_FILE = "beacon-round.json"
DR2_DICE_FILE = "dice.txt"
DR2_SALT_FILE = "salt-key.txt"
# The public part of the object snapshot: published once per registry version,
# content-addressed; MANIFEST.sha256 never lists it (it is checked against the
# commitment's objects_public digest instead).
DR2_SNAPSHOT_FILE = "objects-public.tsv.gz"
# The snapshot as the site publishes it, which may be put into the bundle folder
# as downloaded: not in the manifest either.
PUBLISHED_SNAPSHOT = re.compile(r"[0-9a-f]{64}\.tsv\.gz")
DR2_PUBLIC_NAMES = (
    "selection.tsv",
    "reserve-public.tsv",
    "exclusions-public.tsv",
    "bounds.tsv",
    "outside.tsv",
)
DR2_PUBLIC_TIER = frozenset(
    {
        "README.txt",
        "verify.py",
        "bundle.json",
        "commitment.json",
        "plan.json",
        DR2_BEACON_FILE,
        DR2_DICE_FILE,
        "quotas.tsv",
        "substitutions.tsv",
    }
)
DR2_AUDITOR_TIER = (
    DR2_PUBLIC_TIER
    | frozenset(
        {"objects-internal.tsv.gz", "inspectors.tsv", "conflicts.tsv", "history.tsv", DR2_SALT_FILE}
    )
    | frozenset(OUTPUT_FILES)
)
# bundle file -> (table name of SPEC §15, commitment key)
DR2_TABLES = {
    "objects-public.tsv": ("objects-public", "objects_public"),
    "objects-internal.tsv": ("objects-internal", "objects_internal"),
    "inspectors.tsv": ("inspectors", "inspectors"),
    "conflicts.tsv": ("conflicts", "conflicts"),
    "history.tsv": ("history", "history"),
    "quotas.tsv": ("quotas", "quotas"),
    "exclusions.tsv": ("exclusions", "exclusions"),
    "outside.tsv": ("outside", "outside"),
    "exclusions-public.tsv": ("exclusions-public", "exclusions_public"),
}
DR2_DIGEST_KEYS = frozenset(
    [
        "plan",
        "objects",
        "objects_public",
        "objects_internal",
        "inspectors",
        "conflicts",
        "history",
        "quotas",
        "exclusions",
        "outside",
        "exclusions_public",
    ]
)
OBJECTS2_HEADER = fields(
    "id id_type type industry district status abnormal_list serious_illegal_list "
    "departments tags last_inspected"
)
INTERNAL2_HEADER = fields("id risk_class name registration_authority address established")
SELECTION2_HEADER = fields("item id ticket stratum rank")
RESERVE2_HEADER = fields("stratum item rank id ticket")
EXCLUSIONS2_HEADER = fields("item id reasons")
BOUNDS_HEADER = fields("item group strata low high drawn")
ALL_CLASSES = frozenset("ABCD")
PINNED_CHAIN_KEYS = ("demo", "genesis", "hash", "label", "period", "public_key", "scheme")
# The chains dual-random knows (dualrandom.beacon.QUICKNET and DEMO_CHAIN), as drand describes them.
KNOWN_CHAINS: dict[str, dict[str, Any]] = {
    "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971": {
        "chain_hash": "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971",
        "public_key": "83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c"
        "8c4b450b6a0a6c3ac6a5776a2d1064510d1fec758c921cc22b0e17e63aaf4bcb"
        "5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a",
        "genesis_time": 1692803367,
        "period": 3,
        "scheme": "bls-unchained-g1-rfc9380",
        "genesis_seed": "f477d5c89f21a17c863a7f937c6a6d15859414d2be09cd448d4279af331c5d3e",
        "beacon_id": "quicknet",
        "label": "熵联盟 quicknet 公共随机信标 / League of Entropy drand quicknet",
        "is_demo": False,
    },
    "c925f6147b60bce971b935ecd782d72b2a5d761d543f06d5af8d2c7e12317aad": {
        "chain_hash": "c925f6147b60bce971b935ecd782d72b2a5d761d543f06d5af8d2c7e12317aad",
        "public_key": "a1e83a00a799c905772c48967bba894a5b2320e9d795c30e5711901dd157b3e1"
        "44b6c65d17ef7bcd2ba7e3c980f7060a02419f037c63716c782a89abde9e1a97"
        "96250b8d81a6f9ec0d739d3f4be2363a692a8f9adaf13f60dfb015a67e2ff268",
        "genesis_time": 1577836800,
        "period": 3,
        "scheme": "bls-unchained-g1-rfc9380",
        "genesis_seed": "936f370b6b563caac490d6ca227d0cbbb08dfef45da8cffab0779cec93af4672",
        "beacon_id": "dualrandom-demo",
        "label": "演示链（非真实信标）/ demo chain, not the League of Entropy",
        "is_demo": True,
    },
}


# The beacon check: dualrandom/beacon/standalone.py from QUICKNET_CHAIN_HASH on, verbatim
# but for HEX, renamed BEACON_HEX (tests/draws/test_verify_dr2.py keeps the two equal).

QUICKNET_CHAIN_HASH = "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971"
DEMO_CHAIN_HASH = "c925f6147b60bce971b935ecd782d72b2a5d761d543f06d5af8d2c7e12317aad"
SCHEME = "bls-unchained-g1-rfc9380"
DST = b"BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_"
DEMO_PREFIX = "dualrandom-demo"
BLS_INSTALL_HINT = "pip install py_ecc"
CHAIN_KEYS = frozenset(
    {
        "chain_hash",
        "public_key",
        "genesis_time",
        "period",
        "scheme",
        "genesis_seed",
        "beacon_id",
        "label",
        "is_demo",
    }
)
BEACON_HEX = re.compile(r"(?:[0-9a-f]{2})*")
MAX_BYTES = 64 * 1024
MAX_ROUND = 2**64 - 1


@dataclass(frozen=True)
class BeaconVerdict:
    """The outcome: ``status``, the fault word if refused, and one line for people."""

    status: str  # "verified" | "signature-not-checked" | "refused"
    fault: str  # "" unless refused
    message: str  # Chinese
    english: str
    randomness: str = ""  # hex SHA-256(signature), once the round was read
    demo: bool = False  # the pinned chain is the demo chain: the round proves nothing

    @property
    def ok(self) -> bool:
        return self.status != "refused"

    def __str__(self) -> str:
        return self.english


class _Refusal(Exception):
    def __init__(self, fault: str, message: str, english: str) -> None:
        super().__init__(english)
        self.fault, self.message, self.english = fault, message, english


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _hex(value: object, length: int, what: str, fault: str) -> bytes:
    if not isinstance(value, str) or not BEACON_HEX.fullmatch(value) or len(value) != 2 * length:
        raise _Refusal(
            fault,
            f"{what} 不是 {length} 字节的小写十六进制",
            f"{what} is not {length} bytes of lowercase hex",
        )
    return bytes.fromhex(value)


def _chain(pinned: object, allow_demo: bool) -> tuple[dict[str, Any], int]:
    """The pinned chain and round, once the chain is known and consistent."""
    bad = "bad-chain"
    if not isinstance(pinned, Mapping) or set(pinned) != {"chain", "round"}:
        raise _Refusal(bad, "信标锁定应只有 chain 与 round", "the pin must have chain and round")
    chain, number = pinned["chain"], pinned["round"]
    if not isinstance(chain, Mapping) or set(chain) != CHAIN_KEYS:
        raise _Refusal(bad, "信标链参数的键不对", "the pinned chain has the wrong keys")
    period, genesis, beacon_id = chain["period"], chain["genesis_time"], chain["beacon_id"]
    label, is_demo = chain["label"], chain["is_demo"]
    if (
        chain["scheme"] != SCHEME
        or not (_is_int(period) and _is_int(genesis) and isinstance(beacon_id, str))
        or not (period >= 1 and genesis >= 1 and isinstance(is_demo, bool))
        or not (isinstance(label, str) and label.strip())
        or is_demo != beacon_id.startswith(DEMO_PREFIX)
        or (is_demo and "演示" not in label)
    ):
        raise _Refusal(bad, "信标链参数无效", "the pinned chain's parameters are invalid")
    key = _hex(chain["public_key"], 96, "public_key", bad)
    seed = _hex(chain["genesis_seed"], 32, "genesis_seed", bad)
    # drand/drand common/chain/info.go, Info.Hash
    digest = hashlib.sha256(struct.pack(">Iq", period, genesis) + key + seed)
    if beacon_id not in ("", "default"):
        digest.update(beacon_id.encode("ascii"))
    if digest.hexdigest() != chain["chain_hash"]:
        raise _Refusal(
            bad, "链哈希与链参数不符", "the chain hash does not follow from its parameters"
        )
    if not _is_int(number) or not 1 <= number <= MAX_ROUND:
        raise _Refusal(
            "bad-time", f"锁定的轮次 {number!r} 无效", f"pinned round {number!r} is invalid"
        )
    trusted = {QUICKNET_CHAIN_HASH} | ({DEMO_CHAIN_HASH} if allow_demo else set())
    if chain["chain_hash"] not in trusted:
        raise _Refusal(
            "wrong-chain",
            f"信标链 {chain['chain_hash']} 不是熵联盟 quicknet",
            f"beacon chain {chain['chain_hash']} is not the League of Entropy's quicknet",
        )
    return dict(chain), number


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise _Refusal("malformed", "JSON 中有重复的键", "a key appears twice in the JSON")
    return dict(pairs)


def _no_constant(name: str) -> Any:
    raise _Refusal("malformed", f"不允许 {name}", f"{name} is not allowed")


def _round(raw: bytes) -> tuple[int, bytes]:
    """The round number and signature, once the bytes are a well-formed round."""
    try:
        if len(raw) > MAX_BYTES:
            raise ValueError("too large")
        document = json.loads(
            raw.decode("utf-8-sig"), object_pairs_hook=_unique, parse_constant=_no_constant
        )
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError too
        raise _Refusal(
            "malformed", f"不是信标轮次的 JSON：{exc}", f"not a round's JSON: {exc}"
        ) from None
    if not isinstance(document, dict) or not (
        {"round", "signature"} <= set(document) <= {"round", "signature", "randomness"}
    ):
        raise _Refusal(
            "malformed",
            "键应为 round、signature，可选 randomness",
            "the keys must be round, signature and optionally randomness",
        )
    number = document["round"]
    if not _is_int(number) or not 1 <= number <= MAX_ROUND:
        raise _Refusal("malformed", f"round {number!r} 无效", f"round {number!r} is invalid")
    signature = _hex(document["signature"], 48, "signature", "malformed")
    if "randomness" in document:
        randomness = _hex(document["randomness"], 32, "randomness", "malformed")
        if randomness != hashlib.sha256(signature).digest():
            raise _Refusal(
                "randomness-mismatch",
                "randomness 不等于 SHA-256(signature)",
                "randomness is not SHA-256(signature)",
            )
    return number, signature


# The pairing check is a pure function of (key, round, signature) and takes
# about a second in pure Python: a process that checks one round again (the
# tests check one bundle in many altered copies) pays for it once.
_SIGNATURES: dict[tuple[bytes, int, bytes], str] = {}


def _bls_verifier() -> Callable[[bytes, int, bytes], str] | None:
    """A function (key, round, signature) -> fault word or "", or None without py_ecc."""
    try:
        from py_ecc.bls.g2_primitives import subgroup_check
        from py_ecc.bls.hash_to_curve import hash_to_G1
        from py_ecc.bls.point_compression import decompress_G1, decompress_G2
        from py_ecc.bls.typing import G1Compressed, G2Compressed
        from py_ecc.fields import optimized_bls12_381_FQ12 as FQ12
        from py_ecc.optimized_bls12_381.optimized_curve import G2, is_inf, neg
        from py_ecc.optimized_bls12_381.optimized_pairing import final_exponentiate, pairing
    except ImportError:
        return None

    def verify(key: bytes, number: int, signature: bytes) -> str:
        try:
            sigma = decompress_G1(G1Compressed(int.from_bytes(signature, "big")))
        except ValueError:
            return "invalid-point"
        if is_inf(sigma) or not subgroup_check(sigma):
            return "invalid-point"
        try:
            halves = (int.from_bytes(key[:48], "big"), int.from_bytes(key[48:], "big"))
            public = decompress_G2(G2Compressed(halves))
        except ValueError:
            return "bad-chain"
        if is_inf(public) or not subgroup_check(public):
            return "bad-chain"
        message = hashlib.sha256(number.to_bytes(8, "big")).digest()
        hashed = hash_to_G1(message, DST, hashlib.sha256)  # type: ignore[arg-type]
        product = pairing(G2, neg(sigma), final_exponentiate=False) * pairing(
            public, hashed, final_exponentiate=False
        )
        return "" if final_exponentiate(product) == FQ12.one() else "bad-signature"

    return verify


def check_beacon_round(
    pinned: Mapping[str, Any], raw: bytes, *, allow_demo: bool = False
) -> BeaconVerdict:
    """Check round JSON ``raw`` against the ``pinned`` chain and round; see the module docstring."""
    try:
        chain, pinned_round = _chain(pinned, allow_demo)
        number, signature = _round(raw)
        if number != pinned_round:
            raise _Refusal(
                "wrong-round",
                f"这是第 {number} 轮，锁定的是第 {pinned_round} 轮",
                f"this is round {number}, but round {pinned_round} was pinned",
            )
    except _Refusal as refusal:
        return BeaconVerdict(
            "refused",
            refusal.fault,
            refusal.message,
            f"refused ({refusal.fault}): {refusal.english}",
        )
    randomness = hashlib.sha256(signature).hexdigest()
    demo = bool(chain["is_demo"])
    name = "演示链（私钥公开，不证明任何事）" if demo else "熵联盟 quicknet"
    name_en = (
        "the demo chain (public key, proves nothing)" if demo else "League of Entropy quicknet"
    )
    verify = _bls_verifier()
    if verify is None:
        return BeaconVerdict(
            "signature-not-checked",
            "",
            f"未检查签名：没有 BLS 库（{BLS_INSTALL_HINT}）；第 {number} 轮的其余各项均符合",
            f"signature not checked: no BLS library ({BLS_INSTALL_HINT}); "
            f"round {number} of {name_en} passed every other check",
            randomness,
            demo,
        )
    checked = (bytes.fromhex(chain["public_key"]), number, signature)
    if checked not in _SIGNATURES:
        if len(_SIGNATURES) >= 256:
            _SIGNATURES.clear()
        _SIGNATURES[checked] = verify(*checked)
    fault = _SIGNATURES[checked]
    if fault:
        return BeaconVerdict(
            "refused",
            fault,
            f"第 {number} 轮的 BLS 签名无效（{fault}）",
            f"refused ({fault}): the BLS signature of round {number} does not verify",
            randomness,
            demo,
        )
    return BeaconVerdict(
        "verified",
        "",
        f"已验证：{name} 第 {number} 轮，BLS 签名有效",
        f"verified: round {number} of {name_en}, BLS signature valid",
        randomness,
        demo,
    )


class Stop2(Exception):
    """A DR-2 check failed that every later check depends on."""


@dataclass
class Report2:
    """What a DR-2 verification found: ok lines, mismatches (code, detail), claims."""

    tier: str
    say: Callable[[str], None]
    mismatches: list[tuple[str, str]] = field(default_factory=list)
    claims: list[str] = field(default_factory=list)
    demo: bool = False
    signature: str = "NOT checked"

    def ok(self, text: str, *claims: str) -> None:
        self.say(f"ok  {text}")
        self.claims.extend(claims)

    def fail(self, code: str, detail: str) -> None:
        self.say(f"MISMATCH [{code}] {detail}")
        self.mismatches.append((code, detail))

    @property
    def verdict(self) -> str:
        if self.mismatches:
            return "MISMATCH: " + ", ".join(dict.fromkeys(c for c, _ in self.mismatches))
        demo = (
            " (DEMO beacon chain: its key is public, the round proves nothing)" if self.demo else ""
        )
        return f"MATCH{demo}: {', '.join(self.claims)}; signature {self.signature}"


# Hashing a million rows: the loops below run as map() over builtins, a list of
# bytes at a time; written out, each is the one-line loop in its comment.
HASH_DIGEST = type(hashlib.sha256()).digest


def sha256_each(messages: Iterable[bytes]) -> Iterator[bytes]:
    """[sha256(m) for m in messages], lazily."""
    return map(HASH_DIGEST, map(hashlib.sha256, messages))


# The bucket of each row of the last large table bucketed_digest read, by the digest
# of its keys: objects-internal.tsv has the keys (ids) of objects-public.tsv.
_BUCKETS: dict[bytes, list[int]] = {}


def bucketed_digest(table_name: str, data: bytes) -> str:
    """The snapshot digest of SPEC §15 of a table file's bytes."""
    header, sep, body = data.partition(b"\n")
    buckets = [hashlib.sha256() for _ in range(256)]
    lines = (body[:-1].split(b"\n") if body.endswith(b"\n") else body.split(b"\n")) if body else []
    # for line in lines: key = the line up to its first TAB (all of it without one);
    #     buckets[sha256(T2_BUCKET + key)[0]].update(line + LF)
    keys = list(map(operator.itemgetter(0), map(bytes.partition, lines, repeat(b"\t"))))
    known = sha256(b"\n".join(keys))  # keys hold no LF: the same digest, the same keys
    indexes = _BUCKETS.get(known)
    if indexes is None:
        indexes = list(map(operator.itemgetter(0), sha256_each(map(T2_BUCKET.__add__, keys))))
        if len(indexes) >= ROWS_AT_ONCE:
            _BUCKETS.clear()
            _BUCKETS[known] = indexes
    del keys
    rows: list[list[bytes]] = [[] for _ in buckets]
    for index, line in zip(indexes, lines, strict=True):
        rows[index].append(line)
    for bucket, kept in zip(buckets, rows, strict=True):
        if kept:
            kept.append(b"")
            bucket.update(b"\n".join(kept))
    parts = [table_name.encode("utf-8"), header + sep, len(lines).to_bytes(8, "big")]
    return tagged_hash(T2_SNAPSHOT, *parts, *(b.digest() for b in buckets)).hex()


def merkle_root(leaves: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1 Merkle tree hash of the leaves, level by level: pairs from the
    left, an odd last node carried up as it is, which is the tree whose left subtree
    is always the largest power of two smaller than the whole."""
    if not leaves:
        return sha256(b"")
    level = list(sha256_each(map(b"\x00".__add__, leaves)))  # sha256(0x00 + leaf)
    while len(level) > 1:
        # sha256(0x01 + left + right) for each pair from the left
        paired = list(sha256_each(map(b"".join, zip(repeat(b"\x01"), level[0::2], level[1::2]))))
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def risk_rows(objects_internal: bytes) -> tuple[list[bytes], list[bytes]]:
    """The id (unescaped) and the risk class of each row of objects-internal.tsv, as
    UTF-8 bytes; a table, a line or an escape that cannot be read raises, at the
    first line at fault."""
    name, data = "objects-internal.tsv", objects_internal
    check_table_bytes(name, data)
    if b"\\" not in data:  # no escapes: every field stands as it is in the file
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Mismatch(name, "not UTF-8", data[: exc.start].count(b"\n") + 1) from None
        lines = data.split(b"\n")
        if lines[0].decode("utf-8").split("\t") == INTERNAL2_HEADER:
            del lines[0], lines[-1]
            fields = list(map(bytes.split, lines, repeat(b"\t"), repeat(2)))
            del lines
            if not fields or min(map(len, fields)) >= 2:
                return (
                    list(map(operator.itemgetter(0), fields)),
                    list(map(operator.itemgetter(1), fields)),
                )
    ids, risks = [], []  # line by line, as the rows read
    for _, line in table_lines(name, data, INTERNAL2_HEADER):
        raw_id, risk = line.split("\t", 2)[:2]
        ids.append((unescape(raw_id) if "\\" in raw_id else raw_id).encode("utf-8"))
        risks.append(risk.encode("utf-8"))
    return ids, risks


def hmac_sha256_each(key: bytes, messages: list[bytes]) -> Iterator[bytes]:
    """[hmac.digest(key, m, "sha256") for m in messages], as RFC 2104 defines it:
    H((K ^ opad) + H((K ^ ipad) + m)), K the key (hashed if over 64 bytes) padded
    with zeros to the block of 64 bytes; two plain hashes, a list at a time."""
    block = (sha256(key) if len(key) > 64 else key).ljust(64, b"\x00")
    inner, outer = bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block)
    return sha256_each(map(outer.__add__, sha256_each(map(inner.__add__, messages))))


def risk_root(key: bytes, objects_internal: bytes) -> tuple[str, int]:
    ids, risks = risk_rows(objects_internal)
    # tagged_hash(T2_RISK_LEAF, object_id, risk, hmac.digest(key, object_id, "sha256"))
    # for each row, the risk's length prefix and the salt's (32) once per distinct risk
    after = {r: len(r).to_bytes(4, "big") + r + b"\x00\x00\x00\x20" for r in set(risks)}
    leaves = list(
        sha256_each(
            map(
                b"".join,
                zip(
                    repeat(T2_RISK_LEAF),
                    map(functools.partial(int.to_bytes, length=4, byteorder="big"), map(len, ids)),
                    ids,
                    map(after.__getitem__, risks),
                    hmac_sha256_each(key, ids),
                ),
            )
        )
    )
    return merkle_root(leaves).hex(), len(leaves)


def salted_risk_root(files: dict[str, bytes]) -> tuple[str, int]:
    """The risk root (hex) and leaf count of objects-internal.tsv under salt-key.txt."""
    key = bytes.fromhex(files[DR2_SALT_FILE].decode("ascii").removesuffix("\n"))
    if len(key) != 32:
        raise ValueError("the salt key is not 32 bytes")
    return risk_root(key, files["objects-internal.tsv"])


# A large bundle's risk root (a fifth of the checks) is made by a forked copy of
# this process while this one checks the rest; a smaller one's in turn.
ASIDE_FROM = 100_000  # rows of objects-internal.tsv


class Aside:
    """``function(*args)``, made meanwhile by a forked copy of this process where it
    can be (POSIX, no other thread running), which sends the value back as JSON.
    :meth:`value` waits for it; where there is no copy, or it sent nothing (the
    function raised) or nothing readable, it calls the function here, so what it
    raises is raised here, where the check stands in the report."""

    def __init__(self, function: Callable[..., Any], *args: Any, fork: bool = True) -> None:
        self.here = functools.partial(function, *args)
        self.pid, self.pipe = 0, -1
        if not (fork and hasattr(os, "fork") and threading.active_count() == 1):
            return
        read, write = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the copy: the value into the pipe, then gone at once
            try:
                os.close(read)
                with os.fdopen(write, "wb") as pipe:
                    pipe.write(json.dumps(self.here()).encode("utf-8"))
            finally:
                os._exit(0)  # no clean-up of the copied process's state
        os.close(write)
        self.pipe = read

    def value(self) -> Any:
        if self.pid:
            pipe, self.pipe = self.pipe, -1
            with os.fdopen(pipe, "rb") as reading:
                data = reading.read()
            self.close()
            try:
                return json.loads(data)
            except ValueError:
                pass
        return self.here()

    def close(self) -> None:
        """End the copy (killed if the checks stopped before they needed it)."""
        if self.pipe >= 0:
            os.close(self.pipe)
            self.pipe = -1
        if self.pid:
            pid, self.pid = self.pid, 0
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


def check2_manifest(folder: Path, r: Report2) -> dict[str, bytes]:
    if r.tier not in ("public", "auditor"):
        r.fail("manifest", f"bundle.json: tier {r.tier!r} is not public or auditor")
        raise Stop2
    try:
        text = (folder / MANIFEST).read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        r.fail("manifest", f"no readable {MANIFEST}")
        raise Stop2 from None
    listed: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64 or "/" in name:
            r.fail("manifest", f"{MANIFEST}:{number}: not a '<sha256>  <name>' line")
            raise Stop2
        listed[name] = digest
    present = {p.name for p in folder.iterdir() if p.is_file()} - {MANIFEST, DR2_SNAPSHOT_FILE}
    present = {n for n in present if not PUBLISHED_SNAPSHOT.fullmatch(n)}  # checked by its digest
    wanted = DR2_AUDITOR_TIER if r.tier == "auditor" else DR2_PUBLIC_TIER
    problems = [f"{n}: not in the manifest" for n in sorted(present - listed.keys())]
    problems += [f"{n}: listed but missing" for n in sorted(listed.keys() - present)]
    problems += [f"{n}: missing from the {r.tier} tier" for n in sorted(wanted - listed.keys())]
    files = {n: (folder / n).read_bytes() for n in sorted(listed.keys() & present)}
    problems += [
        f"{n}: SHA-256 differs from the manifest"
        for n, data in files.items()
        if hashlib.sha256(data).hexdigest() != listed[n]
    ]
    unpacked: dict[str, bytes] = {}
    for name, data in files.items():
        if name.endswith(".gz"):
            try:
                unpacked[name.removesuffix(".gz")] = gzip.decompress(data)
            except (OSError, EOFError, zlib.error) as exc:
                problems.append(f"{name}: not gzip data ({exc})")
        else:
            unpacked[name] = data
    if not problems and not canonical_bundle_json(unpacked["bundle.json"]):
        problems.append("bundle.json: not as BUNDLE.md writes it (sorted keys, indent 1, LF)")
    if problems:
        for problem in problems:
            r.fail("manifest", problem)
        raise Stop2
    r.ok(f"manifest: {len(files)} files, every SHA-256 matches", "manifest")
    return unpacked


def canonical_bundle_json(data: bytes) -> bool:
    """bundle.json is a JSON object written with sorted keys, indent 1, UTF-8 and LF."""
    try:
        doc = json.loads(data.decode("utf-8"), parse_float=_no_float, parse_constant=_no_float)
    except (UnicodeDecodeError, ValueError):
        return False
    text = json.dumps(doc, ensure_ascii=False, sort_keys=True, indent=1) + "\n"
    return isinstance(doc, dict) and text.encode("utf-8") == data


def check2_commitment(files: dict[str, bytes], r: Report2) -> dict[str, Any]:
    data = files["commitment.json"]
    try:
        doc = json.loads(data.decode("utf-8"), parse_float=_no_float, parse_constant=_no_float)
        good = (
            isinstance(doc, dict)
            and doc.get("algorithm") == "DR-2"
            and (canonical_json(doc) + "\n").encode("utf-8") == data
            and isinstance(doc.get("digests"), dict)
            and isinstance(doc.get("beacon"), dict)
            and isinstance(doc.get("dice"), dict)
        )
    except (UnicodeDecodeError, ValueError):
        good = False
    if not good:
        r.fail("commitment", "commitment.json is not a canonical DR-2 commitment")
        raise Stop2
    return doc  # type: ignore[no-any-return]


def snapshot_path(digest: str) -> str:
    """Where the notice site publishes the snapshot with this objects_public digest."""
    return f"snapshots/{digest}.tsv.gz"


def snapshot_source(folder: Path, given: Path | None, digest: str) -> Path:
    """``given`` (a file, or a folder holding ``<digest>.tsv.gz`` or
    ``snapshots/<digest>.tsv.gz``), else the bundle's own objects-public.tsv.gz, else
    ``<digest>.tsv.gz`` put into the bundle folder as downloaded from the site."""
    if given is None:
        own, downloaded = folder / DR2_SNAPSHOT_FILE, folder / f"{digest}.tsv.gz"
        return downloaded if downloaded.is_file() and not own.is_file() else own
    if given.is_dir():
        for candidate in (given / f"{digest}.tsv.gz", given / snapshot_path(digest)):
            if candidate.is_file():
                return candidate
        return given / f"{digest}.tsv.gz"
    return given


def check2_snapshot(
    folder: Path, given: Path | None, commitment: dict[str, Any], r: Report2
) -> bytes:
    """The public part of the object snapshot, checked against the commitment before use."""
    digest = commitment["digests"].get("objects_public")
    if not isinstance(digest, str) or len(digest) != 64 or set(digest) - set("0123456789abcdef"):
        r.fail("snapshot", "commitment.json: objects_public is not a SHA-256 digest")
        raise Stop2
    source = snapshot_source(folder, given, digest)
    where = source.name if given is None else str(source)
    try:
        packed = source.read_bytes()
    except OSError:
        r.fail(
            "snapshot",
            f"{where}: missing; the registry snapshot with digest {digest} is published "
            f"once on the notice site as {snapshot_path(digest)}: put it into the bundle folder "
            "or give it with --snapshot FILE",
        )
        raise Stop2 from None
    try:
        data = gzip.decompress(packed)
    except (OSError, EOFError, zlib.error):
        r.fail("snapshot", f"{where}: not gzip data")
        raise Stop2 from None
    if not data.endswith(b"\n") or bucketed_digest("objects-public", data) != digest:
        r.fail(
            "snapshot", f"{where}: not the snapshot the commitment names (objects_public {digest})"
        )
        raise Stop2
    r.ok(f"snapshot: {where} has the committed digest {digest}")
    return data


def check2_digests(files: dict[str, bytes], commitment: dict[str, Any], r: Report2) -> None:
    committed = commitment["digests"]
    bad = []
    if hashlib.sha256(files["plan.json"]).hexdigest() != committed.get("plan"):
        bad.append("plan.json")
    for name in (
        "objects-internal.tsv",
        "inspectors.tsv",
        "conflicts.tsv",
        "history.tsv",
        "quotas.tsv",
        "exclusions.tsv",
        "outside.tsv",
        "exclusions-public.tsv",
    ):
        table_name, key = DR2_TABLES[name]
        if name in files and bucketed_digest(table_name, files[name]) != committed.get(key):
            bad.append(name)
    try:
        combined = tagged_hash(
            T2_OBJECTS,
            bytes.fromhex(committed["objects_public"]),
            bytes.fromhex(committed["objects_internal"]),
        ).hex()
    except (KeyError, ValueError, TypeError):
        combined = None
    if combined is None or combined != committed.get("objects"):
        bad.append("commitment.json (objects = H(T_OBJECTS2; P, I))")
    for name in bad:
        r.fail("digest", f"{name}: the digest differs from the commitment")
    if not bad:
        r.ok("digests: plan, snapshots and committed files match the commitment", "digests")


def genesis_text(seconds: int) -> str:
    from datetime import datetime

    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def check2_beacon(files: dict[str, bytes], commitment: dict[str, Any], r: Report2) -> bytes:
    beacon = commitment["beacon"]
    pinned = beacon.get("chain")
    if not isinstance(pinned, dict) or set(pinned) != set(PINNED_CHAIN_KEYS):
        r.fail("wrong-chain", "the pinned chain does not have the keys of SPEC §17")
        raise Stop2
    known = KNOWN_CHAINS.get(pinned["hash"]) if isinstance(pinned["hash"], str) else None
    if known is None:
        r.fail(
            "wrong-chain",
            f"chain {pinned['hash']} is neither the League of Entropy's quicknet nor the demo chain",
        )
        raise Stop2
    if known["is_demo"]:
        label = pinned["label"]
        if pinned["demo"] is not True or not isinstance(label, str) or "演示" not in label:
            r.fail(
                "demo-as-quicknet",
                "the pinned chain is the demo chain (public key) but is not labelled as demo",
            )
            raise Stop2
    expected = {
        "demo": known["is_demo"],
        "genesis": genesis_text(known["genesis_time"]),
        "hash": known["chain_hash"],
        "period": known["period"],
        "public_key": known["public_key"],
        "scheme": known["scheme"],
    }
    if any(pinned[k] != v for k, v in expected.items()):
        r.fail("wrong-chain", f"the pinned parameters differ from those of {known['label']}")
        raise Stop2
    number = beacon.get("round")
    verdict = check_beacon_round(
        {"chain": known, "round": number}, files[DR2_BEACON_FILE], allow_demo=True
    )
    if not verdict.ok:
        code = {
            "wrong-round": "wrong-round",
            "malformed": "beacon-round",
            "randomness-mismatch": "beacon-round",
            "invalid-point": "bad-signature",
            "bad-signature": "bad-signature",
        }.get(verdict.fault, "wrong-chain")
        r.fail(code, f"{DR2_BEACON_FILE}: {verdict.english}")
        raise Stop2
    r.demo = known["is_demo"]
    which = "the DEMO chain" if r.demo else "League of Entropy quicknet"
    if verdict.status == "verified":
        r.signature = "checked"
        r.ok(f"beacon: round {number} of {which}, BLS signature verified", f"beacon round {number}")
    else:
        r.signature = f"NOT checked (no BLS library: {BLS_INSTALL_HINT})"
        r.ok(
            f"beacon: round {number} of {which}; signature not checked: no BLS library",
            f"beacon round {number}",
        )
    return bytes.fromhex(verdict.randomness)


def check2_dice(files: dict[str, bytes], commitment: dict[str, Any], r: Report2) -> str:
    expected = commitment["dice"].get("expected")
    try:
        text = files[DR2_DICE_FILE].decode("ascii")
    except UnicodeDecodeError:
        text = ""
    dice = text[:-1]
    good = text.endswith("\n") and isinstance(expected, bool)
    if good and expected:
        good = len(dice) >= 20 and set(dice) <= set("123456")
    elif good:
        good = dice == ""
    if not good:
        r.fail("dice", f"{DR2_DICE_FILE}: not the recorded dice in the committed format")
        raise Stop2
    r.ok(f"dice: {len(dice)} rolls in the committed format", "dice")
    return dice


# -- DR-2 public view (SPEC §21.1) --------------------------------------------


def filter_json(f: Filter) -> str:
    document = {key: sorted(f.sets[key]) for key in f.keys if key != "risk_class"}
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class Facts2:
    in_scope: bool
    items: tuple[str, ...]
    public_stratum: str | None
    groups: tuple[int, ...]
    covered: bool


@dataclass(frozen=True)
class Group2:
    filters: tuple[str, ...]
    strata: tuple[str, ...]


obj_signature: Callable[[Obj], tuple[object, ...]] = operator.attrgetter(
    "type", "industry", "district", "status", "abnormal", "serious_illegal", "departments", "tags"
)


class View2:
    """A DR-2 plan as the public tier sees it: public strata, risk groups, facts."""

    def __init__(self, plan: Plan, objects: list[Obj]) -> None:
        self.plan = plan
        self.items = plan.codes
        ordered = sorted(plan.strata, key=lambda s: s.name)
        self.public_strata = {s.name: s for s in ordered if not s.where.uses_risk}
        self.risk = [s for s in ordered if s.where.uses_risk]
        keys = [filter_json(s.where) for s in self.risk]
        parent = list(range(len(self.risk)))

        def root(i: int) -> int:
            while parent[i] != i:
                i = parent[i]
            return i

        def join(indexes: list[int]) -> None:
            for i in indexes[1:]:
                parent[root(i)] = root(indexes[0])

        for key in set(keys):
            join([i for i, k in enumerate(keys) if k == key])
        seen: set[tuple[object, ...]] = set()
        for o in objects:
            signature = obj_signature(o)
            if signature not in seen:
                seen.add(signature)
                if plan.scope.match(o, True):
                    join(self.candidates(o))
        members: dict[int, list[int]] = {}
        for i in range(len(self.risk)):
            members.setdefault(root(i), []).append(i)
        self.groups = sorted(
            (
                Group2(tuple(sorted({keys[i] for i in idx})), tuple(self.risk[i].name for i in idx))
                for idx in members.values()
            ),
            key=lambda g: g.strata,
        )
        self.group_of = {name: n for n, g in enumerate(self.groups) for name in g.strata}
        self.memo: dict[tuple[object, ...], Facts2] = {}

    def candidates(self, o: Obj) -> list[int]:
        return [i for i, s in enumerate(self.risk) if s.where.match(o, True)]

    def facts(self, o: Obj) -> Facts2:
        signature = obj_signature(o)
        known = self.memo.get(signature)
        if known is None:
            known = self.memo[signature] = self._decide(o)
        return known

    def _decide(self, o: Obj) -> Facts2:
        if not self.plan.scope.match(o, True):
            return Facts2(False, (), None, (), False)
        items = tuple(c for c in self.items if self.plan.items[c].scope.match(o, True))
        public = [n for n, s in self.public_strata.items() if s.where.match(o)]
        candidates = self.candidates(o)
        groups = tuple(sorted({self.group_of[self.risk[i].name] for i in candidates}))
        classes: set[str] = set()
        for i in candidates:
            classes |= self.risk[i].where.sets.get("risk_class", frozenset())
        return Facts2(True, items, public[0] if public else None, groups, classes >= ALL_CLASSES)


OBJECT2_DECODERS: list[Decoder] = [
    dec_ident,
    dec_enum(frozenset({"uscc", "other"})),
    dec_enum(OBJECT_TYPES),
    dec_text,
    dec_text,
    dec_enum(OBJECT_STATUSES),
    dec_bool,
    dec_bool,
    dec_list,
    dec_list,
    dec_opt_date,
]


def parse_objects2(data: bytes) -> list[Obj]:
    """The objects of the snapshot, built a column at a time (read_column_lists)."""
    v = read_column_lists(
        "objects-public.tsv",
        data,
        OBJECTS2_HEADER,
        OBJECT2_DECODERS,
        order=first,
        keep=(0, 2, 3, 4, 5, 6, 7, 8, 9, 10),
    )
    shared = {values: frozenset(values) for values in {*v[8], *v[9]}}  # one set per value
    intern = sys.intern
    return list(
        map(
            Obj,
            v[0],
            v[2],
            map(intern, v[3]),
            map(intern, v[4]),
            v[5],
            v[6],
            v[7],
            map(shared.__getitem__, v[8]),
            map(shared.__getitem__, v[9]),
            v[10],
        )
    )


def add_risk_classes2(objects: list[Obj], data: bytes) -> None:
    name = "objects-internal.tsv"
    decoders = [dec_ident, dec_enum(RISK_CLASSES), dec_text, dec_text, dec_text, dec_opt_date]
    ids, risks = read_column_lists(name, data, INTERNAL2_HEADER, decoders, keep=(0, 1))[:2]
    if len(ids) != len(objects):
        raise Mismatch(name, f"{len(ids)} rows, objects-public.tsv has {len(objects)}")
    if ids != [obj.id for obj in objects]:
        for number, (object_id, obj) in enumerate(zip(ids, objects, strict=True), start=2):
            if object_id != obj.id:
                raise Mismatch(name, f"id {object_id!r}, objects-public.tsv has {obj.id!r}", number)
    for obj, risk in zip(objects, risks, strict=True):
        obj.risk_class = risk


# -- DR-2 public files (SPEC §21) ------------------------------------------------


def pub_ticket(text: str) -> int:
    if not is_hex(text, 16):
        raise ValueError(f"ticket {text!r} is not 16 lowercase hex digits")
    return int(text, 16)


def pub_count(text: str) -> int:
    return dec_int(text)


def pub_reasons(text: str) -> tuple[str, ...]:
    reasons = tuple(text.split(";"))
    if (
        not text
        or any(x not in REASONS for x in reasons)
        or list(reasons) != sorted(set(reasons), key=REASONS.index)
    ):
        raise ValueError(f"reasons {text!r} are not reason codes in the order {';'.join(REASONS)}")
    return reasons


def unescape_list(raw: str) -> tuple[str, ...]:
    return tuple(unescape(part) for part in raw.split(";")) if raw else ()


def sel_row(f: list[str]) -> tuple[Any, ...]:
    stratum, rank = unescape(f[3]), f[4]
    if (stratum == "") != (rank == ""):
        raise ValueError("stratum and rank are both given or both empty")
    return (
        unescape(f[0]),
        unescape(f[1]),
        pub_ticket(f[2]),
        stratum,
        pub_count(rank) if rank else None,
    )


def sel_line(r: tuple[Any, ...]) -> str:
    rank = "" if r[4] is None else str(r[4])
    return f"{escape(r[0])}\t{escape(r[1])}\t{ticket_hex(r[2])}\t{escape(r[3])}\t{rank}"


def res_row(f: list[str]) -> tuple[Any, ...]:
    return (unescape(f[0]), unescape(f[1]), pub_count(f[2]), unescape(f[3]), pub_ticket(f[4]))


def res_line(r: tuple[Any, ...]) -> str:
    return f"{escape(r[0])}\t{escape(r[1])}\t{r[2]}\t{escape(r[3])}\t{ticket_hex(r[4])}"


def exc_row(f: list[str]) -> tuple[Any, ...]:
    return (unescape(f[0]), unescape(f[1]), pub_reasons(f[2]))


def exc_line(r: tuple[Any, ...]) -> str:
    return f"{escape(r[0])}\t{escape(r[1])}\t{';'.join(r[2])}"


def bnd_row(f: list[str]) -> tuple[Any, ...]:
    low = pub_ticket(f[3]) if f[3] else None
    high = pub_ticket(f[4]) if f[4] else None
    return (unescape(f[0]), unescape_list(f[1]), unescape_list(f[2]), low, high, pub_count(f[5]))


def bnd_line(r: tuple[Any, ...]) -> str:
    low, high = ("" if t is None else ticket_hex(t) for t in (r[3], r[4]))
    return f"{escape(r[0])}\t{escape_list(r[1])}\t{escape_list(r[2])}\t{low}\t{high}\t{r[5]}"


PUBLIC_LAYOUTS: dict[
    str, tuple[list[str], Callable[..., Any], Callable[..., str], Callable[..., Any]]
] = {
    "selection.tsv": (SELECTION2_HEADER, sel_row, sel_line, lambda r: (r[0], r[1])),
    "reserve-public.tsv": (RESERVE2_HEADER, res_row, res_line, lambda r: (r[0], r[1], r[2])),
    "exclusions-public.tsv": (EXCLUSIONS2_HEADER, exc_row, exc_line, lambda r: (r[0], r[1])),
    "bounds.tsv": (BOUNDS_HEADER, bnd_row, bnd_line, lambda r: (r[0], r[2])),
    "outside.tsv": (
        OUTSIDE_HEADER,
        lambda f: (unescape(f[0]),),
        lambda r: escape(r[0]),
        lambda r: r,
    ),
}


Finding = tuple[str, "int | None", str, str, str]  # file, line, column, value, reason


class PublicCheck2:
    """SPEC §23.1, in the order of dualrandom.core.public_check, finding for finding."""

    def __init__(
        self,
        plan_data: bytes,
        objects_data: bytes,
        files: dict[str, bytes],
        seed: bytes,
        committed: dict[str, Any],
        quotas: dict[tuple[str, str], tuple[int, int]] | None,
    ) -> None:
        self.findings: list[Finding] = []
        self.accounts: list[tuple[str, str, str]] = []
        self.selected = self.decided = 0
        self.seed, self.quotas = seed, quotas
        try:
            self.plan = parse_plan(plan_data, "DR-2")
            uses = [self.plan.scope, *(i.scope for i in self.plan.items.values())]
            if any(f.uses_risk for f in uses):
                raise Mismatch("plan.json", "the risk class may only define strata")
        except Mismatch as exc:
            self.fail("plan", None, "", "", f"cannot be read: {exc}")
            return
        self.accounts = [
            (item, s.name, "bounds" if s.where.uses_risk else "full")
            for item in self.plan.codes
            for s in sorted(self.plan.strata, key=lambda s: s.name)
        ]
        try:
            objects = parse_objects2(objects_data)
        except Mismatch as exc:
            self.fail("objects-public", exc.line, "", "", exc.what)
            return
        self.objects = objects
        self.by_id = {o.id: o for o in objects}
        self.view = View2(self.plan, objects)
        self.all_facts = [self.view.facts(o) for o in objects]  # in id order
        self.tickets = Tickets(seed)
        wanted = list(DR2_PUBLIC_NAMES[:4]) + ([] if self.view.groups else ["outside.tsv"])
        for name in wanted:
            if name not in files:
                self.fail(name, None, "", "", "the public file is missing")
        for name in sorted(set(files) - set(wanted)):
            self.fail(name, None, "", "", "this file must not be public")
        self.rows = {
            name: self.read(name, files[name]) if name in wanted and name in files else []
            for name in PUBLIC_LAYOUTS
        }
        pinned = [("exclusions-public.tsv", "exclusions-public", "exclusions_public")]
        if not self.view.groups:
            pinned.append(("outside.tsv", "outside", "outside"))
        for name, table_name, key in pinned:
            if name in files and bucketed_digest(table_name, files[name]) != committed.get(key):
                self.fail(name, None, "", "", "does not match the digest committed before the draw")
        self.excluded = {(r[0], r[1]) for _, r in self.rows["exclusions-public.tsv"]}
        self.chosen = {(r[0], r[1]): r for _, r in self.rows["selection.tsv"]}
        self.bounds = {(r[0], r[2]): r for _, r in self.rows["bounds.tsv"]}
        self.check_selection()
        self.check_public_strata()
        self.check_exclusions()
        self.check_bounds()
        self.check_forced()
        self.check_outside()
        self.selected = len(self.rows["selection.tsv"])

    def fail(self, file: str, line: int | None, column: str, value: str, reason: str) -> None:
        self.findings.append((file, line, column, value, reason))

    def facts(self, object_id: str) -> Facts2 | None:
        o = self.by_id.get(object_id)
        return None if o is None else self.view.facts(o)

    def read(self, name: str, data: bytes) -> list[tuple[int, tuple[Any, ...]]]:
        header, read, write, key = PUBLIC_LAYOUTS[name]
        try:
            text = data.decode("utf-8")
            if not text.endswith("\n"):
                raise ValueError("the last line does not end with LF")
            lines = text[:-1].split("\n")
            if lines[0] != "\t".join(header):
                raise ValueError(f"header {lines[0]!r} is not {chr(9).join(header)!r}")
            raw = [line.split("\t") for line in lines[1:]]
            for number, f in enumerate(raw, start=2):
                if len(f) != len(header):
                    raise ValueError(f"line {number} has {len(f)} fields, not {len(header)}")
        except (UnicodeDecodeError, ValueError) as exc:
            self.fail(name, None, "", "", f"cannot be read: {exc}")
            return []
        rows: list[tuple[int, tuple[Any, ...]]] = []
        before = len(self.findings)
        previous: Any = None
        for number, f in enumerate(raw, start=2):
            try:
                row = read(f)
            except ValueError as exc:
                self.fail(name, number, "", "\t".join(f), f"bad row: {exc}")
                continue
            k = key(row)
            if previous is not None and k <= previous:
                self.fail(name, number, "", "\t".join(f), "row out of order or repeated")
            previous = k if previous is None or k > previous else previous
            rows.append((number, row))
        if len(self.findings) == before:
            again = "".join(
                line + "\n" for line in ["\t".join(header), *(write(r) for _, r in rows)]
            )
            if again.encode("utf-8") != data:
                self.fail(name, None, "", "", "the file is not in canonical form")
        return rows

    def candidate(self, name: str, line: int, item: str, object_id: str) -> Facts2 | None:
        if item not in self.plan.items:
            self.fail(name, line, "item", item, "the plan has no such item")
            return None
        facts = self.facts(object_id)
        if facts is None:
            self.fail(name, line, "id", object_id, "no such object in the registry")
            return None
        if not facts.in_scope or item not in facts.items:
            self.fail(name, line, "id", object_id, "outside the scope of the plan or the item")
            return None
        return facts

    def check_selection(self) -> None:
        name = "selection.tsv"
        for line, (item, object_id, value, stratum, _) in self.rows[name]:
            facts = self.candidate(name, line, item, object_id)
            if facts is None:
                continue
            if self.tickets(object_id) != value:
                self.fail(
                    name,
                    line,
                    "ticket",
                    ticket_hex(value),
                    f"the ticket is {ticket_hex(self.tickets(object_id))}",
                )
            if (item, object_id) in self.excluded:
                self.fail(name, line, "id", object_id, "excluded for this item")
            if stratum:
                if stratum not in self.view.public_strata:
                    self.fail(name, line, "stratum", stratum, "is not a public stratum")
                elif facts.public_stratum != stratum:
                    self.fail(name, line, "stratum", stratum, "the object is not in this stratum")
            elif facts.public_stratum is not None:
                self.fail(name, line, "stratum", "", f"the object is in {facts.public_stratum!r}")
            elif not facts.groups:
                self.fail(name, line, "id", object_id, "in no stratum whatever its risk class")
            else:
                highs = [
                    row[4]
                    for g in facts.groups
                    if (row := self.bounds.get((item, self.view.groups[g].strata))) is not None
                    and row[4] is not None
                ]
                if not highs or value > max(highs):
                    self.fail(
                        name,
                        line,
                        "ticket",
                        ticket_hex(value),
                        "above the highest cutoff of the object's group",
                    )

    def check_public_strata(self) -> None:
        chosen: dict[tuple[str, str], dict[str, tuple[int, tuple[Any, ...]]]] = {}
        for line, row in self.rows["selection.tsv"]:
            if row[3] in self.view.public_strata:
                chosen.setdefault((row[0], row[3]), {})[row[1]] = (line, row)
        reserve: dict[tuple[str, str], list[tuple[int, tuple[Any, ...]]]] = {}
        for line, row in self.rows["reserve-public.tsv"]:
            if row[0] not in self.view.public_strata:
                self.fail("reserve-public.tsv", line, "stratum", row[0], "is not a public stratum")
            else:
                reserve.setdefault((row[1], row[0]), []).append((line, row))
        for code in self.view.items:
            item = self.plan.items[code]
            excluded = {i for c, i in self.excluded if c == code}
            for name, stratum in self.view.public_strata.items():
                pool = [
                    o.id
                    for o, f in zip(self.objects, self.all_facts, strict=True)
                    if f.public_stratum == name and code in f.items and o.id not in excluded
                ]
                q = quota(stratum, item, len(pool))
                if self.quotas is not None:
                    committed = self.quotas.get((code, name))
                    if committed != (len(pool), q.k):
                        shown = "-" if committed is None else f"{committed[0]}/{committed[1]}"
                        self.fail(
                            "selection.tsv",
                            None,
                            "stratum",
                            name,
                            f"item {code}: pool {len(pool)}, k {q.k}; committed {shown}",
                        )
                ranked = sorted(pool, key=self.tickets.key)[: q.k + q.reserve]
                rows = chosen.get((code, name), {})
                for rank, object_id in enumerate(ranked[: q.k], start=1):
                    found = rows.get(object_id)
                    if found is None:
                        self.fail(
                            "selection.tsv",
                            None,
                            "id",
                            object_id,
                            f"item {code}, stratum {name}: must be selected (rank {rank})",
                        )
                    elif found[1][4] != rank:
                        self.fail(
                            "selection.tsv",
                            found[0],
                            "rank",
                            str(found[1][4]),
                            f"the rank is {rank}",
                        )
                wanted = set(ranked[: q.k])
                for object_id, (line, _) in rows.items():
                    if object_id not in wanted:
                        self.fail(
                            "selection.tsv",
                            line,
                            "id",
                            object_id,
                            f"item {code}, stratum {name}: not selected",
                        )
                want = [
                    (name, code, q.k + n, x, self.tickets(x))
                    for n, x in enumerate(ranked[q.k :], start=1)
                ]
                got_rows = reserve.get((code, name), [])
                if [r for _, r in got_rows] != want:
                    line_no = next(
                        (ln for (ln, r), w in zip(got_rows, want, strict=False) if r != w), None
                    )
                    if line_no is None and len(got_rows) > len(want):
                        line_no = got_rows[len(want)][0]
                    self.fail(
                        "reserve-public.tsv",
                        line_no,
                        "",
                        f"{code} {name}",
                        f"the reserve is {', '.join(ranked[q.k :]) or 'empty'}",
                    )
                self.decided += sum(1 for x in ranked[: q.k] if x in rows)

    def check_exclusions(self) -> None:
        name = "exclusions-public.tsv"
        statuses = self.plan.statuses
        for line, (item, object_id, reasons) in self.rows[name]:
            facts = self.candidate(name, line, item, object_id)
            if facts is None:
                continue
            if facts.public_stratum is None and not facts.covered:
                self.fail(name, line, "id", object_id, "would reveal the object's stratum")
            if ("status" in reasons) != (self.by_id[object_id].status in statuses):
                self.fail(
                    name,
                    line,
                    "reasons",
                    ";".join(reasons),
                    "the status reason does not agree with the object's status",
                )
        for o, f in zip(self.objects, self.all_facts, strict=True):
            if f.in_scope and o.status in statuses and (f.public_stratum is not None or f.covered):
                for item in f.items:
                    if (item, o.id) not in self.excluded:
                        self.fail(name, None, "id", o.id, f"its status excludes it from {item}")

    def check_bounds(self) -> None:
        name = "bounds.tsv"
        groups = self.view.groups
        expected = {(item, g.strata): n for item in self.view.items for n, g in enumerate(groups)}
        risk_selected: dict[str, int] = {}
        in_group: dict[tuple[str, int], set[int]] = {}
        for _, row in self.rows["selection.tsv"]:
            if not row[3]:
                risk_selected[row[0]] = risk_selected.get(row[0], 0) + 1
                facts = self.facts(row[1])
                for number in facts.groups if facts is not None else ():
                    in_group.setdefault((row[0], number), set()).add(row[2])
        for line, (item, filters, strata, low, high, drawn) in self.rows[name]:
            index = expected.get((item, tuple(strata)))
            if index is None:
                self.fail(name, line, "strata", ";".join(strata), "no such item and group")
                continue
            if tuple(filters) != groups[index].filters:
                self.fail(
                    name,
                    line,
                    "group",
                    escape_list(groups[index].filters),
                    "the group's filters are not these",
                )
            if self.quotas is not None:
                total = sum(self.quotas[(item, s)][1] for s in strata if (item, s) in self.quotas)
                if total != drawn:
                    self.fail(
                        name, line, "drawn", str(drawn), f"the committed quotas add up to {total}"
                    )
            tickets = in_group.get((item, index), set())
            if drawn == 0:
                if low is not None or high is not None:
                    self.fail(name, line, "low", "", "with nothing drawn the cutoffs are empty")
                continue
            if low is None or high is None or low > high:
                self.fail(name, line, "low", "", "a cutoff is missing or low is above high")
                continue
            for column, value in (("low", low), ("high", high)):
                if value not in tickets:
                    self.fail(
                        name,
                        line,
                        column,
                        ticket_hex(value),
                        "not the ticket of a selected object of the group",
                    )
        for item, strata in sorted(set(expected) - set(self.bounds)):
            self.fail(name, None, "strata", ";".join(strata), f"the row of item {item} is missing")
        for item in self.view.items:
            total = sum(
                self.bounds[(item, g.strata)][5] for g in groups if (item, g.strata) in self.bounds
            )
            if total != risk_selected.get(item, 0):
                self.fail(
                    name,
                    None,
                    "drawn",
                    str(total),
                    f"item {item}: {risk_selected.get(item, 0)} selections of risk strata",
                )

    def check_forced(self) -> None:
        """Every covered candidate below its group's lowest cutoff must be selected."""
        members: dict[tuple[str, int], list[str]] = {}  # (item, group) -> ids, in id order
        for o, f in zip(self.objects, self.all_facts, strict=True):
            if f.covered and f.public_stratum is None and len(f.groups) == 1:
                for item in f.items:
                    members.setdefault((item, f.groups[0]), []).append(o.id)
        for item in self.view.items:
            for index, group in enumerate(self.view.groups):
                bounds = self.bounds.get((item, group.strata))
                low = None if bounds is None else bounds[3]
                for object_id in members.get((item, index), ()):
                    if low is not None and not self.tickets(object_id) < low:
                        continue
                    if (item, object_id) in self.excluded:
                        continue
                    if low is None:
                        self.fail(
                            "bounds.tsv",
                            None,
                            "drawn",
                            "0",
                            f"object {object_id} is in a pool of item {item}; its group drew nothing",
                        )
                    elif (item, object_id) in self.chosen:
                        self.decided += 1
                    else:
                        self.fail(
                            "selection.tsv",
                            None,
                            "id",
                            object_id,
                            f"item {item}: the ticket is below the lowest cutoff; must be selected",
                        )

    def check_outside(self) -> None:
        if self.view.groups:
            return
        expected = [
            o.id
            for o, f in zip(self.objects, self.all_facts, strict=True)
            if f.in_scope and f.public_stratum is None
        ]
        got = [r[0] for _, r in self.rows["outside.tsv"]]
        if got != expected:
            self.fail(
                "outside.tsv", None, "id", "", f"{len(expected)} objects are outside every stratum"
            )

    def counts(self) -> tuple[int, int, int]:
        full = sum(a[2] == "full" for a in self.accounts)
        bounds = sum(a[2] == "bounds" for a in self.accounts)
        return len(self.accounts), full, bounds


def read_quotas2(data: bytes) -> dict[tuple[str, str], tuple[int, int]] | None:
    try:
        rows = list(table_lines("quotas.tsv", data, QUOTAS_HEADER))
        out = {}
        for _, line in rows:
            f = line.split("\t")
            out[(unescape(f[1]), unescape(f[0]))] = (dec_int(f[2]), dec_int(f[6]))
        return out
    except (Mismatch, ValueError, IndexError):
        return None


def public_digest2(files: dict[str, bytes]) -> str:
    parts = [p for n in DR2_PUBLIC_NAMES if n in files for p in (n.encode("ascii"), files[n])]
    return tagged_hash(T2_PUBLIC, *parts).hex()


def check2_result_digest(
    public_files: dict[str, bytes], internal: str, meta: dict[str, Any], r: Report2
) -> None:
    if not set(DR2_PUBLIC_NAMES[:4]) <= set(public_files) or not is_hex(internal, 64):
        r.fail("result-digest", "the public files or the internal digest are missing")
        return
    public = public_digest2(public_files)
    result = tagged_hash(T2_RESULT, bytes.fromhex(public), bytes.fromhex(internal)).hex()
    if public != meta.get("public_digest") or result != meta.get("result_digest"):
        r.fail(
            "result-digest",
            f"bundle.json: the files give result digest {result}, not {meta.get('result_digest')}",
        )
        return
    r.ok(f"result digest {result} = H(T_RESULT2; public digest, internal digest)", "result digest")


# -- The substitution addendum (SPEC §26) --------------------------------------

ADDENDUM = "substitutions.tsv"
ADDENDUM_HEADER = fields(
    "round at item stratum removed removed_visit replacement visit reason by chain"
)
SUBSTITUTION_REASONS = ("注销", "无法联系")
T2_SUBSTITUTION = b"DR-2/substitution\x00"
ADDENDUM_AT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
ADDENDUM_CHAINED = (0, 1, 2, 4, 5, 6, 7, 8)  # the fields the chain covers: not stratum, by
ADDENDUM_UNREADABLE = (
    "not a table of SPEC §26 (UTF-8, LF, the header, 11 fields a line, §2.1 escapes)"
)


def addendum_rows(data: bytes) -> list[list[str]] | None:
    """The addendum's rows, raw fields; None unless strictly in the §2.1 line format."""
    try:
        text = data.decode("utf-8")
        lines = text[:-1].split("\n")
        rows = [line.split("\t") for line in lines[1:]]
        for f in rows:
            for value in f:
                unescape(value)
    except ValueError:
        return None
    if "\r" in text or text.startswith("\ufeff") or not text.endswith("\n"):
        return None
    if lines[0] != "\t".join(ADDENDUM_HEADER) or any(len(f) != len(ADDENDUM_HEADER) for f in rows):
        return None
    return rows


def addendum_chain(previous: bytes, f: list[str]) -> bytes:
    return tagged_hash(T2_SUBSTITUTION, previous, *(f[i].encode("utf-8") for i in ADDENDUM_CHAINED))


def check2_addendum(
    data: bytes,
    selected: list[tuple[str, str, str, str, int | None]],
    reserve: list[tuple[str, str, int, str]],
    seed: bytes,
    result_digest: str,
    department: str | None,
) -> tuple[list[str], int, int, int]:
    """Replay SPEC §8.3 on substitutions.tsv: (findings, rounds, rows by the reserve
    rule, rows whose pool this tier cannot see). ``selected``: (item, id, ticket,
    stratum or "", rank or None); ``reserve``: (stratum, item, rank, id) seen."""
    findings: list[str] = []

    def find(line: int, column: str, value: str, reason: str) -> None:
        findings.append(f"{ADDENDUM}:{line} [{column}] {value!r}: {reason}")

    rows = addendum_rows(data)
    if rows is None:
        return [f"{ADDENDUM}: {ADDENDUM_UNREADABLE}"], 0, 0, 0
    where = {(i, x): (h, rank) for i, x, _, h, rank in selected}
    tickets = {x: t for _, x, t, _, _ in selected}
    order = sorted(tickets, key=lambda x: (int(tickets[x], 16), x))
    number_of = {x: n for n, x in enumerate(order, start=1)}
    items_of: dict[str, list[str]] = {}
    for i, x, _, _, _ in selected:
        items_of.setdefault(x, []).append(i)
    queues: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for h, i, rank, x in reserve:
        queues.setdefault((h, i), []).append((rank, x))
    known_reserve = {x for _, _, _, x in reserve}
    previous = bytes.fromhex(result_digest)
    rounds: list[list[tuple[int, list[str]]]] = []
    last_round, last_at = 0, ""
    for line, f in enumerate(rows, start=2):
        chained = addendum_chain(previous, f)
        if f[10] != chained.hex():
            find(line, "chain", f[10], "not H(T_SUBST; previous chain, this line)")
        previous = bytes.fromhex(f[10]) if is_hex(f[10], 64) else chained
        if f[0] == str(last_round) and rounds:
            rounds[-1].append((line, f))
            head = rounds[-1][0][1]
            for column, n in (("at", 1), ("reason", 8), ("by", 9)):
                if f[n] != head[n]:
                    find(line, column, f[n], f"differs within round {f[0]}")
            continue
        if f[0] != str(last_round + 1):
            find(line, "round", f[0], f"the next round is {last_round + 1}")
        last_round += 1
        rounds.append([(line, f)])
        if not ADDENDUM_AT.fullmatch(f[1]) or f[1] < last_at:
            find(line, "at", f[1], "not YYYY-MM-DDTHH:MM:SSZ at or after the round before")
        else:
            last_at = f[1]
        if f[8] not in SUBSTITUTION_REASONS:
            find(line, "reason", f[8], f"not one of {'、'.join(SUBSTITUTION_REASONS)}")
        if department is not None and unescape(f[9]) != department:
            find(line, "by", f[9], "the public tier names the plan's department")
        elif not f[9]:
            find(line, "by", f[9], "empty")
    full = part = 0
    removed_before: set[str] = set()
    used: set[str] = set()
    next_visit = len(number_of) + 1
    for group in rounds:
        parsed = [
            (line, unescape(f[2]), unescape(f[3]), unescape(f[4]), unescape(f[6]), f)
            for line, f in group
        ]
        gone = removed_before | {x for _, _, _, x, _, _ in parsed}
        pairs: set[tuple[str, str]] = set()
        for line, i, h, x, _, f in parsed:
            if (i, x) in pairs:
                find(line, "removed", x, f"listed twice for item {i}")
            pairs.add((i, x))
            if x in removed_before:
                find(line, "removed", x, "already removed in an earlier round")
            if x not in number_of:
                find(line, "removed", x, "not a visit of the draw")
            elif f[5] != str(number_of[x]):
                find(line, "removed_visit", f[5], f"its visit is {number_of[x]}")
            if (i, x) not in where:
                find(line, "item", i, f"{x} was not drawn for this item")
            elif where[(i, x)][0] != h:
                find(line, "stratum", h, f"{x} was drawn in stratum {where[(i, x)][0]!r}")
        for line, _, _, x, _, _ in parsed:
            missing = [i for i in items_of.get(x, []) if (i, x) not in pairs]
            if missing:
                find(line, "removed", x, f"drawn for item {missing[0]} too, which has no line")
                pairs |= {(i, x) for i in missing}
        pools: dict[tuple[str, str], list[tuple[int, int, str]]] = {}
        for line, i, h, x, rep, _ in parsed:
            seen_rank = where.get((i, x), ("", None))[1]
            if h and seen_rank is not None:
                pools.setdefault((h, i), []).append((line, seen_rank, rep))
                full += 1
                continue
            part += 1
            if rep and (rep in number_of or rep in gone or rep in used):
                find(line, "replacement", rep, "already a visit of the draw")
            elif rep and rep in known_reserve:
                find(line, "replacement", rep, "a reserve member of another pool")
        for (h, i), members in pools.items():
            ranks = [rank for _, rank, _ in members]
            if ranks != sorted(ranks):
                find(members[0][0], "removed", h, f"the removed of item {i} not in rank order")
            queue = [
                x
                for _, x in sorted(queues.get((h, i), []))
                if x not in gone and x not in number_of and x not in used
            ]
            for n, (line, _, rep) in enumerate(members):
                expected = queue[n] if n < len(queue) else ""
                if rep != expected:
                    find(line, "replacement", rep, f"SPEC §8.3 gives {expected!r}")
        chosen = sorted(
            {rep for _, _, _, _, rep, _ in parsed if rep}, key=lambda x: (ticket(seed, x), x)
        )
        numbers = {x: next_visit + n for n, x in enumerate(chosen)}
        for line, _, _, _, rep, f in parsed:
            expected = str(numbers[rep]) if rep else ""
            if f[7] != expected:
                find(line, "visit", f[7], f"the new visit is {expected!r}")
        next_visit += len(chosen)
        used |= set(chosen)
        removed_before = gone
    return findings, len(rounds), full, part


def check2_substitutions(
    files: dict[str, bytes],
    selected: list[tuple[str, str, str, str, int | None]],
    reserve: list[tuple[str, str, int, str]],
    seed: bytes,
    department: str | None,
    meta: dict[str, Any],
    r: Report2,
) -> None:
    digest = meta.get("result_digest")
    if not isinstance(digest, str) or len(digest) != 64:
        return  # result-digest has failed
    found, rounds, full, part = check2_addendum(
        files[ADDENDUM], selected, reserve, seed, digest.lower(), department
    )
    for finding in found:
        r.fail("substitution", finding)
    if not found:
        claim = (
            "no substitutions"
            if not full + part
            else f"{full + part} substitutions in {rounds} rounds "
            f"({full} by the reserve rule, {part} as visits only)"
        )
        r.ok(f"substitutions (SPEC §26): {claim}", claim)


def pool_rows2(data: bytes, name: str) -> list[tuple[str, str, int, str]]:
    """(stratum, item, rank, id) of each row of result.tsv, reserve.tsv or reserve-public.tsv."""
    out = []
    for _, line in table_lines(name, data, SELECTION_HEADER):
        f = line.split("\t")
        if len(f) != len(SELECTION_HEADER):
            raise ValueError(f"{name}: a line without {len(SELECTION_HEADER)} fields")
        out.append((unescape(f[0]), unescape(f[1]), int(f[2]), unescape(f[3])))
    return out


def check2_public(
    files: dict[str, bytes],
    commitment: dict[str, Any],
    seed: bytes,
    meta: dict[str, Any],
    r: Report2,
) -> None:
    public_files = {n: files[n] for n in DR2_PUBLIC_NAMES if n in files}
    check = PublicCheck2(
        files["plan.json"],
        files["objects-public.tsv"],
        public_files,
        seed,
        commitment["digests"],
        read_quotas2(files["quotas.tsv"]),
    )
    total, full, bounds = check.counts()
    summary = (
        f"{full + bounds}/{total} pools checked ({full} in full, {bounds} by bounds), "
        f"{check.decided} of {check.selected} selections decided in full"
    )
    if check.findings:
        for file, line, column, value, reason in check.findings:
            where = file if line is None else f"{file}:{line}"
            r.fail("public-check", f"{where} [{column}] {value!r}: {reason}")
        r.say(f"public check: {len(check.findings)} findings; {summary}")
    else:
        r.ok(
            f"public check (SPEC §23.1): {summary}, tickets and counts",
            summary,
            "tickets",
            "counts",
        )
    check2_result_digest(public_files, str(meta.get("internal_digest")), meta, r)
    try:
        selected: list[tuple[str, str, str, str, int | None]] = []
        for _, row in table_lines("selection.tsv", files["selection.tsv"], SELECTION2_HEADER):
            f = row.split("\t")
            if len(f) != len(SELECTION2_HEADER):
                raise ValueError("selection.tsv: a line without 5 fields")
            rank = int(f[4]) if f[4] else None
            selected.append((unescape(f[0]), unescape(f[1]), f[2], unescape(f[3]), rank))
        reserve = pool_rows2(files["reserve-public.tsv"], "reserve-public.tsv")
        department = str(json.loads(files["plan.json"])["plan"]["department"])
    except (Mismatch, ValueError, KeyError, TypeError):
        return  # the public check has said what is wrong with them
    check2_substitutions(files, selected, reserve, seed, department, meta, r)


def public_files2(
    view: View2,
    objects: list[Obj],
    chosen: Selection,
    tickets: Tickets,
    exclusions: list[tuple[str, str, str, list[str]]],
    outside: list[str],
    by_id: Mapping[str, Obj] | None = None,
) -> dict[str, bytes]:
    """The public files of SPEC §21 from the re-run (by_id: the objects by id)."""
    public = view.public_strata
    selection = sorted(chosen.result, key=lambda row: (row[1], row[3]))
    out = {
        "selection.tsv": table(
            SELECTION2_HEADER,
            (
                [
                    escape(i),
                    escape(x),
                    ticket_hex(tickets(x)),
                    escape(h) if h in public else "",
                    str(rank) if h in public else "",
                ]
                for h, i, rank, x in selection
            ),
        ),
        "reserve-public.tsv": table(
            RESERVE2_HEADER,
            (
                [escape(h), escape(i), str(rank), escape(x), ticket_hex(tickets(x))]
                for h, i, rank, x in sorted(chosen.reserve, key=lambda row: row[:3])
                if h in public
            ),
        ),
    }
    if by_id is None:
        by_id = {o.id: o for o in objects}
    kept = sorted(
        (i, x, reasons)
        for h, i, x, reasons in exclusions
        if h in public or view.facts(by_id[x]).covered
    )
    out["exclusions-public.tsv"] = table(
        EXCLUSIONS2_HEADER, ([escape(i), escape(x), ";".join(rs)] for i, x, rs in kept)
    )
    cutoffs: dict[tuple[str, int], list[int]] = {}
    drawn: dict[tuple[str, int], int] = {}
    last: dict[tuple[str, str], tuple[int, str]] = {}
    for h, i, rank, x in chosen.result:
        if h in view.group_of:
            if (i, h) not in last or rank > last[(i, h)][0]:
                last[(i, h)] = (rank, x)
            drawn[(i, view.group_of[h])] = drawn.get((i, view.group_of[h]), 0) + 1
    for (i, h), (_, x) in last.items():
        cutoffs.setdefault((i, view.group_of[h]), []).append(tickets(x))
    rows = []
    for item in view.items:
        for n, g in enumerate(view.groups):
            values = cutoffs.get((item, n), [])
            low, high = (ticket_hex(min(values)), ticket_hex(max(values))) if values else ("", "")
            rows.append(
                [
                    escape(item),
                    escape_list(g.filters),
                    escape_list(g.strata),
                    low,
                    high,
                    str(drawn.get((item, n), 0)),
                ]
            )
    out["bounds.tsv"] = table(BOUNDS_HEADER, rows)
    if not view.groups:
        out["outside.tsv"] = table(OUTSIDE_HEADER, ([escape(x)] for x in sorted(outside)))
    return out


def check2_rerun(
    files: dict[str, bytes],
    commitment: dict[str, Any],
    seed: bytes,
    meta: dict[str, Any],
    r: Report2,
    risk: Aside,
) -> None:
    try:
        root, leaves = risk.value()  # salted_risk_root(files)
        plan = parse_plan(files["plan.json"], "DR-2")
        objects = parse_objects2(files["objects-public.tsv"])
        add_risk_classes2(objects, files["objects-internal.tsv"])
        officers = parse_officers(files["inspectors.tsv"])
        conflicts = parse_conflicts(files["conflicts.tsv"])
        history = parse_history(files["history.tsv"])
    except (Mismatch, ValueError, UnicodeDecodeError) as exc:
        r.fail("rerun", f"the auditor files cannot be read: {exc}")
        return
    if {"root": root, "leaves": leaves} != commitment.get("risk_commitment"):
        r.fail("risk-root", "the risk root from salt-key.txt and objects-internal.tsv differs")
    else:
        r.claims.append("risk root")
    prepared = prepare(plan, objects, history)
    quotas = quotas_for(plan, {k: len(pool) for k, pool in prepared.pools.items()})
    tickets = Tickets(seed)
    object_id = operator.attrgetter("id")
    pools = {k: list(map(object_id, pool)) for k, pool in prepared.pools.items()}
    chosen = select(quotas, pools, tickets)
    by_id = dict(zip(map(object_id, objects), objects, strict=True))
    visits = make_visits(chosen.result, plan, by_id, tickets)
    try:
        teams = draw_teams(plan, visits, seed, officers, conflicts, history)
    except Mismatch as exc:
        r.fail("rerun", f"the draw cannot be re-run: {exc}")
        return
    again = {
        "quotas.tsv": table(QUOTAS_HEADER, (q.row() for q in quotas)),
        "result.tsv": selection_table(chosen.result, tickets),
        "reserve.tsv": selection_table(chosen.reserve, tickets),
        "teams.tsv": teams,
        "exclusions.tsv": table(
            EXCLUSIONS_HEADER,
            (
                [escape(h), escape(i), escape(x), ";".join(rs)]
                for h, i, x, rs in prepared.exclusions
            ),
        ),
        "outside.tsv": table(OUTSIDE_HEADER, ([escape(x)] for x in prepared.outside)),
    }
    view = View2(plan, objects)
    public = public_files2(
        view, objects, chosen, tickets, prepared.exclusions, prepared.outside, by_id
    )
    del by_id
    names = list(dict.fromkeys([*OUTPUT_FILES, *DR2_PUBLIC_NAMES[:4]]))
    differ = []
    for name in names:
        want = public.get(name, again.get(name))
        if want != files.get(name):
            differ.append(name)
            r.fail("rerun", f"{name}: the re-run differs from the bundle")
    if not differ:
        r.ok(
            f"re-run: {len(quotas)}/{len(quotas)} pools, {len(visits)} visits; "
            f"{len(names)} files byte-identical",
            f"{len(quotas)}/{len(quotas)} pools re-run in full",
            "audit and public files identical",
        )
    parts = [p for n in OUTPUT_FILES for p in (n.encode("ascii"), files[n])]
    internal = tagged_hash(T2_INTERNAL, *parts).hex()
    if internal != meta.get("internal_digest"):
        r.fail("result-digest", "bundle.json: the internal digest differs from the audit files")
        return
    check2_result_digest({n: files[n] for n in public}, internal, meta, r)
    try:
        drawn = pool_rows2(files["result.tsv"], "result.tsv")
        reserve = pool_rows2(files["reserve.tsv"], "reserve.tsv")
    except (Mismatch, ValueError):
        return  # the re-run has said what is wrong with them
    selected: list[tuple[str, str, str, str, int | None]] = [
        (i, x, ticket_hex(ticket(seed, x)), h, rank) for h, i, rank, x in drawn
    ]
    check2_substitutions(files, selected, reserve, seed, None, meta, r)


def verify2(
    folder: Path, tier: str, say: Callable[[str], None] = print, snapshot: Path | None = None
) -> bool:
    """Check a DR-2 bundle; print ok and MISMATCH lines, then the verdict.
    ``snapshot``: the object snapshot's public part (a file, or a folder holding
    it under its digest); by default the bundle's own objects-public.tsv.gz."""
    r = Report2(tier, say)
    risk: Aside | None = None
    try:
        files = check2_manifest(folder, r)
        commitment = check2_commitment(files, r)
        if tier == "auditor":  # the risk root, made meanwhile where the bundle is large
            rows = files["objects-internal.tsv"].count(b"\n") - 1
            risk = Aside(salted_risk_root, files, fork=rows >= ASIDE_FROM)
        files["objects-public.tsv"] = check2_snapshot(folder, snapshot, commitment, r)
        check2_digests(files, commitment, r)
        randomness = check2_beacon(files, commitment, r)
        dice = check2_dice(files, commitment, r)
        meta = json.loads(files["bundle.json"])
        commitment_hash = sha256(files["commitment.json"])
        seed = tagged_hash(T2_SEED, commitment_hash, randomness, dice.encode("ascii"))
        if seed.hex() != meta.get("seed"):
            r.fail("seed", f"bundle.json: the seed is {seed.hex()}, not {meta.get('seed')}")
        else:
            r.ok(f"seed {seed.hex()} = H(T_SEED2; C, R, dice)", "seed")
        if risk is not None:
            check2_rerun(files, commitment, seed, meta, r, risk)
        else:
            check2_public(files, commitment, seed, meta, r)
    except Stop2:
        pass
    except (ArithmeticError, AttributeError, KeyError, TypeError, ValueError) as exc:
        r.fail("unreadable", f"could not be checked ({type(exc).__name__}: {exc})")
    finally:
        if risk is not None:
            risk.close()
    say(r.verdict)
    return not r.mismatches


# --------------------------------------------------------------------------
# Main


def verify(folder: Path, say: Callable[[str], None] = print, snapshot: Path | None = None) -> bool:
    """Run every check in order; print ok lines and MATCH or the mismatch.
    ``snapshot`` is used by DR-2 bundles only (DR-1 bundles carry their snapshot).

    The cyclic garbage collector is off meanwhile: the checks make no cycles worth
    collecting, and its passes over the million objects of a large registry took
    a quarter of the time."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        return verify_checks(folder, say, snapshot)
    finally:
        if collecting:
            gc.enable()


def verify_checks(
    folder: Path, say: Callable[[str], None] = print, snapshot: Path | None = None
) -> bool:
    """verify, with the collector as it is."""
    try:
        declared = json.loads((folder / "bundle.json").read_bytes())
    except (OSError, ValueError):
        declared = {"algorithm": "DR-2"} if (folder / DR2_BEACON_FILE).is_file() else {}
    if isinstance(declared, dict) and declared.get("algorithm") == "DR-2":
        return verify2(folder, str(declared.get("tier", "unknown")), say, snapshot)
    b = Bundle(folder)
    checks: list[Callable[[Bundle], str]] = [
        check_manifest,
        check_digests,
        check_secret,
        check_seed,
        check_tickets,
    ]
    try:
        for check in checks:
            say(f"ok  {check(b)}")
        last = check_public_selection if b.tier == "public" else check_rerun
        say(f"ok  {last(b)}")
    except Mismatch as exc:
        say(f"MISMATCH: {exc}")
        return False
    except (ArithmeticError, AttributeError, KeyError, TypeError, ValueError) as exc:
        say(f"MISMATCH: {b.folder.name}: could not be checked ({type(exc).__name__}: {exc})")
        return False
    say("MATCH")
    return True


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    snapshot = None
    if "--snapshot" in args:
        at = args.index("--snapshot")
        if at + 1 >= len(args):
            print("error: --snapshot needs a file or folder", file=sys.stderr)
            return 2
        snapshot = Path(args[at + 1])
        del args[at : at + 2]
        if not snapshot.exists():
            print(f"error: --snapshot {snapshot} does not exist", file=sys.stderr)
            return 2
    if len(args) > 1 or (args and args[0] in ("-h", "--help")):
        print(__doc__)
        return 0 if args and args[0] in ("-h", "--help") else 2
    folder = Path(args[0]) if args else Path(__file__).resolve().parent
    if not folder.is_dir():
        print(f"error: {folder} is not a folder", file=sys.stderr)
        return 2
    return 0 if verify(folder, snapshot=snapshot) else 1


if __name__ == "__main__":
    sys.exit(main())
