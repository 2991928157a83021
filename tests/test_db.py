"""The migrations build exactly the schema the ORM models describe, on every backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from dualrandom.app import App
from dualrandom.tables import CODE_POINT_INDEXES, Base


def test_migrated_schema_matches_models(app: App) -> None:
    """Except the PostgreSQL-only indexes in code-point order, which are checked below."""

    def modelled(name: str | None, kind: str, _: object) -> bool:
        return not (kind == "index" and name in CODE_POINT_INDEXES)

    with app.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": modelled})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_postgresql_reads_each_registry_in_code_point_order_without_sorting(app: App) -> None:
    """On PostgreSQL, an index in code-point order per registry key; reading the
    current objects in that order (as registry.snapshot does) is an index scan."""
    if app.engine.dialect.name != "postgresql":
        assert not set(CODE_POINT_INDEXES) & _index_names(app)
        return
    assert set(CODE_POINT_INDEXES) <= _index_names(app)
    with app.engine.connect() as conn:
        # An empty table: any plan costs nothing, so say which to prefer where possible.
        conn.execute(text("SET enable_seqscan = off"))
        conn.execute(text("SET enable_sort = off"))
        plan = conn.execute(
            text(
                "EXPLAIN SELECT object_id FROM object_rows WHERE version_to IS NULL "
                'ORDER BY object_id COLLATE "C"'
            )
        ).scalars()
        shown = "\n".join(plan)
    assert "ix_object_rows_code_points" in shown and "Sort" not in shown


def _index_names(app: App) -> set[str]:
    inspector = inspect(app.engine)
    return {
        index["name"]
        for table in ("object_rows", "inspector_rows", "conflict_rows")
        for index in inspector.get_indexes(table)
        if index["name"]
    }


def test_upgrade_is_idempotent(app: App) -> None:
    app.upgrade()
    assert "object_rows" in inspect(app.engine).get_table_names()


def test_sqlite_pragmas(app: App) -> None:
    if app.engine.dialect.name != "sqlite":
        return
    with app.engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
