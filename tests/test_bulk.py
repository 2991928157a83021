"""dualrandom.bulk stores exactly what the ORM stores, rows in the order given.

On SQLite several rows go in one statement (and the rest one by one); on
PostgreSQL a batch is COPY text, its non-string columns formatted once per
distinct value. Both must give the values, types and row order of a plain
insert.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import Table, func, select, text
from sqlalchemy.exc import DBAPIError

from dualrandom.app import App
from dualrandom.bulk import Stream, inserter
from dualrandom.tables import ObjectRow

NAMES = [
    "object_id",
    "id_type",
    "name",
    "type",
    "industry",
    "district",
    "status",
    "established",
    "risk_class",
    "abnormal_list",
    "tags",
    "last_inspected",
]


def _row(n: int) -> list[Any]:
    return [
        f"9121{n:014d}",
        "uscc",
        f"盘锦第{n}号\t商贸\\有限公司\n" if n % 7 == 0 else f"盘锦第{n}号商贸有限公司",
        "企业",
        "F5211",
        ["兴隆台区", "大洼区", ""][n % 3],
        "存续",
        None if n % 5 == 0 else date(1990 + n % 30, 1 + n % 12, 1 + n % 28),
        "ABCD"[n % 4],
        n % 4 == 0,
        "" if n % 2 else "特种设备使用单位",
        None if n % 3 else date(2025, 3, 15),
    ]


def _stored(app: App) -> list[tuple[Any, ...]]:
    """The rows by pk; on SQLite with each value's storage class, not just its value."""
    columns = ", ".join(NAMES)
    kinds = "".join(f", typeof({name})" for name in NAMES)
    if app.engine.dialect.name != "sqlite":
        kinds = ""
    with app.transaction() as session:
        query = f"SELECT {columns}{kinds} FROM object_rows ORDER BY pk"
        return [tuple(r) for r in session.execute(text(query))]


def test_bulk_rows_are_stored_as_the_orm_stores_them(app: App) -> None:
    rows = [_row(n) for n in range(130)]
    table: Table = ObjectRow.__table__  # type: ignore[assignment]
    with app.transaction() as session:
        insert = inserter(session, table, NAMES, {"version_from": 1, "gone": False})
        # 123 rows: whole statements of several rows and a rest; then a rest alone.
        for batch in (rows[:123], rows[123:]):
            insert([list(column) for column in zip(*batch, strict=True)])
    bulk = _stored(app)
    with app.transaction() as session:
        read = session.execute(select(*(table.c[n] for n in NAMES)).order_by(table.c.pk))
        assert [tuple(r) for r in read] == [tuple(row) for row in rows]
        session.execute(table.delete())
        for row in rows:
            session.add(ObjectRow(**dict(zip(NAMES, row, strict=True)), version_from=1))
    assert _stored(app) == bulk


def _columns(rows: list[list[Any]]) -> list[list[Any]]:
    return [list(column) for column in zip(*rows, strict=True)]


def test_a_stream_stores_what_batches_of_inserts_store(app: App) -> None:
    """Batches through one Stream (on PostgreSQL one COPY for all of them): the same
    rows, values and storage classes as the inserter's, in the same order."""
    rows = [_row(n) for n in range(130)]
    table: Table = ObjectRow.__table__  # type: ignore[assignment]
    with app.transaction() as session:
        insert = inserter(session, table, NAMES, {"version_from": 1, "gone": False})
        for batch in (rows[:60], rows[60:61], rows[61:]):
            insert(_columns(batch))
    by_inserter = _stored(app)
    with app.transaction() as session:
        session.execute(table.delete())
        stream = Stream(session, table, NAMES, {"version_from": 1, "gone": False})
        for batch in (rows[:60], [], rows[60:61], rows[61:]):
            stream.write(_columns(batch) if batch else [[] for _ in NAMES])
        stream.finish()
        stream.finish()  # once finished, nothing is left to end
        # The connection runs other statements again.
        assert session.scalar(select(func.count()).select_from(table)) == 130
    assert _stored(app) == by_inserter


def test_an_aborted_stream_leaves_a_savepoint_to_roll_back_to(app: App) -> None:
    rows = [_row(n) for n in range(20)]
    table: Table = ObjectRow.__table__  # type: ignore[assignment]
    with app.transaction() as session:
        connection = session.connection()
        connection.exec_driver_sql("SAVEPOINT before_rows")
        stream = Stream(session, table, NAMES, {"version_from": 1, "gone": False})
        stream.write(_columns(rows[:10]))
        stream.abort(RuntimeError("the file had a problem"))
        stream.abort(RuntimeError("again"))  # nothing left to end
        connection.exec_driver_sql("ROLLBACK TO SAVEPOINT before_rows")
        assert session.scalar(select(func.count()).select_from(table)) == 0
        stream = Stream(session, table, NAMES, {"version_from": 1, "gone": False})
        stream.write(_columns(rows[10:]))
        stream.finish()
    assert [r[0] for r in _stored(app)] == [row[0] for row in rows[10:]]


def test_a_row_the_database_refuses_fails_the_stream_by_finish_at_the_latest(app: App) -> None:
    """A row the database refuses (here a NULL in a NOT NULL column) raises the
    database's error, on PostgreSQL perhaps only when the COPY ends."""
    rows = [_row(n) for n in range(10)]
    rows[4][NAMES.index("risk_class")] = None
    table: Table = ObjectRow.__table__  # type: ignore[assignment]
    refused: tuple[type[Exception], ...] = (DBAPIError,)  # SQLite, through SQLAlchemy
    if app.engine.dialect.name == "postgresql":
        import psycopg

        refused = (psycopg.errors.NotNullViolation,)  # COPY goes to the driver itself
    with pytest.raises(refused), app.transaction() as session:
        stream = Stream(session, table, NAMES, {"version_from": 1, "gone": False})
        stream.write(_columns(rows))
        stream.finish()
    with app.transaction() as session:
        assert session.scalar(select(func.count()).select_from(table)) == 0
