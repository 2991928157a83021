"""The draw does not depend on the database engine.

PostgreSQL's built-in ``sha256()`` computes the same DR-1 tickets and picks
the same objects as the core, which keeps the spec engine-independent for
registries too large to hash in Python; and a whole draw stored through
SQLite or PostgreSQL comes out byte-identical.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from dualrandom.app import App
from dualrandom.config import load_settings
from dualrandom.core.encoding import TAG_TARGET
from dualrandom.core.tickets import target_ticket
from dualrandom.draws import SecretStore
from dualrandom.registry import objects_as_of
from dualrandom.tables import DrawRow
from tests import databases
from tests.conftest import PG_URL
from tests.drawing import draw_dr2
from tests.draws.conftest import NOW, fixed_token, load_sample

needs_postgres = pytest.mark.skipif(
    not PG_URL, reason="set DUALRANDOM_TEST_DATABASE_URL to compare with PostgreSQL"
)
SEED = bytes.fromhex("5eed" * 16)


@pytest.fixture
def pg_schema_url(tmp_path: Path) -> Iterator[str]:
    with databases.empty_database("postgresql", tmp_path, "x") as url:
        yield url


def _app(url: str, tmp_path: Path) -> App:
    config = tmp_path / f"{uuid.uuid4().hex}.toml"
    config.write_text(f'[database]\nurl = "{url}"\n', encoding="utf-8")
    app = App.from_settings(load_settings(config, environ={}))
    app.upgrade()
    load_sample(app)
    return app


def _draw(app: App, secrets: SecretStore) -> DrawRow:
    with app.transaction() as session:
        row, _ = draw_dr2(session, "2027-Q2", secrets=secrets, now=NOW)
        return row


@needs_postgres
def test_sqlite_and_postgresql_give_the_same_draw(tmp_path: Path, pg_schema_url: str) -> None:
    secrets = SecretStore(tmp_path / "secrets", token=fixed_token(3))
    drawn = []
    for url in (f"sqlite:///{tmp_path / 'a.sqlite3'}", pg_schema_url):
        app = _app(url, tmp_path)
        drawn.append(_draw(app, secrets))
        app.close()
    sqlite, postgres = drawn
    assert (sqlite.objects_digest, sqlite.inspectors_digest) == (
        postgres.objects_digest,
        postgres.inspectors_digest,
    )
    assert (sqlite.seed, sqlite.result_digest) == (postgres.seed, postgres.result_digest)


@needs_postgres
def test_postgresql_sha256_selects_the_same_objects(tmp_path: Path, pg_schema_url: str) -> None:
    app = _app(pg_schema_url, tmp_path)
    try:
        with app.transaction() as session:
            ids = sorted(o.id for o in objects_as_of(session) if o.district == "大洼区")
            rows = session.execute(
                text(
                    "SELECT object_id, encode(substring(sha256(:prefix || convert_to(object_id, 'UTF8')) "
                    "from 1 for 8), 'hex') AS ticket FROM object_rows "
                    "WHERE version_to IS NULL AND NOT gone AND district = :district "
                    "ORDER BY 2, convert_to(object_id, 'UTF8') LIMIT 25"
                ),
                {"prefix": TAG_TARGET + SEED, "district": "大洼区"},
            ).all()
    finally:
        app.close()
    in_python = sorted(ids, key=lambda i: (target_ticket(SEED, i), i.encode("utf-8")))[:25]
    assert [r.object_id for r in rows] == in_python
    assert [r.ticket for r in rows] == [f"{target_ticket(SEED, i):016x}" for i in in_python]
