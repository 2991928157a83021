"""DR-2 bundles for the verifier tests, built from the pure core alone.

``make_draw`` prepares a DR-2 draw (``core.prepare``), writes a commitment
(the members SPEC §17 makes normative, with a beacon pin of the demo chain
unless told otherwise), signs the pinned round with the demo chain's public
key (``sign_demo_round``), derives the seed (``derive_seed_dr2``) and draws
(``core.draw``). Tampering helpers rewrite one file and the manifest, as a
forger who knows the layout would.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dualrandom.beacon import DEMO_CHAIN, QUICKNET, Chain, round_time, sign_demo_round
from dualrandom.core import DrawInputs, derive_seed_dr2, draw, prepare, substitute
from dualrandom.core.encoding import canonical_json
from dualrandom.core.model import Plan
from dualrandom.core.seed import DICE_FORMAT
from dualrandom.draws.addendum import SubstitutionRound
from dualrandom.draws.bundle_dr2 import MANIFEST, Dr2Draw, bundle_files, manifest
from tests.core.vector_inputs import CONFLICTS, DICE, HISTORY, INSPECTORS, ITEMS, OBJECTS, SALT_KEY

ROUND = 300_000_000  # a demo round; any round can be signed


def chain_json(chain: Chain) -> dict[str, Any]:
    """A chain as a DR-2 commitment pins it (SPEC §17)."""
    return {
        "demo": chain.is_demo,
        "genesis": chain.genesis.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "hash": chain.chain_hash,
        "label": chain.label,
        "period": chain.period,
        "public_key": chain.public_key.hex(),
        "scheme": chain.scheme,
    }


def commitment_bytes(prep: Any, chain: dict[str, Any], number: int, dice_expected: bool) -> bytes:
    plan = prep.inputs.plan
    document = {
        "algorithm": "DR-2",
        "attempt": 1,
        "beacon": {
            "chain": chain,
            "round": number,
            "round_time": round_time(DEMO_CHAIN, number).strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
        "ceremony_at": datetime(2026, 12, 20, 9, 30, tzinfo=UTC).isoformat(),
        "dice": {"expected": dice_expected, "format": DICE_FORMAT},
        "digests": prep.committed.as_json(),
        "plan": {"id": plan.id, "items": list(plan.items)},
        "prepared_at": datetime(2026, 12, 19, 9, 0, tzinfo=UTC).isoformat(),
        "risk_commitment": prep.risk.as_json(),
        "software": "dual-random tests",
        "supersedes": None,
    }
    return canonical_json(document).encode("utf-8") + b"\n"


def make_draw(
    plan: Plan,
    inputs: DrawInputs | None = None,
    *,
    chain: dict[str, Any] | None = None,
    dice: str = DICE,
    number: int = ROUND,
    removals: tuple[tuple[int, ...], ...] = (),
) -> Dr2Draw:
    """``removals``: per substitution round, the visit numbers found gone (SPEC §8.3),
    replaced as ``lifecycle.substitute_objects`` replaces them, round after round."""
    inputs = inputs or DrawInputs(plan, ITEMS, OBJECTS, INSPECTORS, CONFLICTS, HISTORY)
    prep = prepare(inputs, algorithm="DR-2", salt_key=SALT_KEY)
    commitment = commitment_bytes(prep, chain or chain_json(DEMO_CHAIN), number, bool(dice))
    beacon = sign_demo_round(number)
    seed = derive_seed_dr2(
        hashlib.sha256(commitment).hexdigest(), beacon.randomness, dice, bool(dice)
    )
    result = draw(prep, seed)
    rounds, gone, current = [], set[str](), result
    for n, visits in enumerate(removals):
        removed = {v.object_id for v in result.visits if v.number in visits}
        outcome = substitute(prep, seed, current, gone | removed)
        numbers = {v.object_id: v.number for v in outcome.visits}
        rounds.append(
            SubstitutionRound(
                at=f"2027-01-{10 + n:02d}T08:00:00Z",
                reason=("注销", "无法联系")[n % 2],
                actor="张三",  # a person's name: the auditor tier only
                replacements=tuple(
                    (r.stratum, r.item, r.removed, r.replacement, numbers.get(r.replacement or ""))
                    for r in outcome.replacements
                ),
            )
        )
        gone |= removed
        current = replace(
            current,
            selected=tuple(s for s in result.selected if s.object_id not in gone),
            visits=current.visits + outcome.visits,
        )
    return Dr2Draw(
        commitment=commitment,
        plan=prep.plan_bytes,
        objects_public=prep.objects.public_bytes,
        objects_internal=prep.objects.internal_bytes,
        inspectors=prep.inspectors.data,
        conflicts=prep.conflicts.data,
        history=prep.history.data,
        beacon_round=beacon.to_json(),
        dice=dice,
        salt_key=SALT_KEY,
        audit_files=result.files(),
        public_files=result.public_files(),
        substitutions=tuple(rounds),
    )


def write(folder: Path, files: dict[str, bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def write_bundle(folder: Path, draw_: Dr2Draw, tier: str) -> Path:
    return write(folder, bundle_files(draw_, tier))


def tampered(
    folder: Path, files: dict[str, bytes], name: str, change: Callable[[bytes], bytes]
) -> Path:
    """The bundle with ``name`` changed and the manifest redone to match."""
    changed = dict(files)
    changed[name] = change(files[name])
    changed[MANIFEST] = manifest(changed)
    return write(folder, changed)


QUICKNET_JSON = chain_json(QUICKNET)
