"""Canonical snapshots of the registries (docs/SPEC.md §3 and, for DR-2, §15–§16;
the plan is in plan_json).

A snapshot is a byte string with one header line and one escaped,
tab-separated line per record, rows in a fixed order, so that equal content
always gives equal bytes and equal digests, whatever order or source the
records came from. Each ``parse_*`` function is the exact inverse and
refuses bytes that are not canonical (it re-serialises and compares).

Every function takes the algorithm: DR-1 digests a snapshot as the SHA-256
of its bytes; DR-2 with the bucketed digest of ``buckets`` and splits the
object registry differently (no name or address in the public part).
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date
from itertools import chain, islice, pairwise
from operator import attrgetter
from typing import Any

import numpy as np

from dualrandom.core.buckets import (
    BUCKETS,
    BucketedDigest,
    buckets_of,
    data_buckets,
    file_digest,
)
from dualrandom.core.encoding import (
    DR1,
    DR2,
    TAG2_OBJECTS,
    TAG_OBJECTS,
    check_algorithm,
    check_id,
    check_text,
    digest_bytes,
    escape,
    escape_list,
    fmt_bool,
    fmt_date,
    join_lines,
    parse_bool,
    parse_date,
    sha256_hex,
    split_lines,
    tagged_hash,
    unescape,
    unescape_list,
)
from dualrandom.core.model import (
    ConflictRecord,
    HistoryRecord,
    InspectorRecord,
    InspectorStatus,
    ObjectRecord,
    ObjectStatus,
    ObjectType,
    Relation,
    RiskClass,
)

__all__ = [
    "CONFLICT_FIELDS",
    "HISTORY_FIELDS",
    "INSPECTOR_FIELDS",
    "OBJECT_INTERNAL_FIELDS",
    "OBJECT_LAYOUTS",
    "OBJECT_PUBLIC_FIELDS",
    "ObjectColumns",
    "ObjectDigestStream",
    "ObjectDigester",
    "ObjectSnapshot",
    "ObjectSnapshotBuilder",
    "Snapshot",
    "Unread",
    "combine_object_digests",
    "conflicts_snapshot",
    "history_snapshot",
    "inspectors_snapshot",
    "objects_snapshot",
    "objects_written_as",
    "parse_conflicts",
    "parse_history",
    "parse_inspectors",
    "parse_objects",
    "public_object_digest",
    "snapshot_digest",
    "sorted_objects_snapshot",
]

OBJECT_PUBLIC_FIELDS = (
    "id",
    "id_type",
    "name",
    "type",
    "industry",
    "district",
    "registration_authority",
    "address",
    "status",
    "established",
    "abnormal_list",
    "serious_illegal_list",
    "departments",
    "tags",
    "last_inspected",
)
OBJECT_INTERNAL_FIELDS = ("id", "risk_class")
# DR-2 (SPEC §16): the public part holds exactly what the draw reads and nothing
# personal; names, addresses and the risk class are in the internal part.
OBJECT_PUBLIC_FIELDS_DR2 = (
    "id",
    "id_type",
    "type",
    "industry",
    "district",
    "status",
    "abnormal_list",
    "serious_illegal_list",
    "departments",
    "tags",
    "last_inspected",
)
OBJECT_INTERNAL_FIELDS_DR2 = (
    "id",
    "risk_class",
    "name",
    "registration_authority",
    "address",
    "established",
)
# (public fields, internal fields) of the object snapshot, per algorithm.
OBJECT_LAYOUTS = {
    DR1: (OBJECT_PUBLIC_FIELDS, OBJECT_INTERNAL_FIELDS),
    DR2: (OBJECT_PUBLIC_FIELDS_DR2, OBJECT_INTERNAL_FIELDS_DR2),
}
INSPECTOR_FIELDS = (
    "cert_no",
    "name",
    "department",
    "post",
    "specialties",
    "leader",
    "expert",
    "cert_valid_until",
    "status",
    "unavailable",
    "district",
    "home_district",
)
CONFLICT_FIELDS = ("cert_no", "object_id", "relation", "valid_from", "valid_until")
HISTORY_FIELDS = ("object_id", "item_code", "date", "officers")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Canonical bytes of one registry and their digest (64 lowercase hex):
    SHA-256 of the bytes in DR-1, the bucketed digest in DR-2."""

    data: bytes
    digest: str


class ObjectSnapshot:
    """The object registry in two parts. DR-1: ``public_bytes`` every field
    but the risk class, ``internal_bytes`` id and risk class. DR-2: the
    public part without names or addresses, the internal part with the risk
    class and those particulars (OBJECT_LAYOUTS). ``digest`` combines the
    two part digests, so it can be checked from the public part plus the
    published internal digest without seeing anything internal.

    A snapshot streamed into its digests (:func:`sorted_objects_snapshot`)
    holds no bytes: they are made again from the rows when first read.
    Snapshots are equal when their algorithm and digests are."""

    __slots__ = ("_bytes", "_make", "algorithm", "digest", "internal_digest", "public_digest")

    def __init__(
        self,
        public_bytes: bytes | None,
        internal_bytes: bytes | None,
        public_digest: str,
        internal_digest: str,
        digest: str,
        algorithm: str = DR1,
        *,
        make: Callable[[], tuple[bytes, bytes]] | None = None,
    ) -> None:
        if (public_bytes is None or internal_bytes is None) and make is None:
            raise ValueError("an object snapshot needs its bytes or a way to make them")
        self._bytes = (
            None
            if public_bytes is None or internal_bytes is None
            else (public_bytes, internal_bytes)
        )
        self._make = make
        self.public_digest = public_digest
        self.internal_digest = internal_digest
        self.digest = digest
        self.algorithm = algorithm

    def _parts(self) -> tuple[bytes, bytes]:
        if self._bytes is None:
            assert self._make is not None
            self._bytes = self._make()
        return self._bytes

    @property
    def public_bytes(self) -> bytes:
        return self._parts()[0]

    @property
    def internal_bytes(self) -> bytes:
        return self._parts()[1]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ObjectSnapshot):
            return NotImplemented
        return (self.algorithm, self.digest, self.public_digest, self.internal_digest) == (
            other.algorithm,
            other.digest,
            other.public_digest,
            other.internal_digest,
        )

    def __hash__(self) -> int:
        return hash((self.algorithm, self.digest))

    def __repr__(self) -> str:
        return f"ObjectSnapshot(algorithm={self.algorithm!r}, digest={self.digest!r})"


def snapshot_digest(table: str, data: bytes, algorithm: str = DR1) -> str:
    """The digest of a canonical table file: SHA-256 of the bytes (DR-1), or the
    bucketed digest of SPEC §15 under the table name ``table`` (DR-2)."""
    if check_algorithm(algorithm) == DR1:
        return sha256_hex(data)
    return file_digest(table, data)


def _text(value: str, what: str) -> str:
    return escape(check_text(value, what))


def _unique_sorted(keys: list[str], what: str) -> None:
    for before, after in pairwise(keys):
        if before == after:
            raise ValueError(f"{what} {before!r} occurs twice")


def combine_object_digests(public_digest: str, internal_digest: str, algorithm: str = DR1) -> str:
    """SHA-256("DR-n/objects" 0x00 ‖ lp(public digest) ‖ lp(internal digest)) (SPEC §3.1, §16)."""
    tag = TAG_OBJECTS if check_algorithm(algorithm) == DR1 else TAG2_OBJECTS
    return tagged_hash(tag, (digest_bytes(public_digest), digest_bytes(internal_digest))).hex()


@dataclass(frozen=True, slots=True)
class ObjectColumns:
    """Objects given column by column: for each field of :class:`ObjectRecord`,
    its value in every row, in row order (the rows in any order).

    The values are those ``ObjectRecord`` takes (enum values may be plain
    strings). :class:`ObjectSnapshotBuilder` checks and normalises them exactly
    as ``ObjectRecord`` does, once per distinct value, so a registry of
    millions of rows need not become millions of records to be hashed.
    """

    id: Sequence[str]
    name: Sequence[str]
    type: Sequence[str]
    industry: Sequence[str]
    district: Sequence[str]
    status: Sequence[str]
    risk_class: Sequence[str]
    id_type: Sequence[str]
    registration_authority: Sequence[str]
    address: Sequence[str]
    established: Sequence[date | None]
    abnormal_list: Sequence[bool]
    serious_illegal_list: Sequence[bool]
    departments: Sequence[tuple[str, ...]]
    tags: Sequence[tuple[str, ...]]
    last_inspected: Sequence[date | None]

    @classmethod
    def of(cls, records: Sequence[ObjectRecord]) -> ObjectColumns:
        return cls(*(list(map(attrgetter(f.name), records)) for f in fields(cls)))

    def __len__(self) -> int:
        return len(self.id)

    def rows(self, start: int, stop: int) -> ObjectColumns:
        return ObjectColumns(*(getattr(self, f.name)[start:stop] for f in fields(self)))


class Unread(Sequence[Any]):
    """A column of ``count`` rows not read from storage, because the draw does
    not need it (names, addresses and what else no rule and no result reads).
    It reads as ``value`` ("" for a text, None for a date) so records can be
    made, and refuses to go into a canonical snapshot, whose digests then come
    from the stored rows themselves (``registry.snapshot.object_digests``)."""

    __slots__ = ("_rows", "value")

    def __init__(self, count: int, value: Any = "") -> None:
        self._rows = range(count)
        self.value = value

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return Unread(len(self._rows[index]), self.value)
        self._rows[index]  # IndexError as a list would raise
        return self.value

    def take(self, rows: Any) -> list[Any]:
        """As ``Texts.take``: ``value`` for each of ``rows`` (an index array or a slice)."""
        return [self.value] * (len(self._rows[rows]) if isinstance(rows, slice) else len(rows))


def _require_read(columns: ObjectColumns, names: Iterable[str]) -> None:
    unread = [name for name in names if isinstance(getattr(columns, name), Unread)]
    if unread:
        raise ValueError(
            f"{', '.join(unread)} were not read: a snapshot of these columns would be wrong"
        )


# Fields whose few distinct values are formatted once and remembered; the
# first seven are also checked or normalised by ObjectRecord (see _Formats).
_RECORD_CHECKED = ("type", "status", "risk_class", "id_type", "industry", "departments", "tags")
_MEMO_LIMIT = 1 << 16  # distinct values remembered per field before starting afresh


class _Formats:
    """Each distinct value of a field as the canonical line writes it, remembered across batches.

    A value of a field in _RECORD_CHECKED first goes through ObjectRecord
    itself (a copy of a record of the batch with that one field changed), so
    the model's rules are stated once, in the model: a value it refuses raises
    its ValueError, and a list is sorted and normalised as the record holds it.
    """

    def __init__(self) -> None:
        self.known: dict[str, dict[Any, str]] = {}

    def column(
        self, columns: ObjectColumns, name: str, prototype: ObjectRecord, memo: str = ""
    ) -> list[str]:
        known = self.known.setdefault(memo or name, {})
        values = getattr(columns, name)
        codes = getattr(values, "codes", None)
        if codes is not None:  # a table's coded column (core.table.Coded): by its codes
            return self._coded(columns, name, prototype, known, values.values, codes)
        try:
            return list(map(known.__getitem__, values))
        except KeyError:
            pass
        if len(known) > _MEMO_LIMIT:
            known.clear()
        for value in set(values).difference(known):
            known[value] = self._format(columns, name, value, prototype)
        return list(map(known.__getitem__, values))

    def _coded(
        self,
        columns: ObjectColumns,
        name: str,
        prototype: ObjectRecord,
        known: dict[Any, str],
        distinct: Sequence[Any],
        codes: np.ndarray[Any, np.dtype[Any]],
    ) -> list[str]:
        """Each distinct value of the rows formatted once, then looked up by code."""
        written = self.by_code(columns, name, prototype, known, distinct, codes)
        texts: list[str] = np.array(written, dtype=object)[codes].tolist()
        return texts

    def by_code(
        self,
        columns: ObjectColumns,
        name: str,
        prototype: ObjectRecord,
        known: dict[Any, str],
        distinct: Sequence[Any],
        codes: np.ndarray[Any, np.dtype[Any]],
    ) -> list[str | None]:
        """How each value of a coded column is written, by code (None: a value no row
        has); each formatted once, in order of first row, as the plain path would."""
        present, first = np.unique(codes, return_index=True)
        written: list[str | None] = [None] * len(distinct)
        for code in present[np.argsort(first)].tolist():
            value = distinct[code]
            if value not in known:
                if len(known) > _MEMO_LIMIT:
                    known.clear()
                known[value] = self._format(columns, name, value, prototype)
            written[code] = known[value]
        return written

    @staticmethod
    def _format(columns: ObjectColumns, name: str, value: Any, prototype: ObjectRecord) -> str:
        if name in ("established", "last_inspected"):
            return fmt_date(value)
        if name in ("abnormal_list", "serious_illegal_list"):
            return fmt_bool(value)
        held = getattr(replace(prototype, **{name: value}), name)
        if name not in ("departments", "tags"):
            return escape(str(held))
        try:
            return escape_list(held, name)
        except ValueError:
            row = list(getattr(columns, name)).index(value)
            escape_list(held, f"object {columns.id[row]!r} {name}")  # the message names the object
            raise


def _escaped(values: Sequence[str]) -> Sequence[str]:
    """escape() of every value; one scan of the column when none needs it (the usual case)."""
    if not isinstance(values, list):  # a column of texts decodes each read: read it once
        values = list(values)
    joined = "".join(values)
    if "\\" in joined or "\t" in joined or "\n" in joined or "\r" in joined:
        return list(map(escape, values))
    return values


def _check_ids(ids: Sequence[str]) -> None:
    """check_id() of every id, with one scan of the column when all are fine."""
    joined = "\n".join(ids)
    if all(ids) and "\x00" not in joined and unicodedata.is_normalized("NFC", joined):
        return
    for value in ids:
        check_id(value, "object id")


Layout = tuple[tuple[str, ...], tuple[str, ...]]


def _object_lines(columns: ObjectColumns, formats: _Formats, layout: Layout) -> tuple[str, str]:
    """The public and the internal lines of the rows, in row order, each ending with LF.

    With several bad values, the error is that of the first bad row, as if
    each row were made a record and its lines one after the other."""
    try:
        return _lines_of(columns, formats, layout)
    except ValueError:
        for row in range(len(columns) if len(columns) > 1 else 0):
            _lines_of(columns.rows(row, row + 1), formats, layout)
        raise


def _joined_lines(fields: Sequence[Sequence[str]], count: int) -> str:
    """Lines of tab-separated ``fields`` (columns of ``count`` texts), each ending with LF,
    joined at C speed: no string per line."""
    width = 2 * len(fields)
    parts = ["\t"] * (width * count)
    for position, values in enumerate(fields):
        parts[2 * position :: width] = values
    parts[width - 1 :: width] = ["\n"] * count
    return "".join(parts)


def _encoded_lines(fields: Sequence[Sequence[str]], count: int) -> Iterator[bytes]:
    """:func:`_joined_lines` as UTF-8, 65,536 lines at a time: a list of a million
    rows' fields, their text and its bytes are never all held at once."""
    step = 1 << 16
    for start in range(0, count, step):
        part = [values[start : start + step] for values in fields]
        yield _joined_lines(part, min(step, count - start)).encode("utf-8")


def _lines_of(columns: ObjectColumns, formats: _Formats, layout: Layout) -> tuple[str, str]:
    count = len(columns)
    if not count:
        return "", ""
    # First the record of the first row: its errors come first, as if it were built.
    prototype = _record_at(columns, 0)
    _check_ids(columns.id)
    ids = _escaped(columns.id)

    def column(name: str, memo: str = "") -> list[str]:
        return formats.column(columns, name, prototype, memo)

    writers: dict[str, Callable[[], Sequence[str]]] = {
        "id": lambda: ids,
        "id_type": lambda: column("id_type"),
        "name": lambda: _escaped(columns.name),
        "type": lambda: column("type"),
        "industry": lambda: column("industry"),
        "district": lambda: _escaped(columns.district),
        "registration_authority": lambda: _escaped(columns.registration_authority),
        "address": lambda: _escaped(columns.address),
        "status": lambda: column("status"),
        "established": lambda: column("established", "dates"),
        "abnormal_list": lambda: column("abnormal_list", "flags"),
        "serious_illegal_list": lambda: column("serious_illegal_list", "flags"),
        "departments": lambda: column("departments"),
        "tags": lambda: column("tags"),
        "last_inspected": lambda: column("last_inspected", "dates"),
        "risk_class": lambda: column("risk_class"),
    }
    # Only the fields laid out are written (a part made alone may have read no other).
    texts = {name: writers[name]() for names in layout for name in dict.fromkeys(names)}
    public, internal = ([texts[name] for name in part] for part in layout)
    return _joined_lines(public, count), _joined_lines(internal, count)


# Where a column was not read (Unread: a part made alone reads only its own fields),
# the record that checks the values of a row holds these valid values instead.
_STAND_IN = ObjectRecord("-", "", "企业", "A", "", "存续", "A")  # type: ignore[arg-type]


def _record_at(columns: ObjectColumns, row: int) -> ObjectRecord:
    """The record of row ``row`` of ``columns``, a stand-in value for a column not read."""
    return ObjectRecord(
        *(
            getattr(_STAND_IN, f.name) if isinstance(column, Unread) else column[row]
            for f in fields(columns)
            for column in (getattr(columns, f.name),)
        )
    )


# The scalar text fields of a record, checked one by one to name a value that is not NFC.
_TEXT_FIELDS = OBJECT_PUBLIC_FIELDS[:9]


def _require_nfc(text: str, columns: ObjectColumns) -> None:
    """One NFC check over many lines instead of one per field.

    TAB and LF are starters that compose with nothing, so the lines are in
    NFC exactly when every field is; only on failure are the fields checked
    one by one, to name the offending value."""
    if unicodedata.is_normalized("NFC", text):
        return
    for row in range(len(columns)):
        r = _record_at(columns, row)
        texts = [str(getattr(r, name)) for name in _TEXT_FIELDS]
        for value in (*texts, ";".join(r.departments), ";".join(r.tags), *r.departments, *r.tags):
            check_text(value, f"object {r.id!r}")


# A field's bytes for _assemble: a buffer, and where each row's value starts in
# it and how long it is.
Part = tuple[bytes, np.ndarray[Any, Any], np.ndarray[Any, Any]]

# How _lines_of writes each field of a table's columns: through _Formats (with
# the memo it shares), or escaped as it is (None).
_WRITTEN: dict[str, str | None] = {
    "id_type": "id_type",
    "type": "type",
    "industry": "industry",
    "district": None,
    "registration_authority": None,
    "status": "status",
    "established": "dates",
    "abnormal_list": "flags",
    "serious_illegal_list": "flags",
    "departments": "departments",
    "tags": "tags",
    "last_inspected": "dates",
    "risk_class": "risk_class",
}
_ESCAPED = ("\\", "\t", "\n", "\r")
_PARTICULARS = ("name", "address")  # what a draw does not read (Unread)


def _object_data(columns: ObjectColumns, formats: _Formats, layout: Layout) -> tuple[bytes, bytes]:
    """The public and internal lines of the rows as UTF-8 (:func:`_object_lines`
    encoded), their values checked and the lines in NFC (:func:`_require_nfc`).
    Names and addresses may be :class:`Unread` if ``layout`` writes neither."""
    _require_read(columns, dict.fromkeys(name for names in layout for name in names))
    fast = _table_data(columns, formats, layout)
    if fast is not None:
        return fast
    public, internal = _object_lines(columns, formats, layout)
    if public:
        _require_nfc(public, columns)
        _require_nfc(internal, columns)
    return public.encode("utf-8"), internal.encode("utf-8")


def _table_data(
    columns: ObjectColumns, formats: _Formats, layout: Layout
) -> tuple[bytes, bytes] | None:
    """:func:`_object_data` of the columns of a table (``core.table``: ids a list,
    few-valued fields coded, names and addresses texts), its lines assembled by
    numpy from each distinct value's bytes and the texts' own UTF-8, with no
    string per row; None (the caller takes the plain path, which gives the same
    bytes or the error) for other columns, a value that needs escaping, a value
    the model refuses or lines not in NFC."""
    count = len(columns)
    ids = columns.id
    if not count or not (isinstance(ids, list) or hasattr(ids, "data")):
        return None
    parts: dict[str, Part] = {}
    try:
        prototype = _record_at(columns, 0)
        id_part = _id_part(ids)
        if id_part is None:
            return None
        parts["id"] = id_part
        laid_out = {name for names in layout for name in names}
        for name, memo in _WRITTEN.items():
            if name not in laid_out:  # a part made alone: the other's fields are not formatted
                continue
            column = getattr(columns, name)
            codes = getattr(column, "codes", None)
            if codes is None:
                return None
            if memo is None:
                present = np.unique(codes).tolist()
                written: list[str | None] = [None] * len(column.values)
                for code in present:
                    written[code] = column.values[code]
                if any(
                    not isinstance(w, str) or any(c in w for c in _ESCAPED)
                    for w in written
                    if w is not None
                ):
                    return None  # escaped (or refused) on the plain path
            else:
                known = formats.known.setdefault(memo, {})
                written = formats.by_code(columns, name, prototype, known, column.values, codes)
            encoded = [b"" if w is None else w.encode("utf-8") for w in written]
            parts[name] = _coded_part(encoded, codes)
        for name in _PARTICULARS:
            if not any(name in names for names in layout):
                continue
            column = getattr(columns, name)
            if not hasattr(column, "data"):
                return None
            starts, ends = column.starts, column.ends
            low, high = int(starts.min()), int(ends.max())
            if any(c.encode() in column.data[low:high] for c in _ESCAPED):
                return None
            parts[name] = (bytes(column.data[low:high]), starts - low, ends - starts)
    except ValueError:
        return None  # the plain path raises it, for the first bad row
    public, internal = (_assemble(parts, names, count) for names in layout)
    text = public.decode("utf-8") + internal.decode("utf-8")
    if not unicodedata.is_normalized("NFC", text):
        return None
    return public, internal


def _id_part(
    ids: Sequence[str],
) -> Part | None:
    """The ids as a buffer, where each starts and its length, for :func:`_assemble`
    (a list, or a table's ``Texts``, whose UTF-8 buffer is used as it is); None
    unless every id is ASCII, non-empty and needs no escaping (the plain path
    then checks them as it always does)."""
    if isinstance(ids, list):
        _check_ids(ids)
        joined = "".join(ids)
        if not joined.isascii() or any(c in joined for c in _ESCAPED):
            return None
        lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
        return joined.encode("ascii"), np.cumsum(lengths) - lengths, lengths
    starts, ends = ids.starts, ids.ends  # type: ignore[attr-defined]
    low, high = int(starts.min()), int(ends.max())
    data = bytes(ids.data[low:high])  # type: ignore[attr-defined]
    lengths = ends - starts
    if not (data.isascii() and lengths.all()) or any(
        c.encode() in data for c in ("\x00", *_ESCAPED)
    ):
        return None
    return data, starts - low, lengths


def _coded_part(written: Sequence[bytes], codes: np.ndarray[Any, Any]) -> Part:
    """A coded field for :func:`_assemble`: each distinct value's bytes once
    (``written``, by code), and where each row's value starts in them and how
    long it is."""
    sizes = np.fromiter(map(len, written), dtype=np.int64, count=len(written))
    at = codes.astype(np.intp)
    return b"".join(written), (np.cumsum(sizes) - sizes)[at], sizes[at]


def _assemble(
    parts: dict[str, Part],
    names: Sequence[str],
    count: int,
) -> bytes:
    """Lines of the fields ``names`` (each a buffer, and where each row's value
    starts in it and how long it is), tab-separated, each ending with LF."""
    buffers = [parts[name][0] for name in names] + [b"\t\n"]
    offsets = np.cumsum([0, *map(len, buffers)])
    width = 2 * len(names)
    starts = np.empty((count, width), dtype=np.int64)
    sizes = np.ones((count, width), dtype=np.int64)
    for position, name in enumerate(names):
        _, first, size = parts[name]
        starts[:, 2 * position] = first + offsets[position]
        sizes[:, 2 * position] = size
    starts[:, 1::2] = offsets[-2]  # TAB
    starts[:, -1] = offsets[-2] + 1  # LF
    flat_starts, flat_sizes = starts.reshape(-1), sizes.reshape(-1)
    ends = np.cumsum(flat_sizes)
    source = np.frombuffer(b"".join(buffers), dtype=np.uint8)
    # An index per output byte: 4 bytes each, not 8, where offsets allow.
    kind = np.int32 if max(len(source), int(ends[-1])) < 2**31 else np.int64
    shift = np.repeat((flat_starts - (ends - flat_sizes)).astype(kind), flat_sizes)
    shift += np.arange(int(ends[-1]), dtype=kind)
    data: bytes = source[shift].tobytes()
    return data


class _Lines:
    """Lines kept as one UTF-8 buffer, with where each ends: compact, and sortable by index."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.ends: list[np.ndarray[Any, np.dtype[np.int64]]] = []

    def add(self, text: str) -> None:
        """Add the lines of ``text``, each ending with LF (escaped lines hold no other LF)."""
        data = text.encode("utf-8")
        ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10) + (len(self.data) + 1)
        self.data += data
        self.ends.append(ends)

    def in_order(
        self, order: np.ndarray[Any, np.dtype[np.intp]], whole: bool = True
    ) -> Iterator[bytes | memoryview]:
        """The lines in ``order`` (indexes in the order they were added), in pieces
        of whole lines; ``whole``: one piece if they were added in order already."""
        ends = np.concatenate(self.ends) if self.ends else np.zeros(0, dtype=np.int64)
        view = memoryview(self.data)
        in_place = np.array_equal(order, np.arange(len(order)))
        if in_place and whole:
            yield view
            return
        starts = np.concatenate(([0], ends[:-1]))
        for first in range(0, len(order), _PIECE_ROWS):
            chosen = order[first : first + _PIECE_ROWS]
            if in_place:
                yield view[int(starts[chosen[0]]) : int(ends[chosen[-1]])]
                continue
            slices = map(slice, starts[chosen].tolist(), ends[chosen].tolist())
            yield b"".join(map(view.__getitem__, slices))


_PIECE_ROWS = 1 << 14


class _Ids:
    """The ids in the order added: packed into one buffer while all are ASCII and of
    one length (unified social credit codes: 18 bytes each instead of a string
    object of 67), else as strings."""

    def __init__(self) -> None:
        self.width = 0
        self.packed = bytearray()
        self.texts: list[str] | None = None

    def extend(self, ids: Sequence[str]) -> None:
        if not ids:
            return
        if self.texts is None:
            data = "".join(ids).encode("utf-8")
            width = self.width or len(ids[0])
            if len(data) == width * len(ids) and set(map(len, ids)) == {width}:
                self.width = width
                self.packed += data
                return
            width, packed = self.width, bytes(self.packed)
            self.texts = [packed[i : i + width].decode() for i in range(0, len(packed), width or 1)]
        self.texts.extend(ids)

    def packed_keys(self) -> np.ndarray[Any, np.dtype[np.bytes_]]:
        return np.frombuffer(self.packed, dtype=f"S{self.width or 1}")


def _hashes_repeat(ids: _Ids) -> bool:
    """Whether two of the packed ids have the same 64-bit polynomial hash (as two
    equal ids have): one pass of numpy arithmetic per byte position, and a sort of
    integers instead of strings."""
    width = ids.width or 1
    data = np.frombuffer(ids.packed, dtype=np.uint8).reshape(-1, width)
    hashes = np.zeros(len(data), dtype=np.uint64)
    for position in range(width):  # wraps around modulo 2**64, as intended
        hashes *= np.uint64(1099511628211)
        hashes += data[:, position]
    hashes.sort()
    return bool(np.any(hashes[1:] == hashes[:-1]))


class ObjectSnapshotBuilder:
    """The object snapshot of rows added in batches, in any order (docs/SPEC.md §3.1, §16).

    It holds every row's two lines as UTF-8 bytes, about as much memory as
    the snapshot itself, and no records. ``objects_snapshot`` is this
    builder given one batch of records, so both make the same bytes. For
    rows that arrive in id order, :class:`ObjectDigestStream` (DR-2) holds
    nothing at all.
    """

    def __init__(self, algorithm: str = DR1) -> None:
        self.algorithm = check_algorithm(algorithm)
        self._layout = OBJECT_LAYOUTS[algorithm]
        self._ids = _Ids()
        self._public = _Lines()
        self._internal = _Lines()
        self._formats = _Formats()
        self._sorted: np.ndarray[Any, np.dtype[np.intp]] | None = None  # _order's, until add

    def clear(self) -> None:
        """Forget the rows added (not how values are written: a builder used for many
        batches in turn formats each distinct value once)."""
        self._ids, self._public, self._internal = _Ids(), _Lines(), _Lines()
        self._sorted = None

    def add(self, columns: ObjectColumns) -> None:
        """Check and add some rows; raises ValueError as ``ObjectRecord`` or
        ``objects_snapshot`` would for the same values."""
        _require_read(columns, (f.name for f in fields(columns)))
        public, internal = _object_lines(columns, self._formats, self._layout)
        if not public:
            return
        _require_nfc(public, columns)
        _require_nfc(internal, columns)
        self._public.add(public)
        self._internal.add(internal)
        self._ids.extend(columns.id)
        self._sorted = None

    def check_ids(self) -> None:
        """Raise the ValueError that :meth:`digest` would raise for an id added twice.

        Ids packed in one buffer (all ASCII, of one length) are not sorted for this:
        a 64-bit hash of each is, and only when two hashes are equal (a repeated id,
        or rarely two ids with one hash) are the ids sorted as :meth:`digest` sorts
        them, which raises for a repeated id, and keeps the order for the digest."""
        if self._ids.texts is not None or _hashes_repeat(self._ids):
            self._order()

    def _order(self) -> np.ndarray[Any, np.dtype[np.intp]]:
        """Row indexes by id in code-point order; refuses an id that occurs twice."""
        if self._sorted is None:
            self._sorted = self._sort()
        return self._sorted

    def _sort(self) -> np.ndarray[Any, np.dtype[np.intp]]:
        if self._ids.texts is None:
            # All ASCII and of one length (as unified social credit codes are):
            # numpy sorts the bytes, which is code-point order.
            keys = self._ids.packed_keys()
            order = np.argsort(keys, kind="stable")
            ordered = keys[order]
            twice = np.flatnonzero(ordered[1:] == ordered[:-1])
            if len(twice):
                raise ValueError(f"object id {ordered[twice[0]].decode()!r} occurs twice")
            return order
        ids = self._ids.texts
        order = np.array(sorted(range(len(ids)), key=ids.__getitem__), dtype=np.intp)
        _unique_sorted([ids[i] for i in order], "object id")
        return order

    def _parts(self) -> tuple[Iterator[bytes | memoryview], Iterator[bytes | memoryview]]:
        order = self._order()
        public_fields, internal_fields = self._layout
        public = chain([_header(public_fields)], self._public.in_order(order))
        internal = chain([_header(internal_fields)], self._internal.in_order(order))
        return public, internal

    def _bucketed(self) -> tuple[str, str]:
        """The DR-2 part digests, the sorted lines streamed a piece at a time."""
        order = self._order()
        public, internal = (
            BucketedDigest(t, f) for t, f in zip(_PART_TABLES, self._layout, strict=True)
        )
        pieces = zip(
            self._public.in_order(order, whole=False),
            self._internal.in_order(order, whole=False),
            strict=True,
        )
        for public_piece, internal_piece in pieces:
            buckets = public.add_data(bytes(public_piece))  # same ids: same buckets
            internal.add_data(bytes(internal_piece), buckets)
        return public.hexdigest(), internal.hexdigest()

    def digest(self) -> str:
        """The snapshot's combined digest, hashed piece by piece."""
        if self.algorithm == DR2:
            return combine_object_digests(*self._bucketed(), DR2)
        public, internal = (_sha256_of(parts) for parts in self._parts())
        return combine_object_digests(public, internal)

    def snapshot(self) -> ObjectSnapshot:
        public, internal = (b"".join(parts) for parts in self._parts())
        if self.algorithm == DR2:
            public_digest, internal_digest = self._bucketed()  # one bucket hash per row
        else:
            public_digest, internal_digest = sha256_hex(public), sha256_hex(internal)
        return ObjectSnapshot(
            public_bytes=public,
            internal_bytes=internal,
            public_digest=public_digest,
            internal_digest=internal_digest,
            digest=combine_object_digests(public_digest, internal_digest, self.algorithm),
            algorithm=self.algorithm,
        )


_PART_TABLES = ("objects-public", "objects-internal")


class ObjectDigestStream:
    """The DR-2 object digests of rows fed in id order, holding no row (SPEC §15, §16).

    Batches may also come bucket by bucket: what is required (and checked,
    naming the id) is that within each bucket the ids strictly increase from
    one row to the next, across all batches — which holds for rows in id
    order and for rows ordered by (bucket, id). Memory: 512 hash states and
    the last id of each bucket."""

    def __init__(self, *, public: bool = True, internal: bool = True) -> None:
        """``public=False`` or ``internal=False``: that part is not made (its digest
        is None). The public part alone reads no name or address (they may be
        Unread): a draw makes it from the columns it holds."""
        public_fields, internal_fields = OBJECT_LAYOUTS[DR2]
        if public and internal:
            self._layout: Layout = (public_fields, internal_fields)
        elif public or internal:  # the one part first, the ids as a second (cheap, unused)
            self._layout = (public_fields if public else internal_fields, ("id",))
        else:
            raise ValueError("an object digest stream makes at least one part")
        self._formats = _Formats()
        self._public = BucketedDigest("objects-public", public_fields) if public else None
        self._internal = BucketedDigest("objects-internal", internal_fields) if internal else None
        self._last = [""] * BUCKETS  # ids are never empty, so "" precedes all
        self._greatest = ""  # the greatest id so far
        self._count = 0
        self._buckets = bytearray()  # of every row so far: a byte a row

    @property
    def count(self) -> int:
        return self._count

    @property
    def buckets(self) -> bytes:
        """The bucket of every row added so far, a byte each, in order."""
        return bytes(self._buckets)

    def add(self, columns: ObjectColumns, buckets: bytes | None = None) -> None:
        """Check and add some rows; ValueError as ``objects_snapshot`` would give,
        or for an id that is not after the previous id of its bucket.

        ``buckets``: the rows' buckets as hashed elsewhere from the same ids (the
        other part's stream), not hashed again. They are not checked: a wrong one
        gives a digest that is not the snapshot's, never another snapshot's (each
        bucket's digest covers its rows' whole lines, ids included)."""
        first, second = _object_data(columns, self._formats, self._layout)
        if not first:
            return
        if buckets is None or len(buckets) != len(columns):
            buckets = _row_buckets(columns.id, first)
        self._check_order(columns.id, buckets)
        self._count += len(buckets)
        self._buckets += buckets
        if self._public is not None:
            self._public.add_data(first, buckets)
        if self._internal is not None:
            self._internal.add_data(first if self._public is None else second, buckets)

    def _check_order(self, ids: Sequence[str], buckets: bytes) -> None:
        last = self._last
        increasing = getattr(ids, "increasing", None)  # a table's Texts: compared by numpy
        if self._greatest < ids[0] and (
            increasing() if increasing else all(map(str.__lt__, ids, islice(ids, 1, None)))
        ):
            # Increasing, and after every id before: in order within every bucket too.
            self._greatest = ids[-1]
            backwards = np.frombuffer(buckets, dtype=np.uint8)[::-1]
            present, last_row = np.unique(backwards, return_index=True)
            for bucket, row in zip(present.tolist(), last_row.tolist(), strict=True):
                last[bucket] = ids[len(ids) - 1 - row]
            return
        for bucket, object_id in zip(buckets, ids, strict=True):
            if object_id <= last[bucket]:
                raise ValueError(
                    f"object id {object_id!r} comes after {last[bucket]!r}: "
                    "rows must be fed in id order (within each bucket), each id once"
                )
            last[bucket] = object_id
        self._greatest = max(self._greatest, *last)

    def digests(self) -> tuple[str, str, str]:
        """(public part digest P, internal part digest I, object digest O)."""
        public, internal = self.part_digests()
        if public is None or internal is None:
            raise ValueError("an object digest needs both parts")
        return public, internal, combine_object_digests(public, internal, DR2)

    def part_digests(self) -> tuple[str | None, str | None]:
        """(P, I) of the rows so far, None for a part not made."""
        public, internal = self._public, self._internal
        return (
            None if public is None else public.hexdigest(),
            None if internal is None else internal.hexdigest(),
        )


def _row_buckets(ids: Sequence[str], lines: bytes) -> bytes:
    """The bucket of each of ``lines`` (rows in the order of ``ids``): hashed from
    the ids themselves when none needs escaping, for a line's key is then its id
    as stored (a table's ``Texts`` gives their UTF-8 without a string each);
    from the lines otherwise."""
    utf8 = getattr(ids, "utf8", None)
    keys = utf8(slice(None)) if utf8 else [object_id.encode("utf-8") for object_id in ids]
    joined = b"".join(keys)
    if any(c.encode() in joined for c in _ESCAPED):
        return data_buckets(lines)
    return buckets_of(keys)


def _header(names: Sequence[str]) -> bytes:
    return join_lines(names, ())


def _sha256_of(parts: Iterable[bytes | memoryview]) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part)
    return digest.hexdigest()


_STREAM_ROWS = 20_000  # rows formatted and hashed at a time by sorted_objects_snapshot


class ObjectDigester:
    """The two part digests (public, internal) of the object snapshot of rows fed
    in id order, a batch at a time, each id once; holds no row. DR-2 is
    :class:`ObjectDigestStream` (which also checks the order), DR-1 one SHA-256
    per part. Checks every value and raises ValueError as ``objects_snapshot``
    would."""

    def __init__(self, algorithm: str = DR1) -> None:
        self.algorithm = check_algorithm(algorithm)
        self._stream = ObjectDigestStream() if algorithm == DR2 else None
        self._formats = _Formats()
        self._layout = OBJECT_LAYOUTS[algorithm]
        self._hashes = tuple(hashlib.sha256(_header(names)) for names in self._layout)

    def add(self, columns: ObjectColumns) -> None:
        if self._stream is not None:
            self._stream.add(columns)
            return
        data = _object_data(columns, self._formats, self._layout)
        for part, lines in zip(self._hashes, data, strict=True):
            part.update(lines)

    def digests(self) -> tuple[str, str]:
        if self._stream is not None:
            return self._stream.digests()[:2]
        public, internal = self._hashes
        return public.hexdigest(), internal.hexdigest()


def public_object_digest(columns: ObjectColumns, buckets: bytes | None = None) -> str:
    """DR-2: the digest of the object snapshot's public part, for rows in id order
    (each id once) whose names and addresses may be :class:`Unread`: the public
    part holds neither (SPEC §16). A draw makes it from the columns it holds.
    ``buckets``: every row's, as the internal part's stream found them
    (:attr:`ObjectDigestStream.buckets`; see :meth:`ObjectDigestStream.add`)."""
    if buckets is not None and len(buckets) != len(columns):
        buckets = None
    stream = ObjectDigestStream(internal=False)
    for start in range(0, len(columns), _STREAM_ROWS):
        part = buckets[start : start + _STREAM_ROWS] if buckets is not None else None
        stream.add(columns.rows(start, start + _STREAM_ROWS), part)
    public = stream.part_digests()[0]
    assert public is not None
    return public


def objects_written_as(
    columns: ObjectColumns, public: bytes, internal: bytes, algorithm: str = DR2
) -> bool:
    """Whether the object snapshot of ``columns`` (rows in id order, each id once)
    is byte for byte the files ``public`` and ``internal``, headers included. The
    lines are made a chunk at a time, as :class:`ObjectDigester` makes them, with
    every value checked (ValueError as ``objects_snapshot`` would raise), and
    compared, not hashed: a verifier that has the files' digests already knows
    then that the table's snapshot has them too."""
    formats, layout = _Formats(), OBJECT_LAYOUTS[check_algorithm(algorithm)]
    files = (memoryview(public), memoryview(internal))
    at = [len(_header(names)) for names in layout]
    if any(f[:n] != _header(names) for f, n, names in zip(files, at, layout, strict=True)):
        return False
    for start in range(0, len(columns), _STREAM_ROWS):
        made = _object_data(columns.rows(start, start + _STREAM_ROWS), formats, layout)
        for part, (file, lines) in enumerate(zip(files, made, strict=True)):
            if file[at[part] : at[part] + len(lines)] != lines:
                return False
            at[part] += len(lines)
    return at == [len(public), len(internal)]


def sorted_objects_snapshot(
    columns: ObjectColumns,
    algorithm: str = DR1,
    *,
    digests: tuple[str, str] | None = None,
) -> ObjectSnapshot:
    """The snapshot of rows already in id order (each id once; the caller has
    checked), streamed into its digests a chunk at a time: memory stays that
    of one chunk's lines, and the bytes are made again only if read. Checks
    every value and raises ValueError as ``objects_snapshot`` would.

    ``digests``: the (public, internal) digests made elsewhere from the same
    rows as stored (``registry.snapshot.object_digests``), for columns that
    leave names and addresses :class:`Unread`; the caller vouches for them."""
    if digests is None:
        digester = ObjectDigester(algorithm)
        for start in range(0, len(columns), _STREAM_ROWS):
            digester.add(columns.rows(start, start + _STREAM_ROWS))
        digests = digester.digests()
    public_digest, internal_digest = digests

    def make() -> tuple[bytes, bytes]:
        builder = ObjectSnapshotBuilder(algorithm)
        builder.add(columns)
        public, internal = (b"".join(parts) for parts in builder._parts())
        return public, internal

    return ObjectSnapshot(
        None,
        None,
        public_digest,
        internal_digest,
        combine_object_digests(public_digest, internal_digest, algorithm),
        algorithm,
        make=make,
    )


def objects_snapshot(records: Iterable[ObjectRecord], algorithm: str = DR1) -> ObjectSnapshot:
    """Canonical public and internal parts of the object registry, rows by id."""
    from dualrandom.core.table import ObjectTable  # here: table imports this module

    builder = ObjectSnapshotBuilder(algorithm)
    if isinstance(records, ObjectTable):  # columns already, sorted, each id once
        builder.add(records.columns)
        return builder.snapshot()
    rows = sorted(records, key=lambda r: r.id)
    _unique_sorted([r.id for r in rows], "object id")
    builder.add(ObjectColumns.of(rows))
    return builder.snapshot()


# How each field is read back from its text (the inverse of _Formats and _escaped).
_READERS: dict[str, Any] = {
    "id": unescape,
    "id_type": unescape,
    "name": unescape,
    "type": ObjectType,
    "industry": unescape,
    "district": unescape,
    "registration_authority": unescape,
    "address": unescape,
    "status": ObjectStatus,
    "established": parse_date,
    "abnormal_list": parse_bool,
    "serious_illegal_list": parse_bool,
    "departments": unescape_list,
    "tags": unescape_list,
    "last_inspected": parse_date,
    "risk_class": RiskClass,
}


def parse_objects(
    public_bytes: bytes, internal_bytes: bytes, algorithm: str = DR1
) -> tuple[ObjectRecord, ...]:
    """Read the two parts of an object snapshot back into records."""
    public_fields, internal_fields = OBJECT_LAYOUTS[check_algorithm(algorithm)]
    public_rows = split_lines(public_bytes, public_fields, "objects (public)")
    internal_rows = split_lines(internal_bytes, internal_fields, "objects (internal)")
    if [row[0] for row in public_rows] != [row[0] for row in internal_rows]:
        raise ValueError("objects: the public and internal parts list different ids")
    names = (*public_fields, *internal_fields[1:])
    readers = [_READERS[name] for name in names]
    records = tuple(
        ObjectRecord(
            **{
                name: read(text)
                for name, read, text in zip(names, readers, (*p, *i[1:]), strict=True)
            }
        )
        for p, i in zip(public_rows, internal_rows, strict=True)
    )
    again = objects_snapshot(records, algorithm)
    if again.public_bytes != public_bytes or again.internal_bytes != internal_bytes:
        raise ValueError("objects: the snapshot is not in canonical form")
    return records


def _range(start_end: tuple[date, date]) -> str:
    return f"{start_end[0].isoformat()}..{start_end[1].isoformat()}"


def _inspector_line(r: InspectorRecord) -> str:
    what = f"inspector {r.cert_no!r}"
    return "\t".join(
        (
            escape(check_id(r.cert_no, "certificate number")),
            _text(r.name, what),
            _text(r.department, what),
            _text(r.post, what),
            escape_list((check_text(s, what) for s in r.specialties), f"{what} specialties"),
            fmt_bool(r.leader),
            fmt_bool(r.expert),
            r.cert_valid_until.isoformat(),
            str(r.status),
            escape_list((_range(u) for u in r.unavailable), f"{what} unavailable"),
            _text(r.district, what),
            _text(r.home_district, what),
        )
    )


def inspectors_snapshot(records: Iterable[InspectorRecord], algorithm: str = DR1) -> Snapshot:
    """Canonical inspector registry, rows by certificate number."""
    rows = sorted(records, key=lambda r: r.cert_no)
    _unique_sorted([r.cert_no for r in rows], "certificate number")
    data = join_lines(INSPECTOR_FIELDS, (_inspector_line(r) for r in rows))
    return Snapshot(data, snapshot_digest("inspectors", data, algorithm))


def parse_inspectors(data: bytes) -> tuple[InspectorRecord, ...]:
    rows = split_lines(data, INSPECTOR_FIELDS, "inspectors")
    records = []
    for f in rows:
        ranges = []
        for text in unescape_list(f[9]):
            start, sep, end = text.partition("..")
            first, last = parse_date(start), parse_date(end)
            if not sep or first is None or last is None:
                raise ValueError(f"inspectors: unavailable range {text!r} is not START..END")
            ranges.append((first, last))
        valid_until = parse_date(f[7])
        if valid_until is None:
            raise ValueError(f"inspectors: {f[0]!r} has no cert_valid_until")
        records.append(
            InspectorRecord(
                cert_no=unescape(f[0]),
                name=unescape(f[1]),
                department=unescape(f[2]),
                post=unescape(f[3]),
                specialties=unescape_list(f[4]),
                leader=parse_bool(f[5]),
                expert=parse_bool(f[6]),
                cert_valid_until=valid_until,
                status=InspectorStatus(f[8]),
                unavailable=tuple(ranges),
                district=unescape(f[10]),
                home_district=unescape(f[11]),
            )
        )
    result = tuple(records)
    if inspectors_snapshot(result).data != data:  # the bytes are the same in DR-1 and DR-2
        raise ValueError("inspectors: the snapshot is not in canonical form")
    return result


def _conflict_key(r: ConflictRecord) -> tuple[str, str, str]:
    return (r.cert_no, r.object_id, str(r.relation))


def conflicts_snapshot(records: Iterable[ConflictRecord], algorithm: str = DR1) -> Snapshot:
    """Canonical declared-conflict list, rows by (cert_no, object_id, relation).

    Made column by column (hundreds of thousands of rows at provincial
    scale): identifiers are checked with one scan of each column, and only
    if one is bad row by row, so the error is that of the first bad row."""
    rows = sorted(records, key=_CONFLICT_KEY)
    for before, after in pairwise(rows):
        if _CONFLICT_KEY(before) == _CONFLICT_KEY(after):
            raise ValueError(f"conflict {_conflict_key(before)!r} occurs twice")
    certs = [r.cert_no for r in rows]
    objects = [r.object_id for r in rows]
    if not (_ids_fine(certs) and _ids_fine(objects)):
        for r in rows:
            check_id(r.cert_no, "conflict certificate number")
            check_id(r.object_id, "conflict object id")
    # A province declares a million conflicts with a few relations and dates:
    # each distinct one is written once and its text shared by every row.
    written = _Written()
    fields = [
        _escaped(certs),
        _escaped(objects),
        [written(str, r.relation) for r in rows],
        [written(fmt_date, r.valid_from) for r in rows],
        [written(fmt_date, r.valid_until) for r in rows],
    ]
    data = b"".join([_header(CONFLICT_FIELDS), *_encoded_lines(fields, len(rows))])
    return Snapshot(data, snapshot_digest("conflicts", data, algorithm))


_CONFLICT_KEY = attrgetter("cert_no", "object_id", "relation")


class _Written:
    """``written(write, value)``: ``write(value)``, one string per distinct value."""

    def __init__(self) -> None:
        self._seen: dict[tuple[Callable[[Any], str], Any], str] = {}

    def __call__(self, write: Callable[[Any], str], value: Any) -> str:
        key = (write, value)
        text = self._seen.get(key)
        if text is None:
            text = self._seen[key] = write(value)
        return text


def _ids_fine(ids: Sequence[str]) -> bool:
    """Whether every value passes check_id, with one scan of the column."""
    joined = "\n".join(ids)
    return all(ids) and "\x00" not in joined and unicodedata.is_normalized("NFC", joined)


def parse_conflicts(data: bytes) -> tuple[ConflictRecord, ...]:
    rows = split_lines(data, CONFLICT_FIELDS, "conflicts")
    records = tuple(
        ConflictRecord(
            cert_no=unescape(f[0]),
            object_id=unescape(f[1]),
            relation=Relation(f[2]),
            valid_from=parse_date(f[3]),
            valid_until=parse_date(f[4]),
        )
        for f in rows
    )
    if conflicts_snapshot(records).data != data:
        raise ValueError("conflicts: the snapshot is not in canonical form")
    return records


def _history_line(r: HistoryRecord) -> str:
    return "\t".join(
        (
            escape(check_id(r.object_id, "history object id")),
            escape(check_id(r.item_code, "history item code")),
            r.date.isoformat(),
            escape_list(
                (check_id(o, "history officer") for o in r.officers),
                f"history of {r.object_id!r} officers",
            ),
        )
    )


def history_snapshot(records: Iterable[HistoryRecord], algorithm: str = DR1) -> Snapshot:
    """Canonical inspection history. Rows are ordered by (object_id, item_code,
    date, officers field); identical rows are kept, since each one counts."""
    keyed = sorted(
        ((r.object_id, r.item_code, r.date.isoformat(), _history_line(r)) for r in records),
    )
    data = join_lines(HISTORY_FIELDS, (line for *_, line in keyed))
    return Snapshot(data, snapshot_digest("history", data, algorithm))


def parse_history(data: bytes) -> tuple[HistoryRecord, ...]:
    rows = split_lines(data, HISTORY_FIELDS, "history")
    records = []
    for f in rows:
        when = parse_date(f[2])
        if when is None:
            raise ValueError(f"history: a row for {f[0]!r} has no date")
        records.append(
            HistoryRecord(
                object_id=unescape(f[0]),
                item_code=unescape(f[1]),
                date=when,
                officers=unescape_list(f[3]),
            )
        )
    result = tuple(records)
    if history_snapshot(result).data != data:
        raise ValueError("history: the snapshot is not in canonical form")
    return result
