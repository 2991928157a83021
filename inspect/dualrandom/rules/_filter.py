"""Reading an object filter (a plan's or an item's ``scope``, a stratum's ``where``)."""

from __future__ import annotations

import re

from dualrandom.core.model import (
    FILTER_KEYS,
    LISTS,
    ObjectFilter,
    ObjectStatus,
    ObjectType,
    RiskClass,
)
from dualrandom.tomlfile import Hint, Table, one_of

__all__ = ["object_filter"]


def object_filter(parent: Table, key: str) -> ObjectFilter:
    """The filter at ``key`` of ``parent``: each key an array of accepted values
    (docs/FORMATS.md). A problem marks ``parent`` not ``ok``."""
    table = parent.table(key, FILTER_KEYS)
    clauses: dict[str, tuple[str, ...]] = {}
    for filter_key in FILTER_KEYS:
        if table.data.get(filter_key) == []:
            table.fail(
                filter_key,
                [],
                "至少要列出一个值（或删去这个键）",
                "must list at least one value (or leave the key out)",
            )
        values = table.texts(filter_key, max_len=50)
        for index, value in enumerate(values):
            reason = _filter_value_problem(filter_key, value)
            if reason:
                table.fail((filter_key, index), value, *reason)
        if values:
            clauses[filter_key] = values
    parent.ok = parent.ok and table.ok
    return ObjectFilter.of(clauses) if table.ok else ObjectFilter()


_INDUSTRY_PREFIX = re.compile(r"[A-T][0-9]{0,4}\Z")
_FILTER_CHOICES: dict[str, tuple[str, ...]] = {
    "type": tuple(ObjectType),
    "status": tuple(ObjectStatus),
    "risk_class": tuple(RiskClass),
    "list": tuple(sorted(LISTS)),
}


def _filter_value_problem(key: str, value: str) -> Hint | None:
    """Why ``value`` can never match an object's ``key`` (Chinese, English), or None.

    Department codes are checked against the database later (rules check).
    """
    choices = _FILTER_CHOICES.get(key)
    if choices and value not in choices:
        return one_of(value, choices)
    if key == "industry" and not _INDUSTRY_PREFIX.match(value):
        return Hint(
            "不是 GB/T 4754 行业代码的前缀：一个门类字母 A-T，后接至多 4 位数字",
            "is not a GB/T 4754 industry code prefix: a section letter A-T and up to 4 digits",
        )
    return None
