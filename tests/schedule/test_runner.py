"""Catching up and running steps in-process, with explicit clocks."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from dualrandom.app import App
from dualrandom.draws import SecretStore, prepare_draw
from dualrandom.errors import DrawStateError, UserError
from dualrandom.schedule import (
    Outcome,
    catch_up,
    run_step,
    step_statuses,
    supply_entropy,
)
from dualrandom.tables import AuditEntryRow, DrawRow, DrawVisitRow, StepRunRow
from tests.drawing import DICE
from tests.draws.conftest import store_dr1_plans
from tests.schedule.conftest import Q1_DRAW, Q1_PREPARE, hold, store_beacon_dice

MINUTE = timedelta(minutes=1)


def _statuses(outcomes: list[Outcome]) -> list[tuple[str, str]]:
    return [(str(o.key), o.status) for o in outcomes]


def _entries(app: App, action: str, subject: str | None = None) -> list[dict[str, Any]]:
    with app.transaction() as session:
        query = select(AuditEntryRow).where(AuditEntryRow.action == action).order_by(AuditEntryRow.seq)
        if subject:
            query = query.where(AuditEntryRow.subject == subject)
        return [json.loads(e.payload) for e in session.scalars(query)]


def _draw(app: App, plan: str = "2027-Q1") -> DrawRow:
    with app.transaction() as session:
        query = select(DrawRow).where(DrawRow.plan_id == plan).order_by(DrawRow.attempt.desc())
        row = session.scalars(query).first()
    assert row is not None
    return row


def test_a_batch_on_time(sample_app: App) -> None:
    assert catch_up(sample_app, now=Q1_PREPARE - MINUTE) == []
    outcomes = catch_up(sample_app, now=Q1_PREPARE + MINUTE)
    assert _statuses(outcomes) == [("2027-Q1/prepare", "ran")]
    prepared = _draw(sample_app)
    assert (prepared.state, prepared.algorithm, prepared.entropy_source) == (
        "prepared",
        "DR-2",
        "beacon",
    )
    notice = sample_app.settings.var_dir / "draws" / "2027-Q1.1" / "commitment.json"
    committed = json.loads(notice.read_text(encoding="utf-8"))
    # the ceremony is the draw step's time; the pinned round is the first after it + 60 s
    assert committed["ceremony_at"] == "2027-01-04T01:30:00Z"
    pin_time = datetime.fromisoformat(committed["beacon"]["round_time"])
    assert Q1_DRAW < pin_time <= Q1_DRAW + timedelta(seconds=3)  # margin_seconds = 0 here
    assert committed["beacon"]["chain"]["demo"] is True
    [entry] = _entries(sample_app, "schedule.step", "2027-Q1/prepare")
    assert entry["late"] is False and entry["due_provisional"] is True
    assert entry["beacon"]["round"] == committed["beacon"]["round"]

    outcomes = catch_up(sample_app, now=Q1_DRAW + MINUTE)
    assert _statuses(outcomes) == [("2027-Q1/draw", "ran"), ("2027-Q1/publish", "ran")]
    drawn = _draw(sample_app)
    assert drawn.state == "drawn" and drawn.entropy == ""  # this plan takes no dice
    assert drawn.drawn_at is not None and drawn.drawn_at.replace(tzinfo=UTC) > pin_time
    site = sample_app.settings.var_dir / "site"
    [bundle] = site.rglob("2027-Q1-1-public-bundle.zip")
    assert bundle.stat().st_size > 0
    [entry] = _entries(sample_app, "schedule.step", "2027-Q1/publish")
    assert entry["site"] == str(site) and len(entry["sha256sums"]) == 64
    assert catch_up(sample_app, now=Q1_DRAW + 2 * MINUTE) == []
    assert run_step(sample_app, "2027-Q1", "draw", now=Q1_DRAW + 3 * MINUTE).status == "done"


@pytest.mark.slow  # a year of scheduled steps, about 20 s a backend: CI only
def test_a_quarter_missed_while_down_is_drawn_late(sample_app: App) -> None:
    down_until = datetime(2027, 7, 10, 1, 0, tzinfo=UTC)
    outcomes = catch_up(sample_app, now=down_until)
    assert [o.status for o in outcomes] == ["ran"] * 9  # Q1, Q2, Q3: prepare, draw, publish
    assert [str(o.key) for o in outcomes][:3] == [
        "2027-Q1/prepare",
        "2027-Q1/draw",
        "2027-Q1/publish",
    ]
    for plan in ("2027-Q1", "2027-Q2", "2027-Q3"):
        [entry] = _entries(sample_app, "schedule.step", f"{plan}/draw")
        assert entry["late"] is True and entry["late_by_minutes"] > 60 * 24
        assert entry["ran_at"] == "2027-07-10T09:00:00+08:00"
    with sample_app.transaction() as session:
        left = [
            s for s in step_statuses(session, sample_app.settings, down_until) if s.state != "done"
        ]
    assert {(s.plan_id, s.overdue) for s in left} == {("2027-Q4", False)}


def test_steps_wait_for_each_other(sample_app: App) -> None:
    early = run_step(sample_app, "2027-Q1", "draw", now=Q1_DRAW + MINUTE)
    assert (early.status, early.detail) == ("waiting", "等待准备步骤 (waiting for the prepare step)")
    assert run_step(sample_app, "2027-Q1", "prepare", now=Q1_PREPARE - MINUTE).status == "not_due"
    with pytest.raises(UserError, match="not scheduled"):
        _manual(sample_app)


def _manual(app: App) -> None:
    with app.transaction() as session:
        from dualrandom.tables import PlanRow

        row = session.get(PlanRow, "2027-Q1")
        assert row is not None
        row.source = row.source.replace('"schedule":"quarterly"', '"schedule":"manual"')
    run_step(app, "2027-Q1", "prepare", now=Q1_PREPARE)


def test_a_draw_prepared_by_hand_waits_for_its_entropy(sample_app: App) -> None:
    with sample_app.transaction() as session:
        prepare_draw(
            session,
            "2027-Q1",
            secrets=SecretStore(sample_app.settings.var_dir / "secrets"),
            now=Q1_PREPARE - timedelta(days=1),
            entropy_source="typed", actor="tester",
        )
    outcomes = catch_up(sample_app, now=Q1_DRAW + MINUTE)
    assert _statuses(outcomes) == [
        ("2027-Q1/prepare", "ran"),
        ("2027-Q1/draw", "waiting"),
        ("2027-Q1/publish", "waiting"),
    ]
    assert "already prepared by hand" in outcomes[0].detail
    assert "dualrandom scheduler entropy 2027-Q1 VALUE" in outcomes[1].detail
    with sample_app.transaction() as session:
        supply_entropy(session, "2027-Q1", " 3 1 4 1 5 9 ", now=Q1_DRAW + 2 * MINUTE, actor="tester")
    outcomes = catch_up(sample_app, now=Q1_DRAW + 3 * MINUTE)
    assert _statuses(outcomes) == [("2027-Q1/draw", "ran"), ("2027-Q1/publish", "ran")]
    assert _draw(sample_app).entropy == "3 1 4 1 5 9"
    [entry] = _entries(sample_app, "schedule.step", "2027-Q1/draw")
    assert entry["entropy"] == {"mode": "supplied", "source": "typed", "value": "3 1 4 1 5 9"}


def test_a_scheduled_draw_waits_for_the_witnesses_dice(sample_app: App) -> None:
    store_beacon_dice(sample_app, "2027-Q1")
    catch_up(sample_app, now=Q1_PREPARE + MINUTE)
    outcomes = catch_up(sample_app, now=Q1_DRAW + MINUTE)
    assert _statuses(outcomes) == [("2027-Q1/draw", "waiting"), ("2027-Q1/publish", "waiting")]
    assert "dualrandom scheduler entropy 2027-Q1 DICE" in outcomes[0].detail
    with sample_app.transaction() as session, pytest.raises(UserError, match="at least 20"):
        supply_entropy(session, "2027-Q1", "6 6 2 5", now=Q1_DRAW, actor="tester")
    with sample_app.transaction() as session:
        supply_entropy(session, "2027-Q1", DICE, now=Q1_DRAW, actor="tester")  # the ceremony
    outcomes = catch_up(sample_app, now=Q1_DRAW + 2 * MINUTE)
    assert _statuses(outcomes) == [("2027-Q1/draw", "ran"), ("2027-Q1/publish", "ran")]
    assert _draw(sample_app).entropy == DICE
    [entry] = _entries(sample_app, "draw.dice", "2027-Q1#1")
    assert entry["dice"] == DICE


def test_dice_after_the_round_are_refused(sample_app: App) -> None:
    store_beacon_dice(sample_app, "2027-Q1")
    catch_up(sample_app, now=Q1_PREPARE + MINUTE)
    with sample_app.transaction() as session, pytest.raises(DrawStateError, match="recorded before it"):
        supply_entropy(session, "2027-Q1", DICE, now=Q1_DRAW + 2 * MINUTE, actor="tester")


def test_plan_entropy_mode(sample_app: App, app_with: Callable[[str], App]) -> None:
    store_dr1_plans(sample_app, "2027-Q1")  # a DR-1 plan of before DR-2
    app = app_with('[scheduler]\nentropy = "plan"\n')
    with app.transaction() as session, pytest.raises(DrawStateError, match="after the commitment"):
        supply_entropy(session, "2027-Q1", "12345", now=Q1_PREPARE, actor="tester")
    catch_up(app, now=Q1_PREPARE + MINUTE)
    assert _draw(app).entropy_source == "dice"  # the plan's own source
    [entry] = _entries(app, "schedule.step", "2027-Q1/prepare")
    assert (
        entry["entropy"]["mode"] == "plan" and "waits for the operator" in entry["entropy"]["note"]
    )
    assert run_step(app, "2027-Q1", "draw", now=Q1_DRAW).status == "waiting"
    with app.transaction() as session:
        supply_entropy(session, "2027-Q1", "6 6 2 5", now=Q1_DRAW, actor="tester")
    assert run_step(app, "2027-Q1", "draw", now=Q1_DRAW + MINUTE).status == "ran"
    assert _entries(app, "schedule.entropy")[0]["value"] == "6 6 2 5"


def test_a_failed_step_is_recorded_and_retried(sample_app: App) -> None:
    store_dr1_plans(sample_app, "2027-Q1")  # a DR-1 draw: its operator secret goes missing
    catch_up(sample_app, now=Q1_PREPARE)
    secret = sample_app.settings.var_dir / "secrets" / "2027-Q1.1.secret"
    kept = secret.read_bytes()
    secret.unlink()
    outcomes = catch_up(sample_app, now=Q1_DRAW)
    assert [o.status for o in outcomes] == ["failed", "waiting"]
    assert "operator secret" in outcomes[0].detail
    [entry] = _entries(sample_app, "schedule.failed")
    assert entry["step"] == "draw" and "operator secret" in entry["error"]
    with sample_app.transaction() as session:
        statuses = {
            s.step: s
            for s in step_statuses(session, sample_app.settings, Q1_DRAW)
            if s.plan_id == "2027-Q1"
        }
    assert statuses["draw"].state == "failed" and statuses["draw"].note.startswith("失败，每次补做时重试 (failed")
    secret.write_bytes(kept)
    outcomes = catch_up(sample_app, now=Q1_DRAW + MINUTE)
    assert [o.status for o in outcomes] == ["ran", "ran"]
    with sample_app.transaction() as session:
        query = select(StepRunRow).where(StepRunRow.plan_id == "2027-Q1", StepRunRow.step == "draw")
        row = session.scalars(query).one()
        assert (row.state, row.runs, row.error) == ("done", 2, "")


def test_a_plan_made_manual_leaves_the_schedule(sample_app: App) -> None:
    catch_up(sample_app, now=Q1_PREPARE - MINUTE)  # creates the ledger rows of every batch
    with sample_app.transaction() as session:
        from dualrandom.tables import PlanRow

        row = session.get(PlanRow, "2027-Q2")
        assert row is not None
        row.source = row.source.replace('"schedule":"quarterly"', '"schedule":"manual"')
    catch_up(sample_app, now=Q1_PREPARE - MINUTE)
    with sample_app.transaction() as session:
        plans = {r.plan_id for r in session.scalars(select(StepRunRow))}
        statuses = {s.plan_id for s in step_statuses(session, sample_app.settings, Q1_PREPARE)}
    assert "2027-Q2" not in plans and "2027-Q2" not in statuses and "2027-Q3" in plans


def _visited(app: App, plan: str) -> set[str]:
    with app.transaction() as session:
        drawn = session.scalars(
            select(DrawRow).where(DrawRow.plan_id == plan, DrawRow.state == "drawn")
        ).one()
        return set(
            session.scalars(select(DrawVisitRow.object_id).where(DrawVisitRow.draw_id == drawn.id))
        )


@pytest.mark.slow  # waits out a dead run's lease, about 20 s a backend: CI only
def test_later_batches_wait_for_an_earlier_draw_held_by_a_dead_run(sample_app: App) -> None:
    catch_up(sample_app, now=Q1_PREPARE + MINUTE)
    q4_draw = datetime(2027, 10, 6, 1, 30, tzinfo=UTC)  # 6 October, provisionally (补假 4–5)
    now = q4_draw + 30 * MINUTE
    hold(sample_app, "2027-Q1", "draw", "dead-run", now - MINUTE)
    outcomes = catch_up(sample_app, now=now)
    assert _statuses(outcomes)[0] == ("2027-Q1/draw", "busy")
    assert {o.status for o in outcomes[1:]} == {"waiting"} and len(outcomes) == 11
    assert "earlier batch 2027-Q1" in outcomes[-1].detail
    with sample_app.transaction() as session:
        assert session.scalars(select(DrawRow.plan_id)).all() == ["2027-Q1"]  # prepared only

    outcomes = catch_up(sample_app, now=now + 30 * MINUTE)  # the lease has expired
    assert [o.status for o in outcomes] == ["ran"] * 11
    ran = [str(o.key) for o in outcomes]
    assert ran[:3] == ["2027-Q1/draw", "2027-Q1/publish", "2027-Q2/prepare"]
    assert ran[-3:] == ["2027-Q4/prepare", "2027-Q4/draw", "2027-Q4/publish"]
    # Q1 and Q4 both cap an enterprise at one planned check a year: Q4 saw Q1's draw.
    assert _visited(sample_app, "2027-Q1").isdisjoint(_visited(sample_app, "2027-Q4"))
