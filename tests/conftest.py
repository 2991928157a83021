"""Shared fixtures: one App per test on a clean database, on a pinned clock.

Every database test runs on SQLite, and also on PostgreSQL when
``DUALRANDOM_TEST_DATABASE_URL`` is set (CI sets it). On PostgreSQL each test
gets a schema of its own, so tests never see each other's rows.

No test may depend on the day it runs: the whole session starts at the
instant ``DUALRANDOM_TEST_NOW`` (ISO 8601 with an offset; default
:data:`DEFAULT_NOW`) and the clock ticks on from there. ``.ci/run`` runs the
suite a second time at another instant and in another time zone, to show
that nothing depends on either.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import time_machine
from hypothesis import HealthCheck, settings

from dualrandom.app import App
from tests import databases

PG_URL = os.environ.get("DUALRANDOM_TEST_DATABASE_URL", "")
REPO = Path(__file__).resolve().parent.parent

# Hypothesis's timing checks measure the machine, not the code: on a busy
# 2-core CI runner input generation and examples take several times longer.
# What a property test checks is its examples, so neither may fail a run.
settings.register_profile("dualrandom", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("dualrandom")

BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
DEFAULT_NOW = "2026-12-06T21:00:00+00:00"
TEST_NOW = datetime.fromisoformat(os.environ.get("DUALRANDOM_TEST_NOW") or DEFAULT_NOW)


def pytest_report_header() -> str:
    return f"clock pinned at {TEST_NOW.isoformat()} (DUALRANDOM_TEST_NOW), TZ={time.tzname[0]}"


@pytest.fixture(autouse=True, scope="session")
def pinned_clock() -> Iterator[None]:
    """The session's clock starts at TEST_NOW and ticks on (timeouts still work)."""
    if TEST_NOW.tzinfo is None:
        raise pytest.UsageError(
            "DUALRANDOM_TEST_NOW needs a UTC offset, e.g. 2029-02-28T23:30:00-08:00"
        )
    with time_machine.travel(TEST_NOW, tick=True):
        yield


@pytest.fixture(autouse=True, scope="session")
def migrated_templates() -> Iterator[None]:
    yield
    databases.drop_templates()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database; PostgreSQL gets a throwaway schema."""
    with databases.empty_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def config_file(tmp_path: Path, database_url: str) -> Path:
    """A config.toml in a scratch folder, pointing at the test database."""
    path = tmp_path / "config.toml"
    path.write_text(f'[database]\nurl = "{database_url}"\n', encoding="utf-8")
    return path


@pytest.fixture
def app(config_file: Path) -> Iterator[App]:
    """A migrated, empty database behind an App (a copy of the migrated template)."""
    application = databases.migrated_app(config_file)
    yield application
    application.close()
