"""The version digest is the core's canonical snapshot digest of the registry's content,
whatever the row order, the chunking, or the database."""

from __future__ import annotations

import random
import threading
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pytest

from dualrandom.app import App
from dualrandom.config import load_settings
from dualrandom.core.canonical import conflicts_snapshot, inspectors_snapshot, objects_snapshot
from dualrandom.core.model import ConflictRecord, InspectorRecord, ObjectRecord
from dualrandom.registry import objects_as_of, registry_digest, snapshot
from tests.conftest import PG_URL
from tests.registry.conftest import (
    CONFLICT_HEADER,
    DEPARTMENTS,
    INSPECTORS,
    OBJECT_HEADER,
    code,
    object_row,
    objects,
    run_import,
    write_csv,
)


def _expected_objects(numbers: range) -> str:
    records = [
        ObjectRecord(
            id=code(n),
            name=f"盘锦第{n}号商贸有限公司",
            type="企业",  # type: ignore[arg-type]
            industry="F5211",
            district=["兴隆台区", "大洼区"][n % 2],
            status="存续",  # type: ignore[arg-type]
            risk_class="ABCD"[n % 4],  # type: ignore[arg-type]
            established=date(2015, 3, 12),
            departments=("SCJG", "ZJ"),
        )
        for n in numbers
    ]
    return objects_snapshot(records).digest


def test_object_digest_is_the_core_snapshot_digest(with_departments: App, tmp_path: Path) -> None:
    summary = run_import(with_departments, "objects", write_csv(tmp_path / "o.csv", objects(30)))
    assert summary.digest == _expected_objects(range(30))


def test_row_order_does_not_matter(with_departments: App, tmp_path: Path) -> None:
    header, *rows = objects(30)
    random.Random(5).shuffle(rows)
    summary = run_import(
        with_departments, "objects", write_csv(tmp_path / "o.csv", [header, *rows])
    )
    assert summary.digest == _expected_objects(range(30))
    again = run_import(with_departments, "objects", write_csv(tmp_path / "o2.csv", objects(30)))
    assert (again.digest, again.changed) == (summary.digest, 0)


def test_personal_fields_do_not_enter_the_digest(with_departments: App, tmp_path: Path) -> None:
    first = run_import(with_departments, "objects", write_csv(tmp_path / "o.csv", objects(3)))
    rows = [OBJECT_HEADER, object_row(0, legal_representative="李四"), object_row(1), object_row(2)]
    second = run_import(with_departments, "objects", write_csv(tmp_path / "o2.csv", rows))
    assert second.changed == 1 and second.digest == first.digest


def test_digest_streams_in_chunks_exactly(
    with_departments: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(snapshot, "CHUNK_ROWS", 7)
    run_import(with_departments, "objects", write_csv(tmp_path / "o.csv", objects(50)))
    with with_departments.transaction() as session:
        records = objects_as_of(session)
        assert registry_digest(session, "objects") == objects_snapshot(records).digest
    assert [r.id for r in records] == sorted(code(n) for n in range(50))


def test_chunks_follow_code_point_order_whatever_the_collation(
    with_departments: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL's default collation sorts 'a' before 'B'; the snapshot sorts by code point."""
    monkeypatch.setattr(snapshot, "CHUNK_ROWS", 2)
    ids = ["a-1", "B-2", "b-0", "A-9", "摊位3", "_z", "Z", "ä", "a 2", "10", "9"]
    header = ["id", "id_type", "name", "type", "industry", "district", "status", "risk_class"]
    rows = [[i, "other", f"摊位{i}", "其他", "F", "兴隆台区", "存续", "C"] for i in ids]
    summary = run_import(
        with_departments, "objects", write_csv(tmp_path / "o.csv", [header, *rows])
    )
    with with_departments.transaction() as session:
        records = objects_as_of(session)
    assert [r.id for r in records] == sorted(ids)
    assert summary.digest == objects_snapshot(records).digest


def test_empty_registry_digest(with_departments: App, tmp_path: Path) -> None:
    with with_departments.transaction() as session:
        assert registry_digest(session, "objects") == objects_snapshot([]).digest
        assert registry_digest(session, "conflicts") == conflicts_snapshot([]).digest


def test_inspector_and_conflict_digests(with_departments: App, tmp_path: Path) -> None:
    run_import(with_departments, "objects", write_csv(tmp_path / "o.csv", objects(2)))
    inspectors = run_import(
        with_departments, "inspectors", write_csv(tmp_path / "i.csv", INSPECTORS)
    )
    rows = [CONFLICT_HEADER, [INSPECTORS[1][0], code(1), "亲属", "2027-01-01", "", "岳父"]]
    conflicts = run_import(with_departments, "conflicts", write_csv(tmp_path / "c.csv", rows))
    expected_inspectors = [
        InspectorRecord("21110020230001", "马文阳", "SCJG", date(2028, 10, 16), "在岗",  # type: ignore[arg-type]
                        specialties=("药品", "食品"), leader=True),
        InspectorRecord("21110020230008", "刘霞静", "SCJG", date(2028, 12, 22), "在岗",  # type: ignore[arg-type]
                        specialties=("食品",), unavailable=((date(2027, 1, 10), date(2027, 1, 20)),)),
        InspectorRecord("21110020230017", "王艳", "SYJ", date(2026, 8, 15), "休假"),  # type: ignore[arg-type]
    ]  # fmt: skip
    assert inspectors.digest == inspectors_snapshot(expected_inspectors).digest
    expected_conflict = ConflictRecord("21110020230001", code(1), "亲属", date(2027, 1, 1))  # type: ignore[arg-type]
    assert conflicts.digest == conflicts_snapshot([expected_conflict]).digest


@pytest.mark.skipif(not PG_URL, reason="needs DUALRANDOM_TEST_DATABASE_URL")
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_same_digests_on_sqlite_and_postgresql(app: App, tmp_path: Path) -> None:
    config = tmp_path / "sqlite.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "side.sqlite3"}"\n')
    side = App.from_settings(load_settings(config, environ={}))
    side.upgrade()
    try:
        files = {
            "departments": write_csv(tmp_path / "d.csv", DEPARTMENTS),
            "objects": write_csv(tmp_path / "o.csv", objects(40)),
            "inspectors": write_csv(tmp_path / "i.csv", INSPECTORS),
        }
        digests = [
            [run_import(db, kind, path).digest for kind, path in files.items()]
            for db in (app, side)
        ]
    finally:
        side.close()
    assert digests[0] == digests[1]


def test_the_table_a_draw_reads_holds_the_records_the_registry_holds(
    with_departments: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """gather reads the objects as columns (core.table): row for row the same
    records as objects_as_of, in id order, across chunks, and the same snapshot."""
    monkeypatch.setattr(snapshot, "CHUNK_ROWS", 7)
    header, *rows = objects(40)
    random.Random(3).shuffle(rows)
    run_import(with_departments, "objects", write_csv(tmp_path / "o.csv", [header, *rows]))
    with with_departments.transaction() as session:
        records = objects_as_of(session)
        table = snapshot.object_table_as_of(session)
        digest = registry_digest(session, "objects")
    assert list(table) == records
    assert [table.record(i) for i in range(len(table))] == records
    assert table.ids == [r.id for r in records] == sorted(code(n) for n in range(40))
    assert objects_snapshot(table).digest == objects_snapshot(records).digest == digest
    districts = table.columns.district
    assert len(districts.values) == 2 and len(districts) == 40  # type: ignore[attr-defined]


def test_a_draw_reads_the_rows_as_stored_and_the_table_sorts_them(
    with_departments: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without particulars the rows come as stored (a scan of the table, not in id
    order) and ObjectTable sorts them: row for row the table of the read in id
    order, for ids of several lengths, and as of each version."""
    monkeypatch.setattr(snapshot, "CHUNK_ROWS", 3)
    ids = ["a-1", "B-2", "b-0", "A-9", "摊位3", "_z", "Z", "ä", "a 2", "10", "9", "a"]
    header = ["id", "id_type", "name", "type", "industry", "district", "status", "risk_class"]

    def rows(districts: Sequence[str]) -> list[list[str]]:
        return [
            [i, "other", f"摊位{i}", "其他", "F", d, "存续", "ABCD"[n % 4]]
            for n, (i, d) in enumerate(zip(ids, districts, strict=True))
        ]

    first = rows(["兴隆台区", "大洼区"] * 6)
    second = rows(["大洼区"] * 12)[:-2]  # every district changed, two objects gone
    for n, version in enumerate((first, second)):
        random.Random(n).shuffle(version)
        run_import(
            with_departments, "objects", write_csv(tmp_path / f"o{n}.csv", [header, *version])
        )
    with with_departments.transaction() as session:
        stored = [
            row[0].decode() if isinstance(row[0], bytes) else row[0]  # SQLite's raw bytes
            for chunk in snapshot._chunks(
                session,
                "objects",
                snapshot._OBJECTS,
                ["object_id"],
                1,
                raw=True,
                in_key_order=False,
            )
            for row in chunk
        ]
        assert stored != sorted(stored)  # the order the draw's read is sorted from
        for version in (1, 2):
            drawn = snapshot.object_table_as_of(session, version, particulars=False)
            whole = snapshot.object_table_as_of(session, version)
            assert list(drawn.ids) == list(whole.ids) == sorted(whole.ids)
            for name in ("type", "district", "status", "risk_class", "departments", "tags"):
                assert list(getattr(drawn.columns, name)) == list(getattr(whole.columns, name))
    assert len(whole) == 10 and set(whole.columns.district) == {"大洼区"}


def test_the_conflicts_a_draw_reads_are_the_records_the_registry_holds(
    with_departments: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """gather reads the conflicts as columns (core.conflicts): across chunks, the
    records of conflicts_as_of in key order, and the snapshot of the version."""
    monkeypatch.setattr(snapshot, "CHUNK_ROWS", 3)
    run_import(with_departments, "objects", write_csv(tmp_path / "o.csv", objects(6)))
    run_import(with_departments, "inspectors", write_csv(tmp_path / "i.csv", INSPECTORS))
    certs = [row[0] for row in INSPECTORS[1:]]
    relations = ["亲属", "其他", "持股"]
    rows = [
        [cert, code(n), relation, "2027-01-0" + str(n + 1) if n % 2 else "", "", "说明"]
        for cert in certs
        for n in range(5, -1, -2 if cert == certs[0] else -1)
        for relation in relations[: 1 + n % 3]
    ]
    random.Random(5).shuffle(rows)
    run_import(
        with_departments, "conflicts", write_csv(tmp_path / "c.csv", [CONFLICT_HEADER, *rows])
    )
    with with_departments.transaction() as session:
        records = snapshot.conflicts_as_of(session)
        table = snapshot.conflict_table_as_of(session)
        digest = registry_digest(session, "conflicts")
    assert len(records) == len(rows) and list(table) == records
    assert table.snapshot().digest == conflicts_snapshot(records).digest == digest
    assert table._written() is not None  # assembled by numpy, not written row by row


def test_a_servers_next_chunk_is_fetched_while_this_one_is_worked_on() -> None:
    """PostgreSQL's cursor makes a chunk only when it is fetched: the next is fetched
    by a thread while the caller holds this one, every chunk once, in order."""
    chunks, fetched = [[1, 2], [3], [4, 5], []], []
    second = threading.Event()

    def fetch() -> list[int]:
        fetched.append(threading.current_thread().name)
        if len(fetched) == 2:
            second.set()
        return chunks[len(fetched) - 1]

    got: list[Sequence[int]] = []
    for rows in snapshot._fetched_ahead(fetch):
        if not got:
            assert second.wait(10), "the second chunk was not fetched meanwhile"
        got.append(rows)
    assert got == chunks[:-1] and len(fetched) == len(chunks)
    assert all(name.startswith("dualrandom-fetch") for name in fetched)
    calls: list[int] = []

    def endless() -> list[int]:
        calls.append(len(calls) + 1)
        return [calls[-1]]

    early = snapshot._fetched_ahead(endless)
    assert next(early) == [1]
    early.close()  # the caller stops: the fetch ahead ends, and none after it
    assert calls == [1, 2]
