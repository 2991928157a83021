"""APScheduler 3.x wiring: the trigger, never the guarantee.

Jobs name their functions as text (``module:function``) with plain
arguments, have explicit ids, ``replace_existing``, ``coalesce``,
``max_instances=1`` and no misfire limit, and run one at a time. They only
call the runner's entry points; the ledger makes each step happen once.

- ``dualrandom:tick`` runs daily at ``[scheduler] tick_time``: catch up on
  every step that is due and not done, then re-plan the step jobs (plans or
  the calendar may have changed).
- ``dualrandom:step:<plan>:<batch>:<step>`` runs at the step's due time.
  When it has run, a catch-up follows at once: the steps that waited for it
  (its batch's next step, later batches of the year) run now, in order.
- Every step that is not done has its job (:func:`plan_jobs`): at its due
  time; a step that another run holds, when that run's lease ends (the
  holder may have died: the standby that took over the lock, or the
  scheduler restarted after a crash, finishes the step then, not at the next
  daily tick); a due step that waits (for another step, an earlier batch, or
  the operator's entropy), again in ``_RETRY``. A failed step is retried by
  the daily catch-up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from sqlalchemy import select

from dualrandom.app import App
from dualrandom.db import as_utc
from dualrandom.schedule.ledger import StepKey, get_row
from dualrandom.schedule.runner import Outcome, catch_up, run_step, sync_all
from dualrandom.schedule.steps import round_due
from dualrandom.tables import StepRunRow

__all__ = [
    "JOB_DEFAULTS",
    "TICK_ID",
    "bind",
    "build_scheduler",
    "plan_jobs",
    "step",
    "tick",
    "unbind",
]

log = logging.getLogger(__name__)

TICK_ID = "dualrandom:tick"
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}
_RETRY = timedelta(minutes=10)
_ROUND_SLACK = timedelta(seconds=5)  # a round reaches the relays within seconds
_AFTER_LEASE = timedelta(seconds=1)


@dataclass
class _Binding:
    app: App
    scheduler: BaseScheduler
    owner: str
    clock: Callable[[], datetime]
    report: Callable[[Outcome], None]


_bound: list[_Binding] = []  # the one scheduler of this process, while it runs


def _now() -> datetime:
    return datetime.now(UTC)


def bind(
    app: App,
    scheduler: BaseScheduler,
    owner: str,
    *,
    clock: Callable[[], datetime] = _now,
    report: Callable[[Outcome], None] = lambda outcome: log.info("%s", outcome),
) -> None:
    """Give the job functions their App: APScheduler passes only plain arguments."""
    _bound[:] = [_Binding(app, scheduler, owner, clock, report)]


def unbind() -> None:
    _bound.clear()


def _binding() -> _Binding:
    if not _bound:
        raise RuntimeError("dualrandom.schedule.jobs: no scheduler is bound in this process")
    return _bound[0]


def build_scheduler(app: App, *, blocking: bool = True) -> BaseScheduler:
    kind = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = kind(
        timezone=app.settings.timezone,
        job_defaults=JOB_DEFAULTS,
        executors={"default": ThreadPoolExecutor(max_workers=1)},
    )
    scheduler.add_listener(_on_event, EVENT_JOB_ERROR | EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES)
    return scheduler


def _on_event(event: Any) -> None:
    log.error(
        "scheduler event %s for job %s: %s",
        event.code,
        event.job_id,
        getattr(event, "exception", ""),
    )


def _job_id(plan_id: str, batch: str, step_name: str) -> str:
    return f"dualrandom:step:{plan_id}:{batch}:{step_name}"


def tick() -> None:
    """The daily job: catch up, then re-plan the step jobs."""
    bound = _binding()
    for outcome in catch_up(bound.app, now=bound.clock(), owner=bound.owner):
        bound.report(outcome)
    plan_jobs()


def step(plan_id: str, batch: str, step_name: str) -> None:
    """A step's job, at its due time (or its retry)."""
    bound = _binding()
    outcome = run_step(bound.app, plan_id, step_name, now=bound.clock(), owner=bound.owner)
    bound.report(outcome)
    if outcome.status == "ran":
        tick()  # what waited for this step runs now, in order
    elif outcome.status == "busy" and not outcome.key.batch:  # the database itself was busy
        _add_step_job(bound, plan_id, batch, step_name, bound.clock() + _RETRY)
    else:
        with bound.app.transaction() as session:
            row = get_row(session, StepKey(plan_id, batch, step_name))
            beacon = round_due(session, row) if row is not None else None
        at = _next_run(row, bound.clock()) if row is not None else None
        if at is not None and beacon is not None and beacon >= bound.clock():
            at = min(at, beacon + _ROUND_SLACK)  # a DR-2 draw runs once its round is out
        if at is not None:
            _add_step_job(bound, plan_id, batch, step_name, at)


def _next_run(row: StepRunRow, now: datetime) -> datetime | None:
    """When the job of a step not done runs next (None: done, or failed and
    left to the daily catch-up)."""
    if row.state in ("done", "failed"):
        return None
    due = as_utc(row.due_at)
    if due > now:
        return due
    if row.state == "running" and row.lease_expires_at is not None:
        return max(as_utc(row.lease_expires_at), now) + _AFTER_LEASE
    return now + _RETRY


def _add_step_job(bound: _Binding, plan_id: str, batch: str, step_name: str, at: datetime) -> None:
    tz = bound.app.settings.timezone
    bound.scheduler.add_job(
        "dualrandom.schedule.jobs:step",
        DateTrigger(run_date=at.astimezone(tz), timezone=tz),
        args=[plan_id, batch, step_name],
        id=_job_id(plan_id, batch, step_name),
        name=f"{plan_id} {step_name}",
        replace_existing=True,
        **JOB_DEFAULTS,
    )


def plan_jobs() -> list[str]:
    """(Re)place the daily tick and the job of every step not done (see the
    module docstring); drop the others."""
    bound = _binding()
    settings = bound.app.settings
    at = settings.scheduler.tick_time
    bound.scheduler.add_job(
        "dualrandom.schedule.jobs:tick",
        CronTrigger(hour=at.hour, minute=at.minute, timezone=settings.timezone),
        id=TICK_ID,
        name="daily catch-up",
        replace_existing=True,
        **JOB_DEFAULTS,
    )
    now = bound.clock()
    with bound.app.transaction() as session:
        steps = sync_all(bound.app, session)
        rows = {(r.plan_id, r.batch, r.step): r for r in session.scalars(select(StepRunRow))}
    wanted = []
    for s in steps:
        row = rows.get((s.plan_id, s.batch, s.step))
        when = _next_run(row, now) if row is not None else None
        if when is not None:
            _add_step_job(bound, s.plan_id, s.batch, s.step, when)
            wanted.append(_job_id(s.plan_id, s.batch, s.step))
    for job in bound.scheduler.get_jobs():
        if job.id.startswith("dualrandom:step:") and job.id not in wanted:
            job.remove()  # done, failed, or its plan is no longer scheduled
    return wanted
