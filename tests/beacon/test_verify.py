"""Offline BLS verification: real quicknet rounds verify; every forgery is refused with its reason."""

from __future__ import annotations

import json

import pytest

from dualrandom.beacon import (
    DEMO_CHAIN,
    QUICKNET,
    BeaconRound,
    Fault,
    Pin,
    accept_round,
    drand_chain_hash,
    parse_round,
    trusted_chain,
    verify_round,
)
from dualrandom.beacon.demo import demo_secret_key
from dualrandom.errors import BeaconError
from tests.beacon.cases import (
    RoundCase,
    case,
    chain_from_info,
    chain_infos,
    real_cases,
    round_cases,
)


@pytest.mark.parametrize("found", real_cases(), ids=lambda c: c.name)
def test_real_quicknet_rounds_verify(found: RoundCase) -> None:
    beacon = accept_round(found.pin, found.raw)
    assert beacon.number == found.pin.round
    verify_round(QUICKNET, beacon)  # the signature check alone passes too


@pytest.mark.parametrize("found", round_cases(), ids=lambda c: c.name)
def test_every_fixture_gets_its_verdict(found: RoundCase) -> None:
    """Accepted exactly when expected, else refused with the named fault."""
    allow_demo = found.expect == "ok-demo"
    if found.accepted:
        assert accept_round(found.pin, found.raw, allow_demo=allow_demo).number == found.pin.round
        return
    with pytest.raises(BeaconError) as caught:
        accept_round(found.pin, found.raw, allow_demo=allow_demo)
    assert caught.value.fault == found.expect
    assert caught.value.message and caught.value.english


def test_a_genuine_round_of_another_chain_verifies_only_under_its_own_key() -> None:
    walkthrough = chain_from_info(chain_infos()["walkthrough"]["info"])
    beacon = parse_round(walkthrough, case("other-chain-walkthrough-38").raw)
    verify_round(walkthrough, beacon)  # genuine for its own chain ...
    with pytest.raises(BeaconError) as caught:
        verify_round(QUICKNET, beacon)  # ... not for quicknet
    assert caught.value.fault == Fault.BAD_SIGNATURE
    # ... and a commitment cannot pin that chain: dual-random does not trust it.
    with pytest.raises(BeaconError) as refused:
        accept_round(Pin(walkthrough, 38), case("other-chain-walkthrough-38").raw)
    assert refused.value.fault == Fault.WRONG_CHAIN


def test_a_chain_made_up_by_the_operator_is_not_trusted() -> None:
    """Whoever makes a key can sign any value: a self-made 'quicknet' must not count."""
    from dualrandom.beacon import _bls

    public_key = _bls.public_key_of(demo_secret_key("operator's own"))
    parameters = {
        "public_key": public_key,
        "genesis_time": QUICKNET.genesis_time,
        "period": QUICKNET.period,
        "genesis_seed": QUICKNET.genesis_seed,
        "beacon_id": "quicknet",
    }
    fake = chain_from_info(
        {
            "hash": drand_chain_hash(**parameters),  # type: ignore[arg-type]
            "public_key": public_key.hex(),
            "genesis_time": QUICKNET.genesis_time,
            "period": QUICKNET.period,
            "schemeID": QUICKNET.scheme,
            "groupHash": QUICKNET.genesis_seed.hex(),
            "metadata": {"beaconID": "quicknet"},
        },
        label=QUICKNET.label,
    )
    signed = BeaconRound(500, _bls.sign(demo_secret_key("operator's own"), _bls.round_message(500)))
    verify_round(fake, signed)  # the operator's signature is "valid" under the operator's key
    with pytest.raises(BeaconError) as caught:
        accept_round(Pin(fake, 500), signed.to_json())
    assert caught.value.fault == Fault.WRONG_CHAIN
    assert fake.chain_hash != QUICKNET.chain_hash  # same beacon id, another key: another hash


def test_a_round_pinned_elsewhere_is_the_wrong_round_even_if_genuine() -> None:
    with pytest.raises(BeaconError) as caught:
        accept_round(Pin(QUICKNET, 42), case("quicknet-123").raw)
    assert caught.value.fault == Fault.WRONG_ROUND
    assert "round 123" in caught.value.english and "round 42" in caught.value.english


def test_a_public_key_that_is_not_a_group_element_is_a_bad_chain() -> None:
    junk_key = bytes([0x80]) + bytes(95)  # compressed flag, x = 0: no point on the twist
    parameters = {
        "public_key": junk_key,
        "genesis_time": 1,
        "period": 3,
        "genesis_seed": bytes(32),
        "beacon_id": "junk",
    }
    chain = chain_from_info(
        {
            "hash": drand_chain_hash(**parameters),  # type: ignore[arg-type]
            "public_key": junk_key.hex(),
            "genesis_time": 1,
            "period": 3,
            "schemeID": QUICKNET.scheme,
            "groupHash": bytes(32).hex(),
            "metadata": {"beaconID": "junk"},
        }
    )
    beacon = parse_round(QUICKNET, case("quicknet-123").raw)
    with pytest.raises(BeaconError) as caught:
        verify_round(chain, beacon)
    assert caught.value.fault == Fault.BAD_CHAIN


def test_trusted_chains() -> None:
    assert trusted_chain(QUICKNET) is QUICKNET
    assert trusted_chain(DEMO_CHAIN, allow_demo=True) is DEMO_CHAIN
    with pytest.raises(BeaconError) as caught:
        trusted_chain(DEMO_CHAIN)
    assert caught.value.fault == Fault.WRONG_CHAIN
    assert "public" in caught.value.english


def test_the_refusal_names_the_round_and_the_chain() -> None:
    found = case("forged-123-as-124")
    with pytest.raises(BeaconError) as caught:
        accept_round(found.pin, found.raw)
    assert "round 124" in caught.value.english
    assert "League of Entropy drand quicknet" in caught.value.english
    assert "第 124 轮" in caught.value.message


def test_the_randomness_is_the_beacons_contribution() -> None:
    beacon = accept_round(Pin(QUICKNET, 123), case("quicknet-123").raw)
    assert beacon.randomness.hex() == json.loads(case("quicknet-123").raw)["randomness"]
