"""One year of the calendar as the State Council's notice gives it: every day,
working or not, and why."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

__all__ = ["KINDS", "DayInfo", "YearDays", "build_year"]

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
