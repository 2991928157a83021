"""When steps are due: quarterly from the working-day calendar, or cron."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from dualrandom.core.model import Plan
from dualrandom.schedule import draw_time, plan_steps
from dualrandom.workdays import WorkCalendar, package_years

TZ = ZoneInfo("Asia/Shanghai")
AT = time(9, 30)
LOADED = WorkCalendar.of(package_years().values())  # 2004–2026
EMPTY = WorkCalendar()


def _plan(start: date, end: date, schedule: str = "quarterly", before: int = 7) -> Plan:
    return Plan(
        id="T",
        title="t",
        year=start.year,
        batch="Q1",
        kind="不定向",
        department="SCJG",
        items=("X",),
        window_start=start,
        window_end=end,
        schedule=schedule,
        prepare_days_before=before,
    )


def _local(plan: Plan, calendar: WorkCalendar = LOADED) -> tuple[datetime, bool]:
    moment, provisional = draw_time(plan, calendar, TZ, AT)
    return moment.astimezone(TZ).replace(tzinfo=None), provisional


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (
            date(2026, 1, 5),
            datetime(2026, 1, 4, 9, 30),
        ),  # 元旦 1–3 Jan; Sunday 4 Jan is worked (调休)
        (date(2026, 4, 1), datetime(2026, 4, 1, 9, 30)),
        (date(2026, 7, 15), datetime(2026, 7, 1, 9, 30)),  # the quarter the window starts in
        (date(2026, 10, 8), datetime(2026, 10, 8, 9, 30)),  # 国庆 1–7 Oct
    ],
)
def test_quarterly_is_the_first_working_day_of_the_quarter(start: date, expected: datetime) -> None:
    assert _local(_plan(start, date(start.year, 12, 31))) == (expected, False)


def test_quarterly_in_a_year_not_loaded_is_provisional() -> None:
    assert _local(_plan(date(2027, 1, 4), date(2027, 3, 31)), EMPTY) == (
        datetime(2027, 1, 4, 9, 30),
        True,
    )
    # 国庆 1–3 October 2027 is Friday to Sunday; 补假 for the weekend days makes
    # Monday 4 and Tuesday 5 holidays: Wednesday the 6th, until 2027 is loaded.
    assert _local(_plan(date(2027, 10, 8), date(2027, 12, 31)), EMPTY) == (
        datetime(2027, 10, 6, 9, 30),
        True,
    )


@pytest.mark.parametrize(
    ("schedule", "start", "expected"),
    [
        ("0 9 25 3,6,9,12 *", date(2027, 1, 4), datetime(2026, 12, 25, 9, 0)),  # last firing before
        ("30 8 1 1,4,7,10 *", date(2027, 4, 1), datetime(2027, 4, 1, 8, 30)),  # on the first day
        ("0 9 10 1 *", date(2027, 1, 4), datetime(2027, 1, 10, 9, 0)),  # else the first after
        ("0 9 1 1 *", date(2027, 7, 1), datetime(2027, 1, 1, 9, 0)),  # else the last before
        ("* * * * mon-fri", date(2027, 1, 4), datetime(2027, 1, 4, 23, 59)),
    ],
)
def test_cron(schedule: str, start: date, expected: datetime) -> None:
    assert _local(_plan(start, date(start.year, 9, 30), schedule), EMPTY) == (expected, False)


def test_prepare_comes_first_and_publish_with_the_draw() -> None:
    steps = plan_steps(_plan(date(2026, 10, 8), date(2026, 12, 31), before=10), LOADED, TZ, AT)
    assert [s.step for s in steps] == ["prepare", "draw", "publish"]
    local = [s.due.astimezone(TZ).replace(tzinfo=None) for s in steps]
    assert local == [
        datetime(2026, 9, 28, 9, 30),
        datetime(2026, 10, 8, 9, 30),
        datetime(2026, 10, 8, 9, 30),
    ]
    assert all(s.due.tzinfo is not None and s.due.utcoffset().total_seconds() == 0 for s in steps)
