"""One scheduler per database, with real ``dualrandom scheduler run`` processes.

On SQLite a second instance refuses to start; on PostgreSQL it stands by on
an advisory lock and takes over when the first dies.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dualrandom.app import App
from tests.conftest import REPO

RUNNING = "Scheduler running"


class Scheduler:
    """A ``scheduler run`` process whose output lines can be awaited."""

    def __init__(self, config: Path) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from dualrandom.cli import main; main()",
                "--config",
                str(config),
                "scheduler",
                "run",
                "--standby-poll",
                "0.2",
            ],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=os.environ | {"PYTHONUNBUFFERED": "1"},
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, text: str, seconds: float = 60) -> str:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                continue
            self.seen.append(line)
            if text in line:
                return line
        raise AssertionError(f"{text!r} never came; got {self.seen}")

    def stop(self, sig: int | None = signal.SIGTERM) -> int:
        """Send ``sig`` (None: none, it exits by itself) and wait for the exit code."""
        if sig is not None and self.process.poll() is None:
            self.process.send_signal(sig)
        code = self.process.wait(timeout=30)
        assert self.process.stdout is not None
        self.process.stdout.close()
        return code


@pytest.fixture
def schedulers(app: App, config_file: Path) -> Iterator[list[Scheduler]]:
    started: list[Scheduler] = []
    yield started
    for scheduler in started:
        scheduler.stop(signal.SIGKILL)


def test_second_scheduler(app: App, config_file: Path, schedulers: list[Scheduler]) -> None:
    first = Scheduler(config_file)
    schedulers.append(first)
    first.wait_for(RUNNING)
    second = Scheduler(config_file)
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
    app: App, config_file: Path, schedulers: list[Scheduler]
) -> None:
    first = Scheduler(config_file)
    schedulers.append(first)
    first.wait_for(RUNNING)
    assert first.stop(signal.SIGTERM) == 0
    again = Scheduler(config_file)
    schedulers.append(again)
    again.wait_for(RUNNING)
