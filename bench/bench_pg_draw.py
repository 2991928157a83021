"""Benchmark: the DR-1 draw with the Python engine and in PostgreSQL (issue 12).

    .venv/bin/python bench/bench_pg_draw.py --database URL [--objects N] [--keep DIR]
                                            [--runs R] [--max-load L]

Builds the registry of bench_draw.py / bench_scale.py (N objects in 200
strata, N/200 officers, conflicts on 1 % of the pairs, a DR-1 plan drawing
5 % with 2-officer teams) in DIR/N, imports it into a schema ``bench_N`` of
the PostgreSQL database URL (kept, and reused by a later run with the same
DIR), then times, each in a child process of its own, gather + prepare +
draw with a fixed seed (read-only, as bench/profile_draw.py) with
``--engine python`` and with ``--engine postgresql``, and checks that both
give the same result digest.

For each: wall seconds per phase; the Python child's peak RSS; the
PostgreSQL backend's peak RSS (VmHWM: it counts the shared buffers it
touched) and peak private memory (RssAnon, sampled every 50 ms, summed with
its parallel workers'); and the temporary files PostgreSQL wrote
(pg_stat_database.temp_bytes). The load average is printed beside every
number: the machine is shared. The script refuses to start when the
1-minute load average is at or above --max-load (default 4).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import bench_draw

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent / "dualrandom"
SEED = hashlib.sha256(b"bench_pg_draw").digest()


def _kib(pid: int, field: str) -> int:
    try:
        with Path(f"/proc/{pid}/status").open(encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _workers(pid: int) -> list[int]:
    """The parallel workers serving backend ``pid`` just now."""
    found = []
    marker = f"parallel worker for PID {pid}".encode()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


class BackendWatch(threading.Thread):
    """Samples a PostgreSQL backend's (and its parallel workers') memory until stopped."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.anon_peak = 0  # KiB, backend + workers at one instant
        self.hwm = 0  # KiB, the backend's own peak RSS
        self.workers_seen = 0
        self.stop = threading.Event()

    def run(self) -> None:
        seen: set[int] = set()
        while not self.stop.is_set():
            workers = _workers(self.pid)
            seen.update(workers)
            anon = _kib(self.pid, "RssAnon") + sum(_kib(w, "RssAnon") for w in workers)
            self.anon_peak = max(self.anon_peak, anon)
            self.hwm = max(self.hwm, _kib(self.pid, "VmHWM"))
            self.stop.wait(0.05)
        self.workers_seen = len(seen)


def child_main(config: Path, engine: str) -> None:
    """In the child: gather, prepare and draw with one engine; one JSON line out."""
    import resource

    from sqlalchemy import text

    from dualrandom.app import App
    from dualrandom.core import draw, prepare
    from dualrandom.draws._inputs import gather
    from dualrandom.draws.engine_pg import draw_pg, prepare_pg
    from dualrandom.gcpause import gc_paused

    app = App.from_config(config)
    phases: dict[str, float] = {}
    # The cycle collector paused, as draw run and draw prepare pause it (dualrandom.gcpause).
    with gc_paused(), app.transaction() as session:
        pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        print(json.dumps({"backend": pid}), flush=True)
        sys.stdin.readline()  # the parent watches the backend from now on
        in_database = engine == "postgresql"
        start = time.perf_counter()
        gathered = gather(session, "BENCH", objects=not in_database)
        phases["gather"] = time.perf_counter() - start
        start = time.perf_counter()
        version = gathered.versions["objects"]
        prep = (
            prepare_pg(session, gathered.inputs, version)
            if in_database
            else prepare(gathered.inputs)
        )
        phases["prepare"] = time.perf_counter() - start
        start = time.perf_counter()
        result = draw_pg(session, prep, version, SEED) if in_database else draw(prep, SEED)
        phases["draw"] = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {**phases, "peak_mib": peak, "digest": result.digest, "visits": len(result.visits)}
        ),
        flush=True,
    )


def temp_bytes(url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        value = conn.execute(
            text("SELECT temp_bytes FROM pg_stat_database WHERE datname = current_database()")
        ).scalar_one()
    engine.dispose()
    return int(value)


def measure(config: Path, url: str, engine: str) -> dict[str, float | str]:
    temp_before = temp_bytes(url)
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, __file__, "--child", engine, "--config", str(config)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None and process.stdout is not None
    backend = json.loads(process.stdout.readline())["backend"]
    watch = BackendWatch(backend)
    watch.start()
    process.stdin.write("go\n")
    process.stdin.flush()
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    watch.stop.set()
    watch.join()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"the {engine} child failed")
    result = json.loads(out.strip().splitlines()[-1])
    return {
        **result,
        "seconds": seconds,
        "python_peak_mib": usage.ru_maxrss / 1024,
        "backend_hwm_mib": watch.hwm / 1024,
        "backend_anon_peak_mib": watch.anon_peak / 1024,
        "workers": watch.workers_seen,
        "temp_mib": (temp_bytes(url) - temp_before) / 2**20,
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
    }


def setup(folder: Path, url: str, objects: int) -> tuple[Path, str]:
    """The registry generated and imported into schema bench_<objects>; the config file."""
    from sqlalchemy import create_engine, text

    schema = f"bench_{objects}"
    separator = "&" if "?" in url else "?"
    schema_url = f"{url}{separator}options=-csearch_path%3D{schema}"
    config = folder / "config.toml"
    ready = folder / "pg-ready"
    if ready.exists():
        return config, schema_url
    folder.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    if not (folder / "objects.csv").exists():
        bench_draw.generate(folder, objects, max(objects // 200, 100))
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    config.write_text(
        f'[database]\nurl = "{schema_url}"\n[paths]\nrules = "rules"\nvar = "var"\n',
        encoding="utf-8",
    )
    # rules load refuses new DR-1 plans, so the plan is loaded as a beacon plan and
    # stored again as the DR-1 plan bench_draw.py writes (as tests/draws/conftest.py
    # stores DR-1 plans past the check).
    plan_file = folder / "rules" / "plans" / "BENCH.toml"
    plan_file.write_text(
        plan_file.read_text(encoding="utf-8").replace('entropy = "typed"', 'entropy = "beacon"'),
        encoding="utf-8",
    )
    bench_draw.import_registries(config, folder)
    store_as_dr1(config)
    with create_engine(schema_url).begin() as conn:
        conn.execute(text("ANALYZE"))
    ready.write_text(schema, encoding="utf-8")
    print(f"# set up {objects:,} objects in {time.perf_counter() - start:.0f} s", flush=True)
    return config, schema_url


def store_as_dr1(config: Path) -> None:
    from dataclasses import replace

    from dualrandom.app import App
    from dualrandom.core.model import EntropySource
    from dualrandom.rules.store import load_plan, save_plans

    app = App.from_config(config)
    with app.transaction() as session:
        plan = replace(load_plan(session, "BENCH"), entropy=EntropySource.TYPED, dice=False)
        save_plans(session, [plan], "bench: a DR-1 plan", actor="bench")
    app.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", help="PostgreSQL URL (postgresql+psycopg://…)")
    parser.add_argument("--objects", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="build the registry here and keep it")
    parser.add_argument("--runs", type=int, default=1, help="runs per engine; the fastest shown")
    parser.add_argument("--max-load", type=float, default=4.0)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--config", type=Path, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        child_main(options.config, options.child)
        return
    if not options.database:
        parser.error("--database URL is required")
    load = os.getloadavg()[0]
    if load >= options.max_load:
        raise SystemExit(f"load average {load:.2f} ≥ {options.max_load}: not benchmarking now")
    base = options.keep or Path(tempfile.mkdtemp(prefix="bench-pg-"))
    config, _ = setup(base / str(options.objects), options.database, options.objects)
    print(
        f"{'engine':11} {'objects':>10} {'seconds':>8} {'gather':>7} {'prepare':>8} "
        f"{'draw':>6} {'py MiB':>7} {'pg HWM':>7} {'pg anon':>8} {'workers':>7} "
        f"{'temp MiB':>8} {'load':>11}",
        flush=True,
    )
    digests = set()
    for engine in ("python", "postgresql"):
        runs = [measure(config, options.database, engine) for _ in range(options.runs)]
        best = min(runs, key=lambda r: float(r["seconds"]))
        digests.add(best["digest"])
        print(
            f"{engine:11} {options.objects:10,} {best['seconds']:8.1f} {best['gather']:7.1f} "
            f"{best['prepare']:8.1f} {best['draw']:6.1f} {best['python_peak_mib']:7.0f} "
            f"{best['backend_hwm_mib']:7.0f} {best['backend_anon_peak_mib']:8.0f} "
            f"{best['workers']:7} {best['temp_mib']:8.0f} "
            f"{best['load_before']:5.2f}/{best['load_after']:5.2f}",
            flush=True,
        )
    same = "the same result digest" if len(digests) == 1 else "DIFFERENT result digests"
    print(f"both engines: {same} ({', '.join(sorted(map(str, digests)))})")
    if len(digests) != 1:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
