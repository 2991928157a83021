"""The draw commands: what a regulator types and sees, errors included."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from dualrandom.app import App
from dualrandom.cli._main import cli
from tests.conftest import REPO


def _invoke(config: Path, *args: str, input: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--config", str(config), *args], input=input)
    return result.exit_code, result.output


def test_prepare_run_show_export_verify(sample_app: App, config_file: Path, tmp_path: Path) -> None:
    code, out = _invoke(config_file, "draw", "prepare", "2027-Q1")
    assert code == 0, out
    assert "Commitment" in out and "Operator secret kept in" in out
    code, out = _invoke(config_file, "draw", "run", "2027-Q1", input="6 6 1 2 3 4\n")
    assert code == 0, out
    assert "Drew 2027-Q1 attempt 1" in out
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
    assert out == "Error: plan 2027-Q1 has no draw; run 'dualrandom draw prepare 2027-Q1' first\n"
    code, out = _invoke(config_file, "draw", "prepare", "2099-Q9")
    assert code == 1 and out.startswith("Error: ") and "2099-Q9" in out
    code, out = _invoke(config_file, "draw", "prepare", "2027-Q1", "--supersede")
    assert code == 2 and "--supersede and --reason TEXT go together" in out


def test_draw_on_a_database_without_schema_says_to_init(config_file: Path) -> None:
    code, out = _invoke(config_file, "draw", "show", "2027-Q1")
    assert code == 1 and "run 'dualrandom init' first" in out


def test_demo_runs_from_nothing(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[paths]\nregistries = "{(REPO / "registries").as_posix()}"\nrules = "{(REPO / "rules").as_posix()}"\n',
        encoding="utf-8",
    )
    code, out = _invoke(config, "demo")
    assert code == 0, out
    assert out.count("MATCH") == 2
    assert (tmp_path / "var" / "demo" / "dualrandom.sqlite3").exists()
