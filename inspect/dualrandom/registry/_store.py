"""Writing a validated registry file as a new version of the versioned rows.

Rows stream into a staging table in batches; one set-based pass then compares
the staging table with the current rows (see :mod:`dualrandom.tables`):

* an unchanged row is left alone;
* a changed row, or an object that was gone and is back, has its current
  row closed (``version_to`` = the new version) and a new row opened;
* in a full import, a current row whose key is not in the file is closed and
  a copy with ``gone`` set is opened: nothing is ever deleted.

When a registry has no rows yet, the file is written straight into the
registry table, which halves the work of a first import of millions of rows;
the table's secondary indexes are then built once, after the rows (on
PostgreSQL only into an empty table no other session uses; see
_DeferredIndexes).

Rows go in through :mod:`dualrandom.bulk` (the DBAPI's ``executemany``, or
``COPY`` on PostgreSQL): building a parameter dictionary per row would cost
more than all the validation together.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Index,
    MetaData,
    String,
    Table,
    and_,
    exists,
    false,
    func,
    insert,
    literal,
    select,
    true,
    update,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from dualrandom.bulk import Stream, inserter
from dualrandom.tables import ConflictRow, InspectorRow, ObjectRow

__all__ = ["KEYS", "TABLES", "Counts", "VersionWriter"]

TABLES: dict[str, Table] = {
    "objects": ObjectRow.__table__,  # type: ignore[dict-item]
    "inspectors": InspectorRow.__table__,  # type: ignore[dict-item]
    "conflicts": ConflictRow.__table__,  # type: ignore[dict-item]
}
KEYS = {
    "objects": ("object_id",),
    "inspectors": ("cert_no",),
    "conflicts": ("cert_no", "object_id", "relation"),
}
_BOOKKEEPING = frozenset({"pk", "version_from", "version_to", "gone"})
_SAME, _CHANGED, _ADDED = "same", "changed", "added"


@dataclass(frozen=True, slots=True)
class Counts:
    added: int  # new keys, and keys that were gone and are back
    changed: int
    gone: int
    total: int  # current rows that are not gone, after the import


def content_columns(table: Table) -> list[str]:
    """The columns that hold registry data, in table order."""
    return [column.name for column in table.columns if column.name not in _BOOKKEEPING]


class VersionWriter:
    """Receives validated rows of one registry and writes them as version ``number``.

    With ``undoable`` (or when SQLite's indexes are rebuilt, see
    _DeferredIndexes) the writing happens inside a savepoint, so that
    :meth:`abandon` takes it all back and the import can start again within
    the caller's transaction.
    """

    SAVEPOINT = "registry_import"

    def __init__(
        self,
        session: Session,
        kind: str,
        number: int,
        undoable: bool = False,
        stream: bool = False,
    ) -> None:
        self.session = session
        self.connection = session.connection()
        self.table = TABLES[kind]
        self.key = KEYS[kind]
        self.number = number
        self.content = content_columns(self.table)
        self.first = not self._has_rows()
        defer = self.first and _may_defer_indexes(self.connection, self.table)
        self._savepoint = undoable or defer
        if self._savepoint:
            self.connection.exec_driver_sql(f"SAVEPOINT {self.SAVEPOINT}")
        self._deferred = _DeferredIndexes(self.connection, self.table) if defer else None
        self.target = self.table if self.first else self._create_staging(kind)
        # Whether rows that repeat a key are written without an error (no unique index
        # on the target while rows stream), to be found before :meth:`finish`.
        self.takes_repeated_keys = not self.first or self._deferred is not None
        constants = {"version_from": number, "gone": False} if self.first else {}
        # ``stream``: the caller runs no other statement until finish or abandon
        # (on PostgreSQL the batches then go through one COPY; see bulk.Stream).
        self._stream = Stream(session, self.target, self.content, constants) if stream else None
        self._insert = (
            self._stream.write
            if self._stream is not None
            else inserter(session, self.target, self.content, constants)
        )
        self.written = 0
        # A batch may be written from another thread while the caller goes on (one
        # at a time): psycopg's connections are thread-safe, SQLite's are not shared.
        self.in_thread = self.connection.dialect.name == "postgresql"

    def _has_rows(self) -> bool:
        return bool(self.session.scalar(select(exists().where(self.table.c.version_to.is_(None)))))

    def _create_staging(self, kind: str) -> Table:
        staging = Table(
            f"staging_{kind}",
            MetaData(),
            *(Column(name, self.table.c[name].type) for name in self.content),
            Column("action", String(8)),
            prefixes=["TEMPORARY"],
        )
        staging.create(self.session.connection())
        return staging

    def write(self, columns: dict[str, list[Any]]) -> None:
        """Write one batch, given as a list of values per content column."""
        self._insert([columns[name] for name in self.content])
        self.written += len(columns[self.content[0]])

    def finish(self, full: bool) -> Counts:
        """Turn what was written into the new version; ``full``: mark missing keys gone."""
        if self._stream is not None:
            stream, self._stream = self._stream, None
            stream.finish()
        if self.first:
            if self._deferred is not None:
                self._deferred.build()
            self._release()
            return Counts(added=self.written, changed=0, gone=0, total=self.written)
        self._release()
        _index_staging(self.session, self.target, self.key)
        self._mark_actions()
        self._close_touched()
        gone = self._mark_gone() if full else 0
        self._open_new_rows()
        counts = self._counts(gone)
        self.target.drop(self.session.connection())
        return counts

    def _release(self) -> None:
        if self._savepoint:
            self.connection.exec_driver_sql(f"RELEASE {self.SAVEPOINT}")
            self._savepoint = False

    def abandon(self, failure: BaseException | None = None) -> None:
        """After a ``failure``: take back what was written since the savepoint, if there
        is one (the rows, SQLite's dropped indexes); the rest is for the rollback of the
        caller's transaction."""
        if self._stream is not None:
            stream, self._stream = self._stream, None
            stream.abort(failure or RuntimeError("the import was abandoned"))
        if self._savepoint:
            self._savepoint = False
            # If even this fails, the rollback of the caller's transaction undoes it all.
            with suppress(Exception):
                self.connection.exec_driver_sql(f"ROLLBACK TO {self.SAVEPOINT}")
                self.connection.exec_driver_sql(f"RELEASE {self.SAVEPOINT}")

    def _current(self) -> ColumnElement[bool]:
        return self.table.c.version_to.is_(None)

    def _same_key(self) -> ColumnElement[bool]:
        return and_(*(self.table.c[k] == self.target.c[k] for k in self.key))

    def _mark_actions(self) -> None:
        t, s = self.table, self.target
        alive = and_(self._current(), self._same_key(), t.c.gone.is_(False))
        same = and_(alive, *(t.c[c].is_not_distinct_from(s.c[c]) for c in self.content))
        execute = self.session.execute
        execute(update(s).where(exists().where(same)).values(action=_SAME))
        execute(
            update(s).where(s.c.action.is_(None), exists().where(alive)).values(action=_CHANGED)
        )
        execute(update(s).where(s.c.action.is_(None)).values(action=_ADDED))

    def _close_touched(self) -> None:
        touched = exists().where(self._same_key(), self.target.c.action != _SAME)
        self.session.execute(
            update(self.table).where(self._current(), touched).values(version_to=self.number)
        )

    def _mark_gone(self) -> int:
        t = self.table
        missing = ~exists().where(self._same_key())
        self.session.execute(
            update(t)
            .where(self._current(), t.c.gone.is_(False), missing)
            .values(version_to=self.number)
        )
        copies = select(*(t.c[c] for c in self.content), literal(self.number), true()).where(
            t.c.version_to == self.number, t.c.gone.is_(False), missing
        )
        self.session.execute(insert(t).from_select([*self.content, "version_from", "gone"], copies))
        # Counted, not taken from rowcount: drivers disagree on it for INSERT ... SELECT.
        marked = select(func.count()).where(t.c.version_from == self.number, t.c.gone.is_(True))
        return int(self.session.scalar(marked) or 0)

    def _open_new_rows(self) -> None:
        s = self.target
        rows = select(*(s.c[c] for c in self.content), literal(self.number), false()).where(
            s.c.action != _SAME
        )
        self.session.execute(
            insert(self.table).from_select([*self.content, "version_from", "gone"], rows)
        )

    def _counts(self, gone: int) -> Counts:
        s, t = self.target, self.table
        query = select(s.c.action, func.count()).group_by(s.c.action)
        actions: dict[str, int] = dict(self.session.execute(query).all())
        total = self.session.scalar(
            select(func.count()).select_from(t).where(self._current(), t.c.gone.is_(False))
        )
        return Counts(actions.get(_ADDED, 0), actions.get(_CHANGED, 0), gone, int(total or 0))


def _may_defer_indexes(connection: Connection, table: Table) -> bool:
    """Whether a first import may build the table's indexes after its rows.

    Always on SQLite, where a writer excludes every other writer anyway. On
    PostgreSQL only into a table that holds no row at all (a new installation's
    first import), and only if the table can be locked at once: dropping an
    index there locks the table for every reader until the import commits, and
    an empty table is all they could read meanwhile. When another session uses
    the table, the indexes stay and are kept up to date row by row."""
    if connection.dialect.name == "sqlite":
        return True
    if connection.dialect.name != "postgresql":
        return False
    quoted = connection.dialect.identifier_preparer.quote(table.name)
    if connection.scalar(select(exists().select_from(table))):
        return False
    connection.exec_driver_sql("SAVEPOINT registry_lock")
    try:
        connection.exec_driver_sql(f"LOCK TABLE {quoted} IN ACCESS EXCLUSIVE MODE NOWAIT")
    except DBAPIError:
        connection.exec_driver_sql("ROLLBACK TO SAVEPOINT registry_lock")
        connection.exec_driver_sql("RELEASE SAVEPOINT registry_lock")
        return False
    connection.exec_driver_sql("RELEASE SAVEPOINT registry_lock")
    return True


class _DeferredIndexes:
    """A first import builds the registry table's indexes after its rows.

    Registry keys arrive in random order, so keeping an index up to date row
    by row costs more than writing the row; building it once at the end is
    one sort. The indexes are dropped inside the writer's savepoint, so that
    a failure rolls back to it (VersionWriter.abandon) and leaves the table
    and its indexes as they were even before the caller's transaction ends;
    readers of other connections never see the table without them.

    On PostgreSQL (see _may_defer_indexes) the primary key stays. There, for
    200,000 objects, keeping the two secondary indexes up to date row by row
    made the server's work 2.8 times that of writing the rows with the primary
    key alone; building them afterwards, 1.5 times.
    """

    # Rows are only appended, and SQLite sorts an index's keys in runs that fit
    # the page cache: with a small cache the runs fit the CPU's caches too, which
    # builds the index of a million rows in half the time of a 16 MiB cache.
    # (db.larger_page_cache puts the size back.)
    CACHE_KIB = 4 * 1024

    def __init__(self, connection: Connection, table: Table) -> None:
        self.connection = connection
        quote = connection.dialect.identifier_preparer.quote
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql(f"PRAGMA cache_size = -{self.CACHE_KIB}")
            found = connection.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                "AND sql IS NOT NULL ORDER BY name",
                (table.name,),
            ).all()
        else:
            # pg_get_indexdef names the table with its schema where the search path
            # would not find it: the definitions are run again as they are.
            found = connection.exec_driver_sql(
                "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
                "JOIN pg_class i ON i.oid = x.indexrelid "
                "WHERE x.indrelid = %(table)s::regclass AND NOT x.indisprimary "
                "AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conindid = i.oid) "
                "ORDER BY i.relname",
                {"table": quote(table.name)},
            ).all()
        self.definitions = [sql for _, sql in found]
        for name, _ in found:
            connection.exec_driver_sql(f"DROP INDEX {quote(name)}")

    # PostgreSQL sorts an index's keys in maintenance_work_mem, 64 MiB by default:
    # too little for a million objects, whose two indexes then took 25 % more CPU.
    PG_SORT_MEMORY = "256MB"

    def build(self) -> None:
        postgresql = self.connection.dialect.name == "postgresql"
        if postgresql:  # for this transaction only, and never less than it was
            previous = self.connection.exec_driver_sql(
                "SELECT current_setting('maintenance_work_mem'), "
                "set_config('maintenance_work_mem', %(memory)s, true) "
                "WHERE pg_size_bytes(current_setting('maintenance_work_mem')) "
                "< pg_size_bytes(%(memory)s)",
                {"memory": self.PG_SORT_MEMORY},
            ).scalar()
        for definition in self.definitions:
            self.connection.exec_driver_sql(definition)
        if postgresql and previous is not None:
            self.connection.exec_driver_sql(
                "SELECT set_config('maintenance_work_mem', %(memory)s, true)",
                {"memory": previous},
            )


def _index_staging(session: Session, staging: Table, key: Sequence[str]) -> None:
    # Built after loading: one sort instead of an index update per row.
    Index(f"ix_{staging.name}_key", *(staging.c[k] for k in key)).create(session.connection())
