"""The fast paths of an import give exactly what the plain ones give.

* The version digest of a full import of objects is computed from the rows
  in memory; it must equal the digest of the registry read back from the
  database (and the core's snapshot of its records), on every backend, for
  single- and multi-batch files, full and partial imports.
* A large objects file is checked by a second process (_pipeline) while
  this one writes: same rows, counts, digest and problems as in one process.
* A first import builds the secondary indexes after the rows, inside a
  savepoint (on PostgreSQL only into an empty table no other session uses):
  they are back after the import, and after a failed one.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from dualrandom.app import App
from dualrandom.core.canonical import objects_snapshot
from dualrandom.errors import ValidationError
from dualrandom.registry import _pipeline, _read, import_registry, objects_as_of, snapshot
from dualrandom.registry import registry_digest as read_back_digest
from dualrandom.tables import ObjectRow
from tests.registry.conftest import TODAY, code, write_csv

HEADER = [
    "id",
    "name",
    "type",
    "industry",
    "district",
    "registration_authority",
    "address",
    "status",
    "established",
    "risk_class",
    "abnormal_list",
    "serious_illegal_list",
    "departments",
    "tags",
    "last_inspected",
    "legal_representative",
]


def _row(n: int, **changes: str) -> list[str]:
    values = {
        "id": code(n),
        "name": f"盘锦第{n}号公司",
        "type": ["企业", "个体工商户", "农民专业合作社"][n % 3],
        "industry": ["F5211", "H6210", "C"][n % 3],
        "district": ["兴隆台区", "大洼区"][n % 2],
        "registration_authority": "盘锦市市场监督管理局" if n % 4 else "",
        "address": f"振兴街{n}号" if n % 5 else "",
        "status": ["存续", "在业", "注销"][n % 3],
        "established": ["2015-03-12", "2015/3/12", "", "1999-12-31"][n % 4],
        "risk_class": "ABCD"[n % 4],
        "abnormal_list": ["否", "是", "", "Y"][n % 4],
        "serious_illegal_list": ["", "no", "1"][n % 3],
        "departments": ["SCJG", "ZJ;SCJG", "", "SYJ、ZJ；SCJG"][n % 4],
        "tags": ["", "特种设备使用单位", "b;a;b", "x\\y"][n % 4],
        "last_inspected": ["", "2024-05-01"][n % 2],
        "legal_representative": f"法人{n}",
    }
    values.update(changes)
    return [values[column] for column in HEADER]


def _file(path: Path, rows: list[list[str]]) -> Path:
    return write_csv(path, [HEADER, *rows])


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Several batches and several read-back chunks even for a few rows."""
    monkeypatch.setattr(_read, "BATCH_ROWS", 7)
    monkeypatch.setattr(snapshot, "CHUNK_ROWS", 5)


@pytest.fixture(params=["here", "fork", "spawn"])
def where(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Check the file in this process, or in a second one (forked, or a new
    interpreter) however small the file is."""
    if request.param != "here":
        _in_a_child(monkeypatch, fork=request.param == "fork")
    return str(request.param)


def _import(app: App, path: Path, **options: Any) -> Any:
    with app.transaction() as session:
        return import_registry(session, "objects", path, today=TODAY, actor="tester", **options)


def _check_digest(app: App, digest: str) -> None:
    with app.transaction() as session:
        assert read_back_digest(session, "objects") == digest
        assert objects_snapshot(objects_as_of(session)).digest == digest


def _versions(app: App, tmp_path: Path) -> Iterator[tuple[Any, str]]:
    """Full, partial, full again with changes, gone and returning objects; tabs,
    backslashes, lists in any order and dates written as Excel writes them."""
    files = [
        ("v1", [_row(n) for n in range(40)], {}),
        ("v2", [_row(3, name="改名\t后"), _row(41), _row(42, tags="z;y")], {"partial": True}),
        ("v3", [_row(n) for n in range(0, 45, 2)], {}),
        ("v4", [_row(n, address="新址\\1") for n in range(1, 45)], {}),
    ]
    for name, rows, options in files:
        summary = _import(app, _file(tmp_path / f"{name}.csv", rows), **options)
        yield summary, name


def test_version_digests_are_those_read_back(
    with_departments: App, tmp_path: Path, small_batches: None, where: str
) -> None:
    for summary, _ in _versions(with_departments, tmp_path):
        _check_digest(with_departments, summary.digest)


def test_a_second_process_imports_the_same_versions(
    with_departments: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_batches: None
) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
    here = [s.as_dict() for s, _ in _versions(with_departments, tmp_path / "a")]
    _in_a_child(monkeypatch)
    with with_departments.transaction() as session:  # start again from nothing
        session.execute(ObjectRow.__table__.delete())
    child = [s.as_dict() for s, _ in _versions(with_departments, tmp_path / "b")]
    unchanging = ("kind", "mode", "rows_in_file", "added", "changed", "gone", "total", "digest")
    assert [[v[k] for k in unchanging] for v in child] == [[v[k] for k in unchanging] for v in here]


def test_the_same_problems_in_either_process(
    with_departments: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_batches: None
) -> None:
    rows = [
        *(_row(n) for n in range(20)),
        _row(5),  # a repeated id
        _row(30, established="2030-01-01", departments="XX"),
        _row(31, id=code(31)[:-1] + "0" if code(31)[-1] != "0" else code(31)[:-1] + "1"),
        ["", "", "", "", "", "", "", "", "", "", "", "", "", "", "", ""],  # blank: skipped
        _row(32, type="公司", industry="5211", risk_class="E"),
    ]
    path = _file(tmp_path / "bad.csv", rows)

    def problems() -> list[tuple[Any, ...]]:
        with pytest.raises(ValidationError) as caught:
            _import(with_departments, path)
        return [
            (p.file, p.row, p.column, p.value, p.reason, p.reason_en) for p in caught.value.problems
        ]

    here = problems()
    _in_a_child(monkeypatch, fork=True)
    assert problems() == here
    _in_a_child(monkeypatch, fork=False)
    assert problems() == here
    assert {row for _, row, *_ in here} == {7, 22, 23, 24, 26}


def _indexes(session: Any) -> list[tuple[str, str]]:
    if session.get_bind().dialect.name == "postgresql":
        query = (
            "SELECT indexname, indexdef FROM pg_indexes "
            "WHERE tablename = 'object_rows' AND schemaname = current_schema()"
        )
    else:
        query = (
            "SELECT name, sql FROM sqlite_master "
            "WHERE type = 'index' AND tbl_name = 'object_rows' AND sql IS NOT NULL"
        )
    return sorted(session.execute(text(query)).all())


def test_a_first_import_builds_the_same_indexes(with_departments: App, tmp_path: Path) -> None:
    """On both backends a first import builds the secondary indexes after the rows."""
    with with_departments.transaction() as session:
        before = _indexes(session)
        secondary = [name for name, _ in before if not name.startswith("pk_")]
    assert len(secondary) == 2
    bad = _file(tmp_path / "bad.csv", [_row(1), _row(2, type="公司")])
    with with_departments.transaction() as session:
        with pytest.raises(ValidationError):
            import_registry(session, "objects", bad, today=TODAY, actor="tester")
        # Even before the caller's transaction rolls back: no rows, the same indexes.
        assert session.scalar(select(func.count()).select_from(ObjectRow)) == 0
        assert _indexes(session) == before
    summary = _import(with_departments, _file(tmp_path / "good.csv", [_row(1), _row(2)]))
    with with_departments.transaction() as session:
        assert _indexes(session) == before
    assert summary.total == 2


def _secondary_while_saving(app: App, path: Path) -> list[str]:
    """The secondary indexes of object_rows once the rows are written, before the
    import finishes (its "saving" step)."""
    seen: list[str] = []
    postgresql = app.engine.dialect.name == "postgresql"
    setting = text("SELECT current_setting('maintenance_work_mem')")
    with app.transaction() as session:
        memory = session.scalar(setting) if postgresql else None

        def progress(step: str, done: int, total: int) -> None:
            if step == "saving":
                seen.extend(name for name, _ in _indexes(session) if not name.startswith("pk_"))

        import_registry(session, "objects", path, today=TODAY, actor="tester", progress=progress)
        if postgresql:  # raised only while the indexes are built
            assert session.scalar(setting) == memory
    return seen


def test_only_a_first_import_defers_the_indexes(with_departments: App, tmp_path: Path) -> None:
    first = _secondary_while_saving(with_departments, _file(tmp_path / "a.csv", [_row(1)]))
    second = _secondary_while_saving(with_departments, _file(tmp_path / "b.csv", [_row(2)]))
    assert first == []
    assert len(second) == 2


def test_postgresql_keeps_the_indexes_of_a_table_another_session_uses(
    with_departments: App, tmp_path: Path
) -> None:
    """The indexes are dropped only if the empty table can be locked at once."""
    if with_departments.engine.dialect.name != "postgresql":
        pytest.skip("on SQLite a writer excludes every other session anyway")
    with with_departments.engine.connect() as other:
        other.execute(select(func.count()).select_from(ObjectRow))  # holds ACCESS SHARE
        seen = _secondary_while_saving(with_departments, _file(tmp_path / "a.csv", [_row(1)]))
        other.rollback()
    assert len(seen) == 2
    with with_departments.transaction() as session:
        assert session.scalar(select(func.count()).select_from(ObjectRow)) == 1


def _in_a_child(monkeypatch: pytest.MonkeyPatch, fork: bool = True) -> None:
    monkeypatch.setattr(_pipeline, "PIPELINE_MIN_BYTES", 0)
    monkeypatch.setattr(_pipeline, "_cpus", lambda: 2)
    monkeypatch.setattr(_pipeline, "_may_fork", lambda: fork)


@pytest.mark.parametrize("partial", [False, True])
def test_a_key_repeated_late_is_found_here_and_reported_as_always(
    with_departments: App,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    small_batches: None,
    partial: bool,
) -> None:
    """The child does not check keys; this process does, takes back what it wrote
    and checks the file again itself, which reports the pair of rows."""
    first = _import(with_departments, _file(tmp_path / "v1.csv", [_row(n) for n in range(30)]))
    _in_a_child(monkeypatch)
    rows = [_row(n, name=f"新{n}") for n in range(30)] + [_row(7)]
    with pytest.raises(ValidationError) as caught:
        _import(with_departments, _file(tmp_path / "v2.csv", rows), partial=partial)
    assert [(p.row, p.reason_en) for p in caught.value.problems] == [
        (9, "is repeated on row 32"),
        (32, "repeats the id of row 9"),
    ]
    _check_digest(with_departments, first.digest)


def test_a_first_import_that_falls_back_starts_from_nothing(
    with_departments: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_batches: None
) -> None:
    _in_a_child(monkeypatch)
    rows = [*(_row(n) for n in range(30)), _row(3)]
    with pytest.raises(ValidationError) as caught, with_departments.transaction() as session:
        try:
            import_registry(
                session, "objects", _file(tmp_path / "o.csv", rows), today=TODAY, actor="tester"
            )
        finally:
            if with_departments.engine.dialect.name == "sqlite":
                assert len(_indexes(session)) == 2
    assert {p.row for p in caught.value.problems} == {5, 32}
    with with_departments.transaction() as session:
        assert session.scalar(select(func.count()).select_from(ObjectRow)) == 0


def _exits(jobs: Any, out: Any) -> None:
    os._exit(3)


def _says_nothing(jobs: Any, out: Any) -> None:
    pickle.load(jobs)


def _says_nonsense(jobs: Any, out: Any) -> None:
    out.write(b"garbage")


@pytest.mark.parametrize(
    "failure",
    [
        ("spawn", "import sys; sys.exit(3)"),  # dies at once
        (
            "spawn",
            "import sys, pickle; pickle.load(sys.stdin.buffer); pickle.load(sys.stdin.buffer)",
        ),
        ("spawn", "import sys, os; sys.stdin.buffer.read(); os.write(1, b'garbage')"),
        ("fork", _exits),
        ("fork", _says_nothing),
        ("fork", _says_nonsense),
    ],
)
def test_a_failing_child_only_costs_time(
    with_departments: App,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    small_batches: None,
    failure: tuple[str, Any],
) -> None:
    how, what = failure
    _in_a_child(monkeypatch, fork=how == "fork")
    monkeypatch.setattr(_pipeline, "_BOOTSTRAP" if how == "spawn" else "_serve", what)
    summary = _import(with_departments, _file(tmp_path / "o.csv", [_row(n) for n in range(20)]))
    assert summary.total == 20
    _check_digest(with_departments, summary.digest)


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8-sig"])
def test_the_encoding_is_guessed_then_confirmed(
    with_departments: App,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    small_batches: None,
    encoding: str,
) -> None:
    """The child starts reading as the first bytes suggest; a GB18030 file whose first
    bytes are plain ASCII is found out and imported as ever."""
    from dualrandom.sheets import _source

    monkeypatch.setattr(_source, "_CHUNK", 64)  # guess from the first 64 bytes
    ascii_rows = [
        _row(n, name=f"Shop {n}", district="A", registration_authority="B") for n in range(9)
    ]
    rows = [*ascii_rows, *(_row(n) for n in range(9, 30))]
    path = write_csv(tmp_path / "o.csv", [HEADER, *rows], encoding=encoding)
    here = _import(with_departments, path)
    _check_digest(with_departments, here.digest)
    with with_departments.transaction() as session:
        session.execute(ObjectRow.__table__.delete())
    _in_a_child(monkeypatch)
    child = _import(with_departments, path)
    assert (child.encoding, child.source_sha256, child.digest, child.total) == (
        here.encoding,
        here.source_sha256,
        here.digest,
        30,
    )
    assert child.encoding == encoding


def test_values_that_copy_would_read_as_escapes_are_stored_as_they_are(
    with_departments: App, tmp_path: Path
) -> None:
    """On PostgreSQL rows are loaded with COPY, whose text format gives a backslash
    and ``\\N`` a meaning: a name holding them must come back as it was written,
    in a first import (into the registry table) and a later one (into staging)."""
    names = {0: "盘锦\\第0号公司", 1: "\\N", 2: "盘锦第2号公司\\"}
    rows = [HEADER, *(_row(n, name=names.get(n, f"盘锦第{n}号公司")) for n in range(4))]
    run = import_registry
    with with_departments.transaction() as session:
        run(session, "objects", write_csv(tmp_path / "v1.csv", rows), today=TODAY, actor="t")
    renamed = {3: "盘锦\\\\第3号\\t公司"}
    rows2 = [HEADER, *(_row(n, name={**names, **renamed}.get(n, "")) for n in range(4))]
    with with_departments.transaction() as session:
        run(session, "objects", write_csv(tmp_path / "v2.csv", rows2), today=TODAY, actor="t")
        stored = session.execute(
            select(ObjectRow.version_from, ObjectRow.object_id, ObjectRow.name).order_by(
                ObjectRow.version_from, ObjectRow.object_id
            )
        ).all()
    first = {object_id: name for version, object_id, name in stored if version == 1}
    assert first == {code(n): names.get(n, f"盘锦第{n}号公司") for n in range(4)}
    second = [(object_id, name) for version, object_id, name in stored if version == 2]
    assert second == [(code(3), "盘锦\\\\第3号\\t公司")]


def test_a_repeated_key_is_found_while_rows_stream_where_an_index_would_refuse_it(
    with_departments: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_batches: None
) -> None:
    """Where the unique index stays while the rows stream (PostgreSQL, a table another
    session uses), a repeated key must be found before it reaches the table: it is
    reported as always, not as the database's error."""
    if with_departments.engine.dialect.name != "postgresql":
        pytest.skip("on SQLite a first import always builds its indexes afterwards")
    _in_a_child(monkeypatch)
    rows = [*(_row(n) for n in range(30)), _row(3)]
    with with_departments.engine.connect() as other:
        other.execute(select(func.count()).select_from(ObjectRow))  # holds ACCESS SHARE
        with pytest.raises(ValidationError) as caught:
            _import(with_departments, _file(tmp_path / "o.csv", rows))
        other.rollback()
    assert [(p.row, p.reason_en) for p in caught.value.problems] == [
        (5, "is repeated on row 32"),
        (32, "repeats the id of row 5"),
    ]
    with with_departments.transaction() as session:
        assert session.scalar(select(func.count()).select_from(ObjectRow)) == 0
