"""Strict, position-aware reading of one TOML table at a time.

A :class:`Table` wraps a parsed TOML table and reads typed values out of it.
Nothing raises: every unknown key, missing key, wrong type or bad value is
recorded as a :class:`~dualrandom.errors.Problem` naming the file, the line
and the key path, and the reader goes on, so one run reports every problem in
every file. A read that fails returns a harmless default and marks the table
not ``ok``; callers build a value object only from an ``ok`` table.
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from fractions import Fraction
from typing import Any, TypeVar

from dualrandom.core.model import nfc, parse_ratio
from dualrandom.errors import Problem
from dualrandom.tomlfile._locate import KeyPath, Locator, key_label

__all__ = ["Source", "Table", "hint", "parse_toml", "show"]

T = TypeVar("T")

_TOML_POSITION = re.compile(r" \(at (?:line (\d+), column \d+|end of document)\)$")


@dataclass(frozen=True, slots=True)
class Source:
    """One rules file: the name problems are reported under, and its key positions."""

    name: str
    locator: Locator

    def problem(self, path: KeyPath, value: object, reason: str) -> Problem:
        return Problem(self.name, self.locator.line(path), key_label(path), show(value), reason)


def parse_toml(name: str, raw: bytes, sink: list[Problem]) -> tuple[dict[str, Any], Source] | None:
    """Decode and parse a file; a syntax error becomes a problem and ``None``."""
    try:
        text = raw.decode("utf-8-sig")  # Windows editors like to prepend a BOM
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        sink.append(
            Problem(
                name,
                line,
                "",
                "",
                "不是 UTF-8 文本；请将文件另存为 UTF-8",
                "is not UTF-8 text; save the file as UTF-8",
            )
        )
        return None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = _TOML_POSITION.search(message)
        line = int(match.group(1)) if match and match.group(1) else text.count("\n") + 1
        reason = message[: match.start()] if match else message
        sink.append(
            Problem(name, line, "", "", f"TOML 语法错误：{reason}", f"TOML syntax error: {reason}")
        )
        return None
    return data, Source(name, Locator(text))


def show(value: object) -> str:
    """A short, TOML-like rendering of a value for a problem report."""
    if value is None:
        return ""
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, date | time):
        text = value.isoformat()
    elif isinstance(value, list | dict):
        text = json.dumps(value, ensure_ascii=False, default=str)
    else:
        text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def hint(value: str, known: Collection[str], *, list_known: bool = True) -> str:
    """``; did you mean 'x'?`` or (if ``list_known``) ``; known: a, b, c``."""
    names = list(known) if isinstance(known, Sequence) else sorted(known)  # sets: stable order
    close = difflib.get_close_matches(value, names, n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]!r}?"
    return f"; known: {', '.join(names)}" if list_known and len(names) <= 20 else ""


def _toml_type(value: object) -> str:
    """The TOML name of a parsed value's type, for "must be X, not Y" messages."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, datetime):
        return "a date-time"
    for kind, name in (
        (str, "a string"),
        (int, "an integer"),
        (float, "a float"),
        (date, "a date"),
        (time, "a time"),
        (list, "an array"),
        (dict, "a table"),
    ):
        if isinstance(value, kind):
            return name
    return type(value).__name__


class _Missing:
    """Marks an absent key (``None`` is not a TOML value, but be explicit)."""


_MISSING = _Missing()


class Table:
    """Typed, strict access to one TOML table."""

    def __init__(
        self,
        source: Source,
        sink: list[Problem],
        path: KeyPath,
        data: Mapping[str, Any],
        known: Sequence[str],
    ) -> None:
        self.source = source
        self.sink = sink
        self.path = path
        self.data = data
        self.known = known
        self.ok = True
        self.quiet = False  # a table already reported absent or mistyped: no "missing key" noise
        for key, value in data.items():
            if key not in known:
                self.fail(key, value, f"unknown key {key!r}{hint(key, known)}")

    # -- reporting ---------------------------------------------------------

    def fail(self, key: str | int | KeyPath, value: object, reason: str) -> None:
        """Record a problem at ``key`` (or a deeper key path) of this table."""
        self.ok = False
        path = key if isinstance(key, tuple) else (key,)
        self.sink.append(self.source.problem((*self.path, *path), value, reason))

    def build(self, factory: Callable[[], T], *, blame: str) -> T | None:
        """Construct a value object; its ValueError becomes a problem.

        The value objects' messages name the key they reject ("max 3 is
        below min 5"), so the problem is placed at the first key of this
        table that the message mentions, else at ``blame``.
        """
        try:
            return factory()
        except ValueError as exc:
            message = str(exc)
            hits = [
                (match.start(), key)
                for key in self.known
                if (match := re.search(rf"(?<![\w.]){re.escape(key)}(?![\w])", message))
            ]
            key = min(hits)[1] if hits else blame
            self.fail(key, self.data.get(key), message)
            return None

    # -- raw access --------------------------------------------------------

    def _get(self, key: str, required: bool) -> Any:
        assert key in self.known, f"{key!r} is read but not declared in rules.schema"
        if key in self.data:
            return self.data[key]
        if required and self.quiet:
            self.ok = False
        elif required:
            self.fail(key, None, f"missing required key {key!r}")
        return _MISSING

    def _typed(self, key: str, value: Any, kind: type | tuple[type, ...], want: str) -> bool:
        if isinstance(value, kind) and not (isinstance(value, bool) and kind is int):
            return True
        self.fail(key, value, f"must be {want}, not {_toml_type(value)}")
        return False

    # -- scalars -----------------------------------------------------------

    def text(
        self,
        key: str,
        *,
        required: bool = False,
        default: str = "",
        max_len: int = 200,
        choices: Collection[str] = (),
    ) -> str:
        value = self._get(key, required)
        if value is _MISSING or not self._typed(key, value, str, "a string"):
            return default
        text = nfc(value.strip())
        if required and not text:
            self.fail(key, value, "must not be empty")
        elif len(text) > max_len:
            self.fail(key, value, f"is longer than {max_len} characters")
        elif choices and text not in choices:
            self.fail(
                key,
                value,
                f"is not one of {', '.join(choices)}{hint(text, choices, list_known=False)}",
            )
        return text

    def integer(
        self,
        key: str,
        *,
        required: bool = False,
        default: int | None = None,
        minimum: int = 0,
        maximum: int | None = None,
        why: str = "",
    ) -> int | None:
        value = self._get(key, required)
        if value is _MISSING:
            return default
        if not self._typed(key, value, int, "an integer"):
            return default
        if value < minimum:
            self.fail(key, value, f"must be at least {minimum}{why}")
        elif maximum is not None and value > maximum:
            self.fail(key, value, f"must be at most {maximum}")
        return int(value)

    def flag(self, key: str, *, default: bool) -> bool:
        value = self._get(key, False)
        if value is _MISSING or not self._typed(key, value, bool, "true or false"):
            return default
        return bool(value)

    def day(self, key: str) -> date:
        """A required TOML local date (``2027-01-04``, unquoted)."""
        value = self._get(key, True)
        if value is _MISSING:
            return date.min
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if isinstance(value, str):
            self.fail(key, value, f"must be a TOML date without quotes, e.g. {key} = 2027-01-04")
        else:
            self.fail(key, value, f"must be a date such as 2027-01-04, not {_toml_type(value)}")
        return date.min

    def ratio(self, key: str, *, required: bool) -> Fraction | None:
        """A ratio in (0, 1] written as a quoted decimal or percentage."""
        value = self._get(key, required)
        if value is _MISSING:
            return None
        if isinstance(value, float | int) and not isinstance(value, bool):
            self.fail(
                key,
                value,
                f'must be a quoted decimal, e.g. {key} = "{value}": a TOML number '
                "is binary floating point, and floats never enter a draw",
            )
            return None
        if not self._typed(key, value, str, 'a quoted decimal such as "0.05" or "5%"'):
            return None
        try:
            return parse_ratio(value)
        except ValueError as exc:
            self.fail(key, value, str(exc))
            return None

    # -- collections -------------------------------------------------------

    def texts(
        self,
        key: str,
        *,
        required: bool = False,
        default: Sequence[str] = (),
        choices: Collection[str] = (),
        max_len: int = 200,
    ) -> tuple[str, ...]:
        """An array of strings; each non-empty, listed once, among ``choices`` if given."""
        value = self._get(key, required)
        if value is _MISSING:
            return tuple(default)
        if not self._typed(key, value, list, 'an array of strings, e.g. ["a", "b"]'):
            return tuple(default)
        if required and not value:
            self.fail(key, value, "must list at least one value")
        result: list[str] = []
        for index, element in enumerate(value):
            text = self._element(key, index, element, choices, max_len)
            if text is None:
                continue
            if text in result:
                self.fail((key, index), element, "is listed twice")
            result.append(text)
        return tuple(result)

    def _element(
        self, key: str, index: int, element: object, choices: Collection[str], max_len: int
    ) -> str | None:
        if not isinstance(element, str):
            self.fail((key, index), element, f"must be a string, not {_toml_type(element)}")
            return None
        text = nfc(element.strip())
        if not text:
            self.fail((key, index), element, "must not be empty")
        elif len(text) > max_len:
            self.fail((key, index), element, f"is longer than {max_len} characters")
        elif choices and text not in choices:
            reason = f"is not one of {', '.join(choices)}{hint(text, choices, list_known=False)}"
            self.fail((key, index), element, reason)
        else:
            return text
        return None

    def table(self, key: str, known: Sequence[str], *, required: bool = False) -> Table:
        """A sub-table; an absent one reads as empty (every key at its default)."""
        value = self._get(key, required)
        if value is not _MISSING and self._typed(key, value, dict, "a table"):
            return Table(self.source, self.sink, (*self.path, key), value, known)
        table = Table(self.source, self.sink, (*self.path, key), {}, known)
        table.ok = table.ok and (value is _MISSING and not required)
        table.quiet = True
        return table

    def tables(self, key: str, known: Sequence[str]) -> list[Table]:
        """An array of tables (``[[key]]`` or ``key = [{…}, {…}]``)."""
        value = self._get(key, False)
        if value is _MISSING or not self._typed(key, value, list, "an array of tables"):
            return []
        result = []
        for index, element in enumerate(value):
            if isinstance(element, dict):
                result.append(
                    Table(self.source, self.sink, (*self.path, key, index), element, known)
                )
            else:
                self.fail((key, index), element, f"must be a table, not {_toml_type(element)}")
        return result
