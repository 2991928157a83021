"""Working-day arithmetic, checked against chinesecalendar's own answers."""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import pytest

from dualrandom.workdays import Deadline, WorkCalendar, package_years, provisional_workday

LOADED = WorkCalendar.of(package_years().values())


def test_twenty_working_days_across_national_day() -> None:
    # Mid-autumn 25–27 Sept, National Day 1–7 Oct, Saturday 10 Oct worked.
    assert LOADED.add_working_days(date(2026, 9, 24), 20) == Deadline(date(2026, 10, 29), False)
    # A check ending on a holiday: the next working day (28 Sept) is the first counted.
    assert LOADED.add_working_days(date(2026, 9, 25), 20) == Deadline(date(2026, 10, 29), False)


def test_agrees_with_chinesecalendar_from_every_third_day_of_2024_to_2026() -> None:
    # find_workday(n, d) counts n working days after the first working day on
    # or after d: from a working day that is ours; from a holiday it is one more.
    start = date(2024, 1, 1)
    for offset in range(0, 3 * 365 - 60, 3):
        day = start + timedelta(days=offset)
        theirs = chinese_calendar.find_workday(20 if chinese_calendar.is_workday(day) else 19, day)
        assert LOADED.add_working_days(day, 20).day == theirs, day


def test_the_day_of_the_event_is_not_counted() -> None:
    friday = date(2026, 3, 6)
    assert LOADED.add_working_days(friday, 1).day == date(2026, 3, 9)
    saturday = date(2026, 3, 7)
    assert LOADED.add_working_days(saturday, 1).day == date(2026, 3, 9)


def test_makeup_days_count_and_holidays_do_not() -> None:
    assert LOADED.is_workday(date(2026, 1, 4))  # Sunday, worked for 元旦
    assert not LOADED.is_workday(date(2026, 10, 5))  # Monday of 国庆
    assert LOADED.first_working_day(date(2026, 10, 1)) == Deadline(date(2026, 10, 8), False)


def test_a_deadline_in_a_year_not_loaded_is_provisional_never_a_crash() -> None:
    deadline = LOADED.add_working_days(date(2026, 12, 20), 20)
    assert deadline.provisional
    # Mon–Fri without 1 January: 21 Dec .. 31 Dec holds 9 working days, January the other 11.
    assert deadline.day == date(2027, 1, 18)
    assert str(deadline) == "2027-01-18 (provisional)"
    assert LOADED.add_working_days(date(2026, 11, 2), 20) == Deadline(date(2026, 11, 30), False)
    assert WorkCalendar().add_working_days(date(2350, 1, 1), 20).provisional


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2027, 1, 1), False),  # Friday, 元旦
        (date(2027, 1, 4), True),
        (date(2027, 5, 3), True),  # the fixed statutory days are 1–2 May only
        (date(2027, 10, 1), False),
        (date(2027, 10, 4), True),  # the real schedule will differ: provisional
        (date(2027, 1, 2), False),
    ],
)
def test_the_provisional_rule(day: date, working: bool) -> None:
    assert provisional_workday(day) is working
    assert WorkCalendar().is_workday(day) is working


def test_working_days_left() -> None:
    deadline = date(2026, 10, 30)  # a Friday
    assert LOADED.working_days_left(date(2026, 10, 30), deadline) == 0
    assert LOADED.working_days_left(date(2026, 10, 23), deadline) == 5
    assert LOADED.working_days_left(date(2026, 11, 2), deadline) == -1
    assert LOADED.working_days_left(date(2026, 9, 30), deadline) == 18  # across 国庆
    assert LOADED.working_days_left(date(2026, 9, 24), date(2026, 10, 29)) == 20
