"""Canonical snapshots of the registries (docs/SPEC.md §3; the plan is in plan_json).

A snapshot is a byte string with one header line and one escaped,
tab-separated line per record, rows in a fixed order, so that equal content
always gives equal bytes and equal SHA-256 digests, whatever order or source
the records came from. Each ``parse_*`` function is the exact inverse and
refuses bytes that are not canonical (it re-serialises and compares).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise

from dualrandom.core.encoding import (
    TAG_OBJECTS,
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
    "OBJECT_PUBLIC_FIELDS",
    "ObjectSnapshot",
    "Snapshot",
    "combine_object_digests",
    "conflicts_snapshot",
    "history_snapshot",
    "inspectors_snapshot",
    "objects_snapshot",
    "parse_conflicts",
    "parse_history",
    "parse_inspectors",
    "parse_objects",
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
    """Canonical bytes of one registry and their SHA-256 (64 lowercase hex)."""

    data: bytes
    digest: str


@dataclass(frozen=True, slots=True)
class ObjectSnapshot:
    """The object registry in two parts: ``public_bytes`` (every field but the
    risk class) and ``internal_bytes`` (id, risk class). ``digest`` combines
    the two part digests, so it can be checked from the public part plus the
    published internal digest without seeing any risk class."""

    public_bytes: bytes
    internal_bytes: bytes
    public_digest: str
    internal_digest: str
    digest: str


def _text(value: str, what: str) -> str:
    return escape(check_text(value, what))


def _unique_sorted(keys: list[str], what: str) -> None:
    for before, after in pairwise(keys):
        if before == after:
            raise ValueError(f"{what} {before!r} occurs twice")


def combine_object_digests(public_digest: str, internal_digest: str) -> str:
    """SHA-256("DR-1/objects" 0x00 ‖ lp(public digest) ‖ lp(internal digest))."""
    return tagged_hash(
        TAG_OBJECTS, (digest_bytes(public_digest), digest_bytes(internal_digest))
    ).hex()


def _object_public_fields(r: ObjectRecord) -> tuple[str, ...]:
    """The raw (unescaped) public fields; lists already sorted by the record."""
    return (
        r.id,
        r.id_type,
        r.name,
        str(r.type),
        r.industry,
        r.district,
        r.registration_authority,
        r.address,
        str(r.status),
        fmt_date(r.established),
        fmt_bool(r.abnormal_list),
        fmt_bool(r.serious_illegal_list),
        ";".join(r.departments),
        ";".join(r.tags),
        fmt_date(r.last_inspected),
    )


def _object_public_line(r: ObjectRecord) -> str:
    what = f"object {r.id!r}"
    return "\t".join(
        (
            escape(check_id(r.id, "object id")),
            *(escape(f) for f in _object_public_fields(r)[1:12]),
            escape_list(r.departments, f"{what} departments"),
            escape_list(r.tags, f"{what} tags"),
            fmt_date(r.last_inspected),
        )
    )


def _require_nfc(data: bytes, records: Sequence[ObjectRecord]) -> None:
    """One NFC check over the whole snapshot instead of one per field.

    TAB and LF are starters that compose with nothing, so the snapshot is in
    NFC exactly when every field is; only on failure are the fields checked
    one by one, to name the offending value."""
    if unicodedata.is_normalized("NFC", data.decode("utf-8")):
        return
    for r in records:
        for value in (*_object_public_fields(r), *r.departments, *r.tags):
            check_text(value, f"object {r.id!r}")


def objects_snapshot(records: Iterable[ObjectRecord]) -> ObjectSnapshot:
    """Canonical public and internal parts of the object registry, rows by id."""
    rows = sorted(records, key=lambda r: r.id)
    _unique_sorted([r.id for r in rows], "object id")
    public = join_lines(OBJECT_PUBLIC_FIELDS, (_object_public_line(r) for r in rows))
    _require_nfc(public, rows)
    internal = join_lines(OBJECT_INTERNAL_FIELDS, (f"{escape(r.id)}\t{r.risk_class}" for r in rows))
    public_digest, internal_digest = sha256_hex(public), sha256_hex(internal)
    return ObjectSnapshot(
        public_bytes=public,
        internal_bytes=internal,
        public_digest=public_digest,
        internal_digest=internal_digest,
        digest=combine_object_digests(public_digest, internal_digest),
    )


def parse_objects(public_bytes: bytes, internal_bytes: bytes) -> tuple[ObjectRecord, ...]:
    """Read the two parts of an object snapshot back into records."""
    public_rows = split_lines(public_bytes, OBJECT_PUBLIC_FIELDS, "objects (public)")
    internal_rows = split_lines(internal_bytes, OBJECT_INTERNAL_FIELDS, "objects (internal)")
    if [row[0] for row in public_rows] != [row[0] for row in internal_rows]:
        raise ValueError("objects: the public and internal parts list different ids")
    records = tuple(
        ObjectRecord(
            id=unescape(p[0]),
            id_type=unescape(p[1]),
            name=unescape(p[2]),
            type=ObjectType(p[3]),
            industry=unescape(p[4]),
            district=unescape(p[5]),
            registration_authority=unescape(p[6]),
            address=unescape(p[7]),
            status=ObjectStatus(p[8]),
            established=parse_date(p[9]),
            abnormal_list=parse_bool(p[10]),
            serious_illegal_list=parse_bool(p[11]),
            departments=unescape_list(p[12]),
            tags=unescape_list(p[13]),
            last_inspected=parse_date(p[14]),
            risk_class=RiskClass(i[1]),
        )
        for p, i in zip(public_rows, internal_rows, strict=True)
    )
    again = objects_snapshot(records)
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


def inspectors_snapshot(records: Iterable[InspectorRecord]) -> Snapshot:
    """Canonical inspector registry, rows by certificate number."""
    rows = sorted(records, key=lambda r: r.cert_no)
    _unique_sorted([r.cert_no for r in rows], "certificate number")
    data = join_lines(INSPECTOR_FIELDS, (_inspector_line(r) for r in rows))
    return Snapshot(data, sha256_hex(data))


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
    if inspectors_snapshot(result).data != data:
        raise ValueError("inspectors: the snapshot is not in canonical form")
    return result


def _conflict_key(r: ConflictRecord) -> tuple[str, str, str]:
    return (r.cert_no, r.object_id, str(r.relation))


def conflicts_snapshot(records: Iterable[ConflictRecord]) -> Snapshot:
    """Canonical declared-conflict list, rows by (cert_no, object_id, relation)."""
    rows = sorted(records, key=_conflict_key)
    keys = [_conflict_key(r) for r in rows]
    for before, after in pairwise(keys):
        if before == after:
            raise ValueError(f"conflict {before!r} occurs twice")
    data = join_lines(
        CONFLICT_FIELDS,
        (
            "\t".join(
                (
                    escape(check_id(r.cert_no, "conflict certificate number")),
                    escape(check_id(r.object_id, "conflict object id")),
                    str(r.relation),
                    fmt_date(r.valid_from),
                    fmt_date(r.valid_until),
                )
            )
            for r in rows
        ),
    )
    return Snapshot(data, sha256_hex(data))


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


def history_snapshot(records: Iterable[HistoryRecord]) -> Snapshot:
    """Canonical inspection history. Rows are ordered by (object_id, item_code,
    date, officers field); identical rows are kept, since each one counts."""
    keyed = sorted(
        ((r.object_id, r.item_code, r.date.isoformat(), _history_line(r)) for r in records),
    )
    data = join_lines(HISTORY_FIELDS, (line for *_, line in keyed))
    return Snapshot(data, sha256_hex(data))


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
