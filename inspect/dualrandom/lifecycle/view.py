"""The tasks of a plan's standing draw as the regulators see them.

Each task with its visit (business, items and team by name, from
:func:`dualrandom.draws.visit_views`) and where it stands: state, result,
publication deadline. Internal, like the draw's view. ``tasks list``
prints it and the console shows it; columns and JSON are defined here once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from dualrandom.draws import (
    VISIT_COLUMNS,
    DrawState,
    VisitView,
    visit_cells,
    visit_json,
    visit_views,
)
from dualrandom.lifecycle.states import LABELS
from dualrandom.lifecycle.tasks import find_task, standing_draw, tasks_of
from dualrandom.tables import DrawMemberRow, DrawRow, InspectionTaskRow

__all__ = [
    "TASK_COLUMNS",
    "TaskView",
    "count_inspector_tasks",
    "count_tasks",
    "inspector_task",
    "inspector_tasks",
    "state_counts",
    "task_cells",
    "task_json",
    "task_view",
    "task_views",
]

# The visit's columns but the ticket, then the task's.
TASK_COLUMNS = (
    *VISIT_COLUMNS[:-1],
    "状态",
    "检查完成日期",
    "检查结果",
    "后续处置",
    "公示期限",
    "备注",
)


@dataclass(frozen=True, slots=True)
class TaskView:
    visit: VisitView
    state: str
    checked_on: date | None
    result: str
    follow_up: str
    deadline: date | None
    deadline_provisional: bool
    reason: str
    replaces_visit: int | None
    replaced_by_visit: int | None


def task_views(
    session: Session,
    plan_id: str,
    *,
    states: Sequence[str] = (),
    offset: int = 0,
    limit: int | None = None,
) -> tuple[DrawRow, list[TaskView]]:
    """The plan's standing draw and its tasks in visit order; ``states`` keeps
    only tasks in those states, ``offset`` and ``limit`` page through them."""
    draw = standing_draw(session, plan_id)
    tasks = tasks_of(session, draw, states, offset=offset, limit=limit)
    return draw, _views(session, draw, tasks)


def task_view(session: Session, plan_id: str, visit: int) -> TaskView:
    """One task of the plan's standing draw, by visit number; NotFoundError if none."""
    draw = standing_draw(session, plan_id)
    return _views(session, draw, [find_task(session, draw, f"#{visit}")])[0]


def count_tasks(session: Session, draw: DrawRow, states: Sequence[str] = ()) -> int:
    query = select(func.count()).where(InspectionTaskRow.draw_id == draw.id)
    if states:
        query = query.where(InspectionTaskRow.state.in_(list(states)))
    return int(session.scalar(query) or 0)


def state_counts(session: Session, draw: DrawRow) -> dict[str, int]:
    """How many of the draw's tasks are in each state (states with none left out):
    one query, not one per state."""
    query = (
        select(InspectionTaskRow.state, func.count())
        .where(InspectionTaskRow.draw_id == draw.id)
        .group_by(InspectionTaskRow.state)
    )
    return {state: int(n) for state, n in session.execute(query)}


def inspector_task(
    session: Session, cert_no: str, plan_id: str, visit: int
) -> tuple[DrawRow, TaskView] | None:
    """The task of visit ``visit`` of the plan's drawn draw if the officer ``cert_no``
    is on its team (one of :func:`inspector_tasks`, found without reading the others);
    None if not."""
    draw = session.scalars(
        select(DrawRow)
        .join(DrawMemberRow, DrawMemberRow.draw_id == DrawRow.id)
        .where(
            DrawRow.plan_id == plan_id,
            DrawRow.state == DrawState.DRAWN,
            DrawMemberRow.cert_no == cert_no,
            DrawMemberRow.visit == visit,
        )
        .order_by(DrawRow.attempt.desc())
        .limit(1)
    ).first()
    if draw is None:
        return None
    task = session.scalars(
        select(InspectionTaskRow).where(
            InspectionTaskRow.draw_id == draw.id, InspectionTaskRow.visit == visit
        )
    ).first()
    if task is None:
        return None
    return draw, _views(session, draw, [task])[0]


def _officer_visits(cert_no: str) -> Select[DrawRow, int]:
    return (
        select(DrawRow, DrawMemberRow.visit)
        .join(DrawMemberRow, DrawMemberRow.draw_id == DrawRow.id)
        .where(DrawRow.state == DrawState.DRAWN, DrawMemberRow.cert_no == cert_no)
    )


def count_inspector_tasks(session: Session, cert_no: str) -> int:
    """How many tasks :func:`inspector_tasks` lists for the officer ``cert_no``."""
    query = select(func.count()).select_from(_officer_visits(cert_no).subquery())
    return int(session.scalar(query) or 0)


def inspector_tasks(
    session: Session, cert_no: str, *, offset: int = 0, limit: int | None = None
) -> list[tuple[str, TaskView]]:
    """(plan, task) of every task of a standing draw whose team has the officer
    ``cert_no``, by plan and visit: what an inspector sees of the draws;
    ``offset`` and ``limit`` page through them."""
    query = (
        _officer_visits(cert_no)
        .order_by(DrawRow.plan_id, DrawMemberRow.visit)
        .offset(offset)
        .limit(limit)
    )
    visits: dict[int, list[int]] = {}
    draws: dict[int, DrawRow] = {}
    for draw, visit in session.execute(query):
        draws[draw.id] = draw
        visits.setdefault(draw.id, []).append(visit)
    found = []
    for draw_id, numbers in visits.items():
        draw = draws[draw_id]
        tasks = list(
            session.scalars(
                select(InspectionTaskRow)
                .where(InspectionTaskRow.draw_id == draw_id, InspectionTaskRow.visit.in_(numbers))
                .order_by(InspectionTaskRow.visit)
            )
        )
        found += [(draw.plan_id, view) for view in _views(session, draw, tasks)]
    return found


def _views(session: Session, draw: DrawRow, tasks: Sequence[InspectionTaskRow]) -> list[TaskView]:
    if not tasks:
        return []
    numbers = [task.visit for task in tasks]
    visits = {v.number: v for v in visit_views(session, draw, numbers=numbers)}
    return [
        TaskView(
            visit=visits[task.visit],
            state=task.state,
            checked_on=task.checked_on,
            result=task.result_code,
            follow_up=task.follow_up,
            deadline=task.deadline,
            deadline_provisional=task.deadline_provisional,
            reason=task.reason,
            replaces_visit=task.replaces_visit,
            replaced_by_visit=task.replaced_by_visit,
        )
        for task in tasks
    ]


def _note(task: TaskView) -> str:
    notes = [task.reason] if task.reason else []
    if task.replaces_visit is not None:
        notes.append(f"替补第 {task.replaces_visit} 户")
    if task.replaced_by_visit is not None:
        notes.append(f"由第 {task.replaced_by_visit} 户替补")
    return "；".join(notes)


def task_cells(task: TaskView) -> list[str]:
    """One task as the text of the columns :data:`TASK_COLUMNS`."""
    deadline = ""
    if task.deadline is not None:
        deadline = task.deadline.isoformat() + ("（暂定）" if task.deadline_provisional else "")
    return [
        *visit_cells(task.visit)[:-1],
        LABELS.get(task.state, task.state),
        task.checked_on.isoformat() if task.checked_on else "",
        task.result,
        task.follow_up,
        deadline,
        _note(task),
    ]


def task_json(task: TaskView) -> dict[str, Any]:
    visit = visit_json(task.visit)
    return {
        "visit": visit.pop("number"),
        **visit,
        "state": task.state,
        "checked_on": task.checked_on.isoformat() if task.checked_on else None,
        "result": task.result or None,
        "follow_up": task.follow_up or None,
        "deadline": task.deadline.isoformat() if task.deadline else None,
        "deadline_provisional": task.deadline_provisional,
        "reason": task.reason or None,
        "replaces_visit": task.replaces_visit,
        "replaced_by_visit": task.replaced_by_visit,
    }
