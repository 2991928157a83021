"""Golden test vectors of DR-2 (tests/core/vectors/dr2.json).

The DR-1 vector inputs (tests/core/vector_inputs.py) plus a fixed beacon
randomness, dice and salt key, drawn under two plans: the DR-1 vector plan
(two risk strata) and PLAN_MIXED (a public stratum beside two risk strata
of one group). Checked two ways: the implementation must reproduce every
value, byte for byte; and an independent reference written from
docs/SPEC.md with plain hashlib (tests/core/reference_dr2.py, which imports
nothing from dualrandom.core) must reproduce the snapshots, digests, risk
root and proof, seed, tickets, selection, public files and result digest
from the file's own data.

Regenerate (only with a new version): ``PYTHONPATH=inspect .venv/bin/python
-m tests.core.test_dr2_vectors --write``.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from dualrandom.core import (
    DrawInputs,
    RiskTree,
    derive_seed_dr2,
    draw,
    parse_objects,
    prepare,
    public_check,
    risk_rows,
    target_ticket,
    ticket_hex,
)
from dualrandom.core.buckets import bucket_of
from dualrandom.core.model import Plan
from dualrandom.core.seed import DICE_FORMAT
from dualrandom.core.teams import VisitPlan
from tests.core import reference, reference_dr2
from tests.core.test_dr1_vectors import _reference_pools
from tests.core.vector_inputs import (
    BEACON_RANDOMNESS,
    CONFLICTS,
    DICE,
    HISTORY,
    INSPECTORS,
    ITEMS,
    OBJECTS,
    PLAN,
    PLAN_MIXED,
    SALT_KEY,
)

VECTORS = Path(__file__).parent / "vectors" / "dr2.json"
PROOF_OF = "盘锦-摊位-007"  # the object whose risk-class opening the vectors show


def _commitment(prep: Any) -> dict[str, Any]:
    """An example commitment document with the fields SPEC §17 makes normative;
    the seed depends on its bytes only through their SHA-256."""
    plan = prep.inputs.plan
    return {
        "algorithm": "DR-2",
        "attempt": 1,
        "beacon": {
            "chain": {
                "demo": True,
                "genesis": "2026-01-01T00:00:00Z",
                "hash": "00" * 32,
                "label": "dual-random test vectors (not a real chain)",
                "period": 3,
                "public_key": "00" * 48,
                "scheme": "bls-unchained-g1-rfc9380",
            },
            "round": 4_000_000,
            "round_time": "2026-05-27T13:19:57Z",
        },
        "ceremony_at": "2026-05-27T21:15:00+08:00",
        "dice": {"expected": True, "format": DICE_FORMAT},
        "digests": prep.committed.as_json(),
        "plan": {"id": plan.id, "items": list(plan.items)},
        "prepared_at": "2026-05-20T09:00:00+08:00",
        "risk_commitment": prep.risk.as_json(),
        "software": "dual-random test vectors",
        "supersedes": None,
    }


def _canonical(document: dict[str, Any]) -> bytes:
    text = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text.encode("utf-8") + b"\n"


def _draw(plan: Plan) -> dict[str, Any]:
    inputs = DrawInputs(plan, ITEMS, OBJECTS, INSPECTORS, CONFLICTS, HISTORY)
    prep = prepare(inputs, algorithm="DR-2", salt_key=SALT_KEY)
    commitment = _canonical(_commitment(prep))
    commitment_hash = hashlib.sha256(commitment).hexdigest()
    seed = derive_seed_dr2(commitment_hash, BEACON_RANDOMNESS, DICE, True)
    result = draw(prep, seed)
    assert result.public is not None
    check = public_check(
        prep.plan_bytes,
        prep.objects.public_bytes,
        result.public_files(),
        seed,
        committed=prep.committed,
        quotas=prep.quotas,
    )
    return {
        "plan": prep.plan_bytes.decode(),
        "digests": {
            k: v
            for k, v in prep.committed.as_json().items()  # type: ignore[union-attr]
            if k in ("plan", "quotas", "exclusions", "outside", "exclusions_public")
        },
        "commitment": commitment.decode(),
        "commitment_hash": commitment_hash,
        "seed": seed.hex(),
        "tickets": {o.id: ticket_hex(target_ticket(seed, o.id)) for o in OBJECTS},
        "files": {name: data.decode() for name, data in result.files().items()},
        "internal_digest": _internal(result),
        "public_files": {name: data.decode() for name, data in result.public_files().items()},
        "public_digest": result.public.digest,
        "result_digest": result.digest,
        "public_check": {
            "pools": check.counts(),
            "selected": check.selected,
            "decided": check.decided,
            "findings": len(check.findings),
        },
    }


def _internal(result: Any) -> str:
    from dualrandom.core import internal_digest

    return internal_digest(result.files())


def compute() -> dict[str, Any]:
    """Every vector value, from the implementation."""
    prep = prepare(
        DrawInputs(PLAN, ITEMS, OBJECTS, INSPECTORS, CONFLICTS, HISTORY),
        algorithm="DR-2",
        salt_key=SALT_KEY,
    )
    tree = RiskTree(SALT_KEY, risk_rows(OBJECTS))
    committed = prep.committed
    assert committed is not None and prep.risk is not None
    return {
        "algorithm": "DR-2",
        "about": (
            "Known-answer vectors for docs/SPEC.md Part II (DR-2). Inputs: the canonical "
            "snapshots, beacon randomness, dice and salt key (hex); each draw's plan document "
            "and example commitment. Everything else is expected output."
        ),
        "beacon_randomness": BEACON_RANDOMNESS.hex(),
        "dice": DICE,
        "salt_key": SALT_KEY.hex(),
        "snapshots": {
            "objects_public": prep.objects.public_bytes.decode(),
            "objects_internal": prep.objects.internal_bytes.decode(),
            "inspectors": prep.inspectors.data.decode(),
            "conflicts": prep.conflicts.data.decode(),
            "history": prep.history.data.decode(),
        },
        "buckets": {o.id: bucket_of(o.id.encode()) for o in sorted(OBJECTS, key=lambda o: o.id)},
        "digests": {
            "objects_public": committed.objects_public,
            "objects_internal": committed.objects_internal,
            "objects": committed.objects,
            "inspectors": committed.inspectors,
            "conflicts": committed.conflicts,
            "history": committed.history,
        },
        "risk": {
            **prep.risk.as_json(),
            "proof": tree.proof(PROOF_OF).as_json(),
        },
        "draws": [_draw(PLAN), _draw(PLAN_MIXED)],
    }


@pytest.fixture(scope="module")
def golden() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(VECTORS.read_text(encoding="utf-8"))
    return data


def test_implementation_reproduces_every_vector(golden: dict[str, Any]) -> None:
    assert compute() == golden


def test_the_honest_vector_draws_pass_the_public_check(golden: dict[str, Any]) -> None:
    for d in golden["draws"]:
        assert d["public_check"]["findings"] == 0
    assert golden["draws"][0]["public_check"]["pools"] == {"full": 0, "bounds": 6, "auditor": 0}
    assert golden["draws"][1]["public_check"]["pools"]["full"] == 3


def test_vector_snapshots_parse_back_to_the_inputs(golden: dict[str, Any]) -> None:
    snap = golden["snapshots"]
    records = parse_objects(
        snap["objects_public"].encode(), snap["objects_internal"].encode(), "DR-2"
    )
    assert set(records) == set(OBJECTS)


# -- the independent reference --------------------------------------------------


def test_reference_snapshots_and_digests(golden: dict[str, Any]) -> None:
    snap, digests = golden["snapshots"], golden["digests"]
    assert reference_dr2.objects_public(OBJECTS).decode() == snap["objects_public"]
    assert reference_dr2.objects_internal(OBJECTS).decode() == snap["objects_internal"]
    assert reference.inspectors_table(INSPECTORS).decode() == snap["inspectors"]
    assert reference.conflicts_table(CONFLICTS).decode() == snap["conflicts"]
    assert reference.history_table(HISTORY).decode() == snap["history"]
    tables = {
        "objects_public": "objects-public",
        "objects_internal": "objects-internal",
        "inspectors": "inspectors",
        "conflicts": "conflicts",
        "history": "history",
    }
    for key, table in tables.items():
        assert reference_dr2.snapshot_digest(table, snap[key].encode()) == digests[key], key
    assert digests["objects"] == reference_dr2.object_digest(
        digests["objects_public"], digests["objects_internal"]
    )
    for object_id, bucket in golden["buckets"].items():
        assert reference_dr2.bucket(object_id.encode()) == bucket


def test_reference_risk_root_and_proof(golden: dict[str, Any]) -> None:
    key = bytes.fromhex(golden["salt_key"])
    rows = reference_dr2.risk_rows(golden["snapshots"]["objects_internal"])
    assert reference_dr2.risk_root(key, rows) == golden["risk"]["root"]
    assert len(rows) == golden["risk"]["leaves"]
    proof = golden["risk"]["proof"]
    assert proof["id"] == PROOF_OF
    assert reference_dr2.verify_risk_proof(proof, golden["risk"]["root"], golden["risk"]["leaves"])
    bent = {**proof, "risk_class": "A" if proof["risk_class"] != "A" else "B"}
    assert not reference_dr2.verify_risk_proof(
        bent, golden["risk"]["root"], golden["risk"]["leaves"]
    )


@pytest.mark.parametrize("index", [0, 1])
def test_reference_draw(golden: dict[str, Any], index: int) -> None:
    d = golden["draws"][index]
    doc = json.loads(d["plan"])
    assert doc["algorithm"] == "DR-2"
    assert hashlib.sha256(d["plan"].encode()).hexdigest() == d["digests"]["plan"]
    commitment = json.loads(d["commitment"])
    assert hashlib.sha256(d["commitment"].encode()).hexdigest() == d["commitment_hash"]
    assert commitment["digests"]["plan"] == d["digests"]["plan"]
    assert commitment["digests"]["objects"] == golden["digests"]["objects"]
    assert commitment["risk_commitment"]["root"] == golden["risk"]["root"]
    seed = reference_dr2.seed(
        d["commitment_hash"], bytes.fromhex(golden["beacon_randomness"]), golden["dice"]
    )
    assert seed.hex() == d["seed"]
    for object_id, hex_ticket in d["tickets"].items():
        assert f"{reference.ticket(seed, object_id):016x}" == hex_ticket
    files = {name: text.encode() for name, text in d["files"].items()}
    for name in ("quotas", "exclusions", "outside"):
        digest = reference_dr2.snapshot_digest(name, files[f"{name}.tsv"])
        assert digest == d["digests"][name] == commitment["digests"][name]
    # The audit files' pools, exclusions and selection, from the DR-1 reference.
    pools, _, outside = _reference_pools(d["plan"])
    assert d["files"]["outside.tsv"] == "id\n" + "".join(f"{i}\n" for i in outside)
    for (item, stratum), ids in pools.items():
        rows = [r for r in _rows(d["files"]["result.tsv"]) if r[:2] == [stratum, item]]
        assert [r[3] for r in rows] == reference.bottom(seed, ids, len(rows))
    public = reference_dr2.public_files(
        d["plan"], golden["snapshots"]["objects_public"], d["files"]
    )
    assert public == d["public_files"]
    assert (
        reference_dr2.snapshot_digest("exclusions-public", public["exclusions-public.tsv"].encode())
        == d["digests"]["exclusions_public"]
    )
    public_digest = reference_dr2.public_digest(public)
    internal = reference_dr2.internal_digest(d["files"])
    assert (public_digest, internal) == (d["public_digest"], d["internal_digest"])
    assert reference_dr2.result_digest(public_digest, internal) == d["result_digest"]


def _rows(text: str) -> list[list[str]]:
    return [line.split("\t") for line in text.split("\n")[1:-1]]


def main() -> None:
    if "--write" not in sys.argv:
        raise SystemExit("usage: python -m tests.core.test_dr2_vectors --write")
    text = json.dumps(compute(), ensure_ascii=False, indent=1) + "\n"
    VECTORS.write_text(text, encoding="utf-8")
    print(f"wrote {VECTORS}")


if __name__ == "__main__":
    main()


@pytest.mark.parametrize(("index", "plan"), [(0, PLAN), (1, PLAN_MIXED)])
def test_reference_teams(golden: dict[str, Any], index: int, plan: Plan) -> None:
    """teams.tsv by the brute-force definition of SPEC §9 (the DR-1 reference's)."""
    from tests.core.test_dr1_teams_bruteforce import _brute

    d = golden["draws"][index]
    seed = bytes.fromhex(d["seed"])
    by_id = {o.id: o for o in OBJECTS}
    items_of: dict[str, set[str]] = {}
    for r in _rows(d["files"]["result.tsv"]):
        items_of.setdefault(r[3], set()).add(r[1])
    order = sorted(items_of, key=lambda i: (d["tickets"][i], i.encode()))
    previous: dict[str, frozenset[str]] = {}
    for object_id in order:
        records = [h for h in HISTORY if h.object_id == object_id]
        latest = max((h.date for h in records), default=None)
        previous[object_id] = frozenset(o for h in records if h.date == latest for o in h.officers)
    visits = [VisitPlan(by_id[i], tuple(sorted(items_of[i]))) for i in order]
    inspectors = sorted(INSPECTORS, key=lambda i: i.cert_no.encode())
    expected = _brute(plan, ITEMS, visits, inspectors, list(CONFLICTS), previous, seed)
    assert expected is not None
    teams = _rows(d["files"]["teams.tsv"])
    assert [r[1] for r in teams if r[5] == "0"] == order
    assert [(r[7], int(r[9])) for r in teams] == list(zip(*expected, strict=True))
