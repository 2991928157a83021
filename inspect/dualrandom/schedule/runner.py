"""Running steps exactly once, and catching up: the scheduler's entry points.

These take the :class:`~dualrandom.app.App`, not a session, because a step
needs two transactions — the claim must be committed (and so seen by every
other run) before the work starts. Everything else is a service function.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from dualrandom import audit
from dualrandom.app import App
from dualrandom.beacon import Pin, fetch_round, sign_demo_round
from dualrandom.config import BeaconSettings
from dualrandom.db import as_utc
from dualrandom.draws import SecretStore
from dualrandom.errors import BeaconError, DualRandomError, UserError
from dualrandom.lifecycle.deadlines import refresh_calendar
from dualrandom.publish import consistent_reads
from dualrandom.rules.store import list_plans, load_plan
from dualrandom.schedule.ledger import Claim, StepKey, claim, ensure_rows, fail, get_row, mark_done
from dualrandom.schedule.steps import STEP_WORK, StepContext, waiting_for
from dualrandom.schedule.timeline import STEPS, StepTime, is_scheduled, plan_steps
from dualrandom.tables import StepRunRow
from dualrandom.workdays import WorkCalendar, load_calendar

__all__ = ["Outcome", "catch_up", "new_owner", "run_step", "sync_all"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one call did with one step: ran, failed, or why it did nothing
    (done, not_due, waiting, busy)."""

    key: StepKey
    status: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.key}: {self.status}" + (f" ({self.detail})" if self.detail else "")


class _LeaseLost(Exception):
    """Another run took the step over after this run's lease expired."""


def new_owner() -> str:
    """Who is running: host, process and a nonce, so two runs never share a name."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _steps(app: App, session: Session, calendar: WorkCalendar, plan_id: str) -> list[StepTime]:
    plan = load_plan(session, plan_id)
    if not is_scheduled(plan):
        raise UserError(
            f'计划 {plan_id} 不由调度器抽取（schedule = "manual"），请手工抽取',
            f'plan {plan_id} is not scheduled (schedule = "manual"); draw it by hand',
        )
    return plan_steps(plan, calendar, app.settings.timezone, app.settings.scheduler.draw_time)


def sync_all(app: App, session: Session) -> list[StepTime]:
    """Ledger rows for every scheduled plan, due times recomputed; pending rows
    of plans that are no longer scheduled go away (they never ran)."""
    calendar = load_calendar(session)
    steps: list[StepTime] = []
    manual: list[str] = []
    for stored in list_plans(session):
        if is_scheduled(stored.plan):
            steps += plan_steps(
                stored.plan, calendar, app.settings.timezone, app.settings.scheduler.draw_time
            )
        else:
            manual.append(stored.plan.id)
    ensure_rows(session, steps)
    if manual:
        session.execute(
            delete(StepRunRow).where(
                StepRunRow.plan_id.in_(manual), StepRunRow.state == "pending", StepRunRow.runs == 0
            )
        )
    return steps


def run_step(
    app: App, plan_id: str, step: str, *, now: datetime, owner: str | None = None
) -> Outcome:
    """Run one step if it is due, not done, not waiting and nobody else holds it."""
    now, owner = as_utc(now), owner or new_owner()
    try:
        claimed = _claim(app, plan_id, step, now, owner)
    except OperationalError as exc:
        # SQLite: another writer held the database past the busy timeout.
        return Outcome(
            StepKey(plan_id, "", step),
            "busy",
            f"数据库正忙：{exc.orig} (the database is busy: {exc.orig})",
        )
    if isinstance(claimed, Outcome):
        return claimed
    return _execute(app, claimed, now)


def _claim(app: App, plan_id: str, step: str, now: datetime, owner: str) -> Claim | Outcome:
    with app.transaction() as session:
        steps = _steps(app, session, load_calendar(session), plan_id)
        ensure_rows(session, steps)
        key = next(StepKey(s.plan_id, s.batch, s.step) for s in steps if s.step == step)
        refused = _refusal(session, key, now)
        if refused is not None:
            return refused
        lease = timedelta(minutes=app.settings.scheduler.lease_minutes)
        return claim(session, key, owner, now, lease) or _busy(session, key)


def _refusal(session: Session, key: StepKey, now: datetime) -> Outcome | None:
    row = get_row(session, key)
    assert row is not None  # ensure_rows made it
    if row.state == "done":
        return Outcome(key, "done", row.outcome)
    if as_utc(row.due_at) > now:
        due = as_utc(row.due_at).isoformat()
        return Outcome(key, "not_due", f"{due} 到期 (due {due})")
    reason = waiting_for(session, row, now)
    return Outcome(key, "waiting", reason) if reason else None


def _busy(session: Session, key: StepKey) -> Outcome:
    row = get_row(session, key)
    if row is not None and row.state == "done":
        return Outcome(key, "done", row.outcome)
    until = as_utc(row.lease_expires_at).isoformat() if row and row.lease_expires_at else "?"
    owner = row.owner if row else "?"
    return Outcome(
        key, "busy", f"由 {owner} 执行，租约至 {until} (claimed by {owner} until {until})"
    )


def _execute(app: App, claimed: Claim, now: datetime) -> Outcome:
    key = claimed.key
    try:
        with app.transaction() as session:
            consistent_reads(session)  # one snapshot (PostgreSQL): a step reads a lot
            if not mark_done(session, key, claimed.owner, now):
                raise _LeaseLost
            row = get_row(session, key)
            assert row is not None
            done = STEP_WORK[key.step](session, row, _context(app, now))
            late = _record(app, session, row, done.outcome, done.draw_attempt, now)
            payload = _payload(app, row, claimed, now, late) | done.details
            audit.append(session, "schedule.step", str(key), payload, actor=audit.scheduler_actor(), at=now)
    except _LeaseLost:
        return Outcome(
            key,
            "busy",
            "本次运行的租约过期后，另一运行接手了该步骤 "
            "(another run took the step over after this run's lease expired)",
        )
    except Exception as exc:  # the step failed: record it, and let the next catch-up retry
        return _failed(app, claimed, now, exc)
    return Outcome(key, "ran", done.outcome + ("（迟）(late)" if late else ""))


def _context(app: App, now: datetime) -> StepContext:
    settings = app.settings
    return StepContext(
        secrets=SecretStore(settings.secrets_dir),
        var_dir=settings.var_dir,
        site_dir=settings.site_dir,
        site=settings.site,
        timezone=settings.timezone,
        now=now,
        entropy_mode=settings.scheduler.entropy,
        actor=audit.scheduler_actor(),
        beacon=settings.beacon,
        obtain_round=lambda pin: obtain_round(pin, settings.beacon),
    )


FETCH_ATTEMPTS = 4


def obtain_round(pin: Pin, beacon: BeaconSettings, sleep: Callable[[float], None] = time.sleep) -> bytes:
    """The pinned round from the relays, retried with backoff (2, 4, 8 s) while none
    serves it; the demo chain's rounds are signed with its public key, where allowed."""
    if pin.chain.is_demo and beacon.allow_demo:
        return sign_demo_round(pin.round).to_json()
    delay = 2.0
    for attempt in range(1, FETCH_ATTEMPTS + 1):
        try:
            return fetch_round(pin.chain, pin.round, relays=beacon.relays)
        except BeaconError:
            if attempt == FETCH_ATTEMPTS:
                raise
            sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")


def _record(
    app: App,
    session: Session,
    row: StepRunRow,
    outcome: str,
    attempt: int | None,
    now: datetime,
) -> bool:
    late = now - as_utc(row.due_at) > timedelta(minutes=app.settings.scheduler.late_after_minutes)
    row.outcome, row.draw_attempt, row.late = outcome, attempt, late
    session.flush()
    return late


def _payload(
    app: App, row: StepRunRow, claimed: Claim, now: datetime, late: bool
) -> dict[str, object]:
    due = as_utc(row.due_at)
    payload: dict[str, object] = {
        "step": row.step,
        "batch": row.batch,
        "due": due.astimezone(app.settings.timezone).isoformat(),
        "due_provisional": row.due_provisional,
        "ran_at": now.astimezone(app.settings.timezone).isoformat(),
        "late": late,
        "owner": claimed.owner,
        "run": claimed.run,
    }
    if late:
        payload["late_by_minutes"] = int((now - due).total_seconds() // 60)
    if claimed.previous_state == "running":
        payload["took_over_from"] = claimed.previous_owner  # it died holding the lease
    return payload


def _failed(app: App, claimed: Claim, now: datetime, exc: Exception) -> Outcome:
    message = str(exc) if isinstance(exc, DualRandomError) else f"{type(exc).__name__}: {exc}"
    if not isinstance(exc, DualRandomError):
        log.exception("step %s failed", claimed.key)
    with app.transaction() as session:
        if fail(session, claimed.key, claimed.owner, now, message):
            audit.append(
                session,
                "schedule.failed",
                str(claimed.key),
                {
                    "step": claimed.key.step,
                    "error": message,
                    "owner": claimed.owner,
                    "run": claimed.run,
                },
                actor=audit.scheduler_actor(),
                at=now,
            )
    return Outcome(claimed.key, "failed", message)


def catch_up(app: App, *, now: datetime, owner: str | None = None) -> list[Outcome]:
    """Run every step that is due and not done, in order; the daily tick and
    the start-up call this, so nothing missed while the scheduler was down is
    lost (a step run late says so in its audit entry)."""
    now, owner = as_utc(now), owner or new_owner()
    with app.transaction() as session:
        refresh_calendar(session, app.settings.lifecycle, now=now, actor=audit.scheduler_actor())
        steps = sync_all(app, session)
        done = {
            (r.plan_id, r.batch, r.step)
            for r in session.scalars(select(StepRunRow).where(StepRunRow.state == "done"))
        }
    draw_due = {s.plan_id: s.due for s in steps if s.step == "draw"}
    due = sorted(
        (s for s in steps if s.due <= now and (s.plan_id, s.batch, s.step) not in done),
        key=lambda s: (draw_due[s.plan_id], s.plan_id, STEPS.index(s.step)),
    )
    return [run_step(app, s.plan_id, s.step, now=now, owner=owner) for s in due]
