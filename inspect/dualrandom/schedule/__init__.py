"""Scheduled batches, exactly once.

APScheduler 3.x only triggers (:mod:`.jobs`); the guarantee that each step
of each batch — prepare, draw, publish — happens once is the database's:
a ledger row per step, claimed by compare-and-set with a lease, marked done
in the transaction that does the work (:mod:`.ledger`, :mod:`.runner`).
Start-up and a daily tick catch up on everything due; a step a dead run
held runs when its lease ends; the batches of a year run in order
(:mod:`.batches`). One scheduler runs per database, and ``scheduler
catch-up`` takes the same lock (:mod:`.lock`).
"""

from dualrandom.schedule.entropy import supply_entropy
from dualrandom.schedule.ledger import StepKey
from dualrandom.schedule.lock import instance_lock
from dualrandom.schedule.runner import Outcome, catch_up, new_owner, run_step, sync_all
from dualrandom.schedule.service import run_scheduler
from dualrandom.schedule.status import BatchTimes, StepStatus, batch_times, step_statuses
from dualrandom.schedule.steps import declared_entropy
from dualrandom.schedule.timeline import STEPS, StepTime, draw_time, is_scheduled, plan_steps

__all__ = [
    "STEPS",
    "BatchTimes",
    "Outcome",
    "StepKey",
    "StepStatus",
    "StepTime",
    "batch_times",
    "catch_up",
    "declared_entropy",
    "draw_time",
    "instance_lock",
    "is_scheduled",
    "new_owner",
    "plan_steps",
    "run_scheduler",
    "run_step",
    "step_statuses",
    "supply_entropy",
    "sync_all",
]
