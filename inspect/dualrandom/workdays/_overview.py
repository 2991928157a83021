"""What ``calendar show YEAR`` prints: a loaded year as stored, or the
provisional rule for a year that is not loaded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from dualrandom.workdays._model import FIXED_HOLIDAYS, provisional_workday
from dualrandom.workdays._year import DayInfo
from dualrandom.workdays.store import LoadedYear, loaded_years, year_days

__all__ = ["YearOverview", "year_overview"]


@dataclass(frozen=True)
class YearOverview:
    year: int
    loaded: LoadedYear | None
    days: dict[date, DayInfo]

    @property
    def provisional(self) -> bool:
        return self.loaded is None

    @property
    def working_days(self) -> int:
        return sum(info.workday for info in self.days.values())

    def holidays(self) -> list[tuple[str, date, date]]:
        """Runs of consecutive holiday days of one name: (name, first, last)."""
        runs: list[tuple[str, date, date]] = []
        for day, info in sorted(self.days.items()):
            if info.kind != "holiday":
                continue
            if runs and runs[-1][0] == info.name and runs[-1][2] == day - timedelta(days=1):
                runs[-1] = (info.name, runs[-1][1], day)
            else:
                runs.append((info.name, day, day))
        return runs

    def makeup(self) -> list[tuple[date, str]]:
        return [(d, i.name) for d, i in sorted(self.days.items()) if i.kind == "makeup"]

    def by_month(self) -> dict[int, int]:
        counts = dict.fromkeys(range(1, 13), 0)
        for day, info in self.days.items():
            counts[day.month] += info.workday
        return counts


def _provisional_days(year: int) -> dict[date, DayInfo]:
    first = date(year, 1, 1)
    days = {}
    for offset in range((date(year, 12, 31) - first).days + 1):
        day = first + timedelta(days=offset)
        name = FIXED_HOLIDAYS.get((day.month, day.day), "")
        if provisional_workday(day):
            days[day] = DayInfo(True, "workday")
        elif name and day.weekday() < 5:
            days[day] = DayInfo(False, "holiday", name)
        else:
            days[day] = DayInfo(False, "weekend")
    return days


def year_overview(session: Session, year: int) -> YearOverview:
    loaded = next((y for y in loaded_years(session) if y.year == year), None)
    days = year_days(session, year) if loaded else _provisional_days(year)
    return YearOverview(year, loaded, days)
