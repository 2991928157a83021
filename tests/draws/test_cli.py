"""The draw commands: what a regulator types and sees, errors included."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from click.testing import CliRunner, Result
from sqlalchemy import select

from dualrandom.app import App
from dualrandom.beacon import DEMO_CHAIN, round_time
from dualrandom.cli import _draw
from dualrandom.cli._main import cli
from dualrandom.draws import get_draw
from dualrandom.rules import load_items
from dualrandom.tables import DrawMemberRow, DrawVisitRow
from tests.conftest import REPO
from tests.drawing import demo_round, pin_of


def _result(config: Path, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), *args], input=input)


def _invoke(config: Path, *args: str, input: str | None = None) -> tuple[int, str]:
    result = _result(config, *args, input=input)
    return result.exit_code, result.output


def test_prepare_run_show_export_verify_dr1(dr1_app: App, config_file: Path, tmp_path: Path) -> None:
    code, out = _invoke(config_file, "draw", "prepare", "2027-Q1")
    assert code == 0, out
    assert "Commitment" in out and "操作员密钥保存在" in out
    code, out = _invoke(config_file, "draw", "run", "2027-Q1", input="6 6 1 2 3 4\ny\n")
    assert code == 0, out
    assert "已抽取 Drew 2027-Q1 第 1 次" in out
    code, out = _invoke(config_file, "draw", "show", "2027-Q1", "--json")
    shown = json.loads(out)
    assert (shown["state"], shown["entropy"]) == ("drawn", "6 6 1 2 3 4")
    assert shown["visits"] and "cert_no" not in out
    code, out = _invoke(
        config_file, "draw", "export", "2027-Q1", str(tmp_path / "b"), "--tier", "auditor"
    )
    assert code == 0, out
    code, out = _invoke(config_file, "verify", str(tmp_path / "b"))
    assert code == 0 and out.rstrip().endswith("MATCH")


def test_errors_print_one_error_line_and_exit_1(sample_app: App, config_file: Path) -> None:
    code, out = _invoke(config_file, "draw", "run", "2027-Q1", "--entropy", "1")
    assert code == 1
    assert out == (
        "错误：计划 2027-Q1 没有抽取；请先运行 dualrandom draw prepare 2027-Q1\n"
        "Error: plan 2027-Q1 has no draw; run 'dualrandom draw prepare 2027-Q1' first\n"
    )
    code, out = _invoke(config_file, "draw", "prepare", "2099-Q9")
    assert code == 1 and out.startswith("错误：没有计划 '2099-Q9'") and "\nError: " in out
    code, out = _invoke(config_file, "draw", "prepare", "2027-Q1", "--supersede")
    assert code == 2 and "--supersede and --reason TEXT go together" in out


def test_draw_on_a_database_without_schema_says_to_init(config_file: Path) -> None:
    code, out = _invoke(config_file, "draw", "show", "2027-Q1")
    assert code == 1 and "run 'dualrandom init' first" in out


@pytest.mark.slow  # the whole demo, about 14 s: CI only
def test_demo_runs_from_nothing(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[paths]\nregistries = "{(REPO / "registries").as_posix()}"\nrules = "{(REPO / "rules").as_posix()}"\n',
        encoding="utf-8",
    )
    code, out = _invoke(config, "demo")
    assert code == 0, out
    assert "演示链（非 League of Entropy）" in out and "(signature verified)" in out
    assert (tmp_path / "var" / "demo" / "dualrandom.sqlite3").exists()


def _state(app: App) -> tuple[str, str | None]:
    with app.transaction() as session:
        row = get_draw(session, "2027-Q1")
        return row.state, row.entropy


def test_run_shows_the_entropy_and_draws_only_once_it_is_confirmed(
    dr1_app: App, config_file: Path
) -> None:
    assert _invoke(config_file, "draw", "prepare", "2027-Q1")[0] == 0
    code, out = _invoke(
        config_file, "draw", "run", "2027-Q1", "--entropy", " 6 6 1 2 3 4 ", input="n\n"
    )
    assert code == 1
    assert "公开随机数" in out and "6 ␣ 6 ␣ 1 ␣ 2 ␣ 3 ␣ 4" in out
    assert "共 11 个字符 (11 characters)，␣ 为空格" in out
    assert "错误：公开随机数未确认，没有抽取" in out
    assert _state(dr1_app) == ("prepared", None)

    code, out = _invoke(config_file, "draw", "run", "2027-Q1", input="6 6 1 2 3 4\ny\n")
    assert code == 0, out
    assert out.index("6 ␣ 6 ␣ 1") < out.index("核对无误") < out.index("已抽取 Drew 2027-Q1 第 1 次")
    assert _state(dr1_app) == ("drawn", "6 6 1 2 3 4")


def test_run_with_yes_draws_without_asking(dr1_app: App, config_file: Path) -> None:
    assert _invoke(config_file, "draw", "prepare", "2027-Q1")[0] == 0
    code, out = _invoke(config_file, "draw", "run", "2027-Q1", "--entropy", "31415", "--yes")
    assert code == 0, out
    assert "3 1 4 1 5" in out and "核对无误" not in out
    assert _state(dr1_app) == ("drawn", "31415")


def test_run_refuses_before_asking_for_the_entropy(sample_app: App, config_file: Path) -> None:
    code, out = _invoke(config_file, "draw", "run", "2027-Q1", input="6 6 1 2 3 4\ny\n")
    assert code == 1
    assert "Public entropy" not in out and "has no draw" in out


def _registry(name: str, key: str) -> dict[str, str]:
    with (REPO / "registries" / name).open(encoding="utf-8-sig", newline="") as f:
        return {row[key]: row["name"] for row in csv.DictReader(f)}


# The team roles of docs/SPEC.md §9.1 as a clerk reads them.
ROLES = {"leader": "组长", "member": "组员"}


def _role(role: str) -> str:
    return ROLES.get(role) or role.removeprefix("specialist:") + "专业"


def test_show_names_each_visits_business_items_and_team(
    dr1_app: App, config_file: Path
) -> None:
    assert _invoke(config_file, "draw", "prepare", "2027-Q1")[0] == 0
    assert _invoke(config_file, "draw", "run", "2027-Q1", "--entropy", "1", "--yes")[0] == 0
    businesses = _registry("objects.csv", "id")
    officers = _registry("inspectors.csv", "cert_no")
    with dr1_app.transaction() as session:
        draw_id = get_draw(session, "2027-Q1").id
        members = session.scalars(
            select(DrawMemberRow)
            .where(DrawMemberRow.draw_id == draw_id)
            .order_by(DrawMemberRow.visit, DrawMemberRow.slot)
        ).all()
        visits = {
            v.number: v.items.split(";")
            for v in session.scalars(select(DrawVisitRow).where(DrawVisitRow.draw_id == draw_id))
        }
        item_names = {code: item.name for code, item in load_items(session).items()}
    teams: dict[int, list[DrawMemberRow]] = {}
    for member in members:
        teams.setdefault(member.visit, []).append(member)

    result = _result(config_file, "draw", "show", "2027-Q1", "--csv")
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes.startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8
    rows = list(csv.reader(io.StringIO(result.stdout_bytes.decode("utf-8-sig"))))
    assert rows[0] == ["序号", "对象编号", "对象名称", "检查事项", "检查部门", "检查组", "随机值"]
    assert len(rows) - 1 == len(teams)
    for number, object_id, name, items, _, team, _ in rows[1:]:
        assert name == businesses[object_id]
        assert items == "；".join(f"{code} {item_names[code]}" for code in visits[int(number)])
        assert team == "、".join(
            f"{officers[m.cert_no]}（{_role(m.role)}，{m.department}）" for m in teams[int(number)]
        )
    assert any("（组长，" in row[5] for row in rows[1:])

    shown = json.loads(_invoke(config_file, "draw", "show", "2027-Q1", "--json")[1])
    first = shown["visits"][0]
    assert first["name"] == businesses[first["object_id"]]
    assert [(o["name"], o["role"], o["role_label"]) for o in first["team"]] == [
        (officers[m.cert_no], m.role, _role(m.role)) for m in teams[1]
    ]
    assert first["items"] == [{"code": c, "name": item_names[c]} for c in visits[1]]

    code, out = _invoke(config_file, "draw", "show", "2027-Q1")
    assert code == 0, out
    assert "计划 2027-Q1 第 1 次抽取：已抽取" in out
    for header in rows[0]:
        assert header in out


def _demo_beacon(config: Path) -> None:
    with config.open("a", encoding="utf-8") as f:
        f.write('[beacon]\nchain = "demo"\nallow_demo = true\n')


def test_a_beacon_draw_on_the_command_line(
    sample_app: App, config_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """prepare pins a round of the (demo) beacon; run takes the dice before that round's
    time, waits for it, reads the round from a file and draws."""
    _demo_beacon(config_file)
    ceremony = datetime(2027, 1, 4, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(ceremony - timedelta(days=7), tick=False):
        code, out = _invoke(
            config_file, "draw", "prepare", "2027-Q1", "--ceremony-at", ceremony.isoformat()
        )
    assert code == 0, out
    assert "演示" in out and "没有操作员密钥" in out and "操作员密钥保存在" not in out
    with sample_app.transaction() as session:
        row = get_draw(session, "2027-Q1")
    pin = pin_of(row)
    assert pin.time == round_time(DEMO_CHAIN, pin.round) > ceremony + timedelta(seconds=60)
    round_file = tmp_path / "round.json"
    round_file.write_bytes(demo_round(pin.round))
    with time_machine.travel(ceremony, tick=False) as traveller:
        monkeypatch.setattr(_draw, "sleep_until", traveller.move_to)
        code, out = _invoke(
            config_file, "draw", "run", "2027-Q1", "--beacon-file", str(round_file),
            input="1625 3443 5261 6152 4334\ny\n",
        )
    assert code == 0, out
    assert out.index("1 6 2 5") < out.index("核对无误") < out.index("Waiting for round")
    assert "已抽取 Drew 2027-Q1 第 1 次" in out
    result = _result(config_file, "draw", "show", "2027-Q1", "--json")
    assert result.exit_code == 0, (result.output, result.exception)
    shown = json.loads(result.output)
    assert (shown["state"], shown["algorithm"], shown["entropy"]) == (
        "drawn",
        "DR-2",
        "16253443526161524334",
    )
    code, out = _invoke(config_file, "draw", "export", "2027-Q1", str(tmp_path / "b"))
    assert code == 0, out
    code, out = _invoke(config_file, "verify", str(tmp_path / "b"))
    verdict = out.rstrip().splitlines()[-1]
    assert code == 0 and verdict.startswith("MATCH (DEMO beacon chain"), out
    # Without the registry snapshot (the site publishes it once): the same other
    # files, a refusal naming it, and the same verdict when it is given.
    code, out = _invoke(
        config_file, "draw", "export", "2027-Q1", str(tmp_path / "lean"), "--no-snapshot"
    )
    assert code == 0, out
    whole = sorted(p.name for p in (tmp_path / "b").iterdir())
    assert sorted(p.name for p in (tmp_path / "lean").iterdir()) == [
        n for n in whole if n != "objects-public.tsv.gz"
    ]
    assert (tmp_path / "lean/MANIFEST.sha256").read_bytes() == (
        tmp_path / "b/MANIFEST.sha256"
    ).read_bytes()
    code, out = _invoke(config_file, "verify", str(tmp_path / "lean"))
    assert code == 1 and "缺少检查对象名录快照" in out, out
    code, out = _invoke(
        config_file, "verify", str(tmp_path / "lean"),
        "--snapshot", str(tmp_path / "b/objects-public.tsv.gz"),
    )  # fmt: skip
    assert code == 0 and out.rstrip().splitlines()[-1] == verdict, out


def test_dice_typed_after_the_round_is_out_are_refused_on_the_command_line(
    sample_app: App, config_file: Path, tmp_path: Path
) -> None:
    _demo_beacon(config_file)
    ceremony = datetime(2027, 1, 4, 1, 30, tzinfo=UTC)
    with time_machine.travel(ceremony - timedelta(days=7), tick=False):
        assert _invoke(config_file, "draw", "prepare", "2027-Q1", "--ceremony-at", ceremony.isoformat())[0] == 0
    with sample_app.transaction() as session:
        pin = pin_of(get_draw(session, "2027-Q1"))
    round_file = tmp_path / "round.json"
    round_file.write_bytes(demo_round(pin.round))
    with time_machine.travel(pin.time + timedelta(seconds=5), tick=False):
        code, out = _invoke(
            config_file, "draw", "run", "2027-Q1", "--beacon-file", str(round_file),
            "--dice", "16253443526161524334", "--yes",
        )
    assert code == 1 and "the dice must be recorded before it" in out
    assert _state(sample_app) == ("prepared", None)


def test_a_beacon_plan_without_a_schedule_needs_a_ceremony_time(
    sample_app: App, config_file: Path
) -> None:
    code, out = _invoke(config_file, "draw", "prepare", "2027-Q1", "--ceremony-at", "soon")
    assert code == 1 and "is not an ISO 8601 time" in out
