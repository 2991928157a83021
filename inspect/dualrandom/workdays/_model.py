"""The working-day model (pure: no I/O): a year's days, and arithmetic over
the loaded years.

A year as the State Council's notice gives it is every day, working or not,
and why (:class:`YearDays`). A *loaded* year is one whose holiday schedule is
known (放假调休安排): its working days are exactly Monday–Friday, minus its
holidays, plus its make-up working days (调休上班). A year that is not
loaded is computed **provisionally** from the rules of 《全国年节及纪念日放假
办法》: Monday–Friday minus the statutory holidays (the lunar ones from the
lunar calendar) and the days off owed for those that fall on a weekend
(补假); its make-up working days are unknown. Every answer that looked at a
provisional day says so, and is recomputed once its year is loaded.

Convention (民法典 art. 201): the day of the event is not counted, so "within
20 working days of the check" means on or before the 20th working day after
the day the check ended.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache

__all__ = [
    "FIXED_HOLIDAYS",
    "KINDS",
    "DayInfo",
    "Deadline",
    "WorkCalendar",
    "YearDays",
    "build_year",
    "provisional_workday",
    "provisional_year",
    "statutory_days",
]

KINDS = ("workday", "weekend", "holiday", "makeup")  # makeup: 调休上班, a weekend worked


@dataclass(frozen=True, slots=True)
class DayInfo:
    workday: bool
    kind: str
    name: str = ""  # the holiday a holiday or make-up day belongs to


@dataclass(frozen=True)
class YearDays:
    """Every day of ``year``; ``earlier``: days of the year before that this
    year's notice also sets (元旦 holidays have started on 30 or 31 December)."""

    year: int
    days: Mapping[date, DayInfo]
    earlier: Mapping[date, DayInfo]

    @property
    def holidays(self) -> dict[date, str]:
        return {d: i.name for d, i in self.days.items() if i.kind == "holiday"}

    @property
    def makeup(self) -> dict[date, str]:
        return {d: i.name for d, i in self.days.items() if i.kind == "makeup"}

    def digest(self) -> str:
        """SHA-256 of one line per day, ``YYYY-MM-DD<TAB>1|0<TAB>kind``, the
        year's days then the earlier ones. Names are left out: two sources that
        agree on every day (the package writes 清明, a notice 清明节) agree."""
        lines = [
            f"{d.isoformat()}\t{int(i.workday)}\t{i.kind}\n"
            for d, i in [*sorted(self.days.items()), *sorted(self.earlier.items())]
        ]
        return hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


_ONE_DAY = timedelta(days=1)
# No real question walks further: a deadline is tens of working days away.
_MAX_WALK = 3660


def _info(day: date, holidays: Mapping[date, str], makeup: Mapping[date, str]) -> DayInfo:
    if day in holidays:
        return DayInfo(False, "holiday", holidays[day])
    if day in makeup:
        return DayInfo(True, "makeup", makeup[day])
    if day.weekday() < 5:
        return DayInfo(True, "workday")
    return DayInfo(False, "weekend")


def build_year(year: int, holidays: Mapping[date, str], makeup: Mapping[date, str]) -> YearDays:
    """The year from its holidays and make-up working days (by name). Days
    before 1 January go to ``earlier``; the caller has checked that the two
    sets do not meet and that no day lies after the year."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    days = {
        first + timedelta(days=i): _info(first + timedelta(days=i), holidays, makeup)
        for i in range((last - first).days + 1)
    }
    earlier = {d: _info(d, holidays, makeup) for d in (*holidays, *makeup) if d < first}
    return YearDays(year, days, earlier)


# 《全国年节及纪念日放假办法》 第二条: the holidays of all citizens. The 2024
# revision (in force from 2025) gives 元旦 1 day, 春节 4 (除夕 and 正月初一–初三),
# 清明 1 (the day of the 清明 solar term), 劳动节 2, 端午 1 (五月初五), 中秋 1
# (八月十五) and 国庆 3; the 2013 revision (2014–2024) gave 春节 初一–初三 and
# 劳动节 1 May only. These are the days on fixed Gregorian dates:
FIXED_HOLIDAYS: Mapping[tuple[int, int], str] = {
    (1, 1): "元旦",
    (5, 1): "劳动节",
    (5, 2): "劳动节",
    (10, 1): "国庆节",
    (10, 2): "国庆节",
    (10, 3): "国庆节",
}
_REVISION_2024 = 2025  # the first year under the 2024 revision (国务院令第795号)


def statutory_days(year: int) -> dict[date, str]:
    """The days of 第二条 in ``year``, by holiday name (the names the
    ``chinesecalendar`` package uses). The lunar ones come from ``lunar_python``:
    正月初一, 五月初五 and 八月十五 converted to Gregorian dates, 除夕 the day
    before 正月初一 (腊月 has 29 days in some years), and the 清明 solar term."""
    from lunar_python import Lunar  # imported on first use: most commands never need it

    def gregorian(month: int, day: int) -> date:
        solar = Lunar.fromYmd(year, month, day).getSolar()
        return date(solar.getYear(), solar.getMonth(), solar.getDay())

    new_year = gregorian(1, 1)
    term = Lunar.fromYmd(year, 1, 1).getJieQiTable()["清明"]
    spring = [new_year + timedelta(days=i) for i in range(-1, 3)]
    days: dict[date, str] = {}
    for (month, mday), name in FIXED_HOLIDAYS.items():
        if year >= _REVISION_2024 or (month, mday) != (5, 2):
            days[date(year, month, mday)] = name
    for name, festival in [
        ("春节", spring if year >= _REVISION_2024 else spring[1:]),
        ("清明", [date(term.getYear(), term.getMonth(), term.getDay())]),
        ("端午", [gregorian(5, 5)]),
        ("中秋", [gregorian(8, 15)]),
    ]:
        for day in festival:
            days.setdefault(day, name)  # 中秋 on 1 October (2020) stays 国庆节
    return dict(sorted(days.items()))


@cache
def provisional_year(year: int) -> YearDays:
    """A year whose State Council notice is not loaded, as far as the 办法
    alone decides it: the statutory days, and for each of them that falls on a
    Saturday or Sunday a day off on the next working day after its holiday
    (补假, 第六条; every notice of 2014–2026 but one places it so). The
    make-up working days (调休上班) are the notice's to set: there are none."""
    statutory = statutory_days(year)
    holidays = dict(statutory)
    by_name: dict[str, list[date]] = {}
    for day, name in statutory.items():
        by_name.setdefault(name, []).append(day)
    for name, days in by_name.items():
        owed, day = sum(d.weekday() >= 5 for d in days), max(days)
        while owed:
            day += _ONE_DAY
            if day.weekday() < 5 and day not in holidays:
                holidays[day], owed = name, owed - 1
    return build_year(year, holidays, {})


def provisional_workday(day: date) -> bool:
    """A working day by the provisional rule, for years that are not loaded."""
    return provisional_year(day.year).days[day].workday


@dataclass(frozen=True, slots=True)
class Deadline:
    """A day computed in working days; ``provisional`` when it relied on a year
    that is not loaded."""

    day: date
    provisional: bool

    def __str__(self) -> str:
        return self.day.isoformat() + (" (provisional)" if self.provisional else "")


@dataclass(frozen=True)
class WorkCalendar:
    """``years``: the loaded years; ``exceptions``: the days of loaded years
    whose status differs from Monday–Friday (holidays on weekdays, make-up
    working days on weekends)."""

    years: frozenset[int] = frozenset()
    exceptions: Mapping[date, bool] = field(default_factory=dict)

    @classmethod
    def of(cls, years: Iterable[YearDays]) -> WorkCalendar:
        """The calendar of these years (as read from the package or a file)."""
        chosen = list(years)
        exceptions = {
            day: info.workday
            for year in chosen
            for day, info in [*year.days.items(), *year.earlier.items()]
            if info.kind in ("holiday", "makeup")
        }
        return cls(frozenset(y.year for y in chosen), exceptions)

    def is_known(self, day: date) -> bool:
        return day.year in self.years

    def is_workday(self, day: date) -> bool:
        if day.year in self.years:
            return self.exceptions.get(day, day.weekday() < 5)
        return provisional_workday(day)

    def add_working_days(self, start: date, count: int) -> Deadline:
        """The ``count``-th working day after ``start`` (``start`` itself not counted)."""
        if count < 1:
            raise ValueError(f"count must be at least 1, not {count}")
        day, seen, provisional = start, 0, False
        for _ in range(_MAX_WALK):
            day += _ONE_DAY
            provisional = provisional or not self.is_known(day)
            if self.is_workday(day):
                seen += 1
                if seen == count:
                    return Deadline(day, provisional)
        raise ValueError(f"no {count} working days within {_MAX_WALK} days after {start}")

    def first_working_day(self, on_or_after: date) -> Deadline:
        """The first working day on or after a date."""
        day, provisional = on_or_after, False
        for _ in range(_MAX_WALK):
            provisional = provisional or not self.is_known(day)
            if self.is_workday(day):
                return Deadline(day, provisional)
            day += _ONE_DAY
        raise ValueError(f"no working day within {_MAX_WALK} days of {on_or_after}")

    def working_days_left(self, today: date, deadline: date) -> int:
        """Working days in (today, deadline]; negative (working days in
        (deadline, today]) once the deadline has passed, 0 on the day itself."""
        if deadline >= today:
            return self._count(today, deadline)
        return -self._count(deadline, today)

    def _count(self, after: date, until: date) -> int:
        days = (until - after).days
        return sum(self.is_workday(after + timedelta(days=i)) for i in range(1, days + 1))
