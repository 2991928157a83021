"""core/merkle.py against RFC 9162 §2.1, written out naively here.

The naive functions below follow the RFC's recursive definitions word for
word (MTH, PATH, SUBPROOF) and share nothing with the module under test;
the roots of sizes 1–8 are also checked against the Certificate
Transparency reference values (the RFC 6962 reference test data).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import pytest

from dualrandom.core import merkle


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def k_of(n: int) -> int:
    """The largest power of two smaller than n (n > 1), by counting up."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(leaves: Sequence[bytes]) -> bytes:
    if not leaves:
        return sha(b"")
    if len(leaves) == 1:
        return sha(b"\x00" + leaves[0])
    k = k_of(len(leaves))
    return sha(b"\x01" + mth(leaves[:k]) + mth(leaves[k:]))


def path(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    if len(leaves) == 1:
        return []
    k = k_of(len(leaves))
    if m < k:
        return [*path(m, leaves[:k]), mth(leaves[k:])]
    return [*path(m - k, leaves[k:]), mth(leaves[:k])]


def subproof(m: int, leaves: Sequence[bytes], b: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if b else [mth(leaves)]
    k = k_of(n)
    if m <= k:
        return [*subproof(m, leaves[:k], b), mth(leaves[k:])]
    return [*subproof(m - k, leaves[k:], False), mth(leaves[:k])]


# RFC 6962 reference inputs and the roots of their first 1…8 (CT reference implementation).
CT_LEAVES = [
    bytes.fromhex(x)
    for x in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
CT_ROOTS = (
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
)

LEAVES = [f"leaf {i}".encode() for i in range(21)]
SIZES = range(1, 21)


def test_roots_of_the_ct_reference_trees() -> None:
    assert merkle.root([]) == sha(b"") == merkle.EMPTY_ROOT
    for n in range(1, 9):
        assert merkle.root(CT_LEAVES[:n]).hex() == CT_ROOTS[n - 1] == mth(CT_LEAVES[:n]).hex()


@pytest.mark.parametrize("n", range(0, 21))
def test_root_is_the_recursive_mth(n: int) -> None:
    assert merkle.root(LEAVES[:n]) == mth(LEAVES[:n])
    hashes = [merkle.leaf_hash(leaf) for leaf in LEAVES[:n]]
    assert merkle.root_from_hashes(hashes) == mth(LEAVES[:n])


@pytest.mark.parametrize("n", SIZES)
def test_inclusion_proofs_are_the_rfc_path_and_verify(n: int) -> None:
    leaves, top = LEAVES[:n], mth(LEAVES[:n])
    for m in range(n):
        proof = merkle.inclusion_proof(leaves, m)
        assert list(proof) == path(m, leaves)
        assert merkle.verify_inclusion(leaves[m], m, n, proof, top)


@pytest.mark.parametrize("n", SIZES)
def test_tampered_inclusion_proofs_are_rejected(n: int) -> None:
    leaves, top = LEAVES[:n], mth(LEAVES[:n])
    for m in range(n):
        proof = list(merkle.inclusion_proof(leaves, m))
        verify = merkle.verify_inclusion
        assert not verify(b"another leaf", m, n, proof, top)
        assert not verify(leaves[m], m, n, proof, sha(b"another root"))
        assert not verify(leaves[m], m, n, [*proof, sha(b"x")], top)
        if n > 1:
            assert not verify(leaves[m], (m + 1) % n, n, proof, top)
            assert not verify(leaves[m], m, n, proof[:-1], top)
        for i in range(len(proof)):
            bent = proof.copy()
            bent[i] = bytes([bent[i][0] ^ 1]) + bent[i][1:]
            assert not verify(leaves[m], m, n, bent, top)
        assert not verify(leaves[m], n, n, proof, top)
        assert not verify(leaves[m], -1, n, proof, top)


def test_inclusion_proof_of_a_missing_index_is_refused() -> None:
    with pytest.raises(ValueError, match="not in a tree of 3"):
        merkle.inclusion_proof(LEAVES[:3], 3)


@pytest.mark.parametrize("n", range(0, 21))
def test_consistency_proofs_are_the_rfc_subproof_and_verify(n: int) -> None:
    leaves = LEAVES[:n]
    for m in range(n + 1):
        proof = merkle.consistency_proof(leaves, m)
        expected = [] if m in (0, n) else subproof(m, leaves, True)
        assert list(proof) == expected
        assert merkle.verify_consistency(m, n, mth(leaves[:m]), mth(leaves), proof)


@pytest.mark.parametrize("n", range(2, 21))
def test_tampered_consistency_proofs_are_rejected(n: int) -> None:
    leaves = LEAVES[:n]
    for m in range(1, n):
        proof = list(merkle.consistency_proof(leaves, m))
        old, new = mth(leaves[:m]), mth(leaves)
        verify = merkle.verify_consistency
        rewritten = [*leaves[: m - 1], b"rewritten", *leaves[m:]]
        assert not verify(m, n, old, mth(rewritten), proof)
        assert not verify(m, n, old, new, [])
        assert not verify(m, n, old, new, [*proof, sha(b"x")])
        assert not verify(m, n, old, new, proof[:-1])
        assert not verify(n, m, new, old, proof)
        for i in range(len(proof)):
            bent = proof.copy()
            bent[i] = bytes([bent[i][0] ^ 1]) + bent[i][1:]
            assert not verify(m, n, old, new, bent)
    assert not merkle.verify_consistency(n, n, mth(leaves), mth(leaves[:-1]), [])
    assert not merkle.verify_consistency(0, n, sha(b"not empty"), mth(leaves), [])


def test_consistency_proof_sizes_are_checked() -> None:
    with pytest.raises(ValueError, match="0 <= m <= n"):
        merkle.consistency_proof(LEAVES[:3], 4)


def test_tree_builder_gives_the_mth_after_every_append() -> None:
    builder = merkle.TreeBuilder()
    assert builder.root() == mth([]) and builder.size == 0
    for n in range(1, 21):
        builder.append(LEAVES[n - 1])
        assert builder.root() == mth(LEAVES[:n])
        assert builder.size == n


def test_tree_builder_takes_aligned_complete_subtrees() -> None:
    builder = merkle.TreeBuilder()
    builder.append_subtree(mth(LEAVES[:8]), 8)
    builder.append_subtree(mth(LEAVES[8:12]), 4)
    builder.append(LEAVES[12])
    assert builder.root() == mth(LEAVES[:13]) and builder.size == 13
    with pytest.raises(ValueError, match="aligned"):
        builder.append_subtree(mth(LEAVES[13:15]), 2)
    with pytest.raises(ValueError, match="aligned"):
        merkle.TreeBuilder().append_subtree(mth(LEAVES[:3]), 3)


@pytest.mark.parametrize("size", [*range(0, 34), 63, 64, 65, 100])
def test_hash_tree_roots_and_proofs_are_the_rfc_ones_for_every_prefix(size: int) -> None:
    """HashTree keeps subtree roots to share work; its answers are the naive RFC ones
    for every prefix, whether it was built at once or grown leaf by leaf."""
    leaves = [bytes([i % 256, i // 256]) for i in range(size)]
    hashes = [merkle.leaf_hash(leaf) for leaf in leaves]
    whole, grown = merkle.HashTree(hashes), merkle.HashTree()
    for h in hashes:
        grown.extend([h])
    for tree in (whole, grown):
        assert tree.size == size
        for n in range(size + 1):
            assert tree.root(n) == mth(leaves[:n])
            for m in range(n + 1):
                expected = [] if m in (0, n) else subproof(m, leaves[:n], True)
                assert list(tree.consistency_proof(m, n)) == expected
        for index in range(size):
            assert list(tree.inclusion_proof(index)) == path(index, leaves)
            assert tree.leaf(index) == hashes[index]
    with pytest.raises(ValueError):
        whole.root(size + 1)
