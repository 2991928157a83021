"""Golden test vectors of DR-1 (tests/core/vectors/dr1.json).

The file is checked two ways: (1) the implementation must reproduce every
value in it, byte for byte; (2) an independent reference written from
docs/SPEC.md (tests/core/reference.py: plain hashlib, no dualrandom.core)
must reproduce the snapshots, digests, seed, tickets, pools, selection,
reserve, officer orders and teams from the file's own data. Any change of
output for these fixed inputs fails here and needs a new algorithm version.

Regenerate (only with a new version): ``PYTHONPATH=inspect .venv/bin/python
-m tests.core.test_dr1_vectors --write``.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from dualrandom.core import (
    DrawInputs,
    derive_seed,
    draw,
    parse_conflicts,
    parse_history,
    parse_inspectors,
    parse_objects,
    parse_plan,
    prepare,
    secret_commitment,
    substitute,
    target_ticket,
    ticket_hex,
)
from dualrandom.core.model import HistoryRecord, ObjectRecord
from dualrandom.core.plan_json import parse_fraction
from dualrandom.core.slots import base_eligible, pair_conflicts
from dualrandom.core.teams import VisitPlan
from dualrandom.core.tickets import OfficerOrder
from tests.core import reference
from tests.core.test_dr1_teams_bruteforce import _brute, _visit_eligible
from tests.core.vector_inputs import (
    CONFLICTS,
    ENTROPY,
    HISTORY,
    INSPECTORS,
    ITEMS,
    OBJECTS,
    PLAN,
    SECRET,
)

VECTORS = Path(__file__).parent / "vectors" / "dr1.json"
REMOVED = ("盘锦-摊位-007",)  # found 无法联系 before its visit: the substitution vector


def _inputs() -> DrawInputs:
    return DrawInputs(PLAN, ITEMS, OBJECTS, INSPECTORS, CONFLICTS, HISTORY)


def _candidates(obj: ObjectRecord) -> list[str]:
    """The visit's candidate list L (SPEC §9.4), as the implementation sees it."""
    previous: dict[str, tuple[date, set[str]]] = {}
    for h in HISTORY:
        if h.object_id == obj.id and (obj.id not in previous or h.date > previous[obj.id][0]):
            previous[obj.id] = (h.date, set(h.officers))
        elif h.object_id == obj.id and h.date == previous[obj.id][0]:
            previous[obj.id][1].update(h.officers)
    barred = pair_conflicts(
        PLAN,
        [c for c in CONFLICTS if c.object_id == obj.id],
        previous.get(obj.id, (date.min, set()))[1],
    )
    return [
        i.cert_no
        for i in sorted(INSPECTORS, key=lambda i: i.cert_no)
        if base_eligible(i, PLAN, obj.district) is None and i.cert_no not in barred
    ]


def _visit_json(visit: Any, by_id: dict[str, ObjectRecord], seed: bytes) -> dict[str, Any]:
    candidates = _candidates(by_id[visit.object_id])
    order = OfficerOrder(seed, visit.object_id, len(candidates))
    return {
        "visit": visit.number,
        "id": visit.object_id,
        "ticket": ticket_hex(visit.ticket),
        "items": list(visit.items),
        "departments": list(visit.departments),
        "candidates": candidates,
        "order": [candidates[order.at(t) or 0] for t in range(len(candidates))],
        "team": [
            {
                "slot": m.slot,
                "role": m.role,
                "officer": m.officer,
                "department": m.department,
                "position": m.position,
            }
            for m in visit.team
        ],
    }


def _selected_json(rows: Any) -> list[dict[str, Any]]:
    return [
        {
            "stratum": r.stratum,
            "item": r.item,
            "rank": r.rank,
            "id": r.object_id,
            "ticket": r.ticket_hex,
        }
        for r in sorted(rows, key=lambda r: (r.stratum, r.item, r.rank))
    ]


def compute() -> dict[str, Any]:
    """Every vector value, from the implementation."""
    prep = prepare(_inputs())
    seed = derive_seed(prep.digests, ENTROPY, SECRET)
    result = draw(prep, seed)
    sub = substitute(prep, seed, result, REMOVED)
    by_id = {o.id: o for o in OBJECTS}
    return {
        "algorithm": "DR-1",
        "about": (
            "Known-answer vectors for docs/SPEC.md. Inputs are the canonical snapshots "
            "below plus entropy and secret (hex); everything else is expected output."
        ),
        "entropy": ENTROPY,
        "secret": SECRET.hex(),
        "snapshots": {
            "plan": prep.plan_bytes.decode(),
            "objects_public": prep.objects.public_bytes.decode(),
            "objects_internal": prep.objects.internal_bytes.decode(),
            "inspectors": prep.inspectors.data.decode(),
            "conflicts": prep.conflicts.data.decode(),
            "history": prep.history.data.decode(),
        },
        "digests": {
            "plan": prep.digests.plan,
            "objects_public": prep.objects.public_digest,
            "objects_internal": prep.objects.internal_digest,
            "objects": prep.digests.objects,
            "inspectors": prep.digests.inspectors,
            "conflicts": prep.digests.conflicts,
            "history": prep.digests.history,
        },
        "commitment": secret_commitment(SECRET),
        "seed": seed.hex(),
        "tickets": {o.id: ticket_hex(target_ticket(seed, o.id)) for o in OBJECTS},
        "pools": [
            {"item": item, "stratum": stratum, "ids": list(ids)}
            for (item, stratum), ids in sorted(prep.pools.items())
        ],
        "quotas": [
            {
                "item": q.item,
                "stratum": q.stratum,
                "pool_size": q.pool_size,
                "ratio": f"{q.ratio.numerator}/{q.ratio.denominator}",
                "min": q.min_count,
                "max": q.max_count,
                "k": q.k,
                "shortfall": q.shortfall,
                "reserve": q.reserve,
            }
            for q in prep.quotas
        ],
        "selected": _selected_json(result.selected),
        "reserve": _selected_json(result.reserve),
        "exclusions": [
            {"stratum": e.stratum, "item": e.item, "id": e.object_id, "reasons": list(e.reasons)}
            for e in sorted(prep.exclusions, key=lambda e: (e.stratum, e.item, e.object_id))
        ],
        "outside": list(prep.outside),
        "visits": [_visit_json(v, by_id, seed) for v in result.visits],
        "files": {name: data.decode() for name, data in result.files().items()},
        "result_digest": result.digest,
        "substitution": {
            "removed": list(REMOVED),
            "replacements": [
                {"stratum": r.stratum, "item": r.item, "removed": r.removed, "by": r.replacement}
                for r in sub.replacements
            ],
            "visits": [_visit_json(v, by_id, seed) for v in sub.visits],
        },
    }


@pytest.fixture(scope="module")
def golden() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(VECTORS.read_text(encoding="utf-8"))
    return data


def test_implementation_reproduces_every_vector(golden: dict[str, Any]) -> None:
    assert compute() == golden


def test_vector_snapshots_parse_back_to_the_inputs(golden: dict[str, Any]) -> None:
    snap = {k: v.encode() for k, v in golden["snapshots"].items()}
    assert set(parse_objects(snap["objects_public"], snap["objects_internal"])) == set(OBJECTS)
    assert set(parse_inspectors(snap["inspectors"])) == set(INSPECTORS)
    assert set(parse_conflicts(snap["conflicts"])) == set(CONFLICTS)
    assert sorted(parse_history(snap["history"]), key=repr) == sorted(HISTORY, key=repr)
    # The canonical plan lists strata by name; their order carries no meaning.
    by_name = replace(PLAN, strata=tuple(sorted(PLAN.strata, key=lambda s: s.name)))
    assert parse_plan(snap["plan"]) == (by_name, ITEMS)


# -- the independent reference --------------------------------------------------


def test_reference_snapshots_and_digests(golden: dict[str, Any]) -> None:
    snap, digests = golden["snapshots"], golden["digests"]
    assert reference.objects_public(OBJECTS).decode() == snap["objects_public"]
    assert reference.objects_internal(OBJECTS).decode() == snap["objects_internal"]
    assert reference.inspectors_table(INSPECTORS).decode() == snap["inspectors"]
    assert reference.conflicts_table(CONFLICTS).decode() == snap["conflicts"]
    assert reference.history_table(HISTORY).decode() == snap["history"]
    for name in ("plan", "objects_public", "objects_internal", "inspectors", "conflicts"):
        assert hashlib.sha256(snap[name].encode()).hexdigest() == digests[name], name
    assert hashlib.sha256(snap["history"].encode()).hexdigest() == digests["history"]
    assert digests["objects"] == reference.object_digest(
        digests["objects_public"], digests["objects_internal"]
    )
    plan_text = snap["plan"]
    again = json.dumps(
        json.loads(plan_text), ensure_ascii=False, sort_keys=True, separators=(",", ":")
    )
    assert again == plan_text


def test_reference_seed_and_commitment(golden: dict[str, Any]) -> None:
    d = golden["digests"]
    secret = bytes.fromhex(golden["secret"])
    seed = reference.seed(
        d["plan"],
        d["objects"],
        d["inspectors"],
        d["conflicts"],
        d["history"],
        golden["entropy"],
        secret,
    )
    assert seed.hex() == golden["seed"]
    assert reference.commitment(secret) == golden["commitment"]


def test_reference_tickets(golden: dict[str, Any]) -> None:
    seed = bytes.fromhex(golden["seed"])
    for object_id, hex_ticket in golden["tickets"].items():
        assert f"{reference.ticket(seed, object_id):016x}" == hex_ticket, object_id


def _reference_pools(
    plan_text: str,
) -> tuple[dict[tuple[str, str], list[str]], list[list[Any]], list[str]]:
    """Pools, exclusions and outside objects per SPEC §7, for the vector plan
    (whose filters use only type, industry prefix and risk class)."""

    def matches(o: ObjectRecord, clauses: dict[str, list[str]]) -> bool:
        for key, values in clauses.items():
            value = {"type": o.type, "risk_class": o.risk_class}.get(key)
            if key == "industry":
                if not any(o.industry.startswith(v) for v in values):
                    return False
            elif str(value) not in values:
                return False
        return True

    doc = json.loads(plan_text)
    plan, items = doc["plan"], {i["code"]: i for i in doc["items"]}
    start = date.fromisoformat(plan["window"]["start"])
    months = plan["exclusions"]["lookback_months"]
    y, m = divmod(start.year * 12 + start.month - 1 - months, 12)
    cutoff = date(y, m + 1, min(start.day, calendar.monthrange(y, m + 1)[1]))
    events: dict[str, list[tuple[str | None, date]]] = {}
    for h in HISTORY:
        events.setdefault(h.object_id, []).append((h.item_code, h.date))
    for o in OBJECTS:
        if o.last_inspected:
            events.setdefault(o.id, []).append((None, o.last_inspected))
    pools: dict[tuple[str, str], list[str]] = {
        (code, s["name"]): [] for code in items for s in plan["strata"]
    }
    excluded: list[list[Any]] = []
    outside: list[str] = []
    for o in sorted(OBJECTS, key=lambda o: o.id.encode()):
        if not matches(o, plan["scope"]):
            continue
        strata = [s["name"] for s in plan["strata"] if matches(o, s["where"])]
        if not strata:
            outside.append(o.id)
            continue
        for code, item in sorted(items.items()):
            if not matches(o, item["scope"]):
                continue
            ev = events.get(o.id, [])
            year = [c for c, d in ev if d.year == plan["year"]]
            reasons = []
            if str(o.status) in plan["exclusions"]["statuses"]:
                reasons.append("status")
            if any(d >= cutoff for c, d in ev if c in (None, code)):
                reasons.append("lookback")
            if len(year) >= plan["exclusions"]["annual_cap"]:
                reasons.append("annual_cap")
            cap = item["max_per_year"]
            if cap is not None and sum(c in (None, code) for c in year) >= cap:
                reasons.append("item_cap")
            if reasons:
                excluded.append([strata[0], code, o.id, reasons])
            else:
                pools[(code, strata[0])].append(o.id)
    return pools, excluded, outside


def test_reference_pools_and_exclusions(golden: dict[str, Any]) -> None:
    pools, excluded, outside = _reference_pools(golden["snapshots"]["plan"])
    assert {(p["item"], p["stratum"]): p["ids"] for p in golden["pools"]} == pools
    assert [[e["stratum"], e["item"], e["id"], e["reasons"]] for e in golden["exclusions"]] == (
        sorted(excluded, key=lambda e: (e[0], e[1], e[2]))
    )
    assert golden["outside"] == outside


def test_reference_quotas_selection_and_reserve(golden: dict[str, Any]) -> None:
    seed = bytes.fromhex(golden["seed"])
    doc = json.loads(golden["snapshots"]["plan"])
    strata = {s["name"]: s for s in doc["plan"]["strata"]}
    items = {i["code"]: i for i in doc["items"]}
    selected, reserve = [], []
    for pool in golden["pools"]:
        stratum = strata[pool["stratum"]]
        ratio = parse_fraction(stratum["ratio"] or items[pool["item"]]["ratio"])
        n = len(pool["ids"])
        k, shortfall, extra = reference.quota(ratio, n, stratum["min"], stratum["max"])
        quota = next(
            q
            for q in golden["quotas"]
            if (q["item"], q["stratum"]) == (pool["item"], pool["stratum"])
        )
        assert (quota["pool_size"], quota["k"], quota["shortfall"], quota["reserve"]) == (
            n,
            k,
            shortfall,
            extra,
        )
        for rank, object_id in enumerate(reference.bottom(seed, pool["ids"], k + extra), 1):
            row = {
                "stratum": pool["stratum"],
                "item": pool["item"],
                "rank": rank,
                "id": object_id,
                "ticket": f"{reference.ticket(seed, object_id):016x}",
            }
            (selected if rank <= k else reserve).append(row)

    def key(r: dict[str, Any]) -> tuple[str, str, int]:
        return (r["stratum"], r["item"], r["rank"])

    assert sorted(selected, key=key) == golden["selected"]
    assert sorted(reserve, key=key) == golden["reserve"]


def test_reference_visits_orders_and_teams(golden: dict[str, Any]) -> None:
    seed = bytes.fromhex(golden["seed"])
    by_id = {o.id: o for o in OBJECTS}
    tickets = {r["id"]: r["ticket"] for r in golden["selected"]}
    items_of: dict[str, set[str]] = {}
    for r in golden["selected"]:
        items_of.setdefault(r["id"], set()).add(r["item"])
    order = sorted(items_of, key=lambda i: (tickets[i], i.encode()))
    assert [v["id"] for v in golden["visits"]] == order
    inspectors = sorted(INSPECTORS, key=lambda i: i.cert_no.encode())
    previous: dict[str, frozenset[str]] = {}
    for object_id in order:
        records: list[HistoryRecord] = [h for h in HISTORY if h.object_id == object_id]
        latest = max((h.date for h in records), default=None)
        previous[object_id] = frozenset(o for h in records if h.date == latest for o in h.officers)
    for v in golden["visits"]:
        obj = by_id[v["id"]]
        conflicts = [c for c in CONFLICTS if c.object_id == obj.id]
        candidates = [
            i.cert_no
            for i in inspectors
            if _visit_eligible(i, obj, PLAN, conflicts, previous[obj.id])
        ]
        assert v["candidates"] == candidates
        positions = reference.officer_order(seed, obj.id, len(candidates), len(candidates))
        assert v["order"] == [candidates[p] for p in positions]
        assert v["items"] == sorted(items_of[obj.id])
    visits = [VisitPlan(by_id[i], tuple(sorted(items_of[i]))) for i in order]
    expected = _brute(PLAN, ITEMS, visits, inspectors, list(CONFLICTS), previous, seed)
    assert expected is not None
    officers, positions = expected
    got = [(m["officer"], m["position"]) for v in golden["visits"] for m in v["team"]]
    assert got == list(zip(officers, positions, strict=True))


def test_reference_result_digest(golden: dict[str, Any]) -> None:
    names = (
        "quotas.tsv",
        "result.tsv",
        "reserve.tsv",
        "teams.tsv",
        "exclusions.tsv",
        "outside.tsv",
    )
    message = b"DR-1/result\x00"
    for name in names:
        data = golden["files"][name].encode()
        message += reference.u32(len(name)) + name.encode() + reference.u32(len(data)) + data
    assert hashlib.sha256(message).hexdigest() == golden["result_digest"]


def main() -> None:
    if "--write" not in sys.argv:
        raise SystemExit("usage: python -m tests.core.test_dr1_vectors --write")
    VECTORS.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(compute(), ensure_ascii=False, indent=1) + "\n"
    VECTORS.write_text(text, encoding="utf-8")
    print(f"wrote {VECTORS}")


if __name__ == "__main__":
    main()
