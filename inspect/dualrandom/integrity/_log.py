"""The log's own rules about draws (docs/AUDIT.md, "Invariants").

Every draw row has exactly one ``draw.prepare`` entry with its commitment
hash; attempt n > 1 exists only through a supersede of attempt n − 1 with a
reason, recorded in that entry; a drawn (or superseded) attempt has exactly
one ``draw.run`` entry, carrying the row's seed and result digest, and a
prepared (or withdrawn) one none; and the state the log implies is the
row's state (states only move forward: prepared → drawn → superseded;
prepared → withdrawn). So resetting a drawn plan to ``prepared`` and drawing
again, or deleting a draw and preparing it anew, cannot pass unnoticed.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualrandom.audit import ENTRY_COLUMNS, Finding, StoredEntry
from dualrandom.draws import DrawState
from dualrandom.tables import AuditEntryRow, DrawRow

__all__ = ["DRAW_ACTIONS", "DrawEntries", "draw_entries", "log_findings"]

DRAW_ACTIONS = ("draw.prepare", "draw.run", "draw.substitute")


@dataclass
class DrawEntries:
    """The log's entries about one attempt (subject ``plan#attempt``), in order."""

    prepares: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    runs: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    substitutions: list[tuple[int, dict[str, Any]]] = field(default_factory=list)


def draw_entries(session: Session) -> tuple[dict[str, DrawEntries], list[StoredEntry]]:
    """The draw entries by subject, and the entries themselves (whose hashes the
    caller checks: a check that trusts an entry must know it is the logged one)."""
    by_subject: dict[str, DrawEntries] = defaultdict(DrawEntries)
    stored: list[StoredEntry] = []
    query = (
        select(*ENTRY_COLUMNS)
        .where(AuditEntryRow.action.in_(DRAW_ACTIONS))
        .order_by(AuditEntryRow.seq)
    )
    for row in session.execute(query):
        entry = StoredEntry.from_row(row)
        stored.append(entry)
        seq, action, subject = entry.seq, entry.action, entry.subject
        try:
            details = json.loads(entry.payload)
        except ValueError:
            details = None
        target = by_subject[subject]
        kind = {"draw.prepare": target.prepares, "draw.run": target.runs}.get(
            action, target.substitutions
        )
        kind.append((seq, details if isinstance(details, dict) else {}))
    return dict(by_subject), stored


def _name(row: DrawRow) -> str:
    return f"{row.plan_id}#{row.attempt}"


def _finding(
    code: str, row: str, column: str, expected: object, found: object, zh: str, en: str
) -> Finding:
    return Finding(code, "draws", row, column, _text(expected), _text(found), zh, en)


def _text(value: object) -> str:
    return "" if value is None else str(value)


def log_findings(session: Session, logged: dict[str, DrawEntries]) -> list[Finding]:
    """Every draw row the log does not account for, and every draw entry without its row."""
    rows = list(session.scalars(select(DrawRow).order_by(DrawRow.plan_id, DrawRow.attempt)))
    by_name = {_name(r): r for r in rows}
    findings: list[Finding] = []
    for row in rows:
        entries = logged.get(_name(row), DrawEntries())
        findings += _prepared(row, entries, by_name)
        findings += _ran(row, entries)
        findings += _state(row, entries, logged)
    for subject in sorted(set(logged) - set(by_name)):
        seqs = [s for s, _ in logged[subject].prepares + logged[subject].runs]
        findings.append(
            _finding(
                "draw.row-missing",
                subject,
                "",
                f"entries {_seqs(seqs)}",
                "no row",
                "审计日志记录了这次抽取，但数据库中没有它：抽取记录被删除",
                "the audit log records this draw but the database has no row for it: the draw was deleted",
            )
        )
    return findings


def _seqs(seqs: Iterable[int]) -> str:
    return ", ".join(f"#{s}" for s in seqs)


def _prepared(row: DrawRow, entries: DrawEntries, by_name: dict[str, DrawRow]) -> list[Finding]:
    name = _name(row)
    if not entries.prepares:
        return [
            _finding(
                "draw.unlogged",
                name,
                "",
                "a draw.prepare entry",
                "none",
                "数据库中有这次抽取，审计日志中却没有它的 draw.prepare 记录",
                "the database has this draw but the audit log has no draw.prepare entry for it",
            )
        ]
    findings = []
    if len(entries.prepares) > 1:
        findings.append(
            _finding(
                "draw.prepared-twice",
                name,
                "",
                "1 draw.prepare entry",
                _seqs(s for s, _ in entries.prepares),
                "同一次抽取在审计日志中被准备了不止一次：抽取被删除后重新准备",
                "the same attempt was prepared more than once: the draw was deleted and prepared again",
            )
        )
    seq, details = entries.prepares[-1]
    if details.get("commitment_hash") != row.commitment_hash:
        findings.append(
            _finding(
                "draw.commitment",
                name,
                "commitment_hash",
                details.get("commitment_hash"),
                row.commitment_hash,
                f"承诺哈希与审计日志第 {seq} 条不同",
                f"the commitment hash differs from audit entry {seq}",
            )
        )
    return findings + _superseded(row, seq, details, by_name)


def _superseded(
    row: DrawRow, seq: int, details: dict[str, Any], by_name: dict[str, DrawRow]
) -> list[Finding]:
    """Attempt n > 1 only through a recorded supersede of attempt n − 1, with a reason."""
    name, supersedes = _name(row), details.get("supersedes")
    earlier = by_name.get(f"{row.plan_id}#{row.attempt - 1}")
    if row.attempt == 1:
        ok = supersedes is None and row.supersedes_id is None
        expected: object = "nothing superseded"
    else:
        ok = (
            isinstance(supersedes, dict)
            and supersedes.get("attempt") == row.attempt - 1
            and isinstance(supersedes.get("reason"), str)
            and bool(supersedes["reason"].strip())
            and supersedes["reason"] == row.supersede_reason
            and earlier is not None
            and row.supersedes_id == earlier.id
        )
        expected = f"supersedes attempt {row.attempt - 1} with a reason"
    if ok:
        return []
    return [
        _finding(
            "draw.supersede",
            name,
            "supersedes",
            expected,
            json.dumps(supersedes, ensure_ascii=False)
            + f" (row: supersedes_id {row.supersedes_id})",
            f"重新抽取未经记录的作废程序（审计日志第 {seq} 条）：须以 --supersede --reason 作废前一次抽取",
            f"a re-draw without a recorded supersede (audit entry {seq}): only --supersede --reason may replace the earlier attempt",
        )
    ]


def _ran(row: DrawRow, entries: DrawEntries) -> list[Finding]:
    name, runs = _name(row), entries.runs
    drawn = row.state in (DrawState.DRAWN, DrawState.SUPERSEDED)
    if len(runs) > 1:
        return [
            _finding(
                "draw.run-twice",
                name,
                "",
                "1 draw.run entry",
                _seqs(s for s, _ in runs),
                "同一次抽取被抽取了不止一次：抽取被重置后重新运行，没有作废记录",
                "the same attempt was drawn more than once: it was reset and run again without a supersede",
            )
        ]
    if not runs:
        if not drawn:
            return []
        return [
            _finding(
                "draw.run-unlogged",
                name,
                "state",
                "prepared (no draw.run entry)",
                row.state,
                "数据库显示已抽取，审计日志中却没有 draw.run 记录",
                "the database says drawn but the audit log has no draw.run entry",
            )
        ]
    seq, details = runs[0]
    findings = []
    for column, logged, stored in (
        ("result_digest", details.get("result_digest"), row.result_digest),
        ("seed", details.get("seed"), row.seed),
    ):
        if logged != stored:
            findings.append(
                _finding(
                    f"draw.{column.replace('_', '-')}",
                    name,
                    column,
                    logged,
                    stored,
                    f"与审计日志第 {seq} 条（draw.run）记录的不同",
                    f"differs from what audit entry {seq} (draw.run) recorded",
                )
            )
    return findings


def _state(row: DrawRow, entries: DrawEntries, logged: dict[str, DrawEntries]) -> list[Finding]:
    """The state the log implies against the row's: states only move forward."""
    later = logged.get(f"{row.plan_id}#{row.attempt + 1}", DrawEntries())
    if entries.runs:
        expected = DrawState.SUPERSEDED if later.runs else DrawState.DRAWN
    else:
        expected = DrawState.WITHDRAWN if later.prepares else DrawState.PREPARED
    if row.state == expected:
        return []
    return [
        _finding(
            "draw.state",
            _name(row),
            "state",
            str(expected),
            row.state,
            f"抽取状态与审计日志不符（状态只能向前：已承诺 → 已抽取 → 已作废）；按日志应为 {expected}",
            f"the draw's state contradicts the audit log (states only move forward); the log says {expected}",
        )
    ]
