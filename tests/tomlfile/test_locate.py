"""The locator finds the line of any key path that tomllib can parse."""

from __future__ import annotations

import tomllib

import pytest

from dualrandom.tomlfile import Locator, key_label

SOURCE = '''\
# a comment with = and [brackets]
id = "2027-Q1"   # trailing comment
title = """multi
line = not a key
[not a table]"""
literal = 'C:\\path [x] = "y"'
"quoted key" = 1
scope.type = ["企业", "个体"]
items = [
  "A",   # first
  "B",
]

[window]
start = 2027-01-04
end = 2027-03-31

[[stratum]]
name = "A"
where = { risk_class = ["A"], district = ["东区"] }

[[stratum]]
name = "B"
[stratum.where]
risk_class = [
  "B",
]

[team]
require = [
  { department = "SCJG", count = 1 },
  { department = "ZJ", count = 1 },
]

[[team.extra]]
x = 1
[[team.extra]]
x = 2
'''

CASES = [
    (("id",), 2),
    (("title",), 3),
    (("literal",), 6),
    (("quoted key",), 7),
    (("scope",), 8),
    (("scope", "type"), 8),
    (("scope", "type", 1), 8),
    (("items",), 9),
    (("items", 0), 10),
    (("items", 1), 11),
    (("window",), 14),
    (("window", "end"), 16),
    (("stratum",), 18),
    (("stratum", 0), 18),
    (("stratum", 0, "where"), 20),
    (("stratum", 0, "where", "district"), 20),
    (("stratum", 1), 22),
    (("stratum", 1, "name"), 23),
    (("stratum", 1, "where"), 24),
    (("stratum", 1, "where", "risk_class"), 25),
    (("stratum", 1, "where", "risk_class", 0), 26),
    (("team", "require", 1), 32),
    (("team", "require", 1, "count"), 32),
    (("team", "extra", 1, "x"), 38),
]


def test_the_source_is_valid_toml() -> None:
    assert tomllib.loads(SOURCE)["stratum"][1]["where"] == {"risk_class": ["B"]}


@pytest.mark.parametrize(("path", "line"), CASES)
def test_line_of_a_present_key(path: tuple[str | int, ...], line: int) -> None:
    assert Locator(SOURCE).line(path) == line


def test_a_missing_key_is_placed_at_its_nearest_present_table() -> None:
    locator = Locator(SOURCE)
    assert locator.line(("stratum", 1, "ratio")) == 22
    assert locator.line(("window", "nothing", "deeper")) == 14
    assert locator.line(("publication",)) == 1


def test_crlf_and_a_multiline_basic_string_with_escaped_quotes() -> None:
    text = 'a = """x\\"""y""""\r\nb = 1\r\n[t]\r\nc = 2\r\n'
    assert tomllib.loads(text)["t"] == {"c": 2}
    locator = Locator(text)
    assert (locator.line(("b",)), locator.line(("t", "c"))) == (2, 4)


def test_key_label_counts_array_positions_from_one() -> None:
    assert key_label(("stratum", 1, "where", "risk_class", 0)) == "stratum[2].where.risk_class[1]"
    assert key_label(()) == ""
