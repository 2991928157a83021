"""A finding: one stored or published fact that contradicts what it was committed to.

Every finding names the table (or file), the row, the column, what was
expected and what was found, with the reason in Chinese and in English, and
a stable ``code`` for programs and tests (``chain.altered``,
``checkpoint.rewound``, ``draw.visit``, …; docs/AUDIT.md lists them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from dualrandom.errors import IntegrityError, Problem

__all__ = ["Finding", "refuse"]


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    table: str  # a database table, or a checkpoint file
    row: str  # the row as a person names it: "entry 12", "2027-Q1#1 visit 3"
    column: str
    expected: str
    found: str
    reason: str
    reason_en: str

    def problem(self) -> Problem:
        """As a row of the CLI's problem table: file = table and row, value = what was found."""
        expected = f"（应为 {self.expected}）" if self.expected else ""
        expected_en = f" (expected {self.expected})" if self.expected else ""
        return Problem(
            f"{self.table} {self.row}".strip(),
            None,
            self.column,
            self.found,
            self.reason + expected,
            self.reason_en + expected_en,
        )

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        return str(self.problem())


def refuse(findings: Sequence[Finding], what: str, what_en: str, shown: int = 3) -> IntegrityError:
    """The error that stops ``what`` while the record contradicts itself: the
    first ``shown`` findings, Chinese first, and how to see them all."""
    first = findings[:shown]
    more = len(findings) - len(first)
    zh = "；".join(f"{f.table} {f.row}：{f.reason}" for f in first)
    en = "; ".join(f"{f.table} {f.row}: {f.reason_en}" for f in first)
    return IntegrityError(
        f"{what}被拒绝：审计核验发现 {len(findings)} 处不一致：{zh}"
        + (f"；另有 {more} 处" if more else "")
        + "。请运行 dualrandom audit verify 查看全部",
        f"{what_en} refused: the audit check found {len(findings)} contradiction(s): {en}"
        + (f"; and {more} more" if more else "")
        + ". Run 'dualrandom audit verify' to see them all",
    )
