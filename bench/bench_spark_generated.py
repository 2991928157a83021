"""Benchmark: the Spark DR-1 job over a registry that Spark itself generates (issue 12).

    PYTHONPATH=inspect nice -n 10 .venv/bin/python bench/bench_spark_generated.py \\
        --objects 20000000 --work /work/DIR [--check] [--cores 2] [--driver-memory 4g]

bench_spark.py builds its registry the application's way (CSV, ``registry
import``, ``gather``, ``export_objects`` from Python): hours at 20,000,000
objects. Here the N objects are made by Spark from ``spark.range(N)`` with
column expressions only (nothing per row in Python) and written to Parquet
in exactly ``OBJECTS_SCHEMA``. Row n is bench_draw.py's object n: the same
id (``bench_draw._uscc(n)``, check digit included), name, industry, status,
district (n mod 10) and defaults of every other field; the type and the
risk class, which bench_draw draws from a seeded ``random.Random``, are
here uniform from ``xxhash64`` of (a tag, n) — the same value sets and in
expectation the same share of rows in each of the 200 strata
(risk × district × type), so bench_draw's plan (200 strata, one item at 5 %,
2-officer teams of the same district) applies unchanged.

The other inputs of the draw:

- plan and items: bench_draw's rules, loaded and gathered from a small
  bench_draw registry (the plan does not depend on N), drawn as DR-1 with
  entropy "dice" (as bench_spark.py does); no history (as bench_draw);
- inspectors: bench_draw's N/200 officers (at least 100), made here as the
  records ``registry import`` makes of bench_draw's CSV (``--check`` asserts
  that against the gathered ones at the small size);
- conflicts: bench_draw's rule (an object has, with probability 1/20,
  conflicts with 5 distinct officers of its own district) with the choices
  derived from n by a 64-bit mixing function (numpy), so every conflict
  names an object and an officer that exist and can meet in a team.

Timed: the generation (Parquet written), ``select_with_spark`` (pools,
exclusions, quotas, tickets, windows; the Parquet read included) and
``draw_with_spark`` (the same plus the teams in Python). Printed: the number
of visits, the result digest, the Spark JVM's peak (VmHWM) and CPU, this
Python driver's peak RSS and CPU, the load average before, during (the
highest 1-minute value sampled every 5 s) and after each step.

``--check`` (for a size whose Python draw fits: 200,000, 1,000,000) also
reads every generated row back into the Python core (records, ObjectTable),
checks the ids against ``bench_draw._uscc``, prepares and draws with the
core draw and fails loudly unless the Spark draw's six files are byte for
byte the Python draw's. Without it the objects digest given to the draw is
that of an empty registry (DR-1's object digest is one SHA-256 over the
whole canonical file, which only the Python path makes); the seed is fixed,
so the selection and teams do not depend on it.

Spark's local directories and the JVM's temporary files go under
``--work``; the JVM's heap is ``--driver-memory`` (local mode: one JVM).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import sys
import threading
import time
from collections import Counter
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import bench_draw
import bench_spark
import numpy as np

CHECK_SAMPLE = 97  # ids checked against bench_draw._uscc in a run without --check
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)  # GB 32100


def _char(index: str) -> str:
    """SQL: the character of ALPHABET at the 0-based integer expression ``index``."""
    return f"substr('{bench_draw.ALPHABET}', cast({index} AS INT) + 1, 1)"


def _uscc_sql() -> str:
    """SQL over the row number ``n``: bench_draw._uscc(n), check digit included
    (stdnum's calc_check_digit: ALPHABET[(31 - Σ value × weight) mod 31])."""
    digits = [f"(floor(pmod(n, 10000) / {10 ** (3 - j)}) % 10)" for j in range(4)]
    letters = [f"pmod(shiftright(n, {5 * i}), 31)" for i in range(7)]
    fixed = [bench_draw.ALPHABET.index(c) for c in "9121"]
    values = [str(v) for v in fixed] + digits + [
        str(bench_draw.ALPHABET.index("M")),
        str(bench_draw.ALPHABET.index("A")),
    ] + letters  # fmt: skip
    total = " + ".join(f"{v} * {w}" for v, w in zip(values, _WEIGHTS, strict=True))
    body = "concat('9121', lpad(cast(pmod(n, 10000) AS STRING), 4, '0'), 'MA', " + ", ".join(
        _char(letter) for letter in letters
    )
    return f"{body}, {_char(f'pmod(-({total}), 31)')})"


def _pick(values: list[str], tag: str) -> str:
    """SQL: an element of ``values`` uniform from xxhash64(tag, n)."""
    array = ", ".join(f"'{v}'" for v in values)
    return f"element_at(array({array}), cast(pmod(xxhash64('{tag}', n), {len(values)}) AS INT) + 1)"


def generate(spark: Any, objects: int, path: Path, partitions: int) -> None:
    """bench_draw's N objects, made by Spark, written to Parquet in OBJECTS_SCHEMA."""
    from dualrandom.draws.engine_spark import OBJECTS_SCHEMA

    districts = ", ".join(f"'{d}'" for d in bench_draw.DISTRICTS)
    columns = {  # coalesce(…, literal) only tells Spark a column is never null
        "id": f"coalesce({_uscc_sql()}, '')",
        "name": "concat('对象', cast(n AS STRING))",
        "type": f"coalesce({_pick(bench_draw.TYPES, 'type')}, '')",
        "industry": "'F5211'",
        "district": f"coalesce(element_at(array({districts}), cast(pmod(n, 10) AS INT) + 1), '')",
        "status": "'存续'",
        "risk_class": f"coalesce({_pick(bench_draw.RISK, 'risk')}, '')",
        "id_type": "'uscc'",
        "registration_authority": "''",
        "address": "''",
        "established": "CAST(NULL AS DATE)",
        "abnormal_list": "false",
        "serious_illegal_list": "false",
        "departments": "coalesce(CAST(array() AS ARRAY<STRING>), array(''))",
        "tags": "coalesce(CAST(array() AS ARRAY<STRING>), array(''))",
        "last_inspected": "CAST(NULL AS DATE)",
    }
    frame = spark.range(0, objects, 1, partitions).withColumnRenamed("id", "n")
    frame = frame.selectExpr(*(f"{sql} AS {name}" for name, sql in columns.items()))
    expected = spark.createDataFrame([], OBJECTS_SCHEMA).schema
    if frame.schema != expected:
        raise SystemExit(f"generated schema\n{frame.schema}\nis not OBJECTS_SCHEMA\n{expected}")
    frame.write.mode("overwrite").parquet(str(path))


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, elementwise on uint64."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def inspectors(officers: int) -> list[Any]:
    """bench_draw's officers as ``registry import`` makes them."""
    from dualrandom.core.model import InspectorRecord

    return [
        InspectorRecord(
            cert_no=f"31{n:08d}",
            name=f"执法员{n}",
            department="SCJG",
            cert_valid_until=date(2030, 12, 31),
            status="在岗",  # type: ignore[arg-type]  # the record converts it
            district=bench_draw.DISTRICTS[n % len(bench_draw.DISTRICTS)],
        )
        for n in range(officers)
    ]


def conflicts(objects: int, officers: int) -> list[Any]:
    """bench_draw's rule: object n has, with probability 1/20, conflicts with 5
    distinct officers of its district (officers m ≡ n mod 10); which ones, from
    a hash of n: start j and stride s (1 ≤ s ≤ count/5, so the 5 are distinct)."""
    from dualrandom.core.model import ConflictRecord

    n = np.arange(objects, dtype=np.uint64)
    hit = n[_mix(n ^ np.uint64(0x20270101)) % np.uint64(20) == 0]
    h = _mix(hit ^ np.uint64(0xC0FF1C7))
    district = (hit % np.uint64(10)).astype(np.int64)
    count = (officers - district + 9) // 10
    if officers < 50:
        raise SystemExit("the conflict rule needs at least 5 officers per district")
    start = (h % count.astype(np.uint64)).astype(np.int64)
    stride = 1 + ((h >> np.uint64(32)) % (count // 5).astype(np.uint64)).astype(np.int64)
    out = []
    for k in range(len(hit)):
        object_id = bench_draw._uscc(int(hit[k]))
        for step in range(5):
            j = (start[k] + step * stride[k]) % count[k]
            out.append(ConflictRecord(f"31{district[k] + 10 * j:08d}", object_id, "其他"))  # type: ignore[arg-type]
    return out


class Load:
    """The highest 1-minute load average, sampled every 5 s in a thread."""

    def __init__(self) -> None:
        self.high = os.getloadavg()[0]
        self._stop = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while not self._stop.wait(5):
            self.high = max(self.high, os.getloadavg()[0])

    def reset(self) -> None:
        self.high = os.getloadavg()[0]


def jvm_cpu(spark: Any) -> float:
    """User + system CPU seconds of the local Spark JVM so far."""
    try:
        pid = spark.sparkContext._gateway.proc.pid
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (AttributeError, OSError):
        return 0.0


def rss_mib() -> float:
    """This process's resident memory now."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--objects", type=int, default=1_000_000)
    parser.add_argument("--work", type=Path, required=True, help="Parquet, rules, Spark's temp")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--driver-memory", default="4g")
    parser.add_argument("--check", action="store_true", help="also draw in Python and compare")
    parser.add_argument("--reuse", action="store_true", help="keep an existing Parquet")
    options = parser.parse_args()
    work = options.work.resolve()
    local = work / "spark-local"
    local.mkdir(parents=True, exist_ok=True)
    os.environ["PYSPARK_SUBMIT_ARGS"] = (
        f"--driver-memory {options.driver_memory} --conf spark.local.dir={local} "
        f"--driver-java-options -Djava.io.tmpdir={local} pyspark-shell"
    )
    free = shutil.disk_usage(work).free / 2**30
    load = Load()
    print(f"# {options.objects:,} objects; {free:.0f} GiB free in {work}; "
          f"load {os.getloadavg()}", flush=True)  # fmt: skip

    from dualrandom.app import App
    from dualrandom.core import DrawInputs, draw, prepare
    from dualrandom.core.model import EntropySource, object_record
    from dualrandom.core.table import ObjectTable
    from dualrandom.draws._inputs import gather
    from dualrandom.draws.engine_spark import (
        draw_with_spark,
        local_session,
        read_objects,
        select_with_spark,
    )

    officers = max(options.objects // 200, 100)
    rules = work / "rules-2000"
    config = bench_spark.setup(rules, 2000)
    cwd = Path.cwd()
    os.chdir(rules)
    app = App.from_config(config)
    with app.transaction() as session:
        gathered = gather(session, "BENCH").inputs
    app.close()
    os.chdir(cwd)
    if inspectors(100) != list(gathered.inspectors):
        raise SystemExit("the officers made here differ from those registry import makes")
    plan = replace(gathered.plan, entropy=EntropySource("dice"))
    start = time.perf_counter()
    bare = DrawInputs(
        plan, gathered.items, (), inspectors(officers),
        conflicts(options.objects, officers), gathered.history,
    )  # fmt: skip
    print(f"inspectors and conflicts {time.perf_counter() - start:8.2f} s: {officers:,} officers, "
          f"{len(bare.conflicts):,} conflicts; Python RSS now {rss_mib():,.0f} MiB",
          flush=True)  # fmt: skip
    seed = hashlib.sha256(b"bench-spark").digest()

    def step(name: str, began: float, cpu: tuple[float, float], spark: Any = None) -> None:
        jvm = jvm_cpu(spark) - cpu[1] if spark is not None else 0.0
        print(
            f"{name:12} {time.perf_counter() - began:8.2f} s   CPU python "
            f"{own_cpu() - cpu[0]:.1f} s, JVM {jvm:.1f} s   load during ≤ {load.high:.2f}, "
            f"after {os.getloadavg()[0]:.2f}",
            flush=True,
        )
        load.reset()

    start, load_before = time.perf_counter(), os.getloadavg()[0]
    spark = local_session(cores=options.cores, shuffle_partitions=2 * options.cores)
    step("spark start", start, (own_cpu(), 0.0))
    parquet = work / f"objects-{options.objects}.parquet"
    if not (options.reuse and (parquet / "_SUCCESS").exists()):
        print(f"load before generation {os.getloadavg()[0]:.2f}", flush=True)
        start, cpu = time.perf_counter(), (own_cpu(), jvm_cpu(spark))
        generate(spark, options.objects, parquet, max(options.cores, options.objects // 1_000_000))
        step("generate", start, cpu, spark)
        size = sum(f.stat().st_size for f in parquet.glob("*.parquet")) / 2**20
        print(f"Parquet {size:,.0f} MiB", flush=True)
    objects = read_objects(spark, parquet)
    sample = [(k * 2_654_435_761) % options.objects for k in range(CHECK_SAMPLE)]
    found = objects.where(objects["name"].isin([f"对象{k}" for k in sample])).collect()
    if len(found) != len(set(sample)) or any(
        r["id"] != bench_draw._uscc(int(r["name"][2:])) for r in found
    ):
        raise SystemExit("generated ids are not bench_draw._uscc(n)")

    python = None
    if options.check:
        rows = read_objects(spark, parquet).collect()
        records = [object_record(r.asDict()) for r in rows]
        if any(r.id != bench_draw._uscc(int(r.name[2:])) for r in records):
            raise SystemExit("generated ids are not bench_draw._uscc(n)")
        table = ObjectTable.of(records)
        if len(table) != options.objects:
            raise SystemExit(f"{len(table):,} distinct objects, not {options.objects:,}")
        shares = Counter((r.risk_class, r.district, r.type) for r in records)
        print(f"strata: {len(shares)}, members {min(shares.values()):,}–{max(shares.values()):,} "
              f"(expected {options.objects / 200:,.0f} each)", flush=True)  # fmt: skip
        del rows, records
        start, cpu = time.perf_counter(), (own_cpu(), 0.0)
        prep = prepare(replace(bare, objects=table))
        python = draw(prep, seed)
        step("python draw", start, cpu)
        digests = prep.digests
        del table
    else:
        digests = prepare(replace(bare, objects=ObjectTable.of([]))).digests

    print(f"load before select {os.getloadavg()[0]:.2f}", flush=True)
    start, cpu = time.perf_counter(), (own_cpu(), jvm_cpu(spark))
    chosen = select_with_spark(spark, read_objects(spark, parquet), plan, bare.items, (), seed)
    step("select", start, cpu, spark)
    counts = (
        f"selected {len(chosen.selected):,}, reserve {len(chosen.reserve):,}, excluded "
        f"{len(chosen.exclusions):,}, outside {len(chosen.outside):,}"
    )
    print(f"{counts}; Python RSS now {rss_mib():,.0f} MiB", flush=True)
    del chosen  # the draw below selects again: not both held at once
    start, cpu = time.perf_counter(), (own_cpu(), jvm_cpu(spark))
    in_spark = draw_with_spark(spark, read_objects(spark, parquet), bare, seed, digests)
    step("spark draw", start, cpu, spark)
    print(
        f"visits {len(in_spark.visits):,}; result digest {in_spark.digest}\n"
        f"peak RSS: Python driver {bench_spark.peak_mib():,.0f} MiB, Spark JVM "
        f"{bench_spark.jvm_peak_mib(spark):,.0f} MiB (heap {options.driver_memory}); "
        f"JVM CPU {jvm_cpu(spark):.0f} s in all; load before {load_before:.2f}, "
        f"at the end {os.getloadavg()}",
        flush=True,
    )
    spark.stop()
    if python is not None:
        same = in_spark.files() == python.files()
        print(f"Python draw: {len(python.visits):,} visits, digest {python.digest}; "
              f"files identical: {same}", flush=True)  # fmt: skip
        if not same:
            raise SystemExit("the Spark draw differs from the Python draw")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
