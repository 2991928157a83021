"""``dualrandom scheduler run``: the one long-running process."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.schedulers.base import BaseScheduler

from dualrandom.app import App
from dualrandom.schedule.jobs import bind, build_scheduler, plan_jobs, unbind
from dualrandom.schedule.lock import instance_lock
from dualrandom.schedule.runner import catch_up, new_owner

__all__ = ["run_scheduler"]


def run_scheduler(app: App, *, say: Callable[[str], None], poll_seconds: float = 5.0) -> None:
    """Take the scheduler lock (or stand by for it), catch up, then run until stopped."""
    owner = new_owner()
    with instance_lock(app, on_wait=say, poll_seconds=poll_seconds) as held:
        say(f"已取得调度器锁 (Holding the {held})")
        scheduler = build_scheduler(app, blocking=True)
        bind(app, scheduler, owner, report=lambda outcome: say(str(outcome)))
        _stop_on_sigterm(scheduler)
        try:
            for outcome in catch_up(app, now=datetime.now(UTC), owner=owner):
                say(str(outcome))
            jobs = plan_jobs()
            tick = app.settings.scheduler.tick_time.strftime("%H:%M")
            say(
                f"调度器以 {owner} 运行：待运行 {len(jobs)} 个步骤，每日 {tick} 补做 "
                f"(Scheduler running as {owner}: {len(jobs)} step jobs ahead, daily catch-up at "
                f"{tick} {app.settings.timezone.key})"
            )
            scheduler.start()
        finally:
            unbind()


def _stop_on_sigterm(scheduler: BaseScheduler) -> None:
    """``kill`` stops the scheduler cleanly (a step in progress is finished by
    the next start, as after any crash)."""

    def stop(*_: object) -> None:
        if scheduler.running:
            scheduler.shutdown(wait=False)
        else:
            raise SystemExit(0)  # not started yet: leave through the lock's cleanup

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, stop)
