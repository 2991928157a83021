"""The log's Merkle tree, its checkpoints and proofs, read from the stored entries.

The tree is over the entries' stored hashes in ``seq`` order (leaf ``i`` is
entry ``i + 1`` when the chain is intact; the chain walk says when it is
not). It is built once per session and extended as the session appends, so a
publication that anchors fifty bundles reads the log once.

The **current checkpoint** is the log up to its last entry that is not a
publication (``publish.site``): publishing twice with nothing else in
between writes the same checkpoint, so the site stays byte for byte the
same, and each publication records the checkpoint it carried in its own
entry (``payload.checkpoint``). A publication's entry is covered by the
next checkpoint that follows any other entry.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dualrandom.audit._chain import ENTRY_COLUMNS, StoredEntry
from dualrandom.core.auditlog import Checkpoint, inclusion_document
from dualrandom.core.merkle import HashTree, leaf_hash
from dualrandom.errors import IntegrityError
from dualrandom.tables import AuditEntryRow, DrawRow

__all__ = [
    "PUBLISH_ACTION",
    "bundle_anchor",
    "checkpoint_at",
    "consistency_proof",
    "current_checkpoint",
    "log_tree",
    "publishable_size",
]

PUBLISH_ACTION = "publish.site"
_CACHE = "dualrandom.audit.tree"


class LogTree:
    """The tree of the stored entries, and their seqs in order (a leaf's position
    is the seq's index here: the same number while the chain is intact)."""

    __slots__ = ("seqs", "tree")

    def __init__(self) -> None:
        self.tree = HashTree()
        self.seqs = array("q")

    def extend(self, rows: list[tuple[int, str]]) -> None:
        self.tree.extend([leaf_hash(bytes.fromhex(hashed)) for _, hashed in rows])
        self.seqs.extend(seq for seq, _ in rows)

    @property
    def size(self) -> int:
        return self.tree.size

    @property
    def last_seq(self) -> int:
        return self.seqs[-1] if self.seqs else 0

    def position(self, seq: int) -> int:
        """How many entries have a seq up to ``seq``: the 1-based position of that entry."""
        return bisect_right(self.seqs, seq)


def log_tree(session: Session) -> LogTree:
    """The tree of every stored entry, kept in the session and extended by the
    entries appended since it was built (the log changes no other way)."""
    cached = session.info.get(_CACHE)
    tree = cached if isinstance(cached, LogTree) else LogTree()
    last = session.scalar(select(func.max(AuditEntryRow.seq))) or 0
    if last < tree.last_seq:
        tree = LogTree()  # entries were removed in this session: read the log again
    query = (
        select(AuditEntryRow.seq, AuditEntryRow.hash)
        .where(AuditEntryRow.seq > tree.last_seq)
        .order_by(AuditEntryRow.seq)
    )
    tree.extend([(seq, hashed) for seq, hashed in session.execute(query)])
    session.info[_CACHE] = tree
    return tree


def publishable_size(session: Session) -> int:
    """How many entries the current checkpoint covers: up to the last entry that
    is not a publication (0 when there is none)."""
    last = session.scalar(
        select(AuditEntryRow.seq)
        .where(AuditEntryRow.action != PUBLISH_ACTION)
        .order_by(AuditEntryRow.seq.desc())
        .limit(1)
    )
    return log_tree(session).position(last) if last else 0


def _entry_at(session: Session, position: int) -> StoredEntry:
    """The stored entry at 1-based ``position`` in seq order."""
    seq = log_tree(session).seqs[position - 1]
    query = select(*ENTRY_COLUMNS).where(AuditEntryRow.seq == seq)
    return StoredEntry.from_row(session.execute(query).one())


def checkpoint_at(session: Session, size: int) -> Checkpoint:
    """The checkpoint of the first ``size`` stored entries (1 ≤ size ≤ the log's)."""
    tree = log_tree(session)
    if not 1 <= size <= tree.size:
        raise IntegrityError(
            f"审计日志只有 {tree.size} 条，没有前 {size} 条的检查点",
            f"the audit log has {tree.size} entries: there is no checkpoint of its first {size}",
        )
    first, head = _entry_at(session, 1), _entry_at(session, size)
    return Checkpoint(first.hash, size, tree.tree.root(size).hex(), head.hash, head.at)


def current_checkpoint(session: Session) -> Checkpoint | None:
    """The checkpoint a publication or an exported bundle carries now (None while
    the log holds nothing but publications)."""
    size = publishable_size(session)
    return checkpoint_at(session, size) if size else None


def consistency_proof(session: Session, older: int, newer: int) -> tuple[bytes, ...]:
    """The RFC 9162 proof that the first ``older`` entries are a prefix of the first ``newer``."""
    tree = log_tree(session)
    if not 1 <= older <= newer <= tree.size:
        raise IntegrityError(
            f"无法证明前 {older} 条与前 {newer} 条一致：须 1 ≤ {older} ≤ {newer} ≤ {tree.size}",
            f"no consistency proof from {older} to {newer} entries: needs 1 <= from <= to <= {tree.size}",
        )
    return tree.tree.consistency_proof(older, newer)


def _run_entry(session: Session, draw: DrawRow) -> tuple[int, StoredEntry]:
    subject = f"{draw.plan_id}#{draw.attempt}"
    seqs = list(
        session.scalars(
            select(AuditEntryRow.seq).where(
                AuditEntryRow.action == "draw.run", AuditEntryRow.subject == subject
            )
        )
    )
    if len(seqs) != 1:
        raise IntegrityError(
            f"抽取 {subject} 在审计日志中有 {len(seqs)} 条 draw.run 记录（应恰有 1 条）；"
            "请运行 dualrandom audit verify",
            f"draw {subject} has {len(seqs)} draw.run entries in the audit log (exactly one "
            "expected); run 'dualrandom audit verify'",
        )
    position = log_tree(session).position(seqs[0])
    return position, _entry_at(session, position)


def bundle_anchor(session: Session, draw: DrawRow) -> dict[str, bytes]:
    """The files that anchor a bundle in the log: ``checkpoint.json`` (the current
    checkpoint) and ``inclusion.json`` (the draw's ``draw.run`` entry, whole, and
    its RFC 9162 audit path in that checkpoint's tree)."""
    checkpoint = current_checkpoint(session)
    position, entry = _run_entry(session, draw)
    if checkpoint is None or position > checkpoint.size:
        raise IntegrityError(
            f"抽取 {draw.plan_id}#{draw.attempt} 的 draw.run 记录不在当前检查点内",
            f"the draw.run entry of {draw.plan_id}#{draw.attempt} is not in the current checkpoint",
        )
    path = log_tree(session).tree.inclusion_proof(position - 1, checkpoint.size)
    fields: dict[str, Any] = entry.fields()
    return {
        "checkpoint.json": checkpoint.to_bytes(),
        "inclusion.json": inclusion_document(fields, checkpoint, path),
    }
