"""Who acted: every entry carries the real actor, resolved at the edge and never made up below it."""

from __future__ import annotations

import getpass
import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from dualrandom import audit
from dualrandom.app import App
from dualrandom.cli._main import cli
from dualrandom.errors import UserError
from dualrandom.schedule import catch_up
from dualrandom.tables import AuditEntryRow
from tests.conftest import REPO

AT = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


def _run(config: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    environment = {"DUALRANDOM_OPERATOR": ""} | (env or {})
    return CliRunner(env=environment).invoke(cli, ["--config", str(config), *args])


def _actors(app: App) -> list[str]:
    with app.transaction() as session:
        return list(session.scalars(select(AuditEntryRow.actor).order_by(AuditEntryRow.seq)))


def _import_departments(config: Path, *options: str, env: dict[str, str] | None = None) -> None:
    departments = REPO / "registries" / "departments.csv"
    result = _run(config, *options, "registry", "import", "departments", str(departments), env=env)
    assert result.exit_code == 0, result.output


def test_the_operator_is_the_option_then_the_environment_then_the_config_then_the_os_user(
    app: App, config_file: Path
) -> None:
    _import_departments(config_file)  # nothing set: the account running the command
    _import_departments(config_file, env={"DUALRANDOM_OPERATOR": "环境变量王"})
    _import_departments(config_file, "--operator", "李四", env={"DUALRANDOM_OPERATOR": "环境变量王"})
    config_file.write_text(
        config_file.read_text(encoding="utf-8") + '[audit]\noperator = "配置赵"\n', encoding="utf-8"
    )
    _import_departments(config_file)
    _import_departments(config_file, env={"DUALRANDOM_OPERATOR": "环境变量王"})
    assert _actors(app) == [getpass.getuser(), "环境变量王", "李四", "配置赵", "环境变量王"]


def test_an_operator_name_that_cannot_be_recorded_is_refused_before_anything_is_written(
    app: App, config_file: Path
) -> None:
    for bad in ("", "   ", "a\tb", "x" * 101):
        result = _run(config_file, "--operator", bad, "registry", "import", "departments",
                      str(REPO / "registries" / "departments.csv"))  # fmt: skip
        assert result.exit_code == 1, bad
        assert "操作人名称" in result.output and "operator name" in result.output
    assert _actors(app) == []


def test_actor_names_are_normalised_and_checked() -> None:
    assert audit.actor_name("  Ａ１ 张三 ") == "Ａ１ 张三"
    assert audit.actor_name("e\u0301") == "\u00e9"  # NFC: one name, one spelling
    with pytest.raises(UserError):
        audit.actor_name("\x00")
    with pytest.raises(TypeError):
        audit.append(None, "a", "s", {})  # type: ignore[arg-type,call-arg]  # no default actor


def test_the_scheduler_acts_as_scheduler_at_its_host(app: App, config_file: Path) -> None:
    """Every entry of an unattended run, calendar seeding included, names the machine."""
    from tests.draws.conftest import load_sample

    load_sample(app)
    before = len(_actors(app))
    catch_up(app, now=datetime(2027, 12, 31, 12, 0, tzinfo=UTC))
    ran = _actors(app)[before:]
    assert ran and set(ran) == {f"scheduler@{socket.gethostname()}"}
