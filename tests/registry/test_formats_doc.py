"""docs/FORMATS.md and the importer accept exactly the same headers."""

from __future__ import annotations

import re
from itertools import dropwhile, takewhile

from dualrandom.registry import COLUMNS
from tests.conftest import REPO

SECTIONS = {
    "departments": "### Departments",
    "objects": "### Objects",
    "inspectors": "### Inspectors",
    "conflicts": "### Conflicts",
    "items": "### Items",
}


def _table(section: str) -> list[list[str]]:
    """The rows of the first table after the heading that starts with ``section``."""
    text = (REPO / "docs" / "FORMATS.md").read_text(encoding="utf-8")
    lines = iter(text[text.index(section) :].splitlines())
    table = list(takewhile(lambda line: line.startswith("|"), dropwhile(_not_table, lines)))
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in table]
    assert rows[0][:3] == ["English", "中文", "required"], section
    return rows[2:]  # without the header and the |---| line


def _not_table(line: str) -> bool:
    return not line.startswith("|")


def _documented(kind: str) -> dict[str, tuple[str, tuple[str, ...], bool]]:
    """English header -> (Chinese header, other accepted headers, required)."""
    documented = {}
    for english, chinese, required, *_ in _table(SECTIONS[kind]):
        if chinese == "—":
            continue  # a TOML-only key, not a spreadsheet column
        headers = re.findall(r"`([^`]+)`", chinese)
        documented[english.strip("`")] = (headers[0], tuple(headers[1:]), required == "yes")
    return documented


def _in_code(kind: str) -> dict[str, tuple[str, tuple[str, ...], bool]]:
    return {c.name: (c.chinese, c.also, c.required) for c in COLUMNS[kind]}


def test_every_kind_is_documented_exactly() -> None:
    for kind in SECTIONS:
        assert _documented(kind) == _in_code(kind), kind


def test_the_tables_are_really_parsed() -> None:
    assert _documented("objects")["name"] == ("名称", ("企业名称",), True)
    assert len(_documented("inspectors")) == 14
