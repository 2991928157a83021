"""A database loaded with the sample registries and rules, ready to draw."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import time_machine

from dualrandom.app import App
from dualrandom.core.model import EntropySource
from dualrandom.draws import SecretStore
from dualrandom.registry import import_registry
from dualrandom.rules.check import check_rules, store_rules
from dualrandom.rules.store import load_plan, save_plans
from tests import databases
from tests.conftest import REPO

NOW = datetime(2026, 12, 20, 9, 30, tzinfo=UTC)
TODAY = date(2026, 12, 20)
# The rules are stored with the clock's time (the plan notice is dated by it), so
# they are loaded at one fixed instant, before every draw the tests make: the
# order of the notices must not depend on the day the suite runs.
RULES_LOADED_AT = datetime(2026, 12, 6, 21, 0, tzinfo=UTC)


def load_sample(app: App) -> None:
    """The sample registries and rules (registries/, rules/), on an empty database:
    imported for real once per test process and backend, then copied."""
    databases.filled(app, "sample", _load_sample)


def _load_sample(app: App) -> None:
    with app.transaction() as session:
        for kind in ("departments", "objects", "inspectors", "conflicts"):
            import_registry(session, kind, REPO / "registries" / f"{kind}.csv", today=TODAY, at=NOW, actor="tester")
        with time_machine.travel(RULES_LOADED_AT, tick=False):
            store_rules(session, check_rules(session, REPO / "rules"), actor="tester")


def store_dr1_plans(app: App, *plan_ids: str, entropy: str = "dice") -> None:
    """Store the plans again as a plan of before DR-2 was (entropy dice or typed): how the
    DR-1 tests make the earlier draws that dual-random must still verify and show.
    ``rules check`` refuses such a plan today, so it is stored past it."""
    with app.transaction() as session, time_machine.travel(RULES_LOADED_AT, tick=False):
        for plan_id in plan_ids:
            plan = replace(load_plan(session, plan_id), entropy=EntropySource(entropy), dice=False)
            save_plans(session, [plan], "plans stored before DR-2", actor="tester")


def store_without_dice(app: App, *plan_ids: str) -> None:
    """Store beacon plans again without the witnesses' dice (dice = false): an unattended
    scheduled draw of such a plan runs without anyone at the ceremony."""
    with app.transaction() as session, time_machine.travel(RULES_LOADED_AT, tick=False):
        for plan_id in plan_ids:
            plan = replace(load_plan(session, plan_id), dice=False)
            save_plans(session, [plan], "plans stored without dice", actor="tester")


def fixed_token(byte: int) -> Callable[[int], bytes]:
    return lambda n: bytes([byte]) * n


@pytest.fixture
def sample_app(app: App) -> App:
    load_sample(app)
    return app


@pytest.fixture
def dr1_app(app: App) -> App:
    """The sample, with every plan stored as a DR-1 plan (entropy = "dice")."""
    load_sample(app)
    store_dr1_plans(app, "2027-Q1", "2027-Q2", "2027-Q3", "2027-Q4")
    return app


@pytest.fixture
def secrets(tmp_path: Path) -> SecretStore:
    return SecretStore(tmp_path / "secrets", token=fixed_token(7))
