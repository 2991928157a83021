"""Where the calendar's years come from: the ``chinesecalendar`` package and
``rules/calendar.toml``.

- The installed ``chinesecalendar`` knows 2004 to the year its release
  covers (a new release follows each State Council notice).
- ``rules/calendar.toml`` holds years the State Council has announced that
  the installed package does not know yet (docs/FORMATS.md). It is read with
  the strict TOML reader of :mod:`dualrandom.tomlfile`, so every problem comes with its file, line
  and key, and one bad key never hides another.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from importlib.metadata import version
from pathlib import Path

import chinese_calendar
from chinese_calendar import constants

from dualrandom.errors import NotFoundError, Problem, ValidationError
from dualrandom.tomlfile import Hint, Table, parse_toml
from dualrandom.workdays._model import YearDays, build_year

__all__ = ["NoticeYear", "package_source", "package_years", "read_calendar_file"]


# -- the chinesecalendar package ------------------------------------------------


def package_source() -> str:
    return f"chinesecalendar {version('chinesecalendar')}"


def _chinese(english: str) -> str:
    return str(chinese_calendar.Holiday(english).chinese)


@functools.cache
def package_years() -> dict[int, YearDays]:
    """Every year of the package's data, by year; computed once per process (the
    installed package does not change under it, and the console asks per request).

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


# -- rules/calendar.toml ------------------------------------------------------

_FILE_KEYS = ("year",)
_YEAR_KEYS = ("year", "notice", "holiday")
_HOLIDAY_KEYS = ("name", "start", "end", "workdays")


@dataclass(frozen=True)
class NoticeYear:
    days: YearDays
    notice: str


def read_calendar_file(path: Path) -> list[NoticeYear]:
    """Every ``[[year]]`` of the file; a ValidationError lists every problem."""
    if not path.is_file():
        raise NotFoundError(
            f"日历文件 {str(path)!r} 不存在", f"calendar file {str(path)!r} does not exist"
        )
    problems: list[Problem] = []
    parsed = parse_toml(path.name, path.read_bytes(), problems)
    years: list[NoticeYear] = []
    if parsed is not None:
        data, source = parsed
        top = Table(source, problems, (), data, _FILE_KEYS)
        seen: set[int] = set()
        for table in top.tables("year", _YEAR_KEYS):
            year = _year(table, seen)
            if year is not None and table.ok:
                years.append(year)
        if not data.get("year") and not problems:
            problems.append(
                Problem(path.name, None, "year", "", "没有 [[year]] 表", "has no [[year]] table")
            )
    if problems:
        raise ValidationError(problems)
    return years


def _year(table: Table, seen: set[int]) -> NoticeYear | None:
    year = table.integer("year", required=True, minimum=2000, maximum=2200)
    notice = table.text("notice", max_len=500)
    if year is None:
        return None
    if year in seen:
        table.fail("year", year, "在本文件中出现了两次", "is given twice in this file")
    seen.add(year)
    holidays: dict[date, str] = {}
    makeup: dict[date, str] = {}
    first, last = date(year - 1, 12, 1), date(year, 12, 31)
    for holiday in table.tables("holiday", _HOLIDAY_KEYS):
        _holiday(holiday, (first, last), holidays, makeup)
        table.ok = table.ok and holiday.ok
    return NoticeYear(build_year(year, holidays, makeup), notice) if table.ok else None


def _holiday(
    table: Table, span: tuple[date, date], holidays: dict[date, str], makeup: dict[date, str]
) -> None:
    name = table.text("name", required=True, max_len=50)
    start, end = table.day("start"), table.day("end")
    if not table.ok:
        return
    if start > end:
        table.fail("end", end, f"早于开始日期 {start}", f"is before start {start}")
        return
    if not span[0] <= start <= end <= span[1]:
        table.fail(
            "start",
            start,
            f"假期必须在 {span[0]} 至 {span[1]} 之间",
            f"the holiday must lie between {span[0]} and {span[1]}",
        )
        return
    for offset in range((end - start).days + 1):
        day = start + timedelta(days=offset)
        if day in holidays:
            table.fail(
                "start",
                start,
                f"{day} 已经是{holidays[day]}的假日",
                f"{day} is already a day of {holidays[day]}",
            )
        holidays[day] = name
    for index, day in enumerate(_days(table, "workdays")):
        reason = _makeup_problem(day, span, holidays, makeup)
        if reason:
            table.fail(("workdays", index), day, *reason)
        makeup[day] = name


def _makeup_problem(
    day: date, span: tuple[date, date], holidays: dict[date, str], makeup: dict[date, str]
) -> Hint | None:
    """Why ``day`` cannot be a make-up working day (Chinese, English), or None."""
    if not span[0] <= day <= span[1]:
        return Hint(
            f"调休上班日必须在 {span[0]} 至 {span[1]} 之间",
            f"a make-up working day must lie between {span[0]} and {span[1]}",
        )
    if day.weekday() < 5:
        return Hint(
            "是工作日：调休上班日应是需要上班的星期六或星期日",
            "is a weekday: a make-up working day (调休上班) is a Saturday or Sunday worked",
        )
    if day in holidays:
        return Hint(f"同时是{holidays[day]}的假日", f"is also a day of {holidays[day]}")
    if day in makeup:
        return Hint("列出了两次", "is listed twice")
    return None


def _days(table: Table, key: str) -> list[date]:
    """An optional array of unquoted TOML dates."""
    value = table.data.get(key, [])
    if not isinstance(value, list):
        table.fail(
            key,
            value,
            "应为日期数组，例如 [2027-02-06]",
            "must be an array of dates, e.g. [2027-02-06]",
        )
        return []
    days = []
    for index, element in enumerate(value):
        if isinstance(element, date) and not isinstance(element, datetime):
            days.append(element)
        else:
            table.fail(
                (key, index),
                element,
                "应为不加引号的日期，例如 2027-02-06",
                "must be a date without quotes, e.g. 2027-02-06",
            )
    return days
