"""audit verify beyond the chain: every stored draw, registry version and log rule,
each difference named by table, row, column, what was expected and what was found."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from dualrandom.app import App
from dualrandom.integrity import verify_record
from dualrandom.tables import (
    DrawFileRow,
    DrawMemberRow,
    DrawRow,
    DrawVisitRow,
    InspectionTaskRow,
    ObjectRow,
)
from tests.audit.conftest import draw_row


def _findings(app: App) -> list[tuple[str, str, str, str]]:
    with app.transaction() as session:
        report = verify_record(session)
    return [(f.code, f.table, f.row, f.column) for f in report.findings]


def test_an_honest_history_has_no_finding(history: App) -> None:
    """Supersede, substitution, a prepared draw, four registry versions: all accounted for."""
    with history.transaction() as session:
        report = verify_record(session)
    assert report.findings == []
    assert (report.draws, report.registry_versions) == (3, 4)
    assert report.entries > 20 and set(report.seconds) >= {"chain", "draws", "registries"}


def _visit(session: Session, plan: str, attempt: int, number: int) -> DrawVisitRow:
    row = draw_row(session, plan, attempt)
    return session.get_one(DrawVisitRow, (row.id, number))


def _set_visit(column: str, value: str, number: int = 2) -> Callable[[Session], None]:
    def tamper(session: Session) -> None:
        setattr(_visit(session, "2027-Q2", 1, number), column, value)

    return tamper


def _other_object(session: Session) -> str:
    drawn = set(session.scalars(select(DrawVisitRow.object_id)))
    return next(o for o in session.scalars(select(ObjectRow.object_id)) if o not in drawn)


def _swap_object(session: Session) -> None:
    _visit(session, "2027-Q2", 1, 2).object_id = _other_object(session)


def _member(session: Session) -> None:
    row = draw_row(session, "2027-Q2", 1)
    member = session.scalars(
        select(DrawMemberRow).where(DrawMemberRow.draw_id == row.id, DrawMemberRow.visit == 1)
    ).first()
    assert member is not None
    member.cert_no = "PJ-FORGED-1"


def _task(session: Session) -> None:
    row = draw_row(session, "2027-Q2", 1)
    task = session.get_one(InspectionTaskRow, (row.id, 3))
    task.object_id = _other_object(session)


def _drop_visit(session: Session) -> None:
    row = draw_row(session, "2027-Q2", 1)
    session.execute(delete(InspectionTaskRow).where(InspectionTaskRow.draw_id == row.id, InspectionTaskRow.visit == 3))
    session.execute(delete(DrawMemberRow).where(DrawMemberRow.draw_id == row.id, DrawMemberRow.visit == 3))
    session.execute(delete(DrawVisitRow).where(DrawVisitRow.draw_id == row.id, DrawVisitRow.number == 3))


def _extra_visit(session: Session) -> None:
    row = draw_row(session, "2027-Q2", 1)
    session.execute(
        insert(DrawVisitRow).values(
            draw_id=row.id, number=900, object_id=_other_object(session), ticket="0" * 16,
            items="", departments="", strata="",
        )
    )


def _file(name: str, *, with_hash: bool) -> Callable[[Session], None]:
    def tamper(session: Session) -> None:
        row = draw_row(session, "2027-Q2", 1)
        stored = session.get_one(DrawFileRow, (row.id, name))
        lines = stored.content.split(b"\n")
        lines[1], lines[2] = lines[2], lines[1]  # two drawn objects change places
        stored.content = b"\n".join(lines)
        if with_hash:
            stored.sha256 = hashlib.sha256(stored.content).hexdigest()

    return tamper


def _beacon_round(session: Session) -> None:
    """The stored round's signature changed, and its file hash with it."""
    row = draw_row(session, "2027-Q2", 1)
    stored = session.get_one(DrawFileRow, (row.id, "beacon-round.json"))
    data = json.loads(stored.content)
    data["signature"] = ("0" if data["signature"][0] != "0" else "1") + data["signature"][1:]
    stored.content = json.dumps(data).encode()
    stored.sha256 = hashlib.sha256(stored.content).hexdigest()


def _draw_column(plan: str, attempt: int, **values: object) -> Callable[[Session], None]:
    def tamper(session: Session) -> None:
        session.execute(
            update(DrawRow).where(DrawRow.plan_id == plan, DrawRow.attempt == attempt).values(**values)
        )

    return tamper


def _registry(column: str, value: str) -> Callable[[Session], None]:
    def tamper(session: Session) -> None:
        first = session.scalars(select(ObjectRow).order_by(ObjectRow.pk)).first()
        assert first is not None
        setattr(first, column, value)

    return tamper


def _substituted_visit(session: Session) -> None:
    row = draw_row(session, "2027-Q2", 1)
    last = max(session.scalars(select(DrawVisitRow.number).where(DrawVisitRow.draw_id == row.id)))
    _visit(session, "2027-Q2", 1, last).object_id = _other_object(session)


TAMPERING: dict[str, tuple[Callable[[Session], None], tuple[str, str, str, str]]] = {
    "visit object": (_swap_object, ("draw.visit", "draw_visits", "2027-Q2#1 visit 2", "object_id")),
    "visit ticket": (_set_visit("ticket", "0" * 16), ("draw.visit", "draw_visits", "2027-Q2#1 visit 2", "ticket")),
    "visit items": (_set_visit("items", "ZZ"), ("draw.visit", "draw_visits", "2027-Q2#1 visit 2", "items")),
    "team member": (_member, ("draw.member", "draw_members", "2027-Q2#1 visit 1 slot", "role, cert_no, department, position")),
    "task object": (_task, ("draw.task", "inspection_tasks", "2027-Q2#1 visit 3", "object_id")),
    "visit deleted": (_drop_visit, ("draw.visit-missing", "draw_visits", "2027-Q2#1 visit 3", "number")),
    "visit added": (_extra_visit, ("draw.visit-extra", "draw_visits", "2027-Q2#1 visit 900", "object_id")),
    "substituted visit": (_substituted_visit, ("draw.visit", "draw_visits", "2027-Q2#1 visit", "object_id")),
    "file changed": (_file("teams.tsv", with_hash=False), ("draw.file-hash", "draw_files", "2027-Q2#1 teams.tsv", "sha256")),
    "file and hash changed": (_file("teams.tsv", with_hash=True), ("draw.result-digest", "draw_files", "2027-Q2#1", "result_digest")),
    "result digest": (_draw_column("2027-Q2", 1, result_digest="0" * 64), ("draw.result-digest", "draws", "2027-Q2#1", "result_digest")),
    "seed": (_draw_column("2027-Q2", 1, seed="1" * 64), ("draw.seed", "draws", "2027-Q2#1", "seed")),
    "dice": (_draw_column("2027-Q1", 2, entropy="6 6 6 6 6 6 6 6 6 6 6 6 6 6 6 6 6 6 6 6"), ("draw.seed", "draws", "2027-Q1#2", "seed")),
    "dice where none": (_draw_column("2027-Q2", 1, entropy="1 2 3 4 5 6 1 2 3 4 5 6 1 2 3 4 5 6 1 2"), ("draw.seed", "draws", "2027-Q2#1", "seed")),
    "beacon round": (_beacon_round, ("draw.beacon", "draw_files", "2027-Q2#1 beacon-round.json", "content")),
    "registry version": (_draw_column("2027-Q2", 1, objects_version=2), ("draw.registry", "draws", "2027-Q2#1", "objects_version")),
    "registry row": (_registry("name", "改过的名称"), ("registry.digest", "registry_versions", "objects v1", "digest")),
    "registry row invalid": (_registry("industry", "X9999"), ("registry.invalid", "registry_versions", "objects v1", "rows")),
    "state backward": (_draw_column("2027-Q1", 1, state="drawn"), ("draw.state", "draws", "2027-Q1#1", "state")),
    "prepared withdrawn": (_draw_column("2027-Q3", 1, state="withdrawn"), ("draw.state", "draws", "2027-Q3#1", "state")),
    "supersede unrecorded": (_draw_column("2027-Q1", 2, supersede_reason="另一个理由"), ("draw.supersede", "draws", "2027-Q1#2", "supersedes")),
}  # fmt: skip


def test_each_change_is_found_and_named(history: App) -> None:
    """Each change alone, in a transaction rolled back afterwards (one history for all)."""
    missed = {}
    for case, (tamper, (code, table, row, column)) in TAMPERING.items():
        with history.sessions() as session, session.begin():
            tamper(session)
            session.flush()
            found = [(f.code, f.table, f.row, f.column) for f in verify_record(session).findings]
            session.rollback()
        if not any(
            f[0] == code and f[1] == table and f[2].startswith(row) and f[3] == column for f in found
        ):
            missed[case] = found
    assert missed == {}
    assert _findings(history) == []  # every change was rolled back


def test_a_finding_says_what_was_expected_and_what_was_found(history: App) -> None:
    with history.transaction() as session:
        visit = _visit(session, "2027-Q2", 1, 2)
        drawn, visit.object_id = visit.object_id, "91211100MA0FORGED1"
        report_before = drawn
    with history.transaction() as session:
        findings = [f for f in verify_record(session).findings if f.code == "draw.visit"]
    assert len(findings) == 1
    finding = findings[0]
    assert (finding.expected, finding.found) == (report_before, "91211100MA0FORGED1")
    problem = finding.problem()
    assert problem.file == "draw_visits 2027-Q2#1 visit 2" and problem.column == "object_id"
    assert "result.tsv" in problem.reason and report_before in problem.reason
    assert "result.tsv" in problem.reason_en and report_before in problem.reason_en
