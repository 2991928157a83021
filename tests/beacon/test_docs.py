"""docs/BEACON.md is checked against the code: the pinned parameters and the public API."""

from __future__ import annotations

import dualrandom.beacon as beacon
from dualrandom.beacon import DEMO_CHAIN, DEMO_LABEL, QUICKNET
from dualrandom.beacon.demo import _DEMO_GENESIS
from tests.conftest import REPO

DOC = (REPO / "docs" / "BEACON.md").read_text(encoding="utf-8")


def test_the_pinned_parameters_are_the_codes() -> None:
    for value in (
        QUICKNET.chain_hash,
        QUICKNET.public_key.hex(),
        QUICKNET.genesis_seed.hex(),
        str(QUICKNET.genesis_time),
        QUICKNET.scheme,
        DEMO_CHAIN.chain_hash,
        DEMO_LABEL,
        str(_DEMO_GENESIS),
        "BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_",
    ):
        assert value in DOC, value


def test_every_public_name_is_documented() -> None:
    api = DOC.split("## 11. API", 1)[1]
    for name in beacon.__all__:
        assert name in api, name


def test_every_fault_is_documented() -> None:
    for fault in ("wrong-chain", "malformed", "randomness-mismatch", "wrong-round"):
        assert f"| `{fault}` |" in DOC
    for fault in beacon.Fault:
        assert f"`{fault}`" in DOC, fault
