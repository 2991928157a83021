"""Reading items.toml and plans: strict, every problem with file, line and key."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from dualrandom.core.model import ObjectFilter
from dualrandom.errors import NotFoundError, Problem
from dualrandom.rules import read_rules
from tests.rules.conftest import ITEMS, PLAN, WriteRules


def only_problem(write_rules: WriteRules, **files: object) -> Problem:
    problems = read_rules(write_rules(**files), "rules").problems
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


def plan_with(old: str, new: str) -> dict[str, str]:
    assert old in PLAN
    return {"2027-Q1": PLAN.replace(old, new)}


def test_the_valid_rules_read_without_problems(write_rules: WriteRules) -> None:
    rules = read_rules(write_rules(), "rules")
    assert rules.problems == ()
    assert rules.items_file == "rules/items.toml"
    assert rules.plan_files == ("rules/plans/2027-Q1.toml",)
    first = rules.items[0].value
    assert (first.code, first.ratio, first.max_per_year) == ("SCJG-01", Fraction(1, 20), 1)
    assert first.scope == ObjectFilter.of({"type": ["企业", "个体工商户"]})
    assert rules.items[1].value.ratio == Fraction(3, 100)
    plan = rules.plans[0].value
    assert plan.window_start == date(2027, 1, 4)
    assert [s.name for s in plan.strata] == ["AB", "CD"]
    assert plan.strata[1].ratio is None and plan.strata[1].max_count == 200
    assert plan.team.require[0].department == "SCJG"


def test_defaults_come_from_the_value_objects(write_rules: WriteRules) -> None:
    minimal = "\n".join(
        line for line in PLAN.split("[[stratum]]")[0].splitlines() if "schedule" not in line
    )
    plan = read_rules(write_rules(plans={"2027-Q1": minimal}), "rules").plans[0].value
    assert [s.name for s in plan.strata] == ["全部"]
    assert plan.schedule == "manual" and plan.team.size == 2
    assert plan.exclusions.statuses == ("吊销", "撤销", "注销", "迁出")


def test_a_float_ratio_is_refused_with_the_quoted_form(write_rules: WriteRules) -> None:
    items = ITEMS.replace('ratio = "0.05"', "ratio = 0.05")
    problem = only_problem(write_rules, items=items)
    assert (problem.file, problem.row, problem.column) == ("rules/items.toml", 8, "item[1].ratio")
    assert problem.value == "0.05"
    assert 'ratio = "0.05"' in problem.reason and "float" in problem.reason


def test_an_unknown_key_suggests_the_near_one(write_rules: WriteRules) -> None:
    problem = only_problem(write_rules, plans=plan_with("size = 2", "sise = 2"))
    assert (problem.row, problem.column) == (27, "team.sise")
    assert problem.reason == "unknown key 'sise'; did you mean 'size'?"


def test_a_missing_required_key_points_at_its_table(write_rules: WriteRules) -> None:
    items = ITEMS.replace('legal_basis = "《安全生产许可证条例》"\n', "")
    problem = only_problem(write_rules, items=items)
    assert (problem.row, problem.column) == (12, "item[2].legal_basis")
    assert problem.reason == "missing required key 'legal_basis'"


@pytest.mark.parametrize(
    ("old", "new", "line", "key", "reason"),
    [
        ("size = 2", "size = 1", 27, "team.size", "must be at least 2 (行政处罚法"),
        ("size = 2", 'size = "2"', 27, "team.size", "must be an integer, not a string"),
        ("year = 2027", "year = 2027.0", 3, "year", "must be an integer, not a float"),
        ('type = "不定向"', 'type = "随机"', 5, "type", "is not one of 定向, 不定向, 专项"),
        ('batch = "Q1"', 'batch = "Q5"', 4, "batch", "is not Q1-Q4, H1-H2 or Bn"),
        ('id = "2027-Q1"', 'id = "2027-Q2"', 1, "id", "must equal the file name"),
        ("start = 2027-01-04", 'start = "2027-01-04"', 12, "window.start", "without quotes"),
        ("start = 2027-01-04", "start = 2027-01-04T09:00:00", 12, "window.start", "date-time"),
        ("start = 2027-01-04", "start = 2026-12-28", 12, "window.start", "plan year 2027"),
        ("end = 2027-03-31", "end = 2027-01-01", 13, "window.end", "before the start"),
        ("min = 1", "min = 0\nmax = 0", 20, "stratum[1].max", "must be at least 1"),
        ("min = 1", "min = 5\nmax = 3", 20, "stratum[1].max", "is below min 5"),
        ('ratio = "0.01"', 'ratio = "1.5"', 18, "stratum[1].ratio", "at most 1"),
        ('["C", "D"]', '["B", "D"]', 23, "stratum[2].where", "overlaps stratum 'AB'"),
        ('name = "CD"', 'name = "AB"', 22, "stratum[2].name", "repeats the name"),
        ('["C", "D"]', '["E"]', 23, "stratum[2].where.risk_class[1]", "is not one of A, B"),
        ('["C", "D"]', "[]", 23, "stratum[2].where.risk_class", "at least one value"),
        ('"ZJ-02"]', '"SCJG-01"]', 8, "items[2]", "is listed twice"),
        ('["ZJ"]', '["SCJG"]', 7, "co_departments[1]", "initiating department too"),
        ('schedule = "quarterly"', 'schedule = "weekly"', 9, "schedule", "5-field cron"),
        ('"quarterly"', '"0 9 * * 1"', 9, "schedule", "names (mon"),
        ('"quarterly"', '"0 25 * * *"', 9, "schedule", "not a valid cron expression"),
        ('"quarterly"', '"0 9 30 2 *"', 9, "schedule", "never fires"),
        ('"SCJG", count = 1', '"SYJ", count = 1', 28, "team.require[1].department", "not one"),
        ("count = 1", "count = 3", 28, "team.require", "needs 3 officers"),
        (
            "[team]",
            '[team]\nconflict_rules = ["previous_team"]',
            27,
            "team.conflict_rules",
            "Art. 43",
        ),
        ("[team]", '[team]\ndistrict = "near"', 27, "team.district", "is not one of any, same"),
        ("[team]", "[team]\nleader = 1", 27, "team.leader", "must be true or false"),
        (
            "[team]",
            '[exclusions]\nstatuses = ["关闭"]\n[team]',
            27,
            "exclusions.statuses[1]",
            "存续",
        ),
        ("[team]", "[scope]\nindustry = ['5211']\n[team]", 27, "scope.industry[1]", "GB/T 4754"),
        ("[team]", "[scope]\nlist = ['abnormall']\n[team]", 27, "scope.list[1]", "'abnormal'?"),
        ("[team]", "[scope]\nstatus = '存续'\n[team]", 27, "scope.status", "an array of strings"),
    ],
)
def test_one_bad_plan_value(
    write_rules: WriteRules, old: str, new: str, line: int, key: str, reason: str
) -> None:
    problem = only_problem(write_rules, plans=plan_with(old, new))
    assert problem.file == "rules/plans/2027-Q1.toml"
    assert (problem.row, problem.column) == (line, key), problem
    assert reason in problem.reason


@pytest.mark.parametrize(
    ("old", "new", "key", "reason"),
    [
        ('class = "一般"', 'class = "普通"', "item[1].class", "is not one of 一般, 重点"),
        ('["现场检查"]', '["现场检察"]', "item[1].methods[1]", "did you mean '现场检查'?"),
        ('["现场检查"]', "[]", "item[1].methods", "at least one value"),
        ('code = "SCJG-01"', 'code = "SCJG 01"', "item[1].code", "is not 1-32 of A-Z"),
        ('code = "SCJG-01"', 'code = "ZJ-02"', "item[2].code", "repeats the item of line 1"),
        ('ratio = "0.05"', 'ratio = "0"', "item[1].ratio", "greater than 0"),
        ('ratio = "0.05"', 'ratio = "五"', "item[1].ratio", "is not a decimal"),
        ("max_per_year = 1", "max_per_year = 0", "item[1].max_per_year", "at least 1"),
        ('name = "建筑施工安全检查"', 'name = "  "', "item[2].name", "must not be empty"),
        (
            '{ type = ["企业", "个体工商户"] }',
            '{ typ = ["企业"] }',
            "item[1].scope.typ",
            "did you mean 'type'?",
        ),
    ],
)
def test_one_bad_item_value(
    write_rules: WriteRules, old: str, new: str, key: str, reason: str
) -> None:
    assert old in ITEMS
    problem = only_problem(write_rules, items=ITEMS.replace(old, new, 1))
    assert problem.column == key, problem
    assert reason in problem.reason


def test_every_problem_in_every_file_is_reported(write_rules: WriteRules) -> None:
    items = ITEMS.replace('ratio = "0.05"', "ratio = 0.05").replace('"重点"', '"关键"')
    bad_plan = PLAN.replace("size = 2", "size = 1").replace("min = 1", "min = -1")
    folder = write_rules(items=items, plans={"2027-Q1": bad_plan, "2027-Q2": "id = [\n"})
    problems = read_rules(folder, "rules").problems
    assert [(p.file, p.row, p.column) for p in problems] == [
        ("rules/items.toml", 8, "item[1].ratio"),
        ("rules/items.toml", 17, "item[2].class"),
        ("rules/plans/2027-Q1.toml", 19, "stratum[1].min"),
        ("rules/plans/2027-Q1.toml", 27, "team.size"),
        ("rules/plans/2027-Q2.toml", 2, ""),
    ]
    assert problems[-1].reason.startswith("TOML 语法错误：")
    assert problems[-1].reason_en.startswith("TOML syntax error: ")


def test_a_file_that_is_not_utf8(write_rules: WriteRules) -> None:
    folder = write_rules()
    (folder / "plans" / "2027-Q1.toml").write_bytes(PLAN.encode("gb18030"))
    problem = read_rules(folder, "rules").problems[0]
    assert (problem.row, problem.reason, problem.reason_en) == (
        2,
        "不是 UTF-8 文本；请将文件另存为 UTF-8",
        "is not UTF-8 text; save the file as UTF-8",
    )


def test_a_utf8_bom_is_accepted(write_rules: WriteRules) -> None:
    folder = write_rules()
    (folder / "items.toml").write_bytes(b"\xef\xbb\xbf" + ITEMS.encode())
    assert read_rules(folder, "rules").problems == ()


def test_a_missing_or_mistyped_table_is_one_problem(write_rules: WriteRules) -> None:
    misspelt = read_rules(write_rules(plans=plan_with("[window]\n", "[windows]\n")), "rules")
    assert [(p.row, p.column, p.reason) for p in misspelt.problems] == [
        (11, "windows", "unknown key 'windows'; did you mean 'window'?"),
        (1, "window", "missing required key 'window'"),
    ]
    problems = read_rules(write_rules(plans=plan_with("[window]\n", "window = 1\n[w]\n")), "rules")
    assert [(p.row, p.column, p.reason[:17]) for p in problems.problems] == [
        (12, "w", "unknown key 'w'; "),
        (11, "window", "must be a table, "),
    ]
    problem = only_problem(write_rules, plans={"2027-Q1": PLAN.split("[window]")[0]})
    assert (problem.row, problem.column, problem.reason) == (
        1,
        "window",
        "missing required key 'window'",
    )


def test_an_items_file_without_items(write_rules: WriteRules) -> None:
    problem = only_problem(write_rules, items="# nothing yet\n")
    assert (problem.column, problem.reason) == ("item", "lists no [[item]]")


def test_without_items_toml_and_plans(write_rules: WriteRules, tmp_path: object) -> None:
    problem = only_problem(write_rules, items=None, plans={})
    assert (problem.reason, problem.reason_en) == (
        "既没有 items.toml，也没有 plans/*.toml",
        "holds neither items.toml nor plans/*.toml",
    )
    assert read_rules(write_rules(items=None), "rules").items_file is None


def test_a_missing_rules_folder(tmp_path: object) -> None:
    from pathlib import Path

    with pytest.raises(NotFoundError, match="does not exist"):
        read_rules(Path(str(tmp_path)) / "nowhere")
