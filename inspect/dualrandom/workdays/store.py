"""The ``work_calendar`` tables: load, replace a year, seed from the package,
and what ``calendar show YEAR`` prints.

Every change of a year is an audit entry (``calendar.year``) with the
source, the notice and the digest of the year's day list; loading the same
days again changes nothing and logs nothing. Service functions: they take
the caller's session and never commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from dualrandom import audit
from dualrandom.errors import Problem, ValidationError
from dualrandom.tables import CalendarDayRow, CalendarYearRow
from dualrandom.workdays._model import DayInfo, WorkCalendar, YearDays, provisional_year
from dualrandom.workdays._sources import package_source, package_years

__all__ = [
    "LoadedYear",
    "YearOverview",
    "load_calendar",
    "loaded_years",
    "save_year",
    "seed_from_package",
    "year_days",
    "year_overview",
]


@dataclass(frozen=True, slots=True)
class LoadedYear:
    year: int
    source: str
    notice: str
    digest: str
    loaded_at: datetime


# The calendars read, by the loaded years, their digests and when each was
# loaded: every change of a year (save_year) sets both, so a calendar is read
# again only when a year changed (the time too: a year loaded back to an earlier
# digest may have lost days a later year's notice had set). A page that counts
# working days (a result entered, the dashboard) read some 800 days every time.
_CALENDARS: dict[tuple[tuple[int, str, datetime], ...], WorkCalendar] = {}
_YEARS = select(
    CalendarYearRow.year, CalendarYearRow.digest, CalendarYearRow.loaded_at
).order_by(CalendarYearRow.year)
_EXCEPTIONS = select(CalendarDayRow.day, CalendarDayRow.workday).where(
    CalendarDayRow.kind.in_(("holiday", "makeup"))
)


def load_calendar(session: Session) -> WorkCalendar:
    """The calendar of every loaded year (only the days that break Monday–Friday
    are read, and only when a year changed since they were last read)."""
    years = tuple((year, digest, at) for year, digest, at in session.execute(_YEARS))
    found = _CALENDARS.get(years)
    if found is None:
        found = WorkCalendar(
            frozenset(y for y, _, _ in years), dict(session.execute(_EXCEPTIONS).all())
        )
        if len(_CALENDARS) >= 8:
            _CALENDARS.clear()  # a calendar changes a few times a year
        _CALENDARS[years] = found
    return found


def loaded_years(session: Session) -> list[LoadedYear]:
    return [
        LoadedYear(r.year, r.source, r.notice, r.digest, r.loaded_at)
        for r in session.scalars(select(CalendarYearRow).order_by(CalendarYearRow.year))
    ]


def year_days(session: Session, year: int) -> dict[date, DayInfo]:
    """The stored days of ``year`` (empty when it is not loaded)."""
    rows = session.scalars(select(CalendarDayRow).where(CalendarDayRow.year == year))
    return {r.day: DayInfo(r.workday, r.kind, r.name) for r in rows}


def save_year(
    session: Session, days: YearDays, *, source: str, notice: str, now: datetime, actor: str
) -> bool:
    """Store (or replace) one year; False when it was already stored with the same days.

    Days of the year before that the notice sets (a 元旦 holiday starting in
    December) replace those days of that year, which must be loaded."""
    row = session.get(CalendarYearRow, days.year)
    digest = days.digest()
    if row is not None and row.digest == digest:
        return False
    _check_earlier(session, days)
    previous = None if row is None else row.digest
    if row is None:
        row = CalendarYearRow(year=days.year)
        session.add(row)
    row.source, row.notice, row.digest, row.loaded_at = source, notice, digest, now
    session.flush()
    session.execute(delete(CalendarDayRow).where(CalendarDayRow.year == days.year))
    # A year is 365 rows and seeding writes twenty years: one bulk insert each.
    session.execute(insert(CalendarDayRow), _rows(days.year, days.days))
    for day, info in days.earlier.items():
        stored = session.get(CalendarDayRow, day)
        if stored is not None:
            stored.workday, stored.kind, stored.name = info.workday, info.kind, info.name
    session.flush()
    audit.append(
        session,
        "calendar.year",
        str(days.year),
        _payload(days, source, notice, previous),
        actor=actor,
        at=now,
    )
    return True


def _check_earlier(session: Session, days: YearDays) -> None:
    missing = sorted(
        {d.year for d in days.earlier} - set(session.scalars(select(CalendarYearRow.year)))
    )
    if missing:
        reason = (
            f"the notice for {days.year} also sets days of {missing[0]}, whose calendar is not "
            f"loaded; load {missing[0]} first"
        )
        reason_zh = (
            f"{days.year} 年的放假通知也安排了 {missing[0]} 年的日子，而 {missing[0]} 年的日历"
            f"尚未载入；请先载入 {missing[0]} 年"
        )
        raise ValidationError([Problem(str(days.year), None, "holiday", "", reason_zh, reason)])


def _rows(year: int, days: Mapping[date, DayInfo]) -> list[dict[str, object]]:
    return [
        {"day": day, "year": year, "workday": info.workday, "kind": info.kind, "name": info.name}
        for day, info in sorted(days.items())
    ]


def _payload(days: YearDays, source: str, notice: str, previous: str | None) -> dict[str, object]:
    return {
        "source": source,
        "notice": notice,
        "digest": days.digest(),
        "previous_digest": previous,
        "holidays": {d.isoformat(): n for d, n in sorted(days.holidays.items())},
        "makeup_workdays": {d.isoformat(): n for d, n in sorted(days.makeup.items())},
        "earlier": {d.isoformat(): i.kind for d, i in sorted(days.earlier.items())},
    }


def seed_from_package(session: Session, *, now: datetime, actor: str) -> list[int]:
    """Store every year the installed ``chinesecalendar`` knows and the table
    lacks; a year already loaded (from any source) is left as it is. Returns
    the years added."""
    have = set(session.scalars(select(CalendarYearRow.year)))
    source, added = package_source(), []
    for year, days in sorted(package_years().items()):
        if year not in have:
            save_year(session, days, source=source, notice="", now=now, actor=actor)
            added.append(year)
    return added


# -- calendar show YEAR: a loaded year as stored, or the provisional rule ----------


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


def year_overview(session: Session, year: int) -> YearOverview:
    loaded = next((y for y in loaded_years(session) if y.year == year), None)
    days = year_days(session, year) if loaded else dict(provisional_year(year).days)
    return YearOverview(year, loaded, days)
