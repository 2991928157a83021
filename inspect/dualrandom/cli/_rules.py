"""``dualrandom rules check|load`` and ``dualrandom plan list|show``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.table import Table

from dualrandom.app import App
from dualrandom.cli._context import current_actor, pass_app
from dualrandom.cli._output import console, print_json, reporting_problems
from dualrandom.core.model import ItemRecord, Plan
from dualrandom.core.plan_json import item_to_json, plan_to_json
from dualrandom.registry import departments
from dualrandom.rules import (
    RuleSet,
    StoredPlan,
    check_rules,
    get_plan,
    list_plans,
    load_items,
    store_rules,
)
from dualrandom.rules.describe import filter_label, ratio_label, strata_label, window_label


def register(cli: click.Group) -> None:
    cli.add_command(rules)
    cli.add_command(plan)


def _display(path: Path) -> str:
    """The rules folder as the user would type it: relative to here if inside."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve())) or "."
    except ValueError:
        return str(path)


# -- rules -------------------------------------------------------------------


@click.group()
def rules() -> None:
    """The working rules (一细则): rules/items.toml and rules/plans/*.toml."""


@rules.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def check(app: App, as_json: bool) -> None:
    """Check every rules file, and against the database; write nothing."""
    # Problems: every one in a table (file, line as row, key as column), or
    # in --json, then 错误：… / Error: …, as for every other input file.
    with reporting_problems(None, as_json), app.transaction() as session:
        ruleset = check_rules(session, app.settings.rules_dir, _display(app.settings.rules_dir))
    if as_json:
        print_json({"ok": True, **_ruleset_json(ruleset)})
        return
    _print_ruleset(ruleset)
    console.print("工作细则有效。The working rules are valid.")


@rules.command()
@pass_app
def load(app: App) -> None:
    """Check the rules, then store the items and plans (audit-logged)."""
    with reporting_problems(None, False), app.transaction() as session:
        ruleset = check_rules(session, app.settings.rules_dir, _display(app.settings.rules_dir))
        report = store_rules(session, ruleset, actor=current_actor())
    for zh, what, changes in (("检查事项", "Items", report.items), ("计划", "Plans", report.plans)):
        added, changed, same = len(changes.added), len(changes.changed), len(changes.unchanged)
        console.print(
            f"{zh}：新增 {added}，修改 {changed}，未变 {same}。"
            f"{what}: {added} added, {changed} changed, {same} unchanged.",
            markup=False,
        )
    for zh, what, stale in (
        ("检查事项", "Items", report.items_not_in_files),
        ("计划", "Plans", report.plans_not_in_files),
    ):
        if stale:
            console.print(
                f"{zh}仍保留在数据库中，但已不在文件里：{'、'.join(stale)}\n"
                f"{what} kept in the database but no longer in the files: {', '.join(stale)}",
                markup=False,
            )


def _ruleset_json(ruleset: RuleSet) -> dict[str, Any]:
    return {
        "folder": ruleset.folder,
        "items_file": ruleset.items_file,
        "items": [item.value.code for item in ruleset.items],
        "plans": [_plan_summary(located.value) for located in ruleset.plans],
    }


def _plan_summary(plan: Plan) -> dict[str, Any]:
    return {
        "id": plan.id,
        "title": plan.title,
        "year": plan.year,
        "batch": plan.batch,
        "window": {"start": plan.window_start.isoformat(), "end": plan.window_end.isoformat()},
        "departments": list(plan.departments),
        "items": list(plan.items),
        "strata": [stratum.name for stratum in plan.strata],
    }


def _print_ruleset(ruleset: RuleSet) -> None:
    source = ruleset.items_file or "none: plans use the items in the database"
    source_zh = ruleset.items_file or "无：计划使用数据库中的检查事项"
    count = len(ruleset.items)
    console.print(
        f"检查事项文件：{source_zh}（{count} 项）Items file: {source} ({count} items)",
        markup=False,
    )
    table = Table("plan", "batch", "window", "items", "strata", title="Plans", title_justify="left")
    for located in ruleset.plans:
        plan = located.value
        table.add_row(
            plan.id,
            f"{plan.year} {plan.batch}",
            window_label(plan),
            ", ".join(plan.items),
            strata_label(plan),
        )
    console.print(table)


# -- plan --------------------------------------------------------------------


@click.group()
def plan() -> None:
    """Plans as loaded into the database (see 'dualrandom rules load')."""


@plan.command("list")
@click.argument("year", type=int, required=False)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def list_(app: App, year: int | None, as_json: bool) -> None:
    """List the loaded plans, of YEAR only if given."""
    with app.transaction() as session:
        stored = list_plans(session, year)
    if as_json:
        print_json([{**_plan_summary(s.plan), "digest": s.digest} for s in stored])
        return
    if not stored:
        scope = f" for {year}" if year is not None else ""
        scope_zh = f"{year} 年的" if year is not None else ""
        console.print(
            f"尚未载入{scope_zh}计划；请运行 dualrandom rules load。"
            f"No plans loaded{scope}; run 'dualrandom rules load'.",
            markup=False,
        )
        return
    table = Table("plan", "batch", "title", "window", "items", "digest")
    for s in stored:
        table.add_row(
            s.plan.id,
            f"{s.plan.year} {s.plan.batch}",
            s.plan.title,
            window_label(s.plan),
            str(len(s.plan.items)),
            s.digest[:12],
        )
    console.print(table)


@plan.command()
@click.argument("plan_id")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def show(app: App, plan_id: str, as_json: bool) -> None:
    """Everything about one loaded plan."""
    with app.transaction() as session:
        stored = get_plan(session, plan_id)
        items = load_items(session)
        names = {d.code: d.name for d in departments(session)}
    named = [items[code] for code in stored.plan.items if code in items]
    if as_json:
        print_json(
            {
                "plan": plan_to_json(stored.plan),
                "digest": stored.digest,
                "loaded_at": stored.loaded_at.isoformat(),
                "items": [item_to_json(item) for item in named],
            }
        )
        return
    _print_plan(stored, named, names)


def _print_plan(stored: StoredPlan, items: list[ItemRecord], names: dict[str, str]) -> None:
    p = stored.plan

    def department(code: str) -> str:
        return f"{code} {names[code]}" if code in names else code

    co = ", ".join(department(code) for code in p.co_departments) or "none"
    console.print(f"[bold]计划 Plan {p.id}[/bold]：{p.title}")
    for label, value in (
        ("Year, batch", f"{p.year} {p.batch} ({p.kind})"),
        ("Window", window_label(p)),
        ("Schedule", f"{p.schedule}; prepared {p.prepare_days_before} days before the window"),
        ("Entropy", str(p.entropy)),
        ("Department", department(p.department)),
        ("Co-operating", co),
        ("Scope", filter_label(p.scope)),
        ("Digest", stored.digest),
        ("Loaded at", stored.loaded_at.isoformat(timespec="seconds")),
    ):
        console.print(f"  {label + ':':14} {value}", markup=False, soft_wrap=True)
    _print_items(items)
    _print_strata(p)
    _print_rules(p)


def _print_items(items: list[ItemRecord]) -> None:
    table = Table(
        "item", "name", "department", "class", "ratio", "scope", title="Items", title_justify="left"
    )
    for item in items:
        table.add_row(
            item.code,
            item.name,
            item.department,
            str(item.item_class),
            ratio_label(item.ratio),
            filter_label(item.scope),
        )
    console.print(table)


def _print_strata(p: Plan) -> None:
    table = Table("stratum", "objects", "ratio", "min", "max", title="Strata", title_justify="left")
    for s in p.strata:
        maximum = "" if s.max_count is None else str(s.max_count)
        name = s.name if s.public else f"{s.name} *"
        table.add_row(name, filter_label(s.where), ratio_label(s.ratio), str(s.min_count), maximum)
    console.print(table)
    if not all(s.public for s in p.strata):
        console.print(
            "* 按内部信用风险分类划分：公众无法核验对象属于哪一层 "
            "(on the internal risk class: membership is not publicly verifiable)"
        )


def _print_rules(p: Plan) -> None:
    team, excl = p.team, p.exclusions
    required = ", ".join(f"{r.count} from {r.department}" for r in team.require) or "none"
    for label, value in (
        ("Excluded statuses", ", ".join(excl.statuses) or "none"),
        ("Look-back", f"{excl.lookback_months} months" if excl.lookback_months else "none"),
        ("Annual cap", "none" if excl.annual_cap is None else f"{excl.annual_cap} per object"),
        ("Team size", f"{team.size}" + (", with a leader" if team.leader else "")),
        ("Team district", team.district),
        ("Load cap", "none" if team.load_cap is None else f"{team.load_cap} objects per officer"),
        ("Team requires", required),
        ("Conflict rules", ", ".join(team.conflict_rules) or "none"),
        ("Inspector names", "published" if p.publication.inspector_names else "not published"),
        ("Person names", "masked" if p.publication.mask_person_names else "not masked"),
    ):
        console.print(f"  {label + ':':18} {value}", markup=False, soft_wrap=True)
