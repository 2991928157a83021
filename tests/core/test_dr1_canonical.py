"""Canonical encodings: escaping, snapshots, plan JSON, seed (SPEC §2-5)."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dualrandom.core import (
    combine_object_digests,
    conflicts_snapshot,
    derive_seed,
    history_snapshot,
    inspectors_snapshot,
    objects_snapshot,
    parse_conflicts,
    parse_history,
    parse_inspectors,
    parse_objects,
    parse_plan,
    plan_canonical,
    plan_digest,
    secret_commitment,
)
from dualrandom.core.encoding import escape, escape_list, unescape, unescape_list
from dualrandom.core.model import ConflictRecord, nfc
from dualrandom.core.seed import Digests
from dualrandom.errors import NotFoundError
from tests.core.factories import item, obj, officer, plan
from tests.core.vector_inputs import CONFLICTS, HISTORY, INSPECTORS, ITEMS, OBJECTS, PLAN

TEXT = st.text(
    alphabet=st.sampled_from("ab;\\\t\n\r 盘锦-摊位é\u00e9\u0301x\x00\x1f"), max_size=12
).map(nfc)


@given(TEXT)
def test_escape_round_trips_and_leaves_no_separator(text: str) -> None:
    escaped = escape(text)
    assert unescape(escaped) == text
    assert not {"\t", "\n", "\r"} & set(escaped)


@given(st.lists(TEXT.filter(bool), max_size=5))
def test_list_fields_round_trip_sorted_and_unique(values: list[str]) -> None:
    field = escape_list(values, "test")
    assert unescape_list(field) == tuple(sorted(set(values)))
    assert not {"\t", "\n"} & set(field)


def test_list_fields_reject_empty_elements() -> None:
    with pytest.raises(ValueError, match="empty element"):
        escape_list(["a", ""], "tags")


def test_unescape_rejects_unknown_escapes() -> None:
    with pytest.raises(ValueError, match="invalid escape"):
        unescape("a\\x")


ids = st.text(alphabet=st.sampled_from("9A1盘锦-摊位ß"), min_size=1, max_size=8).map(nfc)
names = TEXT


@st.composite
def object_lists(draw: st.DrawFn) -> list:  # type: ignore[type-arg]
    chosen = draw(st.lists(ids, min_size=0, max_size=8, unique=True))
    return [
        obj(
            i,
            district=draw(st.sampled_from(["大洼区", "兴隆台区", "a\tb"])),
            name=draw(names),
            address=draw(names),
            tags=tuple(draw(st.lists(TEXT.filter(bool), max_size=3))),
            departments=tuple(draw(st.lists(st.sampled_from(["SCJG", "ZJ"]), max_size=2))),
            risk_class=draw(st.sampled_from("ABCD")),
            established=draw(st.none() | st.dates(date(1950, 1, 1), date(2026, 1, 1))),
            abnormal_list=draw(st.booleans()),
        )
        for i in chosen
    ]


@settings(max_examples=60)
@given(object_lists(), st.randoms(use_true_random=False))
def test_object_snapshot_is_order_free_and_parses_back(records: list, rnd: random.Random) -> None:  # type: ignore[type-arg]
    snap = objects_snapshot(records)
    shuffled = records[:]
    rnd.shuffle(shuffled)
    assert objects_snapshot(shuffled) == snap
    assert set(parse_objects(snap.public_bytes, snap.internal_bytes)) == set(records)
    assert snap.digest == combine_object_digests(snap.public_digest, snap.internal_digest)
    assert b"risk_class" not in snap.public_bytes
    for line in snap.public_bytes.split(b"\n")[1:-1]:
        assert line.count(b"\t") == 14


def test_object_digest_can_be_checked_without_risk_classes() -> None:
    snap = objects_snapshot(OBJECTS)
    reclassed = objects_snapshot(replace(o, risk_class="D") for o in OBJECTS)
    assert reclassed.public_bytes == snap.public_bytes
    assert reclassed.public_digest == snap.public_digest
    assert reclassed.internal_digest != snap.internal_digest
    assert reclassed.digest != snap.digest
    assert snap.digest == combine_object_digests(snap.public_digest, snap.internal_digest)


def test_snapshots_reject_duplicates_non_nfc_and_nul() -> None:
    with pytest.raises(ValueError, match="occurs twice"):
        objects_snapshot([obj("X1"), obj("X1")])
    with pytest.raises(ValueError, match="normal form C"):
        objects_snapshot([obj("X1", name="e\u0301")])
    with pytest.raises(ValueError, match="NUL"):
        objects_snapshot([obj("X\x00")])
    with pytest.raises(ValueError, match="occurs twice"):
        inspectors_snapshot([officer("1"), officer("1")])
    with pytest.raises(ValueError, match="occurs twice"):
        conflicts_snapshot([ConflictRecord("1", "X", "亲属")] * 2)


def test_registry_snapshots_round_trip_and_ignore_order() -> None:
    rnd = random.Random(7)
    for records, snapshot, parse in (
        (list(INSPECTORS), inspectors_snapshot, parse_inspectors),
        (list(CONFLICTS), conflicts_snapshot, parse_conflicts),
    ):
        data = snapshot(records).data
        rnd.shuffle(records)
        assert snapshot(records).data == data
        assert set(parse(data)) == set(records)
    history = [*HISTORY, HISTORY[0]]  # identical rows are kept: each one counts
    data = history_snapshot(history).data
    assert data.count(b"\n") == 1 + len(history)
    assert sorted(parse_history(data), key=repr) == sorted(history, key=repr)


def test_parsers_refuse_non_canonical_bytes() -> None:
    data = inspectors_snapshot(INSPECTORS).data
    lines = data.split(b"\n")
    swapped = b"\n".join([lines[0], lines[2], lines[1], *lines[3:]])
    with pytest.raises(ValueError, match="canonical"):
        parse_inspectors(swapped)
    with pytest.raises(ValueError, match="LF"):
        parse_inspectors(data[:-1])
    with pytest.raises(ValueError, match="header"):
        parse_conflicts(b"x\n")
    crlf = conflicts_snapshot(CONFLICTS).data.replace(b"\n", b"\r\n")
    with pytest.raises(ValueError):
        parse_conflicts(crlf)


def test_empty_snapshots_are_a_header_line() -> None:
    assert conflicts_snapshot([]).data == b"cert_no\tobject_id\trelation\tvalid_from\tvalid_until\n"
    assert history_snapshot([]).data == b"object_id\titem_code\tdate\tofficers\n"


def test_plan_json_is_canonical_exact_and_round_trips() -> None:
    data = plan_canonical(PLAN, ITEMS)
    text = data.decode("utf-8")
    assert '"ratio":"1/4"' in text and '"ratio":"1/2"' in text
    assert ": " not in text and ", " not in text and "\n" not in text
    assert "0.25" not in text and "盘锦" in text  # no floats, no \u escapes
    plan_back, items_back = parse_plan(data)
    assert plan_canonical(plan_back, items_back) == data
    extra = {**ITEMS, "OTHER": item("OTHER")}
    assert plan_canonical(PLAN, extra) == data  # items the plan does not name are ignored


def test_plan_digest_follows_every_draw_relevant_value() -> None:
    base = plan_digest(plan(), {"SCJG-01": item("SCJG-01")})
    assert plan_digest(plan(), {"SCJG-01": item("SCJG-01", ratio="3/100")}) != base
    assert plan_digest(plan(window_end=date(2027, 3, 30)), {"SCJG-01": item("SCJG-01")}) != base
    assert Fraction("0.03") == Fraction(3, 100)
    with pytest.raises(NotFoundError, match="SCJG-01"):
        plan_canonical(plan(), {})


def test_plan_parser_refuses_non_canonical_json() -> None:
    data = plan_canonical(PLAN, ITEMS)
    with pytest.raises(ValueError, match="canonical"):
        parse_plan(data.replace(b'{"algorithm"', b'{ "algorithm"'))
    with pytest.raises(ValueError, match="lowest terms"):
        parse_plan(data.replace(b'"1/4"', b'"2/8"'))


DIGESTS = Digests(*(f"{i:064x}" for i in range(5)))


def test_seed_takes_entropy_as_text_and_secret_as_32_bytes() -> None:
    secret = bytes(32)
    seed = derive_seed(DIGESTS, "0123", secret)
    assert len(seed) == 32
    assert derive_seed(DIGESTS, "123", secret) != seed
    assert derive_seed(DIGESTS, "0123", bytes(31) + b"\x01") != seed
    with pytest.raises(ValueError, match="32 bytes"):
        derive_seed(DIGESTS, "0123", bytes(16))
    with pytest.raises(ValueError, match="64 lowercase hex"):
        derive_seed(replace(DIGESTS, plan="AB" * 32), "0", secret)
    assert len(secret_commitment(secret)) == 64
    assert secret_commitment(secret) != secret_commitment(b"\x01" * 32)


@settings(max_examples=60)
@given(object_lists(), st.randoms(use_true_random=False))
def test_object_snapshot_of_columns_in_batches(records: list, rnd: random.Random) -> None:  # type: ignore[type-arg]
    """Rows given column by column, in batches and any order, as plain values
    (enum values as text, lists unsorted): the same snapshot as the records."""
    from dualrandom.core.canonical import ObjectColumns, ObjectSnapshotBuilder

    expected = objects_snapshot(records)
    rows = records[:]
    rnd.shuffle(rows)
    builder = ObjectSnapshotBuilder()
    while rows:
        size = rnd.randint(1, 3)
        batch, rows = rows[:size], rows[size:]
        columns = ObjectColumns.of(batch)
        plain = ObjectColumns(
            **{
                **{name: getattr(columns, name) for name in ObjectColumns.__dataclass_fields__},
                "type": [str(t) for t in columns.type],
                "departments": [tuple(reversed(d)) for d in columns.departments],
                "tags": [t + t for t in columns.tags],
            }
        )
        builder.add(plain)
    assert builder.snapshot() == expected
    assert builder.digest() == expected.digest


def test_check_ids_refuses_a_repeated_id_as_the_digest_does() -> None:
    """check_ids finds an id added twice, also when a later batch repeats it after an
    earlier check, and leaves the digest as it was."""
    from dualrandom.core.canonical import ObjectColumns, ObjectSnapshotBuilder

    records = [obj(f"91{n:016d}") for n in range(4)]
    builder = ObjectSnapshotBuilder()
    builder.add(ObjectColumns.of(records[:3]))
    builder.check_ids()
    builder.add(ObjectColumns.of(records[3:]))
    builder.check_ids()
    assert builder.digest() == objects_snapshot(records).digest
    builder.add(ObjectColumns.of(records[1:2]))
    with pytest.raises(ValueError, match="occurs twice"):
        builder.check_ids()
    with pytest.raises(ValueError, match="occurs twice"):
        builder.digest()
