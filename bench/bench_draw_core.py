"""Benchmarks of the DR-1 draw core (a plain script, not a test).

    PYTHONPATH=inspect .venv/bin/python bench/bench_draw_core.py [--quick]

1. Tickets + selection for 1,000,000 ids (k = 50,000) against a bare
   ``hashlib.sha256`` loop over the same ids. Floor: within 1.5x.
2. Team assignment: 50,000 visits, 5,000 officers in 10 districts
   (team.district = "same"), 2-officer teams, 1 % of the officer-object
   pairs of a district under a declared conflict, load cap 25. Floor: 10 s.
3. With ``--stress``: the same, but every team needs a leader and only 45 %
   of the officers are leaders, so leader capacity is nearly exhausted and
   plain greedy gets stuck: this times the max-flow fallback (no floor).
"""

from __future__ import annotations

import hashlib
import random
import sys
import time
from dataclasses import replace
from datetime import date
from fractions import Fraction

from dualrandom.core import DrawInputs, derive_seed, prepare, target_tickets
from dualrandom.core.draw import _select, _visits
from dualrandom.core.model import (
    ConflictRecord,
    InspectorRecord,
    ItemRecord,
    ObjectRecord,
    Plan,
    TeamRules,
)
from dualrandom.core.selection import smallest

SEED = hashlib.sha256(b"bench").digest()


def best_of(runs: int, fn: object) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def bench_tickets(n: int, k: int) -> None:
    ids = [f"9121{i:014d}" for i in range(n)]
    prefix = b"DR-1/target\x00" + SEED

    def bare() -> None:
        sha256 = hashlib.sha256
        for object_id in ids:
            sha256(prefix + object_id.encode("utf-8")).digest()

    def ours() -> None:
        tickets = target_tickets(SEED, ids)
        smallest(tickets, k)

    t_bare = best_of(3, bare)
    t_ours = best_of(3, ours)
    print(f"tickets+selection, {n:,} ids, k={k:,}: {t_ours:.3f} s")
    print(f"bare hashlib loop, {n:,} ids:            {t_bare:.3f} s")
    print(f"ratio: {t_ours / t_bare:.2f} (floor 1.5)")


def team_instance(visits: int, officers: int, districts: int, conflict_rate: float) -> DrawInputs:
    rng = random.Random(20270104)
    names = [f"区{d:02d}" for d in range(districts)]
    objects = [
        ObjectRecord(
            id=f"9121{i:014d}",
            name=f"对象{i}",
            type="企业",
            industry="F5211",
            district=names[i % districts],
            status="存续",
            risk_class="B",
        )
        for i in range(visits)
    ]
    inspectors = [
        InspectorRecord(
            cert_no=f"JD{i:06d}",
            name=f"检查员{i}",
            department="SCJG",
            cert_valid_until=date(2030, 12, 31),
            status="在岗",
            district=names[i % districts],
        )
        for i in range(officers)
    ]
    by_district: dict[str, list[str]] = {}
    for inspector in inspectors:
        by_district.setdefault(inspector.district, []).append(inspector.cert_no)
    conflicts = []
    for obj in objects:
        pool = by_district[obj.district]
        for cert_no in rng.sample(pool, round(conflict_rate * len(pool))):
            conflicts.append(ConflictRecord(cert_no, obj.id, "其他"))
    item = ItemRecord(
        code="SCJG-01",
        name="营业执照规范使用情况",
        legal_basis="《企业信息公示暂行条例》",
        department="SCJG",
        item_class="一般",
        methods=("现场检查",),
        ratio=Fraction(1),
    )
    plan = Plan(
        id="BENCH",
        title="bench",
        year=2027,
        batch="Q1",
        kind="不定向",
        department="SCJG",
        items=("SCJG-01",),
        window_start=date(2027, 1, 4),
        window_end=date(2027, 3, 31),
        team=TeamRules(size=2, district="same", load_cap=25, conflict_rules=("declared",)),
    )
    return DrawInputs(plan, {"SCJG-01": item}, objects, inspectors, conflicts)


def bench_teams(visits: int, officers: int, leaders: float | None = None) -> None:
    start = time.perf_counter()
    inputs = team_instance(visits, officers, 10, 0.01)
    if leaders is not None:
        inspectors = [
            replace(o, leader=i % 100 < leaders * 100) for i, o in enumerate(inputs.inspectors)
        ]
        team = replace(inputs.plan.team, leader=True)
        inputs = replace(inputs, inspectors=inspectors, plan=replace(inputs.plan, team=team))
    print(
        f"instance built: {time.perf_counter() - start:.2f} s, {len(inputs.conflicts):,} conflicts"
    )
    start = time.perf_counter()
    prep = prepare(inputs)
    print(f"prepare (snapshots, digests, pools): {time.perf_counter() - start:.2f} s")
    seed = derive_seed(prep.digests, "bench", bytes(32))
    start = time.perf_counter()
    selected, _, ticket_of = _select(prep, seed)
    print(f"selection: {time.perf_counter() - start:.2f} s ({len(selected):,} visits)")
    chosen = {row.object_id: {row.item} for row in selected}
    start = time.perf_counter()
    result = _visits(prep, seed, chosen, ticket_of)
    elapsed = time.perf_counter() - start
    floor = "" if leaders is not None else " (floor 10 s)"
    print(f"team assignment: {elapsed:.2f} s for {len(result):,} visits{floor}")


def main() -> None:
    quick = "--quick" in sys.argv
    bench_tickets(100_000 if quick else 1_000_000, 5_000 if quick else 50_000)
    bench_teams(5_000 if quick else 50_000, 500 if quick else 5_000)
    if "--stress" in sys.argv:
        print("-- stress: leaders required, 45 % of officers are leaders")
        bench_teams(5_000 if quick else 50_000, 500 if quick else 5_000, leaders=0.45)


if __name__ == "__main__":
    main()
