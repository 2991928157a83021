"""A database loaded with the sample registries and rules, ready to draw."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import time_machine

from dualrandom.app import App
from dualrandom.draws import SecretStore
from dualrandom.registry import import_registry
from dualrandom.rules.check import check_rules, store_rules
from tests.conftest import REPO

NOW = datetime(2026, 12, 20, 9, 30, tzinfo=UTC)
TODAY = date(2026, 12, 20)
# The rules are stored with the clock's time (the plan notice is dated by it), so
# they are loaded at one fixed instant, before every draw the tests make: the
# order of the notices must not depend on the day the suite runs.
RULES_LOADED_AT = datetime(2026, 12, 6, 21, 0, tzinfo=UTC)


def load_sample(app: App) -> None:
    with app.transaction() as session:
        for kind in ("departments", "objects", "inspectors", "conflicts"):
            import_registry(session, kind, REPO / "registries" / f"{kind}.csv", today=TODAY, at=NOW, actor="tester")
        with time_machine.travel(RULES_LOADED_AT, tick=False):
            store_rules(session, check_rules(session, REPO / "rules"), actor="tester")


def fixed_token(byte: int) -> Callable[[int], bytes]:
    return lambda n: bytes([byte]) * n


@pytest.fixture
def sample_app(app: App) -> App:
    load_sample(app)
    return app


@pytest.fixture
def secrets(tmp_path: Path) -> SecretStore:
    return SecretStore(tmp_path / "secrets", token=fixed_token(7))
