"""Merkle trees as RFC 9162 (Certificate Transparency 2.0) §2.1 defines them.

Leaves are arbitrary byte strings. With ``D[n] = (d0, …, d(n−1))``:

    MTH({})    = SHA-256()                                   (the empty string)
    MTH({d0})  = SHA-256(0x00 ‖ d0)                          (leaf hash)
    MTH(D[n])  = SHA-256(0x01 ‖ MTH(D[0:k]) ‖ MTH(D[k:n]))   k = largest power of 2 < n

plus inclusion proofs (§2.1.3) and consistency proofs (§2.1.4) and the
verification algorithms the RFC gives for both. Used by DR-2's risk-class
commitment (docs/SPEC.md §18) and by the audit log's checkpoints; nothing
here knows what the leaves mean.

The root is computed level by level (pair neighbours, carry an odd last node
up unchanged), which builds exactly the RFC's tree: the left subtree of
every node is the largest complete tree that fits, and each level's last
odd node is the right edge of that shape.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

__all__ = [
    "EMPTY_ROOT",
    "HashTree",
    "TreeBuilder",
    "consistency_proof",
    "consistency_proof_from_hashes",
    "inclusion_proof",
    "inclusion_proof_from_hashes",
    "leaf_hash",
    "node_hash",
    "root",
    "root_from_hashes",
    "verify_consistency",
    "verify_inclusion",
]

EMPTY_ROOT = hashlib.sha256(b"").digest()
_LEAF, _NODE = b"\x00", b"\x01"


def leaf_hash(leaf: bytes) -> bytes:
    """SHA-256(0x00 ‖ leaf)."""
    return hashlib.sha256(_LEAF + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 ‖ left ‖ right)."""
    return hashlib.sha256(_NODE + left + right).digest()


def _largest_power_below(n: int) -> int:
    """The largest power of two strictly less than ``n`` (n ≥ 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def root_from_hashes(hashes: Sequence[bytes]) -> bytes:
    """MTH of the leaves whose leaf hashes are ``hashes`` (32 bytes each)."""
    if not hashes:
        return EMPTY_ROOT
    sha256 = hashlib.sha256
    level = list(hashes)
    while len(level) > 1:
        paired = [
            sha256(_NODE + left + right).digest()
            for left, right in zip(level[0::2], level[1::2], strict=False)
        ]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def root(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of the leaves (RFC 9162 §2.1.1)."""
    sha256 = hashlib.sha256
    return root_from_hashes([sha256(_LEAF + leaf).digest() for leaf in leaves])


class TreeBuilder:
    """MTH of leaves appended one at a time, in O(log n) memory (an append-only log).

    It keeps the roots of the complete subtrees the leaves so far form (one
    per 1-bit of the size, largest first); the tree's root folds them from
    the right, which is RFC 9162's MTH because each left subtree is the
    largest power of two that fits."""

    __slots__ = ("_sizes", "_stack")

    def __init__(self) -> None:
        self._stack: list[bytes] = []
        self._sizes: list[int] = []

    @property
    def size(self) -> int:
        return sum(self._sizes)

    def append(self, leaf: bytes) -> None:
        self.append_hash(leaf_hash(leaf))

    def append_hash(self, hashed: bytes) -> None:
        """Append a leaf given by its leaf hash SHA-256(0x00 ‖ leaf)."""
        self.append_subtree(hashed, 1)

    def append_subtree(self, subtree_root: bytes, size: int) -> None:
        """Append ``size`` leaves at once by the MTH of a complete subtree of theirs:
        ``size`` a power of two and the tree's size so far a multiple of it (an
        aligned block of leaves is a subtree of the RFC tree)."""
        if size < 1 or size & (size - 1) or self.size % size:
            raise ValueError(f"{size} leaves after {self.size} are not an aligned complete subtree")
        stack, sizes = self._stack, self._sizes
        stack.append(subtree_root)
        sizes.append(size)
        while len(sizes) > 1 and sizes[-1] == sizes[-2]:
            right = stack.pop()
            stack[-1] = hashlib.sha256(_NODE + stack[-1] + right).digest()
            sizes.pop()
            sizes[-1] *= 2

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        top = self._stack[-1]
        for left in reversed(self._stack[:-1]):
            top = node_hash(left, top)
        return top


# MTH of the leaves [start, end) of a tree: how the proofs below read the tree.
Subtree = Callable[[int, int], bytes]


def _subtrees_of(hashes: Sequence[bytes]) -> Subtree:
    """Subtree roots recomputed from the leaf hashes, each time it is asked for."""
    return lambda start, end: root_from_hashes(hashes[start:end]) if end > start else EMPTY_ROOT


def _path(subtree: Subtree, m: int, start: int, end: int) -> list[bytes]:
    """PATH(m, D[start:end]) (RFC 9162 §2.1.3.1), leaf end first."""
    n = end - start
    if n == 1:
        return []
    k = _largest_power_below(n)
    if m < k:
        return [*_path(subtree, m, start, start + k), subtree(start + k, end)]
    return [*_path(subtree, m - k, start + k, end), subtree(start, start + k)]


def inclusion_proof(leaves: Sequence[bytes], index: int) -> tuple[bytes, ...]:
    """The audit path of leaf ``index`` in the tree of ``leaves`` (RFC 9162 §2.1.3.1)."""
    return inclusion_proof_from_hashes([leaf_hash(leaf) for leaf in leaves], index)


def inclusion_proof_from_hashes(hashes: Sequence[bytes], index: int) -> tuple[bytes, ...]:
    """:func:`inclusion_proof` for a caller that keeps the leaf hashes."""
    return _inclusion(_subtrees_of(hashes), index, len(hashes))


def _inclusion(subtree: Subtree, index: int, size: int) -> tuple[bytes, ...]:
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not in a tree of {size} leaves")
    return tuple(_path(subtree, index, 0, size))


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], expected_root: bytes
) -> bool:
    """True when ``proof`` shows ``leaf`` at ``index`` in the tree of ``size`` leaves
    whose root is ``expected_root`` (RFC 9162 §2.1.3.2, step by step)."""
    if not 0 <= index < size or any(len(p) != 32 for p in proof):
        return False
    fn, sn = index, size - 1
    r = leaf_hash(leaf)
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == expected_root


def _subproof(subtree: Subtree, m: int, start: int, end: int, whole: bool) -> list[bytes]:
    """SUBPROOF(m, D[start:end], b) of RFC 9162 §2.1.4.1."""
    n = end - start
    if m == n:
        return [] if whole else [subtree(start, end)]
    k = _largest_power_below(n)
    if m <= k:
        return [*_subproof(subtree, m, start, start + k, whole), subtree(start + k, end)]
    return [*_subproof(subtree, m - k, start + k, end, False), subtree(start, start + k)]


def consistency_proof(leaves: Sequence[bytes], m: int) -> tuple[bytes, ...]:
    """PROOF(m, D[n]): that the tree of the first ``m`` leaves is a prefix of the
    tree of all ``n`` leaves (RFC 9162 §2.1.4.1). Empty when m = 0 or m = n."""
    return consistency_proof_from_hashes([leaf_hash(leaf) for leaf in leaves], m)


def consistency_proof_from_hashes(hashes: Sequence[bytes], m: int) -> tuple[bytes, ...]:
    """:func:`consistency_proof` for a caller that keeps the leaf hashes."""
    return _consistency(_subtrees_of(hashes), m, len(hashes))


def _consistency(subtree: Subtree, m: int, n: int) -> tuple[bytes, ...]:
    if not 0 <= m <= n:
        raise ValueError(f"a consistency proof needs 0 <= m <= n, not m = {m}, n = {n}")
    if m in (0, n):
        return ()
    return tuple(_subproof(subtree, m, 0, n, True))


def verify_consistency(
    first_size: int,
    second_size: int,
    first_root: bytes,
    second_root: bytes,
    proof: Sequence[bytes],
) -> bool:
    """True when ``proof`` shows the tree of ``first_size`` leaves with ``first_root``
    is a prefix of the tree of ``second_size`` leaves with ``second_root``
    (RFC 9162 §2.1.4.2, step by step)."""
    if not 0 <= first_size <= second_size or any(len(p) != 32 for p in proof):
        return False
    if first_size == second_size:
        return not proof and first_root == second_root
    if first_size == 0:
        return not proof and first_root == EMPTY_ROOT  # a prefix of every tree
    if not proof:
        return False
    path = list(proof)
    if first_size & (first_size - 1) == 0:  # a power of two: the first root starts the path
        path.insert(0, first_root)
    fn, sn = first_size - 1, second_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0


class HashTree:
    """The tree of a growing list of leaf hashes, with the root of every aligned
    complete subtree kept (level ``j`` holds the roots of the leaves
    ``[i·2^j, (i+1)·2^j)``), so the root of any prefix, and any inclusion or
    consistency proof in it, costs O(log² n) hashes instead of O(n): an
    append-only log asked for proofs of many entries (the audit log's
    checkpoints and bundles). Proofs and roots are exactly those of the
    functions above; only the work is shared."""

    __slots__ = ("_levels",)

    def __init__(self, hashes: Sequence[bytes] = ()) -> None:
        self._levels: list[list[bytes]] = [[]]
        self.extend(hashes)

    @property
    def size(self) -> int:
        return len(self._levels[0])

    def extend(self, hashes: Sequence[bytes]) -> None:
        """Append leaves given by their leaf hashes SHA-256(0x00 ‖ leaf)."""
        sha256, levels = hashlib.sha256, self._levels
        levels[0].extend(hashes)
        below = levels[0]
        for j in range(1, len(below).bit_length()):
            if j == len(levels):
                levels.append([])
            level = levels[j]
            for i in range(2 * len(level), len(below) - 1, 2):
                level.append(sha256(_NODE + below[i] + below[i + 1]).digest())
            below = level

    def leaf(self, index: int) -> bytes:
        """The leaf hash at ``index``."""
        return self._levels[0][index]

    def _subtree(self, start: int, end: int) -> bytes:
        n = end - start
        if n <= 0:
            return EMPTY_ROOT
        if n & (n - 1) == 0 and start % n == 0:
            j = n.bit_length() - 1
            return self._levels[j][start >> j]
        k = _largest_power_below(n)
        return node_hash(self._subtree(start, start + k), self._subtree(start + k, end))

    def _size(self, size: int | None) -> int:
        if size is None:
            return self.size
        if not 0 <= size <= self.size:
            raise ValueError(f"a tree of {self.size} leaves has no prefix of {size}")
        return size

    def root(self, size: int | None = None) -> bytes:
        """MTH of the first ``size`` leaves (all of them by default)."""
        return self._subtree(0, self._size(size))

    def inclusion_proof(self, index: int, size: int | None = None) -> tuple[bytes, ...]:
        """PATH(index, D[0:size])."""
        return _inclusion(self._subtree, index, self._size(size))

    def consistency_proof(self, m: int, size: int | None = None) -> tuple[bytes, ...]:
        """PROOF(m, D[0:size])."""
        return _consistency(self._subtree, m, self._size(size))
