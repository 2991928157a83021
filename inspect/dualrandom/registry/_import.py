"""Importing one registry file as a new version, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dualrandom import audit
from dualrandom.core.model import DepartmentRecord
from dualrandom.errors import NotFoundError
from dualrandom.models import Department, RegistryVersion
from dualrandom.registry._batches import Batch
from dualrandom.registry._columns import COLUMNS, REGISTRY_KINDS
from dualrandom.registry._read import Progress, check_file, context_for
from dualrandom.registry._source import Source, open_source
from dualrandom.registry._store import Counts, VersionWriter, larger_page_cache
from dualrandom.registry.snapshot import registry_digest

__all__ = ["ImportSummary", "import_registry"]


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """What one import did; also the payload of its audit entry."""

    kind: str
    number: int
    mode: str  # full | partial
    source_name: str
    source_sha256: str
    encoding: str
    rows_in_file: int
    added: int
    changed: int
    gone: int
    total: int
    digest: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def import_registry(
    session: Session,
    kind: str,
    path: Path,
    *,
    today: date,
    partial: bool = False,
    progress: Progress | None = None,
    at: datetime | None = None,
) -> ImportSummary:
    """Check ``path`` and store it as the next version of the ``kind`` registry.

    ``today`` is the date the import happens (an establishment date after it
    is an error). A full import marks every object missing from the file as
    gone; ``partial`` only adds or updates the rows given. Departments are
    simply added or updated. Raises ValidationError with every problem in the
    file, having written nothing the caller's transaction will keep.
    """
    if kind not in REGISTRY_KINDS:
        raise NotFoundError(f"unknown registry {kind!r}; one of: {', '.join(REGISTRY_KINDS)}")
    source = open_source(path)
    number = _next_number(session, kind)
    with larger_page_cache(session):
        if kind == "departments":
            rows, counts = _import_departments(session, source, today, progress)
        else:
            rows, counts = _import_versioned(
                session, kind, number, source, today, partial, progress
            )
        if progress is not None:
            progress("hashing", 0, 0)
        digest = registry_digest(session, kind)
    summary = ImportSummary(
        kind=kind,
        number=number,
        mode="partial" if partial else "full",
        source_name=source.name,
        source_sha256=source.sha256,
        encoding=source.encoding,
        rows_in_file=rows,
        added=counts.added,
        changed=counts.changed,
        gone=counts.gone,
        total=counts.total,
        digest=digest,
    )
    _record(session, summary, at or datetime.now(UTC))
    return summary


def _next_number(session: Session, kind: str) -> int:
    latest = session.scalar(
        select(func.max(RegistryVersion.number)).where(RegistryVersion.kind == kind)
    )
    return (latest or 0) + 1


def _import_versioned(
    session: Session,
    kind: str,
    number: int,
    source: Source,
    today: date,
    partial: bool,
    progress: Progress | None,
) -> tuple[int, Counts]:
    writer = VersionWriter(session, kind, number)
    columns = COLUMNS[kind]

    def store(batch: Batch) -> None:
        writer.write({c.target: c.field.to_db(batch.values[c.name]) for c in columns})

    rows = check_file(kind, source, context_for(session, today), store, progress)
    if progress is not None:
        progress("saving", 0, 0)
    return rows, writer.finish(full=not partial)


def _import_departments(
    session: Session, source: Source, today: date, progress: Progress | None
) -> tuple[int, Counts]:
    records: list[DepartmentRecord] = []

    def collect(batch: Batch) -> None:
        values = batch.values
        records.extend(map(DepartmentRecord, values["code"], values["name"], values["level"]))

    rows = check_file("departments", source, context_for(session, today), collect, progress)
    return rows, _upsert_departments(session, records)


def _upsert_departments(session: Session, records: Sequence[DepartmentRecord]) -> Counts:
    """Add new departments, update changed ones; never remove one (items and
    inspectors of past versions refer to it)."""
    stored = {row.code: row for row in session.scalars(select(Department))}
    added = changed = 0
    for record in records:
        row = stored.get(record.code)
        if row is None:
            session.add(Department(code=record.code, name=record.name, level=record.level))
            added += 1
        elif (row.name, row.level) != (record.name, record.level):
            row.name, row.level = record.name, record.level
            changed += 1
    session.flush()
    return Counts(added, changed, 0, len(stored) + added)


def _record(session: Session, summary: ImportSummary, at: datetime) -> None:
    """The version row and its audit entry, in the same transaction as the rows."""
    session.add(
        RegistryVersion(
            kind=summary.kind,
            number=summary.number,
            mode=summary.mode,
            source_name=summary.source_name,
            source_sha256=summary.source_sha256,
            rows_in_file=summary.rows_in_file,
            added=summary.added,
            changed=summary.changed,
            gone=summary.gone,
            total=summary.total,
            digest=summary.digest,
            created_at=at,
        )
    )
    session.flush()
    audit.append(
        session, "registry.import", f"{summary.kind} v{summary.number}", summary.as_dict(), at=at
    )
