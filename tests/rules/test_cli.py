"""``dualrandom rules check|load`` and ``plan list|show`` through click's runner."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from dualrandom.app import App
from dualrandom.cli import _main
from tests.rules.conftest import ITEMS, PLAN, WriteRules, add_departments

Run = Callable[..., Result]


@pytest.fixture
def run(app: App, config_file: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    """Run the CLI in the config's folder, so problems name ``rules/…``."""
    monkeypatch.chdir(config_file.parent)

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(_main.cli, ["--config", str(config_file), *args])

    return invoke


@pytest.fixture
def departments(app: App) -> None:
    with app.transaction() as session:
        add_departments(session)


@pytest.mark.usefixtures("departments")
def test_a_bad_plan_is_an_error_naming_file_line_and_key(run: Run, write_rules: WriteRules) -> None:
    write_rules(plans={"2027-Q1": PLAN.replace("size = 2", "size = 1")})
    result = run("rules", "check")
    assert result.exit_code == 1
    assert result.stdout == ""
    # The problems table, as for every input file, then the error in Chinese and English.
    assert result.stderr.startswith("问题 Problems")
    assert "rules/plans/2027-Q1.toml" in result.stderr and "team.size" in result.stderr
    assert result.stderr.endswith(
        "错误：rules/plans/2027-Q1.toml 中有 1 处问题，未写入任何数据\n"
        "Error: 1 problem(s) in rules/plans/2027-Q1.toml; nothing was written\n"
    )
    problems = json.loads(run("rules", "check", "--json").stdout)["problems"]
    assert [
        (p["file"], p["row"], p["column"], p["value"], p["reason"], p["reason_en"])
        for p in problems
    ] == [
        (
            "rules/plans/2027-Q1.toml",
            27,
            "team.size",
            "1",
            "不能小于 2（《行政处罚法》第四十二条：检查须有至少 2 名持证执法人员）",
            "must be at least 2 "
            "(行政处罚法 Art. 42: an inspection needs at least 2 certified officers)",
        )
    ]


@pytest.mark.usefixtures("departments")
def test_check_json_lists_the_problems(run: Run, write_rules: WriteRules) -> None:
    write_rules(items=ITEMS.replace('ratio = "3%"', "ratio = 0.03"))
    result = run("rules", "check", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {
        "ok": False,
        "problems": [
            {
                "file": "rules/items.toml",
                "row": 19,
                "column": "item[2].ratio",
                "value": "0.03",
                "reason": '应为加引号的小数，例如 ratio = "0.03"：TOML 数字是二进制浮点数，'
                "浮点数不得进入抽取",
                "reason_en": 'must be a quoted decimal, e.g. ratio = "0.03": a TOML number is '
                "binary floating point, and floats never enter a draw",
            }
        ],
    }
    assert result.stderr.endswith(
        "错误：rules/items.toml 中有 1 处问题，未写入任何数据\n"
        "Error: 1 problem(s) in rules/items.toml; nothing was written\n"
    )


@pytest.mark.usefixtures("departments")
def test_valid_rules_check_load_list_and_show(run: Run, write_rules: WriteRules) -> None:
    write_rules()
    check = run("rules", "check")
    assert check.exit_code == 0, check.output
    assert "Items file: rules/items.toml (2 items)" in check.stdout
    assert "2027-Q1" in check.stdout and "The working rules are valid." in check.stdout
    summary = json.loads(run("rules", "check", "--json").stdout)
    assert summary["items"] == ["SCJG-01", "ZJ-02"] and summary["plans"][0]["strata"] == [
        "AB",
        "CD",
    ]

    load = run("rules", "load")
    assert load.exit_code == 0, load.output
    assert load.stdout == (
        "检查事项：新增 2，修改 0，未变 0。Items: 2 added, 0 changed, 0 unchanged.\n"
        "计划：新增 1，修改 0，未变 0。Plans: 1 added, 0 changed, 0 unchanged.\n"
    )
    assert "Plans: 0 added, 0 changed, 1 unchanged." in run("rules", "load").stdout

    listed = json.loads(run("plan", "list", "2027", "--json").stdout)
    assert [p["id"] for p in listed] == ["2027-Q1"] and len(listed[0]["digest"]) == 64
    assert "No plans loaded for 2026" in run("plan", "list", "2026").stdout

    shown = run("plan", "show", "2027-Q1")
    assert shown.exit_code == 0, shown.output
    for text in (
        "计划 Plan 2027-Q1",
        "SCJG 市场监督管理局",
        "ZJ 住房和城乡建设局",
        "risk_class = A, B",
        "AB *",
        # labels a clerk reads: Chinese first, English beside
        "发起部门 Department:",
        "检查组人数 Team size:",
        "SCJG 至少 1 人 (1 from SCJG)",
        "分层 Strata",
        "检查事项 Items",
        listed[0]["digest"],
    ):
        assert text in shown.stdout
    detail = json.loads(run("plan", "show", "2027-Q1", "--json").stdout)
    assert detail["plan"]["strata"][0]["ratio"] == "1/100"
    assert [i["code"] for i in detail["items"]] == ["SCJG-01", "ZJ-02"]


@pytest.mark.usefixtures("departments")
def test_load_writes_nothing_when_any_file_is_bad(run: Run, write_rules: WriteRules) -> None:
    write_rules(plans={"2027-Q1": PLAN, "2027-Q2": PLAN.replace('"2027-Q1"', '"2027-Q3"')})
    result = run("rules", "load")
    assert result.exit_code == 1
    assert result.stderr.endswith(
        "错误：rules/plans/2027-Q2.toml 中有 1 处问题，未写入任何数据\n"
        "Error: 1 problem(s) in rules/plans/2027-Q2.toml; nothing was written\n"
    )
    problems = json.loads(run("rules", "check", "--json").stdout)["problems"]
    assert [(p["row"], p["column"], p["value"], p["reason"], p["reason_en"]) for p in problems] == [
        (
            1,
            "id",
            "2027-Q3",
            "应与去掉 .toml 的文件名相同（'2027-Q2'）",
            "must equal the file name without .toml ('2027-Q2')",
        )
    ]
    assert "尚未载入计划" in run("plan", "list").stdout


def test_unknown_plan_and_missing_departments(run: Run, write_rules: WriteRules) -> None:
    result = run("plan", "show", "2027-Q9")
    assert (result.exit_code, result.stderr) == (
        1,
        "错误：没有计划 '2027-Q9'：尚未载入任何计划；请运行 dualrandom rules load\n"
        "Error: no plan '2027-Q9': no plans are loaded; run 'dualrandom rules load'\n",
    )
    write_rules()
    result = run("rules", "check", "--json")
    assert result.exit_code == 1
    problems = json.loads(result.stdout)["problems"]
    assert [(p["file"], p["column"], p["reason"], p["reason_en"]) for p in problems] == [
        (
            "database",
            "departments",
            "数据库中还没有任何部门；请先运行 dualrandom registry import departments FILE",
            "the database has no departments; run 'dualrandom registry "
            "import departments FILE' first",
        )
    ]
