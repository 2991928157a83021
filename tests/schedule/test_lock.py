"""One scheduler per database, with real ``dualrandom scheduler run`` processes.

On SQLite a second instance refuses to start; on PostgreSQL it stands by on
an advisory lock and takes over when the first dies.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from dualrandom.app import App
from tests.schedule.processes import Command, scheduler

RUNNING = "Scheduler running"


@pytest.fixture
def schedulers(app: App, config_file: Path) -> Iterator[list[Command]]:
    started: list[Command] = []
    yield started
    for process in started:
        process.stop(signal.SIGKILL)


def _running(config: Path, schedulers: list[Command]) -> Command:
    started = scheduler(config)
    schedulers.append(started)
    started.wait_for(RUNNING)
    return started


def test_second_scheduler(app: App, config_file: Path, schedulers: list[Command]) -> None:
    first = _running(config_file, schedulers)
    second = scheduler(config_file)
    schedulers.append(second)
    if app.engine.dialect.name == "sqlite":
        line = second.wait_for("Error:")
        assert "already running on this SQLite database" in line and "pid" in line
        assert second.stop(None) == 1
    else:
        second.wait_for("standing by")
        first.stop(signal.SIGKILL)  # the lock goes with its session
        second.wait_for(RUNNING)
    assert second.process.poll() is None or app.engine.dialect.name == "sqlite"


def test_sigterm_stops_cleanly_and_frees_the_lock(
    app: App, config_file: Path, schedulers: list[Command]
) -> None:
    first = _running(config_file, schedulers)
    assert first.stop(signal.SIGTERM) == 0
    _running(config_file, schedulers)


def test_catch_up_refuses_while_a_scheduler_runs(
    app: App, config_file: Path, schedulers: list[Command]
) -> None:
    _running(config_file, schedulers)
    catch_up = Command(config_file, "scheduler", "catch-up")
    schedulers.append(catch_up)
    assert catch_up.stop(None) == 1
    assert any("it runs the due steps itself" in line for line in catch_up.seen), catch_up.seen
    assert any(line.startswith("错误：调度器正在运行") for line in catch_up.seen), catch_up.seen
