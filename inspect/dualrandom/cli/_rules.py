"""``dualrandom rules check|load`` and ``dualrandom plan list|show``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.cells import cell_len

from dualrandom.app import App
from dualrandom.cli._context import current_actor, pass_app
from dualrandom.cli._output import console, print_json, print_rows, reporting_problems
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
    print_rows(
        ("计划 plan", "批次 batch", "检查时段 window", "检查事项 items", "分层 strata"),
        (
            (
                plan.id,
                f"{plan.year} {plan.batch}",
                window_label(plan),
                ", ".join(plan.items),
                strata_label(plan),
            )
            for plan in (located.value for located in ruleset.plans)
        ),
        "计划 Plans",
    )


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
    print_rows(
        ("计划 plan", "批次 batch", "标题 title", "检查时段 window", "事项数 items", "摘要 digest"),
        (
            (
                s.plan.id,
                f"{s.plan.year} {s.plan.batch}",
                s.plan.title,
                window_label(s.plan),
                str(len(s.plan.items)),
                s.digest[:12],
            )
            for s in stored
        ),
        "已载入的计划 Loaded plans",
    )


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

    co = "、".join(department(code) for code in p.co_departments) or _NONE
    days = p.prepare_days_before
    console.print(f"[bold]计划 Plan {p.id}[/bold]：{p.title}")
    _print_labels(
        (
            ("年度、批次", "Year, batch", f"{p.year} {p.batch}（{p.kind}）"),
            ("检查时段", "Window", window_label(p)),
            (
                "抽取安排",
                "Schedule",
                f"{p.schedule}；检查时段开始前 {days} 天准备 "
                f"(prepared {days} days before the window)",
            ),
            ("随机来源", "Entropy", _ENTROPY.get(str(p.entropy), str(p.entropy))),
            ("发起部门", "Department", department(p.department)),
            ("配合部门", "Co-operating", co),
            ("抽查范围", "Scope", filter_label(p.scope)),
            ("摘要", "Digest", stored.digest),
            ("载入时间", "Loaded at", stored.loaded_at.isoformat(timespec="seconds")),
        )
    )
    _print_items(items)
    _print_strata(p)
    _print_rules(p)


_NONE = "无 none"
_ENTROPY = {
    "beacon": "公共信标 beacon",
    "typed": "操作员当众输入 typed",
    "dice": "掷骰 dice",
}


def _print_labels(rows: tuple[tuple[str, str, str], ...]) -> None:
    """``  中文 English: value`` lines, the labels aligned: Chinese first, as everywhere."""
    labels = [f"{zh} {en}:" for zh, en, _ in rows]
    width = max(map(cell_len, labels))
    for label, (_, _, value) in zip(labels, rows, strict=True):
        padding = " " * (width - cell_len(label))
        console.print(f"  {label}{padding} {value}", markup=False, soft_wrap=True)


def _print_items(items: list[ItemRecord]) -> None:
    print_rows(
        ("事项 item", "名称 name", "部门 department", "类别 class", "比例 ratio", "范围 scope"),
        (
            (
                item.code,
                item.name,
                item.department,
                str(item.item_class),
                ratio_label(item.ratio),
                filter_label(item.scope),
            )
            for item in items
        ),
        "检查事项 Items",
    )


def _print_strata(p: Plan) -> None:
    print_rows(
        ("分层 stratum", "对象 objects", "比例 ratio", "最少 min", "最多 max"),
        (
            (
                s.name if s.public else f"{s.name} *",
                filter_label(s.where),
                ratio_label(s.ratio),
                str(s.min_count),
                "" if s.max_count is None else str(s.max_count),
            )
            for s in p.strata
        ),
        "分层 Strata",
    )
    if not all(s.public for s in p.strata):
        console.print(
            "* 按内部信用风险分类划分：公众无法核验对象属于哪一层 "
            "(on the internal risk class: membership is not publicly verifiable)"
        )


def _print_rules(p: Plan) -> None:
    team, excl = p.team, p.exclusions
    required = (
        "、".join(
            f"{r.department} 至少 {r.count} 人 ({r.count} from {r.department})"
            for r in team.require
        )
        or _NONE
    )
    months = excl.lookback_months
    cap, load = excl.annual_cap, team.load_cap
    leader = "，含组长 (with a leader)" if team.leader else ""
    _print_labels(
        (
            ("排除的登记状态", "Excluded statuses", "、".join(excl.statuses) or _NONE),
            ("回看期", "Look-back", f"{months} 个月 ({months} months)" if months else _NONE),
            (
                "年度上限",
                "Annual cap",
                _NONE if cap is None else f"每个对象 {cap} 次 ({cap} per object)",
            ),
            ("检查组人数", "Team size", f"{team.size}{leader}"),
            ("片区规则", "Team district", _DISTRICT.get(team.district, team.district)),
            (
                "工作量上限",
                "Load cap",
                _NONE if load is None else f"每名执法人员 {load} 户 ({load} objects per officer)",
            ),
            ("人员要求", "Team requires", required),
            ("回避规则", "Conflict rules", "、".join(team.conflict_rules) or _NONE),
            (
                "公开执法人员姓名",
                "Inspector names",
                "公开 published" if p.publication.inspector_names else "不公开 not published",
            ),
            (
                "人名遮蔽",
                "Person names",
                "遮蔽 masked" if p.publication.mask_person_names else "不遮蔽 not masked",
            ),
        )
    )


_DISTRICT = {"any": "不限片区 any", "same": "只查负责片区内的对象 same"}
