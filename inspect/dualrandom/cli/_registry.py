"""``dualrandom registry import|versions|show`` and ``dualrandom items import``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from sqlalchemy.orm import Session

from dualrandom.app import App
from dualrandom.cli._context import current_actor, pass_app
from dualrandom.cli._output import (
    console,
    err_console,
    print_json,
    print_rows,
    print_warning,
    reporting_problems,
)
from dualrandom.db import as_utc
from dualrandom.draws.affected import prepared_draws_outdated
from dualrandom.registry import (
    COLUMNS,
    REGISTRY_KINDS,
    ImportSummary,
    current_version,
    import_items,
    import_registry,
    list_versions,
    registry_counts,
)
from dualrandom.tables import RegistryVersionRow

_STEPS = {
    "checking": "检查各行 Checking rows",
    "saving": "保存版本 Saving the version",
    "hashing": "计算摘要 Hashing",
}


def register(cli: click.Group) -> None:
    cli.add_command(registry)
    cli.add_command(items)


class _ProgressBar:
    """A progress bar on stderr, shown only once an import has run for ``delay`` seconds,
    so that small files print nothing but their result."""

    def __init__(self, delay: float = 1.0) -> None:
        self.started = time.monotonic()
        self.delay = delay
        self.bar: Progress | None = None
        self.task = TaskID(0)

    def __call__(self, step: str, done: int, total: int) -> None:
        if self.bar is None:
            if time.monotonic() - self.started < self.delay:
                return
            self.bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TimeElapsedColumn(),
                console=err_console,
                transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task("")
        self.bar.update(
            self.task, description=_STEPS.get(step, step), completed=done, total=total or None
        )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


@contextmanager
def _progress_bar() -> Iterator[_ProgressBar]:
    bar = _ProgressBar()
    try:
        yield bar
    finally:
        bar.close()


def _today(app: App) -> date:
    # The library never reads the clock: "future" is relative to this date.
    return datetime.now(app.settings.timezone).date()


_errors_csv_option = click.option(
    "--errors-csv",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="On problems, also write every one to this CSV file (UTF-8 with BOM, opens in Excel).",
)
_json_option = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
_file_argument = click.argument("file", type=click.Path(dir_okay=False, path_type=Path))


@click.group()
def registry() -> None:
    """The registries (两库) and the departments: import files, list versions."""


@registry.command("import")
@click.argument("kind", type=click.Choice(REGISTRY_KINDS))
@_file_argument
@click.option(
    "--partial",
    is_flag=True,
    help="Add or update only the rows in FILE; do not mark missing ones as gone.",
)
@_errors_csv_option
@_json_option
@pass_app
def import_(
    app: App, kind: str, file: Path, partial: bool, errors_csv: Path | None, as_json: bool
) -> None:
    """Check FILE (CSV or XLSX) and store it as the next version of KIND.

    Every row is checked first; if any has a problem, all problems are listed
    and nothing is stored.
    """
    with (
        reporting_problems(errors_csv, as_json),
        _progress_bar() as progress,
        app.transaction() as session,
    ):
        summary = import_registry(
            session,
            kind,
            file,
            today=_today(app),
            partial=partial,
            progress=progress,
            max_unpacked=app.settings.imports.max_unpacked_bytes,
            actor=current_actor(),
        )
        warnings = _outdated_draws(session, summary)
    for warning in warnings:
        print_warning(warning["message"], warning["message_en"])
    if as_json:
        print_json({"ok": True, **summary.as_dict(), "warnings": warnings})
        return
    console.print(
        f"已从 {summary.source_name} 导入名录库 {summary.kind} 第 {summary.number} 版"
        f"（{summary.mode}）：文件 {summary.rows_in_file} 行；新增 {summary.added}，"
        f"修改 {summary.changed}，移除 {summary.gone}；现有 {summary.total} 条。\n"
        f"Imported {summary.kind} version {summary.number} ({summary.mode}) from "
        f"{summary.source_name}: {summary.rows_in_file} rows; {summary.added} added, "
        f"{summary.changed} changed, {summary.gone} gone; {summary.total} current.",
        markup=False,
    )
    console.print(f"摘要 Digest: {summary.digest}")


_REGISTRY_NAMES = {
    "objects": "检查对象名录库",
    "inspectors": "执法检查人员名录库",
    "conflicts": "回避名单",
}


def _outdated_draws(session: Session, summary: ImportSummary) -> list[dict[str, Any]]:
    """A warning for each prepared draw whose commitment names another version of the
    registry just imported: ``draw run`` will refuse it, so it must be prepared again
    before the witnesses come, not found out in front of them. The import stands."""
    if summary.kind not in _REGISTRY_NAMES:
        return []
    name = _REGISTRY_NAMES[summary.kind]
    warnings = []
    for plan_id, attempt in prepared_draws_outdated(session, summary.kind, summary.digest):
        again = f"dualrandom draw prepare {plan_id} --supersede --reason …"
        warnings.append(
            {
                "plan": plan_id,
                "attempt": attempt,
                "message": (
                    f"计划 {plan_id} 已准备的抽取（第 {attempt} 次）承诺的是导入前的{name}；"
                    f"抽取前必须作废并重新准备：{again}"
                ),
                "message_en": (
                    f"the prepared draw of plan {plan_id} (attempt {attempt}) committed to "
                    f"the {summary.kind} registry as it was before this import; it will have "
                    f"to be superseded before the draw: {again}"
                ),
            }
        )
    return warnings


def _version_json(version: RegistryVersionRow) -> dict[str, Any]:
    return {
        "kind": version.kind,
        "number": version.number,
        "mode": version.mode,
        "source_name": version.source_name,
        "source_sha256": version.source_sha256,
        "rows_in_file": version.rows_in_file,
        "added": version.added,
        "changed": version.changed,
        "gone": version.gone,
        "total": version.total,
        "digest": version.digest,
        "created_at": as_utc(version.created_at).isoformat(),
    }


@registry.command()
@click.argument("kind", type=click.Choice(REGISTRY_KINDS), required=False)
@_json_option
@pass_app
def versions(app: App, kind: str | None, as_json: bool) -> None:
    """List the versions of KIND (default: of every registry), oldest first."""
    with app.transaction() as session:
        found = list_versions(session, kind)
    if as_json:
        print_json([_version_json(v) for v in found])
        return
    zone = app.settings.timezone
    print_rows(
        (
            "名录库 registry",
            "版本 version",
            "导入时间 imported",
            "文件 file",
            "行数 rows",
            "新增/修改/移出 added/changed/gone",
            "现有 total",
            "摘要 digest",
        ),
        (
            (
                _kind_label(v.kind),
                f"{v.number} {_MODES.get(v.mode, v.mode)}",
                as_utc(v.created_at).astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                v.source_name,
                str(v.rows_in_file),
                f"{v.added}/{v.changed}/{v.gone}",
                str(v.total),
                v.digest[:12],
            )
            for v in found
        ),
        "名录库版本 Registry versions",
    )


@registry.command()
@click.argument("kind", type=click.Choice(REGISTRY_KINDS))
@_json_option
@pass_app
def show(app: App, kind: str, as_json: bool) -> None:
    """Count the current rows of KIND by status, type, district... (no personal data)."""
    with app.transaction() as session:
        version = current_version(session, kind)
        counts = registry_counts(session, kind)
    header = {
        "kind": kind,
        "version": version.number if version else None,
        "digest": version.digest if version else None,
    }
    if as_json:
        print_json({**header, "counts": counts})
        return
    label = _KIND_LABELS.get(kind, kind)
    if version is None:
        console.print(
            f"{label}尚未导入。The {kind} registry has not been imported yet.",
            markup=False,
        )
        return
    console.print(
        f"{label}第 {version.number} 版，摘要 {version.digest} "
        f"({kind} version {version.number}, digest {version.digest})",
        markup=False,
    )
    chinese = {column.name: column.chinese for column in COLUMNS[kind]}
    for field, by_value in counts.items():
        name = "行数" if field == "rows" else chinese.get(field, field)
        states = _ROW_STATES if field == "rows" else {}
        print_rows(
            (f"{name} {field}", "数量 count"),
            ((states.get(value, value), str(n)) for value, n in by_value.items()),
            f"按{name}统计 by {field}",
        )


# The registries and their import modes as a clerk reads them, Chinese first.
_KIND_LABELS = {
    "objects": "检查对象名录",
    "inspectors": "执法检查人员名录",
    "conflicts": "回避关系名录",
    "departments": "部门名录",
}
_MODES = {"full": "全量 full", "partial": "部分 partial"}
_ROW_STATES = {"current": "现有 current", "gone": "已移出 gone"}


def _kind_label(kind: str) -> str:
    return f"{_KIND_LABELS[kind]} {kind}" if kind in _KIND_LABELS else kind


@click.group()
def items() -> None:
    """The item list (一单)."""


@items.command("import")
@_file_argument
@_errors_csv_option
@_json_option
@pass_app
def import_items_command(app: App, file: Path, errors_csv: Path | None, as_json: bool) -> None:
    """Check FILE (CSV or XLSX) and add or update its items (audit-logged)."""
    with (
        reporting_problems(errors_csv, as_json),
        _progress_bar() as progress,
        app.transaction() as session,
    ):
        summary = import_items(
            session,
            file,
            today=_today(app),
            progress=progress,
            max_unpacked=app.settings.imports.max_unpacked_bytes,
            actor=current_actor(),
        )
    if as_json:
        print_json({"ok": True, **summary.as_dict()})
        return
    added, changed, same = len(summary.added), len(summary.changed), len(summary.unchanged)
    console.print(
        f"已从 {summary.source_name} 导入 {summary.rows_in_file} 个检查事项：新增 {added}，"
        f"修改 {changed}，未变 {same}。\n"
        f"Imported {summary.rows_in_file} items from {summary.source_name}: "
        f"{added} added, {changed} changed, {same} unchanged.",
        markup=False,
    )
