"""The migrations build exactly the schema the ORM models describe, on every backend."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from dualrandom.app import App
from dualrandom.db import larger_page_cache
from dualrandom.tables import Base


def test_migrated_schema_matches_models(app: App) -> None:
    with app.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_migrated_collations_match_models(app: App) -> None:
    """Alembic's comparison and SQLAlchemy's reflection leave collations out:
    identifiers are in "C" on PostgreSQL (dualrandom.tables.OBJECT_ID), and only
    they; SQLite keeps its default, a byte comparison, everywhere."""
    dialect = app.engine.dialect
    wanted = {
        (table.name, column.name): getattr(column.type.dialect_impl(dialect), "collation", None)
        for table in Base.metadata.tables.values()
        for column in table.columns
    }
    with app.engine.connect() as conn:
        if dialect.name == "postgresql":
            found = {
                (table, column): collation
                for table, column, collation in conn.execute(
                    text(
                        "SELECT table_name, column_name, collation_name "
                        "FROM information_schema.columns WHERE table_schema = current_schema() "
                        "AND table_name != 'alembic_version'"
                    )
                )
            }
            assert found == wanted
            assert wanted[("object_rows", "object_id")] == wanted[("users", "cert_no")] == "C"
        else:
            tables = conn.execute(text("SELECT sql FROM sqlite_master WHERE type = 'table'"))
            assert not [sql for (sql,) in tables if "COLLATE" in sql.upper()]
            assert set(wanted.values()) == {None}


def test_draw_files_are_compressed_with_lz4_where_the_server_has_it(app: App) -> None:
    if app.engine.dialect.name != "postgresql":
        pytest.skip("SQLite does not compress")
    with app.engine.connect() as conn:
        methods = conn.execute(
            text("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")
        ).scalar_one()
        if "lz4" not in methods:
            pytest.skip("this server was built without lz4")
        method = conn.execute(
            text(
                "SELECT attcompression FROM pg_attribute "
                "WHERE attrelid = 'draw_files'::regclass AND attname = 'content'"
            )
        ).scalar_one()
    assert method == "l"


def test_upgrade_is_idempotent(app: App) -> None:
    app.upgrade()
    assert "object_rows" in inspect(app.engine).get_table_names()


def test_sqlite_pragmas(app: App) -> None:
    if app.engine.dialect.name != "sqlite":
        return
    with app.engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_a_larger_page_cache_is_put_back_even_when_the_block_fails(app: App) -> None:
    if app.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL manages its own buffers")

    def cache_size(session: Session) -> int:
        return int(session.execute(text("PRAGMA cache_size")).scalar_one())

    with app.transaction() as session:
        before = cache_size(session)
        with larger_page_cache(session):
            assert cache_size(session) == -256 * 1024 != before
        assert cache_size(session) == before
        with pytest.raises(RuntimeError), larger_page_cache(session):
            raise RuntimeError("the rows could not be written")
        assert cache_size(session) == before
