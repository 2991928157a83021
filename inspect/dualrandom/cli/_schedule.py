"""``dualrandom scheduler …`` and ``dualrandom calendar …``."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from rich.table import Table
from rich.text import Text

from dualrandom.app import App
from dualrandom.cli._context import current_actor, pass_app
from dualrandom.cli._output import console, print_json, reporting_problems
from dualrandom.lifecycle import recompute_provisional
from dualrandom.schedule import (
    StepStatus,
    batch_times,
    catch_up,
    instance_lock,
    run_scheduler,
    step_statuses,
    supply_entropy,
)
from dualrandom.workdays import load_calendar, read_calendar_file, save_year, seed_from_package
from dualrandom.workdays import year_overview as overview_of


def register(cli: click.Group) -> None:
    cli.add_command(scheduler)
    cli.add_command(calendar)


def _now() -> datetime:
    return datetime.now(UTC)


def _local(app: App, moment: datetime) -> str:
    return moment.astimezone(app.settings.timezone).strftime("%Y-%m-%d %H:%M")


def _when(app: App, status: StepStatus | None, *, short: bool = False) -> str:
    if status is None:
        return "手工 manual"
    mark = ("*" if short else "（暂定 provisional）") if status.provisional else ""
    return _local(app, status.due) + mark


# What a step's state is called on the terminal: Chinese first, the code beside it.
_STATES = {
    "pending": "待运行 pending",
    "running": "运行中 running",
    "done": "已完成 done",
    "failed": "失败 failed",
    "overdue": "已逾期 overdue",
}
_STEPS = {"prepare": "准备 prepare", "draw": "抽取 draw", "publish": "公示 publish"}
_OUTCOMES = {
    "ran": "已运行",
    "failed": "失败",
    "done": "已完成",
    "not_due": "未到时间",
    "waiting": "等待中",
    "busy": "另一进程在运行",
}


def _state(state: str) -> str:
    return _STATES.get(state, state)


# -- scheduler ---------------------------------------------------------------


@click.group()
def scheduler() -> None:
    """Scheduled batches: prepare, draw and publish on time, each exactly once."""


@scheduler.command()
@click.option(
    "--standby-poll", type=float, default=5.0, hidden=True, help="Seconds between lock attempts."
)
@pass_app
def run(app: App, standby_poll: float) -> None:
    """Run the scheduler until stopped (Ctrl-C or SIGTERM).

    It catches up at once on every step that is due and not done, then runs
    each step at its time and catches up again daily. On PostgreSQL a second
    instance stands by and takes over when the first stops; on SQLite it
    refuses to start.
    """
    app.require_schema()
    try:
        run_scheduler(app, say=click.echo, poll_seconds=standby_poll)
    except KeyboardInterrupt:
        click.echo("调度器已停止。Scheduler stopped.")


@scheduler.command("catch-up")
@pass_app
def catch_up_(app: App) -> None:
    """Run every step that is due and not done, now, and exit.

    It takes the scheduler's lock: catch-ups started together take turns, and
    while 'scheduler run' runs it refuses (that scheduler runs the due steps
    itself).
    """
    app.require_schema()
    with instance_lock(app, role="catch-up", on_wait=click.echo, poll_seconds=0.5):
        outcomes = catch_up(app, now=_now())
    for outcome in outcomes:
        status = _OUTCOMES.get(outcome.status, "")
        click.echo(f"{status} {outcome}" if status else str(outcome))
    if not outcomes:
        click.echo("没有到期的步骤。Nothing is due.")


def _status_json(app: App, s: StepStatus) -> dict[str, Any]:
    return asdict(s) | {"due": s.due.astimezone(app.settings.timezone).isoformat()}


@scheduler.command()
@click.option("--all", "show_all", is_flag=True, help="Also list the steps already done.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def status(app: App, show_all: bool, as_json: bool) -> None:
    """Upcoming and overdue steps of every scheduled plan."""
    with app.transaction() as session:
        steps = step_statuses(session, app.settings, _now())
    shown = [s for s in steps if show_all or s.state != "done"]
    if as_json:
        print_json([_status_json(app, s) for s in shown])
        return
    table = Table(
        "时间 due",
        "计划 plan",
        "步骤 step",
        "状态 state",
        "说明 note",
        title="定期抽查步骤 Scheduled steps",
    )
    for column in table.columns:  # a note or an owner wraps, never cut short
        column.overflow = "fold"
    for s in shown:
        state = _state("overdue" if s.overdue else s.state) + ("（迟 late）" if s.late else "")
        style = "red" if s.overdue or s.state == "failed" else None
        table.add_row(
            _when(app, s), s.plan_id, _STEPS.get(s.step, s.step), state, Text(s.note), style=style
        )
    console.print(table)
    if not shown:
        click.echo(
            "没有定期抽查步骤。No scheduled steps."
            if show_all
            else "没有待运行的定期抽查步骤（--all 列出已完成的）。"
            "No scheduled steps left (--all lists the done ones)."
        )


@scheduler.command("plan")
@click.argument("year", type=int)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def plan_(app: App, year: int, as_json: bool) -> None:
    """The batches of YEAR with the times of their prepare, draw and publish steps."""
    with app.transaction() as session:
        batches = batch_times(session, app.settings, year, _now())
    if as_json:
        print_json(
            [
                {
                    "plan": b.plan_id,
                    "batch": b.batch,
                    "schedule": b.schedule,
                    "window": list(b.window),
                }
                | {
                    name: _status_json(app, s) if s else None
                    for name, s in (
                        ("prepare", b.prepare),
                        ("draw", b.draw),
                        ("publish", b.publish),
                    )
                }
                for b in batches
            ]
        )
        return
    table = Table("计划 plan", "检查时段 window", title=f"{year} 年的批次 Batches of {year}")
    for name in ("prepare", "draw"):
        table.add_column(_STEPS[name], no_wrap=True)
    table.add_column("状态 state")
    for b in batches:
        state = "-" if b.draw is None else _state("overdue" if b.draw.overdue else b.draw.state)
        window = f"{b.window[0][5:]}..{b.window[1][5:]}"
        table.add_row(
            b.plan_id,
            window,
            _when(app, b.prepare, short=True),
            _when(app, b.draw, short=True),
            state,
        )
    console.print(table)
    if any(b.draw and b.draw.provisional for b in batches):
        click.echo(
            f"* 暂定：{year} 年的工作日尚未载入（见 dualrandom calendar show {year}）\n"
            f"* provisional: the working days of {year} are not loaded (calendar show {year})"
        )
    if not batches:
        click.echo(
            f"尚未载入 {year} 年的计划（dualrandom rules load）。"
            f"No plans of {year} are loaded ('dualrandom rules load')."
        )


@scheduler.command()
@click.argument("plan_id")
@click.argument("value")
@pass_app
def entropy(app: App, plan_id: str, value: str) -> None:
    """Enter the public entropy of a scheduled draw that waits for it.

    Only with [scheduler] entropy = "plan": the commitment named the source
    (dice, beacon, typed); enter its value after the commitment, and the draw
    runs at its time.
    """
    with app.transaction() as session:
        supply_entropy(session, plan_id, value, now=_now(), actor=current_actor())
    click.echo(
        f"已记录计划 {plan_id} 的公开随机数，将按计划时间抽取。"
        f"Entropy for {plan_id} recorded; the draw runs at its scheduled time."
    )


# -- calendar ----------------------------------------------------------------


@click.group()
def calendar() -> None:
    """The working-day calendar (State Council holidays and make-up working days)."""


@calendar.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_app
def import_(app: App, file: Path) -> None:
    """Load the years in FILE (rules/calendar.toml format) and recompute provisional deadlines."""
    now = _now()
    with reporting_problems(None, False):  # every problem in a table, then 错误：… / Error: …
        years = read_calendar_file(file)
    with app.transaction() as session:
        seed_from_package(session, now=now, actor=current_actor())
        changed = [
            year.days.year
            for year in years
            if save_year(
                session,
                year.days,
                source=file.name,
                notice=year.notice,
                now=now,
                actor=current_actor(),
            )
        ]
        updated = recompute_provisional(
            session, load_calendar(session), app.settings.lifecycle, now=now, actor=current_actor()
        )
    loaded = ", ".join(map(str, changed))
    click.echo(f"已载入 {loaded} 年。Loaded {loaded}." if changed else "没有变化。Nothing changed.")
    click.echo(
        f"重新计算了 {len(updated)} 个暂定期限。Recomputed {len(updated)} provisional deadline(s)."
    )


@calendar.command()
@pass_app
def seed(app: App) -> None:
    """Load every year the installed chinesecalendar package knows and the table lacks."""
    with app.transaction() as session:
        added = seed_from_package(session, now=_now(), actor=current_actor())
        updated = recompute_provisional(
            session,
            load_calendar(session),
            app.settings.lifecycle,
            now=_now(),
            actor=current_actor(),
        )
    click.echo(
        f"已载入 {added[0]}–{added[-1]} 年。Loaded {added[0]}–{added[-1]}."
        if added
        else "没有需要添加的年份。Nothing to add."
    )
    if updated:
        click.echo(
            f"重新计算了 {len(updated)} 个暂定期限。"
            f"Recomputed {len(updated)} provisional deadline(s)."
        )


@calendar.command()
@click.argument("year", type=int)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def show(app: App, year: int, as_json: bool) -> None:
    """Holidays, make-up working days and working days per month of YEAR."""
    with app.transaction() as session:
        seed_from_package(session, now=_now(), actor=current_actor())
        view = overview_of(session, year)
    if as_json:
        print_json(
            {
                "year": year,
                "provisional": view.provisional,
                "working_days": view.working_days,
                "source": view.loaded.source if view.loaded else None,
                "notice": view.loaded.notice if view.loaded else None,
                "holidays": [
                    {"name": n, "from": a.isoformat(), "to": b.isoformat()}
                    for n, a, b in view.holidays()
                ],
                "makeup_workdays": [{"day": d.isoformat(), "name": n} for d, n in view.makeup()],
                "by_month": view.by_month(),
            }
        )
        return
    if view.loaded:
        notice = f", {view.loaded.notice}" if view.loaded.notice else ""
        click.echo(f"{year}：已从 {view.loaded.source} 载入{notice} ({year}: loaded from {view.loaded.source})")
    else:
        click.echo(
            f"{year}: 未载入国务院放假通知，以下按《全国年节及纪念日放假办法》推算（法定节假日及补假；"
            "调休未知）。\n"
            f"{year}: NOT LOADED — provisional: Monday–Friday minus the statutory holidays of "
            "the 办法 (lunar ones computed) and the days off owed for those on a weekend (补假); "
            "make-up working days (调休) are unknown. Add the State Council's notice to "
            "rules/calendar.toml and run 'dualrandom calendar import'."
        )
    table = Table(
        "节假日 holiday", "起 from", "止 to", "天数 days", title=f"{year} 年节假日 Holidays {year}"
    )
    for name, first, last in view.holidays():
        table.add_row(name, first.isoformat(), last.isoformat(), str((last - first).days + 1))
    console.print(table)
    makeup = ", ".join(f"{d.isoformat()} ({n})" for d, n in view.makeup())
    click.echo(f"调休上班 Make-up working days: {makeup or '无 none'}")
    months = "  ".join(f"{m}月 {c}" for m, c in view.by_month().items())
    click.echo(
        f"工作日 Working days: {view.working_days}"
        + ("（暂定 provisional）" if view.provisional else "")
    )
    click.echo(months)
