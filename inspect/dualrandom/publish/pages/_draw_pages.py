"""The draw notice (抽查对象名单) and the result notice of one draw.

Both list visits in visit order, paginated; each row's status links to where
its story goes on (the replacement visit, the published result).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dualrandom.draws import DrawState
from dualrandom.publish import paths
from dualrandom.publish.labels import ID_TYPES, PROBLEM_CODES, TASK_STATES
from dualrandom.publish.names import object_href
from dualrandom.publish.pages._build import Build, Table
from dualrandom.publish.pages._stats_page import write_stats
from dualrandom.publish.read import DrawRecord, Visit
from dualrandom.publish.shape import facts_json, head_json, page_of, paginate
from dualrandom.publish.shape.contexts import (
    Download,
    DrawFacts,
    DrawNoticePage,
    DrawRow,
    ItemRef,
    NoticeHead,
    ResultNoticePage,
    ResultRow,
)

__all__ = ["DrawPages", "draw_pages", "write_draw"]


@dataclass(slots=True)
class DrawPages:
    """What the rest of the site needs from one draw's pages."""

    visit_pages: dict[int, int] = field(default_factory=dict)  # visit number -> notice page
    result_pages: dict[int, int] = field(default_factory=dict)  # visit number -> results page
    published: int = 0
    problems: int = 0


def _status(v: Visit, pages: DrawPages, record: DrawRecord) -> tuple[str, str]:
    """The status cell of a drawn object and where it links to."""
    base = (record.plan_id, record.attempt)
    if record.state == DrawState.SUPERSEDED and v.state == "cancelled":
        return "本次抽取已作废", ""
    if v.state == "substituted":
        target = ""
        if v.replaced_by is not None and v.replaced_by in pages.visit_pages:
            page = pages.visit_pages[v.replaced_by]
            target = f"{paths.paged(paths.notice(*base), page)}#v{v.replaced_by}"
        return f"已替补：{v.reason}", target
    if v.state == "cancelled":
        return f"已取消：{v.reason}", ""
    if v.result:
        page = pages.result_pages[v.number]
        return "结果已公示", f"{paths.paged(paths.results(*base), page)}#r{v.number}"
    return TASK_STATES.get(v.state, "待检查"), ""


def write_draw(
    build: Build,
    record: DrawRecord,
    facts: DrawFacts,
    heads: dict[str, NoticeHead],
    visits: list[Visit],
) -> DrawPages:
    """Every notice of a drawn (or superseded) draw; returns where each visit landed."""
    pages = draw_pages(visits)
    published = [v for v in visits if v.result]
    _notice(build, record, facts, heads["draw"], visits, pages)
    if published and "result" in heads:
        closed = ("substituted", "cancelled")
        pending = sum(1 for v in visits if not v.result and v.state not in closed)
        _results(build, record, facts, heads["result"], published, pending)
    write_stats(build, record, facts, heads["stats"], visits, published)
    return pages


def draw_pages(visits: list[Visit]) -> DrawPages:
    """Where each visit of a draw lands in its notices (also for a draw whose
    notices are kept from the live site, for the object pages)."""
    pages = DrawPages()
    pages.visit_pages = {v.number: page_of(i) for i, v in enumerate(visits)}
    published = [v for v in visits if v.result]
    pages.result_pages = {v.number: page_of(i) for i, v in enumerate(published)}
    pages.published = len(published)
    pages.problems = sum(1 for v in published if v.result in PROBLEM_CODES)
    return pages


# The columns of the drawn-objects download: JSON key, CSV header.
OBJECT_COLUMNS = (
    ("number", "序号"),
    ("name", "检查对象名称"),
    ("id", "代码"),
    ("id_type", "代码类型"),
    ("items", "抽查事项"),
    ("departments", "检查实施机关"),
    ("type", "检查类型"),
    ("start", "检查开始日期"),
    ("end", "检查结束日期"),
    ("ticket", "签号"),
    ("status", "状态"),
)


def _objects_table(
    build: Build,
    record: DrawRecord,
    facts: DrawFacts,
    head: NoticeHead,
    visits: list[Visit],
    pages: DrawPages,
) -> tuple[Download, Download]:
    """objects.csv and objects.json of a draw notice: every drawn object with its ticket."""
    show = record.inspector_names
    columns = OBJECT_COLUMNS + ((("inspectors", "检查人员"),) if show else ())
    start, end = facts.window_start.isoformat(), facts.window_end.isoformat()

    def row(v: Visit) -> list[Any]:
        id_type = ID_TYPES.get(v.id_type, v.id_type)
        cells = [
            v.number,
            v.name,
            v.object_id,
            id_type,
            "、".join(v.items),
            build.departments(v.departments),
            facts.kind,
            start,
            end,
            v.ticket,
            _status(v, pages, record)[0],
        ]
        return cells + (["、".join(v.inspectors)] if show else [])

    def document(v: Visit) -> dict[str, Any]:
        data = dict(zip((key for key, _ in columns), row(v), strict=True))
        data.update(id_type=v.id_type, items=list(v.items), departments=list(v.departments))
        return data | ({"inspectors": list(v.inspectors)} if show else {})

    stem = paths.draw_dir(record.plan_id, record.attempt) + "objects"
    meta = {"notice": head_json(head), "draw": facts_json(facts)}
    table = Table("抽查对象名单", stem, [label for _, label in columns], meta, "objects")
    return build.table(table, visits, row, document)


def _notice(
    build: Build,
    record: DrawRecord,
    facts: DrawFacts,
    head: NoticeHead,
    visits: list[Visit],
    pages: DrawPages,
) -> None:
    tables = _objects_table(build, record, facts, head, visits, pages)
    downloads = (*tables, *((facts.bundle,) if facts.bundle else ()))
    items = tuple(
        ItemRef(code, item["name"], build.catalog.department(item["department"]))
        for code, item in sorted(record.items.items())
    )
    show = record.inspector_names
    for path, chunk, pager in paginate(visits, head.href):
        rows = tuple(_draw_row(build, v, pages, record) for v in chunk)
        page = DrawNoticePage(head, facts, items, rows, pager, downloads, show, record.mask_names)
        build.page("draw.html.j2", path, page=page)


def _draw_row(build: Build, v: Visit, pages: DrawPages, record: DrawRecord) -> DrawRow:
    status, target = _status(v, pages, record)
    return DrawRow(
        v.number,
        v.name,
        v.object_id,
        object_href(v.object_id),
        "、".join(v.items),
        build.departments(v.departments),
        "、".join(v.inspectors),
        status,
        target,
    )


def _results(
    build: Build,
    record: DrawRecord,
    facts: DrawFacts,
    head: NoticeHead,
    published: list[Visit],
    pending: int,
) -> None:
    stem = paths.draw_dir(record.plan_id, record.attempt) + "results"
    table = Table(
        "检查结果",
        stem,
        ["序号", "检查对象名称", "代码", "检查实施机关", "类型", "日期", "结果", "处置"],
        {"notice": head_json(head), "draw": facts_json(facts)},
        "results",
    )

    def cells(v: Visit) -> list[Any]:
        checked = v.checked_on.isoformat() if v.checked_on else ""
        names = build.departments(v.departments)
        return [v.number, v.name, v.object_id, names, facts.kind, checked, v.result, v.follow_up]

    def document(v: Visit) -> dict[str, Any]:
        keys = ("number", "name", "id", "departments", "type", "date", "result", "follow_up")
        return dict(zip(keys, cells(v), strict=True)) | {"departments": list(v.departments)}

    downloads = build.table(table, published, cells, document)
    for path, chunk, pager in paginate(published, head.href):
        rows = tuple(_result_row(build, v, facts.kind) for v in chunk)
        page = ResultNoticePage(head, facts, rows, pager, downloads, len(published), pending)
        build.page("results.html.j2", path, page=page)


def _result_row(build: Build, v: Visit, kind: str) -> ResultRow:
    return ResultRow(
        v.number,
        v.name,
        v.object_id,
        object_href(v.object_id),
        build.departments(v.departments),
        kind,
        v.checked_on,
        v.result,
        v.follow_up,
    )
