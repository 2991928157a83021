"""``dualrandom results …`` and ``dualrandom tasks …``: the inspection lifecycle."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path

import click
from rich.table import Table
from rich.text import Text

from dualrandom.app import App
from dualrandom.cli._context import current_actor, pass_app
from dualrandom.cli._output import console, print_csv, print_json, print_rows, reporting_problems
from dualrandom.lifecycle import (
    BULK_FROM,
    FOLLOW_UPS,
    LABELS,
    RESULT_CODES,
    TASK_COLUMNS,
    ResultEntry,
    cancel,
    deadlines,
    import_results,
    move_many,
    set_result,
    substitute_objects,
    task_cells,
    task_json,
    task_views,
    working_calendar,
)


def register(cli: click.Group) -> None:
    cli.add_command(results)
    cli.add_command(tasks)


def _now() -> datetime:
    return datetime.now(UTC)


def _today(app: App) -> date:
    return datetime.now(app.settings.timezone).date()


def _deadline(day: date, provisional: bool) -> str:
    return day.isoformat() + ("（暂定 provisional）" if provisional else "")


# -- results -----------------------------------------------------------------


@click.group()
def results() -> None:
    """Inspection results: import a file from the teams, or set one."""


@results.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--errors-csv",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="On problems, also write every one to this CSV file (UTF-8 with BOM, opens in Excel).",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def import_(app: App, file: Path, errors_csv: Path | None, as_json: bool) -> None:
    """Enter the results in FILE (CSV or XLSX; docs/FORMATS.md "Results").

    Every row is checked first; if any has a problem, all problems are
    listed and nothing is written.
    """
    now = _now()
    with reporting_problems(errors_csv, as_json), app.transaction() as session:
        calendar = working_calendar(
            session, app.settings.lifecycle, now=now, actor=current_actor()
        )
        summary = import_results(
            session,
            file,
            calendar=calendar,
            settings=app.settings.lifecycle,
            today=_today(app),
            now=now,
            actor=current_actor(),
            max_unpacked=app.settings.imports.max_unpacked_bytes,
        )
    if as_json:
        print_json(
            {
                "ok": True,
                "source_name": summary.source,
                "source_sha256": summary.sha256,
                "entered": [
                    {"task": task, "deadline": day.isoformat(), "provisional": provisional}
                    for task, day, provisional in summary.entered
                ],
                "by_result": dict(summary.by_result),
            }
        )
        return
    count = len(summary.entered)
    click.echo(
        f"已从 {summary.source} 录入 {count} 条检查结果。"
        f"Entered {count} results from {summary.source}."
    )
    for code, count in summary.by_result.most_common():
        click.echo(f"  {code}: {count}")
    if summary.entered:
        last = max(day for _, day, _ in summary.entered)
        provisional = summary.provisional
        click.echo(
            f"最迟于 {last.isoformat()} 公示"
            + (f"；其中 {provisional} 个期限为暂定" if provisional else "")
            + f"。Publish by {last.isoformat()} at the latest"
            + (f"; {provisional} deadline(s) provisional" if provisional else "")
        )


@results.command("set")
@click.argument("plan_id")
@click.argument("task")
@click.option(
    "--result", "result", required=True, type=click.Choice(RESULT_CODES), help="检查结果."
)
@click.option("--follow-up", required=True, type=click.Choice(FOLLOW_UPS), help="后续处置.")
@click.option(
    "--checked-on",
    required=True,
    type=click.DateTime(["%Y-%m-%d"]),
    help="The day the check ended (YYYY-MM-DD).",
)
@click.option("--note", default="", help="Internal note (never published).")
@pass_app
def set_(
    app: App, plan_id: str, task: str, result: str, follow_up: str, checked_on: datetime, note: str
) -> None:
    """Enter one result. TASK is the object's id or #N (visit N)."""
    now = _now()
    entry = ResultEntry(plan_id, task, checked_on.date(), result, follow_up, note.strip())
    with app.transaction() as session:
        calendar = working_calendar(
            session, app.settings.lifecycle, now=now, actor=current_actor()
        )
        name, day, provisional = set_result(
            session,
            entry,
            calendar=calendar,
            settings=app.settings.lifecycle,
            today=_today(app),
            now=now,
            actor=current_actor(),
        )
    deadline = _deadline(day, provisional)
    click.echo(f"{name}：{result} / {follow_up}；最迟公示日期 {deadline} (publish by {deadline})")


# -- tasks -------------------------------------------------------------------


@click.group()
def tasks() -> None:
    """Inspection tasks: one per drawn visit, from drawn to published."""


@tasks.command("list")
@click.argument("plan_id")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV for Excel (UTF-8 with BOM) on stdout.")
@pass_app
def list_(app: App, plan_id: str, as_json: bool, as_csv: bool) -> None:
    """The tasks of PLAN_ID's standing draw: business, items, team and state.

    For internal use: the teams are shown with the officers' names and
    roles (组长, 组员, …), which the public notices do not publish.
    """
    if as_json and as_csv:
        raise click.UsageError("--json 与 --csv 只能选一个 (--json and --csv: choose one)")
    with app.transaction() as session:
        draw, found = task_views(session, plan_id)
    if as_json:
        print_json([task_json(t) for t in found])
    elif as_csv:
        print_csv(TASK_COLUMNS, (task_cells(t) for t in found))
    else:
        title = f"计划 {plan_id} 第 {draw.attempt} 次抽取：{len(found)} 项任务 (tasks)"
        shown = [TASK_COLUMNS.index(column) for column in _TERMINAL_COLUMNS]
        rows = ([task_cells(t)[i] for i in shown] for t in found)
        print_rows(_TERMINAL_COLUMNS, rows, title)


# What fits a terminal; --csv and --json have every column.
_TERMINAL_COLUMNS = ("序号", "对象名称", "检查事项", "检查组", "状态", "检查结果", "公示期限", "备注")


@tasks.command()
@click.option(
    "--all",
    "show_all",
    is_flag=True,
    help="Every open task, not only those near or past the deadline.",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def overdue(app: App, show_all: bool, as_json: bool) -> None:
    """Tasks past (red) or near (yellow) their publication deadline, by department.

    A task with its result in counts from the end of its check; one still
    being inspected from the last day of its plan's window.
    """
    warn = app.settings.lifecycle.warn_working_days
    with app.transaction() as session:
        calendar = working_calendar(
            session, app.settings.lifecycle, now=_now(), actor=current_actor()
        )
        rows = deadlines(session, calendar, app.settings.lifecycle, _today(app))
    shown = [r for r in rows if show_all or r.level]
    if as_json:
        print_json([asdict(r) for r in shown])
        return
    for department in sorted({r.department for r in shown}):
        mine = [r for r in shown if r.department == department]
        table = Table(
            "计划 plan",
            "序号 #",
            "检查对象 object",
            "状态 state",
            "公示期限 deadline",
            "工作日 working days",
            "起算 from",
            title=f"{department}：{len(mine)} 项任务 ({len(mine)} task(s))",
            title_justify="left",
        )
        for column in table.columns:  # an id or a name wraps, never cut short
            column.overflow = "fold"
        for r in mine:
            left = (
                f"已超 {-r.left} 个 {-r.left} past"
                if r.level == "red"
                else f"剩 {r.left} 个 {r.left} left"
            )
            table.add_row(
                r.plan_id,
                str(r.visit),
                Text(f"{r.object_id} {r.object_name}"),
                LABELS.get(r.state, r.state),
                _deadline(r.deadline, r.provisional),
                left,
                "检查结束 check" if r.basis == "check" else "检查时段结束 window end",
                style=r.level or None,
            )
        console.print(table)
    red = sum(r.level == "red" for r in shown)
    yellow = sum(r.level == "yellow" for r in shown)
    click.echo(
        f"{red} 项已超过公示期限（红色），{yellow} 项剩余不超过 {warn} 个工作日（黄色）。"
        f"{red} past the deadline (red), {yellow} with at most {warn} working days left (yellow)."
    )


def _move(app: App, plan_id: str, refs: tuple[str, ...], to: str) -> None:
    with app.transaction() as session:
        moved = move_many(
            session, plan_id, refs, to, from_states=BULK_FROM[to], now=_now(), actor=current_actor()
        )
    click.echo(
        f"计划 {plan_id} 的 {len(moved)} 项任务已变为{LABELS[to]}。"
        f"{len(moved)} task(s) of {plan_id} now {to}."
    )


_refs = click.argument("refs", nargs=-1, metavar="[TASK]...")


@tasks.command()
@click.argument("plan_id")
@_refs
@pass_app
def notify(app: App, plan_id: str, refs: tuple[str, ...]) -> None:
    """Mark tasks notified (告知); without TASK, every drawn task of the plan."""
    _move(app, plan_id, refs, "notified")


@tasks.command()
@click.argument("plan_id")
@_refs
@pass_app
def start(app: App, plan_id: str, refs: tuple[str, ...]) -> None:
    """Mark tasks in inspection; without TASK, every notified task of the plan."""
    _move(app, plan_id, refs, "in_inspection")


@tasks.command()
@click.argument("plan_id")
@_refs
@pass_app
def review(app: App, plan_id: str, refs: tuple[str, ...]) -> None:
    """Mark entered results reviewed (审核); without TASK, every one of the plan."""
    _move(app, plan_id, refs, "reviewed")


@tasks.command("cancel")
@click.argument("plan_id")
@click.argument("task")
@click.option("--reason", required=True, help="Why the task is cancelled (kept on record).")
@pass_app
def cancel_(app: App, plan_id: str, task: str, reason: str) -> None:
    """Cancel one task, with a reason."""
    with app.transaction() as session:
        row = cancel(session, plan_id, task, reason, now=_now(), actor=current_actor())
    click.echo(
        f"计划 {plan_id} 第 {row.visit} 户任务（{row.object_id}）已取消：{reason}\n"
        f"Task #{row.visit} ({row.object_id}) of {plan_id} cancelled: {reason}"
    )


@tasks.command()
@click.argument("plan_id")
@click.argument("refs", nargs=-1, required=True, metavar="TASK...")
@click.option("--reason", required=True, help="注销, 无法联系 …: why the objects are replaced.")
@pass_app
def substitute(app: App, plan_id: str, refs: tuple[str, ...], reason: str) -> None:
    """Replace objects found gone before the visit by reserve objects (SPEC §8.3)."""
    with app.transaction() as session:
        report = substitute_objects(session, plan_id, refs, reason, now=_now(), actor=current_actor())
    for r in report.replacements:
        target = r.replacement or "备选对象已用完 no reserve object left"
        click.echo(f"{r.item}/{r.stratum}: {r.removed} → {target}")
    for v in report.visits:
        click.echo(
            f"新增第 {v.number} 户：{v.object_id}（{'、'.join(v.items)}），检查组 {len(v.team)} 人。"
            f"New visit #{v.number}: {v.object_id} ({', '.join(v.items)}), team of {len(v.team)}"
        )
