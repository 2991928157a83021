"""The audit log's hashes, checkpoints and proofs, as pure functions (docs/AUDIT.md).

**Entry hash.** Each entry is hashed with the previous entry's hash, so the
entries form a chain:

    hash = SHA-256("dual-random/audit/v1\\n" ‖ canonical JSON of
                   {seq, at, actor, action, subject, payload, prev_hash})

``at`` as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (UTC), ``payload`` the canonical
JSON text of the entry's details, the first entry's ``prev_hash`` 64 zeros.

**Merkle tree.** The entries are also the leaves of an RFC 9162 tree
(:mod:`dualrandom.core.merkle`): the leaf of entry ``seq`` is the 32 bytes of
its hash, at index ``seq − 1``. A **checkpoint** names one prefix of the log:

    {"format": "dual-random/audit-checkpoint/v1", "log": <hash of entry 1>,
     "size": N, "root": <MTH of the first N leaves>, "head": <hash of entry N>,
     "at": <time of entry N>}

as canonical JSON and one LF. A checkpoint is a function of the first N
entries alone, so anyone holding the log can recompute it byte for byte.
Two checkpoints of one log are **consistent** when the older is a prefix of
the newer (an RFC 9162 consistency proof shows it from the two roots alone);
a bundle shows its draw's entry is in the log by an **inclusion proof**.

Everything here is what an outside verifier re-implements: no database, no
files, no clock.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from json.encoder import encode_basestring as _quoted  # json.dumps' own string encoder
from typing import Any

from dualrandom.core.encoding import canonical_json
from dualrandom.core.merkle import verify_consistency, verify_inclusion

__all__ = [
    "CHECKPOINT_FORMAT",
    "ENTRY_FIELDS",
    "GENESIS",
    "INCLUSION_FORMAT",
    "Checkpoint",
    "LogProblem",
    "checkpoint_link",
    "entry_content",
    "entry_hash",
    "inclusion_document",
    "inclusion_problem",
    "inconsistency",
    "read_checkpoint",
    "site_chain_problems",
    "timestamp",
]

GENESIS = "0" * 64
ENTRY_TAG = b"dual-random/audit/v1\n"
CHECKPOINT_FORMAT = "dual-random/audit-checkpoint/v1"
INCLUSION_FORMAT = "dual-random/audit-inclusion/v1"
ENTRY_FIELDS = ("seq", "at", "actor", "action", "subject", "payload", "prev_hash", "hash")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_AT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


def timestamp(at: datetime) -> str:
    """An entry's time as the hash takes it: UTC, microseconds, ``Z``
    (``YYYY-MM-DDTHH:MM:SS.ffffffZ``)."""
    if at.tzinfo is not None:  # SQLite returns naive UTC, PostgreSQL an aware time
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds") + "Z"


def entry_content(
    seq: int, at: str, actor: str, action: str, subject: str, payload: str, prev_hash: str
) -> str:
    """The canonical JSON of an entry's seven fields, the text its hash is taken of.

    ``canonical_json({"seq": seq, "at": at, …})`` written out with its keys in
    sorted order: the same string (a test checks it), several times faster —
    ``audit verify`` hashes every entry of a log of millions."""
    if isinstance(seq, bool) or not isinstance(seq, int):
        raise ValueError(f"entry seq {seq!r} is not a whole number")
    return (
        f'{{"action":{_quoted(action)},"actor":{_quoted(actor)},"at":{_quoted(at)},'
        f'"payload":{_quoted(payload)},"prev_hash":{_quoted(prev_hash)},"seq":{seq},'
        f'"subject":{_quoted(subject)}}}'
    )


def entry_hash(
    seq: int, at: str, actor: str, action: str, subject: str, payload: str, prev_hash: str
) -> str:
    """The hash of one entry (hex), ``at`` as :func:`timestamp` writes it."""
    content = entry_content(seq, at, actor, action, subject, payload, prev_hash)
    return hashlib.sha256(ENTRY_TAG + content.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class LogProblem:
    """Why a checkpoint, a proof or an entry does not hold: a stable ``code``
    and the reason in Chinese and in English."""

    code: str
    reason: str
    reason_en: str


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """One prefix of the log: its first ``size`` entries (see the module docstring)."""

    log: str
    size: int
    root: str
    head: str
    at: str

    def __post_init__(self) -> None:
        for name in ("log", "root", "head"):
            if not _HEX64.fullmatch(getattr(self, name)):
                raise ValueError(f"checkpoint {name} {getattr(self, name)!r} is not 64 hex digits")
        if isinstance(self.size, bool) or not isinstance(self.size, int) or self.size < 1:
            raise ValueError(f"checkpoint size {self.size!r} is not a whole number of at least 1")
        if not _AT.fullmatch(self.at):
            raise ValueError(f"checkpoint time {self.at!r} is not YYYY-MM-DDTHH:MM:SS.ffffffZ")
        if self.size == 1 and self.head != self.log:
            raise ValueError("a checkpoint of one entry has that entry as log id and head")

    def document(self) -> dict[str, Any]:
        return {
            "format": CHECKPOINT_FORMAT,
            "log": self.log,
            "size": self.size,
            "root": self.root,
            "head": self.head,
            "at": self.at,
        }

    def to_bytes(self) -> bytes:
        """The checkpoint file: canonical JSON and one LF."""
        return (canonical_json(self.document()) + "\n").encode("utf-8")

    @classmethod
    def from_document(cls, document: Any) -> Checkpoint:
        """A checkpoint from its JSON object; ValueError says what is wrong."""
        if not isinstance(document, dict) or document.get("format") != CHECKPOINT_FORMAT:
            raise ValueError(f'not a checkpoint: no "format": "{CHECKPOINT_FORMAT}"')
        missing = [k for k in ("log", "size", "root", "head", "at") if k not in document]
        if missing:
            raise ValueError(f"checkpoint without {', '.join(missing)}")
        return cls(
            document["log"], document["size"], document["root"], document["head"], document["at"]
        )


def read_checkpoint(data: bytes) -> Checkpoint:
    """A checkpoint from a file's bytes: a bundle's or the site's ``checkpoint.json``
    or a site's ``audit/checkpoints/<size>.json`` (which wraps it with its proof)."""
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not JSON: {exc}") from None
    if isinstance(document, dict) and "checkpoint" in document:
        document = document["checkpoint"]
    return Checkpoint.from_document(document)


def checkpoint_link(
    checkpoint: Checkpoint, previous: Checkpoint | None, proof: Sequence[bytes]
) -> bytes:
    """A site's ``audit/checkpoints/<size>.json``: the checkpoint, the one published
    before it (size and root) and the consistency proof from that one to it."""
    document = {
        "checkpoint": checkpoint.document(),
        "previous": None if previous is None else {"size": previous.size, "root": previous.root},
        "proof": [p.hex() for p in proof],
    }
    return (canonical_json(document) + "\n").encode("utf-8")


def _hexes(values: Any, what: str) -> list[bytes]:
    if not isinstance(values, list) or not all(
        isinstance(v, str) and _HEX64.fullmatch(v) for v in values
    ):
        raise ValueError(f"{what} is not a list of 64-hex-digit hashes")
    return [bytes.fromhex(v) for v in values]


def inconsistency(
    older: Checkpoint, newer: Checkpoint, proof: Sequence[bytes]
) -> LogProblem | None:
    """Why ``newer`` does not extend ``older`` (None: it does). ``proof`` is the
    RFC 9162 consistency proof from ``older.size`` to ``newer.size``."""
    if older.log != newer.log:
        return LogProblem(
            "checkpoint.log",
            f"两个检查点属于不同的日志（{older.log[:16]}… 与 {newer.log[:16]}…）：日志自第 1 条起被改写，或文件不属于本系统",
            f"the checkpoints are of different logs ({older.log[:16]}… and {newer.log[:16]}…): "
            "the log was rewritten from its first entry, or the file is not this installation's",
        )
    if newer.size < older.size:
        return LogProblem(
            "checkpoint.rewound",
            f"日志被回退：已公开的检查点有 {older.size} 条，现在只有 {newer.size} 条",
            f"the log was rewound: a published checkpoint has {older.size} entries, now there are {newer.size}",
        )
    first, second = bytes.fromhex(older.root), bytes.fromhex(newer.root)
    if not verify_consistency(older.size, newer.size, first, second, proof):
        return LogProblem(
            "checkpoint.rewritten",
            f"日志被改写：前 {older.size} 条的根哈希与已公开的检查点不一致",
            f"the log was rewritten: its first {older.size} entries no longer have the published root",
        )
    return None


def inclusion_document(
    entry: Mapping[str, Any], checkpoint: Checkpoint, path: Sequence[bytes]
) -> bytes:
    """A bundle's ``inclusion.json``: one entry, whole, and its audit path in the
    tree of ``checkpoint`` (RFC 9162 §2.1.3)."""
    document = {
        "format": INCLUSION_FORMAT,
        "entry": {name: entry[name] for name in ENTRY_FIELDS},
        "size": checkpoint.size,
        "root": checkpoint.root,
        "path": [p.hex() for p in path],
    }
    return (canonical_json(document) + "\n").encode("utf-8")


def inclusion_problem(checkpoint: Checkpoint, document: Any) -> LogProblem | None:
    """Why ``document`` (a parsed ``inclusion.json``) does not show its entry in the
    log of ``checkpoint`` (None: it does). The entry's hash is recomputed from
    its fields, so what the entry says (action, subject, payload) is proven."""
    try:
        if not isinstance(document, dict) or document.get("format") != INCLUSION_FORMAT:
            raise ValueError(f'no "format": "{INCLUSION_FORMAT}"')
        entry = document["entry"]
        fields = [entry[name] for name in ENTRY_FIELDS]
        path = _hexes(document["path"], "path")
        size, root = document["size"], document["root"]
    except (KeyError, TypeError, ValueError) as exc:
        return LogProblem(
            "inclusion.format",
            f"inclusion.json 格式不对：{exc}",
            f"inclusion.json is malformed: {exc}",
        )
    seq, at, actor, action, subject, payload, prev_hash, claimed = fields
    if (size, root) != (checkpoint.size, checkpoint.root):
        return LogProblem(
            "inclusion.checkpoint",
            "inclusion.json 针对的不是这个检查点（条数或根哈希不同）",
            "inclusion.json is a proof in another tree than the checkpoint's (size or root differ)",
        )
    if (
        not isinstance(seq, int)
        or isinstance(seq, bool)
        or not all(isinstance(v, str) for v in fields[1:])
    ):
        return LogProblem(
            "inclusion.format", "日志条目的字段类型不对", "the entry's fields have wrong types"
        )
    if entry_hash(seq, at, actor, action, subject, payload, prev_hash) != claimed:
        return LogProblem(
            "inclusion.entry",
            f"第 {seq} 条日志的内容与其哈希不符",
            f"entry {seq}: its content does not give its hash",
        )
    if not verify_inclusion(bytes.fromhex(claimed), seq - 1, size, path, bytes.fromhex(root)):
        return LogProblem(
            "inclusion.path",
            f"第 {seq} 条日志不在检查点（{size} 条，根哈希 {root[:16]}…）的树中",
            f"entry {seq} is not in the tree of the checkpoint ({size} entries, root {root[:16]}…)",
        )
    return None


def site_chain_problems(files: Mapping[str, bytes]) -> list[LogProblem]:
    """Every break in a site's chain of checkpoints: ``files`` maps the names of
    its ``audit/checkpoints/<size>.json`` files to their bytes. Each must read,
    be named by its size, link to the file before it (``previous``) and carry a
    consistency proof from that one (None for the first); all name one log."""
    problems: list[LogProblem] = []
    read: list[tuple[Checkpoint, Any, list[bytes]]] = []
    for name, data in files.items():
        try:
            document = json.loads(data.decode("utf-8"))
            checkpoint = Checkpoint.from_document(document["checkpoint"])
            proof = _hexes(document["proof"], "proof")
            if name != f"{checkpoint.size}.json":
                raise ValueError(f"it holds the checkpoint of size {checkpoint.size}")
            read.append((checkpoint, document["previous"], proof))
        except (UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
            problems.append(
                LogProblem("checkpoint.unreadable", f"{name} 无法读取：{exc}", f"{name} cannot be read: {exc}")
            )
    read.sort(key=lambda r: r[0].size)
    before: Checkpoint | None = None
    for checkpoint, previous, proof in read:
        named = None if before is None else {"size": before.size, "root": before.root}
        if previous != named:
            problems.append(
                LogProblem(
                    "checkpoint.link",
                    f"{checkpoint.size}.json 所指的前一检查点不是其前一个文件",
                    f"{checkpoint.size}.json does not name the checkpoint before it as its previous one",
                )
            )
        elif before is not None:
            problem = inconsistency(before, checkpoint, proof)
            if problem is not None:
                problems.append(problem)
        before = checkpoint
    return problems
