"""``scheduler status`` and ``scheduler plan YEAR``: the steps and their times.

Read-only: times are computed from the plans and the calendar as they are
now, and merged with what the ledger says has happened.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualrandom.config import Settings
from dualrandom.core.model import Plan
from dualrandom.db import as_utc
from dualrandom.rules.store import StoredPlan, list_plans
from dualrandom.schedule.batches import done_by_hand
from dualrandom.schedule.steps import waiting_for
from dualrandom.schedule.timeline import StepTime, is_scheduled, plan_steps
from dualrandom.tables import StepRunRow
from dualrandom.workdays import WorkCalendar, load_calendar

__all__ = ["BatchTimes", "StepStatus", "batch_times", "step_statuses"]


@dataclass(frozen=True, slots=True)
class StepStatus:
    plan_id: str
    batch: str
    step: str
    due: datetime
    provisional: bool
    state: str  # pending | running | done | failed
    overdue: bool  # due, not done
    late: bool  # done, but late
    note: str


def _note(session: Session, row: StepRunRow | None, overdue: bool) -> str:
    if row is None:
        return _AT_NEXT_RUN if overdue else ""
    if row.state == "done":
        return row.outcome
    if row.state == "running":
        until = as_utc(row.lease_expires_at).isoformat() if row.lease_expires_at else "?"
        return f"由 {row.owner} 执行，租约至 {until} (claimed by {row.owner} until {until})"
    if row.state == "failed":
        return f"失败，每次补做时重试 (failed, retried at each catch-up)：{row.error}"
    return (waiting_for(session, row) or _AT_NEXT_RUN) if overdue else ""


# A step whose work a clerk did with 'draw prepare' / 'draw run' (Chinese first).
_BY_HAND = {"prepared": "已手工准备", "drawn": "已手工抽取"}
_AT_NEXT_RUN = "下次启动或每日补做时运行 (runs at the next start or daily catch-up)"


def _rows(session: Session) -> dict[tuple[str, str, str], StepRunRow]:
    return {(r.plan_id, r.batch, r.step): r for r in session.scalars(select(StepRunRow))}


def _scheduled(
    session: Session,
    settings: Settings,
    calendar: WorkCalendar | None,
    plans: Sequence[StoredPlan] | None,
) -> list[tuple[Plan, list[StepTime]]]:
    calendar = load_calendar(session) if calendar is None else calendar
    at = settings.scheduler.draw_time
    return [
        (s.plan, plan_steps(s.plan, calendar, settings.timezone, at))
        for s in (list_plans(session) if plans is None else plans)
        if is_scheduled(s.plan)
    ]


def step_statuses(
    session: Session,
    settings: Settings,
    now: datetime,
    *,
    calendar: WorkCalendar | None = None,
    plans: Sequence[StoredPlan] | None = None,
) -> list[StepStatus]:
    """Every step of every scheduled plan, in time order. A prepare or draw step
    whose work was done by hand (``draw prepare``, ``draw run``) is done, though
    the ledger records it only at the next catch-up. ``calendar`` and ``plans``
    (every stored plan), when the caller has read them already, are not read again."""
    rows, found = _rows(session), []
    scheduled = _scheduled(session, settings, calendar, plans)
    by_hand = done_by_hand(session, (plan.id for plan, _ in scheduled))
    for _, steps in scheduled:
        for st in steps:
            row = rows.get((st.plan_id, st.batch, st.step))
            state = row.state if row else "pending"
            hand = by_hand.get((st.plan_id, st.step)) if state != "done" else None
            due = as_utc(row.due_at) if row and state == "done" else st.due
            overdue = state != "done" and not hand and due <= now
            note = (
                f"{_BY_HAND.get(hand, hand)} ({hand} by hand)"
                if hand
                else _note(session, row, overdue)
            )
            found.append(
                StepStatus(
                    st.plan_id,
                    st.batch,
                    st.step,
                    due,
                    st.provisional,
                    "done" if hand else state,
                    overdue,
                    bool(row and row.late),
                    note,
                )
            )
    return sorted(found, key=lambda s: (s.due, s.plan_id))


@dataclass(frozen=True, slots=True)
class BatchTimes:
    plan_id: str
    batch: str
    schedule: str
    window: tuple[str, str]
    prepare: StepStatus | None  # None for a manual plan
    draw: StepStatus | None
    publish: StepStatus | None


def batch_times(
    session: Session,
    settings: Settings,
    year: int,
    now: datetime,
    *,
    calendar: WorkCalendar | None = None,
    plans: Sequence[StoredPlan] | None = None,
) -> list[BatchTimes]:
    """The year's batches with their step times and states (manual ones without
    times). ``calendar`` and ``plans`` (every stored plan, in :func:`list_plans`
    order), when the caller has read them already, are not read again."""
    steps = step_statuses(session, settings, now, calendar=calendar, plans=plans)
    statuses = {(s.plan_id, s.step): s for s in steps}
    stored = list_plans(session, year) if plans is None else [s for s in plans if s.plan.year == year]
    return [
        BatchTimes(
            p.id,
            p.batch,
            p.schedule,
            (p.window_start.isoformat(), p.window_end.isoformat()),
            statuses.get((p.id, "prepare")),
            statuses.get((p.id, "draw")),
            statuses.get((p.id, "publish")),
        )
        for p in (s.plan for s in stored)
    ]
