"""The DR-2 risk-class commitment: a salted Merkle tree (docs/SPEC.md §18).

At prepare the operator's machine draws a fresh 32-byte salt key K (the
caller does: the core has no randomness), kept in the auditor tier. For
every object x of the registry, in id order:

    salt_x = HMAC-SHA256(K, UTF-8(x))
    leaf_x = H(T_RISK_LEAF; UTF-8(x), UTF-8(risk class), salt_x)

and the commitment is the RFC 9162 root over the leaves ``leaf_x``
(core/merkle.py). The root is published before the draw; nobody can learn a
class from it (each leaf hides a class under a 256-bit salt), and the
operator cannot change a class afterwards. A business given
``(risk class, salt, index, path)`` — a :class:`RiskProof` — checks its own
class, hence its stratum, against the published root.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import islice, pairwise
from typing import Any

from dualrandom.core.encoding import DR2, TAG2_RISK_LEAF, digest_bytes, lp
from dualrandom.core.merkle import (
    TreeBuilder,
    inclusion_proof_from_hashes,
    root_from_hashes,
    verify_inclusion,
)
from dualrandom.core.model import ObjectRecord, RiskClass
from dualrandom.core.table import ObjectTable

__all__ = [
    "SALT_KEY_LENGTH",
    "RiskCommitment",
    "RiskProof",
    "RiskTree",
    "risk_commitment",
    "risk_leaf",
    "risk_rows",
    "risk_salt",
]

SALT_KEY_LENGTH = 32
_CLASSES = frozenset(c.value for c in RiskClass)


def risk_rows(records: Iterable[ObjectRecord]) -> list[tuple[str, str]]:
    """(id, risk class) of every object, in id order: the rows of the tree."""
    if isinstance(records, ObjectTable):  # already in id order, read column by column
        return list(zip(records.ids, map(str, records.columns.risk_class), strict=True))
    return sorted((r.id, str(r.risk_class)) for r in records)


def _check_key(key: bytes) -> bytes:
    if len(key) != SALT_KEY_LENGTH:
        raise ValueError(f"the salt key must be {SALT_KEY_LENGTH} bytes, not {len(key)}")
    return key


def risk_salt(key: bytes, object_id: str) -> bytes:
    """salt_x = HMAC-SHA256(K, UTF-8(x)), 32 bytes."""
    return hmac.digest(_check_key(key), object_id.encode("utf-8"), "sha256")


def risk_leaf(object_id: str, risk_class: str, salt: bytes) -> bytes:
    """leaf_x = SHA-256("DR-2/risk-leaf" 0x00 ‖ lp(UTF-8(x)) ‖ lp(class) ‖ lp(salt_x))."""
    if risk_class not in _CLASSES:
        raise ValueError(f"risk class {risk_class!r} is not one of A, B, C, D")
    if len(salt) != 32:
        raise ValueError(f"a salt is 32 bytes, not {len(salt)}")
    message = TAG2_RISK_LEAF + lp(object_id.encode("utf-8")) + lp(risk_class.encode()) + lp(salt)
    return hashlib.sha256(message).digest()


def _pads(key: bytes) -> tuple[bytes, bytes]:
    """HMAC-SHA256's inner and outer pads (RFC 2104; a 32-byte key is padded
    with zeros to the 64-byte block): salt = SHA-256(opad ‖ SHA-256(ipad ‖ m)),
    which in CPython is faster than ``hmac.digest`` per message (a test checks
    the two agree)."""
    padded = _check_key(key).ljust(64, b"\x00")
    return bytes(b ^ 0x36 for b in padded), bytes(b ^ 0x5C for b in padded)


_CHUNK = 1 << 14  # leaves hashed per batch: an aligned complete subtree


def _batched(rows: Iterable[tuple[str, str]], size: int) -> Iterator[list[tuple[str, str]]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _leaf_hash_chunks(key: bytes, rows: Iterable[tuple[str, str]]) -> Iterator[list[bytes]]:
    """SHA-256(0x00 ‖ leaf_x) of every (id, class) row, in lists of up to _CHUNK,
    checking that the ids strictly increase."""
    ipad, opad = _pads(key)
    sha256, tag = hashlib.sha256, TAG2_RISK_LEAF
    classes = {c: lp(c.encode()) for c in _CLASSES}  # lp(UTF-8(class)), four values
    salt_length = (32).to_bytes(4, "big")
    previous: str | None = None
    for chunk in _batched(rows, _CHUNK):
        ids = [object_id for object_id, _ in chunk]
        if (previous is not None and ids[0] <= previous) or ids != sorted(set(ids)):
            before = [previous, *ids] if previous is not None else ids
            bad = next(b for a, b in pairwise(before) if b <= a)
            raise ValueError(f"risk rows: id {bad!r} does not follow the id before it")
        previous = ids[-1]
        written = [classes.get(c) for _, c in chunk]
        if None in written:
            object_id, risk_class = chunk[written.index(None)]
            raise ValueError(f"object {object_id!r}: risk class {risk_class!r} is not A-D")
        hashes = []
        for object_id, prefix in zip(ids, written, strict=True):
            raw = object_id.encode("utf-8")
            salt = sha256(opad + sha256(ipad + raw).digest()).digest()
            message = tag + len(raw).to_bytes(4, "big") + raw + prefix + salt_length + salt  # type: ignore[operator]
            hashes.append(sha256(b"\x00" + sha256(message).digest()).digest())
        yield hashes


def _leaf_hashes(key: bytes, rows: Iterable[tuple[str, str]]) -> list[bytes]:
    return [h for chunk in _leaf_hash_chunks(key, rows) for h in chunk]


@dataclass(frozen=True, slots=True)
class RiskCommitment:
    """What ``commitment.json`` carries as ``risk_commitment``."""

    root: str  # 64 lowercase hex digits
    leaves: int

    def __post_init__(self) -> None:
        digest_bytes(self.root)
        if self.leaves < 0:
            raise ValueError(f"a tree of {self.leaves} leaves")

    def as_json(self) -> dict[str, Any]:
        return {"root": self.root, "leaves": self.leaves}


def risk_commitment(key: bytes, rows: Iterable[tuple[str, str]]) -> RiskCommitment:
    """The root over ``rows`` = (object id, risk class) in strictly increasing id
    order, in O(log n) memory."""
    builder = TreeBuilder()
    for hashes in _leaf_hash_chunks(key, rows):
        if len(hashes) == _CHUNK:
            builder.append_subtree(root_from_hashes(hashes), _CHUNK)
        else:  # the last chunk
            for hashed in hashes:
                builder.append_hash(hashed)
    return RiskCommitment(builder.root().hex(), builder.size)


@dataclass(frozen=True, slots=True)
class RiskProof:
    """One object's opening of the risk commitment: its class, its salt and the
    audit path of its leaf (``dualrandom draw proof PLAN ID``)."""

    object_id: str
    risk_class: str
    salt: bytes
    index: int
    size: int
    path: tuple[bytes, ...]

    def __post_init__(self) -> None:
        risk_leaf(self.object_id, self.risk_class, self.salt)  # checks class and salt
        if not 0 <= self.index < self.size:
            raise ValueError(f"leaf index {self.index} is not in a tree of {self.size} leaves")
        if any(len(node) != 32 for node in self.path):
            raise ValueError("every node of an audit path is 32 bytes")

    @property
    def leaf(self) -> bytes:
        return risk_leaf(self.object_id, self.risk_class, self.salt)

    def verify(self, commitment: RiskCommitment) -> bool:
        """True when this opening belongs to ``commitment`` (take it from the
        published commitment, never from the proof's own file)."""
        return commitment.leaves == self.size and verify_inclusion(
            self.leaf, self.index, self.size, self.path, digest_bytes(commitment.root)
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "algorithm": DR2,
            "id": self.object_id,
            "risk_class": self.risk_class,
            "salt": self.salt.hex(),
            "index": self.index,
            "leaves": self.size,
            "path": [node.hex() for node in self.path],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RiskProof:
        """Inverse of :meth:`as_json`; ValueError for anything else."""
        if data.get("algorithm") != DR2 or set(data) != {
            "algorithm", "id", "risk_class", "salt", "index", "leaves", "path",
        }:  # fmt: skip
            raise ValueError(
                "not a DR-2 risk proof (algorithm, id, risk_class, salt, index, leaves, path)"
            )
        return cls(
            object_id=str(data["id"]),
            risk_class=str(data["risk_class"]),
            salt=digest_bytes(data["salt"]),
            index=int(data["index"]),
            size=int(data["leaves"]),
            path=tuple(digest_bytes(node) for node in data["path"]),
        )


class RiskTree:
    """The whole tree, kept to open it for any object (one leaf hash per object)."""

    def __init__(self, key: bytes, rows: Iterable[tuple[str, str]]) -> None:
        self._key = key
        materialised = list(rows)
        self._hashes = _leaf_hashes(key, materialised)
        self._index = {object_id: i for i, (object_id, _) in enumerate(materialised)}
        self._classes = [str(risk_class) for _, risk_class in materialised]

    @property
    def commitment(self) -> RiskCommitment:
        return RiskCommitment(root_from_hashes(self._hashes).hex(), len(self._hashes))

    def proof(self, object_id: str) -> RiskProof:
        """The opening for ``object_id``; LookupError if it is not in the tree."""
        index = self._index.get(object_id)
        if index is None:
            raise LookupError(f"object {object_id!r} is not in the risk commitment")
        return RiskProof(
            object_id=object_id,
            risk_class=self._classes[index],
            salt=risk_salt(self._key, object_id),
            index=index,
            size=len(self._hashes),
            path=inclusion_proof_from_hashes(self._hashes, index),
        )
