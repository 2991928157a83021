"""The item list (一单) and the plan notices, from the rules as loaded.

A plan's scope or strata that use the risk class are described without
naming classes: "按信用风险分类分为 N 层", never "A类 1%".
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby

from dualrandom.core.model import Plan, Stratum
from dualrandom.publish import paths
from dualrandom.publish.labels import ENTROPY_SOURCES, filter_text
from dualrandom.publish.pages._build import Build, Table
from dualrandom.publish.read import Catalog
from dualrandom.publish.shape.contexts import (
    Download,
    ItemGroup,
    ItemListPage,
    ItemRef,
    ItemRow,
    Link,
    NoticeHead,
    PlanNoticePage,
    PlanSummary,
    StratumRule,
)
from dualrandom.rules.describe import ratio_label
from dualrandom.rules.store import StoredPlan

__all__ = ["write_items", "write_plan_notice"]

CONFLICT_RULES = {
    "declared": "执法人员申报的回避关系（亲属、原单位、持股、受礼、办理过案件等）自动回避",
    "previous_team": "上次检查该对象的执法人员不参加本次检查",
    "home_district": "执法人员不检查其居住片区内的对象",
}


def write_items(build: Build, head: NoticeHead | None) -> None:
    catalog = build.catalog
    items = sorted(catalog.items.values(), key=lambda i: (i.department, i.code))
    rows = [
        ItemRow(
            i.code,
            i.name,
            i.sub_item,
            i.legal_basis,
            catalog.department(i.department),
            "、".join(i.methods),
            str(i.item_class),
            ratio_label(i.ratio),
            str(i.max_per_year) if i.max_per_year else "—",
        )
        for i in items
    ]
    groups = tuple(
        ItemGroup(dept, tuple(group)) for dept, group in groupby(rows, key=lambda r: r.department)
    )
    downloads: tuple[Download, ...] = ()
    if head is not None:
        header = [
            "事项编码",
            "抽查事项",
            "抽查子项",
            "检查依据",
            "检查主体",
            "检查方式",
            "事项类别",
            "抽查比例",
            "年度频次上限",
        ]
        keys = (
            "code",
            "name",
            "sub_item",
            "legal_basis",
            "department",
            "methods",
            "class",
            "ratio",
            "max_per_year",
        )
        table = Table(
            "随机抽查事项清单",
            "items",
            header,
            {"notice": {"title": head.title, "date": head.date.isoformat()}},
            "items",
        )

        def cells(r: ItemRow) -> list[str]:
            return [
                r.code,
                r.name,
                r.sub_item,
                r.legal_basis,
                r.department,
                r.methods,
                r.item_class,
                r.ratio,
                r.max_per_year,
            ]

        downloads = build.table(
            table, rows, cells, lambda r: dict(zip(keys, cells(r), strict=True))
        )
    build.page("items.html.j2", paths.ITEMS, page=ItemListPage(head, groups, downloads))


def _hidden(plan: Plan, stratum: Stratum) -> bool:
    return not stratum.public or "risk_class" in plan.scope.fields()


def _bounds(stratum: Stratum) -> str:
    parts = []
    if stratum.min_count:
        parts.append(f"至少 {stratum.min_count} 户")
    if stratum.max_count is not None:
        parts.append(f"至多 {stratum.max_count} 户")
    return "，".join(parts) or "—"


def _schedule(plan: Plan) -> str:
    notice = (
        f"检查期限开始前 {plan.prepare_days_before} 天公布抽取前公告"
        if plan.prepare_days_before
        else "抽取前公布抽取前公告"
    )
    if plan.schedule == "quarterly":
        return f"按季度抽取，{notice}"
    if plan.schedule == "manual":
        return f"由牵头部门确定抽取时间，{notice}"
    return f"按计划时间表（{plan.schedule}）抽取，{notice}"


def _rules(plan: Plan) -> tuple[tuple[str, ...], tuple[str, ...]]:
    ex, team = plan.exclusions, plan.team
    exclusions = [f"登记状态为{'、'.join(ex.statuses)}的对象不抽取"] if ex.statuses else []
    if ex.lookback_months:
        exclusions.append(f"近 {ex.lookback_months} 个月内已就同一事项被检查的对象不抽取")
    if ex.annual_cap:
        exclusions.append(f"每个对象每年的计划检查不超过 {ex.annual_cap} 次")
    rules = [
        f"检查组由至少 {team.size} 名持证执法人员组成" + ("，其中一人任组长" if team.leader else "")
    ]
    if team.district == "same":
        rules.append("执法人员只检查其负责片区内的对象")
    if team.load_cap:
        rules.append(f"每名执法人员本批次最多检查 {team.load_cap} 户")
    rules += [CONFLICT_RULES[r] for r in team.conflict_rules if r in CONFLICT_RULES]
    return tuple(exclusions), tuple(rules)


def _summary(catalog: Catalog, stored: StoredPlan) -> PlanSummary:
    plan = stored.plan
    scope = (
        "按信用风险分类确定（分类结果不公开）"
        if "risk_class" in plan.scope.fields()
        else filter_text(plan.scope, catalog.departments)
    )
    public = [s for s in plan.strata if not _hidden(plan, s)]
    strata = tuple(
        StratumRule(
            s.name,
            filter_text(s.where, catalog.departments),
            ratio_label(s.ratio, missing="按事项比例"),
            _bounds(s),
        )
        for s in public
    )
    items = tuple(
        ItemRef(
            code,
            catalog.items[code].name if code in catalog.items else code,
            catalog.department(catalog.items[code].department) if code in catalog.items else "",
        )
        for code in plan.items
    )
    exclusions, team = _rules(plan)
    draws = []
    for record in (d for d in catalog.draws if d.plan_id == plan.id):
        suffix = f"（第{record.attempt}次）"
        draws.append(Link(f"抽取前公告{suffix}", paths.predraw(plan.id, record.attempt)))
        if record.has_notice:
            draws.append(Link(f"抽查对象名单{suffix}", paths.notice(plan.id, record.attempt)))
    return PlanSummary(
        plan.id,
        plan.title,
        plan.batch,
        str(plan.kind),
        plan.window_start,
        plan.window_end,
        catalog.department(plan.department),
        tuple(catalog.department(c) for c in plan.co_departments),
        items,
        scope,
        strata,
        len(plan.strata) - len(public),
        exclusions,
        team,
        ENTROPY_SOURCES.get(str(plan.entropy), str(plan.entropy)),
        _schedule(plan),
        tuple(draws),
    )


def write_plan_notice(build: Build, head: NoticeHead, plans: Sequence[StoredPlan]) -> None:
    summaries = tuple(_summary(build.catalog, stored) for stored in plans)
    stem = head.href.removesuffix(".html")
    header = [
        "计划编号",
        "名称",
        "批次",
        "检查类型",
        "检查开始日期",
        "检查结束日期",
        "牵头部门",
        "配合部门",
        "抽查事项",
    ]

    def cells(p: PlanSummary) -> list[str]:
        return [
            p.id,
            p.title,
            p.batch,
            p.kind,
            p.window_start.isoformat(),
            p.window_end.isoformat(),
            p.department,
            "、".join(p.co_departments),
            "、".join(i.code for i in p.items),
        ]

    keys = ("id", "title", "batch", "type", "start", "end", "department", "co_departments", "items")
    table = Table(
        "抽查工作计划",
        stem,
        header,
        {"notice": {"title": head.title, "doc_no": head.doc_no, "date": head.date.isoformat()}},
        "plans",
    )
    downloads = build.table(
        table, summaries, cells, lambda p: dict(zip(keys, cells(p), strict=True))
    )
    build.page("plan.html.j2", head.href, page=PlanNoticePage(head, summaries, downloads))
