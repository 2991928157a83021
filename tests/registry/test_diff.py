"""The difference between two registry versions: added, removed, changed rows,
personal fields named but never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from dualrandom.app import App
from dualrandom.errors import NotFoundError, UserError
from dualrandom.registry import version_diff
from tests.registry.conftest import OBJECT_HEADER, object_row, run_import, write_csv


def test_a_diff_lists_added_removed_and_changed_rows(with_departments: App, tmp_path: Path) -> None:
    app = with_departments
    first = [object_row(n) for n in range(5)]
    run_import(app, "objects", write_csv(tmp_path / "v1.csv", [OBJECT_HEADER, *first]))
    name = OBJECT_HEADER.index("name")
    person = OBJECT_HEADER.index("legal_representative")
    second = [list(r) for r in first[1:]]  # row 0 gone
    second[0][name] = "改名后的公司"  # row 1 renamed
    second[1][person] = "新法定代表人"  # row 2: only a personal field changes
    second.append(object_row(7))  # row 7 new
    run_import(app, "objects", write_csv(tmp_path / "v2.csv", [OBJECT_HEADER, *second]))
    with app.transaction() as session:
        diff = version_diff(session, "objects", 1, 2)
    assert diff.counts == {"added": 1, "removed": 1, "changed": 2}
    assert [c.key for c in diff.added] == [(object_row(7)[0],)]
    assert [c.key for c in diff.removed] == [(first[0][0],)]
    renamed, personal = diff.changed
    assert renamed.before["name"] == first[1][name] and renamed.after["name"] == "改名后的公司"
    assert personal.hidden == ("legal_representative",)
    assert personal.before == {} and personal.after == {}
    shown = str([c.before | c.after for c in diff.added + diff.removed + diff.changed])
    assert "新法定代表人" not in shown and "legal_representative" not in shown


def test_a_diff_lists_at_most_the_limit_but_counts_all(
    with_departments: App, tmp_path: Path
) -> None:
    app = with_departments
    run_import(app, "objects", write_csv(tmp_path / "a.csv", [OBJECT_HEADER, object_row(0)]))
    rows = [object_row(n) for n in range(12)]
    run_import(app, "objects", write_csv(tmp_path / "b.csv", [OBJECT_HEADER, *rows]))
    with app.transaction() as session:
        diff = version_diff(session, "objects", 1, 2, limit=5)
    assert diff.counts["added"] == 11 and len(diff.added) == 5


def test_a_diff_needs_two_versions_in_order(with_departments: App, tmp_path: Path) -> None:
    app = with_departments
    run_import(app, "objects", write_csv(tmp_path / "a.csv", [OBJECT_HEADER, object_row(0)]))
    with app.transaction() as session:
        with pytest.raises(UserError, match="较早"):
            version_diff(session, "objects", 1, 1)
        with pytest.raises(NotFoundError):
            version_diff(session, "objects", 1, 2)
        with pytest.raises(NotFoundError):
            version_diff(session, "departments", 1, 2)
