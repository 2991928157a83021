"""Chain parameters: drand's chain hash reproduced, and invalid chains refused at construction."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from dualrandom.beacon import DEMO_CHAIN, QUICKNET, Chain, Fault, drand_chain_hash
from dualrandom.errors import BeaconError
from tests.beacon.cases import chain_from_info, chain_infos


@pytest.mark.parametrize("name", ["quicknet", "default", "walkthrough"])
def test_chain_hash_is_what_drand_states(name: str) -> None:
    """drand's own chain info documents: our derivation gives the hash drand publishes."""
    info = chain_infos()[name]["info"]
    derived = drand_chain_hash(
        period=info["period"],
        genesis_time=info["genesis_time"],
        public_key=bytes.fromhex(info["public_key"]),
        genesis_seed=bytes.fromhex(info["groupHash"]),
        beacon_id=info["metadata"]["beaconID"],
    )
    assert derived == info["hash"]


def test_beacon_id_default_is_left_out_of_the_hash() -> None:
    """drand hashes the beacon id except for the original 'default' chain (or none)."""
    info = chain_infos()["default"]["info"]
    common: dict[str, Any] = {
        "period": info["period"],
        "genesis_time": info["genesis_time"],
        "public_key": bytes.fromhex(info["public_key"]),
        "genesis_seed": bytes.fromhex(info["groupHash"]),
    }
    assert drand_chain_hash(**common, beacon_id="") == info["hash"]
    assert drand_chain_hash(**common, beacon_id="other") != info["hash"]


def test_quicknet_constant_matches_drands_chain_info() -> None:
    info = chain_infos()["quicknet"]["info"]
    assert chain_from_info(info) == QUICKNET
    assert QUICKNET.chain_hash == "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971"
    assert QUICKNET.public_key.hex() == info["public_key"]
    assert (QUICKNET.genesis_time, QUICKNET.period) == (1692803367, 3)
    assert QUICKNET.scheme == "bls-unchained-g1-rfc9380"
    assert QUICKNET.signature_length == 48
    assert not QUICKNET.is_demo
    assert QUICKNET.genesis.isoformat() == "2023-08-23T15:09:27+00:00"


def test_the_label_does_not_change_which_chain_it_is() -> None:
    assert replace(QUICKNET, label="quicknet") == QUICKNET


def _refused(**changes: Any) -> BeaconError:
    with pytest.raises(BeaconError) as caught:
        replace(QUICKNET, **changes)
    assert caught.value.fault == Fault.BAD_CHAIN
    return caught.value


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"chain_hash": "52DB" + QUICKNET.chain_hash[4:]}, "52DB"),
        ({"chain_hash": "00" * 32}, "does not follow"),
        ({"public_key": QUICKNET.public_key[:48]}, "48 bytes"),
        ({"genesis_time": QUICKNET.genesis_time + 1}, "does not follow"),
        ({"period": 30}, "does not follow"),
        ({"period": 0}, "period 0"),
        ({"period": True}, "wrong type"),
        ({"genesis_seed": b"\x00" * 31}, "length 31"),
        ({"beacon_id": "Quicknet"}, "'Quicknet'"),
        ({"label": "  "}, "label"),
        ({"scheme": "pedersen-bls-chained"}, "pedersen-bls-chained"),
        ({"is_demo": True}, "is_demo=True"),
        ({"public_key": QUICKNET.public_key.hex()}, "wrong type"),
    ],
)
def test_invalid_chains_are_refused_naming_the_value(changes: dict[str, Any], named: str) -> None:
    error = _refused(**changes)
    assert named in error.english
    assert error.message  # Chinese first, English beside it
    assert error.message != error.english


def test_the_old_default_chain_is_refused_its_scheme_is_not_supported() -> None:
    with pytest.raises(BeaconError) as caught:
        chain_from_info(chain_infos()["default"]["info"])
    assert caught.value.fault == Fault.BAD_CHAIN
    assert "pedersen-bls-chained" in caught.value.english


def test_a_demo_chain_cannot_pass_as_a_real_one() -> None:
    """The demo flag is bound to the beacon id, which is part of the chain hash."""
    with pytest.raises(BeaconError, match="is_demo=False contradicts"):
        replace(DEMO_CHAIN, is_demo=False)
    with pytest.raises(BeaconError, match="must say 演示"):
        replace(DEMO_CHAIN, label="League of Entropy quicknet")


@pytest.mark.parametrize("chain", [QUICKNET, DEMO_CHAIN], ids=["quicknet", "demo"])
def test_to_dict_and_back(chain: Chain) -> None:
    data = chain.to_dict()
    again = Chain.from_dict(data)
    assert again == chain and again.label == chain.label and again.is_demo == chain.is_demo
    assert data["public_key"] == chain.public_key.hex()


@pytest.mark.parametrize(
    "tamper",
    [
        lambda d: d.pop("label"),
        lambda d: d.update(extra=1),
        lambda d: d.update(public_key="zz" * 96),
        lambda d: d.update(genesis_seed=None),
        lambda d: d.update(chain_hash="00" * 32),
    ],
    ids=["missing-key", "extra-key", "not-hex", "not-a-string", "wrong-hash"],
)
def test_from_dict_refuses_tampered_documents(tamper: Any) -> None:
    data = QUICKNET.to_dict()
    tamper(data)
    with pytest.raises(BeaconError) as caught:
        Chain.from_dict(data)
    assert caught.value.fault == Fault.BAD_CHAIN


def test_from_dict_refuses_what_is_not_a_mapping() -> None:
    with pytest.raises(BeaconError) as caught:
        Chain.from_dict([])  # type: ignore[arg-type]
    assert caught.value.fault == Fault.BAD_CHAIN
