"""When each step of a scheduled batch is due: prepare, draw, publish.

- ``schedule = "quarterly"``: the draw is at ``[scheduler] draw_time`` on the
  first working day of the quarter in which the check window starts. Cron
  cannot say "first working day", so it is computed from the working-day
  calendar, provisionally when that year is not loaded.
- a cron expression: the draw is at its last firing in the 92 days (a
  quarter) up to and including the first day of the check window; if none,
  its first firing after that day until the window ends; if none, its last
  firing before (``rules check`` has made sure it fires at all).
- prepare (the commitment) is due ``prepare_days_before`` days before the
  draw at the same time of day; publish is due with the draw and runs
  right after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from dualrandom.core.model import Plan
from dualrandom.workdays import WorkCalendar

__all__ = ["STEPS", "StepTime", "draw_time", "is_scheduled", "plan_steps"]

STEPS = ("prepare", "draw", "publish")
_DAY = timedelta(days=1)
_LOOKBACK = timedelta(days=92)


@dataclass(frozen=True, slots=True)
class StepTime:
    plan_id: str
    batch: str
    step: str
    due: datetime  # UTC
    provisional: bool  # computed on a year whose working days are not loaded


def is_scheduled(plan: Plan) -> bool:
    return plan.schedule != "manual"


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _local(day: date, at: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=tz)


def draw_time(plan: Plan, calendar: WorkCalendar, tz: ZoneInfo, at: time) -> tuple[datetime, bool]:
    """The draw's time (UTC) and whether it is provisional."""
    if plan.schedule == "quarterly":
        first = calendar.first_working_day(_quarter_start(plan.window_start))
        return _local(first.day, at, tz).astimezone(UTC), first.provisional
    return _cron_time(plan, tz).astimezone(UTC), False


def _cron_time(plan: Plan, tz: ZoneInfo) -> datetime:
    trigger = CronTrigger.from_crontab(plan.schedule, timezone=tz)
    start, earliest = plan.window_start, date(plan.year - 1, 1, 1)
    before = _last_firing_between(trigger, max(start - _LOOKBACK, earliest), start, tz)
    if before is not None:
        return before
    after = trigger.get_next_fire_time(None, _local(start + _DAY, time(), tz))
    if after is not None and after < _local(plan.window_end + _DAY, time(), tz):
        return after  # type: ignore[no-any-return]
    before = _last_firing_between(trigger, earliest, start - _LOOKBACK, tz)
    if before is None:  # rules check refuses such a plan; never a crash here
        raise ValueError(f"plan {plan.id}: schedule {plan.schedule!r} never fires")
    return before


def _last_firing_between(
    trigger: CronTrigger, first: date, last: date, tz: ZoneInfo
) -> datetime | None:
    """Walking back a day at a time: a cron firing every minute would take a
    million steps forward from the start of the previous year."""
    day = last
    while day >= first:
        found = _last_firing_on(trigger, day, tz)
        if found is not None:
            return found
        day -= _DAY
    return None


def _last_firing_on(trigger: CronTrigger, day: date, tz: ZoneInfo) -> datetime | None:
    end = _local(day + _DAY, time(), tz)
    fire = trigger.get_next_fire_time(None, _local(day, time(), tz))
    last = None
    while fire is not None and fire < end:
        last = fire
        fire = trigger.get_next_fire_time(fire, fire + timedelta(microseconds=1))
    return last


def plan_steps(plan: Plan, calendar: WorkCalendar, tz: ZoneInfo, at: time) -> list[StepTime]:
    """The three steps of a scheduled plan, in order."""
    draw, provisional = draw_time(plan, calendar, tz, at)
    prepare = (draw.astimezone(tz) - timedelta(days=plan.prepare_days_before)).astimezone(UTC)
    return [
        StepTime(plan.id, plan.batch, "prepare", prepare, provisional),
        StepTime(plan.id, plan.batch, "draw", draw, provisional),
        StepTime(plan.id, plan.batch, "publish", draw, provisional),
    ]
