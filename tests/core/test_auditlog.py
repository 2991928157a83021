"""core/auditlog.py: checkpoints, consistency and inclusion, as an outside verifier runs them.

The log here is a list of made-up entries hashed with the pinned entry-hash
construction written out with hashlib (tests/test_audit.py pins it against
the database); the trees come from core/merkle.py, which
tests/core/test_merkle.py checks against RFC 9162 word for word.
"""

from __future__ import annotations

import hashlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dualrandom.core import auditlog, merkle
from dualrandom.core.auditlog import Checkpoint


def _hash(fields: dict[str, object]) -> str:
    content = json.dumps(
        {k: fields[k] for k in ("seq", "at", "actor", "action", "subject", "payload", "prev_hash")},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(b"dual-random/audit/v1\n" + content.encode()).hexdigest()


def _log(n: int) -> list[dict[str, object]]:
    entries: list[dict[str, object]] = []
    prev = "0" * 64
    for seq in range(1, n + 1):
        entry: dict[str, object] = {
            "seq": seq,
            "at": f"2027-01-04T09:00:{seq % 60:02d}.000000Z",
            "actor": "张三" if seq % 2 else "scheduler@host",
            "action": "draw.run" if seq == 5 else "task.state",
            "subject": f"2027-Q1#1/{seq}",
            "payload": json.dumps({"n": seq}),
            "prev_hash": prev,
        }
        entry["hash"] = prev = _hash(entry)
        entries.append(entry)
    return entries


def _checkpoint(entries: list[dict[str, object]], size: int) -> Checkpoint:
    leaves = [bytes.fromhex(str(e["hash"])) for e in entries[:size]]
    head = entries[size - 1]
    return Checkpoint(str(entries[0]["hash"]), size, merkle.root(leaves).hex(), str(head["hash"]), str(head["at"]))


def _tree(entries: list[dict[str, object]]) -> merkle.HashTree:
    return merkle.HashTree([merkle.leaf_hash(bytes.fromhex(str(e["hash"]))) for e in entries])


def test_entry_hash_is_the_pinned_construction() -> None:
    entry = _log(3)[2]
    fields = [entry[k] for k in ("seq", "at", "actor", "action", "subject", "payload", "prev_hash")]
    assert auditlog.entry_hash(*fields) == entry["hash"]  # type: ignore[arg-type]


def test_a_checkpoint_file_is_canonical_json_and_reads_back() -> None:
    checkpoint = _checkpoint(_log(7), 7)
    data = checkpoint.to_bytes()
    assert data.endswith(b"}\n") and b" " not in data
    document = json.loads(data)
    assert document["format"] == "dual-random/audit-checkpoint/v1"
    assert (document["size"], document["head"]) == (7, checkpoint.head)
    assert auditlog.read_checkpoint(data) == checkpoint
    wrapped = auditlog.checkpoint_link(checkpoint, None, ())
    assert auditlog.read_checkpoint(wrapped) == checkpoint


@pytest.mark.parametrize(
    "change",
    [
        {"size": 0},
        {"size": True},
        {"root": "AB" * 32},
        {"log": "00"},
        {"at": "2027-01-04 09:00:00"},
        {"format": "dual-random/audit-checkpoint/v0"},
    ],
)
def test_a_malformed_checkpoint_is_refused(change: dict[str, object]) -> None:
    document = _checkpoint(_log(3), 3).document() | change
    with pytest.raises(ValueError):
        auditlog.read_checkpoint(json.dumps(document).encode())


def test_every_prefix_is_consistent_with_every_longer_one() -> None:
    entries = _log(21)
    tree = _tree(entries)
    for m in range(1, 22):
        for n in range(m, 22):
            proof = tree.consistency_proof(m, n)
            older, newer = _checkpoint(entries, m), _checkpoint(entries, n)
            assert auditlog.inconsistency(older, newer, proof) is None, (m, n)


def test_a_rewound_log_is_named() -> None:
    entries = _log(10)
    problem = auditlog.inconsistency(_checkpoint(entries, 10), _checkpoint(entries, 8), ())
    assert problem is not None and problem.code == "checkpoint.rewound"
    assert "回退" in problem.reason and "rewound" in problem.reason_en


def test_a_log_rewritten_and_rehashed_after_an_entry_is_not_consistent() -> None:
    """The attack the chain alone cannot see: edit entry 4, re-hash everything after it."""
    entries = _log(12)
    older = _checkpoint(entries, 9)
    forged = _log(12)
    forged[3]["payload"] = json.dumps({"n": 400})
    prev = str(forged[2]["hash"])
    for entry in forged[3:]:
        entry["prev_hash"] = prev
        entry["hash"] = prev = _hash(entry)
    proof = _tree(forged).consistency_proof(9, 12)
    problem = auditlog.inconsistency(older, _checkpoint(forged, 12), proof)
    assert problem is not None and problem.code == "checkpoint.rewritten"


def test_a_checkpoint_of_another_log_is_named() -> None:
    ours, theirs = _log(6), _log(7)
    theirs[0]["actor"] = "someone else"
    theirs[0]["hash"] = _hash(theirs[0])
    problem = auditlog.inconsistency(_checkpoint(ours, 6), _checkpoint(theirs, 7), ())
    assert problem is not None and problem.code == "checkpoint.log"


def _inclusion(entries: list[dict[str, object]], seq: int, size: int) -> dict[str, object]:
    checkpoint = _checkpoint(entries, size)
    path = _tree(entries).inclusion_proof(seq - 1, size)
    document: dict[str, object] = json.loads(
        auditlog.inclusion_document(entries[seq - 1], checkpoint, path)
    )
    return document


def test_an_entry_is_proven_in_every_checkpoint_that_contains_it() -> None:
    entries = _log(13)
    for size in range(1, 14):
        checkpoint = _checkpoint(entries, size)
        for seq in range(1, size + 1):
            assert auditlog.inclusion_problem(checkpoint, _inclusion(entries, seq, size)) is None


@pytest.mark.parametrize(
    ("tamper", "code"),
    [
        (lambda d: d["entry"].update(payload='{"n":6}'), "inclusion.entry"),  # what the entry says
        (lambda d: d["entry"].update(seq=4), "inclusion.entry"),  # where it is
        (lambda d: d["path"].__setitem__(0, "00" * 32), "inclusion.path"),
        (lambda d: d.update(size=12), "inclusion.checkpoint"),
        (lambda d: d.pop("path"), "inclusion.format"),
    ],
)
def test_a_tampered_inclusion_proof_is_named(tamper: object, code: str) -> None:
    entries = _log(13)
    document = _inclusion(entries, 5, 13)
    tamper(document)  # type: ignore[operator]
    problem = auditlog.inclusion_problem(_checkpoint(entries, 13), document)
    assert problem is not None and problem.code == code


def test_an_entry_forged_with_a_matching_hash_is_not_in_the_tree() -> None:
    """A made-up entry that hashes correctly still has no path to the published root."""
    entries = _log(13)
    document = _inclusion(entries, 5, 13)
    forged = dict(document["entry"])  # type: ignore[call-overload]
    forged["payload"] = '{"result_digest":"forged"}'
    forged["hash"] = _hash(forged)
    document["entry"] = forged
    problem = auditlog.inclusion_problem(_checkpoint(entries, 13), document)
    assert problem is not None and problem.code == "inclusion.path"


@settings(max_examples=300, deadline=None)
@given(
    seq=st.integers(min_value=0, max_value=2**53),
    fields=st.lists(st.text(), min_size=6, max_size=6),
)
def test_the_entry_content_is_the_canonical_json_of_the_seven_fields(seq: int, fields: list[str]) -> None:
    at, actor, action, subject, payload, prev_hash = fields
    document = {
        "seq": seq, "at": at, "actor": actor, "action": action,
        "subject": subject, "payload": payload, "prev_hash": prev_hash,
    }  # fmt: skip
    expected = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert auditlog.entry_content(seq, at, actor, action, subject, payload, prev_hash) == expected


def test_a_time_is_written_in_utc_with_microseconds_whatever_its_zone() -> None:
    from datetime import datetime, timedelta, timezone

    beijing = timezone(timedelta(hours=8))
    assert auditlog.timestamp(datetime(2027, 1, 4, 9, 0, tzinfo=beijing)) == "2027-01-04T01:00:00.000000Z"
    assert auditlog.timestamp(datetime(2027, 1, 4, 1, 0, 0, 5)) == "2027-01-04T01:00:00.000005Z"


def _site(entries: list[dict[str, object]], sizes: list[int]) -> dict[str, bytes]:
    tree, files, previous = _tree(entries), {}, None
    for size in sizes:
        checkpoint = _checkpoint(entries, size)
        proof = tree.consistency_proof(previous.size, size) if previous else ()
        files[f"{size}.json"] = auditlog.checkpoint_link(checkpoint, previous, proof)
        previous = checkpoint
    return files


def test_a_sites_chain_of_checkpoints_checks_link_by_link() -> None:
    entries = _log(40)
    files = _site(entries, [3, 17, 18, 40])
    assert auditlog.site_chain_problems(files) == []
    forged = _log(40)
    forged[9]["subject"] = "rewritten"
    prev = str(forged[8]["hash"])
    for entry in forged[9:]:
        entry["prev_hash"] = prev
        entry["hash"] = prev = _hash(entry)
    rewritten = _site(forged, [17, 40])  # the operator republished from entry 10 on
    mixed = {"3.json": files["3.json"], "17.json": files["17.json"], "40.json": rewritten["40.json"]}
    assert [p.code for p in auditlog.site_chain_problems(mixed)] == ["checkpoint.link"]
    claimed = auditlog.checkpoint_link(  # … claiming the honest 17 as its previous one
        _checkpoint(forged, 40), _checkpoint(entries, 17), _tree(forged).consistency_proof(17, 40)
    )
    mixed["40.json"] = claimed
    assert [p.code for p in auditlog.site_chain_problems(mixed)] == ["checkpoint.rewritten"]
    del files["17.json"]
    assert [p.code for p in auditlog.site_chain_problems(files)] == ["checkpoint.link"]
    files["5.json"] = files["3.json"]
    assert "checkpoint.unreadable" in [p.code for p in auditlog.site_chain_problems(files)]
