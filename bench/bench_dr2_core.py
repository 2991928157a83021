"""Benchmarks of the DR-2 additions to the core (a plain script, not a test).

    PYTHONPATH=inspect:. .venv/bin/python bench/bench_dr2_core.py [--rows N] [--objects M]

1. Bucketed snapshot digest (SPEC §15) of a 1,000,000-row objects-public
   file from its bytes, against one bare SHA-256 per row over the same keys
   (the floor: the bucket hash itself) and the DR-1 digest (one SHA-256 of
   the whole file). Target: under about 1 s per million rows.
2. ObjectDigestStream: formatting and digesting both object parts, rows fed
   in id order in chunks of 20,000, against the DR-1 builder's digest.
3. Risk-class Merkle root (SPEC §18) of 1,000,000 (id, class) rows.
4. DR-2 prepare + draw (+ the public check) for the 20-object vector
   inputs and for M generated objects (default 100,000) in a plan of
   risk × district strata plus a public stratum.

Each figure is the best of a few runs; the load average is printed, since
the machine is shared.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import time
from collections.abc import Callable
from datetime import date
from fractions import Fraction

from tests.core.factories import item, officer, plan, where
from tests.core.vector_inputs import CONFLICTS, HISTORY, INSPECTORS, ITEMS, OBJECTS, PLAN

from dualrandom.core import (
    DrawInputs,
    ObjectDigestStream,
    draw,
    file_digest,
    prepare,
    public_check,
    risk_commitment,
)
from dualrandom.core.canonical import ObjectColumns, ObjectSnapshotBuilder, objects_snapshot
from dualrandom.core.model import ObjectRecord, Stratum, TeamRules

SEED = hashlib.sha256(b"bench dr2").digest()
KEY = bytes(32)
DISTRICTS = [f"第{n}片区" for n in range(1, 11)]
TYPES = ["企业", "个体工商户", "农民专业合作社"]


def best_of(runs: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def records(n: int) -> list[ObjectRecord]:
    return [
        ObjectRecord(
            id=f"91211{i:013d}",
            name=f"盘锦某某有限公司{i}",
            type=TYPES[i % 3],  # type: ignore[arg-type]
            industry=f"F52{i % 100:02d}",
            district=DISTRICTS[i % 10],
            status="存续" if i % 50 else "注销",  # type: ignore[arg-type]
            risk_class="ABCD"[(i * 7) % 4],  # type: ignore[arg-type]
            address=f"某街{i}号",
            departments=("SCJG",),
        )
        for i in range(n)
    ]


def bench_digests(n: int) -> None:
    rows = records(n)
    snap = objects_snapshot(rows, "DR-2")
    data = snap.public_bytes
    keys = [r.id.encode() for r in rows]
    tag = b"DR-2/bucket\x00"
    per_row = best_of(3, lambda: [hashlib.sha256(tag + k).digest()[0] for k in keys])
    ours = best_of(3, lambda: file_digest("objects-public", data))
    whole = best_of(3, lambda: hashlib.sha256(data).hexdigest())
    m = n / 1e6
    print(f"1. bucketed digest, {n:,} rows ({len(data) / 1e6:.0f} MB): {ours / m:.2f} s/M")
    print(f"   one bare SHA-256 per row (the bucket hash alone):  {per_row / m:.2f} s/M")
    print(f"   DR-1: SHA-256 of the whole file:                   {whole / m:.2f} s/M")
    columns = ObjectColumns.of(rows)
    chunk = 20_000

    def stream() -> None:
        digest = ObjectDigestStream()
        for start in range(0, n, chunk):
            digest.add(columns.rows(start, start + chunk))
        digest.digests()

    def dr1() -> None:
        builder = ObjectSnapshotBuilder()
        for start in range(0, n, chunk):
            builder.add(columns.rows(start, start + chunk))
        builder.digest()

    t_stream, t_dr1 = best_of(2, stream), best_of(2, dr1)
    print(f"2. ObjectDigestStream (format + both parts, DR-2):     {t_stream / m:.2f} s/M")
    print(f"   ObjectSnapshotBuilder.digest (format + DR-1):       {t_dr1 / m:.2f} s/M")
    pairs = [(r.id, str(r.risk_class)) for r in rows]
    t_risk = best_of(2, lambda: risk_commitment(KEY, pairs))
    print(f"3. risk-class Merkle root:                            {t_risk / m:.2f} s/M")


def bench_draws(m: int) -> None:
    inputs = DrawInputs(PLAN, ITEMS, OBJECTS, INSPECTORS, CONFLICTS, HISTORY)
    t_small = best_of(5, lambda: draw(prepare(inputs, algorithm="DR-2", salt_key=KEY), SEED))
    print(f"4. DR-2 prepare + draw, 20-object vector: {t_small * 1000:.1f} ms")
    strata = [
        Stratum("合作社", where(type=["农民专业合作社"]), min_count=1),
        *(
            Stratum(f"{d}{name}", where(risk_class=classes, district=[d], type=TYPES[:2]), ratio=r)
            for d in DISTRICTS
            for name, classes, r in (
                ("低风险", ["A", "B"], Fraction(1, 50)),
                ("中高风险", ["C", "D"], Fraction(1, 10)),
            )
        ),
    ]
    big = DrawInputs(
        plan(("SCJG-01",), team=TeamRules(size=2), strata=strata, window_start=date(2027, 1, 4)),
        {"SCJG-01": item("SCJG-01", ratio="1/20")},
        records(m),
        [officer(f"2111{n:04d}") for n in range(400)],
    )
    start = time.perf_counter()
    prep = prepare(big, algorithm="DR-2", salt_key=KEY)
    t_prepare = time.perf_counter() - start
    start = time.perf_counter()
    result = draw(prep, SEED)
    t_draw = time.perf_counter() - start
    start = time.perf_counter()
    check = public_check(
        prep.plan_bytes,
        prep.objects.public_bytes,
        result.public_files(),
        SEED,
        committed=prep.committed,
        quotas=prep.quotas,
    )
    t_check = time.perf_counter() - start
    assert check.ok, check.findings[:3]
    start = time.perf_counter()
    prep1 = prepare(big)
    t_prepare1 = time.perf_counter() - start
    start = time.perf_counter()
    draw(prep1, SEED)
    t_draw1 = time.perf_counter() - start
    print(
        f"   {m:,} objects, {len(prep.quotas)} pools, {len(result.selected):,} drawn: "
        f"prepare {t_prepare:.2f} s, draw {t_draw:.2f} s, public check {t_check:.2f} s "
        f"({check.counts()['full']} pools full, {check.decided}/{check.selected} decided); "
        f"DR-1: prepare {t_prepare1:.2f} s, draw {t_draw1:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--objects", type=int, default=100_000)
    args = parser.parse_args()
    print(f"load average: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    bench_digests(args.rows)
    bench_draws(args.objects)
    print(f"load average: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
