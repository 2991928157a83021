"""Find the line of a key path in TOML source text.

``tomllib`` returns plain dicts without positions, yet every problem in a
rules file must name its line. Rather than depend on a second TOML parser,
this module re-scans the (already successfully parsed) text just enough to
record where each key, table header and array element begins:

    [team]                      ("team",)                 line of the header
    size = 2                    ("team", "size")
    [[stratum]]                 ("stratum",), ("stratum", 0)
    where = { risk_class = … }  ("stratum", 0, "where"), (…, "where", "risk_class")
    items = ["A", "B"]          ("items",), ("items", 0), ("items", 1)

A key that is absent (a missing required key) is reported at the line of the
nearest enclosing table that is present, which is where it should be added.
"""

from __future__ import annotations

import bisect
import re
import tomllib

__all__ = ["KeyPath", "Locator", "key_label"]

KeyPath = tuple[str | int, ...]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SCALAR_END = frozenset(",]}\n\r#")


def key_label(path: KeyPath) -> str:
    """``("stratum", 1, "where")`` → ``stratum[2].where``: array positions count from 1."""
    label = ""
    for part in path:
        if isinstance(part, int):
            label += f"[{part + 1}]"
        else:
            label += f".{part}" if label else part
    return label


class Locator:
    """Line numbers (from 1) of the key paths of one TOML document."""

    def __init__(self, text: str) -> None:
        self._lines = _Scanner(text).scan()

    def line(self, path: KeyPath) -> int:
        """The line of ``path``, or of its longest prefix present in the text, or 1."""
        for end in range(len(path), 0, -1):
            found = self._lines.get(path[:end])
            if found is not None:
                return found
        return 1


class _Scanner:
    """A structural TOML reader: it skips values and keeps only positions."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.newlines = [i for i, char in enumerate(text) if char == "\n"]
        self.lines: dict[KeyPath, int] = {}
        self.array_tables: dict[KeyPath, int] = {}  # [[x]] path -> index of its last element

    def scan(self) -> dict[KeyPath, int]:
        table: KeyPath = ()
        while True:
            self.skip_blank(newlines=True)
            if self.pos >= len(self.text):
                return self.lines
            before = self.pos
            if self.text.startswith("[[", self.pos):
                table = self.array_table_header()
            elif self.peek() == "[":
                table = self.table_header()
            else:
                self.key_value(table)
            if self.pos == before:  # not valid TOML after all: never loop forever
                self.pos += 1

    # -- positions ---------------------------------------------------------

    def line_at(self, pos: int) -> int:
        return bisect.bisect_left(self.newlines, pos) + 1

    def mark(self, path: KeyPath, pos: int) -> None:
        """Record the first place each prefix of ``path`` appears."""
        line = self.line_at(pos)
        for end in range(1, len(path) + 1):
            self.lines.setdefault(path[:end], line)

    def resolve(self, keys: list[str]) -> KeyPath:
        """A header's dotted key, with the current element of each array of tables."""
        path: KeyPath = ()
        for key in keys:
            path += (key,)
            if path in self.array_tables:
                path += (self.array_tables[path],)
        return path

    # -- document structure ------------------------------------------------

    def array_table_header(self) -> KeyPath:
        start = self.pos
        self.pos += 2
        keys = self.keys()
        self.skip_past("]]")
        array = (*self.resolve(keys[:-1]), keys[-1])
        index = self.array_tables.get(array, -1) + 1
        self.array_tables[array] = index
        self.mark((*array, index), start)
        return (*array, index)

    def table_header(self) -> KeyPath:
        start = self.pos
        self.pos += 1
        path = self.resolve(self.keys())
        self.skip_past("]")
        self.mark(path, start)
        return path

    def key_value(self, table: KeyPath) -> None:
        start = self.pos
        path = (*table, *self.keys())
        self.mark(path, start)
        self.skip_past("=")
        self.skip_blank(newlines=False)
        self.value(path)

    def value(self, path: KeyPath) -> None:
        char = self.peek()
        if char in ('"', "'"):
            self.string()
        elif char == "[":
            self.array(path)
        elif char == "{":
            self.inline_table(path)
        else:
            while self.pos < len(self.text) and self.text[self.pos] not in _SCALAR_END:
                self.pos += 1

    def array(self, path: KeyPath) -> None:
        self.pos += 1
        index = 0
        while self.pos < len(self.text):
            self.skip_blank(newlines=True)
            if self.peek() == "]":
                self.pos += 1
                return
            before = self.pos
            self.mark((*path, index), self.pos)
            self.value((*path, index))
            self.skip_blank(newlines=True)
            if self.peek() == ",":
                self.pos += 1
                index += 1
            elif self.pos == before:
                self.pos += 1

    def inline_table(self, path: KeyPath) -> None:
        self.pos += 1
        while self.pos < len(self.text):
            self.skip_blank(newlines=True)
            if self.peek() == "}":
                self.pos += 1
                return
            if self.peek() == ",":
                self.pos += 1
                continue
            before = self.pos
            self.key_value(path)
            if self.pos == before:
                self.pos += 1

    # -- lexical pieces ----------------------------------------------------

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def skip_blank(self, *, newlines: bool) -> None:
        """Skip spaces, tabs, comments and (if ``newlines``) line breaks."""
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char in " \t" or (newlines and char in "\r\n"):
                self.pos += 1
            elif char == "#":
                while self.pos < len(self.text) and self.text[self.pos] != "\n":
                    self.pos += 1
            else:
                return

    def skip_past(self, token: str) -> None:
        self.skip_blank(newlines=False)
        if self.text.startswith(token, self.pos):
            self.pos += len(token)

    def keys(self) -> list[str]:
        """A dotted key: bare or quoted parts separated by dots."""
        keys: list[str] = []
        while True:
            self.skip_blank(newlines=False)
            if self.peek() in ('"', "'"):
                start = self.pos
                self.string()
                keys.append(_decode_key(self.text[start : self.pos]))
            else:
                match = _BARE_KEY.match(self.text, self.pos)
                if not match:
                    return keys or [""]
                keys.append(match.group())
                self.pos = match.end()
            self.skip_blank(newlines=False)
            if self.peek() != ".":
                return keys
            self.pos += 1

    def string(self) -> None:
        quote = self.text[self.pos]
        if self.text.startswith(quote * 3, self.pos):
            self.multiline_string(quote)
            return
        self.pos += 1
        while self.pos < len(self.text) and self.text[self.pos] not in (quote, "\n"):
            self.pos += 2 if quote == '"' and self.text[self.pos] == "\\" else 1
        self.pos += 1

    def multiline_string(self, quote: str) -> None:
        self.pos += 3
        while self.pos < len(self.text):
            if quote == '"' and self.text[self.pos] == "\\":
                self.pos += 2
            elif self.text.startswith(quote * 3, self.pos):
                # The closing delimiter is the last three of a run of up to five quotes.
                run = 3
                while run < 5 and self.text.startswith(quote, self.pos + run):
                    run += 1
                self.pos += run
                return
            else:
                self.pos += 1


def _decode_key(raw: str) -> str:
    try:
        value = tomllib.loads(f"k = {raw}")["k"]
    except tomllib.TOMLDecodeError:
        return raw
    return value if isinstance(value, str) else raw
