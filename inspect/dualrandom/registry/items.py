"""Importing the item list (抽查事项清单) from a spreadsheet, CSV or XLSX.

The file is read and checked like a registry file; the items are then
stored by :func:`dualrandom.rules.store.save_items`, which logs each new or
changed item. Object scopes cannot be written in a spreadsheet: an imported
item applies to every object (use ``rules/items.toml`` for a scope).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from dualrandom.core.model import ItemRecord
from dualrandom.errors import Problem, ValidationError
from dualrandom.registry._read import Progress, check_file, context_for
from dualrandom.rules.store import save_items
from dualrandom.sheets import MAX_UNPACKED_BYTES, Batch, open_source

__all__ = ["ItemsSummary", "import_items"]


@dataclass(frozen=True, slots=True)
class ItemsSummary:
    source_name: str
    source_sha256: str
    rows_in_file: int
    added: tuple[str, ...]
    changed: tuple[str, ...]
    unchanged: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "source_name": self.source_name,
            "source_sha256": self.source_sha256,
            "rows_in_file": self.rows_in_file,
            "added": list(self.added),
            "changed": list(self.changed),
            "unchanged": list(self.unchanged),
        }


def import_items(
    session: Session,
    path: Path,
    *,
    today: date,
    progress: Progress | None = None,
    max_unpacked: int = MAX_UNPACKED_BYTES,
    actor: str,
) -> ItemsSummary:
    """Check ``path`` and add or update its items; ValidationError lists every problem.
    A workbook that unpacks to more than ``max_unpacked`` bytes is refused unread."""
    source = open_source(path, max_unpacked=max_unpacked)
    items: list[ItemRecord] = []

    def collect(batch: Batch) -> None:
        items.extend(_items(batch))

    rows = check_file("items", source, context_for(session, today), collect, progress)
    changes = save_items(session, items, source.name, actor=actor)
    return ItemsSummary(
        source.name, source.sha256, rows, changes.added, changes.changed, changes.unchanged
    )


def _items(batch: Batch) -> list[ItemRecord]:
    values = batch.values
    items = []
    for index in range(len(batch)):
        try:
            items.append(
                ItemRecord(
                    code=values["code"][index],
                    name=values["name"][index],
                    legal_basis=values["legal_basis"][index],
                    department=values["department"][index],
                    item_class=values["class"][index],
                    methods=values["methods"][index],
                    ratio=values["ratio"][index],
                    sub_item=values["sub_item"][index],
                    specialty=values["specialty"][index],
                    max_per_year=values["max_per_year"][index],
                )
            )
        except ValueError as exc:  # a rule of the record the cell checks do not cover
            code = values["code"][index]
            problem = Problem(
                batch.file, batch.rows[index], "", code, f"事项不成立：{exc}", str(exc)
            )
            raise ValidationError([problem]) from None
    return items
