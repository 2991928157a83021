"""Publication deadlines in working days, and the tasks near or past them.

The law gives 20 working days from the end of the check (configurable:
``[lifecycle] publish_within_working_days``); the day the check ended is not
counted. A task whose result is in has a stored deadline; one still being
inspected is measured against the latest its check can end, the last day
of the plan's window. A deadline that touches a year not loaded in the
working-day calendar is provisional, says so, and is recomputed as soon as
that year is loaded (:func:`recompute_provisional`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from itertools import islice

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dualrandom import audit
from dualrandom.config import LifecycleSettings
from dualrandom.core.model import Plan
from dualrandom.draws import DrawState
from dualrandom.lifecycle.states import OPEN
from dualrandom.rules.store import load_plan
from dualrandom.tables import DrawRow, InspectionTaskRow, ObjectRow
from dualrandom.workdays import (
    Deadline,
    WorkCalendar,
    load_calendar,
    package_years,
    seed_from_package,
)

__all__ = [
    "DeadlineRow",
    "DepartmentDeadlines",
    "deadline_for",
    "deadline_summary",
    "deadlines",
    "recompute_provisional",
    "refresh_calendar",
    "working_calendar",
]


def deadline_for(calendar: WorkCalendar, checked_on: date, settings: LifecycleSettings) -> Deadline:
    return calendar.add_working_days(checked_on, settings.publish_within_working_days)


def recompute_provisional(
    session: Session,
    calendar: WorkCalendar,
    settings: LifecycleSettings,
    *,
    now: datetime,
    actor: str,
) -> list[dict[str, object]]:
    """Recompute every stored provisional deadline; log the changes in one entry."""
    changes: list[dict[str, object]] = []
    query = (
        select(InspectionTaskRow, DrawRow.plan_id, DrawRow.attempt)
        .join(DrawRow)
        .where(
            InspectionTaskRow.deadline_provisional.is_(True), InspectionTaskRow.checked_on.is_not(None)
        )
    )
    for task, plan_id, attempt in session.execute(query):
        assert task.checked_on is not None
        new = deadline_for(calendar, task.checked_on, settings)
        if (new.day, new.provisional) != (task.deadline, task.deadline_provisional):
            changes.append(
                {
                    "task": f"{plan_id}#{attempt}/{task.visit}",
                    "was": str(task.deadline),
                    "now": new.day.isoformat(),
                    "provisional": new.provisional,
                }
            )
            task.deadline, task.deadline_provisional = new.day, new.provisional
    if changes:
        audit.append(
            session, "task.deadlines", "recomputed", {"changed": changes}, actor=actor, at=now
        )
    return changes


def refresh_calendar(
    session: Session, settings: LifecycleSettings, *, now: datetime, actor: str
) -> list[int]:
    """Seed the years the installed ``chinesecalendar`` knows and the table lacks
    (a newer package after an upgrade); recompute provisional deadlines if any."""
    added = seed_from_package(session, now=now, actor=actor)
    if added:
        recompute_provisional(session, load_calendar(session), settings, now=now, actor=actor)
    return added


def working_calendar(
    session: Session, settings: LifecycleSettings, *, now: datetime, actor: str
) -> WorkCalendar:
    """The calendar, seeded first if the installed package knows more years."""
    calendar = load_calendar(session)
    if calendar.years.issuperset(package_years()):
        return calendar  # nothing to seed: what refresh_calendar would find, one query less
    refresh_calendar(session, settings, now=now, actor=actor)
    return load_calendar(session)


@dataclass(frozen=True, slots=True)
class DeadlineRow:
    """An open task and its publication deadline. ``basis``: ``check`` (the
    result is in) or ``window`` (not yet: the window's last day stands in
    for the end of the check). ``left``: working days left, negative once
    past; ``level``: ``red`` (past), ``yellow`` (at most the warning days
    left) or empty."""

    department: str
    plan_id: str
    attempt: int
    visit: int
    object_id: str
    object_name: str
    state: str
    checked_on: date | None
    deadline: date
    provisional: bool
    basis: str
    left: int
    level: str


def deadlines(
    session: Session, calendar: WorkCalendar, settings: LifecycleSettings, today: date
) -> list[DeadlineRow]:
    """Every open task of every standing draw, with its deadline, by department."""
    query = (
        select(InspectionTaskRow, DrawRow.plan_id, DrawRow.attempt)
        .join(DrawRow)
        .where(DrawRow.state == DrawState.DRAWN, InspectionTaskRow.state.in_(OPEN))
        .order_by(DrawRow.plan_id, InspectionTaskRow.visit)
    )
    found = list(session.execute(query))
    plans: dict[str, Plan] = {}
    names = _names(session, {task.object_id for task, _, _ in found})
    rows = []
    for task, plan_id, attempt in found:
        plan = plans.get(plan_id) or plans.setdefault(plan_id, load_plan(session, plan_id))
        rows.append(
            _row(task, plan, attempt, names.get(task.object_id, ""), calendar, settings, today)
        )
    return sorted(rows, key=lambda r: (r.department, r.deadline, r.plan_id, r.visit))


def _row(
    task: InspectionTaskRow,
    plan: Plan,
    attempt: int,
    name: str,
    calendar: WorkCalendar,
    settings: LifecycleSettings,
    today: date,
) -> DeadlineRow:
    deadline, basis = _deadline_of(
        task.checked_on is not None,
        task.deadline,
        task.deadline_provisional,
        plan,
        calendar,
        settings,
    )
    left, level = _standing(deadline, calendar, settings, today)
    return DeadlineRow(
        plan.department,
        plan.id,
        attempt,
        task.visit,
        task.object_id,
        name,
        task.state,
        task.checked_on,
        deadline.day,
        deadline.provisional,
        basis,
        left,
        level,
    )


def _deadline_of(
    checked: bool,
    stored: date | None,
    provisional: bool,
    plan: Plan,
    calendar: WorkCalendar,
    settings: LifecycleSettings,
) -> tuple[Deadline, str]:
    """A task's deadline and its basis: its own once its result is in, else its window's."""
    if checked and stored is not None:
        return Deadline(stored, provisional), "check"
    return deadline_for(calendar, plan.window_end, settings), "window"


def _standing(
    deadline: Deadline, calendar: WorkCalendar, settings: LifecycleSettings, today: date
) -> tuple[int, str]:
    """Working days left and the level: red (past), yellow (at most the warning days left)."""
    left = calendar.working_days_left(today, deadline.day)
    level = (
        "red" if deadline.day < today else ("yellow" if left <= settings.warn_working_days else "")
    )
    return left, level


@dataclass(frozen=True, slots=True)
class DepartmentDeadlines:
    """How many open tasks of a department are past (red) or near (yellow) their deadline."""

    department: str
    open: int
    red: int
    yellow: int


def deadline_summary(
    session: Session,
    calendar: WorkCalendar,
    settings: LifecycleSettings,
    today: date,
    *,
    plans: Mapping[str, Plan] | None = None,
) -> list[DepartmentDeadlines]:
    """The counts of :func:`deadlines` by department, without reading each task:
    tasks that share a plan and a stored deadline share their level, so a batch of
    50,000 visits is a few groups. ``plans``: the stored plans by id, when the
    caller has read them already (a plan not among them is read)."""
    query = (
        select(
            DrawRow.plan_id,
            InspectionTaskRow.checked_on.is_not(None),
            InspectionTaskRow.deadline,
            InspectionTaskRow.deadline_provisional,
            func.count(),
        )
        .join(DrawRow)
        .where(DrawRow.state == DrawState.DRAWN, InspectionTaskRow.state.in_(OPEN))
        .group_by(
            DrawRow.plan_id,
            InspectionTaskRow.checked_on.is_not(None),
            InspectionTaskRow.deadline,
            InspectionTaskRow.deadline_provisional,
        )
    )
    known: dict[str, Plan] = dict(plans or {})
    totals: dict[str, list[int]] = {}
    for plan_id, checked, stored, provisional, count in session.execute(query):
        plan = known.get(plan_id) or known.setdefault(plan_id, load_plan(session, plan_id))
        deadline, _ = _deadline_of(
            bool(checked), stored, bool(provisional), plan, calendar, settings
        )
        _, level = _standing(deadline, calendar, settings, today)
        counts = totals.setdefault(plan.department, [0, 0, 0])
        counts[0] += count
        counts[1] += count if level == "red" else 0
        counts[2] += count if level == "yellow" else 0
    return [DepartmentDeadlines(d, *totals[d]) for d in sorted(totals)]


def _names(session: Session, ids: set[str]) -> dict[str, str]:
    """Current names of objects (names are public; nothing personal is read)."""
    names: dict[str, str] = {}
    iterator: Iterator[str] = iter(sorted(ids))
    while chunk := list(islice(iterator, 500)):
        query = select(ObjectRow.object_id, ObjectRow.name).where(
            ObjectRow.object_id.in_(chunk), ObjectRow.version_to.is_(None)
        )
        names.update(session.execute(query).all())
    return names
