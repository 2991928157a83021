"""The tasks of a plan's standing draw as the regulators see them.

Each task with its visit (business, items and team by name, from
:func:`dualrandom.draws.visit_views`) and where it stands: state, result,
publication deadline. Internal, like the draw's view. ``tasks list``
prints it and the console shows it; columns and JSON are defined here once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from dualrandom.draws import VISIT_COLUMNS, VisitView, visit_cells, visit_json, visit_views
from dualrandom.lifecycle.states import LABELS
from dualrandom.lifecycle.tasks import standing_draw, tasks_of
from dualrandom.tables import DrawRow

__all__ = ["TASK_COLUMNS", "TaskView", "task_cells", "task_json", "task_views"]

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


def task_views(session: Session, plan_id: str) -> tuple[DrawRow, list[TaskView]]:
    """The plan's standing draw and its tasks in visit order."""
    draw = standing_draw(session, plan_id)
    visits = {visit.number: visit for visit in visit_views(session, draw)}
    return draw, [
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
        for task in tasks_of(session, draw)
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
