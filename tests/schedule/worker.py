"""One scheduler step in a process of its own, for the multi-process tests.

    python -m tests.schedule.worker CONFIG PLAN STEP NOW READY GO [HANG]

It builds its App, touches READY, waits for GO to exist, runs the step and
prints the outcome as JSON. With HANG it stops inside the step's
transaction, just before the draw, after touching HANG, and waits to be
killed.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime
from pathlib import Path

from dualrandom.app import App
from dualrandom.config import load_settings
from dualrandom.schedule import run_step, steps
from tests.schedule.child import hang


def main() -> None:
    config, plan, step, now, ready, go = sys.argv[1:7]
    if len(sys.argv) > 7:
        steps.run_draw = hang(Path(sys.argv[7]))  # type: ignore[assignment]
    app = App.from_settings(load_settings(Path(config), environ={}))
    with app.engine.connect():
        pass  # connect before the start line, so that all start together
    Path(ready).touch()
    while not Path(go).exists():
        time.sleep(0.005)
    outcome = run_step(app, plan, step, now=datetime.fromisoformat(now))
    print(json.dumps({"status": outcome.status, "detail": outcome.detail}), flush=True)
    app.close()


if __name__ == "__main__":
    main()
