"""``dualrandom.publish`` is four stages, read -> shape -> pages -> write, one folder each.

A stage imports only the stages before it, the shared vocabulary
(``paths``, ``names``, ``labels``) and the rest of dualrandom; no module
imports another folder's ``_private`` module.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import REPO

SOURCE = REPO / "inspect"
STAGES = ("read", "shape", "pages", "write")
# The stages each stage may import besides itself.
UPSTREAM: dict[str, set[str]] = {
    "read": set(),
    "shape": {"read"},
    "pages": {"read", "shape", "write"},
    "write": set(),
}
VOCABULARY = ("paths", "names", "labels")


def _package(path: Path, source: Path) -> str:
    """The dotted package a module file belongs to (a package's __init__: itself)."""
    return ".".join(path.parent.relative_to(source).parts)


def _imports(path: Path, source: Path) -> Iterator[str]:
    """Every module ``path`` imports, absolute; ``from a import b`` yields a and a.b."""
    package = _package(path, source)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                anchor = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{anchor}.{base}" if base else anchor
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def _private_owner(name: str) -> str | None:
    """The package whose private module ``name`` is (``a.b._c.d`` -> ``a.b``), or None."""
    parts = name.split(".")
    for i, part in enumerate(parts):
        if part.startswith("_") and not part.startswith("__"):
            return ".".join(parts[:i])
    return None


def _stage(name: str) -> str | None:
    parts = name.split(".")
    if parts[:2] == ["dualrandom", "publish"] and len(parts) > 2 and parts[2] in STAGES:
        return parts[2]
    return None


def private_imports(source: Path) -> list[str]:
    """Imports of another folder's private module by a module of publish."""
    wrong = []
    for path in sorted((source / "dualrandom" / "publish").rglob("*.py")):
        here = _package(path, source)
        for name in _imports(path, source):
            owner = _private_owner(name)
            if owner is not None and owner != here:
                wrong.append(f"{path.relative_to(source)} imports {name}")
    return wrong


def stage_imports(source: Path) -> list[str]:
    """Imports of a later stage (or of any stage by the vocabulary modules)."""
    publish = source / "dualrandom" / "publish"
    wrong = []
    for path in sorted(publish.rglob("*.py")):
        stage = _stage(_package(path, source))
        if stage is None and not (path.parent == publish and path.stem in VOCABULARY):
            continue  # site.py runs the stages; serve.py serves what they wrote
        allowed = UPSTREAM[stage] | {stage} if stage else set()
        for name in _imports(path, source):
            used = _stage(name)
            if used is not None and used not in allowed:
                wrong.append(f"{path.relative_to(source)} ({stage or 'vocabulary'}) imports {name}")
    return wrong


def test_the_four_stages_are_folders_and_nothing_else_is_left_flat() -> None:
    publish = SOURCE / "dualrandom" / "publish"
    folders = sorted(p.name for p in publish.iterdir() if (p / "__init__.py").is_file())
    flat = sorted(p.stem for p in publish.glob("*.py"))
    assert folders == sorted(STAGES)
    assert flat == sorted(["__init__", "site", "numbers", "serve", *VOCABULARY])


def test_no_module_of_publish_imports_another_folders_private_module() -> None:
    assert private_imports(SOURCE) == []


def test_each_stage_imports_only_the_stages_before_it() -> None:
    assert stage_imports(SOURCE) == []


def test_the_checks_see_the_imports_they_forbid(tmp_path: Path) -> None:
    publish = tmp_path / "dualrandom" / "publish"
    for folder in ("read", "shape", "write"):
        (publish / folder).mkdir(parents=True)
    (publish / "write" / "_swap.py").write_text("", encoding="utf-8")
    (publish / "write" / "__init__.py").write_text("from ._swap import x\n", encoding="utf-8")
    (publish / "read" / "_catalog.py").write_text(
        "from dualrandom.publish.write._swap import x\n", encoding="utf-8"
    )
    (publish / "shape" / "_notices.py").write_text(
        "from dualrandom.publish.write import _swap\n", encoding="utf-8"
    )
    (publish / "paths.py").write_text("import dualrandom.publish.shape\n", encoding="utf-8")
    assert private_imports(tmp_path) == [
        "dualrandom/publish/read/_catalog.py imports dualrandom.publish.write._swap",
        "dualrandom/publish/read/_catalog.py imports dualrandom.publish.write._swap.x",
        "dualrandom/publish/shape/_notices.py imports dualrandom.publish.write._swap",
    ]
    assert stage_imports(tmp_path) == [
        "dualrandom/publish/paths.py (vocabulary) imports dualrandom.publish.shape",
        "dualrandom/publish/read/_catalog.py (read) imports dualrandom.publish.write._swap",
        "dualrandom/publish/read/_catalog.py (read) imports dualrandom.publish.write._swap.x",
        "dualrandom/publish/shape/_notices.py (shape) imports dualrandom.publish.write",
        "dualrandom/publish/shape/_notices.py (shape) imports dualrandom.publish.write._swap",
    ]
