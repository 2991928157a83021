"""Re-importing a registry while a draw is prepared warns at once, not at the ceremony."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from dualrandom.app import App
from dualrandom.cli._main import cli
from dualrandom.draws import SecretStore, get_draw
from dualrandom.draws.affected import prepared_draws_outdated
from dualrandom.errors import DrawStateError
from dualrandom.tables import DrawRow, RegistryVersionRow
from tests.conftest import REPO
from tests.drawing import prepare_dr2, run_dr2
from tests.draws.conftest import NOW

REGISTRIES = REPO / "registries"


@pytest.fixture
def prepared(sample_app: App, secrets: SecretStore) -> App:
    with sample_app.transaction() as session:
        prepare_dr2(session, "2027-Q1", secrets=secrets, now=NOW)
    return sample_app


def _import(config: Path, kind: str, path: Path, *options: str) -> Result:
    command = ["--config", str(config), "registry", "import", kind, str(path), *options]
    return CliRunner().invoke(cli, command)


def _without_last_row(kind: str, tmp_path: Path) -> Path:
    lines = (REGISTRIES / f"{kind}.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    path = tmp_path / f"{kind}.csv"
    path.write_text("".join(lines[:-1]), encoding="utf-8")
    return path


def test_a_changed_registry_warns_that_the_prepared_draw_must_be_superseded(
    prepared: App, config_file: Path, tmp_path: Path, secrets: SecretStore
) -> None:
    result = _import(config_file, "objects", _without_last_row("objects", tmp_path))
    assert result.exit_code == 0, result.output  # a warning: the import itself stands
    warning = result.stderr
    assert warning.index("警告：") < warning.index("Warning: ")
    assert "计划 2027-Q1 已准备的抽取（第 1 次）承诺的是导入前的检查对象名录库" in warning
    assert "dualrandom draw prepare 2027-Q1 --supersede --reason …" in warning
    assert "the prepared draw of plan 2027-Q1 (attempt 1)" in warning
    # What the warning foretells: the draw refuses to run on the changed registry.
    with prepared.transaction() as session, pytest.raises(DrawStateError):
        run_dr2(session, "2027-Q1", get_draw(session, "2027-Q1"), secrets=secrets)


def test_the_same_registry_again_warns_of_nothing(prepared: App, config_file: Path) -> None:
    for kind in ("objects", "inspectors", "conflicts"):
        result = _import(config_file, kind, REGISTRIES / f"{kind}.csv")
        assert result.exit_code == 0, result.output
        assert "警告" not in result.stderr and "Warning" not in result.stderr


@pytest.mark.parametrize("kind", ["inspectors", "conflicts"])
def test_every_registry_the_draw_committed_to(
    prepared: App, config_file: Path, tmp_path: Path, kind: str
) -> None:
    result = _import(config_file, kind, _without_last_row(kind, tmp_path), "--json")
    assert result.exit_code == 0, result.output
    [warning] = json.loads(result.stdout)["warnings"]
    assert (warning["plan"], warning["attempt"]) == ("2027-Q1", 1)
    assert warning["message"].startswith("计划 2027-Q1 已准备的抽取")
    assert warning["message_en"].startswith("the prepared draw of plan 2027-Q1")


def test_a_drawn_plan_is_not_warned_about(
    prepared: App, config_file: Path, tmp_path: Path, secrets: SecretStore
) -> None:
    with prepared.transaction() as session:
        run_dr2(session, "2027-Q1", get_draw(session, "2027-Q1"), secrets=secrets)
        assert prepared_draws_outdated(session, "objects", "0" * 64) == []
    result = _import(config_file, "objects", _without_last_row("objects", tmp_path))
    assert result.exit_code == 0 and "警告" not in result.stderr


def test_the_query_compares_the_committed_digest(prepared: App) -> None:
    """DR-2 commits to bucketed digests: the registry version the draw recorded is what
    a new import's digest is compared with."""
    with prepared.transaction() as session:
        version = session.scalars(select(DrawRow.objects_version)).one()
        committed = session.scalars(
            select(RegistryVersionRow.digest).where(
                RegistryVersionRow.kind == "objects", RegistryVersionRow.number == version
            )
        ).one()
        assert prepared_draws_outdated(session, "objects", committed) == []
        assert prepared_draws_outdated(session, "objects", "0" * 64) == [("2027-Q1", 1)]
