"""Tickets and the seeded officer order (docs/SPEC.md §6 and §9.3).

A target ticket is the first 8 bytes, big-endian, of
SHA-256("DR-1/target" 0x00 ‖ seed ‖ UTF-8(id)). It depends only on the seed
and the id, so row order, database order and chunking cannot change a draw.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

from dualrandom.core.encoding import TAG_TARGET, TAG_TEAM
from dualrandom.core.table import Picked

__all__ = [
    "SEED_LENGTH",
    "OfficerOrder",
    "target_ticket",
    "target_tickets",
    "ticket_hex",
]

SEED_LENGTH = 32
_CHUNK = 1 << 16
_TWO64 = 1 << 64


def _check_seed(seed: bytes) -> bytes:
    if len(seed) != SEED_LENGTH:
        raise ValueError(f"a seed is {SEED_LENGTH} bytes, not {len(seed)}")
    return seed


def ticket_hex(ticket: int) -> str:
    """A ticket as exactly 16 lowercase hex digits (never truncated)."""
    return f"{ticket:016x}"


def target_ticket(seed: bytes, object_id: str) -> int:
    digest = hashlib.sha256(TAG_TARGET + _check_seed(seed) + object_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


def target_tickets(seed: bytes, ids: Sequence[str]) -> npt.NDArray[np.uint64]:
    """The target tickets of ``ids``, in the same order, as uint64.

    Measured fastest in CPython: one plain hash per id appended to a list
    (keeping hash objects alive, or ``copy()`` of a prefix state, is slower),
    then every fourth big-endian word of the joined 32-byte digests."""
    prefix = TAG_TARGET + _check_seed(seed)
    sha256 = hashlib.sha256
    tickets = np.empty(len(ids), dtype=np.uint64)
    # A chunk at a time, so that memory holds one chunk's digests, not a registry's.
    for start in range(0, len(ids), _CHUNK):
        digests: list[bytes] = []
        append = digests.append
        chunk = ids[start : start + _CHUNK]
        # Ids read from a table's UTF-8 buffer are hashed as they are stored.
        if isinstance(chunk, Picked):
            encoded: Iterable[bytes] = chunk.utf8()
        else:
            encoded = (object_id.encode("utf-8") for object_id in chunk)
        for utf8 in encoded:
            append(sha256(prefix + utf8).digest())
        words = np.frombuffer(b"".join(digests), dtype=">u8")[::4]
        tickets[start : start + len(digests)] = words
    return tickets


@functools.lru_cache(maxsize=4)
def _team_prefix(seed: bytes) -> bytes:
    """One bytes object for all the visits of a draw (a batch has tens of thousands)."""
    return TAG_TEAM + _check_seed(seed)


class OfficerOrder:
    """The seeded order of one visit's candidate officers: a Fisher–Yates
    shuffle of positions 0…n−1, generated lazily, driven by SHA-256 in
    counter mode with rejection sampling (no modulo bias).

    Word stream: block b = SHA-256("DR-1/team" 0x00 ‖ seed ‖ u64be(b) ‖
    UTF-8(object id)), each block read as four big-endian 64-bit words.
    Step t (0-based) draws j = t + uniform(n − t) and swaps positions t and
    j; the officer at position t is then fixed. uniform(m) takes words until
    one is below 2^64 − (2^64 mod m) and returns it mod m.
    """

    __slots__ = ("_block", "_digest", "_n", "_prefix", "_read", "_suffix", "_swaps", "order")

    def __init__(self, seed: bytes, object_id: str, n: int) -> None:
        self._prefix = _team_prefix(seed)
        self._suffix = object_id.encode("utf-8")
        self._n = n
        self._block = 0
        self._digest = b""  # the current block, and how many of its words are read:
        self._read = 4  # a batch stages tens of thousands of visits at once
        self._swaps: dict[int, int] = {}
        self.order: list[int] = []  # order[t] = candidate index at position t

    def __len__(self) -> int:
        return self._n

    def _word(self) -> int:
        if self._read == 4:
            self._digest = hashlib.sha256(
                self._prefix + self._block.to_bytes(8, "big") + self._suffix
            ).digest()
            self._block += 1
            self._read = 0
        start = 8 * self._read
        self._read += 1
        return int.from_bytes(self._digest[start : start + 8], "big")

    def _uniform(self, m: int) -> int:
        limit = _TWO64 - _TWO64 % m
        while True:
            word = self._word()
            if word < limit:
                return word % m

    def at(self, t: int) -> int | None:
        """The candidate index at position ``t``, or None past the end."""
        order = self.order
        while len(order) <= t:
            step = len(order)
            if step >= self._n:
                return None
            j = step + self._uniform(self._n - step)
            swaps = self._swaps
            chosen = swaps.get(j, j)
            # Position j now holds what was at position step; position step
            # is never read again, so it needs no entry.
            swaps[j] = swaps.get(step, step)
            order.append(chosen)
        return order[t]
