"""The step ledger (``step_runs``): exactly once, by compare-and-set with a lease.

A step is one row, unique per (plan, batch, step). Whoever wants to run it

1. claims it: ``UPDATE … SET state='running', owner=me, lease=now+L WHERE
   state IN ('pending','failed') OR (state='running' AND lease < now)``;
   only the run whose update changed the row goes on, and commits the claim;
2. in a second transaction marks it ``done`` — again only ``WHERE owner=me
   AND state='running'`` — *before* doing the work, then does the work, so
   the mark and the step's results commit together or not at all.

On PostgreSQL the mark takes the row lock first, so a run that finds the
lease expired waits for the holder's transaction and then sees ``done``; on
SQLite every writer holds the database lock for its whole transaction
(BEGIN IMMEDIATE). So the lease needs no renewing, however long a step
takes: it only decides when a run that *died* may be replaced. A run that
dies mid-step leaves ``running`` with a lease that expires; the next run
after it claims the row and does the step whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from dualrandom.schedule.timeline import StepTime
from dualrandom.tables import StepRunRow

__all__ = ["Claim", "StepKey", "claim", "ensure_rows", "fail", "get_row", "mark_done"]


@dataclass(frozen=True, slots=True)
class StepKey:
    plan_id: str
    batch: str
    step: str

    def __str__(self) -> str:
        return f"{self.plan_id}/{self.step}"


@dataclass(frozen=True, slots=True)
class Claim:
    """A successful claim: who held the step before (a run that died), if anyone."""

    key: StepKey
    owner: str
    run: int
    previous_owner: str
    previous_state: str


def _where(key: StepKey) -> tuple[ColumnElement[bool], ...]:
    return (StepRunRow.plan_id == key.plan_id, StepRunRow.batch == key.batch, StepRunRow.step == key.step)


def get_row(session: Session, key: StepKey) -> StepRunRow | None:
    return session.scalars(select(StepRunRow).where(*_where(key))).first()


def ensure_rows(session: Session, steps: list[StepTime]) -> None:
    """Create missing rows (concurrent creators do not collide); move the due
    time of a step not yet claimed when the plan or the calendar changed."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    for step in steps:
        values = {
            "plan_id": step.plan_id,
            "batch": step.batch,
            "step": step.step,
            "due_at": step.due,
            "due_provisional": step.provisional,
            "state": "pending",
            "owner": "",
            "runs": 0,
            "late": False,
            "entropy": "",
            "outcome": "",
            "error": "",
        }
        session.execute(insert(StepRunRow).values(**values).on_conflict_do_nothing())
        session.execute(
            update(StepRunRow)
            .where(*_where(StepKey(step.plan_id, step.batch, step.step)))
            .where(StepRunRow.state.in_(("pending", "failed")))
            .where(or_(StepRunRow.due_at != step.due, StepRunRow.due_provisional != step.provisional))
            .values(due_at=step.due, due_provisional=step.provisional)
        )


def claim(
    session: Session, key: StepKey, owner: str, now: datetime, lease: timedelta
) -> Claim | None:
    """Compare-and-set: take the step if nobody holds a live lease on it."""
    before = get_row(session, key)
    if before is None:
        return None
    result = session.execute(
        update(StepRunRow)
        .where(*_where(key))
        .where(
            or_(
                StepRunRow.state.in_(("pending", "failed")),
                and_(StepRunRow.state == "running", StepRunRow.lease_expires_at < now),
            )
        )
        .values(
            state="running",
            owner=owner,
            lease_expires_at=now + lease,
            started_at=now,
            runs=StepRunRow.runs + 1,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return Claim(key, owner, before.runs + 1, before.owner, before.state)


def mark_done(session: Session, key: StepKey, owner: str, now: datetime) -> bool:
    """Mark the claimed step done (in the transaction that does its work)."""
    result = session.execute(
        update(StepRunRow)
        .where(*_where(key))
        .where(StepRunRow.owner == owner, StepRunRow.state == "running")
        .values(state="done", finished_at=now, lease_expires_at=None, error="")
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]


def fail(session: Session, key: StepKey, owner: str, now: datetime, error: str) -> bool:
    """Give the step back as failed; the next catch-up tries it again."""
    result = session.execute(
        update(StepRunRow)
        .where(*_where(key))
        .where(StepRunRow.owner == owner, StepRunRow.state == "running")
        .values(state="failed", finished_at=now, lease_expires_at=None, error=error)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]
