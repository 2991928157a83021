"""``dualrandom scheduler run``: the one long-running process."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime

from apscheduler.schedulers import SchedulerNotRunningError
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
    the next start, as after any crash).

    The handler runs in the main thread between two of its bytecodes, maybe
    while that thread holds one of the scheduler's locks (its wake-up event's
    in ``wakeup()``, which is not re-entrant). So the handler takes no lock:
    it writes a byte to a pipe, and a thread waiting on the pipe shuts the
    scheduler down once the main thread lets go of the lock.
    """
    if threading.current_thread() is not threading.main_thread():
        return  # only the main thread may set a signal handler
    read_end, write_end = os.pipe()
    stopping = False

    def shut_down() -> None:
        os.read(read_end, 1)
        with suppress(SchedulerNotRunningError):  # it stopped by itself meanwhile
            scheduler.shutdown(wait=False)

    def stop(*_: object) -> None:
        nonlocal stopping
        if stopping:
            return  # a second SIGTERM: the first one's stop is under way
        stopping = True
        if not scheduler.running:
            raise SystemExit(0)  # not started yet: leave through the lock's cleanup
        os.write(write_end, b"!")

    threading.Thread(target=shut_down, name="dualrandom-sigterm", daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
