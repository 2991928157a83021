"""Benchmark: the draw at growing registry sizes, printed as one table (issue 12).

    .venv/bin/python bench/bench_scale.py [--sizes 250000,1000000,3000000] [--keep DIR]
                                          [--runs R] [--skip-cli | --cli-only]
                                          [--postgres URL]

For each size N, builds the registry of bench_draw.py (N objects in 200
strata, N/200 officers, conflicts on 1 % of the pairs, a plan drawing 5 %
with 2-officer teams) in DIR/N (kept: a later run with the same DIR reuses
it), imports it into SQLite and prepares the plan once (setup, not timed
here). Then it times, each in a child process of its own (wall seconds and
the peak RSS of that child and its own children together):

- ``draw run`` (the CLI, the DR-2 plan of bench_draw.py on the demo beacon chain), from a copy of the
  prepared database, so every run starts from the same state, given the
  pinned round as a file (``--beacon-file``, signed once at setup), as a
  ceremony that saved it from the relays is: a real chain's round is fetched,
  not signed;
- the core path alone for DR-1 and for DR-2 (bench/profile_draw.py: gather
  the registries from SQLite, prepare, draw with a fixed seed — no writes).

Each row also gives the seconds per million objects and the ratio of that
to the 1M row (linear: within 10 %), and the 1-minute load average before
and after the step: the machine is shared, so quote it with the numbers.
The marginal table gives the seconds per million objects added from one
size to the next, in which a fixed start (imports, the beacon check)
cancels out. The package is byte-compiled first, as an install leaves it.
With --runs R each step is run R times and the fastest run is shown.
With --postgres URL (a server's URL, e.g. postgresql+psycopg://postgres@127.0.0.1/test)
the registry is imported and prepared into a database of its own on that
server (bench_scale_N_prepared, kept) and each ``draw run`` starts from a
copy of it (CREATE DATABASE … TEMPLATE), dropped when it ends; the
prepared database is vacuumed and analysed once, as autovacuum leaves a
registry soon after its import. The core path reads SQLite, so only
``draw run`` is timed. The peak is that of the Python processes: the
server's backend is not counted.
Floors (issue 12): draw run 1M ≤ 6 s and ≤ 700 MiB, 3M ≤ 18 s and ≤ 1 GiB.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from itertools import pairwise
from pathlib import Path

import bench_draw
from treemem import TreePeak

from dualrandom.beacon import sign_demo_round

HERE = Path(__file__).resolve().parent


def core(algorithm: str) -> tuple[str, ...]:
    return ("--algorithm", algorithm, "--json")


def child(argv: list[str], cwd: Path | None = None) -> tuple[float, float, float, str]:
    """Run ``argv`` in a child: wall seconds, its CPU seconds (user and system, with
    its own children's; what a shared machine's load does not inflate much), the
    peak RSS in MiB of it and its children together (bench/treemem.py), and its
    stdout."""
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, cwd=cwd, text=True)
    assert process.stdout is not None
    with TreePeak(process.pid) as tree:  # draw run has a child process of its own
        out = process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)  # its usage and its children's
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv)} failed")
    return seconds, usage.ru_utime + usage.ru_stime, max(usage.ru_maxrss / 1024, tree.mib), out


def setup(folder: Path, objects: int) -> Path:
    """The registry of ``objects`` objects imported and prepared; the prepared
    database saved beside it. Returns the config file."""
    config = folder / "config.toml"
    prepared = folder / "prepared.sqlite3"
    if prepared.exists():
        return config
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    start = time.perf_counter()
    bench_draw.generate(folder, objects, max(objects // 200, 100))
    config.write_text(bench_draw.CONFIG, encoding="utf-8")
    bench_draw.import_registries(config, folder, bench_draw.PREPARE)
    shutil.copyfile(folder / "db.sqlite3", prepared)
    print(f"# set up {objects:,} objects in {time.perf_counter() - start:.0f} s", flush=True)
    return config


def pinned_round(folder: Path) -> Path:
    """The prepared draw's pinned round, signed by the demo chain, in a file for
    ``draw run --beacon-file`` (made once, not timed). A real ceremony fetches
    the round from the relays or a saved file and signs nothing: the demo
    chain's signing (py_ecc's import and a scalar multiplication) is not part
    of what a draw costs."""
    path = folder / "beacon-round.json"
    if not path.exists():
        with sqlite3.connect(folder / "prepared.sqlite3") as database:
            (commitment,) = database.execute(
                "SELECT commitment FROM draws WHERE plan_id = 'BENCH' ORDER BY id DESC LIMIT 1"
            ).fetchone()
        number = json.loads(commitment)["beacon"]["round"]
        path.write_bytes(sign_demo_round(number).to_json())
    return path


def restore(folder: Path) -> None:
    """The database as prepared. The previous run's write-ahead log goes too:
    SQLite would apply it to the copy and find the copy malformed."""
    for suffix in ("-wal", "-shm"):
        (folder / f"db.sqlite3{suffix}").unlink(missing_ok=True)
    shutil.copyfile(folder / "prepared.sqlite3", folder / "db.sqlite3")


class Server:
    """``--postgres``: the prepared registry in a database of its own on the server,
    each run on a fresh copy of it."""

    def __init__(self, url: str) -> None:
        from sqlalchemy import make_url

        self.url = make_url(url)

    def _admin(self, *statements: str, database: str | None = None) -> None:
        from sqlalchemy import create_engine, text

        url = self.url.set(database=database) if database else self.url
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                for statement in statements:
                    connection.execute(text(statement))
        finally:
            engine.dispose()

    def _config(self, folder: Path, database: str) -> Path:
        url = self.url.set(database=database).render_as_string(hide_password=False)
        config = folder / f"config-{database}.toml"
        config.write_text(
            bench_draw.CONFIG.replace('"sqlite:///db.sqlite3"', json.dumps(url)), encoding="utf-8"
        )
        return config

    def setup(self, folder: Path, objects: int) -> Path:
        """The CSV files of ``setup`` imported and prepared into bench_scale_N_prepared
        (once: a later run reuses it); returns the config of the runs' copy."""
        setup(folder, objects)
        prepared = f"bench_scale_{objects}_prepared"
        if not (folder / f"{prepared}.done").exists():
            start = time.perf_counter()
            self._admin(f"DROP DATABASE IF EXISTS {prepared}", f"CREATE DATABASE {prepared}")
            config = self._config(folder, prepared)
            bench_draw.import_registries(config, folder, bench_draw.PREPARE)
            # As autovacuum leaves a registry minutes after its import. Left to it, the
            # server would vacuum and analyse each run's copy while the runs are timed.
            self._admin("VACUUM (FREEZE, ANALYZE)", database=prepared)
            (folder / f"{prepared}.done").touch()
            print(
                f"# set up {objects:,} objects on PostgreSQL in "
                f"{time.perf_counter() - start:.0f} s",
                flush=True,
            )
        return self._config(folder, f"bench_scale_{objects}_run")

    def restore(self, objects: int) -> None:
        run, prepared = f"bench_scale_{objects}_run", f"bench_scale_{objects}_prepared"
        self._admin(f"DROP DATABASE IF EXISTS {run}", f"CREATE DATABASE {run} TEMPLATE {prepared}")

    def drop(self, objects: int) -> None:
        """The run's copy goes at once: the server would vacuum its new rows during the next run."""
        self._admin(f"DROP DATABASE IF EXISTS bench_scale_{objects}_run")


def load() -> float:
    return os.getloadavg()[0]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="250000,1000000,3000000")
    parser.add_argument("--keep", type=Path, help="build the registries here and keep them")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--skip-cli", action="store_true", help="time the core path only")
    parser.add_argument("--cli-only", action="store_true", help="time draw run only")
    parser.add_argument("--postgres", metavar="URL", help="draw run from PostgreSQL (see above)")
    options = parser.parse_args()
    server = Server(options.postgres) if options.postgres else None
    if server is not None:
        options.cli_only = True
    sizes = [int(size) for size in options.sizes.split(",")]
    # As an installed package is: byte-compiled (PYTHONDONTWRITEBYTECODE may be set).
    compileall.compile_dir(HERE.parent / "inspect" / "dualrandom", quiet=1)
    base = options.keep or Path(tempfile.mkdtemp(prefix="bench-scale-"))
    rows: list[tuple[str, int, float, float, float, float, float]] = []
    print(
        f"{'step':16} {'objects':>10} {'seconds':>8} {'CPU s':>7} {'s per 1M':>8} "
        f"{'peak MiB':>9} {'load before':>11} {'after':>6}",
        flush=True,
    )
    for size in sizes:
        folder = base / str(size)
        config = server.setup(folder, size) if server else setup(folder, size)
        steps: list[tuple[str, list[str]]] = []
        if not options.skip_cli:
            steps.append(
                (
                    "draw run (CLI)",
                    [
                        *bench_draw.command(bench_draw.RUN),
                        *("--config", str(config), *bench_draw.RUN),
                        *("--beacon-file", str(pinned_round(folder))),
                    ],
                )
            )
        for algorithm in () if options.cli_only else ("DR-1", "DR-2"):
            steps.append(
                (
                    f"core {algorithm}",
                    [sys.executable, str(HERE / "profile_draw.py"), str(folder), *core(algorithm)],
                )
            )
        for name, argv in steps:
            best: tuple[float, float, float, float, float, str] | None = None
            for _ in range(options.runs):
                if server is not None:
                    server.restore(size)
                else:
                    restore(folder)
                before = load()
                seconds, cpu, peak, out = child(argv, cwd=folder)
                if server is not None:
                    server.drop(size)
                if best is None or seconds < best[0]:
                    best = (seconds, cpu, peak, before, load(), out)
            assert best is not None
            seconds, cpu, peak, before, after, out = best
            rows.append((name, size, seconds, cpu, peak, before, after))
            print(
                f"{name:16} {size:10,} {seconds:8.1f} {cpu:7.1f} {seconds / size * 1e6:8.2f} "
                f"{peak:9.0f} {before:11.2f} {after:6.2f}",
                flush=True,
            )
            if out.strip().startswith("{"):
                phases = json.loads(out.strip().splitlines()[-1])
                print(
                    "    "
                    + ", ".join(f"{k} {phases[k]:.1f} s" for k in ("gather", "prepare", "draw")),
                    flush=True,
                )
    print(
        "\nlinearity: wall (and CPU) seconds per million objects relative to the largest"
        " size ≤ 1M (1.00 ± 0.10 is linear within 10 %)"
    )
    for name in dict.fromkeys(r[0] for r in rows):
        own = [r for r in rows if r[0] == name]
        reference = max((r for r in own if r[1] <= 1_000_000), key=lambda r: r[1], default=own[0])
        wall, cpu = reference[2] / reference[1], reference[3] / reference[1]
        ratios = ", ".join(
            f"{r[1]:,}: {r[2] / r[1] / wall:.2f} ({r[3] / r[1] / cpu:.2f})" for r in own
        )
        print(f"  {name:16} {ratios}")
    print(
        "\nmarginal: seconds per million objects added between consecutive sizes, relative"
        " to the step that reaches 1M (a fixed start cancels out)"
    )
    for name in dict.fromkeys(r[0] for r in rows):
        own = sorted((r for r in rows if r[0] == name), key=lambda r: r[1])
        steps = [(b[1], (b[2] - a[2]) / (b[1] - a[1]) * 1e6) for a, b in pairwise(own)]
        if not steps:
            continue
        reference = next((per for size, per in steps if size >= 1_000_000), steps[0][1])
        shown = ", ".join(f"to {size:,}: {per:.2f} s ({per / reference:.2f})" for size, per in steps)
        print(f"  {name:16} {shown}")


if __name__ == "__main__":
    main()
