"""Cell parsers: one small class per kind of value in a spreadsheet.

A parser turns the trimmed, non-empty text of one cell into the stored value
or raises :class:`Invalid` with a reason a clerk can act on, in Chinese and
in English (:class:`Reason`). Parsers are pure,
so the importer parses each distinct text of a low-cardinality column (a
status, a date, a district) once and reuses the result: that is what makes a
million-row import fast, and it also shares one string object per district.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence, Set
from datetime import date
from fractions import Fraction
from typing import Any

from stdnum.cn import ric

from dualrandom.core.model import parse_ratio
from dualrandom.sheets._reason import Reason

__all__ = [
    "CONTROL_CHARACTERS",
    "ZERO_WIDTH_CHARACTERS",
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
    "in_the_future",
]

_LIST_SEPARATORS = re.compile(r"[;；、]")
_DATE = re.compile(r"([0-9]{4})([-/])([0-9]{1,2})\2([0-9]{1,2})\Z")
_CODE = re.compile(r"[A-Za-z0-9_-]{1,32}\Z")
_INDUSTRY = re.compile(r"[A-T][0-9]{0,4}\Z")
_TRUE = frozenset({"是", "y", "yes", "true", "1"})
_FALSE = frozenset({"否", "n", "no", "false", "0"})


def _chars(*spans: tuple[int, int]) -> frozenset[str]:
    return frozenset(chr(c) for first, last in spans for c in range(first, last + 1))


# Characters no text field may hold: NUL (PostgreSQL cannot store it) and the
# bidirectional controls, which make text display otherwise than it reads
# ("Trojan Source"): U+202A-U+202E embeddings and overrides, U+2066-U+2069 isolates.
CONTROL_CHARACTERS = _chars((0x0, 0x0), (0x202A, 0x202E), (0x2066, 0x2069))
# Invisible characters that make two names that look alike differ.
ZERO_WIDTH_CHARACTERS = _chars((0x200B, 0x200D), (0x2060, 0x2060), (0xFEFF, 0xFEFF))


def _any_of(chars: frozenset[str]) -> re.Pattern[str]:
    return re.compile("[" + "".join(map(re.escape, sorted(chars))) + "]")


_CONTROLS = _any_of(CONTROL_CHARACTERS)
_ZERO_WIDTH = _any_of(ZERO_WIDTH_CHARACTERS)
_IN_NAMES = _any_of(CONTROL_CHARACTERS | ZERO_WIDTH_CHARACTERS)
# What a name, and what any other text, may not hold; and the ASCII ones of each (NUL).
_NAME_SUSPECTS = tuple(sorted(CONTROL_CHARACTERS | ZERO_WIDTH_CHARACTERS))
_TEXT_SUSPECTS = tuple(sorted(CONTROL_CHARACTERS))
_ASCII = {
    chars: tuple(c for c in chars if c.isascii()) for chars in (_NAME_SUSPECTS, _TEXT_SUSPECTS)
}


def _may_hide(suspects: tuple[str, ...], text: str) -> bool:
    """Whether ``text`` holds one of ``suspects`` (_NAME_SUSPECTS or _TEXT_SUSPECTS).

    A search for each of the dozen characters scans the text at C speed, several
    times faster than a pattern's test of every character; an ASCII text (known
    without reading it) is searched for the ASCII ones alone."""
    return any(char in text for char in (_ASCII[suspects] if text.isascii() else suspects))


Parsed = tuple[list[Any], list[tuple[int, Reason]]]  # values (None where bad), (index, reason)


class Invalid(ValueError):
    """A cell that cannot be read; ``reason`` says why and what would be accepted."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.reason = Reason(zh, en)


REQUIRED = Reason("此列必填，不能为空", "is empty, but this column is required")


def _code_point(char: str) -> str:
    return f"U+{ord(char):04X} {unicodedata.name(char, 'NULL')}"


def _hidden_characters(text: str, name: bool) -> Invalid | None:
    """Why ``text`` may not be stored as it is: a control character in any text, a
    zero-width one in a ``name``; None when it is clean."""
    control = _CONTROLS.search(text)
    if control:
        char = _code_point(control.group())
        return Invalid(
            f"含有不可见的控制字符 {char}，会使显示的文字与实际内容不同；请删除后重新录入",
            f"holds the invisible control character {char}, which makes the text display "
            "otherwise than it is; delete it and re-enter the text",
        )
    zero = _ZERO_WIDTH.search(text) if name else None
    if zero:
        char = _code_point(zero.group())
        return Invalid(
            f"名称中含有零宽字符 {char}，看不见，却使两个看起来相同的名称不同；请删除后重新录入",
            f"the name holds the zero-width character {char}: invisible, yet it makes two "
            "names that look alike differ; delete it and re-enter the name",
        )
    return None


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
                raise Invalid(*REQUIRED)
            return self.default
        return self.parse(text)

    def to_db(self, values: list[Any]) -> list[Any]:
        """The values as the database column holds them (lists become text)."""
        return values

    def parse_many(self, cells: Sequence[str], required: bool) -> Parsed:
        """Every cell of a column: the values (None where bad) and the bad cells' reasons."""
        values: list[Any] = []
        failures: list[tuple[int, Reason]] = []
        for index, cell in enumerate(cells):
            try:
                values.append(self.parse_cell(cell, required))
            except Invalid as exc:
                values.append(None)
                failures.append((index, exc.reason))
        return values, failures


class Text(Field):
    """Free text up to ``max_len`` characters; names and addresses are not memoised.

    No text may hold NUL or a bidirectional control character; a ``name`` (of a
    business, a person, a department, an item) may hold no zero-width character
    either."""

    def __init__(self, max_len: int, *, memo: bool = False, name: bool = False) -> None:
        self.max_len = max_len
        self.memo = memo
        self.name = name
        self._suspects = _NAME_SUSPECTS if name else _TEXT_SUSPECTS

    def parse(self, text: str) -> str:
        hidden = _hidden_characters(text, self.name)
        if hidden:
            raise hidden
        if len(text) > self.max_len:
            raise Invalid(*self._too_long(text))
        return text

    def parse_many(self, cells: Sequence[str], required: bool) -> Parsed:
        # Names and addresses are unique per row: check the whole column with
        # comprehensions instead of one call per cell.
        texts = list(map(str.strip, cells))
        failures: list[tuple[int, Reason]] = []
        if texts and _may_hide(self._suspects, "".join(texts)):
            for i, t in enumerate(texts):
                hidden = _hidden_characters(t, self.name)
                if hidden:
                    failures.append((i, hidden.reason))
        if texts and max(map(len, texts)) > self.max_len:
            bad = {i for i, _ in failures}
            failures += [
                (i, self._too_long(t))
                for i, t in enumerate(texts)
                if len(t) > self.max_len and i not in bad
            ]
        if required and "" in texts:
            failures += [(i, REQUIRED) for i, t in enumerate(texts) if not t]
        return texts, failures

    def _too_long(self, text: str) -> Reason:
        return Reason(
            f"长 {len(text)} 个字符，最多 {self.max_len} 个",
            f"is {len(text)} characters long; at most {self.max_len} are allowed",
        )


class Code(Field):
    """A short identifier such as a department or item code."""

    memo = False

    def parse(self, text: str) -> str:
        if not _CODE.match(text):
            raise Invalid(
                "只能由 1–32 个字母 A–Z a–z、数字 0–9、下划线 _ 或连字符 - 组成",
                "must be 1-32 of the characters A-Z a-z 0-9 _ -",
            )
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
            listed = " / ".join(self.spellings)
            raise Invalid(f"不是以下值之一：{listed}", f"is not one of: {listed}") from None


class Flag(Field):
    """A yes/no cell: 是/否, Y/N, yes/no, true/false, 1/0 (Latin letters in any case)."""

    default = False

    def parse(self, text: str) -> bool:
        folded = text.lower()
        if folded in _TRUE:
            return True
        if folded in _FALSE:
            return False
        raise Invalid(
            "不是“是/否”值：请填 是/否、Y/N、true/false 或 1/0",
            "is not a yes/no value: use 是/否, Y/N, true/false or 1/0",
        )


def parse_day(text: str) -> date:
    """``YYYY-MM-DD`` or ``YYYY/MM/DD``; one-digit months and days as Excel writes them."""
    match = _DATE.match(text)
    if not match:
        raise Invalid(
            "不是 YYYY-MM-DD（或 YYYY/MM/DD）格式的日期",
            "is not a date written YYYY-MM-DD (or YYYY/MM/DD)",
        )
    year, month, day = int(match[1]), int(match[3]), int(match[4])
    try:
        return date(year, month, day)
    except ValueError:
        raise Invalid("不是实际存在的日期", "is not a real calendar date") from None


def in_the_future(today: date) -> Reason:
    """The reason of a date after ``today`` where only a past date makes sense."""
    day = today.isoformat()
    return Reason(f"是将来的日期（今天是 {day}）", f"is in the future (today is {day})")


class Day(Field):
    """A date, optionally not before ``not_before`` (e.g. 1949-10-01 for an establishment)."""

    default = None

    def __init__(self, not_before: date | None = None) -> None:
        self.not_before = not_before

    def parse(self, text: str) -> date:
        value = parse_day(text)
        if self.not_before and value < self.not_before:
            first = self.not_before.isoformat()
            raise Invalid(f"早于 {first}", f"is before {first}")
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
            hidden = _hidden_characters(part, name=False)
            if hidden:
                raise hidden
            if len(part) > self.max_len:
                raise Invalid(
                    f"其中的“{part}”超过 {self.max_len} 个字符",
                    f"element {part!r} is longer than {self.max_len} characters",
                )
            if self.element is not None:
                try:
                    self.element.parse(part)
                except Invalid as exc:
                    zh, en = exc.reason
                    raise Invalid(f"其中的“{part}”{zh}", f"element {part!r} {en}") from None
        return tuple(sorted(parts))

    def to_db(self, values: list[Any]) -> list[Any]:
        joined = {value: ";".join(value) for value in set(values)}
        return list(map(joined.__getitem__, values))


class Industry(Field):
    """A GB/T 4754 industry code: a section letter A-T and up to four digits."""

    def parse(self, text: str) -> str:
        if not _INDUSTRY.match(text):
            raise Invalid(
                "不是 GB/T 4754 行业代码：门类字母 A–T 加至多 4 位数字，如 F5211",
                "is not a GB/T 4754 code: a section letter A-T and up to 4 digits, e.g. F5211",
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
                raise Invalid(
                    f"日期范围“{part}”的结束早于开始", f"range {part!r} ends before it starts"
                )
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
            raise Invalid(
                "不是有效的居民身份证号码（GB 11643 校验未通过）",
                "is not a valid resident ID number (GB 11643 check failed)",
            ) from None


class Ratio(Field):
    """A share in (0, 1], written as a decimal (0.05) or a percentage (5%)."""

    def parse(self, text: str) -> Fraction:
        try:
            return parse_ratio(text)
        except ValueError:
            raise Invalid(
                "不是大于 0 且不超过 1 的比例，如 0.05 或 5%",
                "is not a ratio greater than 0 and at most 1, e.g. 0.05 or 5%",
            ) from None


class PositiveInt(Field):
    """A whole number of at least 1."""

    default = None

    def parse(self, text: str) -> int:
        if not (text.isascii() and text.isdigit()) or int(text) < 1:
            raise Invalid("不是不小于 1 的整数", "is not a whole number of at least 1")
        return int(text)
