"""Declared conflicts as columns (core.conflicts): a table reads like its records,
refuses what they refuse, and writes their canonical snapshot byte for byte."""

from __future__ import annotations

import random
from datetime import date, timedelta
from itertools import pairwise
from typing import Any

import pytest

from dualrandom.core import DR1, DR2, ConflictTable, conflict_snapshot, conflicts_snapshot
from dualrandom.core import conflicts as conflicts_module
from dualrandom.core.conflicts import conflicts_by_object
from dualrandom.core.model import ConflictRecord, Relation
from dualrandom.core.table import Coded, Texts

USCC = "91211100MA0Q{:05d}P"  # 18 characters: the ids of a real registry have one width


def _conflicts(count: int, seed: int, ids: str = USCC) -> list[ConflictRecord]:
    """``count`` distinct conflicts, a few officers over many objects, in key order."""
    rng = random.Random(seed)
    keys = {
        (f"2111{rng.randrange(30):04d}", ids.format(rng.randrange(400)), rng.choice(list(Relation)))
        for _ in range(count)
    }
    start = date(2026, 1, 1)
    records = []
    for cert, object_id, relation in sorted(keys):
        since = rng.choice([None, start + timedelta(days=rng.randrange(300))])
        until = rng.choice([None, date(2027, 6, 30)])
        records.append(ConflictRecord(cert, object_id, relation, since, until))
    return records


def _uses_numpy(table: ConflictTable) -> bool:
    return table._written() is not None


def test_a_table_reads_like_its_records() -> None:
    records = _conflicts(60, seed=1)
    table = ConflictTable.of(records)
    assert len(table) == len(records) and table == records and list(table) == records
    assert table[0] == records[0] and table[-1] == records[-1]
    assert table[5:9] == records[5:9] and isinstance(table[5:9], ConflictTable)
    assert table.records_at([3, 1]) == [records[3], records[1]]  # type: ignore[arg-type]
    assert all(isinstance(r.relation, Relation) for r in table)
    with pytest.raises(IndexError):
        table[len(records)]


@pytest.mark.parametrize("algorithm", [DR1, DR2])
@pytest.mark.parametrize("seed", range(6))
def test_the_snapshot_is_the_records_snapshot_byte_for_byte(
    algorithm: str, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Assembled by numpy, from rows in key order (in blocks of rows, here of 7
    for odd seeds): the bytes and the digest that canonical.conflicts_snapshot
    writes for the records (written row by row there)."""
    if seed % 2:
        monkeypatch.setattr(conflicts_module, "_BLOCK_ROWS", 7)
    records = _conflicts(200, seed)
    table = ConflictTable.of(records)
    assert _uses_numpy(table)
    expected = conflicts_snapshot(records, algorithm)
    made = conflict_snapshot(table, algorithm)
    assert (made.data, made.digest) == (expected.data, expected.digest)
    assert made.data.count(b"\n") == len(records) + 1


@pytest.mark.parametrize(
    "ids",
    [
        "{:d}",  # ids of several widths: compared without numpy's fixed-width view
        "盘锦{:04d}",  # UTF-8 of more than one byte a character
        "a\\{:03d}",  # a backslash, escaped in the file: written row by row
        "b\t{:03d}",  # a TAB, the same
    ],
)
def test_unusual_ids_give_the_records_snapshot(ids: str) -> None:
    records = _conflicts(120, seed=7, ids=ids)
    expected = conflicts_snapshot(records, DR2)
    assert conflict_snapshot(ConflictTable.of(records), DR2) == expected


def test_a_certificate_number_to_escape_gives_the_records_snapshot() -> None:
    records = [ConflictRecord(r.cert_no + "\\", *_fields(r)[1:]) for r in _conflicts(50, seed=8)]
    expected = conflicts_snapshot(records, DR2)
    assert b"\\\\\t" in expected.data  # written escaped
    assert conflict_snapshot(ConflictTable.of(records), DR2) == expected


def _fields(record: ConflictRecord) -> tuple[Any, ...]:
    return (
        record.cert_no,
        record.object_id,
        record.relation,
        record.valid_from,
        record.valid_until,
    )


def test_rows_out_of_order_are_sorted_and_a_repeated_conflict_refused() -> None:
    records = _conflicts(80, seed=3)
    shuffled = records[::-1]
    table = ConflictTable.of(shuffled)
    assert not _uses_numpy(table) and table == shuffled
    assert table.snapshot(DR2) == conflicts_snapshot(records, DR2)
    twice = ConflictTable.of([*records[:10], records[4], *records[10:]])
    with pytest.raises(ValueError, match=r"conflict \(.*\) occurs twice"):
        twice.snapshot(DR2)
    with pytest.raises(ValueError, match=r"conflict \(.*\) occurs twice"):  # next to each other
        ConflictTable.of([*records[:10], records[9], *records[10:]]).snapshot(DR2)


def test_relations_of_one_pair_in_the_wrong_order_are_sorted() -> None:
    """Same officer, same object: the relation decides the order (as text)."""
    pair = [ConflictRecord("1", "a", relation) for relation in (Relation.OTHER, Relation.KIN)]
    assert str(pair[0].relation) > str(pair[1].relation)
    table = ConflictTable.of(pair)
    assert not _uses_numpy(table)
    assert table.snapshot().data.decode().splitlines()[1:] == ["1\ta\t亲属\t\t", "1\ta\t其他\t\t"]
    assert _uses_numpy(ConflictTable.of(pair[::-1]))


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (ConflictRecord("2111", "x\x00", Relation.KIN), r"conflict object id 'x\\x00'"),
        (ConflictRecord("2111", "", Relation.KIN), r"conflict object id ''"),
        (ConflictRecord("2111", "e\u0301", Relation.KIN), "not in Unicode normal form C"),
        (ConflictRecord("", "x", Relation.KIN), r"conflict certificate number ''"),
    ],
)
def test_a_bad_identifier_is_named_as_the_records_name_it(
    bad: ConflictRecord, message: str
) -> None:
    records = sorted([*_conflicts(30, seed=4), bad], key=lambda r: (r.cert_no, r.object_id))
    with pytest.raises(ValueError, match=message) as expected:
        conflicts_snapshot(records)
    with pytest.raises(ValueError) as made:
        ConflictTable.of(records).snapshot()
    assert str(made.value) == str(expected.value)


def _columns(**changed: Any) -> dict[str, Any]:
    columns = {
        "cert_no": Coded.of(["1", "1", "2"]),
        "object_id": Texts.of(["a", "b", "a"]),
        "relation": Coded.of(["亲属", "持股", "其他"]),
        "valid_from": Coded.of([None, date(2026, 5, 1), None]),
        "valid_until": Coded.of([None, date(2026, 6, 1), date(2026, 1, 1)]),
    }
    return {**columns, **changed}


def test_values_the_records_refuse_are_refused_at_construction() -> None:
    assert ConflictTable(**_columns()) == [
        ConflictRecord("1", "a", Relation.KIN),
        ConflictRecord("1", "b", Relation.SHAREHOLDING, date(2026, 5, 1), date(2026, 6, 1)),
        ConflictRecord("2", "a", Relation.OTHER, None, date(2026, 1, 1)),
    ]
    with pytest.raises(ValueError, match="'朋友' is not a valid Relation"):
        ConflictTable(**_columns(relation=Coded.of(["亲属", "朋友", "其他"])))
    late = Coded.of([None, date(2026, 7, 1), None])
    with pytest.raises(ValueError, match="valid from 2026-07-01 is after valid until 2026-06-01"):
        ConflictTable(**_columns(valid_from=late))
    with pytest.raises(ValueError, match="different lengths"):
        ConflictTable(**_columns(object_id=Texts.of(["a", "b"])))


@pytest.mark.parametrize("ids", [USCC, "{:d}"])
def test_the_conflicts_of_the_visited_objects_are_those_of_the_records(ids: str) -> None:
    records = _conflicts(300, seed=5, ids=ids)
    visited = {r.object_id for r in records[::7]}
    # Not held: an unknown id, and (one character longer) one that a fixed-width
    # view would cut to a held id.
    wanted = {*visited, ids.format(99999), records[0].object_id + "X"}
    expected = conflicts_by_object(records, wanted)
    made = conflicts_by_object(ConflictTable.of(records), wanted)
    assert made == expected and set(made) == visited
    assert conflicts_by_object(ConflictTable.of(records), set()) == {}


@pytest.mark.parametrize(
    "texts",
    [["a", "b", "b", "a"], ["ab", "a", "b"], ["z", "é", "盘锦"], ["a1", "a2", "a1"], ["only"], []],
)
def test_texts_know_each_step_up_or_down(texts: list[str]) -> None:
    expected = [(b > a) - (b < a) for a, b in pairwise(texts)]
    assert Texts.of(texts).steps().tolist() == expected
