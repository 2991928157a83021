"""Working-day arithmetic, checked against chinesecalendar's own answers."""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import pytest

from dualrandom.workdays import (
    Deadline,
    WorkCalendar,
    package_years,
    provisional_workday,
    provisional_year,
    statutory_days,
)

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
        (date(2027, 2, 5), False),  # 除夕, Friday
        (date(2027, 2, 10), False),  # 补假 for 初一 and 初二, which fall on the weekend
        (date(2027, 2, 11), True),
        (date(2027, 5, 3), False),  # 补假: 1–2 May are a Saturday and a Sunday
        (date(2027, 5, 5), True),
        (date(2027, 10, 1), False),
        (date(2027, 10, 4), False),  # 补假 for 2 and 3 October
        (date(2027, 10, 6), True),
        (date(2027, 1, 2), False),
    ],
)
def test_the_provisional_rule(day: date, working: bool) -> None:
    assert provisional_workday(day) is working
    assert WorkCalendar().is_workday(day) is working


def test_statutory_days_of_2027_from_the_lunar_calendar() -> None:
    # The almanac: 正月初一 is 6 February 2027, 清明 5 April, 端午 9 June, 中秋 15 September.
    days = statutory_days(2027)
    assert [d for d, name in days.items() if name == "春节"] == [
        date(2027, 2, 5),  # 除夕
        date(2027, 2, 6),
        date(2027, 2, 7),
        date(2027, 2, 8),
    ]
    assert [d for d, name in days.items() if name == "国庆节"] == [
        date(2027, 10, d) for d in (1, 2, 3)
    ]
    assert {name: d for d, name in days.items() if name in ("清明", "端午", "中秋")} == {
        "清明": date(2027, 4, 5),
        "端午": date(2027, 6, 9),
        "中秋": date(2027, 9, 15),
    }
    assert len(days) == 13  # 1 + 4 + 1 + 2 + 1 + 1 + 3
    assert statutory_days(2025)[date(2025, 1, 28)] == "春节"  # 除夕 was 腊月二十九


@pytest.mark.parametrize("year", range(2014, 2027))
def test_statutory_days_are_the_notices_holidays(year: int) -> None:
    """Every statutory day derived for a year the package knows is a holiday of
    that name in the State Council's notice (2013 revision to 2024, 2024 after)."""
    notice = package_years()[year].holidays
    derived = statutory_days(year)
    assert {d: notice.get(d) for d in derived} == derived
    merged = year == 2020  # 中秋 fell on 1 October: one day, named 国庆节 as in the notice
    names = {"元旦", "春节", "清明", "劳动节", "端午", "国庆节"} | (set() if merged else {"中秋"})
    assert set(derived.values()) == names
    assert len(derived) == (13 if year >= 2025 else 11) - merged


def test_days_off_for_weekend_holidays_follow_the_notices() -> None:
    """补假 lands where the notices put it in every year 2014–2026 but one: in
    2015 the notice moved 中秋's day off (Sunday 27 September) into 国庆."""
    missed = []
    for year, notice in package_years().items():
        if 2014 <= year <= 2026:
            owed = set(provisional_year(year).holidays) - set(statutory_days(year))
            missed += sorted(owed - set(notice.holidays))
    assert missed == [date(2015, 9, 28)]


def test_a_provisional_year_has_no_makeup_days_and_says_so() -> None:
    year = provisional_year(2027)
    assert year.makeup == {}
    assert [d for d, n in year.holidays.items() if n == "国庆节"] == [
        date(2027, 10, d) for d in range(1, 6)
    ]
    assert WorkCalendar().first_working_day(date(2027, 10, 1)) == Deadline(date(2027, 10, 6), True)
    assert LOADED.first_working_day(date(2026, 10, 1)) == Deadline(date(2026, 10, 8), False)


def test_working_days_left() -> None:
    deadline = date(2026, 10, 30)  # a Friday
    assert LOADED.working_days_left(date(2026, 10, 30), deadline) == 0
    assert LOADED.working_days_left(date(2026, 10, 23), deadline) == 5
    assert LOADED.working_days_left(date(2026, 11, 2), deadline) == -1
    assert LOADED.working_days_left(date(2026, 9, 30), deadline) == 18  # across 国庆
    assert LOADED.working_days_left(date(2026, 9, 24), date(2026, 10, 29)) == 20
