"""A database with a history worth checking: the sample registries and rules,
2027-Q1 drawn, superseded and drawn again, 2027-Q2 drawn with one object
substituted, 2027-Q3 prepared and not drawn."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dualrandom.app import App
from dualrandom.draws import SecretStore
from dualrandom.lifecycle import standing_draw, substitute_objects, tasks_of
from dualrandom.tables import DrawRow
from tests.drawing import prepare_dr2, run_dr2
from tests.draws.conftest import fixed_token, load_sample

AT = datetime(2026, 12, 20, 1, 30, tzinfo=UTC)
ACTOR = "操作员甲"


@pytest.fixture
def secrets(tmp_path: Path) -> SecretStore:
    return SecretStore(tmp_path / "secrets", token=fixed_token(7))


def draw(app: App, secrets: SecretStore, plan: str, entropy: str, reason: str | None = None) -> None:
    """A DR-2 draw on the demo beacon; ``entropy`` names the draw in the tests (the dice
    are the helper's, where the plan expects them)."""
    with app.transaction() as session:
        row = prepare_dr2(session, plan, secrets=secrets, now=AT, actor=ACTOR, supersede_reason=reason)
    with app.transaction() as session:
        run_dr2(session, plan, row, secrets=secrets, actor=ACTOR)


@pytest.fixture
def history(app: App, secrets: SecretStore) -> App:
    load_sample(app)
    draw(app, secrets, "2027-Q1", "1 2 3 4 5 6")
    draw(app, secrets, "2027-Q1", "6 5 4 3 2 1", reason="入选对象名录有误，重新抽取")
    draw(app, secrets, "2027-Q2", "3 1 4 1 5 9")
    with app.transaction() as session:
        gone = tasks_of(session, standing_draw(session, "2027-Q2"))[0]
        substitute_objects(session, "2027-Q2", [gone.object_id], "注销", now=AT, actor=ACTOR)
    with app.transaction() as session:
        prepare_dr2(session, "2027-Q3", secrets=secrets, now=AT, actor=ACTOR)
    return app


def draw_row(session: Session, plan: str, attempt: int) -> DrawRow:
    return session.scalars(
        select(DrawRow).where(DrawRow.plan_id == plan, DrawRow.attempt == attempt)
    ).one()
