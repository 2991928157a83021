"""``rules/plans/*.toml``: one plan (a batch of the annual plan) per file."""

from __future__ import annotations

import re
from dataclasses import fields
from datetime import date
from typing import Any

from dualrandom.core.model import (
    CONFLICT_RULES,
    DISTRICT_RULES,
    DrawKind,
    EntropySource,
    Exclusions,
    ObjectStatus,
    Plan,
    Publication,
    Stratum,
    TeamRequirement,
    TeamRules,
)
from dualrandom.errors import Problem
from dualrandom.rules._filter import object_filter
from dualrandom.rules._schedule import schedule_problem
from dualrandom.rules.schema import (
    EXCLUSIONS_KEYS,
    PLAN_KEYS,
    PUBLICATION_KEYS,
    REQUIRE_KEYS,
    STRATUM_KEYS,
    TEAM_KEYS,
    WINDOW_KEYS,
)
from dualrandom.tomlfile import Hint, Located, Source, Table

__all__ = ["parse_plan"]

# Defaults come from the value objects, so the model stays their one source.
_TEAM = TeamRules()
_EXCLUSIONS = Exclusions()
_PUBLICATION = Publication()


def _plan_default(name: str) -> Any:
    return next(f for f in fields(Plan) if f.name == name).default


def parse_plan(
    source: Source, data: dict[str, Any], stem: str, sink: list[Problem]
) -> Located[Plan] | None:
    """The plan of one file, or None (with the reasons in ``sink``)."""
    table = Table(source, sink, (), data, PLAN_KEYS)
    plan_id = table.text("id", required=True, max_len=64)
    if plan_id and plan_id != stem:
        table.fail(
            "id",
            plan_id,
            f"应与去掉 .toml 的文件名相同（{stem!r}）",
            f"must equal the file name without .toml ({stem!r})",
        )
    elif plan_id and not _PLAN_ID.match(plan_id):
        table.fail(
            "id",
            plan_id,
            "只能由 1 到 64 个英文字母、数字、_ 或 - 组成",
            "must be 1-64 of A-Z a-z 0-9 _ -",
        )
    title = table.text("title", required=True)
    year = table.integer("year", required=True, minimum=2000, maximum=2200)
    batch = table.text("batch", required=True, max_len=8)
    if batch and not _BATCH.match(batch):
        table.fail(
            "batch",
            batch,
            "应为 Q1 至 Q4（季度）、H1 或 H2（半年）或 B 加序号（如 B1）",
            "must be Q1-Q4, H1-H2 or B and a number (e.g. B1)",
        )
    kind = table.text("type", required=True, choices=tuple(DrawKind))
    department = table.text("department", required=True, max_len=32)
    co_departments = _co_departments(table, department)
    items = table.texts("items", required=True, max_len=32)
    window = _window(table, year)
    schedule = _schedule(table, year, window)
    prepare = table.integer("prepare_days_before", default=_plan_default("prepare_days_before"))
    # a new plan's draw is DR-2 unless the file says otherwise (and rules check refuses that)
    entropy = table.text("entropy", default=EntropySource.BEACON, choices=tuple(EntropySource))
    dice = table.flag("dice", default=False)
    _check_steerable(table, entropy, dice, schedule)
    scope = object_filter(table, "scope")
    strata = _strata(table)
    exclusions = _exclusions(table.table("exclusions", EXCLUSIONS_KEYS))
    team = _team(table.table("team", TEAM_KEYS), (department, *co_departments))
    publication = _publication(table.table("publication", PUBLICATION_KEYS))
    if not table.ok or year is None or window is None or prepare is None:
        return None
    if strata is None or exclusions is None or team is None or publication is None:
        return None
    plan = table.build(
        lambda: Plan(
            id=plan_id,
            title=title,
            year=year,
            batch=batch,
            kind=DrawKind(kind),
            department=department,
            items=items,
            window_start=window[0],
            window_end=window[1],
            co_departments=co_departments,
            scope=scope,
            strata=strata or _plan_default("strata"),
            exclusions=exclusions,
            team=team,
            schedule=schedule,
            prepare_days_before=prepare,
            entropy=EntropySource(entropy),
            publication=publication,
            dice=bool(dice),
        ),
        blame="id",
    )
    return None if plan is None else Located(plan, source, (), data)


_PLAN_ID = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")  # as core.model checks it
_BATCH = re.compile(r"(Q[1-4]|H[12]|B[0-9]{1,3})\Z")

_DR1_REFUSED = {
    "typed": Hint(
        "操作员当众输入的数值由操作员选定，可反复试算直到结果合意，新计划不得使用；"
        '请改为 entropy = "beacon"（可加 dice = true）',
        "an operator-typed value is chosen by the operator, who can try values until the "
        'result suits; new plans may not use it: use entropy = "beacon" (optionally dice = true)',
    ),
    "dice": Hint(
        "DR-1 掷骰抽取中操作员掌握密钥，看到骰子后仍可放弃重抽，新计划不得使用；"
        '请改为 entropy = "beacon" 并加 dice = true',
        "in a DR-1 dice draw the operator knows the secret and can abort after seeing the "
        'dice; new plans may not use it: use entropy = "beacon" with dice = true',
    ),
}


def _check_steerable(table: Table, entropy: str | None, dice: bool, schedule: str) -> None:
    """Only DR-2 (a pinned public beacon, no operator secret) for new plans: with
    DR-1 the operator who holds the secret can compute or steer the result."""
    if entropy in _DR1_REFUSED:
        reason = _DR1_REFUSED[entropy]
        if schedule and schedule != "manual":
            reason = Hint(
                f"定时无人值守抽取若不用公共信标，结果在抽取时刻之前即可算出；{reason.zh}",
                "an unattended scheduled draw without the beacon "
                f"is computable before its time; {reason.en}",
            )
        table.fail("entropy", entropy, *reason)
    if dice and entropy is not None and entropy != EntropySource.BEACON:
        table.fail(
            "dice",
            dice,
            '骰子只与公共信标一起使用（entropy = "beacon"）',
            'dice = true goes with entropy = "beacon" only',
        )


def _co_departments(plan: Table, department: str) -> tuple[str, ...]:
    co_departments = plan.texts("co_departments", max_len=32)
    if department in co_departments:
        index = co_departments.index(department)
        plan.fail(
            ("co_departments", index),
            department,
            "同时是发起部门，不能再列为配合部门",
            "is the initiating department too",
        )
    return co_departments


def _window(plan: Table, year: int | None) -> tuple[date, date] | None:
    window = plan.table("window", WINDOW_KEYS, required=True)
    start, end = window.day("start"), window.day("end")
    if window.ok and start > end:
        window.fail(
            "end",
            end,
            f"早于时间窗口的开始日期 {start}",
            f"is before the start of the window {start}",
        )
    for key, day in (("start", start), ("end", end)):
        if window.ok and year is not None and day.year != year:
            window.fail(key, day, f"不在计划年度 {year} 年内", f"is not in the plan year {year}")
    plan.ok = plan.ok and window.ok
    return (start, end) if window.ok else None


def _schedule(plan: Table, year: int | None, window: tuple[date, date] | None) -> str:
    schedule = plan.text("schedule", default=_plan_default("schedule"))
    if "schedule" in plan.data and year is not None and window is not None:
        reason = schedule_problem(schedule, year, window[1])
        if reason:
            plan.fail("schedule", schedule, *reason)
    return schedule


def _strata(plan: Table) -> tuple[Stratum, ...] | None:
    """The strata, or None when any is invalid; () means "one stratum, everything"."""
    tables = plan.tables("stratum", STRATUM_KEYS)
    strata: list[tuple[Table, Stratum]] = []
    for table in tables:
        stratum = _stratum(table)
        if stratum is not None:
            _check_against_earlier(table, stratum, strata)
            strata.append((table, stratum))
    if not all(table.ok for table in tables):
        plan.ok = False
        return None
    return tuple(stratum for _, stratum in strata)


def _stratum(table: Table) -> Stratum | None:
    name = table.text("name", required=True, max_len=50)
    where = object_filter(table, "where")
    ratio = table.ratio("ratio", required=False)
    min_count = table.integer("min", default=0) or 0
    max_count = table.integer("max", minimum=1)
    if max_count is not None and max_count < min_count:
        table.fail("max", max_count, f"小于 min {min_count}", f"is below min {min_count}")
    if not table.ok:
        return None
    return table.build(lambda: Stratum(name, where, ratio, min_count, max_count), blame="name")


def _check_against_earlier(
    table: Table, stratum: Stratum, earlier: list[tuple[Table, Stratum]]
) -> None:
    """Names are unique and no object may fall into two strata."""
    for other_table, other in earlier:
        line = other_table.source.locator.line(other_table.path)
        if other.name == stratum.name:
            table.fail(
                "name",
                stratum.name,
                f"与第 {line} 行的分层重名",
                f"repeats the name of the stratum at line {line}",
            )
        elif stratum.where.may_overlap(other.where):
            table.fail(
                "where",
                stratum.where.as_dict(),
                f"与分层 {other.name!r}（第 {line} 行）重叠：一个对象可能同时属于两者；"
                "请让各分层在同一个键上取不同的值，例如 risk_class",
                f"overlaps stratum {other.name!r} (line {line}): an object could match both; "
                "give the strata different values of one key, e.g. risk_class",
            )


def _exclusions(table: Table) -> Exclusions | None:
    statuses = table.texts("statuses", default=_EXCLUSIONS.statuses, choices=tuple(ObjectStatus))
    lookback = table.integer("lookback_months", default=_EXCLUSIONS.lookback_months)
    annual_cap = table.integer("annual_cap", default=_EXCLUSIONS.annual_cap, minimum=1)
    if not table.ok:
        return None
    return table.build(lambda: Exclusions(statuses, lookback or 0, annual_cap), blame="statuses")


def _team(table: Table, departments: tuple[str, ...]) -> TeamRules | None:
    size = table.integer(
        "size",
        default=_TEAM.size,
        minimum=2,
        why=Hint(
            "（《行政处罚法》第四十二条：检查须有至少 2 名持证执法人员）",
            " (行政处罚法 Art. 42: an inspection needs at least 2 certified officers)",
        ),
    )
    leader = table.flag("leader", default=_TEAM.leader)
    district = table.text("district", default=_TEAM.district, choices=sorted(DISTRICT_RULES))
    load_cap = table.integer("load_cap", default=_TEAM.load_cap, minimum=1)
    require = _requirements(table, departments)
    conflict_rules = table.texts(
        "conflict_rules", default=_TEAM.conflict_rules, choices=sorted(CONFLICT_RULES)
    )
    if "conflict_rules" in table.data and "declared" not in conflict_rules and table.ok:
        table.fail(
            "conflict_rules",
            table.data["conflict_rules"],
            "必须包含 'declared'：申报的利害关系一律回避（《行政处罚法》第四十三条）",
            "must include 'declared': declared conflicts always recuse (行政处罚法 Art. 43)",
        )
    total = sum(requirement.count for requirement in require)
    if size is not None and total > size:
        table.fail(
            "require",
            total,
            f"需要 {total} 名执法人员，但检查组只有 {size} 人",
            f"needs {total} officers but the team size is {size}",
        )
    if not table.ok or size is None:
        return None
    return table.build(
        lambda: TeamRules(size, leader, district, load_cap, require, conflict_rules),
        blame="size",
    )


def _requirements(team: Table, departments: tuple[str, ...]) -> tuple[TeamRequirement, ...]:
    result: list[TeamRequirement] = []
    for table in team.tables("require", REQUIRE_KEYS):
        department = table.text("department", required=True, max_len=32)
        count = table.integer("count", required=True, minimum=1)
        if department and department not in departments:
            named = [d for d in departments if d]
            table.fail(
                "department",
                department,
                f"不是本计划的部门（{'、'.join(named)}）之一",
                f"is not one of the plan's departments ({', '.join(named)})",
            )
        if any(r.department == department for r in result):
            table.fail("department", department, "已有一条人员要求", "has a requirement already")
        if table.ok and count is not None:
            result.append(TeamRequirement(department, count))
        team.ok = team.ok and table.ok
    return tuple(result)


def _publication(table: Table) -> Publication | None:
    publication = Publication(
        inspector_names=table.flag("inspector_names", default=_PUBLICATION.inspector_names),
        mask_person_names=table.flag("mask_person_names", default=_PUBLICATION.mask_person_names),
    )
    return publication if table.ok else None
