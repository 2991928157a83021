"""The DR-2 risk-class commitment (SPEC §18): salts, leaves, root and openings.

The expected root is computed here from the SPEC text with hmac, hashlib and
the recursive RFC 9162 definition of tests/core/test_merkle.py."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import replace

import pytest

from dualrandom.core.risk import RiskCommitment, RiskProof, RiskTree, risk_commitment
from tests.core.test_merkle import mth
from tests.core.vector_inputs import OBJECTS

KEY = bytes(range(64, 96))
ROWS = sorted((o.id, str(o.risk_class)) for o in OBJECTS)


def lp(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


def spec_leaf(key: bytes, object_id: str, risk_class: str) -> bytes:
    salt = hmac.new(key, object_id.encode(), "sha256").digest()
    message = b"DR-2/risk-leaf\x00" + lp(object_id.encode()) + lp(risk_class.encode()) + lp(salt)
    return hashlib.sha256(message).digest()


def test_root_is_the_rfc_tree_of_the_salted_leaves() -> None:
    expected = mth([spec_leaf(KEY, i, c) for i, c in ROWS]).hex()
    assert risk_commitment(KEY, ROWS) == RiskCommitment(expected, len(ROWS))
    assert RiskTree(KEY, ROWS).commitment == RiskCommitment(expected, len(ROWS))
    assert risk_commitment(KEY, []) == RiskCommitment(hashlib.sha256().hexdigest(), 0)


def test_root_binds_every_class_and_the_key() -> None:
    root = risk_commitment(KEY, ROWS).root
    assert risk_commitment(bytes(32), ROWS).root != root
    for n, (object_id, risk_class) in enumerate(ROWS):
        other = "A" if risk_class != "A" else "B"
        changed = [*ROWS[:n], (object_id, other), *ROWS[n + 1 :]]
        assert risk_commitment(KEY, changed).root != root


def test_every_object_can_open_its_own_leaf_and_nothing_else() -> None:
    tree = RiskTree(KEY, ROWS)
    commitment = tree.commitment
    for object_id, risk_class in ROWS:
        proof = tree.proof(object_id)
        assert proof.risk_class == risk_class
        assert proof.verify(commitment)
        assert RiskProof.from_json(json.loads(json.dumps(proof.as_json()))) == proof
        other = "D" if risk_class != "D" else "C"
        assert not replace(proof, risk_class=other).verify(commitment)
        assert not replace(proof, salt=bytes(32)).verify(commitment)
        assert not replace(proof, index=(proof.index + 1) % proof.size).verify(commitment)
        assert not replace(proof, object_id=proof.object_id + "x").verify(commitment)
        assert not proof.verify(RiskCommitment(commitment.root, commitment.leaves + 1))
        assert not proof.verify(risk_commitment(bytes(32), ROWS))
    with pytest.raises(LookupError, match="not in the risk commitment"):
        tree.proof("no such id")


def test_bad_rows_keys_and_proofs_are_refused() -> None:
    with pytest.raises(ValueError, match="does not follow"):
        risk_commitment(KEY, list(reversed(ROWS)))
    with pytest.raises(ValueError, match="does not follow"):
        risk_commitment(KEY, [ROWS[0], ROWS[0]])
    with pytest.raises(ValueError, match="A-D"):
        risk_commitment(KEY, [("X", "E")])
    with pytest.raises(ValueError, match="32 bytes"):
        risk_commitment(KEY[:16], ROWS)
    proof = RiskTree(KEY, ROWS).proof(ROWS[0][0]).as_json()
    with pytest.raises(ValueError, match="not a DR-2 risk proof"):
        RiskProof.from_json({**proof, "root": "00" * 32})
    with pytest.raises(ValueError, match="64 lowercase hex"):
        RiskProof.from_json({**proof, "salt": "00"})
    with pytest.raises(ValueError, match="not in a tree"):
        RiskProof.from_json({**proof, "index": len(ROWS)})


def test_salts_are_hmac_sha256_of_the_id() -> None:
    from dualrandom.core.risk import risk_salt

    for object_id, _ in ROWS:
        assert risk_salt(KEY, object_id) == hmac.new(KEY, object_id.encode(), "sha256").digest()


def test_a_registry_of_several_chunks_gives_the_same_root() -> None:
    """Past 16,384 leaves the root is built from aligned complete subtrees."""
    from dualrandom.core import merkle

    rows = [(f"X{n:06d}", "ABCD"[n % 4]) for n in range(40_000)]
    expected = merkle.root([spec_leaf(KEY, i, c) for i, c in rows]).hex()
    assert risk_commitment(KEY, rows) == RiskCommitment(expected, len(rows))
    with pytest.raises(ValueError, match=r"X019999.* does not follow"):
        risk_commitment(KEY, [*rows[:20_000], rows[19_999], *rows[20_000:]])
