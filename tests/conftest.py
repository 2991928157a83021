"""Shared fixtures: one App per test on a clean database.

Every database test runs on SQLite, and also on PostgreSQL when
``DUALRANDOM_TEST_DATABASE_URL`` is set (CI sets it). On PostgreSQL each test
gets a schema of its own, so tests never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from dualrandom.app import App
from dualrandom.config import load_settings

PG_URL = os.environ.get("DUALRANDOM_TEST_DATABASE_URL", "")
REPO = Path(__file__).resolve().parent.parent

BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database; PostgreSQL gets a throwaway schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite3'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def config_file(tmp_path: Path, database_url: str) -> Path:
    """A config.toml in a scratch folder, pointing at the test database."""
    path = tmp_path / "config.toml"
    path.write_text(f'[database]\nurl = "{database_url}"\n', encoding="utf-8")
    return path


@pytest.fixture
def app(config_file: Path) -> Iterator[App]:
    """A migrated, empty database behind an App."""
    application = App.from_settings(load_settings(config_file, environ={}))
    application.upgrade()
    yield application
    application.close()
