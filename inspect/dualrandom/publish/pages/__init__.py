"""Stage 3, pages: one writer per kind of page, each with its downloads.

    _build        the state one build carries: writer, renderer, catalog (Build, Table)
    _rules_pages  the item list (一单) and the plan notices
    _predraw      the pre-draw notice (抽取前公告)
    _draw_pages   the draw notice (抽查对象名单) and the result notice
    _stats_page   the statistics notice of a draw
    _objects      one page per drawn object, the object list, the search index
    _index_pages  the home page, the year and department pages, the statistics overview
    _feeds        the Atom feed and the sitemap
"""

from __future__ import annotations

from dualrandom.publish.pages._build import Build
from dualrandom.publish.pages._draw_pages import DrawPages, draw_pages, write_draw
from dualrandom.publish.pages._feeds import write_feed, write_sitemap
from dualrandom.publish.pages._index_pages import write_index_pages, write_stats_index
from dualrandom.publish.pages._objects import write_objects
from dualrandom.publish.pages._predraw import write_predraw
from dualrandom.publish.pages._rules_pages import write_items, write_plan_notice

__all__ = [
    "Build",
    "DrawPages",
    "draw_pages",
    "write_draw",
    "write_feed",
    "write_index_pages",
    "write_items",
    "write_objects",
    "write_plan_notice",
    "write_predraw",
    "write_sitemap",
    "write_stats_index",
]
