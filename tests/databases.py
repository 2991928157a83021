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
import sqlite3
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from functools import cache
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from dualrandom import db
from dualrandom.app import App
from dualrandom.config import load_settings
from dualrandom.tables import Base

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


def filled(app: App, name: str, fill: Callable[[App], None]) -> None:
    """``fill(app)`` on the empty migrated database behind ``app``: done for
    real the first time in this process and backend, then copied from what
    that first time left. Most database tests start from the sample
    registries and rules, which take 1-2 s to check and import; what ``fill``
    writes must not depend on anything but its code (times come pinned)."""
    kind = backend(app)
    if not _is_empty(app):
        fill(app)
        return
    snapshot = _SNAPSHOTS.get((name, kind))
    if snapshot is not None:
        _copy_content(app, snapshot)
        return
    fill(app)
    _SNAPSHOTS[(name, kind)] = _take(app, name)


def drop_templates() -> None:
    """Drop the PostgreSQL template and snapshot schemas this process made."""
    schemas = [s for (_, kind), s in _SNAPSHOTS.items() if kind == "postgresql"]
    if _postgresql_ddl.cache_info().currsize:
        schemas.append(_TEMPLATE_SCHEMA)
    if schemas:
        admin = create_engine(PG_URL)
        with admin.begin() as conn:
            for schema in schemas:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


# (name, backend) -> a SQLite file, or a PostgreSQL schema of this database
_SNAPSHOTS: dict[tuple[str, str], str] = {}


def backend(app: App) -> str:
    """``sqlite`` or ``postgresql``: the backend of the database behind ``app``."""
    return "sqlite" if app.settings.database_url.startswith("sqlite:///") else "postgresql"


def _is_empty(app: App) -> bool:
    counts = " + ".join(f"(SELECT count(*) FROM {t.name})" for t in Base.metadata.sorted_tables)
    with app.engine.connect() as conn:
        return conn.execute(text(f"SELECT {counts}")).scalar_one() == 0


def _take(app: App, name: str) -> str:
    """A copy of the database behind ``app``, where :func:`_copy_content` finds it."""
    if backend(app) == "sqlite":
        path = Path(tempfile.mkdtemp(prefix=f"dualrandom-{name}-")) / "snapshot.sqlite3"
        app.engine.dispose()
        with (
            closing(sqlite3.connect(_sqlite_path(app))) as source,
            closing(sqlite3.connect(path)) as copy,
        ):
            source.backup(copy)
        return str(path)
    schema = f"snapshot_{name}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    migrate(schema_url(schema))
    _copy_rows(_search_path(app.settings.database_url), schema)
    return schema


def _copy_content(app: App, snapshot: str) -> None:
    app.engine.dispose()
    if backend(app) == "sqlite":
        path = _sqlite_path(app)
        for suffix in ("-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(snapshot, path)
        return
    _copy_rows(snapshot, _search_path(app.settings.database_url))


def _copy_rows(source: str, target: str) -> None:
    """Every row of schema ``source`` into the same, empty tables of ``target``
    (parents before children), and the sequences where ``source`` left them."""
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        for table in Base.metadata.sorted_tables:
            conn.execute(
                text(f'INSERT INTO "{target}".{table.name} SELECT * FROM "{source}".{table.name}')
            )
        sequences = conn.execute(
            text(
                "SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = :s"
            ),
            {"s": source},
        ).scalars()
        for sequence in list(sequences):
            conn.execute(
                text(
                    f"SELECT setval('\"{target}\".{sequence}', last_value, is_called)"
                    f' FROM "{source}".{sequence}'
                )
            )
    admin.dispose()


def _sqlite_path(app: App) -> str:
    return app.settings.database_url.removeprefix("sqlite:///")


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
