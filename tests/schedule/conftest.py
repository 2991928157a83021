"""Scheduler fixtures: the sample registries and rules, and Apps with other settings."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dualrandom.app import App
from dualrandom.config import load_settings
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
