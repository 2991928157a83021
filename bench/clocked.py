"""The dualrandom CLI with the clock set to a given instant, ticking on (a plain script).

    .venv/bin/python bench/clocked.py 2027-01-25T10:01:00+08:00 --config C draw run …

The benchmarks draw with the demo beacon chain (it signs its own rounds), whose
pinned round must be in the past at ``draw run`` and the ceremony in the
future at ``draw prepare``. Setting the clock (time-machine, a dev
dependency) makes a benchmark run the same on any day.
"""

from __future__ import annotations

import sys
from datetime import datetime

# time-machine imports pytest when it can (for its fixture), which an installed
# dualrandom never has: 0.13 s of a draw's start that a real run does not pay.
sys.modules["pytest"] = None  # type: ignore[assignment]

import time_machine  # noqa: E402

from dualrandom.cli import main  # noqa: E402

if __name__ == "__main__":
    instant = datetime.fromisoformat(sys.argv.pop(1))
    with time_machine.travel(instant, tick=True):
        main()
