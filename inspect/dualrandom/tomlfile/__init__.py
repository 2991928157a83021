"""TOML files in: strict, typed reading with every problem at its line and key.

    locate      the line of any key path in a TOML document (tomllib gives none)
    table       :class:`Table`: typed values out of one table, each problem recorded, never raised,
                its reason in Chinese with English beside it
    located     :class:`Located`: a value with the file and key path it was read from

``tomllib`` parses a document but forgets where each key was; a clerk who
wrote a plan needs "plans/2027-Q1.toml:14 [team.size] 不能小于 2 (must be at
least 2)": every reason is Chinese first, with English beside it.
This package reads any TOML file that way: the working rules and plans
(:mod:`dualrandom.rules`) and the holiday calendar (:mod:`dualrandom.workdays`)
both use it. It knows nothing about what the keys mean. TOML files are not
spreadsheets, so this is not part of :mod:`dualrandom.sheets`: lines and key
paths instead of rows and columns, and no CSV or workbook reading to carry.
"""

from __future__ import annotations

from dualrandom.tomlfile._locate import KeyPath, Locator, key_label
from dualrandom.tomlfile._located import Located
from dualrandom.tomlfile._table import Hint, Source, Table, hint, one_of, parse_toml, show

__all__ = [
    "Hint",
    "KeyPath",
    "Located",
    "Locator",
    "Source",
    "Table",
    "hint",
    "key_label",
    "one_of",
    "parse_toml",
    "show",
]
