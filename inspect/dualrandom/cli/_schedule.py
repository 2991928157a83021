"""``dualrandom scheduler …`` and ``dualrandom calendar …``."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from dualrandom.app import App
from dualrandom.cli._context import current_actor, pass_app
from dualrandom.cli._output import console, print_json
from dualrandom.errors import ValidationError
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
        return "manual"
    mark = ("*" if short else " (provisional)") if status.provisional else ""
    return _local(app, status.due) + mark


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
        click.echo("Scheduler stopped.")


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
        click.echo(str(outcome))
    if not outcomes:
        click.echo("Nothing is due.")


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
    table = Table("due", "plan", "step", "state", "note", title="Scheduled steps")
    for s in shown:
        state = "overdue" if s.overdue else s.state + (" (late)" if s.late else "")
        style = "red" if s.overdue or s.state == "failed" else None
        table.add_row(_when(app, s), s.plan_id, s.step, state, s.note, style=style)
    console.print(table)
    if not shown:
        click.echo(
            "No scheduled steps" + ("." if show_all else " left (--all lists the done ones).")
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
    table = Table("plan", "window", title=f"Batches of {year}")
    for name in ("prepare", "draw"):
        table.add_column(name, no_wrap=True)
    table.add_column("state")
    for b in batches:
        state = "-" if b.draw is None else (b.draw.state if not b.draw.overdue else "overdue")
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
            f"* provisional: the working days of {year} are not loaded (calendar show {year})"
        )
    if not batches:
        click.echo(f"No plans of {year} are loaded ('dualrandom rules load').")


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
    click.echo(f"Entropy for {plan_id} recorded; the draw runs at its scheduled time.")


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
    try:
        years = read_calendar_file(file)
    except ValidationError as exc:  # a rules file: one line per problem, as 'rules check' prints
        lines = "\n".join(f"  {problem}" for problem in exc.problems)
        raise click.ClickException(f"{exc}:\n{lines}") from None
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
    click.echo(f"Loaded {', '.join(map(str, changed))}." if changed else "Nothing changed.")
    click.echo(f"Recomputed {len(updated)} provisional deadline(s).")


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
    click.echo(f"Loaded {added[0]}–{added[-1]}." if added else "Nothing to add.")
    if updated:
        click.echo(f"Recomputed {len(updated)} provisional deadline(s).")


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
        click.echo(f"{year}: loaded from {view.loaded.source}{notice}")
    else:
        click.echo(
            f"{year}: 未载入国务院放假通知，以下按《全国年节及纪念日放假办法》推算（法定节假日及补假；"
            "调休未知）。\n"
            f"{year}: NOT LOADED — provisional: Monday–Friday minus the statutory holidays of "
            "the 办法 (lunar ones computed) and the days off owed for those on a weekend (补假); "
            "make-up working days (调休) are unknown. Add the State Council's notice to "
            "rules/calendar.toml and run 'dualrandom calendar import'."
        )
    table = Table("holiday", "from", "to", "days", title=f"Holidays {year}")
    for name, first, last in view.holidays():
        table.add_row(name, first.isoformat(), last.isoformat(), str((last - first).days + 1))
    console.print(table)
    makeup = ", ".join(f"{d.isoformat()} ({n})" for d, n in view.makeup())
    click.echo(f"Make-up working days (调休上班): {makeup or 'none'}")
    months = "  ".join(f"{m}月 {c}" for m, c in view.by_month().items())
    click.echo(
        f"Working days: {view.working_days}" + (" (provisional)" if view.provisional else "")
    )
    click.echo(months)
