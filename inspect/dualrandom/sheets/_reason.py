"""How a problem is worded: its reason in two languages, its value as shown."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import NamedTuple

from dualrandom.errors import Problem, ValidationError

__all__ = ["Reason", "file_problem", "shown"]


class Reason(NamedTuple):
    """Why a cell or file is wrong: Chinese first, for the clerk; English beside it."""

    zh: str
    en: str


def shown(text: str) -> str:
    """``text`` with every control and invisible format character written as ``<U+202E>``,
    so that a problem report shows what a cell holds instead of being steered by it."""
    if text.isprintable():
        return text
    return "".join(
        f"<U+{ord(c):04X}>" if unicodedata.category(c) in ("Cc", "Cf") else c for c in text
    )


def file_problem(
    path: Path, reason: Reason, row: int | None = None, value: str = ""
) -> ValidationError:
    """A problem with the file as a whole (or with one of its lines), as the error to raise."""
    return ValidationError([Problem(path.name, row, "", value, *reason)])
