"""The registries as the draw sees them: core records as of a version, and digests.

These readers are the one path from the database to the pure core. They
return the rows that held in a version (``None``: the current rows), never
the gone ones and never id numbers or phone numbers, as core records sorted by
their key in code-point order, so a list, like the canonical snapshot, is the
same on SQLite and PostgreSQL.

:func:`registry_digest` hashes a registry of any size in bounded memory: it
reads the rows in key order, a chunk at a time, has the core build each
chunk's canonical snapshot, and hashes the chunks as one snapshot (the header
line once, then every row line). Because the rows of a snapshot are its
records' lines sorted by key, this is byte for byte the snapshot of the whole
registry; a test checks it against the core on multi-chunk registries.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import itertools
from array import array
from collections.abc import Callable, Collection, Generator, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any, TypeVar

import numpy as np
from sqlalchemy import ColumnElement, Table, select
from sqlalchemy.orm import Session

from dualrandom.core.canonical import (
    OBJECT_LAYOUTS,
    ObjectColumns,
    ObjectDigester,
    ObjectDigestStream,
    Unread,
    combine_object_digests,
    conflicts_snapshot,
    inspectors_snapshot,
)
from dualrandom.core.conflicts import ConflictTable
from dualrandom.core.encoding import DR1, DR2, escape, join_lines, sha256_hex
from dualrandom.core.model import (
    ConflictRecord,
    DepartmentRecord,
    InspectorRecord,
    ObjectRecord,
)
from dualrandom.core.table import Coded, ObjectTable, Texts, narrowest
from dualrandom.errors import NotFoundError
from dualrandom.tables import (
    ConflictRow,
    DepartmentRow,
    InspectorRow,
    ObjectRow,
    RegistryVersionRow,
)

__all__ = [
    "conflict_table_as_of",
    "conflicts_as_of",
    "current_version",
    "departments",
    "departments_digest",
    "get_version",
    "inspectors_as_of",
    "internal_object_digest",
    "object_digests",
    "object_table_as_of",
    "objects_as_of",
    "registry_digest",
]

CHUNK_ROWS = 20_000
_CURSORS = itertools.count()  # names of server-side cursors, unique in a process

_OBJECTS: Table = ObjectRow.__table__  # type: ignore[assignment]
_INSPECTORS: Table = InspectorRow.__table__  # type: ignore[assignment]
_CONFLICTS: Table = ConflictRow.__table__  # type: ignore[assignment]

# Database columns in the positional order of each record's fields.
_OBJECT_COLUMNS = (
    "object_id",
    "name",
    "type",
    "industry",
    "district",
    "status",
    "risk_class",
    "id_type",
    "registration_authority",
    "address",
    "established",
    "abnormal_list",
    "serious_illegal_list",
    "departments",
    "tags",
    "last_inspected",
)
_INSPECTOR_COLUMNS = (
    "cert_no",
    "name",
    "department",
    "cert_valid_until",
    "status",
    "post",
    "specialties",
    "leader",
    "expert",
    "unavailable",
    "district",
    "home_district",
)
_CONFLICT_COLUMNS = ("cert_no", "object_id", "relation", "valid_from", "valid_until")
_KEYS = {
    "objects": ("object_id",),
    "inspectors": ("cert_no",),
    "conflicts": ("cert_no", "object_id", "relation"),
}


def current_version(session: Session, kind: str) -> RegistryVersionRow | None:
    """The latest version of ``kind``, or None before its first import."""
    return session.scalars(
        select(RegistryVersionRow)
        .where(RegistryVersionRow.kind == kind)
        .order_by(RegistryVersionRow.number.desc())
        .limit(1)
    ).first()


def get_version(session: Session, kind: str, number: int) -> RegistryVersionRow:
    """Version ``number`` of ``kind``; NotFoundError names the versions that exist."""
    version = session.scalars(
        select(RegistryVersionRow).where(
            RegistryVersionRow.kind == kind, RegistryVersionRow.number == number
        )
    ).first()
    if version is None:
        latest = current_version(session, kind)
        known = f"versions 1-{latest.number} exist" if latest else "it has never been imported"
        known_zh = f"现有第 1-{latest.number} 版" if latest else "从未导入过"
        raise NotFoundError(
            f"名录库 {kind} 没有第 {number} 版：{known_zh}",
            f"the {kind} registry has no version {number}: {known}",
        )
    return version


def _as_of(table: Table, version: int | None) -> ColumnElement[bool]:
    alive = table.c.gone.is_(False)
    if version is None:
        return table.c.version_to.is_(None) & alive
    not_yet_closed = table.c.version_to.is_(None) | (table.c.version_to > version)
    return (table.c.version_from <= version) & not_yet_closed & alive


def _chunks(
    session: Session,
    kind: str,
    table: Table,
    columns: Sequence[str],
    version: int | None,
    *,
    raw: bool = False,
    in_key_order: bool = True,
) -> Iterator[Sequence[Any]]:
    """The rows as of ``version`` in key order (code points, as the core sorts), in chunks.
    ``raw``: SQLite gives texts as their UTF-8 bytes (no string made per value).
    Not ``in_key_order``: in the order they were stored, for a caller that sorts them."""
    if version is not None:
        get_version(session, kind, version)
    dialect = session.get_bind().dialect
    binary = "C" if dialect.name == "postgresql" else "BINARY"
    query = select(*(table.c[name] for name in columns)).where(_as_of(table, version))
    if in_key_order:
        query = query.order_by(*(table.c[key].collate(binary) for key in _KEYS[kind]))
    elif dialect.name == "sqlite":
        # A scan of the table, which the order of its rowids makes SQLite take: through
        # the index of current rows it would visit the table's pages out of order,
        # which costs more a row as the table outgrows the caches (3,000,000 objects'
        # 12 columns: 4.9 s against 7.4 s) than the caller's sort does. PostgreSQL
        # scans the table for no order at all.
        query = query.order_by(table.c.pk)
    # The DBAPI cursor directly, in the session's transaction: SQLAlchemy's
    # per-row result processing costs more than reading a million rows
    # itself. The query's only parameters are integers and booleans, so it
    # is compiled with literal values; dates and booleans are converted by
    # the record builders (_day, bool), which accept either driver's types.
    sql = str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    connection = session.connection().connection
    driver: Any = connection.driver_connection
    raw = raw and dialect.name == "sqlite"
    factory = driver.text_factory if raw else None
    # On PostgreSQL a cursor of the server's, a chunk sent at a time: psycopg's
    # own cursor would hold the whole result in the client (1,000,000 objects:
    # about 400 MB more in each of draw run's two processes).
    server = dialect.name == "postgresql"
    cursor = driver.cursor(name=f"dualrandom_{next(_CURSORS)}") if server else connection.cursor()
    try:
        if raw:
            driver.text_factory = bytes
        cursor.execute(sql)
        fetch = functools.partial(cursor.fetchmany, CHUNK_ROWS)
        yield from _fetched_ahead(fetch) if server else iter(fetch, [])
    finally:
        cursor.close()
        if raw:
            driver.text_factory = factory


@functools.lru_cache(maxsize=65536)
def _parse_day(text: str) -> date:
    return date.fromisoformat(text)


def _day(value: Any) -> date | None:
    """A DATE column as the driver returns it: None, a date, or (SQLite) ISO text."""
    if value is None or isinstance(value, date):
        return value
    return _parse_day(value)


def _shared() -> Callable[[Any], Any]:
    """Return one object per distinct value: a million rows share a few districts."""
    seen: dict[Any, Any] = {}
    return lambda value: seen.setdefault(value, value)


def _split(text: str) -> tuple[str, ...]:
    return tuple(text.split(";")) if text else ()


def _ranges(text: str) -> tuple[tuple[date, date], ...]:
    pairs = (part.split("..") for part in _split(text))
    return tuple((date.fromisoformat(start), date.fromisoformat(end)) for start, end in pairs)


def _object(row: Any, share: Callable[[Any], Any]) -> ObjectRecord:
    (oid, name, kind, industry, district, status, risk, id_type, authority, address,
     established, abnormal, serious, departments, tags, inspected) = row  # fmt: skip
    return ObjectRecord(
        oid,
        name,
        kind,
        share(industry),
        share(district),
        status,
        risk,
        share(id_type),
        share(authority),
        address,
        _day(established),
        bool(abnormal),
        bool(serious),
        share(_split(departments)),
        share(_split(tags)),
        _day(inspected),
    )


def _inspector(row: Any) -> InspectorRecord:
    (cert_no, name, department, valid_until, status, post, specialties, leader, expert,
     unavailable, district, home_district) = row  # fmt: skip
    return InspectorRecord(
        cert_no,
        name,
        department,
        _parse_day(valid_until) if isinstance(valid_until, str) else valid_until,
        status,
        post,
        _split(specialties),
        bool(leader),
        bool(expert),
        _ranges(unavailable),
        district,
        home_district,
    )


def _conflict(row: Any, share: Callable[[Any], Any]) -> ConflictRecord:
    cert_no, object_id, relation, valid_from, valid_until = row
    return ConflictRecord(
        share(cert_no), share(object_id), relation, _day(valid_from), _day(valid_until)
    )


def _object_chunks(session: Session, version: int | None) -> Iterator[list[ObjectRecord]]:
    share = _shared()
    for rows in _chunks(session, "objects", _OBJECTS, _OBJECT_COLUMNS, version):
        yield [_object(row, share) for row in rows]


def _inspector_chunks(session: Session, version: int | None) -> Iterator[list[InspectorRecord]]:
    for rows in _chunks(session, "inspectors", _INSPECTORS, _INSPECTOR_COLUMNS, version):
        yield [_inspector(row) for row in rows]


def _conflict_chunks(session: Session, version: int | None) -> Iterator[list[ConflictRecord]]:
    # A province has thousands of officers and a million conflicts, several per object.
    share = _shared()
    for rows in _chunks(session, "conflicts", _CONFLICTS, _CONFLICT_COLUMNS, version):
        yield [_conflict(row, share) for row in rows]


def objects_as_of(session: Session, version: int | None = None) -> list[ObjectRecord]:
    """The objects registry as of ``version`` (None: now), sorted by id."""
    return [record for chunk in _object_chunks(session, version) for record in chunk]


def object_table_as_of(
    session: Session, version: int | None = None, *, particulars: bool = True
) -> ObjectTable:
    """The objects registry as of ``version`` (None: now) as columns, sorted by id:
    no record per object. Each distinct value is held once (a registry of
    millions has a few districts, types and dates); the core checks every
    value when it makes the canonical snapshot (``core.table``).

    On SQLite the texts come as UTF-8 bytes: a few-valued field is coded by its
    bytes and each distinct value decoded and converted once, names and
    addresses stay the bytes they are held as (``Texts``), and the ids of a
    chunk are decoded in one go. ``particulars=False``: the fields no draw
    reads (names, addresses, registration authorities, founding dates:
    :data:`UNREAD_BY_A_DRAW`) are not read (``Unread``); the snapshot's
    digests then come from :func:`object_digests`, and the ids stay one UTF-8
    buffer (``Texts``), not a string per object."""
    ids: list[str] = []
    packed: list[Texts] = []  # without particulars, the ids of each chunk as Texts
    unread = () if particulars else UNREAD_BY_A_DRAW
    parts: dict[str, list[Any]] = {name: [] for name in (*_TEXTS, *_CODED) if name not in unread}
    # Without particulars the rows come as stored, and are sorted here by their ids:
    # one buffer, which numpy sorts in less time than SQLite takes to give the rows
    # in id order.
    for chunk in _column_chunks(session, version, unread=unread, in_id_order=particulars):
        if isinstance(chunk.id, Texts):
            packed.append(chunk.id)
        else:
            ids.extend(chunk.id)
        for name, column in parts.items():
            column.append(getattr(chunk, name))
    table: dict[str, Sequence[Any]] = {"id": ids}
    order: np.ndarray[Any, np.dtype[np.intp]] | None = None  # None: in id order as read
    if packed:
        read, packed = Texts.joined(packed), []  # the chunks' buffers freed
        order = None if read.increasing() else read.order()
        table["id"] = _in_order(read, order)
        del read  # freed too, before the other columns are sorted
    count = len(table["id"])
    for name in _CODED:  # a column at a time, so only one column is held twice
        table[name] = (
            _in_order(_merged(parts.pop(name)), order) if name in parts else _unread(name, count)
        )
    for name in _TEXTS:
        table[name] = Texts.joined(parts.pop(name)) if name in parts else _unread(name, count)
    return ObjectTable(ObjectColumns(**table))  # which refuses an id held twice


_Sortable = TypeVar("_Sortable", Texts, Coded[Any])


def _in_order(column: _Sortable, order: np.ndarray[Any, np.dtype[np.intp]] | None) -> _Sortable:
    """The rows of ``column`` in ``order`` (None: as they are)."""
    return column if order is None else column.reordered(order)


def object_digests(session: Session, version: int | None, algorithm: str) -> tuple[str, str]:
    """The (public, internal) digests of the object snapshot as of ``version`` in
    ``algorithm``, streamed from the stored rows a chunk at a time: memory stays
    that of one chunk, whatever the registry's size. ValueError for a value
    the core refuses, as the snapshot of the whole table would raise."""
    digester = ObjectDigester(algorithm)
    for chunk in _column_chunks(session, version):
        digester.add(chunk)
    return digester.digests()


def internal_object_digest(session: Session, version: int | None) -> tuple[str, bytes]:
    """The digest of the DR-2 object snapshot's internal part as of ``version``
    (names, addresses and what else no draw reads), streamed from the stored
    rows as :func:`object_digests` streams both parts, reading only the part's
    own fields; and the bucket of every row (SPEC §15, a byte each, in id
    order), which the public part's rows share."""
    stream = ObjectDigestStream(public=False)
    for chunk in _column_chunks(session, version, unread=_PUBLIC_ONLY):
        stream.add(chunk)
    internal = stream.part_digests()[1]
    assert internal is not None
    return internal, stream.buckets


class _Coder:
    """The codes of one few-valued column across chunks: each distinct stored value
    gets the next code, and is decoded and converted once."""

    __slots__ = ("convert", "index", "values")

    def __init__(self, convert: Callable[[Any], Any] | None = None) -> None:
        self.convert = convert
        self.index: dict[Any, int] = {}
        self.values: list[Any] = []

    def coded(self, stored: Sequence[Any]) -> Coded[Any]:
        index = self.index
        try:  # usually every value of a chunk has been seen: one lookup per row
            codes = array("I", map(index.__getitem__, stored))
        except KeyError:
            for value in dict.fromkeys(stored):  # first seen, first coded
                if value not in index:
                    index[value] = len(index)
                    decoded = _decoded(value)
                    self.values.append(self.convert(decoded) if self.convert else decoded)
            codes = array("I", map(index.__getitem__, stored))
        # In the narrowest type that numbers the values seen so far: the chunks of a
        # registry's 13 coded columns are all held until merged (3M rows: 39 MB, not 156).
        narrow = np.frombuffer(codes, dtype=np.uint32).astype(narrowest(len(index)))
        return Coded(narrow, self.values)


def _fetched_ahead(fetch: Callable[[], Sequence[Any]]) -> Generator[Sequence[Any], None, None]:
    """The chunks ``fetch`` gives, until an empty one, each fetched by a thread while
    the caller works on the one before. A server's cursor makes a chunk only
    when it is fetched: fetched in turn, the server and this process would
    each wait while the other works (psycopg waits for the server without
    holding the GIL; a connection serves one thread at a time)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="dualrandom-fetch") as ahead:
        coming = ahead.submit(fetch)
        while rows := coming.result():
            coming = ahead.submit(fetch)
            yield rows


def _column_chunks(
    session: Session,
    version: int | None,
    *,
    unread: Collection[str] = (),
    in_id_order: bool = True,
) -> Iterator[ObjectColumns]:
    """The objects as of ``version`` in id order (or not ``in_id_order``: as stored), a
    chunk at a time, as a table's columns: few-valued fields coded with codes shared
    by all chunks, names and addresses ``Texts``, the fields ``unread`` not read
    (``Unread``), and the ids strings, or ``Texts`` where some field is not read."""
    names = tuple(c for c in _OBJECT_COLUMNS if _FIELD_NAME.get(c, c) not in unread)
    coded = [name for name in _CODED if name not in unread]
    at = {name: names.index(_DATABASE_NAME.get(name, name)) for name in ("id", *coded)}
    texts = {name: names.index(name) for name in _TEXTS if name in names}
    coders = {
        name: _Coder(_CONVERTED.get(_OBJECT_COLUMNS.index(_DATABASE_NAME.get(name, name))))
        for name in coded
    }
    not_read = [name for name in _FIELD_NAMES if name in unread]
    chunks = _chunks(
        session, "objects", _OBJECTS, names, version, raw=True, in_key_order=in_id_order
    )
    for rows in chunks:
        columns: list[Sequence[Any]] = list(zip(*rows, strict=True))
        # A draw's ids stay one UTF-8 buffer (a million strings are some 70 MB);
        # the snapshot's digests are made from the stored rows, with the ids as strings.
        ids = columns[at["id"]]
        fields: dict[str, Sequence[Any]] = {"id": _texts_column(ids) if unread else _texts_of(ids)}
        for name, position in texts.items():
            fields[name] = _texts_column(columns[position])
        for name, coder in coders.items():
            fields[name] = coder.coded(columns[at[name]])
        for name in not_read:
            fields[name] = _unread(name, len(rows))
        yield ObjectColumns(**fields)


def _unread(name: str, count: int) -> Unread:
    """A column of ``count`` rows not read: it reads as what a record holds for
    "nothing" (no text, no date, no list, not on a list)."""
    return Unread(count, _NOTHING.get(name, ""))


def _merged(chunks: Sequence[Coded[Any]]) -> Coded[Any]:
    """One coded column of the chunks' columns (codes shared by all chunks), stored
    values that convert to the same value merged into one code."""
    if not chunks:
        return Coded(np.zeros(0, dtype=np.uint32), [])
    codes = np.concatenate([chunk.codes for chunk in chunks])
    values: dict[Any, int] = {}
    remap = np.fromiter(
        (values.setdefault(value, len(values)) for value in chunks[-1].values),
        dtype=np.uint32,
        count=len(chunks[-1].values),
    )
    if len(values) < len(remap):
        codes = remap[codes]
    return Coded(codes.astype(narrowest(len(values)), copy=False), list(values))


def _decoded(value: Any) -> Any:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def _texts_of(values: Sequence[Any]) -> Sequence[str]:
    """Texts (as the driver gives them: strings, or UTF-8 bytes) as strings."""
    if not values or not isinstance(values[0], bytes):
        return list(values)
    joined = b"\x00".join(values).decode("utf-8").split("\x00")
    if len(joined) == len(values):  # no text holds NUL (ids never do: the core checks)
        return joined
    return [_decoded(v) for v in values]


def _texts_column(values: Sequence[Any]) -> Texts:
    """A column of texts (strings, or UTF-8 bytes) as a ``Texts``; bytes are
    checked to be UTF-8 text by text, as the driver would decode them."""
    if not values or not isinstance(values[0], bytes):
        return Texts.of(map(_decoded, values))
    try:
        data = b"".join(values)
    except TypeError:  # not all bytes
        return Texts.of(map(_decoded, values))
    lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    ends = np.cumsum(lengths)
    starts = ends - lengths
    first = np.frombuffer(data, dtype=np.uint8)[starts[lengths > 0]]
    if np.any((first & 0xC0) == 0x80):  # a text starting inside a character
        return Texts.of(map(_decoded, values))  # raises UnicodeDecodeError
    data.decode("utf-8")  # whole characters each, so this checks every text
    return Texts(data, starts, ends)


def inspectors_as_of(session: Session, version: int | None = None) -> list[InspectorRecord]:
    """The inspector registry as of ``version`` (None: now), sorted by certificate number.

    ``home_district`` is personal but the home-district conflict rule needs it;
    id numbers and phone numbers never leave the database.
    """
    return [record for chunk in _inspector_chunks(session, version) for record in chunk]


def conflicts_as_of(session: Session, version: int | None = None) -> list[ConflictRecord]:
    """The declared conflicts as of ``version`` (None: now), sorted by their key."""
    return [record for chunk in _conflict_chunks(session, version) for record in chunk]


def conflict_table_as_of(session: Session, version: int | None = None) -> ConflictTable:
    """:func:`conflicts_as_of` as columns (``core.conflicts``): no record per
    conflict; certificate numbers, relations and dates coded, each distinct
    value decoded and converted once; object ids one UTF-8 buffer."""
    coders = [_Coder(), _Coder(), _Coder(_day), _Coder(_day)]
    coded: list[list[Coded[Any]]] = [[] for _ in coders]
    ids: list[Texts] = []
    for rows in _chunks(session, "conflicts", _CONFLICTS, _CONFLICT_COLUMNS, version, raw=True):
        cert_no, object_id, *others = zip(*rows, strict=True)
        ids.append(_texts_column(object_id))
        for column, coder, chunks in zip((cert_no, *others), coders, coded, strict=True):
            chunks.append(coder.coded(column))
    if not ids:
        return ConflictTable.of(())
    certs, relations, starts, ends = map(_merged, coded)
    return ConflictTable(certs, Texts.joined(ids), relations, starts, ends)


def departments(session: Session) -> list[DepartmentRecord]:
    """Every department, sorted by code (departments are upserted, not versioned)."""
    rows = session.execute(select(DepartmentRow.code, DepartmentRow.name, DepartmentRow.level))
    return sorted((DepartmentRecord(*row) for row in rows), key=lambda d: d.code)


def departments_digest(records: Iterable[DepartmentRecord]) -> str:
    """SHA-256 of the departments in the DR-1 line format: code, name, level, by code."""
    lines = (
        "\t".join(escape(text) for text in (d.code, d.name, d.level))
        for d in sorted(records, key=lambda d: d.code)
    )
    return sha256_hex(join_lines(("code", "name", "level"), lines))


class _JoinedSnapshot:
    """SHA-256 of consecutive snapshots' bytes as if they were one snapshot:
    the first one's header line, then the row lines of all of them."""

    def __init__(self) -> None:
        self.hash = hashlib.sha256()
        self.started = False

    def add(self, data: bytes) -> None:
        self.hash.update(data[data.index(b"\n") + 1 :] if self.started else data)
        self.started = True

    def hexdigest(self, empty: bytes) -> str:
        """The digest; ``empty`` is the snapshot of no records, for a registry with none."""
        if not self.started:
            self.add(empty)
        return self.hash.hexdigest()


_FIELD_NAMES = tuple(f.name for f in dataclasses.fields(ObjectColumns))
_DATABASE_NAME = {"id": "object_id"}  # a field's column where the names differ
# The fields with few distinct values: held as codes (core.table.Coded) in a table.
_CODED = (
    "type",
    "industry",
    "district",
    "status",
    "risk_class",
    "id_type",
    "registration_authority",
    "established",
    "abnormal_list",
    "serious_illegal_list",
    "departments",
    "tags",
    "last_inspected",
)
# The fields held as one UTF-8 buffer (core.table.Texts) in a table: read only
# for the canonical snapshot and the few records made.
_TEXTS = ("name", "address")
# What no draw reads: not read for one (``particulars=False``). Only the internal
# part of the snapshot holds them, which registry.parallel hashes from the rows.
UNREAD_BY_A_DRAW = ("name", "address", "registration_authority", "established")
# What the internal part of the DR-2 snapshot does not hold: not read to hash it
# alone (internal_object_digest), for the drawing process hashes the public part.
_PUBLIC_ONLY = tuple(name for name in _FIELD_NAMES if name not in OBJECT_LAYOUTS[DR2][1])
_NOTHING: dict[str, Any] = {
    "established": None,
    "last_inspected": None,
    "abnormal_list": False,
    "serious_illegal_list": False,
    "departments": (),
    "tags": (),
}
_FIELD_NAME = {column: field for field, column in _DATABASE_NAME.items()}
# Positions in _OBJECT_COLUMNS of the values the database holds in another form.
_CONVERTED: dict[int, Callable[[Any], Any]] = {
    _OBJECT_COLUMNS.index("established"): _day,
    _OBJECT_COLUMNS.index("abnormal_list"): bool,
    _OBJECT_COLUMNS.index("serious_illegal_list"): bool,
    _OBJECT_COLUMNS.index("departments"): _split,
    _OBJECT_COLUMNS.index("tags"): _split,
    _OBJECT_COLUMNS.index("last_inspected"): _day,
}


def _snapshot_digest(
    chunks: Iterable[Sequence[Any]], snapshot: Callable[[Sequence[Any]], Any]
) -> str:
    joined = _JoinedSnapshot()
    for records in chunks:
        joined.add(snapshot(records).data)
    return joined.hexdigest(snapshot([]).data)


def registry_digest(session: Session, kind: str, version: int | None = None) -> str:
    """The digest of the canonical snapshot (docs/SPEC.md) of ``kind`` as of ``version``."""
    if kind == "objects":
        return combine_object_digests(*object_digests(session, version, DR1))
    if kind == "inspectors":
        return _snapshot_digest(_inspector_chunks(session, version), inspectors_snapshot)
    if kind == "conflicts":
        return _snapshot_digest(_conflict_chunks(session, version), conflicts_snapshot)
    if kind == "departments":
        return departments_digest(departments(session))
    raise NotFoundError(f"没有名录库 {kind!r}", f"unknown registry {kind!r}")
