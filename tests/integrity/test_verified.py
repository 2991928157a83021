"""The check before publishing does not redo a draw whose inputs passed before,
and any change to those inputs, between two publications, is refused all the same.

Every attack here is made after a publication that remembered its draws as
checked (the ``.site.verified`` file beside the site), so each shows that the
remembered fingerprint does not let a changed record through.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from dualrandom.app import App
from dualrandom.errors import IntegrityError
from dualrandom.integrity import _check, rows_digest
from dualrandom.publish import publish_site
from dualrandom.tables import DrawFileRow, DrawRow, DrawVisitRow, ObjectRow
from tests.audit.conftest import ACTOR, draw_row

# Each test publishes a site first (about 4 s): with the slow tests, in CI (make test stays under 5 minutes).
pytestmark = pytest.mark.slow

PUBLISHED = datetime(2027, 1, 10, 2, 0, tzinfo=UTC)


def publish(app: App, site: Path, **options: object) -> int:
    """Publish; the number of files written."""
    with app.transaction() as session:
        report = publish_site(
            session,
            site,
            timezone=app.settings.timezone,
            actor=ACTOR,
            now=PUBLISHED,
            **options,  # type: ignore[arg-type]
        )
    return report.written


def verified(site: Path) -> list[str]:
    path = site.parent / f".{site.name}.verified"
    return list(json.loads(path.read_text(encoding="utf-8"))["draws"])


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The draws checked in full (``plan#attempt``), in the order checked."""
    done: list[str] = []
    real = _check.draw_findings

    def counted(session: Session, row: DrawRow, *args: object) -> object:
        done.append(f"{row.plan_id}#{row.attempt}")
        return real(session, row, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(_check, "draw_findings", counted)
    return done


@pytest.fixture
def published(history: App, tmp_path: Path, checks: list[str]) -> Path:
    site = tmp_path / "site"
    publish(history, site)
    assert sorted(checks) == ["2027-Q1#1", "2027-Q1#2", "2027-Q2#1"]  # all in full, once
    assert len(verified(site)) == 3
    checks.clear()
    return site


def test_a_draw_whose_inputs_did_not_change_is_not_checked_again(
    history: App, published: Path, checks: list[str]
) -> None:
    assert publish(history, published) == 0
    assert checks == []
    assert len(verified(published)) == 3


def test_a_full_publication_checks_every_draw(
    history: App, published: Path, checks: list[str]
) -> None:
    publish(history, published, full=True)
    assert sorted(checks) == ["2027-Q1#1", "2027-Q1#2", "2027-Q2#1"]


def test_a_fingerprint_file_that_is_not_ours_means_checking_everything(
    history: App, published: Path, checks: list[str]
) -> None:
    (published.parent / f".{published.name}.verified").write_text("{not json", encoding="utf-8")
    publish(history, published)
    assert sorted(checks) == ["2027-Q1#1", "2027-Q1#2", "2027-Q2#1"]
    assert len(verified(published)) == 3


def sql(app: App, statement: str, **values: object) -> None:
    with app.transaction() as session:
        session.execute(text(statement), values)


def refused(app: App, site: Path) -> str:
    before = {p: p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}
    with pytest.raises(IntegrityError) as raised:
        publish(app, site)
    after = {p: p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}
    assert after == before  # the live site stays as it was
    return str(raised.value)


def draw_id(app: App, plan: str = "2027-Q2", attempt: int = 1) -> int:
    with app.transaction() as session:
        return draw_row(session, plan, attempt).id


def test_a_stored_file_edited_with_its_own_hash_is_refused(
    history: App, published: Path, checks: list[str]
) -> None:
    """result.tsv changed and its stored SHA-256 with it: only the result digest
    the log recorded can tell, and it does."""
    with history.transaction() as session:
        row = session.get(DrawFileRow, (draw_id(history), "result.tsv"))
        assert row is not None
        changed = row.content.replace(b"\t", b"\t ", 1)
        row.content, row.sha256 = changed, hashlib.sha256(changed).hexdigest()
    message = refused(history, published)
    assert "2027-Q2#1" in message and checks == ["2027-Q2#1"]


def test_a_stored_file_edited_alone_is_refused(history: App, published: Path) -> None:
    sql(history, "UPDATE draw_files SET content = :c WHERE draw_id = :d AND name = 'teams.tsv'",
        c=b"forged\n", d=draw_id(history, "2027-Q1", 2))  # fmt: skip
    assert "2027-Q1#2 teams.tsv" in refused(history, published)


def test_a_visit_row_swapped_is_refused(history: App, published: Path) -> None:
    with history.transaction() as session:
        drawn = set(session.scalars(select(DrawVisitRow.object_id)))
        other = next(o for o in session.scalars(select(ObjectRow.object_id)) if o not in drawn)
    sql(history, "UPDATE draw_visits SET object_id = :o WHERE draw_id = :d AND number = 1",
        o=other, d=draw_id(history))  # fmt: skip
    assert "draw_visits 2027-Q2#1 visit 1" in refused(history, published)


def test_a_task_moved_to_another_object_is_refused(history: App, published: Path) -> None:
    with history.transaction() as session:
        other = session.scalars(select(ObjectRow.object_id).order_by(ObjectRow.object_id)).first()
    sql(history, "UPDATE inspection_tasks SET object_id = :o WHERE draw_id = :d AND visit = 2",
        o=f"{other}X", d=draw_id(history))  # fmt: skip
    assert "inspection_tasks 2027-Q2#1 visit 2" in refused(history, published)


def test_a_team_member_swapped_is_refused(history: App, published: Path) -> None:
    sql(history, "UPDATE draw_members SET position = position + 7 WHERE draw_id = :d AND visit = 1 AND slot = 1",
        d=draw_id(history, "2027-Q1", 2))  # fmt: skip
    assert "draw_members 2027-Q1#2 visit 1 slot 1" in refused(history, published)


def test_a_registry_row_edited_is_refused(history: App, published: Path) -> None:
    """A drawn business renamed in the registry version the DR-2 draws committed to."""
    with history.transaction() as session:
        drawn = session.scalars(
            select(DrawVisitRow.object_id).where(DrawVisitRow.draw_id == draw_id(history))
        ).first()
    sql(history, "UPDATE object_rows SET name = name || '（改）' WHERE object_id = :o", o=drawn)
    message = refused(history, published)
    assert "发布被拒绝" in message and "draws 2027-Q2#1" in message and "名录库" in message


def test_a_draw_row_edited_is_refused(history: App, published: Path) -> None:
    sql(history, "UPDATE draws SET entropy = :e WHERE id = :d", e="1 1 1 1 1 1", d=draw_id(history))
    assert "2027-Q2#1" in refused(history, published)


CASES = [
    ((1, "a;b", "c"), (1, "a", ";bc")),  # a separator moved between two values
    ((1, "a", None), (1, "a", "")),  # NULL is not the empty string
    ((1, "ab", "c"), (1, "a", "bc")),
    ((1, "a|", "c"), (1, "a", "|c")),
]
SQLITE_ONLY = [
    ((1, "a\x00b", "c"), (1, "a", "\x00bc")),  # a NUL does not end a value
    ((0.1, "a", "c"), (0.1 + 2**-56, "a", "c")),  # reals that print alike in 15 digits
    ((1, b"a", "c"), (1, "a", "c")),  # a blob is not the text of its bytes
    ((1, b"\xff", "c"), (1, b"\xfe", "c")),
]


@pytest.mark.parametrize(("one", "other"), CASES + SQLITE_ONLY)
def test_rows_that_differ_never_give_the_same_digest(
    app: App, one: tuple[object, ...], other: tuple[object, ...]
) -> None:
    digests: list[str] = []
    with app.transaction() as session:
        if session.get_bind().dialect.name != "sqlite" and (one, other) in SQLITE_ONLY:
            pytest.skip("PostgreSQL types its columns and refuses NUL in text")
        session.execute(
            text("CREATE TABLE probe (draw_id INTEGER, number INTEGER, a TEXT, b TEXT)")
        )
        for values in (one, other, one):
            session.execute(text("DELETE FROM probe"))
            session.execute(
                text("INSERT INTO probe VALUES (9, :n, :a, :b), (9, 2, 'x', 'y'), (8, 1, :a, 'z')"),
                dict(zip(("n", "a", "b"), values, strict=True)),
            )
            digests.append(rows_digest(session, "probe", ("number", "a", "b"), 9, ("number",)))
        session.execute(text("DROP TABLE probe"))
    assert digests[0] != digests[1] and digests[0] == digests[2]


def test_rows_digest_is_order_and_draw_specific(history: App) -> None:
    with history.transaction() as session:
        ids = list(session.scalars(select(DrawRow.id).where(DrawRow.state != "prepared")))
        columns = ("number", "object_id")
        by_number = {i: rows_digest(session, "draw_visits", columns, i, ("number",)) for i in ids}
        by_object = {
            i: rows_digest(session, "draw_visits", columns, i, ("object_id",)) for i in ids
        }
    assert len(set(by_number.values())) == len(ids)
    assert all(by_number[i] != by_object[i] for i in ids)
