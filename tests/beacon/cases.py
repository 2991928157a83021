"""The beacon fixtures (tests/beacon/fixtures/*.json), read once for every test module."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from dualrandom.beacon import DEMO_CHAIN, QUICKNET, Chain, Pin

FIXTURES = Path(__file__).parent / "fixtures"
CHAINS = {"quicknet": QUICKNET, "demo": DEMO_CHAIN}


@dataclass(frozen=True)
class RoundCase:
    name: str
    pin: Pin
    raw: bytes
    expect: str  # "ok", "ok-demo", or the Fault word of the refusal
    origin: str  # where it came from (source) or how it was forged (how)

    @property
    def accepted(self) -> bool:
        return self.expect in ("ok", "ok-demo")


@cache
def round_cases() -> tuple[RoundCase, ...]:
    document = json.loads((FIXTURES / "rounds.json").read_text(encoding="utf-8"))
    return tuple(
        RoundCase(
            name=entry["name"],
            pin=Pin(CHAINS[entry["pin"]["chain"]], entry["pin"]["round"]),
            raw=entry["raw"].encode("utf-8"),
            expect=entry["expect"],
            origin=entry.get("source") or entry["how"],
        )
        for entry in document["rounds"]
    )


def case(name: str) -> RoundCase:
    return next(c for c in round_cases() if c.name == name)


def real_cases() -> list[RoundCase]:
    """The genuine quicknet rounds."""
    return [c for c in round_cases() if c.expect == "ok"]


@cache
def chain_infos() -> dict[str, dict[str, Any]]:
    """drand's chain info documents by name, with the source each was copied from."""
    document = json.loads((FIXTURES / "chains.json").read_text(encoding="utf-8"))
    return {entry["name"]: entry for entry in document["chains"]}


def chain_from_info(info: dict[str, Any], **changes: Any) -> Chain:
    """A Chain from a drand info document (v1 JSON field names)."""
    values: dict[str, Any] = {
        "chain_hash": info["hash"],
        "public_key": bytes.fromhex(info["public_key"]),
        "genesis_time": info["genesis_time"],
        "period": info["period"],
        "scheme": info["schemeID"],
        "genesis_seed": bytes.fromhex(info["groupHash"]),
        "beacon_id": info["metadata"]["beaconID"],
        "label": info["metadata"]["beaconID"],
    }
    values.update(changes)
    return Chain(**values)
