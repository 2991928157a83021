"""The ``dualrandom`` command line in a process of its own, on the test clock.

    python -m tests.schedule.child [--go FILE] [--hang MARKER] ARGS…

A subprocess does not inherit the test session's pinned clock
(tests/conftest.py), so this one pins its own the same way: it starts at
``DUALRANDOM_TEST_NOW`` (ISO 8601 with an offset) and ticks on from there.
With ``--go`` it waits for FILE to exist before it runs the command, so that
several processes start together. With ``--hang`` the draw stops inside the
step's transaction, after touching MARKER, and waits to be killed.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import time_machine


def hang(marker: Path) -> Any:
    """A stand-in for the draw that touches ``marker`` and sleeps."""

    def hanging(*args: Any, **kwargs: Any) -> Any:
        marker.touch()
        time.sleep(3600)

    return hanging


def main() -> None:
    args = sys.argv[1:]
    go: Path | None = None
    while args and args[0] in ("--go", "--hang"):
        option, value, args = args[0], Path(args[1]), args[2:]
        if option == "--go":
            go = value
        else:
            from dualrandom.schedule import steps

            steps.run_draw = hang(value)  # type: ignore[assignment]
    from dualrandom.cli import main as cli

    while go is not None and not go.exists():
        time.sleep(0.005)
    sys.argv = ["dualrandom", *args]
    with time_machine.travel(datetime.fromisoformat(os.environ["DUALRANDOM_TEST_NOW"]), tick=True):
        cli()


if __name__ == "__main__":
    main()
