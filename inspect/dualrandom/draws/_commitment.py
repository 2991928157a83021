"""The commitment: everything fixed and published before the randomness exists."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dualrandom import __version__
from dualrandom.beacon import DEMO_CHAIN, KNOWN_CHAINS, QUICKNET, Chain, Fault, Pin, chain_json
from dualrandom.config import BeaconSettings
from dualrandom.core import ALGORITHM, DR2, Preparation
from dualrandom.core.encoding import canonical_json
from dualrandom.core.model import Plan
from dualrandom.core.plan_json import fraction_text, plan_to_json
from dualrandom.core.seed import DICE_FORMAT
from dualrandom.errors import BeaconError
from dualrandom.tables import DrawRow

__all__ = [
    "ENTROPY_DESCRIPTIONS",
    "beacon_chain",
    "beacon_pin",
    "build_commitment",
    "build_commitment_dr2",
    "chain_json",
    "commitment_bytes",
    "write_commitment_notice",
]

ENTROPY_DESCRIPTIONS = {
    "dice": "见证人在抽取现场掷骰所得数字 (digits rolled by witnesses at the draw ceremony)",
    "beacon": "抽取时刻之后公布的公共随机信标值 (a public beacon value published after the commitment)",
    "typed": "抽取时由操作员当众输入的数值 (a value typed in public at the draw)",
    "declared": (
        "定时无人值守抽取：准备时即公布的公开值，随机性仅来自已承诺的操作员密钥 "
        "(an unattended scheduled draw: a public value declared at prepare time; "
        "the randomness comes from the committed operator secret alone)"
    ),
}


# The plan fields a commitment repeats (docs/BUNDLE.md), taken from the plan's
# JSON; published commitments name the kind "type" and give the window as
# [start, end], and both verifiers check exactly that.
_SUMMARY = ("id", "title", "year", "batch", "department", "co_departments", "items")


def _plan_summary(plan: Plan) -> dict[str, Any]:
    value = plan_to_json(plan)
    window = value["window"]
    return {key: value[key] for key in _SUMMARY} | {
        "type": value["kind"],
        "window": [window["start"], window["end"]],
    }


def build_commitment(
    prep: Preparation,
    *,
    attempt: int,
    versions: dict[str, int],
    secret_hash: str,
    entropy_source: str,
    prepared_at: datetime,
    supersedes: dict[str, Any] | None,
) -> dict[str, Any]:
    plan = prep.inputs.plan
    public = {s.name: s.public and "risk_class" not in plan.scope.fields() for s in plan.strata}
    return {
        "algorithm": ALGORITHM,
        "software": f"dual-random {__version__}",
        "plan": _plan_summary(plan),
        "attempt": attempt,
        "supersedes": supersedes,
        "registry_versions": versions,
        "digests": {
            "plan": prep.digests.plan,
            "objects": prep.digests.objects,
            "objects_public": prep.objects.public_digest,
            "objects_internal": prep.objects.internal_digest,
            "inspectors": prep.digests.inspectors,
            "conflicts": prep.digests.conflicts,
            "history": prep.digests.history,
        },
        "quotas": _quotas(prep, public),
        "exclusions": dict(sorted(Counter(r for e in prep.exclusions for r in e.reasons).items())),
        "outside_strata": len(prep.outside),
        "secret_commitment": secret_hash,
        "entropy": {"source": entropy_source, "description": ENTROPY_DESCRIPTIONS[entropy_source]},
        "prepared_at": prepared_at.isoformat(timespec="seconds"),
    }


def _quotas(prep: Preparation, public: dict[str, bool]) -> list[dict[str, Any]]:
    return [
        {
            "item": q.item,
            "stratum": q.stratum,
            "publicly_verifiable": public[q.stratum],
            "pool_size": q.pool_size,
            "ratio": fraction_text(q.ratio),
            "min": q.min_count,
            "max": q.max_count,
            "k": q.k,
            "shortfall": q.shortfall,
            "reserve": q.reserve,
        }
        for q in prep.quotas
    ]


def commitment_bytes(commitment: dict[str, Any]) -> tuple[bytes, str]:
    """Canonical JSON bytes of the commitment and their SHA-256."""
    data = canonical_json(commitment).encode("utf-8") + b"\n"
    return data, hashlib.sha256(data).hexdigest()


def write_commitment_notice(var_dir: Path, draw: DrawRow) -> Path:
    """Write a prepared draw's commitment where it waits to be published,
    ``<var>/draws/<plan>.<attempt>/commitment.json`` (docs/FORMATS.md), and
    return that path. The file is replaced whole, never left half written."""
    notice = var_dir / "draws" / f"{draw.plan_id}.{draw.attempt}" / "commitment.json"
    notice.parent.mkdir(parents=True, exist_ok=True)
    partial = notice.with_suffix(".tmp")
    partial.write_text(draw.commitment, encoding="utf-8")
    partial.replace(notice)
    return notice


def beacon_chain(settings: BeaconSettings) -> Chain:
    """The chain ``[beacon] chain`` names: the League's quicknet, or the demo chain."""
    return DEMO_CHAIN if settings.chain == "demo" else QUICKNET


def beacon_pin(commitment: dict[str, Any]) -> Pin:
    """The chain and round a DR-2 commitment pinned (``beacon.chain``, ``beacon.round``).

    Only a chain dual-random knows is read back, and only with exactly the
    parameters it was pinned with: a commitment edited to name another chain
    (one whose key its maker holds) is refused as ``wrong-chain``."""
    beacon = commitment["beacon"]
    pinned = beacon["chain"]
    name = pinned.get("hash") if isinstance(pinned, dict) else None
    known = KNOWN_CHAINS.get(name) if isinstance(name, str) else None
    if known is None or chain_json(known) != pinned:
        raise BeaconError(
            Fault.WRONG_CHAIN,
            f"承诺锁定的信标链 {name} 不是本系统认可的链（参数须与 {QUICKNET.label} 或演示链完全一致）",
            f"the pinned beacon chain {name} is not a chain dual-random knows, with exactly "
            f"its parameters ({QUICKNET.label} or the demo chain)",
        )
    return Pin(known, beacon["round"])


def build_commitment_dr2(
    prep: Preparation,
    *,
    attempt: int,
    versions: dict[str, int],
    pin: Pin,
    dice_expected: bool,
    prepared_at: datetime,
    ceremony_at: datetime,
    supersedes: dict[str, Any] | None,
) -> dict[str, Any]:
    """The DR-2 ``commitment.json`` (SPEC §17): no secret, a pinned beacon round."""
    if prep.committed is None or prep.risk is None:
        raise ValueError("a DR-2 commitment needs a DR-2 preparation")
    plan = prep.inputs.plan
    public = {s.name: s.public and "risk_class" not in plan.scope.fields() for s in plan.strata}
    return {
        "algorithm": DR2,
        "software": f"dual-random {__version__}",
        "plan": _plan_summary(plan),
        "attempt": attempt,
        "supersedes": supersedes,
        "registry_versions": versions,
        "digests": prep.committed.as_json(),
        "risk_commitment": prep.risk.as_json(),
        "beacon": {
            "chain": chain_json(pin.chain),
            "round": pin.round,
            "round_time": _utc(pin.time),
        },
        "dice": {"expected": dice_expected, "format": DICE_FORMAT},
        "quotas": _quotas(prep, public),
        "exclusions": dict(sorted(Counter(r for e in prep.exclusions for r in e.reasons).items())),
        "outside_strata": len(prep.outside),
        "entropy": {"source": "beacon", "description": _beacon_description(pin, dice_expected)},
        "prepared_at": _utc(prepared_at),
        "ceremony_at": _utc(ceremony_at),
    }


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _beacon_description(pin: Pin, dice: bool) -> str:
    when = _utc(pin.time)
    chinese, _, english = (part.strip() for part in pin.chain.label.partition("/"))
    text = (
        f"{chinese} 第 {pin.round} 轮（{when} 产生，承诺时尚不存在）"
        + ("，加见证人现场掷骰" if dice else "")
        + f" (round {pin.round} of {english or chinese}, produced at {when}, after the commitment"
        + (", and the witnesses' dice)" if dice else ")")
    )
    return text
