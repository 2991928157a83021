"""The object registry as columns: what a draw holds instead of a record per object.

A provincial registry has millions of objects but a draw reads a handful of
fields, most of them with a few distinct values. :class:`ObjectTable` keeps
the rows as :class:`ObjectColumns` (one list per field, distinct values
shared), sorted by id in code-point order, and is a ``Sequence`` of
:class:`ObjectRecord`: ``table[i]`` builds the record of row ``i`` on demand.
The draw's own passes (canonical digests, pools, selection) read the columns
and build a record only once per distinct combination of the fields a rule
reads, or for the few objects drawn.

A table made from columns is checked exactly as the records would be, by the
canonical snapshot that every prepare computes (``canonical``: each distinct
value goes through ``ObjectRecord`` itself).
"""

from __future__ import annotations

import operator
from bisect import bisect_left
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import fields
from itertools import islice
from operator import attrgetter
from typing import Any, TypeVar, overload

import numpy as np
import numpy.typing as npt

from dualrandom.core.canonical import ObjectColumns, Unread
from dualrandom.core.model import ObjectRecord

__all__ = ["Coded", "ObjectTable", "Picked", "Texts", "narrowest"]

T = TypeVar("T")


class _Column(Sequence[T]):
    """A read-only column: equal to any sequence of the same values, in order, as
    the list it stands for would be (and, like a list, not hashable)."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and all(map(operator.eq, self, other))

    __hash__ = None  # type: ignore[assignment]


class Coded(_Column[T]):
    """A column of few distinct values, held as one small integer per row (an
    index into ``values``; 1, 2 or 4 bytes a row instead of an 8-byte
    reference), and each distinct value once. Reads like the list of its values."""

    __slots__ = ("codes", "values")

    def __init__(self, codes: npt.NDArray[np.unsignedinteger[Any]], values: Sequence[T]) -> None:
        self.codes = codes
        self.values = tuple(values)

    @classmethod
    def of(cls, column: Iterable[T]) -> Coded[T]:
        index: dict[T, int] = {}
        codes = [index.setdefault(value, len(index)) for value in column]
        return cls(np.array(codes, dtype=np.uint32), list(index))

    def __len__(self) -> int:
        return len(self.codes)

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> Coded[T]: ...

    def __getitem__(self, index: int | slice) -> T | Coded[T]:
        if isinstance(index, slice):
            return Coded(self.codes[index], self.values)
        value: T = self.values[int(self.codes[index])]
        return value

    def __iter__(self) -> Iterator[T]:
        return map(self.values.__getitem__, self.codes.tolist())

    def take(self, rows: npt.NDArray[np.intp]) -> list[T]:
        """The values of ``rows``, in that order."""
        return list(map(self.values.__getitem__, self.codes[rows].tolist()))

    def reordered(self, rows: npt.NDArray[np.intp]) -> Coded[T]:
        """The column of ``rows``, in that order."""
        return Coded(self.codes[rows], self.values)


def narrowest(count: int) -> type[np.unsignedinteger[Any]]:
    """The smallest unsigned type that numbers ``count`` values: the codes of a
    column of a few districts take a byte a row, not four."""
    for kind in (np.uint8, np.uint16):
        if count <= np.iinfo(kind).max + 1:
            return kind
    return np.uint32


_NAMES = tuple(f.name for f in fields(ObjectColumns))
_TAKE_ROWS = 1 << 14  # texts decoded at a time when a column of texts is read through


class Texts(_Column[str]):
    """A column of texts held as one UTF-8 buffer and where each text ends:
    about the text's own bytes and 8 bytes a row, instead of a string object
    (some 60 bytes more) per row. Reads like the list of its texts."""

    __slots__ = ("_fixed", "_fixed_known", "data", "ends", "starts")

    def __init__(self, data: bytes, starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64]):
        self.data = data
        self.starts = starts
        self.ends = ends
        self._fixed: npt.NDArray[np.bytes_] | None = None
        self._fixed_known = False

    @classmethod
    def of(cls, texts: Iterable[str]) -> Texts:
        encoded = [text.encode("utf-8") for text in texts]
        ends = np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)))
        starts = np.concatenate((np.zeros(1, dtype=np.int64), ends[:-1]))
        return cls(b"".join(encoded), starts, ends)

    @classmethod
    def joined(cls, parts: Sequence[Texts]) -> Texts:
        """The texts of ``parts`` one after the other."""
        data = b"".join(bytes(p.data[int(p.starts[0]) : int(p.ends[-1])]) for p in parts if len(p))
        lengths = np.concatenate([p.ends - p.starts for p in parts] or [np.zeros(0, np.int64)])
        ends = np.cumsum(lengths, dtype=np.int64)
        return cls(data, ends - lengths, ends)

    def __len__(self) -> int:
        return len(self.ends)

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> Texts: ...

    def __getitem__(self, index: int | slice) -> str | Texts:
        if isinstance(index, slice):
            return Texts(self.data, self.starts[index], self.ends[index])
        return self.data[int(self.starts[index]) : int(self.ends[index])].decode("utf-8")

    def __iter__(self) -> Iterator[str]:
        for start in range(0, len(self.ends), _TAKE_ROWS):
            yield from self.take(slice(start, start + _TAKE_ROWS))

    def take(self, rows: npt.NDArray[np.intp] | slice) -> list[str]:
        """The texts of ``rows``, in that order."""
        data = self.data
        return [
            data[start:end].decode("utf-8")
            for start, end in zip(self.starts[rows].tolist(), self.ends[rows].tolist(), strict=True)
        ]

    def utf8(self, rows: npt.NDArray[np.intp] | slice) -> list[bytes]:
        """The UTF-8 bytes of the texts of ``rows``, in that order (no string made)."""
        data = self.data
        return list(
            map(data.__getitem__, map(slice, self.starts[rows].tolist(), self.ends[rows].tolist()))
        )

    def reordered(self, rows: npt.NDArray[np.intp]) -> Texts:
        """The column of ``rows``, in that order, in a buffer of its own."""
        lengths = (self.ends - self.starts)[rows]
        ends = np.cumsum(lengths, dtype=np.int64)
        fixed = self.fixed_width()
        data = fixed[rows].tobytes() if fixed is not None else b"".join(self.utf8(rows))
        return Texts(data, ends - lengths, ends)

    def order(self) -> npt.NDArray[np.intp]:
        """The rows in the code-point order of their texts (which is the order of their
        UTF-8 bytes), equal texts in the order of their rows."""
        fixed = self.fixed_width()
        if fixed is not None:
            return np.argsort(fixed, kind="stable")
        encoded = self.utf8(slice(None))
        if not encoded or any(b"\x00" in text for text in encoded):
            # numpy pads shorter texts with NUL, so a text ending in NUL would
            # compare equal to the same text without it.
            return np.array(sorted(range(len(encoded)), key=encoded.__getitem__), dtype=np.intp)
        width = max(map(len, encoded)) or 1
        return np.argsort(np.array(encoded, dtype=f"S{width}"), kind="stable")

    def increasing(self) -> bool:
        """Whether each text comes strictly after the one before, in code-point order
        (which is the order of their UTF-8 bytes)."""
        if len(self) < 2:
            return True
        fixed = self.fixed_width()
        if fixed is not None:
            return bool(np.all(fixed[1:] > fixed[:-1]))
        encoded = self.utf8(slice(None))
        return all(map(bytes.__lt__, encoded, islice(encoded, 1, None)))

    def steps(self) -> npt.NDArray[np.int8]:
        """For each text after the first, 1, 0 or -1 as it comes after, equals or comes
        before the text before it, in code-point order."""
        fixed = self.fixed_width()
        if fixed is not None:
            before, after = fixed[:-1], fixed[1:]
        else:
            encoded = self.utf8(slice(None))
            before = np.array(encoded[:-1], dtype=object)
            after = np.array(encoded[1:], dtype=object)
        return (after > before).astype(np.int8) - (after < before).astype(np.int8)

    def rows_of(self, texts: Sequence[str]) -> npt.NDArray[np.intp]:
        """For texts held in increasing order: the row of each of ``texts``, -1 where
        it is not held."""
        fixed = self.fixed_width()
        if fixed is None:
            return np.array([self._bisect(text) for text in texts], dtype=np.intp)
        keys, fits = _fixed_keys(texts, fixed.dtype)
        # Searched in order: each search then takes the path of the one before it
        # through memory (500,000 ids in 10,000,000: 0.33 s instead of 1.11 s).
        order = np.argsort(keys, kind="stable")
        rows = np.empty(len(keys), dtype=np.intp)
        rows[order] = np.searchsorted(fixed, keys[order])
        held = fits & (rows < len(fixed))
        held[held] = fixed[rows[held]] == keys[held]
        rows[~held] = -1
        return rows

    def among(self, wanted: Collection[str]) -> npt.NDArray[np.bool_]:
        """For each text, whether it is one of ``wanted`` (texts in any order)."""
        fixed = self.fixed_width()
        if fixed is None:
            return np.fromiter((text in wanted for text in self), dtype=bool, count=len(self))
        # A text that does not fit is keyed b"", which no text held equals.
        keys = np.sort(_fixed_keys(list(wanted), fixed.dtype)[0])
        if not len(keys):
            return np.zeros(len(fixed), dtype=bool)
        at = np.minimum(np.searchsorted(keys, fixed), len(keys) - 1)
        held: npt.NDArray[np.bool_] = keys[at] == fixed
        return held

    def _bisect(self, text: str) -> int:
        row = bisect_left(self, text)
        return row if row < len(self) and self[row] == text else -1

    def fixed_width(self) -> npt.NDArray[np.bytes_] | None:
        """The texts as one array of fixed-width byte strings over the buffer (no
        copy), which numpy compares as their bytes, when they all have one length,
        lie one after the other and hold no NUL; None otherwise."""
        if not self._fixed_known:
            self._fixed, self._fixed_known = self._find_fixed_width(), True
        return self._fixed

    def _find_fixed_width(self) -> npt.NDArray[np.bytes_] | None:
        if not len(self):
            return None
        lengths = self.ends - self.starts
        width = int(lengths[0])
        if (
            not width
            or not np.all(lengths == width)
            or not np.all(self.starts[1:] == self.ends[:-1])
        ):
            return None
        start = int(self.starts[0])
        if self.data.find(b"\x00", start, start + width * len(self)) >= 0:
            return None
        return np.frombuffer(self.data, dtype=f"S{width}", count=len(self), offset=start)


def _fixed_keys(
    texts: Sequence[str], dtype: np.dtype[np.bytes_]
) -> tuple[npt.NDArray[np.bytes_], npt.NDArray[np.bool_]]:
    """``texts`` as keys comparable with a fixed-width view (``Texts.fixed_width``),
    and which of them fit it: of its width and without NUL (numpy would cut or
    pad the others, so they could compare equal to a text they are not); the
    others are keyed as b""."""
    width = dtype.itemsize
    encoded = [text.encode("utf-8") for text in texts]
    fits = np.array([len(e) == width and b"\x00" not in e for e in encoded], dtype=bool)
    keys = np.array(
        [e if ok else b"" for e, ok in zip(encoded, fits.tolist(), strict=True)], dtype=dtype
    )
    return keys, fits


class Picked(_Column[str]):
    """The ids of some rows of a table, read when asked for: a pool of a million
    objects holds its row numbers (which the draw keeps anyway), not a string per
    member. Reads like the tuple of those ids."""

    __slots__ = ("ids", "rows")

    def __init__(self, ids: Sequence[str], rows: npt.NDArray[np.intp]) -> None:
        self.ids = ids
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> Picked: ...

    def __getitem__(self, index: int | slice) -> str | Picked:
        if isinstance(index, slice):
            return Picked(self.ids, self.rows[index])
        return self.ids[int(self.rows[index])]

    def __iter__(self) -> Iterator[str]:
        for start in range(0, len(self.rows), _TAKE_ROWS):
            rows = self.rows[start : start + _TAKE_ROWS]
            if isinstance(self.ids, Texts):
                yield from self.ids.take(rows)
            else:
                yield from map(self.ids.__getitem__, rows.tolist())

    def utf8(self) -> Iterator[bytes]:
        """The ids' UTF-8 bytes, in order."""
        for start in range(0, len(self.rows), _TAKE_ROWS):
            rows = self.rows[start : start + _TAKE_ROWS]
            if isinstance(self.ids, Texts):
                yield from self.ids.utf8(rows)
            else:
                yield from (self.ids[row].encode("utf-8") for row in rows.tolist())

    def __repr__(self) -> str:
        return f"Picked({len(self)} ids)"


class ObjectTable(Sequence[ObjectRecord]):
    """Objects as columns, rows sorted by id (each id once); a read-only
    sequence of records in id order."""

    __slots__ = ("_columns", "columns", "ids")

    def __init__(self, columns: ObjectColumns) -> None:
        """Rows in any order; they are sorted by id here. ValueError if an id
        occurs twice."""
        ids = columns.id
        if isinstance(ids, Texts) and not ids.increasing():
            columns = _reordered(columns, ids.order())
            ids = sorted_ids = columns.id
            assert isinstance(sorted_ids, Texts)
            if not sorted_ids.increasing():  # in order now: only an id held twice is not after
                twice = int(np.flatnonzero(sorted_ids.steps() == 0)[0])
                raise ValueError(f"object id {sorted_ids[twice]!r} occurs twice")
        if not isinstance(ids, Texts) and not all(map(str.__lt__, ids, islice(ids, 1, None))):
            order = sorted(range(len(ids)), key=ids.__getitem__)
            columns = ObjectColumns(
                *([getattr(columns, name)[i] for i in order] for name in _NAMES)
            )
            ids = columns.id
            for before, after in zip(ids, islice(ids, 1, None), strict=False):
                if before == after:
                    raise ValueError(f"object id {before!r} occurs twice")
        self.columns = columns
        self.ids: Sequence[str] = ids
        self._columns = tuple(getattr(columns, name) for name in _NAMES)

    @classmethod
    def of(cls, objects: Iterable[ObjectRecord]) -> ObjectTable:
        """The table of ``objects`` (any order); a table is returned as it is."""
        if isinstance(objects, ObjectTable):
            return objects
        return cls(ObjectColumns.of(sorted(objects, key=attrgetter("id"))))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ObjectTable):
            return NotImplemented
        return self.columns == other.columns

    __hash__ = None  # type: ignore[assignment]

    def __len__(self) -> int:
        return len(self.ids)

    @overload
    def __getitem__(self, index: int) -> ObjectRecord: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[ObjectRecord, ...]: ...

    def __getitem__(self, index: int | slice) -> ObjectRecord | tuple[ObjectRecord, ...]:
        if isinstance(index, slice):
            return tuple(map(self.record, range(len(self))[index]))
        return self.record(index)

    def record(self, row: int) -> ObjectRecord:
        """The record of row ``row`` (negative counts from the end)."""
        return ObjectRecord(*(column[row] for column in self._columns))

    def __iter__(self) -> Iterator[ObjectRecord]:
        return map(ObjectRecord, *self._columns)

    def row_of(self, object_id: str) -> int:
        """The row of ``object_id``; KeyError if no object has that id."""
        return self.rows_of([object_id])[0]

    def rows_of(self, object_ids: Iterable[str]) -> list[int]:
        """The rows of ``object_ids``, in that order; KeyError for an id no object has."""
        wanted = list(object_ids)
        rows = self.find_rows(wanted)
        for row, object_id in zip(rows, wanted, strict=True):
            if row < 0:
                raise KeyError(object_id)
        return rows

    def find_rows(self, object_ids: Sequence[str]) -> list[int]:
        """The rows of ``object_ids``, in that order, -1 for an id no object has
        (one search for all of them when the ids are ``Texts``)."""
        ids = self.ids
        if isinstance(ids, Texts):
            found: list[int] = ids.rows_of(object_ids).tolist()
            return found
        rows = [bisect_left(ids, object_id) for object_id in object_ids]
        return [
            row if row < len(ids) and ids[row] == object_id else -1
            for row, object_id in zip(rows, object_ids, strict=True)
        ]

    def records(self, object_ids: Iterable[str]) -> list[ObjectRecord]:
        """The records of ``object_ids``, in that order."""
        return self.records_at(self.rows_of(object_ids))

    def records_at(self, rows: Sequence[int]) -> list[ObjectRecord]:
        """The records of rows ``rows``, in that order: each column read once for
        all of them (a draw makes tens of thousands)."""
        at = np.asarray(rows, dtype=np.intp).reshape(-1)
        columns = (
            column.take(at)
            if isinstance(column, Coded | Texts | Unread)
            else [column[i] for i in at.tolist()]
            for column in self._columns
        )
        return list(map(ObjectRecord, *columns))

    def codes(self, name: str) -> npt.NDArray[np.intp]:
        """The column ``name`` as a code per row: equal values, equal codes
        (a coded column's own codes; any other column is coded here)."""
        column = getattr(self.columns, name)
        if not isinstance(column, Coded):
            column = Coded.of(column)
        return column.codes.astype(np.intp)

    def groups(self, names: Sequence[str]) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
        """Rows grouped by the values of the fields ``names``: the group of each row,
        and the first row of each group (groups numbered in order of first row)."""
        count = len(self)
        key = np.zeros(count, dtype=np.int64)
        span = 1  # every key is below this
        for name in names:
            codes = self.codes(name)
            width = int(codes.max(initial=0)) + 1
            if span * width > _KEY_SPAN:  # the combined key would overflow: renumber it
                distinct, key = np.unique(key, return_inverse=True)
                key, span = key.reshape(count), len(distinct)
            # Mixed-radix digits: equal keys exactly when every column's code is equal.
            key *= width
            key += codes
            span *= width
        return _numbered_by_first_row(key)

    def prototypes(self, names: Sequence[str]) -> Iterator[tuple[int, ObjectRecord]]:
        """For each distinct combination of the values of the fields ``names``, the
        first row that has it and its record (rows in id order)."""
        for row in self.groups(names)[1].tolist():
            yield row, self.record(row)


# Keys of combined codes stay below 2**62, so ``key * width + code`` never overflows int64.
_KEY_SPAN = 1 << 62


def _reordered(columns: ObjectColumns, rows: npt.NDArray[np.intp]) -> ObjectColumns:
    """``columns`` with their rows in the order ``rows`` gives."""
    moved: dict[str, Sequence[Any]] = {}
    for name in _NAMES:
        column = getattr(columns, name)
        if isinstance(column, Coded | Texts):
            moved[name] = column.reordered(rows)
        elif isinstance(column, Unread):  # every row reads the same
            moved[name] = column
        else:
            moved[name] = [column[row] for row in rows.tolist()]
    return ObjectColumns(**moved)


def _numbered_by_first_row(
    key: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Rows grouped by equal ``key``: the group of each row, groups numbered in order
    of their first row, and that first row of each. One sort of the keys (a draw
    groups a whole registry this way several times; a sort per column cost more)."""
    count = len(key)
    order = np.argsort(key, kind="stable")  # rows of equal key stay in row order
    ordered = key[order]
    starts = np.ones(count, dtype=bool)
    np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    del ordered
    first = order[starts]  # per group, in key order: its first row (the sort is stable)
    by_first = np.argsort(first)  # first rows are distinct: any sort will do
    number = np.empty(len(first), dtype=np.intp)
    number[by_first] = np.arange(len(first))
    group = np.empty(count, dtype=np.intp)
    group[order] = number[np.cumsum(starts) - 1]
    return group, first[by_first]
