"""A public randomness beacon that nobody in the draw controls: drand's quicknet.

The League of Entropy publishes a round every 3 seconds, signed by a
threshold of independent organisations; nobody can know a round's value
before it is produced, and anyone can check it afterwards against the
chain's public key, offline. A commitment pins a chain and one future round
(:class:`Pin`, :func:`round_after`); the draw fetches that round from any
relay or file (:func:`fetch_round`, :func:`load_round_file`) and accepts it
only if it is the pinned round and its signature verifies
(:func:`accept_round`). Its ``randomness`` (SHA-256 of the signature) is the
beacon's contribution to the seed.

See docs/BEACON.md. The stdlib-only check for the bundle's verify.py is
:mod:`dualrandom.beacon.standalone`, which imports nothing from here.
"""

from __future__ import annotations

from dualrandom.beacon.chain import (
    QUICKNET,
    SCHEME_G1_RFC9380,
    Chain,
    chain_json,
    current_round,
    drand_chain_hash,
    round_after,
    round_time,
)
from dualrandom.beacon.demo import DEMO_CHAIN, DEMO_LABEL, sign_demo_round
from dualrandom.beacon.faults import Fault
from dualrandom.beacon.fetch import DEFAULT_RELAYS, fetch_round, load_round_file
from dualrandom.beacon.obtain import obtain_round
from dualrandom.beacon.rounds import BeaconRound, Pin, parse_round
from dualrandom.beacon.verify import (
    KNOWN_CHAINS,
    accept_round,
    admit_round,
    follow_verdict,
    signature_verdict,
    trusted_chain,
    verify_round,
)

__all__ = [
    "DEFAULT_RELAYS",
    "DEMO_CHAIN",
    "DEMO_LABEL",
    "KNOWN_CHAINS",
    "QUICKNET",
    "SCHEME_G1_RFC9380",
    "BeaconRound",
    "Chain",
    "Fault",
    "Pin",
    "accept_round",
    "admit_round",
    "chain_json",
    "current_round",
    "drand_chain_hash",
    "fetch_round",
    "follow_verdict",
    "load_round_file",
    "obtain_round",
    "parse_round",
    "round_after",
    "round_time",
    "sign_demo_round",
    "signature_verdict",
    "trusted_chain",
    "verify_round",
]
