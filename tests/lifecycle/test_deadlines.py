"""Deadlines: provisional until the year is loaded, then recomputed; overdue by department."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

from sqlalchemy import select

from dualrandom.app import App
from dualrandom.lifecycle import (
    deadline_for,
    deadline_summary,
    deadlines,
    import_results,
    recompute_provisional,
    working_calendar,
)
from dualrandom.tables import AuditEntryRow, InspectionTaskRow
from dualrandom.workdays import load_calendar, read_calendar_file, save_year
from tests.lifecycle.conftest import LATER, TODAY
from tests.workdays.conftest import TEST_2027

# Test data, not a real notice: a 2027 whose 元旦 holiday lasts until 5 January.
LONG_NEW_YEAR = TEST_2027.replace("end = 2027-01-03", "end = 2027-01-05")
assert LONG_NEW_YEAR != TEST_2027


def _enter(app: App, path: Path) -> None:
    with app.transaction() as session:
        calendar = working_calendar(session, app.settings.lifecycle, now=LATER, actor="tester")
        import_results(
            session,
            path,
            calendar=calendar,
            settings=app.settings.lifecycle,
            today=TODAY,
            now=LATER, actor="tester",
        )


def test_a_count_from_a_known_year_into_an_unknown_one_is_provisional(drawn: App) -> None:
    """31 December 2026 is known (2026 is loaded); the count runs into 2027, which is not."""
    with drawn.transaction() as session:
        calendar = working_calendar(session, drawn.settings.lifecycle, now=LATER, actor="tester")
    deadline = deadline_for(calendar, date(2026, 12, 31), drawn.settings.lifecycle)
    assert (deadline.day, deadline.provisional) == (date(2027, 1, 29), True)


def test_loading_the_year_recomputes_provisional_deadlines(
    drawn: App, objects: list[str], results_csv: Callable[..., Path], tmp_path: Path
) -> None:
    # 4 January, the window's first day: 5–8, 11–15, 18–22, 25–29 January, 1 February.
    _enter(
        drawn, results_csv([("2027-Q1", objects[0], "2027-01-04", "未发现问题", "无需后续处置")])
    )
    calendar_file = tmp_path / "calendar.toml"
    calendar_file.write_text(LONG_NEW_YEAR, encoding="utf-8")
    with drawn.transaction() as session:
        task = session.scalars(select(InspectionTaskRow).where(InspectionTaskRow.visit == 1)).one()
        assert (task.deadline, task.deadline_provisional) == (date(2027, 2, 1), True)
        [year] = read_calendar_file(calendar_file)
        save_year(session, year.days, source="calendar.toml", notice=year.notice, now=LATER, actor="tester")
        changes = recompute_provisional(
            session, load_calendar(session), drawn.settings.lifecycle, now=LATER, actor="tester"
        )
        entry = session.scalars(
            select(AuditEntryRow).where(AuditEntryRow.action == "task.deadlines")
        ).one()
    # The test year's 元旦 runs to Tuesday 5 January: one working day later.
    assert changes == [
        {"task": "2027-Q1#1/1", "was": "2027-02-01", "now": "2027-02-02", "provisional": False}
    ]
    assert json.loads(entry.payload)["changed"] == changes
    with drawn.transaction() as session:
        again = recompute_provisional(
            session, load_calendar(session), drawn.settings.lifecycle, now=LATER, actor="tester"
        )
    assert again == []


# Three working days after TODAY, the day of the import; 5–10 February 2027 are
# the provisional 春节 holiday (除夕 5 February, 补假 to 10 February).
THURSDAY = date(2027, 2, 4)


def test_overdue_red_and_yellow_by_department(
    drawn: App, objects: list[str], results_csv: Callable[..., Path]
) -> None:
    _enter(
        drawn,
        results_csv(
            [
                (
                    "2027-Q1",
                    objects[0],
                    "2027-01-04",
                    "未发现问题",
                    "无需后续处置",
                ),  # due 2027-02-01: past
                (
                    "2027-Q1",
                    objects[1],
                    "2027-01-07",
                    "未发现问题",
                    "无需后续处置",
                ),  # due 2027-02-04: today
                (
                    "2027-Q1",
                    objects[2],
                    "2027-01-29",
                    "未发现问题",
                    "无需后续处置",
                ),  # due 2027-03-04: 1–4, 11–12, 15–19, 22–26 February, 1–4 March
            ]
        ),
    )
    with drawn.transaction() as session:
        calendar = working_calendar(session, drawn.settings.lifecycle, now=LATER, actor="tester")
        rows = deadlines(session, calendar, drawn.settings.lifecycle, THURSDAY)
    by_object = {r.object_id: r for r in rows}
    past, today, later = (by_object[o] for o in objects[:3])
    assert (past.level, past.left, past.basis, past.provisional) == ("red", -3, "check", True)
    assert (today.level, today.left, today.deadline) == ("yellow", 0, THURSDAY)
    assert (later.level, later.left) == ("", 16)  # 11–12, 15–19, 22–26 February, 1–4 March
    open_one = by_object[objects[3]]  # no result yet: counted from the window's last day
    # 20 working days after 31 March; 清明 2027 is Monday 5 April
    assert (open_one.basis, open_one.deadline, open_one.level) == ("window", date(2027, 4, 29), "")
    assert {r.department for r in rows} == {"SCJG"} and open_one.object_name
    assert len(rows) == len(objects)

    with drawn.transaction() as session:
        summary = deadline_summary(session, calendar, drawn.settings.lifecycle, THURSDAY)
    assert [(s.department, s.open, s.red, s.yellow) for s in summary] == [
        ("SCJG", len(rows), 1, 1)
    ]


def test_the_summary_counts_what_the_task_list_shows(drawn: App) -> None:
    """Later in the year every task is past the window's deadline: all red."""
    late = date(2027, 6, 1)
    with drawn.transaction() as session:
        calendar = working_calendar(session, drawn.settings.lifecycle, now=LATER, actor="tester")
        rows = deadlines(session, calendar, drawn.settings.lifecycle, late)
        summary = deadline_summary(session, calendar, drawn.settings.lifecycle, late)
    assert rows and all(r.level == "red" for r in rows)
    assert [(s.open, s.red, s.yellow) for s in summary] == [(len(rows), len(rows), 0)]
