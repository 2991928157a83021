"""The years the installed ``chinesecalendar`` package knows (2004 to the year
its release covers: a new release follows each State Council notice)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from importlib.metadata import version

import chinese_calendar
from chinese_calendar import constants

from dualrandom.workdays._year import YearDays, build_year

__all__ = ["package_source", "package_years"]


def package_source() -> str:
    return f"chinesecalendar {version('chinesecalendar')}"


def _chinese(english: str) -> str:
    return str(chinese_calendar.Holiday(english).chinese)


def package_years() -> dict[int, YearDays]:
    """Every year of the package's data, by year.

    The package keys each day by date, so a December day that belongs to the
    next year's notice is simply a day of its own year here."""
    holidays: dict[int, dict[date, str]] = defaultdict(dict)
    makeup: dict[int, dict[date, str]] = defaultdict(dict)
    for day, name in constants.holidays.items():
        holidays[day.year][day] = _chinese(name)
    for day, name in constants.workdays.items():
        makeup[day.year][day] = _chinese(name)
    years = range(min(holidays), max(holidays) + 1)
    return {year: build_year(year, holidays[year], makeup[year]) for year in years}
