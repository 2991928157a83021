"""Importing one registry file as a new version, in the caller's transaction."""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dualrandom import audit
from dualrandom.core.canonical import ObjectColumns, ObjectSnapshotBuilder
from dualrandom.core.model import DepartmentRecord
from dualrandom.db import larger_page_cache
from dualrandom.errors import NotFoundError
from dualrandom.registry._checks import Context
from dualrandom.registry._columns import COLUMNS, OBJECT_FIELDS, REGISTRY_KINDS
from dualrandom.registry._pipeline import CheckFailed, CheckingProcess
from dualrandom.registry._read import Progress, check_file, context_for
from dualrandom.registry._store import Counts, VersionWriter
from dualrandom.registry.snapshot import registry_digest
from dualrandom.sheets import (
    MAX_UNPACKED_BYTES,
    Batch,
    Source,
    guess_source,
    hashed,
    open_source,
)
from dualrandom.tables import DepartmentRow, RegistryVersionRow

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
    max_unpacked: int = MAX_UNPACKED_BYTES,
    actor: str,
) -> ImportSummary:
    """Check ``path`` and store it as the next version of the ``kind`` registry.

    ``today`` is the date the import happens (an establishment date after it
    is an error). A full import marks every object missing from the file as
    gone; ``partial`` only adds or updates the rows given. Departments are
    simply added or updated. Raises ValidationError with every problem in the
    file, having written nothing the caller's transaction will keep; a workbook
    that unpacks to more than ``max_unpacked`` bytes is refused unread.
    """
    if kind not in REGISTRY_KINDS:
        known = ", ".join(REGISTRY_KINDS)
        raise NotFoundError(
            f"没有名为 {kind} 的名录库；可选：{known}",
            f"unknown registry {kind!r}; one of: {known}",
        )
    size = path.stat().st_size if path.is_file() else 0
    with (
        _closing(CheckingProcess.start(kind, size)) as checker,
        larger_page_cache(session),
        _no_cycle_collection(),
    ):
        # With a second process, a CSV file is read as soon as its encoding is
        # guessed; it is hashed (and the guess confirmed) meanwhile.
        guessed = guess_source(path) if checker is not None else None
        source = guessed or open_source(path, max_unpacked=max_unpacked)
        number = _next_number(session, kind)
        if kind == "departments":
            rows, counts = _import_departments(session, source, today, progress)
            digest = None
        else:
            rows, counts, digest, source = _import_versioned(
                session,
                kind,
                number,
                source,
                guessed is not None,
                today,
                partial,
                progress,
                checker,
            )
        if progress is not None:
            progress("hashing", 0, 0)
        if digest is None:
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
    _record(session, summary, at or datetime.now(UTC), actor)
    return summary


def _next_number(session: Session, kind: str) -> int:
    latest = session.scalar(
        select(func.max(RegistryVersionRow.number)).where(RegistryVersionRow.kind == kind)
    )
    return (latest or 0) + 1


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while the block runs.

    An import creates millions of tuples and lists that live until their
    batch is written; every few hundred of them would otherwise start a
    collection that walks all the objects still alive, which costs more than
    checking the rows. Nothing here makes reference cycles; what any other
    code makes meanwhile is collected once the block ends.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def _closing(checker: CheckingProcess | None) -> Iterator[CheckingProcess | None]:
    try:
        yield checker
    finally:
        if checker is not None:
            checker.close()


def _import_versioned(
    session: Session,
    kind: str,
    number: int,
    source: Source,
    guessed: bool,
    today: date,
    partial: bool,
    progress: Progress | None,
    checker: CheckingProcess | None = None,
) -> tuple[int, Counts, str | None, Source]:
    """Write the file as version ``number``; also its digest when it is known without
    reading the registry back (a full import of objects: the file is the registry).
    Returns the source as open_source finds it (``guessed``: ``source`` is only
    guess_source's).

    With a ``checker`` the file is first read and checked by that second
    process while this one writes and hashes what it sends (see _pipeline);
    if that stops short, what it wrote is taken back and the file is checked
    here, as without one."""
    context = context_for(session, today)
    digest_here = kind == "objects" and not partial
    rows: int | None = None
    if checker is not None:
        # Nothing but the writer uses the connection until it finishes: its batches
        # may stream through one COPY (bulk.Stream).
        writer = VersionWriter(session, kind, number, undoable=True, stream=True)
        snapshot = ObjectSnapshotBuilder() if digest_here else None
        try:
            checker.begin(kind, source, context, progress)
            with ThreadPoolExecutor(max_workers=1) as pool:
                # The child decodes the whole file (strictly) or fails: once it is
                # done, the guessed encoding is confirmed and only the hash is missing.
                complete = pool.submit(hashed, source) if guessed else None
                rows = _check_in_child(checker, writer, snapshot)
                if complete is not None:
                    source, guessed = complete.result(), False
        except CheckFailed as exc:
            writer.abandon(exc)
        except BaseException as exc:
            writer.abandon(exc)
            raise
    if rows is None:
        source = open_source(source.path) if guessed else source
        writer = VersionWriter(session, kind, number)
        snapshot = ObjectSnapshotBuilder() if digest_here else None
        try:
            rows = _check_here(kind, source, context, writer, snapshot, progress)
        except BaseException:
            writer.abandon()
            raise
    try:
        if progress is not None:
            progress("saving", 0, 0)
        # The digest is sorting and hashing in memory, the end of the writing mostly
        # SQLite building indexes (without holding the GIL): both at once.
        with ThreadPoolExecutor(max_workers=1) as pool:
            digest = pool.submit(snapshot.digest) if snapshot is not None else None
            counts = writer.finish(full=not partial)
            return rows, counts, digest.result() if digest is not None else None, source
    except BaseException as exc:
        writer.abandon(exc)
        raise


def _check_in_child(
    checker: CheckingProcess, writer: VersionWriter, snapshot: ObjectSnapshotBuilder | None
) -> int:
    lists: dict[str, tuple[str, ...]] = {}
    # The snapshot sorts the ids anyway, and finds an id that occurs twice as it
    # does: a set of every key here as well cost a million hashes. Not where a
    # repeated key would make the writing itself fail (a unique index in place).
    by_snapshot = snapshot is not None and writer.takes_repeated_keys
    batches = checker.batches(unique=not by_snapshot)
    if not writer.in_thread:
        for values in batches:
            writer.write(values)
            if snapshot is not None:
                snapshot.add(_stored_objects(values, lists))
    else:
        # On PostgreSQL a batch's COPY is mostly waiting for the server: it runs in a
        # thread (one batch at a time, in order) while this one hashes the batch.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="registry-copy") as pool:
            written: Future[None] | None = None
            for values in batches:
                if written is not None:
                    written.result()
                written = pool.submit(writer.write, values)
                if snapshot is not None:
                    snapshot.add(_stored_objects(values, lists))
            if written is not None:
                written.result()
    if by_snapshot:
        assert snapshot is not None
        try:
            snapshot.check_ids()
        except ValueError:
            raise CheckFailed("a key occurs twice") from None
    return checker.rows


def _check_here(
    kind: str,
    source: Source,
    context: Context,
    writer: VersionWriter,
    snapshot: ObjectSnapshotBuilder | None,
    progress: Progress | None,
) -> int:
    columns = COLUMNS[kind]

    def store(batch: Batch) -> None:
        writer.write({c.target: c.field.to_db(batch.values[c.name]) for c in columns})
        if snapshot is not None:
            snapshot.add(ObjectColumns(*(batch.values[f] for f in OBJECT_FIELDS)))

    return check_file(kind, source, context, store, progress)


def _stored_objects(
    values: dict[str, list[Any]], lists: dict[str, tuple[str, ...]]
) -> ObjectColumns:
    """The objects of a batch given as database values (``Field.to_db``), as ObjectColumns:
    the values the file's rows have after checking, lists joined by ';' (which no element
    holds) split again, once per distinct text remembered in ``lists``."""
    split = lists.__getitem__
    try:
        departments = list(map(split, values["departments"]))
        tags = list(map(split, values["tags"]))
    except KeyError:
        if len(lists) > 1 << 16:
            lists.clear()
        for text in {*values["departments"], *values["tags"]}.difference(lists):
            lists[text] = tuple(text.split(";")) if text else ()
        departments = list(map(split, values["departments"]))
        tags = list(map(split, values["tags"]))
    given = {**values, "id": values["object_id"], "departments": departments, "tags": tags}
    return ObjectColumns(*(given[name] for name in OBJECT_FIELDS))


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
    stored = {row.code: row for row in session.scalars(select(DepartmentRow))}
    added = changed = 0
    for record in records:
        row = stored.get(record.code)
        if row is None:
            session.add(DepartmentRow(code=record.code, name=record.name, level=record.level))
            added += 1
        elif (row.name, row.level) != (record.name, record.level):
            row.name, row.level = record.name, record.level
            changed += 1
    session.flush()
    return Counts(added, changed, 0, len(stored) + added)


def _record(session: Session, summary: ImportSummary, at: datetime, actor: str) -> None:
    """The version row and its audit entry, in the same transaction as the rows."""
    session.add(
        RegistryVersionRow(
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
        session,
        "registry.import",
        f"{summary.kind} v{summary.number}",
        summary.as_dict(),
        actor=actor,
        at=at,
    )
