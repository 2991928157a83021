"""One scheduler per database, with real ``dualrandom scheduler run`` processes.

On SQLite a second instance refuses to start; on PostgreSQL it stands by on
an advisory lock and takes over when the first dies.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dualrandom.app import App
from tests.conftest import REPO
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


# The SIGTERM lands while the main thread holds the lock of the scheduler's
# wake-up event, as it does in wakeup() right after start: a handler that set
# that event itself would wait for its own thread forever (CI saw it once).
_SIGTERM_UNDER_THE_EVENT_LOCK = """
import os, signal
from datetime import UTC
from apscheduler.events import EVENT_SCHEDULER_STARTED
from apscheduler.schedulers.blocking import BlockingScheduler
from dualrandom.schedule.service import _stop_on_sigterm

scheduler = BlockingScheduler(timezone=UTC)
_stop_on_sigterm(scheduler)

def started(event):
    with scheduler._event._cond:
        os.kill(os.getpid(), signal.SIGTERM)
        print("signalled", flush=True)

scheduler.add_listener(started, EVENT_SCHEDULER_STARTED)
scheduler.start()
print("stopped")
"""


def test_sigterm_while_the_scheduler_holds_its_own_lock() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _SIGTERM_UNDER_THE_EVENT_LOCK],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert (done.returncode, done.stdout.split()) == (0, ["signalled", "stopped"]), done.stderr


def test_catch_up_refuses_while_a_scheduler_runs(
    app: App, config_file: Path, schedulers: list[Command]
) -> None:
    _running(config_file, schedulers)
    catch_up = Command(config_file, "scheduler", "catch-up")
    schedulers.append(catch_up)
    assert catch_up.stop(None) == 1
    assert any("it runs the due steps itself" in line for line in catch_up.seen), catch_up.seen
    assert any(line.startswith("错误：调度器正在运行") for line in catch_up.seen), catch_up.seen
