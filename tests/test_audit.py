"""The hash chain detects an altered, removed or inserted entry."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from sqlalchemy import delete, select, update

from dualrandom import audit
from dualrandom.app import App
from dualrandom.tables import AuditEntryRow

AT = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


def _three_entries(app: App) -> None:
    with app.transaction() as session:
        for n in range(1, 4):
            audit.append(session, "test.action", f"subject-{n}", {"n": n, "名称": "盘锦"}, at=AT, actor="tester")


def test_intact_chain_verifies(app: App) -> None:
    _three_entries(app)
    with app.transaction() as session:
        report = audit.verify(session)
    assert (report.ok, report.entries) == (True, 3)


def test_altered_payload_is_found(app: App) -> None:
    _three_entries(app)
    with app.transaction() as session:
        session.execute(update(AuditEntryRow).where(AuditEntryRow.seq == 2).values(payload='{"n":20}'))
    with app.transaction() as session:
        report = audit.verify(session)
    assert report.first_bad_seq == 2 and "altered" in report.reason


def test_removed_entry_is_found(app: App) -> None:
    _three_entries(app)
    with app.transaction() as session:
        session.execute(delete(AuditEntryRow).where(AuditEntryRow.seq == 2))
    with app.transaction() as session:
        report = audit.verify(session)
    assert report.first_bad_seq == 3 and "missing" in report.reason


def test_inserted_entry_is_found(app: App) -> None:
    _three_entries(app)
    with app.transaction() as session:
        session.execute(delete(AuditEntryRow).where(AuditEntryRow.seq == 3))
        session.execute(update(AuditEntryRow).where(AuditEntryRow.seq == 2).values(seq=3))
        session.add(
            AuditEntryRow(
                seq=2,
                at=AT,
                actor="x",
                action="forged",
                subject="s",
                payload="{}",
                prev_hash="0" * 64,
                hash="f" * 64,
            )
        )
    with app.transaction() as session:
        report = audit.verify(session)
    assert report.first_bad_seq == 2


def test_entry_hash_is_pinned(app: App) -> None:
    """The chain's hash construction is part of what auditors re-implement."""
    import hashlib
    import json

    with app.transaction() as session:
        entry = audit.append(session, "a", "s", {"k": "值"}, actor="tester", at=AT)
    content = json.dumps(
        {
            "seq": 1,
            "at": "2027-01-04T09:00:00.000000Z",
            "actor": "tester",
            "action": "a",
            "subject": "s",
            "payload": '{"k":"值"}',
            "prev_hash": "0" * 64,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    assert entry.hash == hashlib.sha256(b"dual-random/audit/v1\n" + content.encode()).hexdigest()


def test_concurrent_appends_take_turns(app: App) -> None:
    """Two transactions that append at once both commit, one after the other
    (PostgreSQL: an advisory lock; SQLite: one writer at a time)."""
    first_appended = threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with app.transaction() as session:
                audit.append(session, "test.action", "first", {}, at=AT, actor="tester")
                first_appended.set()
                time.sleep(0.5)  # still open while the second appends
        except BaseException as exc:  # reported below
            errors.append(exc)
            first_appended.set()

    thread = threading.Thread(target=first)
    thread.start()
    first_appended.wait(timeout=30)
    with app.transaction() as session:
        audit.append(session, "test.action", "second", {}, at=AT, actor="tester")
    thread.join(timeout=30)
    assert errors == []
    with app.transaction() as session:
        subjects = session.scalars(select(AuditEntryRow.subject).order_by(AuditEntryRow.seq)).all()
        assert audit.verify(session).ok
    assert subjects == ["first", "second"]


def test_entries_are_filtered_by_who_what_which_and_when(app: App) -> None:
    days = [datetime(2027, 1, d, 9, 0, tzinfo=UTC) for d in (4, 5, 6)]
    with app.transaction() as session:
        audit.append(session, "draw.prepare", "2027-Q1#1", {}, actor="op", at=days[0])
        audit.append(session, "draw.run", "2027-Q1#1", {}, actor="op", at=days[1])
        audit.append(session, "task.state", "2027-Q1#1/3", {}, actor="inspector", at=days[1])
        audit.append(session, "draw.prepare", "2027-Q2#1", {}, actor="admin_x", at=days[2])
    with app.transaction() as session:
        assert [e.seq for e in audit.entries(session).entries] == [4, 3, 2, 1]
        assert [e.seq for e in audit.entries(session, actor="op").entries] == [2, 1]
        assert [e.seq for e in audit.entries(session, action="draw.").entries] == [4, 2, 1]
        assert [e.seq for e in audit.entries(session, subject="2027-Q1").entries] == [3, 2, 1]
        page = audit.entries(session, since=days[1], until=days[2], limit=1)
        assert page.total == 2 and [e.seq for e in page.entries] == [3]
        assert [e.seq for e in audit.entries(session, subject="2027_Q").entries] == []  # "_" is no wildcard
        assert audit.distinct_values(session, "actor") == ["admin_x", "inspector", "op"]
