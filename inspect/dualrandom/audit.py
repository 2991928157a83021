"""The append-only, hash-chained audit log (全程留痕、可追溯).

Each entry stores the hash of the previous entry and its own hash:

    hash = SHA-256("dual-random/audit/v1\\n" ‖ canonical JSON of
                   {seq, at, actor, action, subject, payload, prev_hash})

with the first entry's ``prev_hash`` = 64 zeros. Altering, removing or
inserting any entry breaks the chain at that point, which :func:`verify`
reports. The log is only ever appended to, inside the caller's transaction,
so an entry exists exactly when the change it records was committed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select, text
from sqlalchemy.orm import Session

from dualrandom.core.encoding import canonical_json
from dualrandom.tables import AuditEntryRow

__all__ = ["GENESIS", "ChainReport", "Page", "append", "distinct_values", "entries", "verify"]

GENESIS = "0" * 64
_TAG = b"dual-random/audit/v1\n"
_APPEND_LOCK_SPACE = 0x44524131  # "DRA1": the audit log's advisory locks, one per schema


def _entry_hash(
    seq: int, at: str, actor: str, action: str, subject: str, payload: str, prev: str
) -> str:
    content = canonical_json(
        {
            "seq": seq,
            "at": at,
            "actor": actor,
            "action": action,
            "subject": subject,
            "payload": payload,
            "prev_hash": prev,
        }
    )
    return hashlib.sha256(_TAG + content.encode("utf-8")).hexdigest()


def _timestamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _one_appender_at_a_time(session: Session) -> None:
    """PostgreSQL: wait until no other transaction holds this schema's append
    lock, and hold it until this one ends. A READ COMMITTED transaction then
    reads the entry the previous appender committed; one reading a snapshot
    taken earlier (REPEATABLE READ) is serialised by its caller — the
    scheduler's lock — or fails whole on the primary key, never forking the
    chain. SQLite needs nothing: it has one writer at a time (BEGIN IMMEDIATE)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:space, hashtext(current_schema()))"),
            {"space": _APPEND_LOCK_SPACE},
        )


def append(
    session: Session,
    action: str,
    subject: str,
    payload: Mapping[str, Any],
    *,
    actor: str = "cli",
    at: datetime | None = None,
) -> AuditEntryRow:
    """Append one entry to the chain in the caller's transaction."""
    _one_appender_at_a_time(session)
    last = session.scalars(select(AuditEntryRow).order_by(AuditEntryRow.seq.desc()).limit(1)).first()
    seq, prev = (last.seq + 1, last.hash) if last else (1, GENESIS)
    when = (at or datetime.now(UTC)).astimezone(UTC)
    body = canonical_json(dict(payload))
    entry = AuditEntryRow(
        seq=seq,
        at=when,
        actor=actor,
        action=action,
        subject=subject,
        payload=body,
        prev_hash=prev,
        hash=_entry_hash(seq, _timestamp(when), actor, action, subject, body, prev),
    )
    session.add(entry)
    session.flush()  # an append that read a stale last entry fails on the primary key
    return entry


@dataclass(frozen=True, slots=True)
class ChainReport:
    entries: int
    first_bad_seq: int | None
    reason: str

    @property
    def ok(self) -> bool:
        return self.first_bad_seq is None


def verify(session: Session) -> ChainReport:
    """Walk the chain; report the first entry that was altered, removed or inserted."""
    prev, expected_seq, count = GENESIS, 1, 0
    for entry in session.scalars(select(AuditEntryRow).order_by(AuditEntryRow.seq)):
        count += 1
        if entry.seq != expected_seq:
            return ChainReport(
                count, entry.seq, f"entry {expected_seq} is missing (found {entry.seq} next)"
            )
        if entry.prev_hash != prev:
            return ChainReport(
                count,
                entry.seq,
                f"entry {entry.seq} does not follow entry {entry.seq - 1} (removed or inserted entry)",
            )
        actual = _entry_hash(
            entry.seq,
            _timestamp(entry.at if entry.at.tzinfo else entry.at.replace(tzinfo=UTC)),
            entry.actor,
            entry.action,
            entry.subject,
            entry.payload,
            entry.prev_hash,
        )
        if actual != entry.hash:
            return ChainReport(
                count,
                entry.seq,
                f"entry {entry.seq} was altered (its content no longer matches its hash)",
            )
        prev, expected_seq = entry.hash, expected_seq + 1
    return ChainReport(count, None, "intact")


@dataclass(frozen=True, slots=True)
class Page:
    """A page of entries, newest first, and how many entries match in all."""

    total: int
    entries: list[AuditEntryRow]


def entries(
    session: Session,
    *,
    actor: str | None = None,
    action: str | None = None,
    subject: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    offset: int = 0,
    limit: int = 100,
) -> Page:
    """Entries by who did what: ``actor`` exactly, ``action`` and ``subject`` as
    prefixes (``draw.`` matches every draw step, a plan id every entry about that
    plan), ``since`` inclusive and ``until`` exclusive; newest first."""
    where: list[ColumnElement[bool]] = []
    if actor:
        where.append(AuditEntryRow.actor == actor)
    if action:
        where.append(AuditEntryRow.action.startswith(action, autoescape=True))
    if subject:
        where.append(AuditEntryRow.subject.startswith(subject, autoescape=True))
    if since is not None:
        where.append(AuditEntryRow.at >= since)
    if until is not None:
        where.append(AuditEntryRow.at < until)
    total = session.scalar(select(func.count()).select_from(AuditEntryRow).where(*where)) or 0
    query = (
        select(AuditEntryRow)
        .where(*where)
        .order_by(AuditEntryRow.seq.desc())
        .offset(offset)
        .limit(limit)
    )
    return Page(int(total), list(session.scalars(query)))


def distinct_values(session: Session, column: str) -> list[str]:
    """The distinct actors or actions in the log, sorted: what a filter may offer."""
    field = {"actor": AuditEntryRow.actor, "action": AuditEntryRow.action}[column]
    return sorted(session.scalars(select(field).distinct()))
