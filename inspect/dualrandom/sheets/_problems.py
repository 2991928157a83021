"""Every problem of a failed import as a CSV file a clerk can open in Excel.

The reason is in Chinese, for the clerk, and in English in the next column."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from dualrandom.errors import Problem

__all__ = ["PROBLEM_HEADERS", "write_problems_csv"]

PROBLEM_HEADERS = ("文件", "行", "列", "值", "原因", "原因（英文）")

# Excel runs a cell that starts with one of these as a formula; a value from
# an untrusted file must not (CSV injection), so such a cell gets a leading '.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def write_problems_csv(problems: Iterable[Problem], path: Path) -> None:
    """UTF-8 with a byte-order mark, so Excel on Chinese Windows shows the text right."""
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(PROBLEM_HEADERS)
        for p in problems:
            row = "" if p.row is None else str(p.row)
            cells = (p.file, row, p.column, p.value, p.reason, p.reason_en)
            writer.writerow([_cell(cell) for cell in cells])
