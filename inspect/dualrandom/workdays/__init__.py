"""Chinese working days: the ``work_calendar`` tables and deadline arithmetic.

The calendar is seeded from the ``chinesecalendar`` package and extended by
``rules/calendar.toml`` when the State Council announces a new year. Dates
in a year that is not loaded are computed provisionally (Monday–Friday minus
the fixed-date statutory holidays) and say so; see :mod:`._model`.
"""

from dualrandom.workdays._model import FIXED_HOLIDAYS, Deadline, WorkCalendar, provisional_workday
from dualrandom.workdays._overview import YearOverview, year_overview
from dualrandom.workdays._package import package_source, package_years
from dualrandom.workdays._toml import NoticeYear, read_calendar_file
from dualrandom.workdays._year import KINDS, DayInfo, YearDays, build_year
from dualrandom.workdays.store import (
    LoadedYear,
    load_calendar,
    loaded_years,
    save_year,
    seed_from_package,
    year_days,
)

__all__ = [
    "FIXED_HOLIDAYS",
    "KINDS",
    "DayInfo",
    "Deadline",
    "LoadedYear",
    "NoticeYear",
    "WorkCalendar",
    "YearDays",
    "YearOverview",
    "build_year",
    "load_calendar",
    "loaded_years",
    "package_source",
    "package_years",
    "provisional_workday",
    "read_calendar_file",
    "save_year",
    "seed_from_package",
    "year_days",
    "year_overview",
]
