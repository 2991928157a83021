"""Scheduler fixtures: the sample registries and rules, and Apps with other settings."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from dualrandom.app import App
from dualrandom.config import load_settings
from dualrandom.rules.store import load_plan, save_plans
from dualrandom.schedule.ledger import StepKey, claim
from dualrandom.tables import StepRunRow
from tests.draws.conftest import load_sample, store_without_dice

# The 2027 sample plans are quarterly; 2027 is not in the calendar yet, so
# the first working day of Q1 is computed provisionally: Monday 4 January.
Q1_PREPARE = datetime(2026, 12, 28, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai
Q1_DRAW = datetime(2027, 1, 4, 1, 30, tzinfo=UTC)


@pytest.fixture
def config_file(config_file: Path) -> Path:
    """The scheduler's draws pin the demo chain, whose rounds it signs itself; a draw step
    run a minute after its due time finds its round out."""
    with config_file.open("a", encoding="utf-8") as f:
        # margin 0: the pinned round is the first after the due time, out within 3 s
        f.write('[beacon]\nchain = "demo"\nallow_demo = true\nmargin_seconds = 0\n')
    return config_file


@pytest.fixture
def sample_app(app: App) -> App:
    """The sample, its plans unattended: beacon without dice (test_runner.py has the dice)."""
    load_sample(app)
    store_without_dice(app, "2027-Q1", "2027-Q3")
    return app


@pytest.fixture
def app_with(config_file: Path) -> Iterator[Callable[[str], App]]:
    """Another App on the same database, with extra config.toml text."""
    made: list[App] = []

    def make(extra: str) -> App:
        path = config_file.with_name(f"config-{len(made)}.toml")
        path.write_text(config_file.read_text(encoding="utf-8") + extra, encoding="utf-8")
        made.append(App.from_settings(load_settings(path, environ={})))
        return made[-1]

    yield make
    for app in made:
        app.close()


def store_beacon_dice(app: App, *plan_ids: str) -> None:
    """The plans as the sample has them: beacon with the witnesses' dice."""
    with app.transaction() as session:
        for plan_id in plan_ids:
            plan = replace(load_plan(session, plan_id), dice=True)
            save_plans(session, [plan], "plans with dice", actor="tester")


def hold(app: App, plan: str, step: str, owner: str, at: datetime) -> datetime:
    """A run that claimed the step at ``at`` and died: its 30-minute lease holds
    until the moment returned."""
    lease = timedelta(minutes=30)
    with app.transaction() as session:
        row = session.scalars(
            select(StepRunRow).where(StepRunRow.plan_id == plan, StepRunRow.step == step)
        ).one()
        assert claim(session, StepKey(plan, row.batch, step), owner, at, lease) is not None
    return at + lease
