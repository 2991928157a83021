"""docs/FORMATS.md says what the sheet reader refuses, exactly as the code does."""

from __future__ import annotations

import re

from dualrandom.config import SETTINGS
from dualrandom.registry import COLUMNS
from dualrandom.sheets import (
    CONTROL_CHARACTERS,
    PROBLEM_HEADERS,
    ZERO_WIDTH_CHARACTERS,
    Text,
)
from tests.conftest import REPO

DOC = (REPO / "docs" / "FORMATS.md").read_text(encoding="utf-8")
SECTION = DOC[DOC.index("## Registry files") : DOC.index("### Versions")]


def _characters(sentence: str) -> set[str]:
    """The characters a sentence lists as U+XXXX or ranges U+XXXX–U+YYYY."""
    found = set()
    for first, last in re.findall(r"U\+([0-9A-F]{4})(?:–U\+([0-9A-F]{4}))?", sentence):
        found |= {chr(c) for c in range(int(first, 16), int(last or first, 16) + 1)}
    return found


def test_the_problems_csv_columns() -> None:
    assert f"columns `{','.join(PROBLEM_HEADERS)}`" in " ".join(SECTION.split())


def test_the_characters_refused_in_text_and_in_names() -> None:
    text = " ".join(SECTION.split())
    controls = text[text.index("No text cell may hold") : text.index("which make text display")]
    zero_width = text[text.index("no zero-width character") : text.index("which makes two names")]
    assert _characters(controls) == CONTROL_CHARACTERS
    assert _characters(zero_width) == ZERO_WIDTH_CHARACTERS


def test_the_columns_that_hold_names() -> None:
    text = " ".join(SECTION.split())
    listed = text[text.index("a name (") : text.index(") may also hold")]
    kinds = re.search(r"`name` of ([a-z, ]+?), and", listed)
    assert kinds is not None
    documented = {
        (kind.strip(), "name") for kind in re.split(r", | and ", kinds.group(1))
    } | {("objects", "legal_representative")}
    assert "`legal_representative`" in listed
    named = {
        (kind, column.name)
        for kind, columns in COLUMNS.items()
        for column in columns
        if isinstance(column.field, Text) and column.field.name
    }
    assert named == documented


def test_the_default_workbook_limit() -> None:
    default = SETTINGS["import"]["max_xlsx_unpacked_mb"][0]
    assert f"`[import] max_xlsx_unpacked_mb` (default {default} MB)" in " ".join(SECTION.split())
