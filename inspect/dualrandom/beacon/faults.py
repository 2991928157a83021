"""Why the beacon library refused something, one word each.

Every :class:`~dualrandom.errors.BeaconError` carries one of these in
``fault``; the stdlib-only checker (:mod:`dualrandom.beacon.standalone`)
reports the same words, so the two can be compared fixture by fixture.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Fault"]


class Fault(StrEnum):
    MALFORMED = "malformed"
    """Not a round in drand's JSON: bad JSON, unknown or missing key, bad type or hex length."""

    RANDOMNESS = "randomness-mismatch"
    """``randomness`` is not SHA-256 of ``signature``, as drand defines it."""

    WRONG_ROUND = "wrong-round"
    """A genuine round, but not the one the commitment pinned."""

    WRONG_CHAIN = "wrong-chain"
    """The pinned chain is not one dual-random trusts (or is the demo chain where it is not allowed)."""

    INVALID_POINT = "invalid-point"
    """The signature is not a point of BLS12-381 G1's prime-order subgroup (or is the identity)."""

    BAD_SIGNATURE = "bad-signature"
    """The signature is a valid point but does not verify under the chain's public key."""

    BAD_CHAIN = "bad-chain"
    """The chain's parameters are invalid or do not hash to its chain hash."""

    BAD_TIME = "bad-time"
    """A naive datetime, a negative margin or a round number out of range."""

    UNREACHABLE = "unreachable"
    """No relay served a round that verifies."""

    NO_FILE = "no-file"
    """A round file that does not exist or cannot be read."""
