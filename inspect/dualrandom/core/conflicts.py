"""Declared conflicts (回避关系) as columns: what a draw holds instead of a record each.

A province declares hundreds of thousands of conflicts over a few thousand
officers, six relations and a few dates. :class:`ConflictTable` holds them
as columns — certificate numbers, relations and dates coded, object ids one
UTF-8 buffer — and is a ``Sequence`` of :class:`ConflictRecord` that builds
a record only when asked: a draw needs the records of the objects it visits
(:meth:`ConflictTable.of_objects`), and writes the canonical snapshot
(SPEC §3.3) of all of them (:meth:`ConflictTable.snapshot`) with numpy.

A table is checked at construction as its records would be (each relation a
:class:`Relation`, no conflict valid from after it is valid until); its
snapshot gives the bytes and the errors ``canonical.conflicts_snapshot``
gives for its records, which it falls back to for anything unusual (rows
out of order or repeated, an id that is empty, holds NUL, needs escaping or
is not NFC).
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from datetime import date
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from dualrandom.core.buckets import BucketedDigest, buckets_of
from dualrandom.core.canonical import (
    _ESCAPED,
    CONFLICT_FIELDS,
    Part,
    Snapshot,
    _assemble,
    _coded_part,
    conflicts_snapshot,
)
from dualrandom.core.encoding import DR1, check_algorithm, fmt_date, join_lines, sha256_hex
from dualrandom.core.model import ConflictRecord, Relation
from dualrandom.core.table import Coded, Texts, _Column

__all__ = ["ConflictTable", "conflict_snapshot", "conflicts_by_object"]

# What no field written as it is held may contain: what escaping changes, and NUL.
_REFUSED = (*(c.encode() for c in _ESCAPED), b"\x00")
_BLOCK_ROWS = 1 << 16  # rows assembled at a time: numpy's index arrays stay a few MB


class ConflictTable(_Column[ConflictRecord]):
    """Conflicts as columns, rows in any order (a registry gives them in the
    snapshot's order: certificate number, object id, relation). Reads like the
    list of its records."""

    __slots__ = ("cert_no", "object_id", "relation", "valid_from", "valid_until")

    def __init__(
        self,
        cert_no: Coded[str],
        object_id: Texts,
        relation: Coded[Any],
        valid_from: Coded[date | None],
        valid_until: Coded[date | None],
    ) -> None:
        """ValueError as the records would raise it: for a relation that is not a
        :class:`Relation`, or the first row valid from after it is valid until."""
        columns = (cert_no, object_id, relation, valid_from, valid_until)
        if len({len(column) for column in columns}) > 1:
            raise ValueError(f"conflict columns of different lengths: {list(map(len, columns))}")
        self.cert_no = cert_no
        self.object_id = object_id
        self.relation: Coded[Relation] = Coded(relation.codes, list(map(Relation, relation.values)))
        self.valid_from = valid_from
        self.valid_until = valid_until
        self._check_dates()

    @classmethod
    def of(cls, records: Iterable[ConflictRecord]) -> ConflictTable:
        """The table of ``records``, in their order."""
        rows = list(records)
        return cls(
            Coded.of(r.cert_no for r in rows),
            Texts.of(r.object_id for r in rows),
            Coded.of(r.relation for r in rows),
            Coded.of(r.valid_from for r in rows),
            Coded.of(r.valid_until for r in rows),
        )

    def _check_dates(self) -> None:
        starts, ends = _ordinals(self.valid_from), _ordinals(self.valid_until)
        late = np.flatnonzero((starts > 0) & (ends > 0) & (starts > ends))
        if len(late):
            self[int(late[0])]  # the record refuses it, with its own message
            raise AssertionError("ConflictRecord accepted what the table refused")

    def __len__(self) -> int:
        return len(self.object_id)

    @overload
    def __getitem__(self, index: int) -> ConflictRecord: ...

    @overload
    def __getitem__(self, index: slice) -> ConflictTable: ...

    def __getitem__(self, index: int | slice) -> ConflictRecord | ConflictTable:
        if isinstance(index, slice):
            cert_no, object_id, relation, valid_from, valid_until = self._columns()
            return ConflictTable(
                cert_no[index],
                object_id[index],
                relation[index],
                valid_from[index],
                valid_until[index],
            )
        return self.records_at(np.array([index], dtype=np.intp))[0]

    def __iter__(self) -> Iterator[ConflictRecord]:
        return map(ConflictRecord, *self._columns())

    def __repr__(self) -> str:
        return f"ConflictTable({len(self)} conflicts)"

    def _columns(
        self,
    ) -> tuple[Coded[str], Texts, Coded[Relation], Coded[date | None], Coded[date | None]]:
        return (self.cert_no, self.object_id, self.relation, self.valid_from, self.valid_until)

    def records_at(self, rows: npt.NDArray[np.intp]) -> list[ConflictRecord]:
        """The records of rows ``rows``, in that order."""
        return list(map(ConflictRecord, *(column.take(rows) for column in self._columns())))

    def of_objects(self, object_ids: Collection[str]) -> dict[str, list[ConflictRecord]]:
        """The conflicts of the objects ``object_ids``, by object id, each object's in
        row order; a record is made only for these (a draw visits a few percent)."""
        rows = np.flatnonzero(self.object_id.among(object_ids))
        index: dict[str, list[ConflictRecord]] = defaultdict(list)
        for record in self.records_at(rows):
            index[record.object_id].append(record)
        return index

    def snapshot(self, algorithm: str = DR1) -> Snapshot:
        """``canonical.conflicts_snapshot`` of the records, byte for byte."""
        written = self._written()
        if written is None:
            return conflicts_snapshot(list(self), algorithm)
        header, body = written
        if check_algorithm(algorithm) == DR1:
            return Snapshot(header + body, sha256_hex(header + body))
        # A row's bucket is its certificate number's (SPEC §15): a few thousand
        # hashes for a province's conflicts, not one a row.
        of_cert = np.frombuffer(buckets_of(self._certs()), dtype=np.uint8)
        digest = BucketedDigest("conflicts", header)
        digest.add_data(body, of_cert[self.cert_no.codes].tobytes())
        return Snapshot(header + body, digest.hexdigest())

    def _certs(self) -> list[bytes]:
        return [cert.encode("utf-8") for cert in self.cert_no.values]

    def _written(self) -> tuple[bytes, bytes] | None:
        """The snapshot's header line and rows, assembled by numpy from each distinct
        value's bytes and the ids' own UTF-8, a block of rows at a time; None (the
        records' path decides) unless the rows strictly increase and every value
        is written as it is held."""
        ids = self.object_id
        certs = self._certs()
        if not (
            len(self)
            and self._increasing()
            and all(certs)
            and all(map(_plain, certs))
            and (ids.ends > ids.starts).all()
        ):
            return None
        coded = {
            "cert_no": _coded_part(certs, self.cert_no.codes),
            "relation": _coded_part(
                [str(r).encode("utf-8") for r in self.relation.values], self.relation.codes
            ),
            "valid_from": _date_part(self.valid_from),
            "valid_until": _date_part(self.valid_until),
        }
        blocks = []
        for first in range(0, len(self), _BLOCK_ROWS):
            rows = slice(first, first + _BLOCK_ROWS)
            starts, ends = ids.starts[rows], ids.ends[rows]
            low, high = int(starts.min()), int(ends.max())
            buffer = bytes(ids.data[low:high])
            if not _plain(buffer):
                return None  # an id to escape, or one holding NUL
            parts = {name: (data, at[rows], size[rows]) for name, (data, at, size) in coded.items()}
            parts["object_id"] = (buffer, starts - low, ends - starts)
            blocks.append(_assemble(parts, CONFLICT_FIELDS, len(starts)))
        body = b"".join(blocks)
        # TAB and LF compose with nothing: the rows are NFC exactly when every field is.
        if not unicodedata.is_normalized("NFC", body.decode("utf-8")):
            return None  # the records' path names the identifier
        return join_lines(CONFLICT_FIELDS, ()), body

    def _increasing(self) -> bool:
        """Whether each row's (certificate number, object id, relation) comes strictly
        after the row before's: the snapshot's order, each conflict once."""
        if len(self) < 2:
            return True
        cert = np.diff(_ranks(self.cert_no))
        relation = np.diff(_ranks(self.relation))
        step = np.where(cert != 0, cert, self.object_id.steps())
        step = np.where(step != 0, step, relation)
        return bool(np.all(step > 0))


def conflict_snapshot(conflicts: Iterable[ConflictRecord], algorithm: str = DR1) -> Snapshot:
    """The canonical conflict snapshot: a table writes its own, any other records
    go through ``canonical.conflicts_snapshot``."""
    if isinstance(conflicts, ConflictTable):
        return conflicts.snapshot(algorithm)
    return conflicts_snapshot(conflicts, algorithm)


def conflicts_by_object(
    conflicts: Iterable[ConflictRecord], object_ids: Collection[str]
) -> dict[str, list[ConflictRecord]]:
    """The conflicts of the objects ``object_ids`` (those visited), by object id."""
    if isinstance(conflicts, ConflictTable):
        return conflicts.of_objects(object_ids)
    index: dict[str, list[ConflictRecord]] = defaultdict(list)
    for record in conflicts:
        if record.object_id in object_ids:
            index[record.object_id].append(record)
    return index


def _ordinals(column: Coded[date | None]) -> npt.NDArray[np.int64]:
    """Each row's date as its proleptic ordinal (0: none)."""
    days = np.array([d.toordinal() if d else 0 for d in column.values], dtype=np.int64)
    if not len(days):
        return np.zeros(len(column), dtype=np.int64)
    ordinals: npt.NDArray[np.int64] = days[column.codes]
    return ordinals


def _ranks(column: Coded[Any]) -> npt.NDArray[np.int64]:
    """Each row's value as its rank among the column's values, in string order."""
    order = sorted(range(len(column.values)), key=lambda code: str(column.values[code]))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    ranks: npt.NDArray[np.int64] = rank[column.codes]
    return ranks


def _plain(data: bytes) -> bool:
    """Whether ``data`` holds nothing escaped or refused in an identifier."""
    return not any(c in data for c in _REFUSED)


def _date_part(column: Coded[date | None]) -> Part:
    return _coded_part([fmt_date(d).encode("ascii") for d in column.values], column.codes)
