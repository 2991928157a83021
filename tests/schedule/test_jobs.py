"""The APScheduler wiring, on a controllable clock: jobs are inspected, then
their functions are run inline at the simulated time (never on the real clock)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger

from dualrandom.app import App
from dualrandom.schedule import Outcome, jobs
from tests.schedule.conftest import Q1_DRAW, Q1_PREPARE, hold

MINUTE = timedelta(minutes=1)


@pytest.fixture
def wired(sample_app: App) -> Iterator[tuple[BaseScheduler, list[Outcome]]]:
    scheduler = jobs.build_scheduler(sample_app, blocking=False)
    scheduler.start(paused=True)  # jobs get their next run times; nothing runs by itself
    outcomes: list[Outcome] = []
    jobs.bind(sample_app, scheduler, "test-owner", report=outcomes.append)
    yield scheduler, outcomes
    jobs.unbind()
    scheduler.shutdown(wait=False)


def _run(scheduler: BaseScheduler, job_id: str) -> None:
    job = scheduler.get_job(job_id)
    assert job is not None, f"no job {job_id}"
    job.func(*job.args, **job.kwargs)


def test_jobs_are_text_references_with_safe_defaults(
    wired: tuple[BaseScheduler, list[Outcome]],
) -> None:
    scheduler, _ = wired
    with time_machine.travel(Q1_PREPARE - timedelta(days=30), tick=False):
        ids = jobs.plan_jobs()
    assert len(ids) == 12  # four batches × prepare, draw, publish
    by_id = {job.id: job for job in scheduler.get_jobs()}
    tick = by_id[jobs.TICK_ID]
    assert tick.func_ref == "dualrandom.schedule.jobs:tick" and isinstance(
        tick.trigger, CronTrigger
    )
    step = by_id["dualrandom:step:2027-Q1:Q1:prepare"]
    assert step.func_ref == "dualrandom.schedule.jobs:step"
    assert list(step.args) == ["2027-Q1", "Q1", "prepare"] and isinstance(step.trigger, DateTrigger)
    assert step.next_run_time.isoformat() == "2026-12-28T09:30:00+08:00"
    for job in by_id.values():
        assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, None)


def test_step_jobs_run_inline_at_their_time(wired: tuple[BaseScheduler, list[Outcome]]) -> None:
    scheduler, outcomes = wired
    with time_machine.travel(Q1_PREPARE - timedelta(days=30), tick=False):
        jobs.plan_jobs()
    with time_machine.travel(Q1_PREPARE + MINUTE, tick=False):
        _run(scheduler, "dualrandom:step:2027-Q1:Q1:prepare")
    assert [(str(o.key), o.status) for o in outcomes] == [("2027-Q1/prepare", "ran")]
    with time_machine.travel(Q1_DRAW - MINUTE, tick=False):
        _run(scheduler, "dualrandom:step:2027-Q1:Q1:publish")  # not due yet
    assert outcomes[-1].status == "not_due"
    with time_machine.travel(Q1_DRAW + MINUTE, tick=False):
        _run(scheduler, "dualrandom:step:2027-Q1:Q1:publish")  # before the draw: waits, retries
        assert outcomes[-1].status == "waiting"
        retry = scheduler.get_job("dualrandom:step:2027-Q1:Q1:publish")
        assert retry.next_run_time - (Q1_DRAW + MINUTE) == timedelta(minutes=10)
        _run(scheduler, "dualrandom:step:2027-Q1:Q1:draw")  # the waiting publish follows at once
    assert [(str(o.key), o.status) for o in outcomes[-2:]] == [
        ("2027-Q1/draw", "ran"),
        ("2027-Q1/publish", "ran"),
    ]
    assert scheduler.get_job("dualrandom:step:2027-Q1:Q1:publish") is None


def test_the_daily_tick_catches_up_and_replans(wired: tuple[BaseScheduler, list[Outcome]]) -> None:
    scheduler, outcomes = wired
    with time_machine.travel(Q1_PREPARE - timedelta(days=30), tick=False):
        jobs.plan_jobs()
    with time_machine.travel(Q1_DRAW + timedelta(days=2), tick=False):
        _run(scheduler, jobs.TICK_ID)
    assert [(str(o.key), o.status) for o in outcomes] == [
        ("2027-Q1/prepare", "ran"),
        ("2027-Q1/draw", "ran"),
        ("2027-Q1/publish", "ran"),
    ]
    remaining = {job.id for job in scheduler.get_jobs()}
    assert "dualrandom:step:2027-Q1:Q1:draw" not in remaining
    assert "dualrandom:step:2027-Q2:Q2:draw" in remaining


def test_a_step_held_by_a_dead_run_runs_when_its_lease_ends(
    sample_app: App, wired: tuple[BaseScheduler, list[Outcome]]
) -> None:
    scheduler, outcomes = wired
    with time_machine.travel(Q1_PREPARE + MINUTE, tick=False):
        jobs.tick()
    expires = hold(sample_app, "2027-Q1", "draw", "dead-run", Q1_DRAW + MINUTE)
    with time_machine.travel(Q1_DRAW + 5 * MINUTE, tick=False):  # a standby takes over
        jobs.tick()
    assert [(str(o.key), o.status) for o in outcomes[-2:]] == [
        ("2027-Q1/draw", "busy"),
        ("2027-Q1/publish", "waiting"),
    ]
    draw = scheduler.get_job("dualrandom:step:2027-Q1:Q1:draw")
    assert draw is not None and draw.next_run_time == expires + timedelta(seconds=1)
    publish = scheduler.get_job("dualrandom:step:2027-Q1:Q1:publish")
    assert publish.next_run_time == Q1_DRAW + 15 * MINUTE  # waits: tries again in 10 minutes
    with time_machine.travel(draw.next_run_time, tick=False):
        _run(scheduler, draw.id)
    # the draw ran, and the publish step that waited for it ran right after
    assert [(str(o.key), o.status) for o in outcomes[-2:]] == [
        ("2027-Q1/draw", "ran"),
        ("2027-Q1/publish", "ran"),
    ]
    assert scheduler.get_job("dualrandom:step:2027-Q1:Q1:publish") is None
