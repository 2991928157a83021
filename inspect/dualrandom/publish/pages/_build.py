"""The state one site build carries around: where to write, how to render, what is known."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from dualrandom.publish.read import Catalog
from dualrandom.publish.shape.contexts import Download
from dualrandom.publish.write import Renderer, SiteWriter, human_size, write_csv, write_json

__all__ = ["Build", "Table"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Table:
    """A list offered for download, as CSV (header + rows) and JSON (meta + records)."""

    label: str
    stem: str  # site path without .csv / .json
    header: Sequence[str]
    meta: Mapping[str, Any]
    key: str


@dataclass(frozen=True, slots=True)
class Build:
    writer: SiteWriter
    renderer: Renderer
    catalog: Catalog
    timezone: ZoneInfo
    base_url: str
    _joined: dict[tuple[str, ...], str] = field(default_factory=dict)

    def departments(self, codes: tuple[str, ...]) -> str:
        """Department names joined with 、 (a few distinct sets among 10^5 visits)."""
        if codes not in self._joined:
            self._joined[codes] = "、".join(self.catalog.department(c) for c in codes)
        return self._joined[codes]

    def page(self, template: str, path: str, **context: Any) -> None:
        """Render one page, unless the live site has it made from the same context."""
        key = self.renderer.key(template, path, **context)
        if not key or not self.writer.reuse(path, key):
            self.writer.write(path, self.renderer.render(template, path, **context), key)

    def download(self, label: str, path: str, kind: str) -> Download:
        return Download(label, path, kind, human_size(self.writer.size(path)))

    def table(
        self,
        table: Table,
        records: Sequence[T],
        as_row: Callable[[T], Sequence[Any]],
        as_json: Callable[[T], Mapping[str, Any]],
    ) -> tuple[Download, Download]:
        """Write the CSV (for Excel) and the JSON (for programs) of one list, streamed."""
        with self.writer.open(f"{table.stem}.csv") as out:
            write_csv(out, table.header, (as_row(r) for r in records))
        with self.writer.open(f"{table.stem}.json") as out:
            write_json(out, table.meta, table.key, (as_json(r) for r in records))
        return (
            self.download(table.label, f"{table.stem}.csv", "CSV"),
            self.download(table.label, f"{table.stem}.json", "JSON"),
        )
