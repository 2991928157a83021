"""The work_calendar tables: seeding, importing a year, provisional → final."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from dualrandom.app import App
from dualrandom.errors import ValidationError
from dualrandom.tables import AuditEntryRow, CalendarDayRow
from dualrandom.workdays import (
    load_calendar,
    loaded_years,
    read_calendar_file,
    save_year,
    seed_from_package,
    year_overview,
)
from tests.conftest import REPO
from tests.workdays.conftest import TEST_2027

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def test_seed_once_then_nothing(app: App) -> None:
    with app.transaction() as session:
        added = seed_from_package(session, now=NOW, actor="tester")
        assert added == list(range(2004, 2027))
        assert seed_from_package(session, now=NOW, actor="tester") == []
        days = session.scalar(select(func.count()).select_from(CalendarDayRow))
        logged = session.scalar(
            select(func.count()).select_from(AuditEntryRow).where(AuditEntryRow.action == "calendar.year")
        )
        calendar = load_calendar(session)
    assert days == sum(366 if y % 4 == 0 else 365 for y in added)
    assert logged == len(added)
    assert calendar.years == frozenset(added)
    assert calendar.add_working_days(date(2026, 9, 24), 20).day == date(2026, 10, 29)


def test_the_sample_file_matches_the_package(app: App) -> None:
    [year] = read_calendar_file(REPO / "rules" / "calendar.toml")
    with app.transaction() as session:
        seed_from_package(session, now=NOW, actor="tester")
        assert not save_year(
            session, year.days, source="calendar.toml", notice=year.notice, now=NOW, actor="tester"
        )
        [row] = [y for y in loaded_years(session) if y.year == 2026]
    assert row.source.startswith("chinesecalendar")


def test_loading_a_new_year_makes_it_final(app: App, tmp_path: Path) -> None:
    path = tmp_path / "calendar.toml"
    path.write_text(TEST_2027, encoding="utf-8")
    with app.transaction() as session:
        seed_from_package(session, now=NOW, actor="tester")
        before = load_calendar(session).add_working_days(date(2026, 12, 25), 20)
        [year] = read_calendar_file(path)
        assert save_year(session, year.days, source=path.name, notice=year.notice, now=NOW, actor="tester")
        after = load_calendar(session).add_working_days(date(2026, 12, 25), 20)
        view = year_overview(session, 2027)
        entry = session.scalars(
            select(AuditEntryRow).where(
                AuditEntryRow.action == "calendar.year", AuditEntryRow.subject == "2027"
            )
        ).one()
    assert before.provisional and not after.provisional
    assert (before.day, after.day) == (date(2027, 1, 25), date(2027, 1, 26))  # 31 Dec off
    assert not view.provisional and view.holidays()[0] == (
        "元旦",
        date(2027, 1, 1),
        date(2027, 1, 3),
    )
    payload = json.loads(entry.payload)
    assert payload["earlier"] == {"2026-12-31": "holiday"} and payload["source"] == "calendar.toml"
    assert payload["makeup_workdays"] == {"2027-09-26": "国庆节", "2027-10-09": "国庆节"}


def test_a_notice_reaching_into_a_year_not_loaded_is_refused(app: App, tmp_path: Path) -> None:
    path = tmp_path / "calendar.toml"
    path.write_text(TEST_2027, encoding="utf-8")
    [year] = read_calendar_file(path)
    with app.transaction() as session, pytest.raises(ValidationError) as failure:
        save_year(session, year.days, source=path.name, notice="", now=NOW, actor="tester")
    [problem] = failure.value.problems
    assert "请先载入 2026 年" in problem.reason and "load 2026 first" in problem.reason_en
