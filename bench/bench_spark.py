"""Benchmark: the DR-1 selection as a Spark job in local mode, beside the Python draw (issue 12).

    PYTHONPATH=inspect .venv/bin/python bench/bench_spark.py [--objects 1000000] [--keep DIR]
                                                             [--cores 2]

Needs the extra: pip install '.[spark]' (and Java 17). Builds (or reuses, in
DIR/N) the registry of bench_draw.py as bench_scale.py does (N objects in 200
strata, one item drawing 5 %, 2-officer teams), gathers it from SQLite and
then times, in this one process:

- ``python``: the core draw of the prepared plan with a fixed seed;
- ``export``: the object snapshot written to Parquet by Spark itself;
- ``select``: pools, exclusions, quotas, tickets and the per-pool window in Spark,
  the selected rows collected (Parquet read included);
- ``spark draw``: the same plus the teams assigned in Python on the visits;

and checks the two draws' files are byte-identical. Memory: the peak RSS of
this Python process (it also holds the gathered registry for the Python
draw, which a cluster driver never does) and of the local Spark JVM. Quote
the load average printed beside the numbers: the machine is shared.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import bench_draw

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent / "dualrandom"


def setup(folder: Path, objects: int) -> Path:
    """bench_draw.py's registry and plan imported into SQLite (kept for a later run).

    The generated plan says entropy = "typed", which ``rules check`` refuses
    since DR-2; it is loaded as a beacon plan and drawn below as DR-1 with
    entropy "dice" (how tests/draws store plans of before DR-2)."""
    config = folder / "config.toml"
    if (folder / "loaded").exists():
        return config
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    bench_draw.generate(folder, objects, max(objects // 200, 100))
    plan = folder / "rules" / "plans" / "BENCH.toml"
    plan.write_text(
        plan.read_text(encoding="utf-8").replace('entropy = "typed"', 'entropy = "beacon"'),
        encoding="utf-8",
    )
    config.write_text(
        '[database]\nurl = "sqlite:///db.sqlite3"\n[paths]\nrules = "rules"\nvar = "var"\n',
        encoding="utf-8",
    )
    bench_draw.import_registries(config, folder)
    (folder / "loaded").touch()
    return config


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def jvm_peak_mib(spark: object) -> float:
    """VmHWM of the JVM behind a local Spark session (0 when not readable)."""
    try:
        pid = spark.sparkContext._gateway.proc.pid  # type: ignore[attr-defined]
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (AttributeError, OSError):
        pass
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--objects", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path)
    parser.add_argument("--cores", type=int, default=2)
    options = parser.parse_args()
    root = options.keep or Path(tempfile.mkdtemp(prefix="bench-spark-"))
    folder = (root / str(options.objects)).resolve()
    config = setup(folder, options.objects)
    os.chdir(folder)

    from dualrandom.app import App
    from dualrandom.core import DrawInputs, draw, prepare
    from dualrandom.core.model import EntropySource
    from dualrandom.draws._inputs import gather
    from dualrandom.draws.engine_spark import (
        draw_with_spark,
        export_objects,
        local_session,
        read_objects,
        select_with_spark,
    )

    seed = hashlib.sha256(b"bench-spark").digest()
    app = App.from_config(config)
    with app.transaction() as session:
        gathered = gather(session, "BENCH").inputs
    inputs = replace(gathered, plan=replace(gathered.plan, entropy=EntropySource("dice")))
    app.close()
    rows: list[tuple[str, float]] = []

    def step(name: str, start: float) -> None:
        rows.append((name, time.perf_counter() - start))
        print(f"{name:12} {rows[-1][1]:8.2f} s   load {os.getloadavg()[0]:.2f}", flush=True)

    print(f"# {options.objects:,} objects, load {os.getloadavg()[0]:.2f}", flush=True)
    start = time.perf_counter()
    prep = prepare(inputs)
    in_python = draw(prep, seed)
    step("python", start)
    python_peak = peak_mib()
    start = time.perf_counter()
    spark = local_session(cores=options.cores, shuffle_partitions=2 * options.cores)
    step("spark start", start)
    parquet = folder / "objects.parquet"
    start = time.perf_counter()
    export_objects(spark, inputs.objects, parquet)
    step("export", start)
    bare = DrawInputs(
        inputs.plan, inputs.items, (), inputs.inspectors, inputs.conflicts, inputs.history
    )
    start = time.perf_counter()
    select_with_spark(spark, read_objects(spark, parquet), bare.plan, bare.items, (), seed)
    step("select", start)
    start = time.perf_counter()
    in_spark = draw_with_spark(spark, read_objects(spark, parquet), bare, seed, prep.digests)
    step("spark draw", start)
    same = in_spark.files() == in_python.files()
    print(
        f"visits {len(in_spark.visits):,}; files identical: {same}; peak RSS python "
        f"{python_peak:.0f} MiB before Spark, {peak_mib():.0f} MiB at the end; "
        f"Spark JVM {jvm_peak_mib(spark):.0f} MiB; load {os.getloadavg()[0]:.2f}"
    )
    spark.stop()
    if not same:
        raise SystemExit("the Spark draw differs from the Python draw")


if __name__ == "__main__":
    main()
