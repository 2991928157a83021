"""docs/FORMATS.md documents exactly the result columns and codes the importer accepts."""

from __future__ import annotations

import re
from itertools import dropwhile, takewhile

from dualrandom.lifecycle import FOLLOW_UPS, RESULT_CODES, RESULT_COLUMNS
from tests.conftest import REPO

DOC = (REPO / "docs" / "FORMATS.md").read_text(encoding="utf-8")
SECTION = DOC[DOC.index("## Inspection results") :]


def test_the_columns() -> None:
    lines = iter(SECTION.splitlines())
    table = list(
        takewhile(
            lambda line: line.startswith("|"),
            dropwhile(lambda line: not line.startswith("|"), lines),
        )
    )
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in table][2:]
    documented = {}
    for english, chinese, required, _ in rows:
        headers = re.findall(r"`([^`]+)`", chinese)
        documented[english.strip("`")] = (headers[0], tuple(headers[1:]), required == "yes")
    assert documented == {c.name: (c.chinese, c.also, c.required) for c in RESULT_COLUMNS}


def test_the_codes() -> None:
    results = SECTION[SECTION.index("Result codes") : SECTION.index("Follow-up codes")]
    follow_ups = SECTION[SECTION.index("Follow-up codes") : SECTION.index("need `无需后续处置`")]
    assert tuple(re.findall(r"`([^`]+)`", results)) == RESULT_CODES
    assert tuple(re.findall(r"`([^`]+)`", follow_ups))[: len(FOLLOW_UPS)] == FOLLOW_UPS
