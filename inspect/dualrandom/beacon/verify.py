"""Verifying a round offline, and accepting only the pinned round of a trusted chain.

No relay is trusted: a round counts because its BLS signature verifies under
the chain's public key, whoever served the bytes. :func:`accept_round` is the
one call a verifier makes; :func:`verify_round` is the signature check alone,
and :func:`admit_round` every other check (``draw run`` and ``dualrandom
verify`` have the signature checked by a second process meanwhile:
``registry.parallel``, ``draws.verify_aside``; :func:`signature_verdict` is
what it answers, :func:`follow_verdict` how the first process takes it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from dualrandom.beacon.chain import QUICKNET, Chain
from dualrandom.beacon.demo import DEMO_CHAIN
from dualrandom.beacon.faults import Fault
from dualrandom.beacon.rounds import BeaconRound, Pin, parse_round
from dualrandom.errors import BeaconError

__all__ = [
    "KNOWN_CHAINS",
    "accept_round",
    "admit_round",
    "follow_verdict",
    "signature_verdict",
    "trusted_chain",
    "verify_round",
]

KNOWN_CHAINS: Mapping[str, Chain] = {chain.chain_hash: chain for chain in (QUICKNET, DEMO_CHAIN)}
"""Every chain dual-random knows, by chain hash. Only QUICKNET proves anything."""


def verify_round(chain: Chain, beacon: BeaconRound) -> None:
    """Check ``beacon``'s BLS signature under ``chain``'s public key, offline.

    Raises :class:`BeaconError` with fault ``invalid-point`` (the signature
    is not a subgroup point), ``bad-chain`` (nor is the key) or
    ``bad-signature`` (valid points, but the pairing check fails: another
    round, another chain, or forged). Returns nothing when it verifies.
    """
    from dualrandom.beacon import _bls  # py_ecc takes ~0.5 s to import: only when needed

    message = _bls.round_message(beacon.number)
    try:
        verifies = _bls.signature_verifies(chain.public_key, message, beacon.signature)
    except _bls.InvalidPoint as exc:
        if exc.what != "signature":
            raise BeaconError(
                Fault.BAD_CHAIN,
                f"{chain.label} 的公钥不是有效的 BLS12-381 G2 点：{exc.detail}",
                f"the public key of {chain.label} is not a valid BLS12-381 G2 point: {exc.detail}",
            ) from None
        raise BeaconError(
            Fault.INVALID_POINT,
            f"第 {beacon.number} 轮的签名不是有效的 BLS12-381 G1 点：{exc.detail}",
            f"round {beacon.number}: the signature is not a valid BLS12-381 G1 point: {exc.detail}",
        ) from None
    if not verifies:
        raise BeaconError(
            Fault.BAD_SIGNATURE,
            f"第 {beacon.number} 轮的 BLS 签名不能用“{chain.label}”的公钥验证："
            "它不是该链该轮的真实输出",
            f"round {beacon.number}: the BLS signature does not verify under the public key of "
            f"{chain.label!r}; it is not that chain's output for that round",
        )


def trusted_chain(chain: Chain, *, allow_demo: bool = False) -> Chain:
    """``chain`` if it is one dual-random knows; else ``wrong-chain``.

    A chain anyone can make (their own key, any label) would let its maker
    sign whatever round value they like, so only known chains count: the
    League's quicknet, and the demo chain where ``allow_demo`` says the
    caller is the demo.
    """
    known = KNOWN_CHAINS.get(chain.chain_hash)
    if known is None or known != chain:
        raise BeaconError(
            Fault.WRONG_CHAIN,
            f"信标链 {chain.chain_hash}（“{chain.label}”）不是本系统认可的链；"
            f"应为 {QUICKNET.label}",
            f"beacon chain {chain.chain_hash} ({chain.label!r}) is not a chain dual-random "
            f"trusts; expected {QUICKNET.label}",
        )
    if known.is_demo and not allow_demo:
        raise BeaconError(
            Fault.WRONG_CHAIN,
            f"“{known.label}”是演示链，其私钥公开，不能用于真实抽查",
            f"{known.label!r} is the demo chain, whose secret key is public; "
            "it cannot serve a real draw",
        )
    return known


def accept_round(pin: Pin, raw: bytes, *, allow_demo: bool = False) -> BeaconRound:
    """The pinned round, from any relay's JSON bytes, once everything about it is checked.

    In order: the pinned chain is trusted (``wrong-chain``); the bytes are a
    round (``malformed``, ``randomness-mismatch``); it is the pinned round
    (``wrong-round``); its signature verifies under the pinned chain's key
    (``invalid-point``, ``bad-signature``). Its ``randomness`` is then the
    beacon's contribution to the draw.
    """
    beacon = admit_round(pin, raw, allow_demo=allow_demo)
    verify_round(pin.chain, beacon)
    return beacon


def admit_round(pin: Pin, raw: bytes, *, allow_demo: bool = False) -> BeaconRound:
    """Every check of :func:`accept_round` but the signature's, which costs the most
    (py_ecc's import and a pairing, most of a second): a caller that admits a
    round must have :func:`verify_round` check it before using its randomness."""
    chain = trusted_chain(pin.chain, allow_demo=allow_demo)
    beacon = parse_round(chain, raw)
    if beacon.number != pin.round:
        raise BeaconError(
            Fault.WRONG_ROUND,
            f"这是第 {beacon.number} 轮，而承诺锁定的是第 {pin.round} 轮",
            f"this is round {beacon.number}, but the commitment pinned round {pin.round}",
        )
    return beacon


def signature_verdict(chain: Chain, raw: bytes) -> dict[str, str | None]:
    """:func:`verify_round`'s verdict on the round in ``raw`` (a relay's JSON) as a
    JSON object, for a second process to answer: ``{"fault": None}`` if the
    signature verified, else the refusal's fault, message and English."""
    try:
        verify_round(chain, parse_round(chain, raw))
    except BeaconError as refused:
        return {"fault": refused.fault, "message": refused.message, "english": refused.english}
    return {"fault": None}


def follow_verdict(verdict: object, verify_here: Callable[[], None]) -> None:
    """Return if ``verdict`` (a :func:`signature_verdict`) says the signature
    verified, raise the BeaconError it describes if it refused it; anything else
    (no verdict, or nonsense) leaves it to ``verify_here()``."""
    fault = verdict.get("fault", False) if isinstance(verdict, dict) else False
    if fault is None:
        return
    if isinstance(fault, str) and isinstance(verdict, dict):
        message, english = verdict.get("message"), verdict.get("english")
        if isinstance(message, str) and isinstance(english, str):
            raise BeaconError(fault, message, english)
    verify_here()
