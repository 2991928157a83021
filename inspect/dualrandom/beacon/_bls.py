"""BLS12-381 for scheme ``bls-unchained-g1-rfc9380``, through py_ecc.

The only module that touches the pairing library. py_ecc (the Ethereum
Foundation's pure-Python implementation) was chosen over native bindings:
see docs/BEACON.md for the measurements. Importing it takes about half a
second, so the rest of the package imports this module only when it has a
signature to check or make.

Verification (drand's ``bls-unchained-g1-rfc9380``): the message is
SHA-256(u64be(round)); it is hashed to G1 with RFC 9380's
``BLS12381G1_XMD:SHA-256_SSWU_RO_`` suite and the DST below; the signature
σ is a compressed G1 point, the public key P a compressed G2 point; both
must decode, lie in the prime-order subgroup and not be the identity; the
round verifies when e(σ, g₂) = e(H(m), P).
"""

from __future__ import annotations

import functools
import hashlib
from functools import lru_cache
from typing import TypeVar

from py_ecc.bls.g2_primitives import subgroup_check
from py_ecc.bls.hash_to_curve import hash_to_G1
from py_ecc.bls.point_compression import compress_G1, compress_G2, decompress_G1, decompress_G2
from py_ecc.bls.typing import G1Compressed, G2Compressed
from py_ecc.fields import optimized_bls12_381_FQ as FQ
from py_ecc.fields import optimized_bls12_381_FQ2 as FQ2
from py_ecc.fields import optimized_bls12_381_FQ12 as FQ12
from py_ecc.optimized_bls12_381.optimized_curve import G2, is_inf, multiply, neg
from py_ecc.optimized_bls12_381.optimized_pairing import final_exponentiate, pairing
from py_ecc.typing import Optimized_Point3D

__all__ = [
    "DST_G1",
    "InvalidPoint",
    "public_key_of",
    "round_message",
    "secret_key_from_seed",
    "sign",
    "signature_verifies",
]

DST_G1 = b"BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_"

G1Point = Optimized_Point3D[FQ]
G2Point = Optimized_Point3D[FQ2]
_Point = TypeVar("_Point", G1Point, G2Point)


class InvalidPoint(ValueError):
    """Bytes that are not a usable group element; ``what`` says which input."""

    def __init__(self, what: str, detail: str) -> None:
        self.what, self.detail = what, detail
        super().__init__(f"{what}: {detail}")


def round_message(number: int) -> bytes:
    """What an unchained round signs: SHA-256 of the round as 8 bytes big-endian."""
    return hashlib.sha256(number.to_bytes(8, "big")).digest()


def _checked(point: _Point, what: str) -> _Point:
    if is_inf(point):
        raise InvalidPoint(what, "the point at infinity (identity) is not allowed")
    if not subgroup_check(point):
        raise InvalidPoint(what, "not in the prime-order subgroup")
    return point


def _signature_point(signature: bytes) -> G1Point:
    if len(signature) != 48:
        raise InvalidPoint("signature", f"{len(signature)} bytes, not 48")
    try:
        point = decompress_G1(G1Compressed(int.from_bytes(signature, "big")))
    except ValueError as exc:
        raise InvalidPoint("signature", str(exc)) from None
    return _checked(point, "signature")


@lru_cache(maxsize=8)
def _public_key_point(public_key: bytes) -> G2Point:
    # Decoding and the subgroup check cost ~30 ms; a process checks one key.
    if len(public_key) != 96:
        raise InvalidPoint("public key", f"{len(public_key)} bytes, not 96")
    halves = (int.from_bytes(public_key[:48], "big"), int.from_bytes(public_key[48:], "big"))
    try:
        point = decompress_G2(G2Compressed(halves))
    except ValueError as exc:
        raise InvalidPoint("public key", str(exc)) from None
    return _checked(point, "public key")


# A pairing check costs about 0.2 s in pure Python. It is a pure function of its
# three byte strings, so a process that sees the same round again (the scheduler
# retrying a step, export then verify, a test suite) reuses the verdict.
@functools.lru_cache(maxsize=256)
def signature_verifies(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """e(σ, g₂) = e(H(m), P); raises :class:`InvalidPoint` for undecodable inputs."""
    key = _public_key_point(public_key)
    sigma = _signature_point(signature)
    hashed = hash_to_G1(message, DST_G1, hashlib.sha256)  # type: ignore[arg-type]
    # One final exponentiation for both Miller loops: e(−σ, g₂)·e(H(m), P) = 1.
    product = pairing(G2, neg(sigma), final_exponentiate=False) * pairing(
        key, hashed, final_exponentiate=False
    )
    return bool(final_exponentiate(product) == FQ12.one())


# Signing exists only for the demo chain, whose secret key is public by design.


def secret_key_from_seed(seed: bytes) -> int:
    """A scalar from ≥ 32 bytes of seed, by the IETF BLS KeyGen (HKDF-SHA-256)."""
    from py_ecc.bls.ciphersuites import G2ProofOfPossession  # KeyGen is the same for both groups

    return int(G2ProofOfPossession.KeyGen(seed))


def public_key_of(secret_key: int) -> bytes:
    """sk·g₂, compressed (96 bytes)."""
    high, low = compress_G2(multiply(G2, secret_key))
    return high.to_bytes(48, "big") + low.to_bytes(48, "big")


def sign(secret_key: int, message: bytes) -> bytes:
    """sk·H(m) on G1, compressed (48 bytes)."""
    hashed = hash_to_G1(message, DST_G1, hashlib.sha256)  # type: ignore[arg-type]
    return int(compress_G1(multiply(hashed, secret_key))).to_bytes(48, "big")
