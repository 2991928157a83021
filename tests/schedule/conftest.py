"""Scheduler fixtures: the sample registries and rules, and Apps with other settings."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from dualrandom.app import App
from dualrandom.config import load_settings
from dualrandom.schedule.ledger import StepKey, claim
from dualrandom.tables import StepRunRow
from tests.draws.conftest import load_sample

# The 2027 sample plans are quarterly; 2027 is not in the calendar yet, so
# the first working day of Q1 is computed provisionally: Monday 4 January.
Q1_PREPARE = datetime(2026, 12, 28, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai
Q1_DRAW = datetime(2027, 1, 4, 1, 30, tzinfo=UTC)


@pytest.fixture
def sample_app(app: App) -> App:
    load_sample(app)
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
