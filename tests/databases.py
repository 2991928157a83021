"""Test databases: empty ones, and migrated ones copied from a template.

Running the Alembic migrations costs about 0.35 s on SQLite and 0.7 s on
PostgreSQL, and several hundred tests each need a migrated database. So each
test process migrates one template per backend, with the real migrations,
and every test gets a copy of it: the SQLite file copied, or on PostgreSQL
the template schema's DDL (from ``pg_dump``) replayed into the test's own
schema. The migrations themselves are tested from an empty database in
tests/test_db.py and by ``dualrandom init``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from dualrandom import db
from dualrandom.app import App
from dualrandom.config import load_settings

PG_URL = os.environ.get("DUALRANDOM_TEST_DATABASE_URL", "")


def schema_url(schema: str) -> str:
    """The test database's URL with ``schema`` first on the search path."""
    return f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"


@contextmanager
def empty_database(backend: str, folder: Path, name: str = "test") -> Iterator[str]:
    """The URL of an empty database: the SQLite file ``folder/name.sqlite3``,
    or a PostgreSQL schema of its own, dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / f'{name}.sqlite3'}"
        return
    schema = f"{name}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield schema_url(schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def migrate(url: str) -> None:
    """Bring the empty database at ``url`` to the newest revision."""
    if url.startswith("sqlite:///"):
        shutil.copyfile(_sqlite_template(), url.removeprefix("sqlite:///"))
        return
    schema = _search_path(url)
    admin = create_engine(PG_URL)
    try:
        raw = admin.raw_connection()
        try:
            # One round trip: without parameters psycopg sends the whole
            # script as a simple query, in one transaction.
            raw.cursor().execute(_postgresql_ddl().replace(_TEMPLATE_SCHEMA, schema))
            raw.commit()
        finally:
            raw.close()
    finally:
        admin.dispose()


def migrated_app(config: Path) -> App:
    """An App on the (empty) database ``config`` names, migrated from the template."""
    app = App.from_settings(load_settings(config, environ={}))
    migrate(app.settings.database_url)
    return app


def drop_templates() -> None:
    """Drop the PostgreSQL template schema, if this process made one."""
    if _postgresql_ddl.cache_info().currsize:
        admin = create_engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{_TEMPLATE_SCHEMA}" CASCADE'))
        admin.dispose()


_TEMPLATE_SCHEMA = f"template_{uuid.uuid4().hex[:12]}"


@cache
def _sqlite_template() -> Path:
    path = Path(tempfile.mkdtemp(prefix="dualrandom-template-")) / "migrated.sqlite3"
    engine = db.make_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    engine.dispose()  # the last connection closed folds the WAL into the file
    return path


@cache
def _postgresql_ddl() -> str:
    """The migrated template schema as SQL, its name to be replaced."""
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{_TEMPLATE_SCHEMA}"'))
    admin.dispose()
    engine = db.make_engine(schema_url(_TEMPLATE_SCHEMA))
    db.upgrade(engine)
    engine.dispose()
    url = make_url(PG_URL)
    env = {**os.environ, "PGPASSWORD": url.password or ""}
    dumped = subprocess.run(
        [
            "pg_dump",
            "--schema",
            _TEMPLATE_SCHEMA,
            "--inserts",
            "--no-owner",
            "--no-privileges",
            "--host",
            url.host or "127.0.0.1",
            "--port",
            str(url.port or 5432),
            "--username",
            url.username or "postgres",
            url.database or "",
        ],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout
    # psql's own commands (\restrict) and the schema itself, which the test
    # has made already, are left out.
    kept = [
        line
        for line in dumped.splitlines()
        if not line.startswith("\\") and line != f"CREATE SCHEMA {_TEMPLATE_SCHEMA};"
    ]
    return "\n".join(kept)


def _search_path(url: str) -> str:
    marker = "options=-csearch_path%3D"
    if marker not in url:
        raise ValueError(f"not a test schema URL: {url}")
    return url.split(marker, 1)[1].split("&", 1)[0]
