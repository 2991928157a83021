"""Appending to the hash chain, and walking it.

The log is only ever appended to, inside the caller's transaction, so an
entry exists exactly when the change it records was committed. The hash of
an entry is :func:`dualrandom.core.auditlog.entry_hash`; altering, removing
or inserting an entry breaks the chain at that point, which :func:`verify`
reports.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from dualrandom.audit._actors import actor_name
from dualrandom.audit._findings import Finding
from dualrandom.core.auditlog import GENESIS, entry_hash, timestamp
from dualrandom.core.encoding import canonical_json
from dualrandom.tables import AuditEntryRow

__all__ = [
    "ENTRY_COLUMNS",
    "ChainReport",
    "StoredEntry",
    "altered",
    "append",
    "chain_findings",
    "stored_entries",
    "verify",
]

_APPEND_LOCK_SPACE = 0x44524131  # "DRA1": the audit log's advisory locks, one per schema
ENTRY_COLUMNS = (
    AuditEntryRow.seq,
    AuditEntryRow.at,
    AuditEntryRow.actor,
    AuditEntryRow.action,
    AuditEntryRow.subject,
    AuditEntryRow.payload,
    AuditEntryRow.prev_hash,
    AuditEntryRow.hash,
)


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


# The last entry's number and hash, all an append needs of it (built once).
_LAST = select(AuditEntryRow.seq, AuditEntryRow.hash).order_by(AuditEntryRow.seq.desc()).limit(1)


def append(
    session: Session,
    action: str,
    subject: str,
    payload: Mapping[str, Any],
    *,
    actor: str,
    at: datetime | None = None,
) -> AuditEntryRow:
    """Append one entry to the chain in the caller's transaction, in the name of
    ``actor`` (whoever did it: the resolved operator, the console's signed-in
    user, ``scheduler@<host>``; see docs/AUDIT.md)."""
    who = actor_name(actor)
    _one_appender_at_a_time(session)
    last = session.execute(_LAST).first()
    seq, prev = (last.seq + 1, last.hash) if last else (1, GENESIS)
    when = (at or datetime.now(UTC)).astimezone(UTC)
    body = canonical_json(dict(payload))
    entry = AuditEntryRow(
        seq=seq,
        at=when,
        actor=who,
        action=action,
        subject=subject,
        payload=body,
        prev_hash=prev,
        hash=entry_hash(seq, timestamp(when), who, action, subject, body, prev),
    )
    session.add(entry)
    session.flush()  # an append that read a stale last entry fails on the primary key
    return entry


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """One entry as stored, ``at`` as the hash takes it (a plain tuple per row:
    a million ORM objects would cost seconds)."""

    seq: int
    at: str
    actor: str
    action: str
    subject: str
    payload: str
    prev_hash: str
    hash: str

    def computed_hash(self) -> str:
        return entry_hash(
            self.seq, self.at, self.actor, self.action, self.subject, self.payload, self.prev_hash
        )

    def fields(self) -> dict[str, Any]:
        """The entry as ``inclusion.json`` gives it."""
        return {name: getattr(self, name) for name in StoredEntry.__slots__}

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> StoredEntry:
        """From a row of ``select(*ENTRY_COLUMNS)``."""
        seq, at, actor, action, subject, payload, prev_hash, hashed = row
        return cls(seq, timestamp(at), actor, action, subject, payload, prev_hash, hashed)


def stored_entries(session: Session, *, after: int = 0) -> Generator[StoredEntry, None, None]:
    """Every entry with ``seq > after``, in order."""
    query = select(*ENTRY_COLUMNS).where(AuditEntryRow.seq > after).order_by(AuditEntryRow.seq)
    rows = session.execute(query.execution_options(yield_per=20_000))
    try:
        for row in rows:
            yield StoredEntry.from_row(row)
    finally:
        rows.close()  # PostgreSQL: a server-side cursor, also when the caller stops early


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
    with closing(stored_entries(session)) as entries:
        for entry in entries:
            count += 1
            problem = chain_problem(entry, expected_seq, prev)
            if problem:
                return ChainReport(count, entry.seq, problem)
            prev, expected_seq = entry.hash, expected_seq + 1
    return ChainReport(count, None, "intact")


def chain_problem(entry: StoredEntry, expected_seq: int, prev: str) -> str | None:
    """What is wrong with ``entry`` where entry ``expected_seq`` following hash
    ``prev`` should be (English; the findings carry the Chinese)."""
    if entry.seq != expected_seq:
        return f"entry {expected_seq} is missing (found {entry.seq} next)"
    if entry.prev_hash != prev:
        return (
            f"entry {entry.seq} does not follow entry {entry.seq - 1} (removed or inserted entry)"
        )
    if entry.computed_hash() != entry.hash:
        return f"entry {entry.seq} was altered (its content no longer matches its hash)"
    return None


def altered(entry: StoredEntry) -> Finding | None:
    """The finding of an entry whose content does not give its stored hash."""
    computed = entry.computed_hash()
    if computed == entry.hash:
        return None
    return Finding(
        "chain.altered",
        "audit_log",
        f"entry {entry.seq}",
        "hash",
        computed,
        entry.hash,
        "内容被修改：与其哈希不符",
        "was altered: its content does not give its hash",
    )


def chain_findings(session: Session, *, start: int = 0) -> list[Finding]:
    """Every break of the chain, each on its own: an entry whose content does not
    give its hash, one that does not follow the entry before it, a missing seq.
    From entry ``start`` on (that entry itself only as the link), when given."""
    findings: list[Finding] = []
    prev, expected_seq = GENESIS, 1
    for entry in stored_entries(session, after=max(start - 1, 0)):
        if start and entry.seq <= start:  # the link to what follows, checked elsewhere
            prev, expected_seq = entry.hash, entry.seq + 1
            continue
        where = f"entry {entry.seq}"
        if entry.seq != expected_seq:
            findings.append(
                Finding(
                    "chain.missing",
                    "audit_log",
                    where,
                    "seq",
                    str(expected_seq),
                    str(entry.seq),
                    f"第 {expected_seq} 条起的日志缺失（其后是第 {entry.seq} 条）",
                    f"entries from {expected_seq} are missing (entry {entry.seq} comes next)",
                )
            )
        if entry.prev_hash != prev:
            findings.append(
                Finding(
                    "chain.link",
                    "audit_log",
                    where,
                    "prev_hash",
                    prev,
                    entry.prev_hash,
                    "与前一条不衔接：日志中有条目被删除、插入或改写",
                    "does not follow the entry before it: an entry was removed, inserted or rewritten",
                )
            )
        changed = altered(entry)
        if changed is not None:
            findings.append(changed)
        prev, expected_seq = entry.hash, entry.seq + 1
    return findings
