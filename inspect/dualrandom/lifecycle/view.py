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

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session

from dualrandom.draws import (
    VISIT_COLUMNS,
    DrawState,
    VisitView,
    visit_cells,
    visit_json,
)
from dualrandom.draws.view import Numbers, Picked, visit_records
from dualrandom.lifecycle.states import LABELS
from dualrandom.lifecycle.tasks import find_task, standing_draw
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
    """A task and its visit; the fields after the visit are draws.view.TASK_CELLS."""

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


def _task_page(filtered: bool) -> Select[int]:
    """The visit numbers of a page of a draw's tasks (in some states, if ``filtered``)."""
    where = [InspectionTaskRow.draw_id == bindparam("draw_id")]
    if filtered:
        where.append(InspectionTaskRow.state.in_(bindparam("states", expanding=True)))
    return (
        select(InspectionTaskRow.visit)
        .where(*where)
        .order_by(InspectionTaskRow.visit)
        .offset(bindparam("task_offset"))
        .limit(bindparam("task_limit"))
    )


# Built once (building a statement costs more than running it); see Picked.
_TASK_PAGE = {filtered: _task_page(filtered) for filtered in (False, True)}


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
    params: dict[str, Any] = {
        "task_offset": offset,
        "task_limit": 2**62 if limit is None else limit,
    }
    if states:
        params["states"] = list(states)
    return draw, _views(session, draw, Picked(_TASK_PAGE[bool(states)], params))


def task_view(session: Session, plan_id: str, visit: int) -> TaskView:
    """One task of the plan's standing draw, by visit number; NotFoundError if none."""
    draw = standing_draw(session, plan_id)
    found = _views(session, draw, [visit])
    if not found:
        find_task(session, draw, f"#{visit}")  # raises its NotFoundError
    return found[0]


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


# The plan's drawn draw if the officer is on the visit's team; built once.
_OFFICER_DRAW = (
    select(DrawRow)
    .join(DrawMemberRow, DrawMemberRow.draw_id == DrawRow.id)
    .where(
        DrawRow.plan_id == bindparam("plan_id"),
        DrawRow.state == DrawState.DRAWN,
        DrawMemberRow.cert_no == bindparam("cert_no"),
        DrawMemberRow.visit == bindparam("visit"),
    )
    .order_by(DrawRow.attempt.desc())
    .limit(1)
)


def inspector_task(
    session: Session, cert_no: str, plan_id: str, visit: int
) -> tuple[DrawRow, TaskView] | None:
    """The task of visit ``visit`` of the plan's drawn draw if the officer ``cert_no``
    is on its team (one of :func:`inspector_tasks`, found without reading the others);
    None if not."""
    params = {"plan_id": plan_id, "cert_no": cert_no, "visit": visit}
    draw = session.scalars(_OFFICER_DRAW, params).first()
    if draw is None:
        return None
    found = _views(session, draw, [visit])
    return (draw, found[0]) if found else None


def _officer_visits(cert_no: Any) -> Select[int, int]:
    """(draw, visit) of each task of a drawn draw whose team has the officer ``cert_no``."""
    return (
        select(DrawMemberRow.draw_id, DrawMemberRow.visit)
        .join(DrawRow, DrawMemberRow.draw_id == DrawRow.id)
        .where(DrawRow.state == DrawState.DRAWN, DrawMemberRow.cert_no == cert_no)
    )


_OFFICER_COUNT = select(func.count()).select_from(_officer_visits(bindparam("cert_no")).subquery())


def count_inspector_tasks(session: Session, cert_no: str) -> int:
    """How many tasks :func:`inspector_tasks` lists for the officer ``cert_no``."""
    return int(session.scalar(_OFFICER_COUNT, {"cert_no": cert_no}) or 0)


def _officer_page() -> tuple[Select[DrawRow], Select[int]]:
    """The draws of a page of an officer's tasks, and the visits of one of them."""
    page = (
        _officer_visits(bindparam("cert_no"))
        .order_by(DrawRow.plan_id, DrawMemberRow.visit)
        .offset(bindparam("officer_offset"))
        .limit(bindparam("officer_limit"))
        .subquery()
    )
    draws = select(DrawRow).where(DrawRow.id.in_(select(page.c.draw_id))).order_by(DrawRow.plan_id)
    return draws, select(page.c.visit).where(page.c.draw_id == bindparam("draw_id"))


_OFFICER_DRAWS, _OFFICER_VISITS = _officer_page()


def inspector_tasks(
    session: Session, cert_no: str, *, offset: int = 0, limit: int | None = None
) -> list[tuple[DrawRow, TaskView]]:
    """(draw, task) of every task of a standing draw whose team has the officer
    ``cert_no``, by plan and visit: what an inspector sees of the draws;
    ``offset`` and ``limit`` page through them."""
    params = {
        "cert_no": cert_no,
        "officer_offset": offset,
        "officer_limit": 2**62 if limit is None else limit,
    }
    found = []
    for draw in session.scalars(_OFFICER_DRAWS, params).all():
        views = _views(session, draw, Picked(_OFFICER_VISITS, params))
        found += [(draw, view) for view in views]
    return found


def _views(session: Session, draw: DrawRow, numbers: Numbers) -> list[TaskView]:
    """The tasks of the visits ``numbers`` of ``draw`` (a list, or a statement
    selecting them), in visit order, read with their visits: a visit without a
    task is left out."""
    return [
        TaskView(view, *task)
        for view, task in visit_records(session, draw, numbers=numbers)
        if task is not None
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
