"""Cell parsers: one small class per kind of value in a spreadsheet.

A parser turns the trimmed, non-empty text of one cell into the stored value
or raises :class:`Invalid` with a reason a clerk can act on. Parsers are pure,
so the importer parses each distinct text of a low-cardinality column (a
status, a date, a district) once and reuses the result: that is what makes a
million-row import fast, and it also shares one string object per district.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence, Set
from datetime import date
from fractions import Fraction
from typing import Any

from stdnum.cn import ric

from dualrandom.core.model import parse_ratio

__all__ = [
    "Choice",
    "Code",
    "DateRanges",
    "Day",
    "Field",
    "Flag",
    "Industry",
    "Invalid",
    "Parsed",
    "PositiveInt",
    "Ratio",
    "ResidentId",
    "Text",
    "TextList",
]

_LIST_SEPARATORS = re.compile(r"[;；、]")
_DATE = re.compile(r"([0-9]{4})([-/])([0-9]{1,2})\2([0-9]{1,2})\Z")
_CODE = re.compile(r"[A-Za-z0-9_-]{1,32}\Z")
_INDUSTRY = re.compile(r"[A-T][0-9]{0,4}\Z")
Parsed = tuple[list[Any], list[tuple[int, str]]]  # values (None where bad), (index, reason)
_TRUE = frozenset({"是", "y", "yes", "true", "1"})
_FALSE = frozenset({"否", "n", "no", "false", "0"})


class Invalid(ValueError):
    """A cell that cannot be read; ``reason`` says why and what would be accepted."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


REQUIRED = "is empty, but this column is required"


class Field:
    """A kind of cell. ``memo``: the importer may parse each distinct text once."""

    memo = True
    default: Any = ""

    def parse(self, text: str) -> Any:
        """The value of a trimmed, non-empty cell; raises :class:`Invalid`."""
        raise NotImplementedError

    def parse_cell(self, cell: str, required: bool) -> Any:
        text = cell.strip()
        if not text:
            if required:
                raise Invalid(REQUIRED)
            return self.default
        return self.parse(text)

    def to_db(self, values: list[Any]) -> list[Any]:
        """The values as the database column holds them (lists become text)."""
        return values

    def parse_many(self, cells: Sequence[str], required: bool) -> Parsed:
        """Every cell of a column: the values (None where bad) and the bad cells' reasons."""
        values: list[Any] = []
        failures: list[tuple[int, str]] = []
        for index, cell in enumerate(cells):
            try:
                values.append(self.parse_cell(cell, required))
            except Invalid as exc:
                values.append(None)
                failures.append((index, exc.reason))
        return values, failures


class Text(Field):
    """Free text up to ``max_len`` characters; names and addresses are not memoised."""

    def __init__(self, max_len: int, *, memo: bool = False) -> None:
        self.max_len = max_len
        self.memo = memo

    def parse(self, text: str) -> str:
        if len(text) > self.max_len:
            raise Invalid(self._too_long(text))
        return text

    def parse_many(self, cells: Sequence[str], required: bool) -> Parsed:
        # Names and addresses are unique per row: check the whole column with
        # comprehensions instead of one call per cell.
        texts = list(map(str.strip, cells))
        failures = []
        if texts and max(map(len, texts)) > self.max_len:
            failures = [
                (i, self._too_long(t)) for i, t in enumerate(texts) if len(t) > self.max_len
            ]
        if required and "" in texts:
            failures += [(i, REQUIRED) for i, t in enumerate(texts) if not t]
        return texts, failures

    def _too_long(self, text: str) -> str:
        return f"is {len(text)} characters long; at most {self.max_len} are allowed"


class Code(Field):
    """A short identifier such as a department or item code."""

    memo = False

    def parse(self, text: str) -> str:
        if not _CODE.match(text):
            raise Invalid("must be 1-32 of the characters A-Z a-z 0-9 _ -")
        return text


class Choice(Field):
    """One of a fixed set of values; ``spellings`` maps each accepted text to the stored value."""

    def __init__(self, spellings: Mapping[str, str] | Iterable[str], default: str = "") -> None:
        self.default = default
        if isinstance(spellings, Mapping):
            self.spellings: dict[str, str] = dict(spellings)
        else:
            # A set has no order of its own; messages list the values in a stable one.
            ordered = sorted(spellings) if isinstance(spellings, Set) else spellings
            self.spellings = {value: value for value in ordered}

    def parse(self, text: str) -> str:
        try:
            return self.spellings[text]
        except KeyError:
            raise Invalid(f"is not one of: {' / '.join(self.spellings)}") from None


class Flag(Field):
    """A yes/no cell: 是/否, Y/N, yes/no, true/false, 1/0 (Latin letters in any case)."""

    default = False

    def parse(self, text: str) -> bool:
        folded = text.lower()
        if folded in _TRUE:
            return True
        if folded in _FALSE:
            return False
        raise Invalid("is not a yes/no value: use 是/否, Y/N, true/false or 1/0")


def parse_day(text: str) -> date:
    """``YYYY-MM-DD`` or ``YYYY/MM/DD``; one-digit months and days as Excel writes them."""
    match = _DATE.match(text)
    if not match:
        raise Invalid("is not a date written YYYY-MM-DD (or YYYY/MM/DD)")
    year, month, day = int(match[1]), int(match[3]), int(match[4])
    try:
        return date(year, month, day)
    except ValueError:
        raise Invalid("is not a real calendar date") from None


class Day(Field):
    """A date, optionally not before ``not_before`` (e.g. 1949-10-01 for an establishment)."""

    default = None

    def __init__(self, not_before: date | None = None) -> None:
        self.not_before = not_before

    def parse(self, text: str) -> date:
        value = parse_day(text)
        if self.not_before and value < self.not_before:
            raise Invalid(f"is before {self.not_before.isoformat()}")
        return value


class TextList(Field):
    """A list separated by ``;``, ``；`` or ``、``; stored sorted and without repeats."""

    default = ()

    def __init__(self, max_len: int, element: Field | None = None) -> None:
        self.max_len = max_len
        self.element = element

    def parse(self, text: str) -> tuple[str, ...]:
        parts = {part.strip() for part in _LIST_SEPARATORS.split(text)} - {""}
        for part in parts:
            if len(part) > self.max_len:
                raise Invalid(f"element {part!r} is longer than {self.max_len} characters")
            if self.element is not None:
                try:
                    self.element.parse(part)
                except Invalid as exc:
                    raise Invalid(f"element {part!r} {exc.reason}") from None
        return tuple(sorted(parts))

    def to_db(self, values: list[Any]) -> list[Any]:
        joined = {value: ";".join(value) for value in set(values)}
        return list(map(joined.__getitem__, values))


class Industry(Field):
    """A GB/T 4754 industry code: a section letter A-T and up to four digits."""

    def parse(self, text: str) -> str:
        if not _INDUSTRY.match(text):
            raise Invalid(
                "is not a GB/T 4754 code: a section letter A-T and up to 4 digits, e.g. F5211"
            )
        return text


class DateRanges(Field):
    """Ranges such as ``2027-01-10..2027-01-20``; a single date is a one-day range."""

    default = ()

    def parse(self, text: str) -> tuple[tuple[date, date], ...]:
        ranges = set()
        for part in {p.strip() for p in _LIST_SEPARATORS.split(text)} - {""}:
            start_text, _, end_text = part.partition("..")
            start = parse_day(start_text.strip())
            end = parse_day(end_text.strip()) if end_text else start
            if end < start:
                raise Invalid(f"range {part!r} ends before it starts")
            ranges.add((start, end))
        return tuple(sorted(ranges))

    def to_db(self, values: list[Any]) -> list[Any]:
        return [";".join(f"{start}..{end}" for start, end in ranges) for ranges in values]


class ResidentId(Field):
    """A resident identity number (GB 11643): 18 characters, a real birth date, a check digit."""

    memo = False

    def parse(self, text: str) -> str:
        try:
            return str(ric.validate(text))
        except ValueError:
            raise Invalid("is not a valid resident ID number (GB 11643 check failed)") from None


class Ratio(Field):
    """A share in (0, 1], written as a decimal (0.05) or a percentage (5%)."""

    def parse(self, text: str) -> Fraction:
        try:
            return parse_ratio(text)
        except ValueError:
            raise Invalid("is not a ratio greater than 0 and at most 1, e.g. 0.05 or 5%") from None


class PositiveInt(Field):
    """A whole number of at least 1."""

    default = None

    def parse(self, text: str) -> int:
        if not (text.isascii() and text.isdigit()) or int(text) < 1:
            raise Invalid("is not a whole number of at least 1")
        return int(text)
