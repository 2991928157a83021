"""docs/FORMATS.md and the loader accept exactly the same keys, and its
examples are valid rules."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from dualrandom.rules import read_rules
from dualrandom.rules.schema import FILTER_KEYS, FILTER_TABLES, item_paths, plan_paths
from tests.conftest import REPO

DOC = (REPO / "docs" / "FORMATS.md").read_text(encoding="utf-8")


def section(heading: str) -> str:
    """The text under the first heading starting with ``heading``, to the next
    heading (a ``#`` line inside a code block is a TOML comment, not a heading)."""
    lines = DOC.splitlines()
    start = next(i for i, line in enumerate(lines) if re.match(rf"#+ {re.escape(heading)}", line))
    body, fenced = [], False
    for line in lines[start + 1 :]:
        fenced ^= line.startswith("```")
        if line.startswith("#") and not fenced:
            break
        body.append(line)
    return "\n".join(body)


def first_column(text: str) -> set[str]:
    """Every `key` in the first column of the tables in ``text``."""
    keys: set[str] = set()
    for line in text.splitlines():
        if line.startswith("| `"):
            keys |= set(re.findall(r"`([^`]+)`", line.split("|")[1]))
    return keys


def toml_example(text: str) -> dict[str, Any]:
    match = re.search(r"```toml\n(.*?)```", text, re.S)
    assert match
    return tomllib.loads(match.group(1))


def paths(table: dict[str, Any], prefix: str = "") -> set[str]:
    """Dotted key paths of a parsed table; filters are not entered, arrays are."""
    found: set[str] = set()
    for key, value in table.items():
        path = f"{prefix}{key}"
        found.add(path)
        elements = value if isinstance(value, list) else [value]
        for element in elements:
            if isinstance(element, dict) and path not in FILTER_TABLES:
                found |= paths(element, f"{path}.")
    return found


def filter_keys(table: dict[str, Any], prefix: str = "") -> set[str]:
    found: set[str] = set()
    for key, value in table.items():
        path = f"{prefix}{key}"
        for element in value if isinstance(value, list) else [value]:
            if isinstance(element, dict):
                found |= set(element) if path in FILTER_TABLES else filter_keys(element, f"{path}.")
    return found


ITEMS_EXAMPLE = toml_example(section("`rules/items.toml`"))
PLAN_EXAMPLE = toml_example(section("`rules/plans/*.toml`"))


def test_item_keys_match_the_items_table_and_example() -> None:
    table = {key.removesuffix(".*") for key in first_column(section("Items (抽查事项清单)"))}
    documented = {f"item.{key}" for key in table} | paths(ITEMS_EXAMPLE)
    assert documented == item_paths()


def test_plan_keys_match_the_plan_table_and_example() -> None:
    documented = first_column(section("Plan keys")) | paths(PLAN_EXAMPLE)
    assert documented == plan_paths()


def test_filter_keys_match_the_filter_table() -> None:
    assert first_column(section("Object filters")) == set(FILTER_KEYS)
    assert filter_keys(ITEMS_EXAMPLE) | filter_keys(PLAN_EXAMPLE) <= set(FILTER_KEYS)


def test_the_examples_are_valid_rules(tmp_path: Path) -> None:
    blocks = re.findall(r"```toml\n(.*?)```", DOC, re.S)
    (tmp_path / "plans").mkdir()
    (tmp_path / "items.toml").write_text(blocks[0], encoding="utf-8")
    (tmp_path / "plans" / f"{PLAN_EXAMPLE['id']}.toml").write_text(blocks[1], encoding="utf-8")
    rules = read_rules(tmp_path, "rules")
    assert rules.problems == ()
    assert (len(rules.items), len(rules.plans)) == (1, 1)
