"""How much the busiest pages ask of the database: statements counted on the
engine (this thread's only: the background integrity check runs beside), and
pure parses of stored plans done once per content, not on every request."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from dualrandom.draws import view
from dualrandom.rules import store
from dualrandom.workdays import DayInfo, YearDays, load_calendar, save_year, year_days
from tests.console.conftest import T0, Console

DRAW = "/plans/2027-Q1/draws/1"


@contextmanager
def counted(console: Console) -> Iterator[list[str]]:
    """The SQL statements this thread sends while the block runs (BEGIN aside)."""
    statements: list[str] = []
    me = threading.get_ident()

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if threading.get_ident() == me and not statement.startswith("BEGIN"):
            statements.append(" ".join(statement.split()))

    event.listen(console.app.engine, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        event.remove(console.app.engine, "before_cursor_execute", seen)


def _settled_get(console: Console, username: str, path: str) -> Callable[[], None]:
    """A signed-in client's GET of ``path``, after a first one and the checks it started."""
    client = console.client(username)

    def get() -> None:
        assert client.get(path).status_code == 200

    get()
    console.settle()
    return get


@pytest.mark.parametrize("username", ["op", "admin"])
def test_the_dashboard_reads_the_calendar_once_in_a_dozen_statements(
    console: Console, username: str
) -> None:
    """It was 26: the calendar read twice, the plans three times, one query per
    plan for its draw and two per registry. The calendar's days are read again
    only when a year changed (its digest): the page after the first reads none."""
    get = _settled_get(console, username, "/")
    with counted(console) as statements:
        get()
    assert len(statements) <= 12, "\n".join(statements)
    years = [s for s in statements if s.startswith("SELECT work_calendar_years.year, work_")]
    days = [s for s in statements if s.startswith("SELECT work_calendar.day")]
    plans = [s for s in statements if "FROM plans" in s]
    assert len(years) == 1 and len(plans) == 1, "\n".join(statements)
    assert days == [], "\n".join(statements)


def test_a_changed_year_of_the_calendar_is_read_again(console: Console) -> None:
    """A year loaded anew (a corrected notice) changes its digest: the next page
    reads the days again, and counts working days with the new ones."""
    with console.app.transaction() as session:
        first = load_calendar(session)
        year = min(first.years)
        days = YearDays(year, dict(year_days(session, year)), {})
        day = next(d for d, info in days.days.items() if info.workday and d.weekday() < 5)
        days.days[day] = DayInfo(False, "holiday", "更正")
        save_year(session, days, source="test", notice="更正", now=T0, actor="test")
    with console.app.transaction() as session:
        again = load_calendar(session)
    assert first.is_workday(day) and not again.is_workday(day)


def test_a_draw_page_stays_within_fourteen_statements(console: Console) -> None:
    get = _settled_get(console, "reviewer", DRAW)
    with counted(console) as statements:
        get()
    assert len(statements) <= 14, "\n".join(statements)


def test_stored_plans_are_parsed_once_per_content(
    console: Console, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The draw's plan.json and the plans' storage JSON: the second view of each
    page parses nothing."""
    parsed: list[str] = []
    parse_plan, plan_from_json = view.parse_plan, store.plan_from_json

    def counting_parse(data: bytes, algorithm: str) -> Any:
        parsed.append("plan.json")
        return parse_plan(data, algorithm)

    def counting_from_json(value: Any) -> Any:
        parsed.append(value["id"])
        return plan_from_json(value)

    monkeypatch.setattr(view, "parse_plan", counting_parse)
    monkeypatch.setattr(store, "plan_from_json", counting_from_json)
    monkeypatch.setattr(view, "_PLANS", view.DigestMemo(32))
    monkeypatch.setattr(view, "_DRAW_ITEMS", {})
    monkeypatch.setattr(store, "_SOURCES", store.DigestMemo(256))
    client = console.client("reviewer")
    for path in (DRAW, "/"):
        assert client.get(path).status_code == 200
    console.settle()
    first = sorted(parsed)
    assert first.count("plan.json") == 1 and "2027-Q1" in first
    parsed.clear()
    for path in (DRAW, "/"):
        assert client.get(path).status_code == 200
    console.settle()
    assert parsed == []
