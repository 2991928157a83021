"""The internal view of a draw: names as they stood when it was drawn, in pages."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from dualrandom.app import App
from dualrandom.draws import SecretStore, get_draw, visit_views
from dualrandom.registry import import_registry, inspectors_as_of, objects_as_of
from dualrandom.tables import DrawMemberRow
from tests.conftest import REPO
from tests.drawing import draw_dr2
from tests.draws.conftest import NOW, TODAY


def _renamed_registry(folder: Path, kind: str, key: str, renames: dict[str, str]) -> Path:
    """The sample registry ``kind`` with the names of some rows changed."""
    with (REPO / "registries" / f"{kind}.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        row["name"] = renames.get(row[key], row["name"])
    path = folder / f"{kind}.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_names_are_those_of_the_registry_versions_the_draw_used(
    sample_app: App, secrets: SecretStore, tmp_path: Path
) -> None:
    with sample_app.transaction() as session:
        row, _ = draw_dr2(session, "2027-Q1", secrets=secrets, now=NOW)
        before = visit_views(session, row)
        cert = session.scalars(
            select(DrawMemberRow.cert_no).where(
                DrawMemberRow.draw_id == row.id, DrawMemberRow.visit == 1
            )
        ).first()
    assert cert is not None
    business = before[0].object_id
    later = NOW + timedelta(days=1)
    with sample_app.transaction() as session:
        for kind, key, renames in (
            ("objects", "id", {business: "改名后的公司"}),
            ("inspectors", "cert_no", {cert: "改名后的人"}),
        ):
            path = _renamed_registry(tmp_path, kind, key, renames)
            import_registry(session, kind, path, today=TODAY, at=later, actor="tester")
    with sample_app.transaction() as session:
        now_named = {o.id: o.name for o in objects_as_of(session)}
        now_officers = {i.cert_no: i.name for i in inspectors_as_of(session)}
        after = visit_views(session, get_draw(session, "2027-Q1"))
    assert (now_named[business], now_officers[cert]) == ("改名后的公司", "改名后的人")
    assert after == before


def test_visits_come_in_pages(sample_app: App, secrets: SecretStore) -> None:
    with sample_app.transaction() as session:
        row, _ = draw_dr2(session, "2027-Q1", secrets=secrets, now=NOW)
        every = visit_views(session, row)
        pages = [visit_views(session, row, offset=n, limit=10) for n in range(0, len(every), 10)]
    assert [v.number for v in every] == list(range(1, len(every) + 1))
    assert [v for page in pages for v in page] == every
    assert all(page[-1].team for page in pages)  # each page has its teams, to the last visit
