"""The documentation is checked against the code."""

from __future__ import annotations

import re
import subprocess
import sys

from dualrandom.config import SETTINGS
from tests.conftest import REPO


def test_cli_reference_is_current() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "cli_reference.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_every_setting_is_documented() -> None:
    doc = (REPO / "docs" / "CONFIG.md").read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| `\[(\w+)\]` \| `(\w+)` \|", doc, flags=re.MULTILINE))
    declared = {(section, key) for section, keys in SETTINGS.items() for key in keys}
    assert rows == declared


def test_readme_test_command_is_what_ci_runs() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in readme and "\nmake test\n" in ci
