"""One page per drawn object, the object list and the search index, in one pass.

The visits of every published draw, as the draw notices read them, come
back merged by object id in code-point order (:mod:`dualrandom.publish.read`) and are
grouped: each group is one object page. A page shows the object's latest registered name, masked when any
plan that drew it masks person names, so a name hidden in one notice is
never shown on the object's own page. The same pass writes the plain list
(``objects/index.html`` and its pages) and the search index shards, so
nothing is held for all objects at once but one short row each.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from dualrandom.draws import DrawState
from dualrandom.publish import paths
from dualrandom.publish.labels import ID_TYPES, TASK_STATES
from dualrandom.publish.names import display_name, object_href
from dualrandom.publish.pages._build import Build
from dualrandom.publish.pages._draw_pages import DrawPages
from dualrandom.publish.read import DrawRecord, Runs, Visit
from dualrandom.publish.shape import pager, rows_per_page
from dualrandom.publish.shape.contexts import (
    Appearance,
    DepartmentDraw,
    ObjectListPage,
    ObjectListRow,
    ObjectPage,
)
from dualrandom.publish.write import compact_json_bytes, json_bytes

__all__ = ["SHARD_ROWS", "write_objects"]

SHARD_ROWS = 2_000


def write_objects(
    build: Build, runs: Runs, records: dict[int, DrawRecord], pages: dict[int, DrawPages]
) -> int:
    """Write every object page, the object list and the search index; returns the count."""
    total = len(runs.objects)
    listing = _Listing(build, total)
    for object_id, group in itertools.groupby(runs.merged(), key=lambda v: v.object_id):
        seen = [(records[v.draw_id], v) for v in group]
        page = _object_page(build, object_id, seen, pages)
        href = object_href(object_id)
        build.page("object.html.j2", href, page=page)
        listing.add(ObjectListRow(page.name, object_id, href, len(seen)))
    listing.finish()
    return total


def _object_page(
    build: Build,
    object_id: str,
    seen: Sequence[tuple[DrawRecord, Visit]],
    pages: dict[int, DrawPages],
) -> ObjectPage:
    _, latest = seen[-1]  # visits come in draw order; the last draw has the newest name
    mask = any(record.mask_names for record, _ in seen)
    appearances, results = [], []
    for record, visit in seen:
        where = pages[record.id]
        notice = paths.paged(
            paths.notice(record.plan_id, record.attempt), where.visit_pages[visit.number]
        )
        start, end = record.window
        departments = build.departments(visit.departments)
        appearances.append(
            Appearance(
                record.plan["title"],
                record.attempt,
                f"{notice}#v{visit.number}",
                record.plan["kind"],
                f"{start.isoformat()} 至 {end.isoformat()}",
                "、".join(visit.items),
                departments,
                visit.ticket,
                _status(record, visit),
            )
        )
        if visit.result:
            result_page = paths.paged(
                paths.results(record.plan_id, record.attempt), where.result_pages[visit.number]
            )
            results.append(
                DepartmentDraw(
                    departments,
                    record.plan["kind"],
                    visit.checked_on,
                    visit.result,
                    visit.follow_up,
                    f"{result_page}#r{visit.number}",
                )
            )
    return ObjectPage(
        display_name(latest.registered_name, latest.type, mask=mask),
        object_id,
        ID_TYPES.get(latest.id_type, "对象编号"),
        latest.type,
        latest.district,
        tuple(appearances),
        tuple(results),
    )


def _status(record: DrawRecord, visit: Visit) -> str:
    if record.state == DrawState.SUPERSEDED:
        return "本次抽取已作废"
    if visit.result:
        return "结果已公示"
    if visit.state in ("substituted", "cancelled"):
        return f"{TASK_STATES[visit.state]}：{visit.reason}"
    return TASK_STATES.get(visit.state, "待检查")


class _Listing:
    """Streams the object list pages and the search index shards."""

    def __init__(self, build: Build, total: int) -> None:
        self.build, self.total = build, total
        self.rows: list[ObjectListRow] = []
        self.page = 0
        self.entries: list[list[str]] = []
        self.shards: list[dict[str, Any]] = []

    def add(self, row: ObjectListRow) -> None:
        self.rows.append(row)
        self.entries.append([row.object_id, row.name, row.href])
        if len(self.rows) == rows_per_page():
            self._flush_page()
        if len(self.entries) == SHARD_ROWS:
            self._flush_shard()

    def _flush_page(self) -> None:
        self.page += 1
        path = paths.paged(paths.OBJECTS, self.page)
        page = ObjectListPage(tuple(self.rows), pager(paths.OBJECTS, self.page, self.total))
        self.build.page("objects.html.j2", path, page=page)
        self.rows = []

    def _flush_shard(self) -> None:
        name = f"{len(self.shards) + 1:04d}.json"
        self.build.writer.write(f"search/{name}", compact_json_bytes(self.entries))
        self.shards.append(
            {
                "file": name,
                "first": self.entries[0][0],
                "last": self.entries[-1][0],
                "count": len(self.entries),
            }
        )
        self.entries = []

    def finish(self) -> None:
        if self.rows or self.page == 0:
            self._flush_page()
        if self.entries:
            self._flush_shard()
        index = {
            "format": "dual-random/search/1",
            "objects": self.total,
            "shards": self.shards,
            "entry": ["id", "name", "page"],
        }
        self.build.writer.write(paths.SEARCH_INDEX, json_bytes(index))
