"""The draw seed and the operator's secret commitment (docs/SPEC.md §5)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from dualrandom.core.encoding import (
    TAG_COMMIT,
    TAG_SEED,
    check_text,
    digest_bytes,
    tagged_hash,
)

__all__ = ["SECRET_LENGTH", "Digests", "derive_seed", "secret_commitment"]

SECRET_LENGTH = 32


@dataclass(frozen=True, slots=True)
class Digests:
    """The five input digests that are committed before the seed exists,
    each 64 lowercase hex digits."""

    plan: str
    objects: str
    inspectors: str
    conflicts: str
    history: str


def _check_secret(secret: bytes) -> bytes:
    if len(secret) != SECRET_LENGTH:
        raise ValueError(f"the operator secret must be {SECRET_LENGTH} bytes, not {len(secret)}")
    return secret


def secret_commitment(secret: bytes) -> str:
    """SHA-256("DR-1/commit" 0x00 ‖ secret), published before the draw."""
    return hashlib.sha256(TAG_COMMIT + _check_secret(secret)).hexdigest()


def derive_seed(digests: Digests, entropy: str, secret: bytes) -> bytes:
    """seed = SHA-256("DR-1/seed" 0x00 ‖ lp(plan) ‖ lp(objects) ‖ lp(inspectors)
    ‖ lp(conflicts) ‖ lp(history) ‖ lp(UTF-8(entropy)) ‖ lp(secret)), 32 bytes.

    The entropy text (dice, beacon value …) is taken as NFC text, never as a
    number, so "0123" and "123" are different inputs."""
    return tagged_hash(
        TAG_SEED,
        (
            digest_bytes(digests.plan),
            digest_bytes(digests.objects),
            digest_bytes(digests.inspectors),
            digest_bytes(digests.conflicts),
            digest_bytes(digests.history),
            check_text(entropy, "entropy").encode("utf-8"),
            _check_secret(secret),
        ),
    )
