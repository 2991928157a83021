"""Long lists split into pages of a fixed number of rows.

Rows per page are fixed (not fitted to bytes) so that a row keeps its page
from one build to the next; at :data:`ROWS_PER_PAGE` the longest row a
registry allows keeps a page far below the 1 MB limit the writer enforces.
The navigation lists the first, last and nearby pages only, so that a list
of a thousand pages does not put a thousand links on every page.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

from dualrandom.publish import paths
from dualrandom.publish.shape.contexts import PageLink, Pager

__all__ = ["ROWS_PER_PAGE", "page_of", "pager", "paginate", "rows_per_page"]

ROWS_PER_PAGE = 200
NEAR = 3

T = TypeVar("T")


def rows_per_page() -> int:
    """Read at every call, so that tests can make pages short."""
    return ROWS_PER_PAGE


def page_count(rows: int) -> int:
    return max(1, -(-rows // rows_per_page()))


def page_of(index: int) -> int:
    """The page (from 1) that holds the row at 0-based ``index``."""
    return index // rows_per_page() + 1


def pager(base: str, page: int, rows: int) -> Pager:
    per_page = rows_per_page()
    pages = page_count(rows)
    shown = sorted({1, pages, *range(max(1, page - NEAR), min(pages, page + NEAR) + 1)})
    links = tuple(PageLink(n, paths.paged(base, n), n == page) for n in shown)
    return Pager(page, pages, links, (page - 1) * per_page + 1, rows)


def paginate(rows: Sequence[T], base: str) -> Iterator[tuple[str, Sequence[T], Pager]]:
    """(page path, rows of the page, pager) for every page; one empty page for no rows."""
    per_page = rows_per_page()
    for page in range(1, page_count(len(rows)) + 1):
        chunk = rows[(page - 1) * per_page : page * per_page]
        yield paths.paged(base, page), chunk, pager(base, page, len(rows))
