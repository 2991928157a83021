"""A demo chain with a published, throwaway key: it proves nothing, on purpose.

The demo's ceremonies lie in a simulated future where no real quicknet round
exists, so the demo signs its own rounds. Its secret key is derived from its
label by a published rule, so anyone can compute it and sign any value for
any round — which is exactly why a round of this chain must never pass for
the League's. It cannot: its chain hash differs from quicknet's, its beacon id
(``dualrandom-demo``, part of that hash) marks it as a demo, its label says
演示 wherever it is shown, and :func:`dualrandom.beacon.verify.trusted_chain`
refuses it unless the caller says it is the demo. Its rounds are verified by
exactly the same :func:`~dualrandom.beacon.verify.verify_round` as quicknet's.

Key derivation (anyone can redo it)::

    seed = SHA-256("dual-random demo beacon key" ‖ 0x00 ‖ UTF-8(label))
    sk   = KeyGen(seed)            # IETF BLS KeyGen, HKDF-SHA-256
    pk   = sk·g₂ (compressed, 96 bytes)
    genesis_seed = SHA-256(UTF-8(label))
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

from dualrandom.beacon.chain import (
    DEMO_BEACON_PREFIX,
    SCHEME_G1_RFC9380,
    Chain,
    drand_chain_hash,
    round_time,
)
from dualrandom.beacon.rounds import BeaconRound

__all__ = ["DEMO_CHAIN", "DEMO_LABEL", "demo_chain", "demo_secret_key", "sign_demo_round"]

DEMO_LABEL = "演示链（非真实信标）/ demo chain, not the League of Entropy"
_KEY_TAG = b"dual-random demo beacon key\x00"
_DEMO_GENESIS = 1577836800  # 2020-01-01T00:00:00Z: before any simulated demo ceremony
_DEMO_PERIOD = 3  # as quicknet, so the demo exercises the same round arithmetic


def demo_secret_key(label: str = DEMO_LABEL) -> int:
    """The demo chain's secret key, derived from its public label (see the module docstring)."""
    return _secret_key(label)


@lru_cache(maxsize=4)
def _secret_key(label: str) -> int:
    from dualrandom.beacon import _bls

    return _bls.secret_key_from_seed(hashlib.sha256(_KEY_TAG + label.encode("utf-8")).digest())


def demo_chain(label: str = DEMO_LABEL) -> Chain:
    """Derive a demo chain from ``label`` (slow: one G2 multiplication in pure Python)."""
    from dualrandom.beacon import _bls

    public_key = _bls.public_key_of(_secret_key(label))
    genesis_seed = hashlib.sha256(label.encode("utf-8")).digest()
    chain_hash = drand_chain_hash(
        period=_DEMO_PERIOD,
        genesis_time=_DEMO_GENESIS,
        public_key=public_key,
        genesis_seed=genesis_seed,
        beacon_id=DEMO_BEACON_PREFIX,
    )
    return Chain(
        chain_hash=chain_hash,
        public_key=public_key,
        genesis_time=_DEMO_GENESIS,
        period=_DEMO_PERIOD,
        scheme=SCHEME_G1_RFC9380,
        genesis_seed=genesis_seed,
        beacon_id=DEMO_BEACON_PREFIX,
        label=label,
        is_demo=True,
    )


# demo_chain() written out, so importing costs nothing; a test re-derives it.
DEMO_CHAIN = Chain(
    chain_hash="c925f6147b60bce971b935ecd782d72b2a5d761d543f06d5af8d2c7e12317aad",
    public_key=bytes.fromhex(
        "a1e83a00a799c905772c48967bba894a5b2320e9d795c30e5711901dd157b3e1"
        "44b6c65d17ef7bcd2ba7e3c980f7060a02419f037c63716c782a89abde9e1a97"
        "96250b8d81a6f9ec0d739d3f4be2363a692a8f9adaf13f60dfb015a67e2ff268"
    ),
    genesis_time=_DEMO_GENESIS,
    period=_DEMO_PERIOD,
    scheme=SCHEME_G1_RFC9380,
    genesis_seed=bytes.fromhex("936f370b6b563caac490d6ca227d0cbbb08dfef45da8cffab0779cec93af4672"),
    beacon_id=DEMO_BEACON_PREFIX,
    label=DEMO_LABEL,
    is_demo=True,
)


@lru_cache(maxsize=256)  # BLS signing is deterministic and costs ~0.7 s in pure Python
def sign_demo_round(number: int) -> BeaconRound:
    """Round ``number`` of :data:`DEMO_CHAIN`, signed with its public throwaway key.

    Any round can be signed, past or future: the demo's clock is simulated.
    """
    from dualrandom.beacon import _bls

    round_time(DEMO_CHAIN, number)  # refuses a round number outside 1…2**64-1
    signature = _bls.sign(_secret_key(DEMO_LABEL), _bls.round_message(number))
    return BeaconRound(number, signature)
