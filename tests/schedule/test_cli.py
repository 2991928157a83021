"""``scheduler`` and ``calendar`` commands, on a simulated clock."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import time_machine
from click.testing import CliRunner

from dualrandom.app import App
from dualrandom.cli._main import cli
from dualrandom.draws import SecretStore, prepare_draw, run_draw
from tests.conftest import REPO
from tests.schedule.conftest import Q1_DRAW, Q1_PREPARE
from tests.workdays.conftest import TEST_2027


def _invoke(
    config: Path, *args: str, at: datetime = Q1_PREPARE - timedelta(days=1)
) -> tuple[int, str]:
    with time_machine.travel(at, tick=False):
        result = CliRunner().invoke(cli, ["--config", str(config), *args])
    return result.exit_code, result.output


def test_plan_status_catch_up(sample_app: App, config_file: Path) -> None:
    code, out = _invoke(config_file, "scheduler", "plan", "2027", "--json")
    assert code == 0, out
    q1 = json.loads(out)[0]
    assert (q1["plan"], q1["schedule"]) == ("2027-Q1", "quarterly")
    assert (q1["draw"]["due"], q1["draw"]["provisional"]) == ("2027-01-04T09:30:00+08:00", True)
    assert q1["prepare"]["due"] == "2026-12-28T09:30:00+08:00"
    code, out = _invoke(config_file, "scheduler", "plan", "2027")
    assert "2026-12-28 09:30*" in out and "* provisional: the working days of 2027" in out
    assert _invoke(config_file, "scheduler", "catch-up")[1] == "没有到期的步骤。Nothing is due.\n"
    code, out = _invoke(config_file, "scheduler", "catch-up", at=Q1_DRAW + timedelta(hours=3))
    assert out.splitlines()[0].startswith("已运行 2027-Q1/prepare: ran (已承诺 ")
    assert "(committed " in out.splitlines()[0]  # English beside the Chinese
    assert "（迟）(late)" in out.splitlines()[0] and len(out.splitlines()) == 3
    code, out = _invoke(
        config_file, "scheduler", "status", "--json", at=Q1_DRAW + timedelta(hours=4)
    )
    steps = json.loads(out)
    assert len(steps) == 9 and {s["state"] for s in steps} == {"pending"}
    code, out = _invoke(
        config_file, "scheduler", "status", "--all", "--json", at=Q1_DRAW + timedelta(hours=4)
    )
    done = [s for s in json.loads(out) if s["state"] == "done"]
    assert len(done) == 3 and all(s["late"] for s in done)


def test_entropy_errors(sample_app: App, config_file: Path) -> None:
    code, out = _invoke(config_file, "scheduler", "entropy", "2027-Q1", "1 2 3")
    assert code == 1 and "has no scheduled draw waiting for entropy" in out


def test_calendar_show_and_import(app: App, config_file: Path, tmp_path: Path) -> None:
    code, out = _invoke(config_file, "calendar", "show", "2026")
    assert code == 0 and "2026: loaded from chinesecalendar" in out and "2026-01-04 (元旦)" in out
    assert "Working days: 248" in out
    code, out = _invoke(config_file, "calendar", "show", "2027", "--json")
    shown = json.loads(out)
    assert shown["provisional"] is True and shown["makeup_workdays"] == []
    holidays = {h["name"]: (h["from"], h["to"]) for h in shown["holidays"]}
    assert holidays["春节"] == ("2027-02-05", "2027-02-10")  # 除夕 to 初三, then 补假
    assert holidays["国庆节"] == ("2027-10-01", "2027-10-05")
    code, out = _invoke(config_file, "calendar", "show", "2027")
    assert "NOT LOADED — provisional" in out and "《全国年节及纪念日放假办法》推算" in out
    assert _invoke(config_file, "calendar", "import", str(REPO / "rules" / "calendar.toml"))[1] == (
        "没有变化。Nothing changed.\n重新计算了 0 个暂定期限。Recomputed 0 provisional deadline(s).\n"
    )
    path = tmp_path / "next.toml"
    path.write_text(TEST_2027, encoding="utf-8")
    code, out = _invoke(config_file, "calendar", "import", str(path))
    assert code == 0 and out.startswith("已载入 2027 年。Loaded 2027.")
    code, out = _invoke(config_file, "calendar", "show", "2027", "--json")
    assert json.loads(out)["provisional"] is False
    path.write_text(
        "[[year]]\nyear = 2028\n[[year.holiday]]\nname = 'x'\nstart = 2028-01-03\nend = 2028-01-01\n"
    )
    code, out = _invoke(config_file, "calendar", "import", str(path))
    # The problems table, as for every input file, then the error in Chinese and English.
    assert code == 1 and out.startswith("问题 Problems") and "next.toml" in out
    assert "早于开始日期" in out and "is before" in out  # the reason, Chinese first
    assert out.endswith(
        "错误：next.toml 中有 1 处问题，未写入任何数据\n"
        "Error: 1 problem(s) in next.toml; nothing was written\n"
    )


def test_plan_shows_a_batch_drawn_by_hand_as_done(sample_app: App, config_file: Path) -> None:
    secrets = SecretStore(sample_app.settings.var_dir / "secrets")
    with sample_app.transaction() as session:
        prepare_draw(session, "2027-Q1", secrets=secrets, now=Q1_PREPARE, entropy_source="typed", actor="tester")
        run_draw(session, "2027-Q1", "3 1 4 1 5", secrets=secrets, now=Q1_DRAW + timedelta(hours=1), actor="tester")
    at = Q1_DRAW + timedelta(hours=2)  # both steps are due; the scheduler has not run
    code, out = _invoke(config_file, "scheduler", "plan", "2027", "--json", at=at)
    assert code == 0, out
    q1, q2 = json.loads(out)[:2]
    assert (q1["prepare"]["state"], q1["prepare"]["note"]) == ("done", "已手工准备 (prepared by hand)")
    assert (q1["draw"]["state"], q1["draw"]["overdue"]) == ("done", False)
    assert q1["draw"]["note"] == "已手工抽取 (drawn by hand)" and q1["publish"]["state"] == "pending"
    assert q2["draw"]["state"] == "pending"
    _, out = _invoke(config_file, "scheduler", "plan", "2027", at=at)
    [row] = [line for line in out.splitlines() if "2027-Q1" in line]
    assert row.split("│")[-2].strip() == "已完成 done"
