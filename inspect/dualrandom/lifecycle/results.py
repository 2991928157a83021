"""Inspection results in: ``results import FILE`` (CSV/XLSX) and ``results set``.

Files are read with :mod:`dualrandom.sheets`, as the registries are (encodings,
headers in Chinese or English, cell parsers, problems with spreadsheet row
numbers), then every row is checked against the tasks. Any problem in any
row: every problem is listed and nothing is written. A result moves its
task to ``result_entered`` and sets its publication deadline.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from dualrandom.config import LifecycleSettings
from dualrandom.errors import (
    DualRandomError,
    NotFoundError,
    Problem,
    TaskStateError,
    ValidationError,
)
from dualrandom.lifecycle.codes import FOLLOW_UPS, RESULT_CODES, result_reason
from dualrandom.lifecycle.deadlines import deadline_for
from dualrandom.lifecycle.states import transition_reason
from dualrandom.lifecycle.tasks import find_task, move, standing_draw, subject
from dualrandom.rules.store import load_plan
from dualrandom.sheets import (
    MAX_UNPACKED_BYTES,
    Batch,
    Choice,
    Column,
    Day,
    Reason,
    Text,
    in_the_future,
    open_source,
    read_sheet,
)
from dualrandom.tables import DrawRow, InspectionTaskRow
from dualrandom.workdays import WorkCalendar

__all__ = ["RESULT_COLUMNS", "ResultEntry", "ResultsSummary", "import_results", "set_result"]

RESULT_COLUMNS = (
    Column("plan", "计划编号", Text(64), required=True),
    Column("object_id", "统一社会信用代码", Text(64), required=True, also=("对象代码",)),
    Column("checked_on", "检查完成日期", Day(), required=True, also=("检查日期",)),
    Column("result", "检查结果", Choice(RESULT_CODES), required=True),
    Column("follow_up", "后续处置", Choice(FOLLOW_UPS), required=True),
    Column("note", "备注", Text(500)),
)
_BATCH_ROWS = 5000


@dataclass(frozen=True, slots=True)
class ResultEntry:
    """One result: the task (plan and object id or ``#N``) and what was found."""

    plan_id: str
    ref: str
    checked_on: date
    result: str
    follow_up: str
    note: str = ""


@dataclass
class ResultsSummary:
    source: str
    sha256: str
    entered: list[tuple[str, date, bool]] = field(
        default_factory=list
    )  # subject, deadline, provisional
    by_result: Counter[str] = field(default_factory=Counter)

    @property
    def provisional(self) -> int:
        return sum(p for _, _, p in self.entered)


def _refusal(exc: DualRandomError, chinese: str) -> Reason:
    """An error's message as a problem's reason; ``chinese`` stands in for a message
    that has no Chinese yet (then the message is the English)."""
    return Reason(exc.message, exc.english) if exc.english else Reason(chinese, exc.message)


class _Tasks:
    """Looks draws, windows and tasks up once per plan and object, remembering refusals."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.draws: dict[str, DrawRow | Reason] = {}
        self.windows: dict[str, date] = {}
        self.tasks: dict[tuple[int, str], InspectionTaskRow | Reason] = {}

    def draw(self, plan_id: str) -> DrawRow | Reason:
        if plan_id not in self.draws:
            try:
                self.draws[plan_id] = standing_draw(self.session, plan_id)
            except NotFoundError as exc:
                self.draws[plan_id] = _refusal(exc, f"计划 {plan_id} 尚未抽取，没有检查任务")
            except TaskStateError as exc:
                chinese = f"计划 {plan_id} 的最近一次抽取尚未完成，还没有检查任务"
                self.draws[plan_id] = _refusal(exc, chinese)
        return self.draws[plan_id]

    def window_start(self, plan_id: str) -> date:
        """The first day of the plan's check window (检查时段)."""
        if plan_id not in self.windows:
            self.windows[plan_id] = load_plan(self.session, plan_id).window_start
        return self.windows[plan_id]

    def task(self, draw: DrawRow, ref: str) -> InspectionTaskRow | Reason:
        """The task ``ref`` names, looked up once (checked, then entered)."""
        key = (draw.id, ref)
        if key not in self.tasks:
            self.tasks[key] = self._find(draw, ref)
        return self.tasks[key]

    def _find(self, draw: DrawRow, ref: str) -> InspectionTaskRow | Reason:
        try:
            return find_task(self.session, draw, ref)
        except NotFoundError as exc:
            chinese = (
                f"“{ref}”不是计划 {draw.plan_id} 的检查任务；请填写抽中对象的代码，"
                "或用 #N 表示第 N 户（见 dualrandom tasks list PLAN）"
            )
            return _refusal(exc, chinese)


def _problems(tasks: _Tasks, entry: ResultEntry, today: date) -> Iterable[tuple[str, Reason]]:
    """(column, reason) for everything wrong with one entry."""
    draw = tasks.draw(entry.plan_id)
    if isinstance(draw, Reason):
        yield "plan", draw
        return
    task = tasks.task(draw, entry.ref)
    if isinstance(task, Reason):
        yield "object_id", task
        return
    problem = transition_reason(task.state, "result_entered")
    if problem:
        name = subject(draw, task)
        yield "object_id", Reason(
            f"任务 {name} 不能录入结果：{problem.zh}",
            f"task {name} cannot take a result: {problem.en}",
        )
    yield from _date_problems(tasks, draw, entry, today)
    contradiction = result_reason(entry.result, entry.follow_up)
    if contradiction:
        yield "follow_up", contradiction


def _date_problems(
    tasks: _Tasks, draw: DrawRow, entry: ResultEntry, today: date
) -> Iterable[tuple[str, Reason]]:
    """A check ends neither in the future, nor before the draw, nor before the window opens."""
    plan, day = entry.plan_id, entry.checked_on
    drawn_on = draw.drawn_at.date() if draw.drawn_at else None
    opens = tasks.window_start(plan)
    if day > today:
        yield "checked_on", in_the_future(today)
    elif drawn_on is not None and day < drawn_on:
        yield "checked_on", Reason(
            f"早于计划 {plan} 的抽取日期 {drawn_on}", f"is before the draw of {plan} on {drawn_on}"
        )
    elif day < opens:
        yield "checked_on", Reason(
            f"早于计划 {plan} 检查时段的开始日 {opens}：检查在检查时段内进行",
            f"is before the check window of {plan} opens on {opens}: checks are made "
            "within the window",
        )


def _enter(
    session: Session,
    tasks: _Tasks,
    entry: ResultEntry,
    calendar: WorkCalendar,
    settings: LifecycleSettings,
    *,
    now: datetime,
    actor: str,
) -> tuple[str, date, bool]:
    draw = tasks.draw(entry.plan_id)
    assert isinstance(draw, DrawRow)
    task = tasks.task(draw, entry.ref)
    assert isinstance(task, InspectionTaskRow)
    deadline = deadline_for(calendar, entry.checked_on, settings)
    details = {
        "checked_on": entry.checked_on.isoformat(),
        "result": entry.result,
        "follow_up": entry.follow_up,
        "deadline": deadline.day.isoformat(),
        "deadline_provisional": deadline.provisional,
    }
    # The result first, then the move: the move's audit entry flushes the task,
    # with its result, in one UPDATE (a refused move fails the whole entry).
    task.checked_on, task.result_code, task.follow_up = (
        entry.checked_on,
        entry.result,
        entry.follow_up,
    )
    task.result_note, task.deadline, task.deadline_provisional = (
        entry.note,
        deadline.day,
        deadline.provisional,
    )
    move(session, draw, task, "result_entered", now=now, actor=actor, details=details)
    return subject(draw, task), deadline.day, deadline.provisional


def set_result(
    session: Session,
    entry: ResultEntry,
    *,
    calendar: WorkCalendar,
    settings: LifecycleSettings,
    today: date,
    now: datetime,
    actor: str,
) -> tuple[str, date, bool]:
    """Enter one result; ValidationError lists every problem with it."""
    tasks = _Tasks(session)
    problems = [
        Problem("results set", None, column, _value(entry, column), *reason)
        for column, reason in _problems(tasks, entry, today)
    ]
    if problems:
        raise ValidationError(problems)
    entered = _enter(session, tasks, entry, calendar, settings, now=now, actor=actor)
    session.flush()
    return entered


def _value(entry: ResultEntry, column: str) -> str:
    value = {"plan": entry.plan_id, "object_id": entry.ref}.get(column)
    return value if value is not None else str(getattr(entry, column))


def import_results(
    session: Session,
    path: Path,
    *,
    calendar: WorkCalendar,
    settings: LifecycleSettings,
    today: date,
    now: datetime,
    actor: str,
    max_unpacked: int = MAX_UNPACKED_BYTES,
) -> ResultsSummary:
    """Check every row of ``path``, then enter them all — or none. A workbook that
    unpacks to more than ``max_unpacked`` bytes is refused unread."""
    source = open_source(path, max_unpacked=max_unpacked)
    sheet = read_sheet(source, RESULT_COLUMNS, _BATCH_ROWS)
    problems = sheet.problems
    tasks, entries = _Tasks(session), []
    seen: dict[tuple[str, str], int] = {}
    for batch in sheet.batches:
        entries += _check_batch(batch, tasks, today, seen, check_tasks=not problems)
        problems += batch.problems
    if problems:
        raise ValidationError(sorted(problems, key=lambda p: p.row or 0))
    summary = ResultsSummary(source.name, source.sha256)
    for entry in entries:
        summary.entered.append(
            _enter(session, tasks, entry, calendar, settings, now=now, actor=actor)
        )
        summary.by_result[entry.result] += 1
    session.flush()
    return summary


def _task_key(tasks: _Tasks, entry: ResultEntry) -> tuple[str, str]:
    """The task a row is about, however it is named (object id or #N)."""
    draw = tasks.draw(entry.plan_id)
    task = tasks.task(draw, entry.ref) if isinstance(draw, DrawRow) else None
    return entry.plan_id, f"#{task.visit}" if isinstance(task, InspectionTaskRow) else entry.ref


def _check_batch(
    batch: Batch, tasks: _Tasks, today: date, seen: dict[tuple[str, str], int], *, check_tasks: bool
) -> list[ResultEntry]:
    """The batch's entries; their problems are added to ``batch.problems``."""
    bad = {p.row for p in batch.problems}
    entries = []
    values = batch.values
    for index, row in enumerate(batch.rows):
        if row in bad:
            continue
        entry = ResultEntry(
            values["plan"][index],
            values["object_id"][index],
            values["checked_on"][index],
            values["result"][index],
            values["follow_up"][index],
            values["note"][index] or "",
        )
        found = list(_problems(tasks, entry, today)) if check_tasks else []
        key = _task_key(tasks, entry)
        if key in seen:
            first = seen[key]
            found.append(
                (
                    "object_id",
                    Reason(
                        f"与第 {first} 行是同一个任务：一个文件中每个任务只能有一条结果",
                        f"repeats row {first}: one result per task and file",
                    ),
                )
            )
        seen.setdefault(key, row)
        for column, reason in found:
            batch.problem(index, column, reason)
        if not found:
            entries.append(entry)
    return entries
