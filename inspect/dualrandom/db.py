"""Engines, sessions and schema migrations.

SQLite is embedded by default (WAL mode, foreign keys on); PostgreSQL is
reached with ``postgresql+psycopg://``. The schema is owned by the Alembic
migrations in ``dualrandom/migrations``; ``upgrade`` brings any database to
the newest revision. Every timestamp is stored in UTC (:func:`as_utc`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from alembic.config import Config

from dualrandom.errors import ConfigError

__all__ = ["as_utc", "larger_page_cache", "make_engine", "make_sessionmaker", "upgrade"]


def as_utc(moment: datetime) -> datetime:
    """A stored timestamp as an aware UTC one: every timestamp is stored in UTC,
    and SQLite hands it back without its zone (PostgreSQL, in the session's)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def make_engine(url: str, *, read_only: bool = False) -> Engine:
    """Build the one engine of a process; creates the SQLite file's folder.
    ``read_only``: an engine that only reads (a helper process beside the one
    that writes): on SQLite it takes no write lock, and refuses to write."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(
            f"数据库地址 {url!r} 不是有效的 SQLAlchemy URL",
            f"database url {url!r} is not a valid SQLAlchemy URL",
        ) from None
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_reader(url) if read_only else _sqlite_engine(url, parsed.database)
    if parsed.get_backend_name() != "postgresql":
        raise ConfigError(
            f"数据库地址 {url!r}：只支持 sqlite 和 postgresql+psycopg",
            f"database url {url!r}: only sqlite and postgresql+psycopg are supported",
        )
    if read_only:
        return create_engine(url, execution_options={"postgresql_readonly": True})
    return create_engine(url)


# A registry is read in id order through an index, which visits the table's
# pages out of order: with SQLite's default 2 MiB page cache, a page is read
# again and again once the table outgrows it. 8 MiB keeps them: all 16 columns
# of 3,000,000 objects in 4.9 s instead of 7.2 s, of 10,000,000 in 18.5 s
# instead of about 40 s (1,000,000: 1.6 s either way).
_SHARED_PRAGMAS = ("busy_timeout = 30000", "cache_size = -8192")


def _sqlite_reader(url: str) -> Engine:
    # Each SELECT reads one consistent state by itself (WAL mode); no
    # transaction is begun, so no lock is held beyond a statement.
    return _with_pragmas(create_engine(url), "query_only = ON", *_SHARED_PRAGMAS)


def _sqlite_engine(url: str, database: str | None) -> Engine:
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = _with_pragmas(
        create_engine(url), "foreign_keys = ON", "journal_mode = WAL", *_SHARED_PRAGMAS
    )

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Take the write lock up front: two writers never interleave, and a
        # reader-turned-writer never fails half way with SQLITE_BUSY.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        # What the transaction has written so far, for those who must know
        # whether it has written anything (registry.parallel).
        connection.info["changes_at_begin"] = connection.connection.driver_connection.total_changes

    return engine


@contextmanager
def larger_page_cache(session: Session) -> Iterator[None]:
    """A 256 MiB SQLite page cache (pages are held only as they are used) while the
    block runs, for writing many rows whose keys arrive in random order.

    Each such row updates index pages all over the file; with a small cache
    a million-row registry import spends much of its time re-reading them,
    and so does a draw of 10,000,000 objects writing its 500,000 visits (by
    object id) and 1,000,000 team members (by certificate). The setting
    belongs to the connection, not the transaction, so it is put back on the
    driver's connection even when the block fails. PostgreSQL manages its own
    buffers.
    """
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    driver = session.connection().connection.dbapi_connection
    assert driver is not None
    previous = driver.execute("PRAGMA cache_size").fetchone()[0]
    driver.execute(f"PRAGMA cache_size = -{256 * 1024}")
    try:
        yield
    finally:
        driver.execute(f"PRAGMA cache_size = {int(previous)}")


def _with_pragmas(engine: Engine, *pragmas: str) -> Engine:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # SQLAlchemy, not the driver, decides when transactions begin: the
        # writer's BEGIN IMMEDIATE really starts one, and a reader begins none.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in pragmas:
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


# Alembic is imported when a migration runs, not with every command (0.4 s).
def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "dualrandom:migrations")
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database behind ``engine`` to ``revision``."""
    from alembic import command

    command.upgrade(alembic_config(engine), revision)
