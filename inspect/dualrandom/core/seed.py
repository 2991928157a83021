"""The draw seed: DR-1's from digests, entropy and the operator's secret
(docs/SPEC.md §5); DR-2's from the commitment, a public beacon and the
witnesses' dice, with no secret at all (§19)."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, fields

from dualrandom.core.encoding import (
    TAG2_SEED,
    TAG_COMMIT,
    TAG_SEED,
    check_text,
    digest_bytes,
    tagged_hash,
)
from dualrandom.errors import UserError

__all__ = [
    "BEACON_LENGTH",
    "DICE_FORMAT",
    "DICE_MIN_ROLLS",
    "SECRET_LENGTH",
    "CommittedDigests",
    "Digests",
    "check_dice",
    "derive_seed",
    "derive_seed_dr2",
    "record_dice",
    "secret_commitment",
]

SECRET_LENGTH = 32
BEACON_LENGTH = 32
DICE_MIN_ROLLS = 20
DICE_FORMAT = "1-6, at least 20 rolls"  # as commitment.json states it
_DICE = re.compile(rf"[1-6]{{{DICE_MIN_ROLLS},}}\Z")


@dataclass(frozen=True, slots=True)
class Digests:
    """The five input digests that are committed before the seed exists,
    each 64 lowercase hex digits."""

    plan: str
    objects: str
    inspectors: str
    conflicts: str
    history: str


@dataclass(frozen=True, slots=True)
class CommittedDigests:
    """The ``digests`` object of a DR-2 ``commitment.json`` (SPEC §17), each 64
    lowercase hex digits: the plan's SHA-256, the bucketed snapshot digests
    (objects as O, P and I) and the digests of the output files that do not
    depend on the seed: quotas.tsv, exclusions.tsv, outside.tsv and the
    public exclusions-public.tsv."""

    plan: str
    objects: str
    objects_public: str
    objects_internal: str
    inspectors: str
    conflicts: str
    history: str
    quotas: str
    exclusions: str
    outside: str
    exclusions_public: str

    def __post_init__(self) -> None:
        for f in fields(self):
            digest_bytes(getattr(self, f.name))

    def as_json(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


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


def check_dice(dice: str, expected: bool) -> str:
    """``dice`` if it is a recorded dice string: only the digits 1-6, at least
    DICE_MIN_ROLLS of them, when dice are expected; the empty string when not.
    ValueError otherwise (a recorded value is never repaired here)."""
    if not expected:
        if dice:
            raise ValueError(f"dice {dice!r} were recorded for a draw that expects none")
        return dice
    if not _DICE.match(dice):
        raise ValueError(
            f"dice {dice!r} are not {DICE_MIN_ROLLS} or more of the digits 1-6 and nothing else"
        )
    return dice


def record_dice(typed: str, expected: bool = True) -> str:
    """The dice as recorded from what a witness typed: NFC, every space (any
    Unicode white space, the ideographic space U+3000 included) removed, then
    checked by :func:`check_dice`. A UserError names what is wrong."""
    text = "".join(unicodedata.normalize("NFC", typed).split())
    if not expected:
        if text:
            raise UserError(
                "本次抽取不使用骰子，请不要输入骰子点数",
                "this draw takes no dice; enter none",
            )
        return ""
    wrong = sorted({ch for ch in text if ch not in "123456"})
    if wrong:
        shown = "、".join(repr(ch) for ch in wrong)
        raise UserError(
            f"骰子点数只能是 1 至 6 的数字，不能包含 {shown}",
            f"dice rolls are the digits 1 to 6 only, not {', '.join(map(repr, wrong))}",
        )
    if len(text) < DICE_MIN_ROLLS:
        raise UserError(
            f"至少需要 {DICE_MIN_ROLLS} 次掷骰，只输入了 {len(text)} 次",
            f"at least {DICE_MIN_ROLLS} rolls are needed, {len(text)} were entered",
        )
    return check_dice(text, expected)


def derive_seed_dr2(
    commitment_hash: str, beacon_randomness: bytes, dice: str, dice_expected: bool
) -> bytes:
    """seed = SHA-256("DR-2/seed" 0x00 ‖ lp(C) ‖ lp(R) ‖ lp(UTF-8(dice))), 32 bytes.

    C is the SHA-256 of ``commitment.json`` (64 hex digits, entering as 32
    raw bytes), R the 32 randomness bytes of the pinned beacon round, and
    ``dice`` the recorded dice (:func:`check_dice`; empty when the commitment
    says none are expected)."""
    if len(beacon_randomness) != BEACON_LENGTH:
        raise ValueError(
            f"beacon randomness is {BEACON_LENGTH} bytes, not {len(beacon_randomness)}"
        )
    return tagged_hash(
        TAG2_SEED,
        (
            digest_bytes(commitment_hash),
            beacon_randomness,
            check_dice(dice, dice_expected).encode("ascii"),
        ),
    )
