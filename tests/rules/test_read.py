"""Reading items.toml and plans: strict, every problem with file, line and key."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from dualrandom.core.model import ObjectFilter
from dualrandom.errors import NotFoundError, Problem
from dualrandom.rules import read_rules
from dualrandom.rules.schema import PLAN_KEYS
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
    assert 'ratio = "0.05"' in problem.reason and "浮点数不得进入抽取" in problem.reason
    assert 'ratio = "0.05"' in problem.reason_en and "float" in problem.reason_en


def test_an_unknown_key_suggests_the_near_one(write_rules: WriteRules) -> None:
    problem = only_problem(write_rules, plans=plan_with("size = 2", "sise = 2"))
    assert (problem.row, problem.column) == (27, "team.sise")
    assert (problem.reason, problem.reason_en) == (
        "未知的键 'sise'；是否应为 'size'？",
        "unknown key 'sise'; did you mean 'size'?",
    )


def test_a_missing_required_key_points_at_its_table(write_rules: WriteRules) -> None:
    items = ITEMS.replace('legal_basis = "《安全生产许可证条例》"\n', "")
    problem = only_problem(write_rules, items=items)
    assert (problem.row, problem.column) == (12, "item[2].legal_basis")
    assert (problem.reason, problem.reason_en) == (
        "缺少必填的键 'legal_basis'",
        "missing required key 'legal_basis'",
    )


@pytest.mark.parametrize(
    ("old", "new", "line", "key", "reason"),  # reason: (Chinese, English) fragments
    [
        (
            "size = 2",
            "size = 1",
            27,
            "team.size",
            ("不能小于 2（《行政处罚法》", "must be at least 2 (行政处罚法"),
        ),
        (
            "size = 2",
            'size = "2"',
            27,
            "team.size",
            ("应为整数，而不是字符串", "must be an integer, not a string"),
        ),
        (
            "year = 2027",
            "year = 2027.0",
            3,
            "year",
            ("应为整数，而不是浮点数", "must be an integer, not a float"),
        ),
        (
            'type = "不定向"',
            'type = "随机"',
            5,
            "type",
            ("不是 定向、不定向、专项 之一", "is not one of 定向, 不定向, 专项"),
        ),
        (
            'batch = "Q1"',
            'batch = "Q5"',
            4,
            "batch",
            ("应为 Q1 至 Q4", "must be Q1-Q4, H1-H2 or B"),
        ),
        (
            'id = "2027-Q1"',
            'id = "2027-Q2"',
            1,
            "id",
            ("应与去掉 .toml 的文件名相同", "must equal the file name"),
        ),
        (
            "start = 2027-01-04",
            'start = "2027-01-04"',
            12,
            "window.start",
            ("应为不加引号的 TOML 日期", "without quotes"),
        ),
        (
            "start = 2027-01-04",
            "start = 2027-01-04T09:00:00",
            12,
            "window.start",
            ("而不是日期时间", "date-time"),
        ),
        (
            "start = 2027-01-04",
            "start = 2026-12-28",
            12,
            "window.start",
            ("不在计划年度 2027 年内", "plan year 2027"),
        ),
        (
            "end = 2027-03-31",
            "end = 2027-01-01",
            13,
            "window.end",
            ("早于时间窗口的开始日期", "before the start"),
        ),
        ("min = 1", "min = 0\nmax = 0", 20, "stratum[1].max", ("不能小于 1", "must be at least 1")),
        ("min = 1", "min = 5\nmax = 3", 20, "stratum[1].max", ("小于 min 5", "is below min 5")),
        ('ratio = "0.01"', 'ratio = "1.5"', 18, "stratum[1].ratio", ("不超过 1", "at most 1")),
        (
            '["C", "D"]',
            '["B", "D"]',
            23,
            "stratum[2].where",
            ("与分层 'AB'（第 15 行）重叠", "overlaps stratum 'AB' (line 15)"),
        ),
        ('name = "CD"', 'name = "AB"', 22, "stratum[2].name", ("重名", "repeats the name")),
        (
            '["C", "D"]',
            '["E"]',
            23,
            "stratum[2].where.risk_class[1]",
            ("不是 A、B", "is not one of A, B"),
        ),
        (
            '["C", "D"]',
            "[]",
            23,
            "stratum[2].where.risk_class",
            ("至少要列出一个值", "at least one value"),
        ),
        ('"ZJ-02"]', '"SCJG-01"]', 8, "items[2]", ("列出了两次", "is listed twice")),
        (
            '["ZJ"]',
            '["SCJG"]',
            7,
            "co_departments[1]",
            ("同时是发起部门", "initiating department too"),
        ),
        (
            'schedule = "quarterly"',
            'schedule = "weekly"',
            9,
            "schedule",
            ("5 段的 cron 表达式", "5-field cron"),
        ),
        ('"quarterly"', '"0 9 * * 1"', 9, "schedule", ("星期请写英文缩写", "names (mon")),
        (
            '"quarterly"',
            '"0 25 * * *"',
            9,
            "schedule",
            ("不是有效的 cron 表达式", "not a valid cron expression"),
        ),
        ('"quarterly"', '"0 9 30 2 *"', 9, "schedule", ("从不触发", "never fires")),
        (
            '"SCJG", count = 1',
            '"SYJ", count = 1',
            28,
            "team.require[1].department",
            ("不是本计划的部门", "not one"),
        ),
        ("count = 1", "count = 3", 28, "team.require", ("需要 3 名执法人员", "needs 3 officers")),
        (
            "[team]",
            '[team]\nconflict_rules = ["previous_team"]',
            27,
            "team.conflict_rules",
            ("第四十三条", "Art. 43"),
        ),
        (
            "[team]",
            '[team]\ndistrict = "near"',
            27,
            "team.district",
            ("不是 any、same 之一", "is not one of any, same"),
        ),
        (
            "[team]",
            "[team]\nleader = 1",
            27,
            "team.leader",
            ("应为 true 或 false", "must be true or false"),
        ),
        (
            "[team]",
            '[exclusions]\nstatuses = ["关闭"]\n[team]',
            27,
            "exclusions.statuses[1]",
            ("存续", "存续"),
        ),
        (
            "[team]",
            "[scope]\nindustry = ['5211']\n[team]",
            27,
            "scope.industry[1]",
            ("不是 GB/T 4754 行业代码的前缀", "GB/T 4754"),
        ),
        (
            "[team]",
            "[scope]\nlist = ['abnormall']\n[team]",
            27,
            "scope.list[1]",
            ("是否应为 'abnormal'？", "'abnormal'?"),
        ),
        (
            "[team]",
            "[scope]\nstatus = '存续'\n[team]",
            27,
            "scope.status",
            ("应为字符串数组", "an array of strings"),
        ),
    ],
)
def test_one_bad_plan_value(
    write_rules: WriteRules, old: str, new: str, line: int, key: str, reason: tuple[str, str]
) -> None:
    problem = only_problem(write_rules, plans=plan_with(old, new))
    assert problem.file == "rules/plans/2027-Q1.toml"
    assert (problem.row, problem.column) == (line, key), problem
    assert reason[0] in problem.reason and reason[1] in problem.reason_en, problem


@pytest.mark.parametrize(
    ("old", "new", "key", "reason"),  # reason: (Chinese, English) fragments
    [
        (
            'class = "一般"',
            'class = "普通"',
            "item[1].class",
            ("不是 一般、重点 之一", "is not one of 一般, 重点"),
        ),
        (
            '["现场检查"]',
            '["现场检察"]',
            "item[1].methods[1]",
            ("是否应为 '现场检查'？", "did you mean '现场检查'?"),
        ),
        ('["现场检查"]', "[]", "item[1].methods", ("至少要列出一个值", "at least one value")),
        (
            'code = "SCJG-01"',
            'code = "SCJG 01"',
            "item[1].code",
            ("只能由 1 到 32 个", "must be 1-32 of A-Z"),
        ),
        (
            'code = "SCJG-01"',
            'code = "ZJ-02"',
            "item[2].code",
            ("与第 1 行的事项重复", "repeats the item of line 1"),
        ),
        ('ratio = "0.05"', 'ratio = "0"', "item[1].ratio", ("大于 0", "greater than 0")),
        (
            'ratio = "0.05"',
            'ratio = "五"',
            "item[1].ratio",
            ("例如 0.05 或 5%", "is not a decimal"),
        ),
        (
            "max_per_year = 1",
            "max_per_year = 0",
            "item[1].max_per_year",
            ("不能小于 1", "at least 1"),
        ),
        (
            'name = "建筑施工安全检查"',
            'name = "  "',
            "item[2].name",
            ("不能为空", "must not be empty"),
        ),
        (
            '{ type = ["企业", "个体工商户"] }',
            '{ typ = ["企业"] }',
            "item[1].scope.typ",
            ("是否应为 'type'？", "did you mean 'type'?"),
        ),
    ],
)
def test_one_bad_item_value(
    write_rules: WriteRules, old: str, new: str, key: str, reason: tuple[str, str]
) -> None:
    assert old in ITEMS
    problem = only_problem(write_rules, items=ITEMS.replace(old, new, 1))
    assert problem.column == key, problem
    assert reason[0] in problem.reason and reason[1] in problem.reason_en, problem


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
    assert [(p.row, p.column, p.reason, p.reason_en) for p in misspelt.problems] == [
        (
            11,
            "windows",
            "未知的键 'windows'；是否应为 'window'？",
            "unknown key 'windows'; did you mean 'window'?",
        ),
        (1, "window", "缺少必填的键 'window'", "missing required key 'window'"),
    ]
    problems = read_rules(write_rules(plans=plan_with("[window]\n", "window = 1\n[w]\n")), "rules")
    assert [(p.row, p.column, p.reason, p.reason_en) for p in problems.problems] == [
        (
            12,
            "w",
            "未知的键 'w'；可用的值：" + ", ".join(PLAN_KEYS),
            "unknown key 'w'; known: " + ", ".join(PLAN_KEYS),
        ),
        (11, "window", "应为表，而不是整数", "must be a table, not an integer"),
    ]
    problem = only_problem(write_rules, plans={"2027-Q1": PLAN.split("[window]")[0]})
    assert (problem.row, problem.column, problem.reason, problem.reason_en) == (
        1,
        "window",
        "缺少必填的键 'window'",
        "missing required key 'window'",
    )


def test_an_items_file_without_items(write_rules: WriteRules) -> None:
    problem = only_problem(write_rules, items="# nothing yet\n")
    assert (problem.column, problem.reason, problem.reason_en) == (
        "item",
        "没有任何 [[item]]",
        "lists no [[item]]",
    )


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
