"""Finding inspection tasks and moving them between states, each move an audit entry.

A task is named by its plan and either its object's id or ``#N``, its
visit number in the plan's standing draw (the latest attempt, state
``drawn``). Service functions: the caller's session, never a commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualrandom import audit
from dualrandom.draws import DrawState, latest_draw
from dualrandom.errors import NotFoundError, TaskStateError
from dualrandom.lifecycle.states import LABELS, transition_reason
from dualrandom.tables import DrawRow, InspectionTaskRow

__all__ = [
    "cancel",
    "find_task",
    "mark_published",
    "move",
    "move_many",
    "standing_draw",
    "subject",
    "tasks_of",
]


def standing_draw(session: Session, plan_id: str) -> DrawRow:
    """The plan's latest draw, which must be drawn (not prepared or superseded)."""
    row = latest_draw(session, plan_id)
    if row is None:
        raise NotFoundError(
            f"计划 {plan_id} 尚未抽取，没有检查任务",
            f"plan {plan_id!r} has not been drawn; it has no inspection tasks",
        )
    if row.state != DrawState.DRAWN:
        raise TaskStateError(
            f"计划 {plan_id} 第 {row.attempt} 次抽取的状态是{DrawState(row.state).label}，"
            "尚未抽取，还没有检查任务",
            f"plan {plan_id} attempt {row.attempt} is {row.state}, not drawn; it has no tasks yet",
        )
    return row


def subject(draw: DrawRow, task: InspectionTaskRow) -> str:
    """How the audit log names a task: plan#attempt/visit."""
    return f"{draw.plan_id}#{draw.attempt}/{task.visit}"


def tasks_of(
    session: Session,
    draw: DrawRow,
    states: Iterable[str] = (),
    *,
    offset: int = 0,
    limit: int | None = None,
) -> list[InspectionTaskRow]:
    """The draw's tasks in visit order (in ``states`` only, if given), a page of them
    with ``offset`` and ``limit``."""
    query = select(InspectionTaskRow).where(InspectionTaskRow.draw_id == draw.id)
    wanted = tuple(states)
    if wanted:
        query = query.where(InspectionTaskRow.state.in_(wanted))
    query = query.order_by(InspectionTaskRow.visit).offset(offset).limit(limit)
    return list(session.scalars(query))


def find_task(session: Session, draw: DrawRow, ref: str) -> InspectionTaskRow:
    """The task of ``ref``: an object id, or ``#N`` for visit N."""
    query = select(InspectionTaskRow).where(InspectionTaskRow.draw_id == draw.id)
    text = ref.strip()
    if text.startswith("#") and text[1:].isdigit():
        query = query.where(InspectionTaskRow.visit == int(text[1:]))
    else:
        query = query.where(InspectionTaskRow.object_id == text).order_by(InspectionTaskRow.visit)
    task = session.scalars(query).first()
    if task is None:
        raise NotFoundError(
            f"{ref!r} 不是计划 {draw.plan_id}（第 {draw.attempt} 次抽取）的任务；请写抽中对象的"
            "统一社会信用代码，或 #N 表示第 N 户（见 dualrandom tasks list PLAN）",
            f"{ref!r} is not a task of {draw.plan_id} (attempt {draw.attempt}); name the "
            "object's id as drawn, or #N for visit N ('dualrandom tasks list PLAN')",
        )
    return task


def move(
    session: Session,
    draw: DrawRow,
    task: InspectionTaskRow,
    to: str,
    *,
    now: datetime,
    actor: str,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> None:
    """One transition: checked, applied, and logged."""
    problem = transition_reason(task.state, to)
    if problem:
        raise TaskStateError(
            f"任务 {subject(draw, task)}（{task.object_id}）不能变为{LABELS.get(to, to)}：{problem.zh}",
            f"task {subject(draw, task)} ({task.object_id}) cannot become {to}: {problem.en}",
        )
    payload = {"object_id": task.object_id, "from": task.state, "to": to, "reason": reason}
    task.state, task.updated_at = to, now
    if reason:
        task.reason = reason
    audit.append(
        session, "task.state", subject(draw, task), payload | (details or {}), actor=actor, at=now
    )


def move_many(
    session: Session,
    plan_id: str,
    refs: Sequence[str],
    to: str,
    *,
    from_states: Sequence[str],
    now: datetime,
    actor: str,
    reason: str = "",
) -> list[InspectionTaskRow]:
    """Move the named tasks, or with no names every task in ``from_states``."""
    draw = standing_draw(session, plan_id)
    tasks = (
        [find_task(session, draw, r) for r in refs]
        if refs
        else tasks_of(session, draw, from_states)
    )
    for task in tasks:
        move(session, draw, task, to, now=now, actor=actor, reason=reason)
    session.flush()
    return tasks


def cancel(
    session: Session, plan_id: str, ref: str, reason: str, *, now: datetime, actor: str
) -> InspectionTaskRow:
    if not reason.strip():
        raise TaskStateError(
            "取消任务须说明原因（--reason TEXT）", "a cancellation needs a reason (--reason TEXT)"
        )
    return move_many(
        session,
        plan_id,
        [ref],
        "cancelled",
        from_states=(),
        now=now,
        actor=actor,
        reason=reason.strip(),
    )[0]


def mark_published(
    session: Session,
    plan_id: str,
    refs: Sequence[str] = (),
    *,
    now: datetime,
    actor: str,
    notice: str = "",
) -> list[InspectionTaskRow]:
    """Reviewed results → published (the publishing code calls this once the
    result notice is out; ``notice`` names it in the audit entry)."""
    draw = standing_draw(session, plan_id)
    tasks = (
        [find_task(session, draw, r) for r in refs]
        if refs
        else tasks_of(session, draw, ["reviewed"])
    )
    for task in tasks:
        move(session, draw, task, "published", now=now, actor=actor, details={"notice": notice})
    session.flush()
    return tasks
