"""Chinese working days: the ``work_calendar`` tables and deadline arithmetic.

Three modules: :mod:`._model` (a year's days and the working-day arithmetic,
pure), :mod:`._sources` (the ``chinesecalendar`` package and
``rules/calendar.toml``) and :mod:`.store` (the tables). The calendar is
seeded from the package and extended by ``rules/calendar.toml`` when the
State Council announces a new year. Dates in a year that is not loaded are
computed provisionally from the rules of 《全国年节及纪念日放假办法》 (the
statutory holidays, lunar ones included, and 补假; no 调休) and say so.
"""

from dualrandom.workdays._model import (
    FIXED_HOLIDAYS,
    KINDS,
    DayInfo,
    Deadline,
    WorkCalendar,
    YearDays,
    build_year,
    provisional_workday,
    provisional_year,
    statutory_days,
)
from dualrandom.workdays._sources import (
    NoticeYear,
    package_source,
    package_years,
    read_calendar_file,
)
from dualrandom.workdays.store import (
    LoadedYear,
    YearOverview,
    load_calendar,
    loaded_years,
    save_year,
    seed_from_package,
    year_days,
    year_overview,
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
    "provisional_year",
    "read_calendar_file",
    "save_year",
    "seed_from_package",
    "statutory_days",
    "year_days",
    "year_overview",
]
