"""Exactly once, with real processes on a real database (SQLite, and PostgreSQL
when DUALRANDOM_TEST_DATABASE_URL is set).

Four processes run the same step at the same moment: one runs it, the
others find it claimed or done. A process killed (SIGKILL) inside the step's
transaction leaves nothing half-written, and the next run after its lease
finishes the step.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from dualrandom.app import App
from dualrandom.schedule import run_step
from dualrandom.tables import AuditEntryRow, DrawRow, InspectionTaskRow, StepRunRow
from tests.conftest import REPO
from tests.schedule.conftest import Q1_DRAW, Q1_PREPARE

WORKERS = 4


def _start(
    config: Path, tmp: Path, step: str, name: str, hang: Path | None = None
) -> subprocess.Popen[str]:
    args = [
        sys.executable,
        "-m",
        "tests.schedule.worker",
        str(config),
        "2027-Q1",
        step,
        (Q1_DRAW + timedelta(minutes=1)).isoformat(),
        str(tmp / f"ready-{name}"),
        str(tmp / "go"),
    ]
    return subprocess.Popen(
        [*args, *([str(hang)] if hang else [])],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(path: Path, process: subprocess.Popen[str], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.01)


def _prepared(app: App) -> None:
    outcome = run_step(app, "2027-Q1", "prepare", now=Q1_PREPARE)
    assert outcome.status == "ran", outcome


def _counts(app: App) -> tuple[int, int, int]:
    with app.transaction() as session:
        drawn = session.scalar(select(func.count()).select_from(DrawRow).where(DrawRow.state == "drawn"))
        tasks = session.scalar(select(func.count()).select_from(InspectionTaskRow))
        logged = session.scalar(
            select(func.count())
            .select_from(AuditEntryRow)
            .where(AuditEntryRow.action == "schedule.step", AuditEntryRow.subject == "2027-Q1/draw")
        )
    return drawn or 0, tasks or 0, logged or 0


def test_four_processes_one_draw(sample_app: App, config_file: Path, tmp_path: Path) -> None:
    _prepared(sample_app)
    workers = [_start(config_file, tmp_path, "draw", str(i)) for i in range(WORKERS)]
    for i, worker in enumerate(workers):
        _wait_for(tmp_path / f"ready-{i}", worker)
    (tmp_path / "go").touch()
    outcomes = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        outcomes.append(json.loads(out.splitlines()[-1])["status"])
    assert sorted(outcomes).count("ran") == 1, outcomes
    assert set(outcomes) <= {"ran", "busy", "done"}
    drawn, tasks, logged = _counts(sample_app)
    assert (drawn, logged) == (1, 1) and tasks > 0


def test_killed_mid_step_is_finished_by_the_next_run(
    sample_app: App, config_file: Path, tmp_path: Path
) -> None:
    _prepared(sample_app)
    marker = tmp_path / "inside"
    worker = _start(config_file, tmp_path, "draw", "doomed", hang=marker)
    _wait_for(tmp_path / "ready-doomed", worker)
    (tmp_path / "go").touch()
    _wait_for(marker, worker)  # the step is marked done in an open transaction, mid-draw
    os.kill(worker.pid, signal.SIGKILL)
    worker.communicate(timeout=30)
    assert _counts(sample_app) == (0, 0, 0)  # nothing of the half-done step survived
    with sample_app.transaction() as session:
        row = session.scalars(select(StepRunRow).where(StepRunRow.step == "draw")).one()
        dead = row.owner
        assert (row.state, row.runs) == ("running", 1)
    soon = Q1_DRAW + timedelta(minutes=5)  # the dead run's lease (30 minutes) still holds
    assert run_step(sample_app, "2027-Q1", "draw", now=soon).status == "busy"
    later = Q1_DRAW + timedelta(hours=1)
    outcome = run_step(sample_app, "2027-Q1", "draw", now=later)
    assert outcome.status == "ran", outcome
    assert _counts(sample_app)[::2] == (1, 1)
    with sample_app.transaction() as session:
        entry = session.scalars(
            select(AuditEntryRow).where(
                AuditEntryRow.action == "schedule.step", AuditEntryRow.subject == "2027-Q1/draw"
            )
        ).one()
        payload = json.loads(entry.payload)
    assert payload["took_over_from"] == dead and payload["run"] == 2
