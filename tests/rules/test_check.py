"""Cross-checks: departments and items against the database, items against plans."""

from __future__ import annotations

from fractions import Fraction

import pytest
from sqlalchemy.orm import Session

from dualrandom.core.model import ItemRecord
from dualrandom.errors import RulesError
from dualrandom.rules import check_rules, cross_check, read_rules
from tests.rules.conftest import ITEMS, PLAN, WriteRules

DEPARTMENTS = {"SCJG", "ZJ", "SYJ"}


def reasons(
    write_rules: WriteRules, departments: set[str] = DEPARTMENTS, **files: object
) -> list[str]:
    rules = read_rules(write_rules(**files), "rules")
    assert rules.problems == ()
    return [str(p) for p in cross_check(rules, departments, {})]


def test_valid_rules_pass(write_rules: WriteRules) -> None:
    assert reasons(write_rules) == []


def test_no_departments_in_the_database_is_said_once(write_rules: WriteRules) -> None:
    assert reasons(write_rules, set()) == [
        "database [departments] 数据库中还没有任何部门；"
        "请先运行 dualrandom registry import departments FILE "
        "(the database has no departments; "
        "run 'dualrandom registry import departments FILE' first)"
    ]


def test_unknown_departments_are_named_where_they_are_written(write_rules: WriteRules) -> None:
    plan = (
        PLAN.replace('["ZJ"]', '["SYJ", "ZJW"]')
        .replace('"SCJG-01", "ZJ-02"', '"SCJG-01"')
        .replace("[window]", '[scope]\ndepartment = ["GS"]\n[window]')
    )
    items = ITEMS.replace('department = "ZJ"', 'department = "ZJJ"')
    assert reasons(write_rules, items=items, plans={"2027-Q1": plan}) == [
        "rules/items.toml:16 [item[2].department] 'ZJJ': 不在部门名录中；是否应为 'ZJ'？ "
        "(is not in the departments registry; did you mean 'ZJ'?)",
        "rules/plans/2027-Q1.toml:7 [co_departments[2]] 'ZJW': 不在部门名录中；是否应为 'ZJ'？ "
        "(is not in the departments registry; did you mean 'ZJ'?)",
        "rules/plans/2027-Q1.toml:12 [scope.department[1]] 'GS': "
        "不在部门名录中；可用的值：SCJG, SYJ, ZJ "
        "(is not in the departments registry; known: SCJG, SYJ, ZJ)",
    ]


def test_plan_items_must_exist_and_belong_to_a_plan_department(write_rules: WriteRules) -> None:
    plan = PLAN.replace('["ZJ"]', '["SYJ"]').replace('"ZJ-02"]', '"ZJ-02", "SCJG-1"]')
    assert reasons(write_rules, plans={"2027-Q1": plan}) == [
        "rules/plans/2027-Q1.toml:8 [items[3]] 'SCJG-1': "
        "不在 rules/items.toml 中；是否应为 'SCJG-01'？ "
        "(is not in rules/items.toml; did you mean 'SCJG-01'?)",
        "rules/plans/2027-Q1.toml:8 [items[2]] 'ZJ-02': 是部门 'ZJ' 的事项，该部门既不是本计划的"
        "发起部门，也不是配合部门；请把它加入 co_departments (is an item of department 'ZJ', "
        "which is neither the plan's department nor a co_department; add it to co_departments)",
    ]


def test_an_invalid_item_is_not_reported_again_by_the_plan(write_rules: WriteRules) -> None:
    rules = read_rules(write_rules(items=ITEMS.replace('"重点"', '"关键"')), "rules")
    assert [p.column for p in rules.problems] == ["item[2].class"]
    assert cross_check(rules, DEPARTMENTS, {}) == []


def stored_item(code: str, department: str) -> ItemRecord:
    return ItemRecord(code, "名称", "依据", department, "一般", ("现场检查",), Fraction(1, 20))


def test_without_items_toml_plans_name_stored_items(write_rules: WriteRules) -> None:
    rules = read_rules(write_rules(items=None), "rules")
    stored = {"SCJG-01": stored_item("SCJG-01", "SCJG")}
    assert [str(p) for p in cross_check(rules, DEPARTMENTS, stored)] == [
        "rules/plans/2027-Q1.toml:8 [items[2]] 'ZJ-02': 不在数据库的事项表中；可用的值：SCJG-01 "
        "(is not in the items table of the database; known: SCJG-01)"
    ]
    assert [str(p) for p in cross_check(rules, DEPARTMENTS, {})] == [
        "rules [items] 没有事项清单：请编写 items.toml，或运行 dualrandom items import FILE "
        "(there is no item list: write items.toml or run 'dualrandom items import FILE')"
    ]


def test_check_rules_collects_file_and_database_problems(
    write_rules: WriteRules, session: Session
) -> None:
    items = ITEMS.replace('ratio = "3%"', "ratio = 0.03")
    plan = PLAN.replace('["ZJ"]', '["ZJ", "XX"]')
    with pytest.raises(RulesError) as caught:
        check_rules(session, write_rules(items=items, plans={"2027-Q1": plan}), "rules")
    assert [(p.file, p.row, p.column) for p in caught.value.problems] == [
        ("rules/items.toml", 19, "item[2].ratio"),
        ("rules/plans/2027-Q1.toml", 7, "co_departments[2]"),
    ]
    rules = check_rules(session, write_rules(plans={"2027-Q1": PLAN}), "rules")
    assert [p.value.id for p in rules.plans] == ["2027-Q1"]


# A draw nobody can steer (issue 8): rules check refuses what would let the operator
# compute, choose or abort-and-redo the result, naming file, line and key.


def everything(write_rules: WriteRules, **files: object) -> list[str]:
    """The problems of reading the files and of checking them against the database."""
    rules = read_rules(write_rules(**files), "rules")
    return [str(p) for p in (*rules.problems, *cross_check(rules, DEPARTMENTS, {}))]


def test_typed_entropy_is_refused_for_a_new_plan(write_rules: WriteRules) -> None:
    plan = PLAN.replace('schedule = "quarterly"', 'schedule = "quarterly"\nentropy = "typed"')
    [reason] = everything(write_rules, plans={"2027-Q1": plan})
    assert reason.startswith("rules/plans/2027-Q1.toml:10 [entropy] 'typed': ")
    assert "定时无人值守抽取若不用公共信标" in reason and "use entropy = \"beacon\"" in reason


def test_dr1_dice_are_refused_for_a_new_plan(write_rules: WriteRules) -> None:
    plan = PLAN.replace('schedule = "quarterly"', 'schedule = "manual"\nentropy = "dice"')
    [reason] = everything(write_rules, plans={"2027-Q1": plan})
    assert reason.startswith("rules/plans/2027-Q1.toml:10 [entropy] 'dice': ")
    assert "操作员掌握密钥" in reason and "abort after seeing the dice" in reason


def test_dice_go_with_the_beacon_only(write_rules: WriteRules) -> None:
    beacon = PLAN.replace('schedule = "quarterly"', 'schedule = "quarterly"\ndice = true')
    assert everything(write_rules, plans={"2027-Q1": beacon}) == []
    typed = beacon.replace("dice = true", 'entropy = "typed"\ndice = true')
    assert any("[dice]" in r and "goes with entropy" in r for r in everything(write_rules, plans={"2027-Q1": typed}))


def test_the_risk_class_in_a_scope_is_refused(write_rules: WriteRules) -> None:
    plan = PLAN.replace("[window]", '[scope]\nrisk_class = ["A"]\n[window]')
    items = ITEMS.replace('scope = { type = ["企业", "个体工商户"] }', 'scope = { risk_class = ["D"] }')
    found = everything(write_rules, items=items, plans={"2027-Q1": plan})
    assert any(r.startswith("rules/plans/2027-Q1.toml:12 [scope.risk_class]") and "只能用于分层" in r for r in found)
    assert any("[items[1]] 'SCJG-01'" in r and "SCJG-01 的 scope" in r for r in found), found
