"""``dualrandom`` commands in processes of their own, for the multi-process
tests: each pins its clock (tests/schedule/child.py) and its output lines can
be awaited."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

from tests.conftest import REPO, TEST_NOW


class Command:
    """``dualrandom --config CONFIG ARGS…`` at ``now`` (ticking on from there)."""

    def __init__(
        self,
        config: Path,
        *args: str,
        now: datetime = TEST_NOW,
        go: Path | None = None,
        hang: Path | None = None,
    ) -> None:
        options = [*(["--go", str(go)] if go else []), *(["--hang", str(hang)] if hang else [])]
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.schedule.child",
                *options,
                "--config",
                str(config),
                *args,
            ],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=os.environ | {"PYTHONUNBUFFERED": "1", "DUALRANDOM_TEST_NOW": now.isoformat()},
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

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

    def stop(self, sig: int | None = signal.SIGTERM, seconds: float = 30) -> int:
        """Send ``sig`` (None: none, it exits by itself) and wait for the exit code."""
        if sig is not None and self.process.poll() is None:
            self.process.send_signal(sig)
        code = self.process.wait(timeout=seconds)
        self.reader.join(timeout=10)  # it has read the last lines
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        if self.process.stdout is not None:
            self.process.stdout.close()
        return code


def scheduler(config: Path, *, now: datetime = TEST_NOW, hang: Path | None = None) -> Command:
    """A ``scheduler run`` process that stands by with a 0.2-second poll."""
    return Command(config, "scheduler", "run", "--standby-poll", "0.2", now=now, hang=hang)
