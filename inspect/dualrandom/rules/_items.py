"""``rules/items.toml``: the item list (一单) as :class:`ItemRecord` values."""

from __future__ import annotations

import re
from typing import Any

from dualrandom.core.model import METHODS, ItemClass, ItemRecord, nfc
from dualrandom.errors import Problem
from dualrandom.rules._filter import object_filter
from dualrandom.rules.schema import ITEM_KEYS, ITEMS_FILE_KEYS
from dualrandom.tomlfile import Located, Source, Table

__all__ = ["parse_items"]

_CODE = re.compile(r"[A-Za-z0-9_-]{1,32}\Z")  # as core.model checks it


def parse_items(
    source: Source, data: dict[str, Any], sink: list[Problem]
) -> tuple[list[Located[ItemRecord]], set[str]]:
    """Every valid ``[[item]]``, and the codes of all, valid or not (so that a
    plan naming an invalid item is not reported twice); problems go to ``sink``."""
    root = Table(source, sink, (), data, ITEMS_FILE_KEYS)
    tables = root.tables("item", ITEM_KEYS)
    if not tables and root.ok:
        root.fail("item", None, "没有任何 [[item]]", "lists no [[item]]")
    items: list[Located[ItemRecord]] = []
    first_line: dict[str, int] = {}
    codes = {nfc(code.strip()) for t in tables if isinstance(code := t.data.get("code"), str)}
    for table in tables:
        item = _item(table)
        if item is None:
            continue
        if item.code in first_line:
            line = first_line[item.code]
            table.fail(
                "code", item.code, f"与第 {line} 行的事项重复", f"repeats the item of line {line}"
            )
            continue
        first_line[item.code] = source.locator.line(table.path)
        items.append(Located(item, source, table.path, table.data))
    return items, codes


def _item(table: Table) -> ItemRecord | None:
    code = table.text("code", required=True, max_len=32)
    if code and not _CODE.match(code):
        table.fail(
            "code",
            code,
            "只能由 1 到 32 个英文字母、数字、_ 或 - 组成",
            "must be 1-32 of A-Z a-z 0-9 _ -",
        )
    name = table.text("name", required=True)
    sub_item = table.text("sub_item")
    legal_basis = table.text("legal_basis", required=True, max_len=2000)
    department = table.text("department", required=True, max_len=32)
    item_class = table.text("class", required=True, choices=tuple(ItemClass))
    methods = table.texts("methods", required=True, choices=sorted(METHODS))
    specialty = table.text("specialty", max_len=50)
    ratio = table.ratio("ratio", required=True)
    max_per_year = table.integer("max_per_year", minimum=1)
    scope = object_filter(table, "scope")
    if not table.ok or ratio is None:
        return None
    return table.build(
        lambda: ItemRecord(
            code=code,
            name=name,
            legal_basis=legal_basis,
            department=department,
            item_class=ItemClass(item_class),
            methods=methods,
            ratio=ratio,
            sub_item=sub_item,
            specialty=specialty,
            max_per_year=max_per_year,
            scope=scope,
        ),
        blame="code",
    )
