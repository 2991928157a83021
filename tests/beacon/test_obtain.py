"""obtain_round: the one way the command line and the console get the pinned round."""

from __future__ import annotations

import pytest

from dualrandom.beacon import DEMO_CHAIN, QUICKNET, Chain, Pin, accept_round, obtain_round
from dualrandom.errors import BeaconError


def _pin(chain: Chain, number: int) -> Pin:
    return Pin(chain=chain, round=number)


def test_the_demo_chain_signs_its_own_round_only_when_allowed() -> None:
    pin = _pin(DEMO_CHAIN, 1234)
    raw = obtain_round(pin, relays=("http://127.0.0.1:9",), allow_demo=True)
    assert accept_round(pin, raw, allow_demo=True).number == 1234
    with pytest.raises(BeaconError):
        obtain_round(pin, relays=("http://127.0.0.1:9",), allow_demo=False)


def test_unreachable_relays_are_asked_again_with_a_doubling_wait_then_refused() -> None:
    waits: list[float] = []
    with pytest.raises(BeaconError):
        obtain_round(
            _pin(QUICKNET, 1000),
            relays=("http://127.0.0.1:9",),
            allow_demo=False,
            attempts=3,
            sleep=waits.append,
        )
    assert waits == [2.0, 4.0]
