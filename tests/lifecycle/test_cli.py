"""``results`` and ``tasks`` as a regulator types them, on a simulated date."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import time_machine
from click.testing import CliRunner, Result
from sqlalchemy import select

from dualrandom.app import App
from dualrandom.cli._main import cli
from dualrandom.tables import DrawMemberRow
from tests.conftest import REPO
from tests.lifecycle.conftest import LATER

# Three working days after LATER: 5–10 February 2027 are the provisional 春节 holiday.
THURSDAY = datetime(2027, 2, 4, 2, 0, tzinfo=UTC)

def _result(config: Path, *args: str, at: datetime = LATER) -> Result:
    with time_machine.travel(at, tick=False):
        return CliRunner().invoke(cli, ["--config", str(config), *args])


def _invoke(config: Path, *args: str, at: datetime = LATER) -> tuple[int, str]:
    result = _result(config, *args, at=at)
    return result.exit_code, result.output


def test_import_then_review_and_list(
    drawn: App, objects: list[str], config_file: Path, results_csv: Callable[..., Path]
) -> None:
    path = results_csv([("2027-Q1", objects[0], "2027-01-08", "未发现问题", "无需后续处置")])
    code, out = _invoke(config_file, "results", "import", str(path))
    assert code == 0, out
    assert "Entered 1 results" in out and "1 deadline(s) provisional" in out
    code, out = _invoke(
        config_file,
        "results",
        "set",
        "2027-Q1",
        "#2",
        "--result",
        "注销",
        "--follow-up",
        "无需后续处置",
        "--checked-on",
        "2027-01-15",
    )
    assert code == 0 and out.startswith(
        "2027-Q1#1/2：注销 / 无需后续处置；最迟公示日期 2027-02-18（暂定 provisional）"  # after 春节
    )
    code, out = _invoke(config_file, "tasks", "review", "2027-Q1")
    assert (code, out) == (0, "计划 2027-Q1 的 2 项任务已变为结果已审核。2 task(s) of 2027-Q1 now reviewed.\n")
    code, out = _invoke(config_file, "tasks", "list", "2027-Q1", "--json")
    listed = json.loads(out)
    assert [t["state"] for t in listed[:3]] == ["reviewed", "reviewed", "drawn"]
    assert listed[0]["deadline"] == "2027-02-11" and listed[0]["deadline_provisional"] is True


def test_bad_file_lists_every_problem_and_writes_the_errors_csv(
    drawn: App,
    objects: list[str],
    config_file: Path,
    results_csv: Callable[..., Path],
    tmp_path: Path,
) -> None:
    path = results_csv(
        [
            ("2027-Q1", objects[0], "2027-01-08", "未发现问题", "其他"),
            ("2027-Q1", "nobody", "2027-01-08", "未发现问题", "无需后续处置"),
        ]
    )
    errors = tmp_path / "errors.csv"
    code, out = _invoke(config_file, "results", "import", str(path), "--errors-csv", str(errors))
    assert code == 1
    assert "Error: 2 problem(s) in results-0.csv; nothing was written" in out
    with errors.open(encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["文件", "行", "列", "值", "原因", "原因（英文）"]
    assert [r[1] for r in rows[1:]] == ["2", "3"]
    assert rows[1][4:] == [
        "检查结果“未发现问题”的后续处置应为“无需后续处置”",
        "the result 未发现问题 needs the follow-up 无需后续处置",
    ]
    assert "错误：results-0.csv 中有 2 处问题，未写入任何数据" in out


def test_results_import_json_lists_problems_in_both_languages(
    drawn: App, objects: list[str], config_file: Path, results_csv: Callable[..., Path]
) -> None:
    bad = results_csv([("2027-Q1", objects[0], "2027-01-03", "未发现问题", "无需后续处置")])
    code, out = _invoke(config_file, "results", "import", str(bad), "--json")
    assert code == 1
    body = json.loads(out[: out.index("\n}\n") + 2])
    [problem] = body["problems"]
    assert body["ok"] is False and (problem["row"], problem["value"]) == (2, "2027-01-03")
    assert problem["reason"].startswith("早于计划 2027-Q1 检查时段的开始日 2027-01-04")
    assert problem["reason_en"].startswith("is before the check window of 2027-Q1 opens")
    good = results_csv([("2027-Q1", objects[0], "2027-01-04", "未发现问题", "无需后续处置")])
    code, out = _invoke(config_file, "results", "import", str(good), "--json")
    assert code == 0, out
    summary = json.loads(out)
    assert summary["ok"] is True and summary["entered"] == [
        {"task": "2027-Q1#1/1", "deadline": "2027-02-01", "provisional": True}
    ]


def test_state_errors_are_one_line(drawn: App, objects: list[str], config_file: Path) -> None:
    code, out = _invoke(config_file, "tasks", "review", "2027-Q1", objects[0])
    assert code == 1
    assert out == (
        f"错误：任务 2027-Q1#1/1（{objects[0]}）不能变为结果已审核：任务已抽取（drawn），只能变为："
        "已告知（notified）、检查中（in_inspection）、结果已录入（result_entered）、"
        "已替补（substituted）、已取消（cancelled）\n"
        f"Error: task 2027-Q1#1/1 ({objects[0]}) cannot become reviewed: it is drawn; from drawn "
        "it can become notified, in_inspection, result_entered, substituted, cancelled\n"
    )
    code, out = _invoke(config_file, "tasks", "list", "2027-Q4")
    assert code == 1 and out.startswith("错误：计划 2027-Q4 尚未抽取，没有检查任务\n")
    assert "Error: plan '2027-Q4' has not been drawn" in out


def test_notify_start_cancel_substitute(drawn: App, objects: list[str], config_file: Path) -> None:
    assert (
        _invoke(config_file, "tasks", "notify", "2027-Q1")[1]
        == f"计划 2027-Q1 的 {len(objects)} 项任务已变为已告知。"
        f"{len(objects)} task(s) of 2027-Q1 now notified.\n"
    )
    assert _invoke(config_file, "tasks", "start", "2027-Q1", "#1")[0] == 0
    code, out = _invoke(config_file, "tasks", "cancel", "2027-Q1", "#2", "--reason", "企业已迁出")
    assert code == 0 and "cancelled: 企业已迁出" in out
    code, out = _invoke(config_file, "tasks", "substitute", "2027-Q1", "#3", "--reason", "注销")
    assert code == 0 and f"New visit #{len(objects) + 1}:" in out and f"{objects[2]} →" in out


def test_overdue(
    drawn: App, objects: list[str], config_file: Path, results_csv: Callable[..., Path]
) -> None:
    # Checked on the window's first day, due 1 February; asked on Thursday 4 February.
    path = results_csv([("2027-Q1", objects[0], "2027-01-04", "未发现问题", "无需后续处置")])
    assert _invoke(config_file, "results", "import", str(path))[0] == 0
    code, out = _invoke(config_file, "tasks", "overdue", "--json", at=THURSDAY)
    [row] = json.loads(out)
    assert (row["level"], row["deadline"], row["provisional"], row["department"]) == (
        "red",
        "2027-02-01",
        True,
        "SCJG",
    )
    code, out = _invoke(config_file, "tasks", "overdue", at=THURSDAY)
    assert code == 0 and "SCJG：1 项任务 (1 task(s))" in out and "3 past" in out
    assert "…" not in out  # the business's id and name wrap, never cut short
    assert "1 past the deadline (red), 0 with at most 5 working days left (yellow)." in out


def _names(name: str, key: str) -> dict[str, str]:
    with (REPO / "registries" / name).open(encoding="utf-8-sig", newline="") as f:
        return {row[key]: row["name"] for row in csv.DictReader(f)}


def test_list_names_the_business_and_team_of_every_task(
    drawn: App, objects: list[str], config_file: Path
) -> None:
    assert _invoke(config_file, "tasks", "cancel", "2027-Q1", "#2", "--reason", "企业已迁出")[0] == 0
    businesses, officers = _names("objects.csv", "id"), _names("inspectors.csv", "cert_no")
    with drawn.transaction() as session:
        leaders = {
            m.visit: officers[m.cert_no]
            for m in session.scalars(select(DrawMemberRow).where(DrawMemberRow.role == "leader"))
        }

    result = _result(config_file, "tasks", "list", "2027-Q1", "--csv")
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes.startswith(b"\xef\xbb\xbf")
    header, *rows = csv.reader(io.StringIO(result.stdout_bytes.decode("utf-8-sig")))
    assert header == [
        "序号",
        "对象编号",
        "对象名称",
        "检查事项",
        "检查部门",
        "检查组",
        "状态",
        "检查完成日期",
        "检查结果",
        "后续处置",
        "公示期限",
        "备注",
    ]
    assert [row[1] for row in rows] == objects
    assert all(row[2] == businesses[row[1]] for row in rows)
    assert rows[0][5].startswith(f"{leaders[1]}（组长，")
    assert (rows[0][6], rows[1][6], rows[1][11]) == ("已抽取", "已取消", "企业已迁出")

    listed = json.loads(_invoke(config_file, "tasks", "list", "2027-Q1", "--json")[1])
    assert listed[0]["name"] == businesses[objects[0]]
    assert listed[0]["team"][0]["name"] == leaders[1]
    assert listed[0]["team"][0]["role_label"] == "组长"
    assert "cert_no" not in json.dumps(listed)

    code, out = _invoke(config_file, "tasks", "list", "2027-Q1")
    assert code == 0 and "计划 2027-Q1 第 1 次抽取" in out and "检查组" in out
