"""The source root must never shadow the standard library's ``inspect``."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from pathlib import Path

from tests.conftest import REPO


def test_source_root_has_no_init_py() -> None:
    assert not (REPO / "inspect" / "__init__.py").exists()


def test_import_inspect_from_repo_root_gives_the_standard_library() -> None:
    out = subprocess.run(
        [sys.executable, "-c", "import inspect; print(inspect.__file__)"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(out).resolve().parent == Path(sysconfig.get_paths()["stdlib"]).resolve()


def test_core_imports_only_stdlib_numpy_and_itself() -> None:
    """The pure core's boundary: no database, files or third-party I/O libraries."""
    import ast

    allowed_roots = set(sys.stdlib_module_names) | {"numpy", "dualrandom"}
    core = REPO / "inspect" / "dualrandom" / "core"
    forbidden_stdlib = {
        "os",
        "io",
        "pathlib",
        "random",
        "socket",
        "subprocess",
        "sqlite3",
        "time",
        "shutil",
        "tempfile",
    }
    for path in sorted(core.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                root = name.split(".")[0]
                assert root in allowed_roots, f"{path.name} imports {name}"
                assert root not in forbidden_stdlib, (
                    f"{path.name} imports {name} (I/O, clock or randomness)"
                )
                if root == "dualrandom":
                    assert name.startswith(("dualrandom.core", "dualrandom.errors")), (
                        f"{path.name} imports {name}"
                    )
