"""A database with the sample plan 2027-Q1 drawn on 20 December 2026, and the
calendar seeded from chinesecalendar (2004–2026; 2027 is not loaded)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from dualrandom.app import App
from dualrandom.draws import SecretStore
from dualrandom.tables import InspectionTaskRow
from dualrandom.workdays import seed_from_package
from tests.drawing import prepare_dr2, run_dr2
from tests.draws.conftest import fixed_token, load_sample

DRAWN_AT = datetime(2026, 12, 20, 1, 30, tzinfo=UTC)
LATER = datetime(2027, 2, 1, 2, 0, tzinfo=UTC)
TODAY = date(2027, 2, 1)


@pytest.fixture
def secrets(tmp_path: Path) -> SecretStore:
    return SecretStore(tmp_path / "secrets", token=fixed_token(7))


@pytest.fixture
def drawn(app: App, secrets: SecretStore) -> App:
    load_sample(app)
    with app.transaction() as session:
        seed_from_package(session, now=DRAWN_AT, actor="tester")
        row = prepare_dr2(
            session, "2027-Q1", secrets=secrets, now=DRAWN_AT - timedelta(minutes=30)
        )
    with app.transaction() as session:
        run_dr2(session, "2027-Q1", row, secrets=secrets)
    return app


@pytest.fixture
def objects(drawn: App) -> list[str]:
    """The drawn objects of 2027-Q1, by visit number."""
    with drawn.transaction() as session:
        tasks = session.scalars(select(InspectionTaskRow).order_by(InspectionTaskRow.visit))
        return [t.object_id for t in tasks]


@pytest.fixture
def results_csv(tmp_path: Path) -> Callable[..., Path]:
    """Write a results file: rows of (plan, object, checked_on, result, follow_up)."""

    def write(
        rows: list[tuple[str, ...]],
        *,
        encoding: str = "utf-8-sig",
        header: str = "计划编号,统一社会信用代码,检查完成日期,检查结果,后续处置,备注",
    ) -> Path:
        path = tmp_path / f"results-{len(list(tmp_path.glob('results-*')))}.csv"
        lines = [header] + [",".join(row) for row in rows]
        path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
        return path

    return write
