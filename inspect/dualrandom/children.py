"""Child Python processes that do part of a job on the machine's other cores.

``draw run`` streams the registry's digests in one (registry.parallel) and
``dualrandom verify`` checks the object snapshot and the beacon round in one
(draws.verify_aside). Each is this package's own module run with ``-m``, its
input on stdin and its answers as JSON lines on stdout; its stderr is dropped,
because a caller that gets no answer does the work itself and reports any
error then.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

__all__ = ["Answers", "answer", "start_python", "stop"]


def start_python(*arguments: str) -> subprocess.Popen[bytes] | None:
    """``python ARGUMENTS`` with pipes to its stdin and from its stdout; None if it
    cannot be started. It imports the very package this process runs. None too
    where this process is not a plain Python (a frozen build, or a server that
    embeds Python: uWSGI's ``sys.executable`` is uWSGI itself)."""
    if getattr(sys, "frozen", False) or not Path(sys.executable).name.startswith("python"):
        return None
    root = str(Path(__file__).resolve().parents[1])
    path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)
    try:
        return subprocess.Popen(
            [sys.executable, *arguments],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": path},
        )
    except OSError:
        return None


def stop(child: subprocess.Popen[bytes]) -> None:
    """Kill ``child`` if it still runs, reap it and close its pipes."""
    if child.poll() is None:
        child.kill()
    child.wait()
    for pipe in (child.stdin, child.stdout):
        if pipe is not None:
            pipe.close()


def answer(child: subprocess.Popen[bytes]) -> Any:
    """The JSON document ``child`` writes on its first line, once it has ended well;
    None if it wrote none or failed. Waits for it to end, and closes its pipes."""
    assert child.stdout is not None
    line = child.stdout.readline()
    child.stdout.read()  # to the end, where the child closes it as it exits
    ended_well = child.wait() == 0
    stop(child)  # only its pipes are left to close
    try:
        return json.loads(line) if ended_well else None
    except ValueError:
        return None


class Answers:
    """The answers of a child that writes several, each a JSON object ``{name: value}``
    on a line of its own, as it makes them; read as they are asked for."""

    def __init__(self, child: subprocess.Popen[bytes] | None) -> None:
        self._child = child
        self._read: dict[str, Any] = {}

    @property
    def read(self) -> dict[str, Any]:
        """What has been read so far, by name."""
        return dict(self._read)

    def get(self, name: str) -> Any:
        """The value the child gave ``name``, waited for; None if it ended, failed or
        wrote something else before giving one (nothing more is read from it then)."""
        while name not in self._read and self._child is not None:
            assert self._child.stdout is not None
            line = self._child.stdout.readline()
            try:
                document = json.loads(line) if line else None
            except ValueError:
                document = None
            if isinstance(document, dict):
                self._read.update(document)
            else:
                stop(self._child)
                self._child = None
        return self._read.get(name)
