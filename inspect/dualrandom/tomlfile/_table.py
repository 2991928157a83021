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
from typing import Any, NamedTuple, TypeVar

from dualrandom.core.model import nfc, parse_ratio
from dualrandom.errors import Problem
from dualrandom.tomlfile._locate import KeyPath, Locator, key_label

__all__ = ["Hint", "Source", "Table", "hint", "one_of", "parse_toml", "show"]

T = TypeVar("T")

_TOML_POSITION = re.compile(r" \(at (?:line (\d+), column \d+|end of document)\)$")


@dataclass(frozen=True, slots=True)
class Source:
    """One rules file: the name problems are reported under, and its key positions."""

    name: str
    locator: Locator

    def problem(self, path: KeyPath, value: object, reason: str, reason_en: str) -> Problem:
        """A problem at ``path``: ``reason`` in Chinese for the clerk, ``reason_en`` beside it."""
        line = self.locator.line(path)
        return Problem(self.name, line, key_label(path), show(value), reason, reason_en)


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


class Hint(NamedTuple):
    """The end of a reason that names a likely fix: Chinese, and English beside it."""

    zh: str
    en: str


def hint(value: str, known: Collection[str], *, list_known: bool = True) -> Hint:
    """``；是否应为 'x'？`` / ``; did you mean 'x'?``, or (if ``list_known``)
    ``；可用的值：a, b, c`` / ``; known: a, b, c``; else two empty strings."""
    names = list(known) if isinstance(known, Sequence) else sorted(known)  # sets: stable order
    close = difflib.get_close_matches(value, names, n=1, cutoff=0.6)
    if close:
        return Hint(f"；是否应为 {close[0]!r}？", f"; did you mean {close[0]!r}?")
    if list_known and len(names) <= 20:
        return Hint(f"；可用的值：{', '.join(names)}", f"; known: {', '.join(names)}")
    return Hint("", "")


def one_of(value: str, choices: Collection[str]) -> Hint:
    """``不是 a、b 之一`` / ``is not one of a, b``, with a did-you-mean when one is close."""
    close = hint(value, choices, list_known=False)
    return Hint(
        f"不是 {'、'.join(choices)} 之一{close.zh}",
        f"is not one of {', '.join(choices)}{close.en}",
    )


def _toml_type(value: object) -> Hint:
    """The TOML name of a parsed value's type, for "must be X, not Y" messages."""
    if isinstance(value, bool):
        return Hint("布尔值", "a boolean")
    if isinstance(value, datetime):
        return Hint("日期时间", "a date-time")
    for kind, zh, en in (
        (str, "字符串", "a string"),
        (int, "整数", "an integer"),
        (float, "浮点数", "a float"),
        (date, "日期", "a date"),
        (time, "时间", "a time"),
        (list, "数组", "an array"),
        (dict, "表", "a table"),
    ):
        if isinstance(value, kind):
            return Hint(zh, en)
    return Hint(type(value).__name__, type(value).__name__)


_STRING = Hint("字符串", "a string")
_NO_HINT = Hint("", "")


def _too_long(max_len: int) -> Hint:
    return Hint(f"超过 {max_len} 个字符", f"is longer than {max_len} characters")


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
                close = hint(key, known)
                self.fail(
                    key, value, f"未知的键 {key!r}{close.zh}", f"unknown key {key!r}{close.en}"
                )

    # -- reporting ---------------------------------------------------------

    def fail(self, key: str | int | KeyPath, value: object, reason: str, reason_en: str) -> None:
        """Record a problem at ``key`` (or a deeper key path) of this table:
        ``reason`` in Chinese for the clerk, ``reason_en`` beside it."""
        self.ok = False
        path = key if isinstance(key, tuple) else (key,)
        self.sink.append(self.source.problem((*self.path, *path), value, reason, reason_en))

    def build(self, factory: Callable[[], T], *, blame: str) -> T | None:
        """Construct a value object; its ValueError becomes a problem.

        The value objects' messages name the key they reject ("max 3 is
        below min 5"), so the problem is placed at the first key of this
        table that the message mentions, else at ``blame``. The readers
        check every rule a clerk can break before this, in both languages;
        the value object's (English) message is the last line of defence.
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
            self.fail(key, self.data.get(key), f"取值不符合规则：{message}", message)
            return None

    # -- raw access --------------------------------------------------------

    def _get(self, key: str, required: bool) -> Any:
        assert key in self.known, f"{key!r} is read but not declared in rules.schema"
        if key in self.data:
            return self.data[key]
        if required and self.quiet:
            self.ok = False
        elif required:
            self.fail(key, None, f"缺少必填的键 {key!r}", f"missing required key {key!r}")
        return _MISSING

    def _typed(self, key: str, value: Any, kind: type | tuple[type, ...], want: Hint) -> bool:
        if isinstance(value, kind) and not (isinstance(value, bool) and kind is int):
            return True
        got = _toml_type(value)
        self.fail(key, value, f"应为{want.zh}，而不是{got.zh}", f"must be {want.en}, not {got.en}")
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
        if value is _MISSING or not self._typed(key, value, str, _STRING):
            return default
        text = nfc(value.strip())
        if required and not text:
            self.fail(key, value, "不能为空", "must not be empty")
        elif len(text) > max_len:
            self.fail(key, value, *_too_long(max_len))
        elif choices and text not in choices:
            self.fail(key, value, *one_of(text, choices))
        return text

    def integer(
        self,
        key: str,
        *,
        required: bool = False,
        default: int | None = None,
        minimum: int = 0,
        maximum: int | None = None,
        why: Hint = _NO_HINT,
    ) -> int | None:
        value = self._get(key, required)
        if value is _MISSING:
            return default
        if not self._typed(key, value, int, Hint("整数", "an integer")):
            return default
        if value < minimum:
            self.fail(
                key, value, f"不能小于 {minimum}{why.zh}", f"must be at least {minimum}{why.en}"
            )
        elif maximum is not None and value > maximum:
            self.fail(key, value, f"不能大于 {maximum}", f"must be at most {maximum}")
        return int(value)

    def flag(self, key: str, *, default: bool) -> bool:
        value = self._get(key, False)
        if value is _MISSING or not self._typed(
            key, value, bool, Hint(" true 或 false", "true or false")
        ):
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
            self.fail(
                key,
                value,
                f"应为不加引号的 TOML 日期，例如 {key} = 2027-01-04",
                f"must be a TOML date without quotes, e.g. {key} = 2027-01-04",
            )
        else:
            got = _toml_type(value)
            self.fail(
                key,
                value,
                f"应为 2027-01-04 这样的日期，而不是{got.zh}",
                f"must be a date such as 2027-01-04, not {got.en}",
            )
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
                f'应为加引号的小数，例如 {key} = "{value}"：TOML 数字是二进制浮点数，'
                "浮点数不得进入抽取",
                f'must be a quoted decimal, e.g. {key} = "{value}": a TOML number '
                "is binary floating point, and floats never enter a draw",
            )
            return None
        want = Hint('加引号的小数，例如 "0.05" 或 "5%"', 'a quoted decimal such as "0.05" or "5%"')
        if not self._typed(key, value, str, want):
            return None
        try:
            return parse_ratio(value)
        except ValueError as exc:
            self.fail(
                key,
                value,
                f"比例 {value!r} 应为大于 0、不超过 1 的小数或百分数，例如 0.05 或 5%",
                str(exc),
            )
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
        want = Hint('字符串数组，例如 ["a", "b"]', 'an array of strings, e.g. ["a", "b"]')
        if not self._typed(key, value, list, want):
            return tuple(default)
        if required and not value:
            self.fail(key, value, "至少要列出一个值", "must list at least one value")
        result: list[str] = []
        for index, element in enumerate(value):
            text = self._element(key, index, element, choices, max_len)
            if text is None:
                continue
            if text in result:
                self.fail((key, index), element, "列出了两次", "is listed twice")
            result.append(text)
        return tuple(result)

    def _element(
        self, key: str, index: int, element: object, choices: Collection[str], max_len: int
    ) -> str | None:
        if not isinstance(element, str):
            got = _toml_type(element)
            self.fail(
                (key, index),
                element,
                f"应为字符串，而不是{got.zh}",
                f"must be a string, not {got.en}",
            )
            return None
        text = nfc(element.strip())
        if not text:
            self.fail((key, index), element, "不能为空", "must not be empty")
        elif len(text) > max_len:
            self.fail((key, index), element, *_too_long(max_len))
        elif choices and text not in choices:
            self.fail((key, index), element, *one_of(text, choices))
        else:
            return text
        return None

    def table(self, key: str, known: Sequence[str], *, required: bool = False) -> Table:
        """A sub-table; an absent one reads as empty (every key at its default)."""
        value = self._get(key, required)
        if value is not _MISSING and self._typed(key, value, dict, Hint("表", "a table")):
            return Table(self.source, self.sink, (*self.path, key), value, known)
        table = Table(self.source, self.sink, (*self.path, key), {}, known)
        table.ok = table.ok and (value is _MISSING and not required)
        table.quiet = True
        return table

    def tables(self, key: str, known: Sequence[str]) -> list[Table]:
        """An array of tables (``[[key]]`` or ``key = [{…}, {…}]``)."""
        value = self._get(key, False)
        if value is _MISSING or not self._typed(
            key, value, list, Hint("表数组", "an array of tables")
        ):
            return []
        result = []
        for index, element in enumerate(value):
            if isinstance(element, dict):
                result.append(
                    Table(self.source, self.sink, (*self.path, key, index), element, known)
                )
            else:
                got = _toml_type(element)
                self.fail(
                    (key, index),
                    element,
                    f"应为表，而不是{got.zh}",
                    f"must be a table, not {got.en}",
                )
        return result
