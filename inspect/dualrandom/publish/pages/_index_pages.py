"""The ways into the notices: the home page, one page per year and per department,
and the statistics overview. Newest first everywhere, ties broken by path so
that the order never depends on the database."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from dualrandom.publish import paths
from dualrandom.publish.pages._build import Build
from dualrandom.publish.shape.contexts import (
    IndexPage,
    Link,
    NoticeGroup,
    NoticeHead,
    NoticeListPage,
    StatsIndexPage,
    StatsIndexRow,
    YearLink,
)

__all__ = ["newest_first", "write_index_pages", "write_stats_index"]

LATEST = 20


def newest_first(notices: Sequence[NoticeHead]) -> list[NoticeHead]:
    return sorted(notices, key=lambda n: (n.updated, n.href), reverse=True)


def _batch_label(batch: str) -> str:
    return f"{batch} 批次" if batch else "年度公告"


def _year_page(build: Build, year: int, notices: list[NoticeHead]) -> None:
    by_batch: dict[str, list[NoticeHead]] = defaultdict(list)
    for notice in notices:
        by_batch[notice.batch].append(notice)
    groups = [NoticeGroup(_batch_label(b), tuple(newest_first(ns))) for b, ns in by_batch.items()]
    groups.sort(key=lambda g: (g.notices[0].updated, g.label), reverse=True)
    page = NoticeListPage(
        f"{year}年公告", f"{year}年的全部公告，按批次分组，新公告在前。", tuple(groups)
    )
    build.page("notice_list.html.j2", paths.year(year), page=page)


def _department_page(build: Build, code: str, notices: list[NoticeHead]) -> None:
    by_year: dict[int, list[NoticeHead]] = defaultdict(list)
    for notice in notices:
        by_year[notice.year].append(notice)
    groups = tuple(
        NoticeGroup(f"{y}年", tuple(newest_first(by_year[y])))
        for y in sorted(by_year, reverse=True)
    )
    name = build.catalog.department(code)
    page = NoticeListPage(
        f"{name}的公告", f"{name}牵头或参加的抽查公告，按年度分组，新公告在前。", groups
    )
    build.page("notice_list.html.j2", paths.department(code), page=page)


def write_index_pages(build: Build, notices: Sequence[NoticeHead], objects: int) -> None:
    by_year: dict[int, list[NoticeHead]] = defaultdict(list)
    by_department: dict[str, list[NoticeHead]] = defaultdict(list)
    for notice in notices:
        by_year[notice.year].append(notice)
        for code in notice.departments:
            by_department[code].append(notice)
    for year, group in by_year.items():
        _year_page(build, year, group)
    for code, group in sorted(by_department.items()):
        _department_page(build, code, group)
    departments = tuple(
        Link(build.catalog.department(c), paths.department(c)) for c in sorted(by_department)
    )
    page = IndexPage(
        latest=tuple(newest_first(notices)[:LATEST]),
        years=tuple(
            YearLink(y, paths.year(y), len(by_year[y])) for y in sorted(by_year, reverse=True)
        ),
        departments=departments,
        items=Link("随机抽查事项清单", paths.ITEMS),
        stats=Link("抽查情况统计", paths.STATS),
        objects=Link("检查对象名录", paths.OBJECTS),
        search_index=paths.SEARCH_INDEX,
        objects_count=objects,
    )
    build.page("index.html.j2", paths.INDEX, page=page)


def write_stats_index(build: Build, rows: Sequence[StatsIndexRow]) -> None:
    ordered = sorted(rows, key=lambda r: (r.head.updated, r.head.href), reverse=True)
    build.page("stats_index.html.j2", paths.STATS, page=StatsIndexPage(tuple(ordered)))
