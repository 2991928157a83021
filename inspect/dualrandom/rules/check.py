"""Cross-checks of the rules against each other and the database, and the
two operations behind ``rules check`` and ``rules load``.

Which item list do plans name? ``rules/items.toml`` when it exists (it is
loaded together with the plans); otherwise the items already stored in the
database (imported from a spreadsheet with ``dualrandom items import``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualrandom.core.model import ItemRecord, ObjectFilter, Plan
from dualrandom.errors import Problem, RulesError
from dualrandom.rules.files import (
    ITEMS_FILE,
    RuleSet,
    read_items_text,
    read_plan_text,
    read_rules,
)
from dualrandom.rules.store import (
    NO_DEPARTMENTS,
    Changes,
    load_items,
    save_items,
    save_plans,
    stored_ids,
)
from dualrandom.tables import DepartmentRow
from dualrandom.tomlfile import Hint, KeyPath, Located, hint

__all__ = [
    "LoadReport",
    "check_items_text",
    "check_plan_text",
    "check_rules",
    "cross_check",
    "store_rules",
]


@dataclass(frozen=True, slots=True)
class LoadReport:
    rules: RuleSet
    items: Changes
    plans: Changes
    items_not_in_files: tuple[str, ...]  # stored, but no longer in items.toml
    plans_not_in_files: tuple[str, ...]


def cross_check(
    rules: RuleSet, departments: Collection[str], stored_items: Mapping[str, ItemRecord]
) -> list[Problem]:
    """Problems between the files and what the database knows (pure)."""
    problems: list[Problem] = []
    if not departments:
        problems.append(Problem("database", None, "departments", "", *NO_DEPARTMENTS))
    known = _DepartmentCheck(frozenset(departments))
    for item in rules.items:
        problems += known.check(item, ("department",), item.value.department)
        problems += known.filter(item, ("scope",), item.value.scope)
    items = {i.value.code: i.value for i in rules.items} if rules.items_file else stored_items
    if rules.plans and rules.items_file is None and not stored_items:
        problems.append(
            Problem(
                rules.folder,
                None,
                "items",
                "",
                f"没有事项清单：请编写 {ITEMS_FILE}，或运行 dualrandom items import FILE",
                f"there is no item list: write {ITEMS_FILE} or run 'dualrandom items import FILE'",
            )
        )
    for plan in rules.plans:
        problems += _plan_departments(plan, known)
        if items:
            problems += _plan_items(plan, items, rules)
    return problems


class _DepartmentCheck:
    """Department codes must be in the registry (skipped when it is empty:
    that is reported once, not once per code)."""

    def __init__(self, codes: frozenset[str]) -> None:
        self.codes = codes

    def check(self, where: Located[object], key: KeyPath, code: str) -> list[Problem]:
        if not self.codes or code in self.codes:
            return []
        close = hint(code, self.codes)
        return [
            where.problem(
                where.element(key, code),
                code,
                f"不在部门名录中{close.zh}",
                f"is not in the departments registry{close.en}",
            )
        ]

    def filter(self, where: Located[object], key: KeyPath, scope: ObjectFilter) -> list[Problem]:
        values = dict(scope.clauses).get("department", ())
        return [p for code in values for p in self.check(where, (*key, "department"), code)]


def _plan_departments(located: Located[Plan], known: _DepartmentCheck) -> Iterator[Problem]:
    plan = located.value
    yield from known.check(located, ("department",), plan.department)
    for code in plan.co_departments:
        yield from known.check(located, ("co_departments",), code)
    yield from known.filter(located, ("scope",), plan.scope)
    if "stratum" in located.data:  # else the one default stratum, which has no filter
        for index, stratum in enumerate(plan.strata):
            yield from known.filter(located, ("stratum", index, "where"), stratum.where)


_RISK_SCOPE = Hint(
    "风险分类只能用于分层，不能用于抽查范围：否则公开的抽查池会泄露企业的风险分类",
    "the risk class may only define strata, not a scope: a public pool defined by it "
    "would tell everyone which business has which class (SPEC §17)",
)


def _plan_items(
    located: Located[Plan], items: Mapping[str, ItemRecord], rules: RuleSet
) -> Iterator[Problem]:
    plan = located.value
    origin = (
        Hint(f" {rules.items_file} ", rules.items_file)
        if rules.items_file
        else Hint("数据库的事项表", "the items table of the database")
    )
    if "risk_class" in plan.scope.fields():
        yield located.problem(("scope", "risk_class"), "risk_class", *_RISK_SCOPE)
    for code in plan.items:
        key = located.element(("items",), code)
        item = items.get(code)
        if item is not None and "risk_class" in item.scope.fields():
            yield located.problem(
                key,
                code,
                f"{_RISK_SCOPE.zh}（事项 {code} 的 scope）",
                f"{_RISK_SCOPE.en} (the scope of item {code})",
            )
        if item is None:
            if code not in rules.item_codes:  # else items.toml already reports it
                close = hint(code, items)
                yield located.problem(
                    key, code, f"不在{origin.zh}中{close.zh}", f"is not in {origin.en}{close.en}"
                )
        elif item.department not in plan.departments:
            yield located.problem(
                key,
                code,
                f"是部门 {item.department!r} 的事项，该部门既不是本计划的发起部门，"
                "也不是配合部门；请把它加入 co_departments",
                f"is an item of department {item.department!r}, which is neither the plan's "
                f"department nor a co_department; add it to co_departments",
            )


def check_rules(session: Session, rules_dir: Path, display: str | None = None) -> RuleSet:
    """Read the rules folder and check it all; RulesError lists every problem."""
    rules = read_rules(rules_dir, display)
    departments = set(session.scalars(select(DepartmentRow.code)))
    problems = [*rules.problems, *cross_check(rules, departments, load_items(session))]
    if problems:
        raise RulesError(problems)
    return rules


def check_plan_text(session: Session, name: str, raw: bytes) -> Located[Plan]:
    """One plan file on its own (an upload, a form): read and checked like a file of
    the rules folder, against the departments and items in the database.
    RulesError lists every problem with its line."""
    sink: list[Problem] = []
    plan = read_plan_text(name, raw, sink)
    rules = RuleSet(
        folder=name,
        items_file=None,
        items=(),
        item_codes=frozenset(),
        plans=() if plan is None else (plan,),
        plan_files=(name,),
        problems=tuple(sink),
    )
    departments = set(session.scalars(select(DepartmentRow.code)))
    problems = [*sink, *cross_check(rules, departments, load_items(session))]
    if problems or plan is None:
        raise RulesError(problems)
    return plan


def check_items_text(session: Session, name: str, raw: bytes) -> list[ItemRecord]:
    """An ``items.toml`` on its own (an upload), checked as ``rules check`` checks the
    folder's, against the departments in the database; RulesError lists every problem."""
    sink: list[Problem] = []
    items, codes = read_items_text(name, raw, sink)
    rules = RuleSet(name, name, tuple(items), frozenset(codes), (), (), tuple(sink))
    departments = set(session.scalars(select(DepartmentRow.code)))
    problems = [*sink, *cross_check(rules, departments, load_items(session))]
    if problems:
        raise RulesError(problems)
    return [item.value for item in items]


def store_rules(session: Session, rules: RuleSet, *, actor: str) -> LoadReport:
    """Save checked rules: the items of items.toml (if any), then the plans."""
    items = Changes()
    if rules.items_file:
        items = save_items(session, [i.value for i in rules.items], rules.items_file, actor=actor)
    plans = Changes()
    for plan in rules.plans:
        plans += save_plans(session, [plan.value], plan.file, actor=actor)
    stored = stored_ids(session)
    in_files = {i.value.code for i in rules.items}
    stale_items = sorted(stored["items"] - in_files) if rules.items_file else []
    stale_plans = sorted(stored["plans"] - {p.value.id for p in rules.plans})
    return LoadReport(rules, items, plans, tuple(stale_items), tuple(stale_plans))
