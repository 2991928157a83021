"""Substitution by the core's reserve rule (SPEC §8.3), in one round or several."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from sqlalchemy import select

from dualrandom.app import App
from dualrandom.core import substitute
from dualrandom.errors import IntegrityError, TaskStateError
from dualrandom.lifecycle import move_many, rebuild, standing_draw, substitute_objects
from dualrandom.tables import AuditEntryRow, DrawMemberRow, InspectionTaskRow
from tests.lifecycle.conftest import LATER


def _tasks(app: App) -> dict[int, InspectionTaskRow]:
    with app.transaction() as session:
        return {t.visit: t for t in session.scalars(select(InspectionTaskRow))}


def test_one_round_is_exactly_the_core_rule(drawn: App, objects: list[str]) -> None:
    with drawn.transaction() as session:
        prep, result = rebuild(session, standing_draw(session, "2027-Q1"))
        expected = substitute(prep, result.seed, result, {objects[0]})
        report = substitute_objects(session, "2027-Q1", [objects[0]], "注销", now=LATER, actor="tester")
    assert report.visits == expected.visits and report.replacements == expected.replacements
    assert report.visits, "the sample draw has reserve objects"
    tasks = _tasks(drawn)
    gone = tasks[1]
    assert (gone.state, gone.reason, gone.replaced_by_visit) == (
        "substituted",
        "注销",
        report.visits[0].number,
    )
    first_new = report.visits[0].number
    assert first_new == len(objects) + 1
    new = tasks[first_new]
    assert (new.state, new.object_id, new.replaces_visit) == (
        "drawn",
        report.visits[0].object_id,
        1,
    )
    with drawn.transaction() as session:
        entry = session.scalars(
            select(AuditEntryRow).where(AuditEntryRow.action == "draw.substitute")
        ).one()
        members = session.scalars(select(DrawMemberRow).where(DrawMemberRow.visit == first_new)).all()
    assert json.loads(entry.payload)["removed"] == [objects[0]]
    assert len(members) == len(report.visits[0].team) >= 2


def test_rounds_never_reuse_a_reserve_object(drawn: App, objects: list[str]) -> None:
    with drawn.transaction() as session:
        first = substitute_objects(session, "2027-Q1", [objects[0]], "注销", now=LATER, actor="tester")
        second = substitute_objects(session, "2027-Q1", ["#2", "#3"], "无法联系", now=LATER, actor="tester")
    used = [v.object_id for v in (*first.visits, *second.visits)]
    assert len(used) == len(set(used)) and not set(used) & set(objects)
    numbers = [v.number for v in (*first.visits, *second.visits)]
    assert numbers == list(range(len(objects) + 1, len(objects) + 1 + len(numbers)))
    with drawn.transaction() as session:
        loads = Counter(m.cert_no for m in session.scalars(select(DrawMemberRow)))
        standing = {
            t.visit for t in session.scalars(select(InspectionTaskRow)) if t.state != "substituted"
        }
        kept = Counter(
            m.cert_no for m in session.scalars(select(DrawMemberRow)) if m.visit in standing
        )
    assert max(kept.values()) <= 25  # the plan's load cap, with the replaced visits not counted
    assert loads


def test_what_cannot_be_substituted(drawn: App, objects: list[str]) -> None:
    with drawn.transaction() as session:
        report = substitute_objects(session, "2027-Q1", [objects[0]], "注销", now=LATER, actor="tester")
        move_many(
            session, "2027-Q1", [objects[1]], "in_inspection", from_states=(), now=LATER, actor="t"
        )
    reserve_visit = f"#{report.visits[0].number}"
    cases = [
        ([objects[1]], "注销", "cannot be substituted: it is in_inspection"),
        ([reserve_visit], "注销", "is itself a reserve visit"),
        ([objects[2], "#3"], "注销", "named twice"),
        ([objects[2]], " ", "needs a reason"),
        ([objects[2]], "搬迁", "must start with 注销 or 无法联系"),
        ([objects[0]], "注销", "it is substituted, which is final"),
    ]
    for refs, reason, message in cases:
        with drawn.transaction() as session, pytest.raises(TaskStateError, match=message):
            substitute_objects(session, "2027-Q1", refs, reason, now=LATER, actor="tester")


def test_rebuild_refuses_a_draw_that_does_not_re_run(drawn: App) -> None:
    with drawn.transaction() as session:
        row = standing_draw(session, "2027-Q1")
        row.result_digest = "0" * 64  # as if the stored registries had been altered
        with pytest.raises(IntegrityError, match="does not re-run"):
            rebuild(session, row)
        session.rollback()
