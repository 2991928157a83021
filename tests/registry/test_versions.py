"""Imports as versions: unchanged rows untouched, changes and disappearances kept as history."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from sqlalchemy import func, select

from dualrandom.app import App
from dualrandom.registry import current_version, objects_as_of, registry_digest
from dualrandom.tables import AuditEntryRow, DepartmentRow, ObjectRow, RegistryVersionRow
from tests.registry.conftest import (
    DEPARTMENTS,
    OBJECT_HEADER,
    code,
    object_row,
    objects,
    run_import,
    write_csv,
)


def _rows(app: App) -> int:
    with app.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(ObjectRow)) or 0)


def test_first_import_is_version_one_with_an_audit_entry(
    with_departments: App, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "objects.csv", objects(5))
    summary = run_import(with_departments, "objects", path)
    assert (summary.number, summary.mode, summary.rows_in_file) == (1, "full", 5)
    assert (summary.added, summary.changed, summary.gone, summary.total) == (5, 0, 0, 5)
    assert summary.source_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    with with_departments.transaction() as session:
        version = current_version(session, "objects")
        entry = session.scalars(select(AuditEntryRow).order_by(AuditEntryRow.seq.desc())).first()
    assert version is not None and version.digest == summary.digest
    assert entry is not None and (entry.action, entry.subject) == ("registry.import", "objects v1")
    payload = json.loads(entry.payload)
    assert payload["digest"] == summary.digest and payload["added"] == 5
    assert payload["source_sha256"] == summary.source_sha256


def test_unchanged_rows_are_left_alone(with_departments: App, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "objects.csv", objects(5))
    first = run_import(with_departments, "objects", path)
    again = run_import(with_departments, "objects", path)
    assert (again.number, again.added, again.changed, again.gone, again.total) == (2, 0, 0, 0, 5)
    assert again.digest == first.digest
    assert _rows(with_departments) == 5


def test_changed_missing_and_returning_objects(with_departments: App, tmp_path: Path) -> None:
    run_import(with_departments, "objects", write_csv(tmp_path / "v1.csv", objects(4)))
    v2_rows = [
        OBJECT_HEADER,
        object_row(0),
        object_row(1, name="改名后的公司", established=""),  # changed
        object_row(2),
        object_row(9),  # new; object 3 is missing
    ]
    v2 = run_import(with_departments, "objects", write_csv(tmp_path / "v2.csv", v2_rows))
    assert (v2.added, v2.changed, v2.gone, v2.total) == (1, 1, 1, 4)
    v3 = run_import(
        with_departments, "objects", write_csv(tmp_path / "v3.csv", [*v2_rows, object_row(3)])
    )
    assert (v3.added, v3.changed, v3.gone, v3.total) == (1, 0, 0, 5)  # object 3 is back
    with with_departments.transaction() as session:
        v1_ids = [r.id for r in objects_as_of(session, 1)]
        v2_records = {r.id: r for r in objects_as_of(session, 2)}
        now_ids = [r.id for r in objects_as_of(session)]
        gone_rows = session.scalars(select(ObjectRow).where(ObjectRow.gone.is_(True))).all()
        for number in (1, 2, 3):
            version = session.scalars(
                select(RegistryVersionRow).where(
                    RegistryVersionRow.kind == "objects", RegistryVersionRow.number == number
                )
            ).one()
            assert version.digest == registry_digest(session, "objects", number)
    assert v1_ids == sorted(code(n) for n in range(4))
    assert sorted(v2_records) == sorted(code(n) for n in (0, 1, 2, 9))
    assert v2_records[code(1)].name == "改名后的公司" and v2_records[code(1)].established is None
    assert now_ids == sorted(code(n) for n in (0, 1, 2, 3, 9))
    assert [(r.object_id, r.version_from, r.version_to) for r in gone_rows] == [(code(3), 2, 3)]


def test_partial_import_upserts_only_the_rows_given(with_departments: App, tmp_path: Path) -> None:
    run_import(with_departments, "objects", write_csv(tmp_path / "all.csv", objects(5)))
    rows = [OBJECT_HEADER, object_row(2, status="注销"), object_row(7)]
    summary = run_import(
        with_departments, "objects", write_csv(tmp_path / "some.csv", rows), partial=True
    )
    assert (summary.mode, summary.added, summary.changed, summary.gone, summary.total) == (
        "partial",
        1,
        1,
        0,
        6,
    )
    with with_departments.transaction() as session:
        statuses = {r.id: str(r.status) for r in objects_as_of(session)}
    assert statuses[code(2)] == "注销" and statuses[code(0)] == "存续" and code(7) in statuses


def test_versions_are_numbered_per_registry(with_departments: App, tmp_path: Path) -> None:
    objects_file = write_csv(tmp_path / "o.csv", objects(2))
    assert run_import(with_departments, "objects", objects_file).number == 1
    assert run_import(with_departments, "departments", tmp_path / "departments.csv").number == 2
    assert run_import(with_departments, "objects", objects_file).number == 2


def test_departments_are_upserted_never_removed(with_departments: App, tmp_path: Path) -> None:
    rows = [DEPARTMENTS[0], ["SCJG", "盘锦市市场监管局", "市"], ["GA", "盘锦市公安局", "市"]]
    summary = run_import(with_departments, "departments", write_csv(tmp_path / "d2.csv", rows))
    assert (summary.added, summary.changed, summary.gone, summary.total) == (1, 1, 0, 4)
    with with_departments.transaction() as session:
        names = dict(session.execute(select(DepartmentRow.code, DepartmentRow.name)).all())
    assert names["SCJG"] == "盘锦市市场监管局" and "ZJ" in names and "GA" in names


def test_a_failed_import_leaves_the_previous_version_current(
    with_departments: App, tmp_path: Path
) -> None:
    import pytest

    from dualrandom.errors import ValidationError

    first = run_import(with_departments, "objects", write_csv(tmp_path / "o.csv", objects(3)))
    rows = [*objects(3), object_row(4, status="bad")]
    with pytest.raises(ValidationError):
        run_import(with_departments, "objects", write_csv(tmp_path / "bad.csv", rows))
    with with_departments.transaction() as session:
        version = current_version(session, "objects")
        assert version is not None and (version.number, version.digest) == (1, first.digest)
        assert len(objects_as_of(session)) == 3
