"""DR-2 bucketed snapshot digests (docs/SPEC.md §15).

A table's rows fall into 256 buckets by the first byte of
SHA-256("DR-2/bucket" 0x00 ‖ key), where the key is the row's first field as
written in its line. Each bucket is hashed on its own (its lines in file
order) and the snapshot digest combines the 256 bucket digests:

    D = H(T_SNAPSHOT; UTF-8(table), header line, u64be(rows), B[0], …, B[255])

So a database (one ``GROUP BY`` bucket, ``string_agg`` in key order) or
Spark (one ``groupBy``) computes the same digest in parallel, without a
global row number and without one huge byte string, and Python needs one
extra SHA-256 per row. :class:`BucketedDigest` takes the rows in pieces —
in file order, or bucket by bucket — and holds only 256 hash states.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from dualrandom.core.encoding import TAG2_BUCKET, TAG2_SNAPSHOT, join_lines, tagged_hash

__all__ = [
    "BUCKETS",
    "EMPTY_BUCKET",
    "TABLES",
    "BucketedDigest",
    "bucket_of",
    "buckets_of",
    "combine_buckets",
    "data_buckets",
    "file_digest",
    "line_keys",
]

BUCKETS = 256
EMPTY_BUCKET = hashlib.sha256(b"").digest()
# The table names of SPEC §15, as they enter the snapshot digest.
TABLES = (
    "objects-public",
    "objects-internal",
    "inspectors",
    "conflicts",
    "history",
    "exclusions",
    "outside",
    "quotas",
    "exclusions-public",  # committed at prepare too, so the public can check it (SPEC §17)
)
_SMALL = 64  # pieces with fewer rows are hashed row by row, not grouped
_BLOCK_ROWS = 1 << 13  # lines grouped by bucket at a time by add_data (bounded memory)
_PIECE_BYTES = 1 << 24  # of a file given whole, added at a time by file_digest


def bucket_of(key: bytes) -> int:
    """The bucket of a row whose first field is written ``key`` (UTF-8, escaped)."""
    return hashlib.sha256(TAG2_BUCKET + key).digest()[0]


def buckets_of(keys: Sequence[bytes]) -> bytes:
    """The bucket of every key, one byte each, in order (one SHA-256 per key)."""
    sha256, tag = hashlib.sha256, TAG2_BUCKET
    return bytes([sha256(tag + key).digest()[0] for key in keys])


def line_keys(lines: Sequence[bytes]) -> list[bytes]:
    """The first field of every line (the bytes before its first TAB)."""
    return [line.partition(b"\t")[0] for line in lines]


def _line_bounds(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Where each line of ``data`` (whole lines, each ending with LF) starts and ends
    (the end after its LF)."""
    ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10) + 1
    starts = np.empty_like(ends)
    starts[:1] = 0
    starts[1:] = ends[:-1]
    return starts, ends


def data_buckets(data: bytes) -> bytes:
    """The bucket of every line of ``data`` (whole lines, each ending with LF), one
    byte each: :func:`buckets_of` the :func:`line_keys` of its lines."""
    starts, ends = _line_bounds(data)
    tabs = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 9)
    first_tab = np.append(tabs, len(data))[np.searchsorted(tabs, starts)]
    key_ends = np.minimum(first_tab, ends - 1)  # a line without TAB is all key
    return buckets_of([data[s:e] for s, e in zip(starts.tolist(), key_ends.tolist(), strict=True)])


def combine_buckets(table: str, header: bytes, count: int, digests: Sequence[bytes]) -> str:
    """The snapshot digest from its 256 bucket digests (each 32 raw bytes), as hex.

    ``header`` is the header line with its LF. This is the step a database or
    Spark job ends with after computing the bucket digests itself."""
    if table not in TABLES:
        raise ValueError(f"table {table!r} is not one of {', '.join(TABLES)}")
    if len(digests) != BUCKETS or any(len(d) != 32 for d in digests):
        raise ValueError(f"a snapshot digest needs {BUCKETS} bucket digests of 32 bytes")
    if not header.endswith(b"\n") or header.count(b"\n") != 1:
        raise ValueError(f"header {header!r} is not one line ending with LF")
    fields = [table.encode("utf-8"), header, count.to_bytes(8, "big"), *digests]
    return tagged_hash(TAG2_SNAPSHOT, fields).hex()


class BucketedDigest:
    """The DR-2 digest of one table, fed a piece at a time (SPEC §15).

    Rows may come in any interleaving that keeps the rows of each bucket in
    file order: the whole file in order, chunk after chunk, or bucket by
    bucket (:meth:`add_bucket`). Nothing but 256 hash states is held. The
    caller is responsible for the file order itself (the snapshot builders
    sort and check it)."""

    __slots__ = ("_count", "_hashes", "header", "table")

    def __init__(self, table: str, header: Sequence[str] | bytes) -> None:
        """``header``: the field names, or the header line itself (with its LF)."""
        if table not in TABLES:
            raise ValueError(f"table {table!r} is not one of {', '.join(TABLES)}")
        self.table = table
        self.header = header if isinstance(header, bytes) else join_lines(header, ())
        self._hashes = [hashlib.sha256() for _ in range(BUCKETS)]
        self._count = 0

    @property
    def count(self) -> int:
        """Rows added so far."""
        return self._count

    def add(self, lines: Sequence[bytes], buckets: bytes | None = None) -> bytes:
        """Add rows given as lines *without* their LF, in file order.

        ``buckets`` (one byte per line, from :func:`buckets_of`) saves the
        hashing when the caller knows them, e.g. for the second part of the
        object snapshot, whose rows have the same keys. Returns the buckets."""
        if buckets is None:
            buckets = buckets_of(line_keys(lines))
        elif len(buckets) != len(lines):
            raise ValueError(f"{len(buckets)} buckets for {len(lines)} lines")
        hashes = self._hashes
        if len(lines) < _SMALL:
            for bucket, line in zip(buckets, lines, strict=True):
                hashes[bucket].update(line + b"\n")
        else:
            groups: list[list[bytes]] = [[] for _ in range(BUCKETS)]
            appends = [group.append for group in groups]
            for bucket, line in zip(buckets, lines, strict=True):
                appends[bucket](line)
            for bucket, group in enumerate(groups):
                if group:
                    group.append(b"")  # so that the join ends with LF
                    hashes[bucket].update(b"\n".join(group))
        self._count += len(lines)
        return buckets

    def add_data(self, data: bytes, buckets: bytes | None = None) -> bytes:
        """Add whole lines, each ending with LF (a piece of the file after its header).

        The lines are grouped by bucket with numpy, a block at a time, and each
        bucket's group hashed in one update: no object per line."""
        if not data:
            return b""
        if not data.endswith(b"\n"):
            raise ValueError(f"{self.table}: a piece of lines does not end with LF")
        starts, ends = _line_bounds(data)
        count = len(ends)
        if buckets is None:
            buckets = data_buckets(data)
        elif len(buckets) != count:
            raise ValueError(f"{len(buckets)} buckets for {count} lines")
        if count < _SMALL:
            lines = data.split(b"\n")
            lines.pop()
            return self.add(lines, buckets)
        raw = np.frombuffer(data, dtype=np.uint8)
        of = np.frombuffer(buckets, dtype=np.uint8)
        hashes = self._hashes
        for first in range(0, count, _BLOCK_ROWS):
            block = slice(first, first + _BLOCK_ROWS)
            bucket = of[block]
            order = np.argsort(bucket, kind="stable")  # by bucket, file order within
            lengths = (ends[block] - starts[block])[order]
            moved_ends = np.cumsum(lengths)
            shift = np.repeat(starts[block][order] - (moved_ends - lengths), lengths)
            grouped = raw[np.arange(int(moved_ends[-1]), dtype=np.int64) + shift]
            counts = np.bincount(bucket, minlength=BUCKETS)
            bounds = np.concatenate(([0], moved_ends))[np.concatenate(([0], np.cumsum(counts)))]
            limits = bounds.tolist()
            for b in np.flatnonzero(counts).tolist():
                hashes[b].update(grouped[limits[b] : limits[b + 1]])
        self._count += count
        return buckets

    def add_bucket(self, bucket: int, data: bytes, count: int) -> None:
        """Add ``count`` lines (with their LFs) that all fall in ``bucket``, in file order.

        For a caller that has the rows grouped by bucket already; the bucket of
        each line is not recomputed, so the caller vouches for it."""
        if not 0 <= bucket < BUCKETS:
            raise ValueError(f"bucket {bucket} is not in 0..{BUCKETS - 1}")
        if data.count(b"\n") != count or (data and not data.endswith(b"\n")):
            raise ValueError(f"{self.table}: bucket {bucket} data does not hold {count} lines")
        self._hashes[bucket].update(data)
        self._count += count

    def bucket_digests(self) -> list[bytes]:
        """B[0] … B[255] so far (an empty bucket's is SHA-256 of no bytes)."""
        return [h.digest() for h in self._hashes]

    def hexdigest(self) -> str:
        """The snapshot digest D of the rows added so far, 64 lowercase hex digits."""
        return combine_buckets(self.table, self.header, self._count, self.bucket_digests())


def file_digest(table: str, data: bytes) -> str:
    """The DR-2 digest of a whole table file (header line, then rows, each with LF).

    The rows are added a piece of about 16 MiB of whole lines at a time, so the
    positions and keys held meanwhile are those of a piece, not of the file."""
    if not data.endswith(b"\n"):
        raise ValueError(f"{table}: the last line does not end with LF")
    end = data.index(b"\n") + 1
    digest = BucketedDigest(table, data[:end])
    while end < len(data):
        cut = data.find(b"\n", end + _PIECE_BYTES) + 1 or len(data)
        digest.add_data(data[end:cut])
        end = cut
    return digest.hexdigest()
