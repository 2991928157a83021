"""Validation of a plan's ``schedule``: "quarterly", "manual" or a cron expression."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from apscheduler.triggers.cron import CronTrigger

from dualrandom.tomlfile import Hint

__all__ = ["SCHEDULE_WORDS", "schedule_problem"]

SCHEDULE_WORDS = ("quarterly", "manual")
_DIGIT = re.compile(r"[0-9]")


def schedule_problem(schedule: str, year: int, window_end: date) -> Hint | None:
    """Why ``schedule`` is unusable for a plan of ``year`` (Chinese, English), or None
    when it is fine."""
    if schedule in SCHEDULE_WORDS:
        return None
    fields = schedule.split()
    if len(fields) != 5:
        return Hint(
            "不是 'quarterly'、'manual' 或 5 段的 cron 表达式"
            "（分 时 日 月 星期），例如 '0 9 25 3,6,9,12 *'",
            "is not 'quarterly', 'manual' or a 5-field cron expression "
            "(minute hour day month day-of-week), e.g. '0 9 25 3,6,9,12 *'",
        )
    if _DIGIT.search(fields[4]):
        # Cron counts 0 = Sunday, APScheduler 0 = Monday: a number would be
        # read as a different day than the author meant.
        return Hint(
            "星期请写英文缩写（mon、tue … sun 或 mon-fri），不要写数字",
            "write the day of week as names (mon, tue, … sun, or mon-fri), not numbers",
        )
    try:
        trigger = CronTrigger.from_crontab(schedule, timezone=UTC)
    except ValueError as exc:
        return Hint(f"不是有效的 cron 表达式：{exc}", f"is not a valid cron expression: {exc}")
    since = datetime(year - 1, 1, 1, tzinfo=UTC)
    until = datetime(window_end.year, window_end.month, window_end.day, 23, 59, tzinfo=UTC)
    first = trigger.get_next_fire_time(None, since)
    if first is None or first > until:
        return Hint(
            f"在 {since.date()} 至时间窗口结束日 {window_end} 之间从不触发",
            f"never fires between {since.date()} and the end of the window {window_end}",
        )
    return None
