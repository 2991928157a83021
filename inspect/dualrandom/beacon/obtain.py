"""The pinned round's bytes, once its time has come: the one way every caller gets them.

The command line (``dualrandom draw run``) and the web console's ceremony both
call :func:`obtain_round`; neither waits here for the round to be produced
(the caller checks the time first), and neither trusts what comes back: the
draw accepts a round only through :func:`dualrandom.beacon.accept_round`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from dualrandom.beacon.demo import sign_demo_round
from dualrandom.beacon.fetch import fetch_round
from dualrandom.beacon.rounds import Pin
from dualrandom.errors import BeaconError

__all__ = ["obtain_round"]


def obtain_round(
    pin: Pin,
    *,
    relays: Sequence[str],
    allow_demo: bool,
    attempts: int = 1,
    delay: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
) -> bytes:
    """The pinned round as a relay serves it, unchecked.

    The demo chain, with ``allow_demo``, signs its own round (no relay serves
    it; its key is public, which is why every page and bundle of such a draw
    says 演示链); without it, :func:`fetch_round` refuses, naming the demo
    chain. Otherwise the relays are asked up to ``attempts`` times, waiting
    ``delay`` seconds, doubled each time, in between (a round may take a few
    seconds to reach every relay); the last BeaconError is raised."""
    if pin.chain.is_demo and allow_demo:
        return sign_demo_round(pin.round).to_json()
    if pin.chain.is_demo:
        return fetch_round(pin.chain, pin.round, relays=relays)
    for attempt in range(1, attempts + 1):
        try:
            return fetch_round(pin.chain, pin.round, relays=relays)
        except BeaconError:
            if attempt == attempts:
                raise
            sleep(delay)
            delay *= 2
    raise AssertionError("unreachable: attempts >= 1")  # pragma: no cover
