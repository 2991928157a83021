"""The registry commands: output, exit codes, and nothing written on bad input."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from dualrandom.app import App
from dualrandom.cli import _registry
from dualrandom.cli._main import cli
from dualrandom.tables import AuditEntryRow, ObjectRow, RegistryVersionRow
from tests.registry.conftest import DEPARTMENTS, OBJECT_HEADER, object_row, objects, write_csv

Invoke = Callable[..., Result]


@pytest.fixture
def run(app: App, config_file: Path) -> Invoke:
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(
            cli, ["--config", str(config_file), *args], env={"DUALRANDOM_DATABASE_URL": None}
        )

    return invoke


def _counts(app: App) -> list[int]:
    with app.transaction() as session:
        return [
            int(session.scalar(select(func.count()).select_from(m)) or 0)
            for m in (RegistryVersionRow, ObjectRow, AuditEntryRow)
        ]


def _bad_objects(tmp_path: Path) -> Path:
    rows = [
        OBJECT_HEADER,
        object_row(1),
        object_row(2, status="营业"),
        object_row(3, established="2027-02-30"),
    ]
    return write_csv(tmp_path / "objects.csv", rows)


def test_import_prints_a_summary(run: Invoke, tmp_path: Path) -> None:
    result = run(
        "registry", "import", "departments", str(write_csv(tmp_path / "d.csv", DEPARTMENTS))
    )
    assert result.exit_code == 0, result.output
    assert "Imported departments version 1 (full) from d.csv: 3 rows; 3 added" in result.stdout


def test_import_json(run: Invoke, tmp_path: Path) -> None:
    run("registry", "import", "departments", str(write_csv(tmp_path / "d.csv", DEPARTMENTS)))
    result = run(
        "registry", "import", "objects", str(write_csv(tmp_path / "o.csv", objects(4))), "--json"
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["ok"] is True and (summary["number"], summary["added"]) == (1, 4)
    assert len(summary["digest"]) == 64 and summary["encoding"] == "utf-8"


def test_bad_file_exits_1_with_one_error_line_and_writes_nothing(
    run: Invoke, app: App, tmp_path: Path
) -> None:
    run("registry", "import", "departments", str(write_csv(tmp_path / "d.csv", DEPARTMENTS)))
    before = _counts(app)
    result = run("registry", "import", "objects", str(_bad_objects(tmp_path)))
    assert result.exit_code == 1
    assert (
        result.stderr.splitlines()[-1] == "Error: 2 problem(s) in objects.csv; nothing was written"
    )
    assert "Traceback" not in result.output and "营业" in result.stderr
    assert _counts(app) == before


def test_errors_csv_holds_every_problem_for_excel(run: Invoke, tmp_path: Path) -> None:
    run("registry", "import", "departments", str(write_csv(tmp_path / "d.csv", DEPARTMENTS)))
    out = tmp_path / "problems.csv"
    result = run(
        "registry", "import", "objects", str(_bad_objects(tmp_path)), "--errors-csv", str(out)
    )
    assert result.exit_code == 1
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(data.decode("utf-8-sig").splitlines()))
    assert rows[0] == ["文件", "行", "列", "值", "原因", "原因（英文）"]
    assert [row[:4] for row in rows[1:]] == [
        ["objects.csv", "3", "status", "营业"],
        ["objects.csv", "4", "established", "2027-02-30"],
    ]
    # The reason in Chinese, then the same in English.
    assert rows[1][4].startswith("不是以下值之一：") and rows[1][5].startswith("is not one of:")
    assert rows[2][4:] == ["不是实际存在的日期", "is not a real calendar date"]


def test_errors_csv_defuses_formulas(tmp_path: Path) -> None:
    from dualrandom.errors import Problem
    from dualrandom.sheets import write_problems_csv

    out = tmp_path / "p.csv"
    write_problems_csv([Problem("f.csv", 2, "name", "=HYPERLINK(1)", "x")], out)
    assert "'=HYPERLINK(1)" in out.read_text(encoding="utf-8-sig")


def test_json_failure_lists_problems(run: Invoke, tmp_path: Path) -> None:
    run("registry", "import", "departments", str(write_csv(tmp_path / "d.csv", DEPARTMENTS)))
    result = run("registry", "import", "objects", str(_bad_objects(tmp_path)), "--json")
    assert result.exit_code == 1
    body = json.loads(result.stdout)
    assert body["ok"] is False and [p["row"] for p in body["problems"]] == [3, 4]
    assert [(p["reason"], p["reason_en"]) for p in body["problems"]][1] == (
        "不是实际存在的日期",
        "is not a real calendar date",
    )


def test_missing_file(run: Invoke, tmp_path: Path) -> None:
    result = run("registry", "import", "objects", str(tmp_path / "nope.csv"))
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"错误：文件 {tmp_path / 'nope.csv'} 不存在",
        f"Error: file '{tmp_path / 'nope.csv'}' does not exist",
    ]


def test_versions_and_show(run: Invoke, tmp_path: Path) -> None:
    run("registry", "import", "departments", str(write_csv(tmp_path / "d.csv", DEPARTMENTS)))
    run("registry", "import", "objects", str(write_csv(tmp_path / "o.csv", objects(6))))
    versions = json.loads(run("registry", "versions", "--json").stdout)
    assert [(v["kind"], v["number"]) for v in versions] == [("departments", 1), ("objects", 1)]
    assert versions[0]["created_at"].endswith("+00:00")
    shown = run("registry", "show", "objects", "--json")
    body = json.loads(shown.stdout)
    assert body["version"] == 1 and body["counts"]["district"] == {"兴隆台区": 3, "大洼区": 3}
    assert body["counts"]["rows"] == {"current": 6, "gone": 0}
    assert "张三" not in shown.stdout and "risk" not in shown.stdout  # no personal or internal data
    table = run("registry", "show", "objects")
    assert table.exit_code == 0 and "兴隆台区" in table.stdout
    # grouped by field, each heading Chinese first with the field beside it
    assert "按片区统计 by district" in table.stdout and "片区 district" in table.stdout
    assert "按行数统计 by rows" in table.stdout and "现有 current" in table.stdout
    listed = run("registry", "versions")
    assert listed.exit_code == 0 and "…" not in listed.stdout  # wrapped, never cut
    assert "6/0/0" in listed.stdout and "全量" in listed.stdout


def test_items_import(run: Invoke, tmp_path: Path) -> None:
    run("registry", "import", "departments", str(write_csv(tmp_path / "d.csv", DEPARTMENTS)))
    rows = [["code", "name", "legal_basis", "department", "class", "methods", "ratio"],
            ["SCJG-01", "检查", "依据", "SCJG", "一般", "现场检查", "5%"]]  # fmt: skip
    result = run("items", "import", str(write_csv(tmp_path / "items.csv", rows)))
    assert result.exit_code == 0, result.output
    assert "Imported 1 items from items.csv: 1 added" in result.stdout
    bad = run(
        "items", "import", str(write_csv(tmp_path / "bad.csv", [rows[0], [*rows[1][:-1], "0"]]))
    )
    assert bad.exit_code == 1 and bad.stderr.splitlines()[-1].startswith("Error: 1 problem(s)")


def test_progress_bar_waits_before_showing() -> None:
    bar = _registry._ProgressBar(delay=3600)
    bar("checking", 10, 100)
    assert bar.bar is None
    shown = _registry._ProgressBar(delay=0)
    shown("checking", 10, 100)
    shown("saving", 0, 0)
    assert shown.bar is not None
    shown.close()


def test_show_every_kind(run: Invoke, tmp_path: Path) -> None:
    assert "has not been imported yet" in run("registry", "show", "inspectors").stdout
    run("registry", "import", "departments", str(write_csv(tmp_path / "d.csv", DEPARTMENTS)))
    body = json.loads(run("registry", "show", "departments", "--json").stdout)
    assert body["counts"] == {"level": {"市": 3}, "rows": {"current": 3}}
    result = run("registry", "versions", "departments", "--json")
    assert [v["kind"] for v in json.loads(result.stdout)] == ["departments"]
