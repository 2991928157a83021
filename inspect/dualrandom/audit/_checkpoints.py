"""The log against its published checkpoints: the anchors outside the database.

A checkpoint found anywhere — on the site (``audit/checkpoint.json``,
``audit/checkpoints/<size>.json``), in a bundle, in a file someone kept —
must name a prefix of this log: same log id, and the first ``size`` stored
entries must give its root and head. A log with fewer entries was
**rewound**; one whose prefix gives another root was **rewritten** behind
the checkpoint.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from dualrandom.audit._findings import Finding
from dualrandom.audit._tree import checkpoint_at, log_tree
from dualrandom.core.auditlog import Checkpoint, read_checkpoint

__all__ = [
    "CHECKPOINTS_DIR",
    "CHECKPOINT_FILE",
    "Anchor",
    "anchor_findings",
    "read_anchors",
    "site_checkpoint_files",
]

CHECKPOINT_FILE = "audit/checkpoint.json"
CHECKPOINTS_DIR = "audit/checkpoints"


@dataclass(frozen=True, slots=True)
class Anchor:
    """A checkpoint and where it was found."""

    source: str
    checkpoint: Checkpoint


def site_checkpoint_files(site: Path) -> list[Path]:
    """The checkpoint files a published site holds, the newest first."""
    folder = site / CHECKPOINTS_DIR
    kept = sorted(folder.glob("*.json"), key=lambda p: (len(p.stem), p.stem), reverse=True)
    latest = site / CHECKPOINT_FILE
    return ([latest] if latest.is_file() else []) + [p for p in kept if p.is_file()]


def read_anchors(paths: Iterable[Path]) -> tuple[list[Anchor], list[Finding]]:
    """The checkpoints in ``paths``; a file that is not one is a finding (a kept
    checkpoint that cannot be read proves nothing, and says someone touched it)."""
    anchors: list[Anchor] = []
    findings: list[Finding] = []
    for path in paths:
        try:
            anchors.append(Anchor(str(path), read_checkpoint(path.read_bytes())))
        except (OSError, ValueError) as exc:
            findings.append(
                Finding(
                    "checkpoint.unreadable",
                    str(path),
                    "",
                    "",
                    "",
                    "",
                    f"不是可读的审计日志检查点：{exc}",
                    f"not a readable audit-log checkpoint: {exc}",
                )
            )
    return anchors, findings


def anchor_findings(session: Session, anchors: Sequence[Anchor]) -> list[Finding]:
    """Every checkpoint in ``anchors`` that the stored log contradicts."""
    size = log_tree(session).size
    findings: list[Finding] = []
    for anchor in anchors:
        kept = anchor.checkpoint
        if kept.size > size:
            findings.append(
                _finding(
                    anchor,
                    "checkpoint.rewound",
                    "size",
                    str(kept.size),
                    str(size),
                    f"日志被回退：检查点记录了 {kept.size} 条，数据库中只有 {size} 条",
                    f"the log was rewound: the checkpoint has {kept.size} entries, the database {size}",
                )
            )
            continue
        ours = checkpoint_at(session, kept.size)
        for column, theirs, mine, zh, en in (
            (
                "log",
                kept.log,
                ours.log,
                "日志自第 1 条起被改写（或该检查点属于另一系统）",
                "the log was rewritten from entry 1 (or the checkpoint is another installation's)",
            ),
            (
                "root",
                kept.root,
                ours.root,
                f"日志被改写：前 {kept.size} 条的根哈希与检查点不同",
                f"the log was rewritten: its first {kept.size} entries give another root",
            ),
            (
                "head",
                kept.head,
                ours.head,
                f"日志被改写：第 {kept.size} 条的哈希与检查点不同",
                f"the log was rewritten: entry {kept.size} has another hash",
            ),
            (
                "at",
                kept.at,
                ours.at,
                f"第 {kept.size} 条的时间与检查点不同",
                f"entry {kept.size} has another time than the checkpoint says",
            ),
        ):
            if theirs != mine:
                code = "checkpoint.log" if column == "log" else "checkpoint.rewritten"
                findings.append(_finding(anchor, code, column, theirs, mine, zh, en))
    return findings


def _finding(
    anchor: Anchor, code: str, column: str, expected: str, found: str, zh: str, en: str
) -> Finding:
    return Finding(
        code, anchor.source, f"size {anchor.checkpoint.size}", column, expected, found, zh, en
    )
