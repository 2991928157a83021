"""A column of a spreadsheet: its headers in English and Chinese, and its cell parser."""

from __future__ import annotations

from dataclasses import dataclass

from dualrandom.sheets._fields import Field

__all__ = ["Column", "header_lookup"]


@dataclass(frozen=True, slots=True)
class Column:
    """One column: its English and Chinese headers, other accepted headers, its parser.

    ``attribute`` is the name of the database column and record field when it
    differs from the English header (``id`` is stored as ``object_id``).
    """

    name: str
    chinese: str
    field: Field
    required: bool = False
    also: tuple[str, ...] = ()
    attribute: str = ""

    @property
    def target(self) -> str:
        return self.attribute or self.name

    @property
    def headers(self) -> tuple[str, ...]:
        return (self.name, self.chinese, *self.also)

    def label(self) -> str:
        return f"{self.chinese} ({self.name})"


def header_lookup(columns: tuple[Column, ...]) -> dict[str, Column]:
    """Every accepted header, English ones also in lower case, to its column."""
    lookup: dict[str, Column] = {}
    for column in columns:
        for header in column.headers:
            lookup[header] = column
            lookup[header.lower()] = column
    return lookup
