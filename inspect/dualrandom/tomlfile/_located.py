"""A value read from a TOML file, with the place it was read from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from dualrandom.core.model import nfc
from dualrandom.errors import Problem
from dualrandom.tomlfile._locate import KeyPath
from dualrandom.tomlfile._table import Source

__all__ = ["Located"]

T = TypeVar("T", covariant=True)  # a Located[Plan] is a Located[object]


@dataclass(frozen=True, slots=True)
class Located(Generic[T]):
    """``value`` came from the table ``data`` at ``path`` of ``source``, so
    later checks (against the database, between files) can still point at
    the line. ``data`` is the table as parsed: value objects sort their
    lists, and only the parsed table still knows the order in the file."""

    value: T
    source: Source
    path: KeyPath
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def file(self) -> str:
        return self.source.name

    def problem(self, key: KeyPath, value: object, reason: str, reason_en: str) -> Problem:
        """A problem at ``key`` under this value: Chinese ``reason``, ``reason_en`` beside it."""
        return self.source.problem((*self.path, *key), value, reason, reason_en)

    def element(self, key: KeyPath, value: str) -> KeyPath:
        """The path of ``value`` in the array at ``key`` (or ``key`` if not found)."""
        array: Any = self.data
        for part in key:
            try:
                array = array[part]
            except (KeyError, IndexError, TypeError):
                return key
        if isinstance(array, list):
            for index, element in enumerate(array):
                if isinstance(element, str) and nfc(element.strip()) == value:
                    return (*key, index)
        return key
