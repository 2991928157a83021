"""Where a draw's time and memory go, phase by phase, in one process (a plain script).

    .venv/bin/python bench/profile_draw.py FOLDER [--algorithm DR-1|DR-2] [--cprofile OUT]

FOLDER is one kept by ``bench/bench_draw.py --keep FOLDER`` (its config.toml
and database). Times, read-only: ``gather`` (registry rows to core values),
``prepare`` and ``draw`` with a fixed seed, and prints for each phase the
wall seconds and the peak RSS so far; ``--cprofile`` writes a cProfile of
the whole to OUT.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import os
import resource
import time
from pathlib import Path


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--algorithm", default="DR-1")
    parser.add_argument("--cprofile", type=Path)
    parser.add_argument("--json", action="store_true", help="one JSON line: seconds per phase")
    options = parser.parse_args()
    os.chdir(options.folder)

    from dualrandom.app import App
    from dualrandom.core import draw, prepare
    from dualrandom.draws._inputs import gather
    from dualrandom.gcpause import gc_paused

    app = App.from_config(options.folder / "config.toml")
    seed = hashlib.sha256(b"profile").digest()
    profile = cProfile.Profile() if options.cprofile else None
    phases: dict[str, float] = {}

    def report(phase: str, start: float) -> None:
        phases[phase] = time.perf_counter() - start
        if not options.json:
            print(f"{phase:10} {phases[phase]:8.2f} {peak_mib():9.0f}")

    if not options.json:
        print(f"{'phase':10} {'seconds':>8} {'peak MiB':>9}   (load {os.getloadavg()[0]:.2f})")
        print(f"{'start':10} {0:8.2f} {peak_mib():9.0f}")
    if profile:
        profile.enable()
    pause = gc_paused()  # as draw prepare and draw run do
    pause.__enter__()
    with app.transaction() as session:
        start = time.perf_counter()
        gathered = gather(session, "BENCH")
        report("gather", start)
    start = time.perf_counter()
    salt = bytes(32) if options.algorithm == "DR-2" else None
    prep = prepare(gathered.inputs, algorithm=options.algorithm, salt_key=salt)
    report("prepare", start)
    start = time.perf_counter()
    result = draw(prep, seed)
    report("draw", start)
    pause.__exit__(None, None, None)
    if profile:
        profile.disable()
        profile.dump_stats(options.cprofile)
    if options.json:
        print(json.dumps({**phases, "peak_mib": peak_mib(), "visits": len(result.visits)}))
    else:
        print(f"visits {len(result.visits)}, load {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
