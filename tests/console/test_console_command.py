"""``dualrandom console --host H --port P``: the options reach the server, and --help
names them. The server is never started: Flask's ``run`` is replaced, no socket opens."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask

from dualrandom.app import App
from dualrandom.cli._main import cli


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Flask, dict[str, Any]]]:
    """Every call of Flask.run: the app it was called on and its keyword arguments."""
    calls: list[tuple[Flask, dict[str, Any]]] = []

    def run(self: Flask, *args: Any, **kwargs: Any) -> None:
        assert not args, "host and port are passed by name"
        calls.append((self, kwargs))

    monkeypatch.setattr(Flask, "run", run)
    return calls


def test_host_and_port_reach_the_server(
    app: App, config_file: Path, served: list[tuple[Flask, dict[str, Any]]]
) -> None:
    result = CliRunner().invoke(
        cli, ["--config", str(config_file), "console", "--host", "0.0.0.0", "--port", "9137"]
    )
    assert result.exit_code == 0, result.output
    [(flask, kwargs)] = served
    assert (kwargs["host"], kwargs["port"]) == ("0.0.0.0", 9137)
    assert kwargs.get("debug") is False and kwargs.get("use_reloader") is False
    assert "http://0.0.0.0:9137/" in result.output
    # the console's own app (its routes), not a bare Flask
    assert "/login" in {rule.rule for rule in flask.url_map.iter_rules()}


def test_without_options_it_serves_on_127_0_0_1_port_8080(
    app: App, config_file: Path, served: list[tuple[Flask, dict[str, Any]]]
) -> None:
    result = CliRunner().invoke(cli, ["--config", str(config_file), "console"])
    assert result.exit_code == 0, result.output
    [(_, kwargs)] = served
    assert (kwargs["host"], kwargs["port"]) == ("127.0.0.1", 8080)


def test_a_port_out_of_range_is_refused_before_serving(
    app: App, config_file: Path, served: list[tuple[Flask, dict[str, Any]]]
) -> None:
    result = CliRunner().invoke(cli, ["--config", str(config_file), "console", "--port", "70000"])
    assert result.exit_code != 0
    assert served == []


def test_help_lists_host_and_port() -> None:
    result = CliRunner().invoke(cli, ["console", "--help"])
    assert result.exit_code == 0, result.output
    options = {
        line.split()[0].rstrip(",")
        for line in result.output.splitlines()
        if line.strip().startswith("--")
    }
    assert {"--host", "--port"} <= options
    assert "127.0.0.1" in result.output and "8080" in result.output
