"""The migrations build exactly the schema the ORM models describe, on every backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from dualrandom.app import App
from dualrandom.tables import Base


def test_migrated_schema_matches_models(app: App) -> None:
    with app.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_upgrade_is_idempotent(app: App) -> None:
    app.upgrade()
    assert "object_rows" in inspect(app.engine).get_table_names()


def test_sqlite_pragmas(app: App) -> None:
    if app.engine.dialect.name != "sqlite":
        return
    with app.engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
