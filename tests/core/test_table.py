"""The object registry as columns (core.table): a draw from a table is the draw
from the records, byte for byte, and a table checks its values as records do."""

from __future__ import annotations

import hashlib
from dataclasses import fields, replace
from datetime import date
from itertools import pairwise
from typing import Any

import numpy as np
import pytest

from dualrandom.core import DrawInputs, conflicts_snapshot, draw, objects_snapshot, prepare
from dualrandom.core import table as table_module
from dualrandom.core.canonical import (
    OBJECT_LAYOUTS,
    ObjectColumns,
    ObjectDigestStream,
    Unread,
    objects_written_as,
    public_object_digest,
)
from dualrandom.core.model import ConflictRecord, ItemRecord, ObjectFilter, Stratum
from dualrandom.core.pools import build_pools
from dualrandom.core.table import Coded, ObjectTable, Picked, Texts
from dualrandom.core.tickets import target_tickets
from tests.core.factories import item, obj, plan, where
from tests.core.vector_inputs import (
    CONFLICTS,
    HISTORY,
    INSPECTORS,
    ITEMS,
    OBJECTS,
    PLAN,
    PLAN_MIXED,
    SALT_KEY,
)

SEED = hashlib.sha256(b"table").digest()
CODED = {"type", "district", "status", "risk_class", "departments", "tags", "established"}


def _columns(records: Any, reverse: bool = False) -> ObjectColumns:
    """The records' columns as a registry reader gives them: plain strings, not
    enum members, some columns coded, rows in any order."""
    rows = sorted(records, key=lambda r: r.id, reverse=reverse)
    columns = ObjectColumns.of(rows)
    values: dict[str, Any] = {}
    for f in fields(ObjectColumns):
        column = [
            str(v) if f.name in ("type", "status", "risk_class") else v
            for v in getattr(columns, f.name)
        ]
        values[f.name] = Coded.of(column) if f.name in CODED else column
    values["name"] = Texts.of(values["name"])
    return ObjectColumns(**values)


def test_coded_column_reads_like_the_list_of_its_values() -> None:
    plain = ["a", "b", "a", "c", "a"]
    coded = Coded.of(plain)
    assert list(coded) == plain and len(coded) == 5 and coded == plain
    assert coded[3] == "c" and coded[-1] == "a" and list(coded[1:4]) == ["b", "a", "c"]
    assert len(coded.values) == 3
    assert coded != ["a", "b", "a", "c", "b"]


def test_texts_column_reads_like_the_list_of_its_texts() -> None:
    plain = ["盘锦", "", "a\tb", "é", "x"]
    texts = Texts.of(plain)
    assert list(texts) == plain and texts == plain and len(texts) == 5
    assert texts[0] == "盘锦" and texts[-1] == "x" and list(texts[2:4]) == ["a\tb", "é"]
    joined = Texts.joined([texts[:2], Texts.of([]), texts[2:], Texts.of(["末"])])
    assert list(joined) == [*plain, "末"]
    assert Texts.joined([]) == []


def test_table_sorts_its_rows_by_id_and_refuses_an_id_twice() -> None:
    records = [obj("b"), obj("a"), obj("c")]
    table = ObjectTable(_columns(records, reverse=True))
    assert table.ids == ["a", "b", "c"]
    assert list(table) == sorted(records, key=lambda r: r.id)
    assert table.row_of("c") == 2 and table.records(["c", "a"]) == [records[2], records[1]]
    with pytest.raises(KeyError):
        table.row_of("d")
    with pytest.raises(ValueError, match="'a' occurs twice"):
        ObjectTable(_columns([obj("a"), obj("b"), obj("a", district="兴隆台区")]))


@pytest.mark.parametrize(("the_plan", "algorithm"), [(PLAN, "DR-1"), (PLAN_MIXED, "DR-2")])
def test_a_draw_from_columns_is_the_draw_from_the_records(the_plan: Any, algorithm: str) -> None:
    def inputs(objects: Any) -> DrawInputs:
        return DrawInputs(the_plan, ITEMS, objects, INSPECTORS, CONFLICTS, HISTORY)

    salt = SALT_KEY if algorithm == "DR-2" else None
    from_records = prepare(inputs(OBJECTS), algorithm=algorithm, salt_key=salt)
    from_table = prepare(
        inputs(ObjectTable(_columns(OBJECTS, reverse=True))), algorithm=algorithm, salt_key=salt
    )
    assert from_table.digests == from_records.digests
    assert from_table.committed == from_records.committed
    assert from_table.pools == from_records.pools
    assert (from_table.exclusions, from_table.outside) == (
        from_records.exclusions,
        from_records.outside,
    )
    expected = objects_snapshot(OBJECTS, algorithm)
    # The streamed snapshot holds no bytes; read, they are the snapshot's.
    assert from_table.objects.public_bytes == expected.public_bytes
    assert from_table.objects.internal_bytes == expected.internal_bytes
    assert from_table.objects.digest == expected.digest
    drawn, again = draw(from_table, SEED), draw(from_records, SEED)
    assert drawn.files() == again.files() and drawn.digest == again.digest
    assert drawn.public_files() == again.public_files()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("industry", "X1", "industry code 'X1'"),
        ("status", "营业", "'营业' is not a valid ObjectStatus"),
        ("id_type", "passport", "id type 'passport'"),
    ],
)
def test_a_bad_value_in_a_column_is_refused_as_in_a_record(
    field: str, value: str, message: str
) -> None:
    columns = _columns([obj("a"), obj("b"), obj("c")])
    bad = list(getattr(columns, field))
    bad[1] = value
    table = ObjectTable(replace(columns, **{field: bad}))
    with pytest.raises(ValueError, match=message):
        prepare(DrawInputs(plan(), {"SCJG-01": item("SCJG-01")}, table, ()))


def test_an_object_in_a_stratum_but_in_no_items_scope_is_not_outside() -> None:
    """Outside means in plan scope but in no stratum; an object in a stratum that no
    item's scope takes is neither drawn for any item nor outside."""
    items: dict[str, ItemRecord] = {
        "SCJG-01": item("SCJG-01", scope=where(type=["企业"])),
    }
    strata = (
        Stratum("企业", where=where(type=["企业"])),
        Stratum("其他", where=where(type=["其他"])),
    )
    p = plan(strata=strata, scope=ObjectFilter())
    objects = [obj("a"), obj("b", type="其他"), obj("c", type="个体工商户")]
    pools = build_pools(p, items, objects, ())
    assert pools.members == {("SCJG-01", "企业"): ("a",), ("SCJG-01", "其他"): ()}
    assert pools.outside == ("c",)
    assert pools.exclusions == ()


def test_conflict_snapshot_lines_and_the_first_bad_identifier() -> None:
    """The conflict list made column by column: the lines as SPEC §3 writes them
    (spelled out here), and a bad identifier named as the row-by-row check did."""
    records = [
        ConflictRecord("2", "b\tc", "其他", valid_until=date(2027, 5, 1)),  # type: ignore[arg-type]
        ConflictRecord("1", "z", "亲属"),  # type: ignore[arg-type]
        ConflictRecord("2", "a", "持股", date(2026, 1, 2)),  # type: ignore[arg-type]
    ]
    expected = (
        "cert_no\tobject_id\trelation\tvalid_from\tvalid_until\n"
        "1\tz\t亲属\t\t\n"
        "2\ta\t持股\t2026-01-02\t\n"
        "2\tb\\tc\t其他\t\t2027-05-01\n"
    ).encode()
    assert conflicts_snapshot(records).data == expected
    assert conflicts_snapshot([]).data == b"cert_no\tobject_id\trelation\tvalid_from\tvalid_until\n"
    bad = [*records, ConflictRecord("0", "x\x00", "其他"), ConflictRecord("3", "", "其他")]  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"conflict object id 'x\\x00'"):
        conflicts_snapshot(bad)


def _groups_by_dict(table: ObjectTable, names: list[str]) -> tuple[list[int], list[int]]:
    """The grouping of ``ObjectTable.groups`` the plain way: a dict of value tuples,
    groups numbered in order of their first row."""
    number: dict[tuple[Any, ...], int] = {}
    first: list[int] = []
    group = []
    for row, record in enumerate(table):
        values = tuple(getattr(record, name) for name in names)
        if values not in number:
            number[values] = len(first)
            first.append(row)
        group.append(number[values])
    return group, first


@pytest.mark.parametrize("key_span", [None, 2, 50])
def test_rows_are_grouped_by_equal_values_numbered_by_first_row(
    key_span: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One sort of combined codes gives the dict's grouping, also when the combined
    key is renumbered along the way (a small ``_KEY_SPAN`` forces that here; a real
    registry reaches it with a few columns of thousands of values)."""
    if key_span is not None:
        monkeypatch.setattr(table_module, "_KEY_SPAN", key_span)
    districts, statuses = ["大洼区", "兴隆台区", "双台子区"], ["存续", "注销", "吊销"]
    records = [
        obj(
            f"o{(n * 37) % 200:03d}",
            district=districts[n % 3],
            status=statuses[(n // 3) % 3],
            risk_class="ABCD"[(n * 7) % 4],
            established=date(2000 + n % 5, 1, 1) if n % 4 else None,
        )
        for n in range(200)
    ]
    table = ObjectTable(_columns(records))
    for names in (
        ["district"],
        ["status", "district"],
        ["district", "status", "risk_class", "established"],
        ["name", "district"],  # every row its own group
        [],  # one group
    ):
        group, first = table.groups(names)
        assert (group.tolist(), first.tolist()) == _groups_by_dict(table, names), names


@pytest.mark.parametrize(
    ("texts", "increasing"),
    [
        (["a1", "a2", "b0"], True),  # one length, one after the other: compared by numpy
        (["a1", "a2", "a2"], False),
        (["a2", "a1", "b0"], False),
        (["a", "ab", "b"], True),  # lengths differ: compared as bytes
        (["ab", "a", "b"], False),
        (["z", "é", "盘锦"], True),  # UTF-8 byte order is code-point order
        (["盘锦", "é"], False),
        (["a\x00", "a\x01"], True),  # a NUL is compared as a byte, not as padding
        (["a\x01", "a\x00"], False),
        (["only"], True),
        ([], True),
    ],
)
def test_texts_know_whether_they_increase(texts: list[str], increasing: bool) -> None:
    assert Texts.of(texts).increasing() is increasing
    assert increasing is all(a < b for a, b in pairwise(texts))


def test_a_table_keeps_increasing_ids_as_texts_and_sorts_others() -> None:
    """A registry read for a draw gives its ids as one UTF-8 buffer (``Texts``):
    kept as it is when in id order, sorted (and checked) like a list otherwise."""
    records = [obj("a1"), obj("a2", district="兴隆台区"), obj("b1")]
    in_order = _columns(records)
    table = ObjectTable(replace(in_order, id=Texts.of(in_order.id)))
    assert isinstance(table.ids, Texts) and list(table) == records
    assert table.row_of("a2") == 1
    backwards = _columns(records, reverse=True)
    table = ObjectTable(replace(backwards, id=Texts.of(backwards.id)))
    assert table.ids == ["a1", "a2", "b1"] and list(table) == records
    twice = _columns([obj("a1"), obj("b1"), obj("a1", district="兴隆台区")], reverse=True)
    with pytest.raises(ValueError, match="'a1' occurs twice"):
        ObjectTable(replace(twice, id=Texts.of(twice.id)))


@pytest.mark.parametrize(
    "texts",
    [
        ["b2", "a1", "c0", "a0"],  # one length: sorted by numpy over the buffer
        ["ab", "b", "a", "", "aa"],  # lengths differ: padded, a shorter text first
        ["盘锦", "z", "é", "\U0001f600", "Z"],  # UTF-8 byte order is code-point order
        ["a\x00", "a", "a\x01", "\x00"],  # a NUL is a character, not padding
        ["b", "a", "b", "a"],  # equal texts keep the order of their rows
        ["only"],
        [],
    ],
)
def test_texts_are_ordered_by_code_point_and_reordered(texts: list[str]) -> None:
    column = Texts.of(texts)
    order = column.order()
    expected = sorted(range(len(texts)), key=texts.__getitem__)  # Python's str order, stable
    assert order.tolist() == expected
    moved = column.reordered(order)
    assert list(moved) == sorted(texts) and moved.increasing() is (len(set(texts)) == len(texts))
    assert Coded.of(texts).reordered(order) == sorted(texts)


def test_a_table_of_ids_in_any_order_keeps_them_as_one_buffer() -> None:
    """A draw reads the rows as stored: the table sorts them with numpy, and keeps
    the ids one buffer whose fixed-width view finds rows without a string per id."""
    records = [obj(f"9121{n:014d}", district=["兴隆台区", "大洼区"][n % 3 % 2]) for n in range(9)]
    shuffled = [records[n] for n in (4, 0, 8, 2, 6, 1, 7, 3, 5)]
    columns = ObjectColumns.of(shuffled)
    coded = {name: Coded.of(getattr(columns, name)) for name in ("district", "status")}
    table = ObjectTable(replace(columns, id=Texts.of(columns.id), **coded))
    assert isinstance(table.ids, Texts) and table.ids.fixed_width() is not None
    assert list(table) == records
    assert table.row_of(records[5].id) == 5 and table.find_rows([records[7].id, "x"]) == [7, -1]


@pytest.mark.parametrize("packed", [True, False])
def test_picked_ids_read_like_the_tuple_of_those_ids(packed: bool) -> None:
    ids = ["a", "bé", "c", "盘锦", "e"]
    source = Texts.of(ids) if packed else ids
    picked = Picked(source, np.array([0, 3, 4], dtype=np.intp))
    assert picked == ("a", "盘锦", "e") and len(picked) == 3 and picked != ("a", "盘锦")
    assert picked[1] == "盘锦" and picked[-1] == "e" and picked[1:] == ["盘锦", "e"]
    assert list(picked.utf8()) == [i.encode("utf-8") for i in ("a", "盘锦", "e")]
    seed = hashlib.sha256(b"picked").digest()
    assert target_tickets(seed, picked).tolist() == target_tickets(seed, list(picked)).tolist()


@pytest.mark.parametrize(
    "held",
    [
        ["a1", "a2", "b1", "é1"],  # widths differ (é is 2 bytes in UTF-8): text by text
        ["a11", "a22", "b11", "c11"],  # one width: searched by numpy
        ["a\x0011", "a\x0022"],  # a NUL: searched text by text
    ],
)
def test_rows_of_texts_in_order_are_found_and_others_are_not(held: list[str]) -> None:
    texts = Texts.of(held)
    wanted = [*reversed(held), "", "a", held[1], "a3", "a111", "z99", "盘锦", held[0] + "x"]
    expected = [held.index(t) if t in held else -1 for t in wanted]
    assert texts.rows_of(wanted).tolist() == expected
    table = ObjectTable(replace(_columns([obj(i) for i in held]), id=texts))
    assert table.find_rows(wanted) == expected
    assert table.rows_of(held[::-1]) == list(range(len(held)))[::-1]
    with pytest.raises(KeyError, match="a3"):
        table.rows_of([held[0], "a3"])


@pytest.mark.parametrize("algorithm", ["DR-1", "DR-2"])
def test_objects_written_as_their_files_byte_for_byte(algorithm: str) -> None:
    """The check a verifier makes instead of hashing the re-written snapshot again:
    true for the files the snapshot is, false for any other bytes, and a value the
    snapshot refuses is refused the same way."""
    records = [
        obj("a1", departments=("SCJG", "FGW")),
        obj("b2", district="兴隆台区", name="名称\t带制表符"),
        obj("c3", tags=("重点",), established=date(2001, 2, 3)),
    ]
    snapshot = objects_snapshot(records, algorithm)
    public, internal = snapshot.public_bytes, snapshot.internal_bytes
    columns = ObjectTable(_columns(records)).columns
    assert objects_written_as(columns, public, internal, algorithm)
    header = public.index(b"\n") + 1
    changed = public[:header] + public[header:].replace(b"a1", b"a0", 1)
    for other_public, other_internal in [
        (changed, internal),
        (public, internal[:-1] + b"\t\n"),
        (public + public[header:], internal),  # a line too many
        (public[: public.rindex(b"\n", 0, -1) + 1], internal),  # a line too few
        (public.replace(b"id", b"ID", 1), internal),  # another header
        (public, internal.replace(b"\n", b"\r\n")),
    ]:
        assert not objects_written_as(columns, other_public, other_internal, algorithm)
    bad = _columns([*records[:2], replace(records[2], id="c3\x00")])
    with pytest.raises(ValueError):
        objects_snapshot(ObjectTable(bad), algorithm)
    with pytest.raises(ValueError):
        objects_written_as(ObjectTable(bad).columns, public, internal, algorithm)


def _internal_only(columns: ObjectColumns) -> ObjectColumns:
    """The columns as the second process reads them: the public part's fields unread."""
    internal = OBJECT_LAYOUTS["DR-2"][1]
    return replace(
        columns,
        **{f.name: Unread(len(columns), None) for f in fields(columns) if f.name not in internal},
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "e\u0301", "not in Unicode normal form C"),
        ("risk_class", "E", "'E' is not a valid RiskClass"),
        ("established", "2020-01-01", "has no attribute 'isoformat'"),
    ],
)
def test_the_internal_part_alone_refuses_what_the_whole_refuses(
    field: str, value: object, message: str
) -> None:
    """Its rows are checked with valid stand-ins for the fields not read: a bad value
    of its own fields is refused with the message the whole snapshot gives."""
    records = [obj("a1"), obj("b2", district="兴隆台区"), obj("c3")]
    columns = _columns(records)
    bad = replace(columns, **{field: [getattr(r, field) for r in records[:2]] + [value]})
    with pytest.raises((ValueError, AttributeError), match=message) as whole:
        objects_snapshot(ObjectTable(bad), "DR-2")
    with pytest.raises((ValueError, AttributeError)) as alone:
        ObjectDigestStream(public=False).add(_internal_only(ObjectTable(bad).columns))
    assert str(alone.value) == str(whole.value)


@pytest.mark.parametrize(
    "ids", [("a1", "b2", "c3"), ("a\\1", "b\t2", "c3")], ids=["plain", "escaped"]
)
def test_each_part_of_the_dr2_object_digest_can_be_made_alone(ids: tuple[str, ...]) -> None:
    """draw run makes the public part from the columns it holds (no name or address
    read, ids as Texts) and the internal part in its second process: each alone is
    the part the whole snapshot has, also for ids whose lines are escaped."""
    records = [
        obj(ids[0], departments=("SCJG", "FGW")),
        obj(ids[1], district="兴隆台区", name="名称\t带制表符"),
        obj(ids[2], tags=("重点",), established=date(2001, 2, 3)),
    ]
    whole = objects_snapshot(records, "DR-2")
    columns = ObjectTable(_columns(records)).columns
    held = replace(
        columns, id=Texts.of(columns.id), name=Unread(len(ids)), address=Unread(len(ids))
    )
    assert public_object_digest(held) == public_object_digest(columns) == whole.public_digest
    internal = ObjectDigestStream(public=False)
    internal.add(columns)
    assert internal.part_digests() == (None, whole.internal_digest)
    with pytest.raises(ValueError, match="name, address were not read"):
        ObjectDigestStream(public=False).add(held)
    # The second process reads only the internal part's fields: the others Unread.
    alone = ObjectDigestStream(public=False)
    alone.add(_internal_only(columns))
    assert alone.part_digests() == (None, whole.internal_digest)
    # Its rows' buckets serve the public part, which need not hash them again; wrong
    # ones give a digest that is not the snapshot's, and a wrong count is not used.
    assert len(alone.buckets) == len(ids)
    assert public_object_digest(held, alone.buckets) == whole.public_digest
    wrong = bytes((b + 1) % 256 for b in alone.buckets)
    assert public_object_digest(held, wrong) != whole.public_digest
    assert public_object_digest(held, alone.buckets[:-1]) == whole.public_digest
    with pytest.raises(ValueError, match="both parts"):
        internal.digests()
    with pytest.raises(ValueError, match="at least one part"):
        ObjectDigestStream(public=False, internal=False)
