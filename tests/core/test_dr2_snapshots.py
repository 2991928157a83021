"""DR-2 snapshots: the bucketed digest (SPEC §15) and the object split (§16).

The bucketed digest is recomputed here naively from the SPEC text (sort the
lines into 256 lists, hash each, hash the tuple) and compared with every way
the core offers to compute it: whole file, pieces, bucket by bucket, the
snapshot builder in any row order and the streaming digest in id order.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dualrandom.core import buckets
from dualrandom.core.buckets import (
    BUCKETS,
    BucketedDigest,
    bucket_of,
    buckets_of,
    combine_buckets,
    file_digest,
)
from dualrandom.core.canonical import (
    OBJECT_LAYOUTS,
    ObjectColumns,
    ObjectDigestStream,
    ObjectSnapshotBuilder,
    conflicts_snapshot,
    history_snapshot,
    inspectors_snapshot,
    objects_snapshot,
    parse_objects,
)
from tests.core.factories import obj
from tests.core.test_dr1_canonical import object_lists
from tests.core.vector_inputs import CONFLICTS, HISTORY, INSPECTORS, OBJECTS


def lp(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


def naive_digest(table: str, data: bytes) -> str:
    """SPEC §15 read literally: bucket of each row by its first field, each
    bucket's lines in file order hashed, then the tagged hash of the tuple."""
    header, *rows = data.decode().split("\n")[:-1]
    lines: list[list[bytes]] = [[] for _ in range(256)]
    for row in rows:
        key = row.split("\t")[0].encode()
        bucket = hashlib.sha256(b"DR-2/bucket\x00" + key).digest()[0]
        lines[bucket].append(row.encode() + b"\n")
    message = b"DR-2/snapshot\x00" + lp(table.encode()) + lp(header.encode() + b"\n")
    message += lp(len(rows).to_bytes(8, "big"))
    for bucket_lines in lines:
        message += lp(hashlib.sha256(b"".join(bucket_lines)).digest())
    return hashlib.sha256(message).hexdigest()


def test_file_digest_is_the_specified_bucketed_hash() -> None:
    snap = objects_snapshot(OBJECTS, "DR-2")
    assert file_digest("objects-public", snap.public_bytes) == snap.public_digest
    assert naive_digest("objects-public", snap.public_bytes) == snap.public_digest
    assert naive_digest("objects-internal", snap.internal_bytes) == snap.internal_digest
    for table, data in (
        ("inspectors", inspectors_snapshot(INSPECTORS).data),
        ("conflicts", conflicts_snapshot(CONFLICTS).data),
        ("history", history_snapshot(HISTORY).data),
    ):
        assert file_digest(table, data) == naive_digest(table, data)


@pytest.mark.parametrize("piece", [1, 40, 1000])
def test_a_file_digested_a_piece_at_a_time_is_the_specified_hash(
    monkeypatch: pytest.MonkeyPatch, piece: int
) -> None:
    """file_digest adds a large file in pieces of whole lines (16 MiB each): with
    pieces of a few bytes, every line a piece or several, the same digest."""
    monkeypatch.setattr(buckets, "_PIECE_BYTES", piece)
    data = objects_snapshot(OBJECTS * 1, "DR-2").internal_bytes
    assert data.count(b"\n") > 3
    assert file_digest("objects-internal", data) == naive_digest("objects-internal", data)


def test_the_table_name_header_and_count_are_bound() -> None:
    data = inspectors_snapshot(INSPECTORS).data
    digest = file_digest("inspectors", data)
    assert file_digest("history", data) != digest
    assert hashlib.sha256(data).hexdigest() != digest
    empty = [hashlib.sha256(b"").digest()] * BUCKETS
    assert combine_buckets("outside", b"id\n", 0, empty) == file_digest("outside", b"id\n")
    assert combine_buckets("outside", b"id\n", 1, empty) != file_digest("outside", b"id\n")
    with pytest.raises(ValueError, match="not one of"):
        file_digest("registry", data)
    with pytest.raises(ValueError, match="256 bucket digests"):
        combine_buckets("outside", b"id\n", 0, empty[:-1])


def test_pieces_and_buckets_give_the_same_digest() -> None:
    """Fed in pieces of any size, or bucket by bucket (as a database would), or
    with the buckets known: the digest of the whole file."""
    data = objects_snapshot(OBJECTS * 1, "DR-2").public_bytes
    header, _, body = data.partition(b"\n")
    fields = header.decode().split("\t")
    lines = body.split(b"\n")[:-1]
    expected = file_digest("objects-public", data)
    for size in (1, 3, 7, 100):
        digest = BucketedDigest("objects-public", fields)
        for start in range(0, len(lines), size):
            digest.add_data(b"".join(line + b"\n" for line in lines[start : start + size]))
        assert digest.hexdigest() == expected
        assert digest.count == len(lines)
    by_bucket: dict[int, list[bytes]] = {}
    for line in lines:
        by_bucket.setdefault(bucket_of(line.split(b"\t")[0]), []).append(line + b"\n")
    digest = BucketedDigest("objects-public", header + b"\n")
    for bucket in sorted(by_bucket, reverse=True):
        digest.add_bucket(bucket, b"".join(by_bucket[bucket]), len(by_bucket[bucket]))
    assert digest.hexdigest() == expected
    known = BucketedDigest("objects-public", fields)
    many = lines * 40  # past the row-by-row threshold: the grouped path
    known.add(many, buckets_of([line.split(b"\t")[0] for line in many]))
    naive = naive_digest("objects-public", header + b"\n" + b"".join(x + b"\n" for x in many))
    assert known.hexdigest() == naive


def test_object_split_keeps_names_and_addresses_out_of_the_public_part() -> None:
    snap = objects_snapshot(OBJECTS, "DR-2")
    public, internal = OBJECT_LAYOUTS["DR-2"]
    assert snap.public_bytes.split(b"\n")[0].decode().split("\t") == list(public)
    assert snap.internal_bytes.split(b"\n")[0].decode().split("\t") == list(internal)
    for o in OBJECTS:
        assert o.name.encode() not in snap.public_bytes
        if o.address:
            assert o.address.replace("\\", "\\\\").encode() in snap.internal_bytes
    dr1 = objects_snapshot(OBJECTS)
    assert snap.digest != dr1.digest and snap.public_digest != dr1.public_digest
    renamed = objects_snapshot((replace(o, name="改名", risk_class="A") for o in OBJECTS), "DR-2")
    assert renamed.public_bytes == snap.public_bytes
    assert renamed.public_digest == snap.public_digest
    assert renamed.internal_digest != snap.internal_digest


@settings(max_examples=60)
@given(object_lists(), st.randoms(use_true_random=False))
def test_dr2_object_snapshot_is_order_free_and_parses_back(
    records: list,  # type: ignore[type-arg]
    rnd: random.Random,
) -> None:
    snap = objects_snapshot(records, "DR-2")
    shuffled = records[:]
    rnd.shuffle(shuffled)
    assert objects_snapshot(shuffled, "DR-2") == snap
    assert set(parse_objects(snap.public_bytes, snap.internal_bytes, "DR-2")) == set(records)
    assert snap.public_digest == naive_digest("objects-public", snap.public_bytes)
    builder = ObjectSnapshotBuilder("DR-2")
    rows = shuffled
    while rows:
        size = rnd.randint(1, 3)
        builder.add(ObjectColumns.of(rows[:size]))
        rows = rows[size:]
    assert builder.snapshot() == snap
    assert builder.digest() == snap.digest
    stream = ObjectDigestStream()
    ordered = sorted(records, key=lambda r: r.id)
    while ordered:
        size = rnd.randint(1, 3)
        stream.add(ObjectColumns.of(ordered[:size]))
        ordered = ordered[size:]
    assert stream.digests() == (snap.public_digest, snap.internal_digest, snap.digest)


@settings(max_examples=30)
@given(st.randoms(use_true_random=False))
def test_registry_snapshots_are_order_free_in_dr2(rnd: random.Random) -> None:
    for records, snapshot in (
        (list(INSPECTORS), inspectors_snapshot),
        (list(CONFLICTS), conflicts_snapshot),
        ([*HISTORY, HISTORY[1]], history_snapshot),
    ):
        expected = snapshot(records, "DR-2")  # type: ignore[operator]
        rnd.shuffle(records)
        again = snapshot(records, "DR-2")  # type: ignore[operator]
        assert again == expected
        assert again.data == snapshot(records).data  # type: ignore[operator]


def test_stream_takes_rows_bucket_by_bucket_and_refuses_disorder() -> None:
    records = sorted(OBJECTS, key=lambda o: o.id)
    expected = objects_snapshot(records, "DR-2")
    by_bucket = sorted(records, key=lambda o: (bucket_of(o.id.encode()), o.id))
    stream = ObjectDigestStream()
    stream.add(ObjectColumns.of(by_bucket))
    assert stream.digests()[2] == expected.digest
    stream = ObjectDigestStream()
    stream.add(ObjectColumns.of(records))
    with pytest.raises(ValueError, match="id order"):
        stream.add(ObjectColumns.of(records[:1]))
    with pytest.raises(ValueError, match="id order"):
        ObjectDigestStream().add(ObjectColumns.of([obj("X1"), obj("X1")]))


def test_dr2_snapshots_refuse_what_dr1_refuses() -> None:
    with pytest.raises(ValueError, match="normal form C"):
        objects_snapshot([obj("X1", name="e\u0301")], "DR-2")
    with pytest.raises(ValueError, match="normal form C"):
        ObjectDigestStream().add(ObjectColumns.of([obj("X1", address="e\u0301")]))
    with pytest.raises(ValueError, match="occurs twice"):
        objects_snapshot([obj("X1"), obj("X1")], "DR-2")
    with pytest.raises(ValueError, match="DR-3"):
        objects_snapshot([], "DR-3")
    snap = objects_snapshot(OBJECTS, "DR-2")
    with pytest.raises(ValueError):
        parse_objects(snap.public_bytes, snap.internal_bytes)  # a DR-2 snapshot read as DR-1
