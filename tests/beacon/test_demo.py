"""The demo chain: a published throwaway key, verified by the same code, never taken for quicknet."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from dualrandom.beacon import (
    DEMO_CHAIN,
    DEMO_LABEL,
    QUICKNET,
    Fault,
    Pin,
    accept_round,
    fetch_round,
    parse_round,
    round_after,
    round_time,
    sign_demo_round,
    verify_round,
)
from dualrandom.beacon.demo import demo_chain, demo_secret_key
from dualrandom.errors import BeaconError
from tests.beacon.cases import case


def test_the_demo_chain_is_derived_from_its_published_label() -> None:
    """Anyone can redo the derivation: that is what makes the key worthless as a secret."""
    from dualrandom.beacon import _bls

    derived = demo_chain()
    assert derived == DEMO_CHAIN and derived.label == DEMO_LABEL
    seed = hashlib.sha256(b"dual-random demo beacon key\x00" + DEMO_LABEL.encode()).digest()
    assert demo_secret_key() == _bls.secret_key_from_seed(seed)
    assert _bls.public_key_of(demo_secret_key()) == DEMO_CHAIN.public_key
    assert DEMO_CHAIN.genesis_seed == hashlib.sha256(DEMO_LABEL.encode()).digest()


def test_the_demo_chain_cannot_be_confused_with_quicknet() -> None:
    assert DEMO_CHAIN.is_demo and not QUICKNET.is_demo
    assert DEMO_CHAIN.chain_hash != QUICKNET.chain_hash
    assert DEMO_CHAIN.public_key != QUICKNET.public_key
    assert DEMO_CHAIN.beacon_id == "dualrandom-demo"
    assert "演示" in DEMO_CHAIN.label and "not the League of Entropy" in DEMO_CHAIN.label
    # The label travels with the chain into every commitment or bundle.
    assert Pin(DEMO_CHAIN, 7).to_dict()["chain"]["label"] == DEMO_LABEL
    assert Pin(DEMO_CHAIN, 7).to_dict()["chain"]["is_demo"] is True


def test_demo_rounds_in_the_simulated_future_sign_and_verify() -> None:
    ceremony = datetime(2031, 3, 2, 9, 30, tzinfo=UTC)  # no real round exists yet
    number = round_after(DEMO_CHAIN, ceremony, timedelta(minutes=5))
    assert round_time(DEMO_CHAIN, number) > ceremony + timedelta(minutes=5)
    beacon = sign_demo_round(number)
    verify_round(DEMO_CHAIN, beacon)  # the very function that checks quicknet's rounds
    accepted = accept_round(Pin(DEMO_CHAIN, number), beacon.to_json(), allow_demo=True)
    assert accepted == beacon


def test_demo_signing_is_deterministic_and_round_specific() -> None:
    assert sign_demo_round(42) == sign_demo_round(42)
    assert sign_demo_round(42).signature != sign_demo_round(43).signature
    assert sign_demo_round(42).to_json() == case("demo-42").raw  # the fixture holds the same bytes


def test_a_demo_round_is_never_accepted_where_quicknet_is_pinned() -> None:
    beacon = sign_demo_round(123)
    with pytest.raises(BeaconError) as caught:
        accept_round(Pin(QUICKNET, 123), beacon.to_json(), allow_demo=True)
    assert caught.value.fault == Fault.BAD_SIGNATURE
    with pytest.raises(BeaconError):
        verify_round(QUICKNET, beacon)


def test_the_demo_chain_is_refused_unless_the_caller_is_the_demo() -> None:
    beacon = sign_demo_round(9)
    with pytest.raises(BeaconError) as caught:
        accept_round(Pin(DEMO_CHAIN, 9), beacon.to_json())
    assert caught.value.fault == Fault.WRONG_CHAIN
    assert "演示链" in caught.value.message


def test_a_real_round_does_not_verify_under_the_demo_key() -> None:
    beacon = parse_round(QUICKNET, case("quicknet-123").raw)
    with pytest.raises(BeaconError) as caught:
        verify_round(DEMO_CHAIN, beacon)
    assert caught.value.fault == Fault.BAD_SIGNATURE


def test_no_relay_is_asked_for_a_demo_round() -> None:
    with pytest.raises(BeaconError) as caught:
        fetch_round(DEMO_CHAIN, 5, relays=["http://127.0.0.1:9"])
    assert caught.value.fault == Fault.UNREACHABLE
    assert "demo chain" in caught.value.english


def test_round_time_of_the_demo_chain() -> None:
    assert round_time(DEMO_CHAIN, 1) == datetime(2020, 1, 1, tzinfo=UTC)
    assert round_time(DEMO_CHAIN, 21) == datetime(2020, 1, 1, 0, 1, tzinfo=UTC)


def test_demo_round_numbers_out_of_range_are_refused() -> None:
    with pytest.raises(BeaconError) as caught:
        sign_demo_round(0)
    assert caught.value.fault == Fault.BAD_TIME
