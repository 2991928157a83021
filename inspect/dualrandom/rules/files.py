"""Reading the working rules folder: ``items.toml`` and ``plans/*.toml``.

Everything here depends on the files alone; the checks that need the
database (departments, stored items) are in :mod:`dualrandom.rules.check`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dualrandom.core.model import ItemRecord, Plan
from dualrandom.errors import NotFoundError, Problem
from dualrandom.rules._items import parse_items
from dualrandom.rules._plans import parse_plan
from dualrandom.tomlfile import Located, parse_toml

__all__ = [
    "ITEMS_FILE",
    "PLANS_FOLDER",
    "RuleSet",
    "read_items_text",
    "read_plan_text",
    "read_rules",
]

ITEMS_FILE = "items.toml"
PLANS_FOLDER = "plans"


@dataclass(frozen=True, slots=True)
class RuleSet:
    """What the rules folder holds, each value with the place it came from.

    ``items_file`` is None when there is no ``items.toml`` (the item list was
    imported from a spreadsheet instead); ``problems`` lists everything wrong
    with the files, and the invalid items and plans are left out of
    ``items`` and ``plans``.
    """

    folder: str
    items_file: str | None
    items: tuple[Located[ItemRecord], ...]
    item_codes: frozenset[str]  # every code written in items.toml, valid item or not
    plans: tuple[Located[Plan], ...]
    plan_files: tuple[str, ...]
    problems: tuple[Problem, ...]


def read_rules(rules_dir: Path, display: str | None = None) -> RuleSet:
    """Read and validate every rules file; collect every problem, raise none.

    ``display`` is how ``rules_dir`` is named in problems (default: as given).
    Raises NotFoundError only when the folder itself does not exist.
    """
    if not rules_dir.is_dir():
        raise NotFoundError(
            f"规则文件夹 {str(rules_dir)!r} 不存在；请创建它，或在 config.toml 中设置 [paths] rules",
            f"the rules folder {str(rules_dir)!r} does not exist; "
            "create it or set [paths] rules in config.toml",
        )
    folder = display if display is not None else str(rules_dir)
    sink: list[Problem] = []
    items_path = rules_dir / ITEMS_FILE
    items_file = _name(folder, ITEMS_FILE) if items_path.is_file() else None
    items, item_codes = _read_items(items_path, items_file, sink) if items_file else ([], set())
    plan_paths = sorted((rules_dir / PLANS_FOLDER).glob("*.toml"))
    plan_files = tuple(_name(folder, f"{PLANS_FOLDER}/{path.name}") for path in plan_paths)
    plans = [
        plan
        for path, name in zip(plan_paths, plan_files, strict=True)
        if (plan := _read_plan(path, name, sink)) is not None
    ]
    if items_file is None and not plan_paths:
        sink.append(
            Problem(
                folder,
                None,
                "",
                "",
                f"既没有 {ITEMS_FILE}，也没有 {PLANS_FOLDER}/*.toml",
                f"holds neither {ITEMS_FILE} nor {PLANS_FOLDER}/*.toml",
            )
        )
    return RuleSet(
        folder,
        items_file,
        tuple(items),
        frozenset(item_codes),
        tuple(plans),
        plan_files,
        tuple(sink),
    )


def _name(folder: str, relative: str) -> str:
    return f"{folder.rstrip('/')}/{relative}"


def _read_items(
    path: Path, name: str, sink: list[Problem]
) -> tuple[list[Located[ItemRecord]], set[str]]:
    return read_items_text(name, path.read_bytes(), sink)


def read_items_text(
    name: str, raw: bytes, sink: list[Problem]
) -> tuple[list[Located[ItemRecord]], set[str]]:
    """The valid items of an ``items.toml`` given as bytes, and every code written;
    problems go to ``sink``."""
    parsed = parse_toml(name, raw, sink)
    return ([], set()) if parsed is None else parse_items(parsed[1], parsed[0], sink)


def _read_plan(path: Path, name: str, sink: list[Problem]) -> Located[Plan] | None:
    return read_plan_text(name, path.read_bytes(), sink)


def read_plan_text(name: str, raw: bytes, sink: list[Problem]) -> Located[Plan] | None:
    """The plan in the TOML bytes ``raw`` of the file ``name`` (its id must be
    the file's name without ``.toml``), or None with every problem in ``sink``."""
    parsed = parse_toml(name, raw, sink)
    stem = Path(name).name.removesuffix(".toml")
    return None if parsed is None else parse_plan(parsed[1], parsed[0], stem, sink)
