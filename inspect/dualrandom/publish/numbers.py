"""文号: each notice's document number, given once and kept for good.

A notice is numbered the first time it is published: it gets its initiating
department's next number in the notice's year (the plan's year), written
with the pattern ``[site] doc_no`` (default ``{dept}抽〔{year}〕{n}号``), and
the number is stored (``notice_numbers``). Every later build shows the
stored number, whatever the pattern has become since, and a number once
given is never given again, even if its notice were gone.

Notices first published together are numbered in the order of their own
times (the commitment's, the draw's, the results'), ties broken by kind and
path, so the numbers given depend on the database alone: a rebuild from the
same database gives the same numbers and the same bytes. The item list,
which no one department issues, has no number. The publication's audit
entry lists the numbers it gave (``numbered``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualrandom.errors import ConfigError
from dualrandom.publish.shape.contexts import NoticeHead
from dualrandom.tables import NoticeNumberRow

__all__ = ["Numbering", "number_notices"]

# Among notices of the same moment, the order in which a reader meets them.
KIND_ORDER = {"plan": 0, "predraw": 1, "draw": 2, "stats": 3, "result": 4}


@dataclass(frozen=True, slots=True)
class Numbering:
    numbers: dict[str, str]  # notice path -> 文号, for every notice numbered so far
    given: list[tuple[str, str]] = field(default_factory=list)  # (path, 文号) given now

    def apply(self, head: NoticeHead) -> NoticeHead:
        """``head`` with its number ("" for the item list, which has none)."""
        return replace(head, doc_no=self.numbers.get(head.href, ""))


def _order(head: NoticeHead) -> tuple[datetime, int, str]:
    return head.updated, KIND_ORDER.get(head.kind, len(KIND_ORDER)), head.href


def number_notices(
    session: Session, heads: Iterable[NoticeHead], pattern: str, *, at: datetime
) -> Numbering:
    """Give every notice among ``heads`` that has none its number; return them all."""
    rows = session.scalars(select(NoticeNumberRow)).all()
    numbers = {row.notice: row.doc_no for row in rows}
    owners = {row.doc_no: row.notice for row in rows}
    last: dict[tuple[str, int], int] = {}
    for row in rows:
        last[(row.department, row.year)] = max(last.get((row.department, row.year), 0), row.number)
    new = {h.href: h for h in heads if h.departments and h.href not in numbers}
    given = []
    for head in sorted(new.values(), key=_order):
        department, year = head.departments[0], head.year
        number = last.get((department, year), 0) + 1
        doc_no = pattern.format(dept=department, year=year, n=number)
        if doc_no in owners:
            raise ConfigError(
                f"文号 {doc_no} 已用于 {owners[doc_no]}，不能再用于 {head.href}；"
                "请修改 [site] doc_no，使其含 {dept}、{year} 和 {n}",
                f"document number {doc_no} already belongs to {owners[doc_no]} and cannot be "
                f"given to {head.href}; change [site] doc_no",
            )
        session.add(
            NoticeNumberRow(
                notice=head.href,
                department=department,
                year=year,
                number=number,
                doc_no=doc_no,
                given_at=at,
            )
        )
        last[(department, year)], numbers[head.href], owners[doc_no] = number, doc_no, head.href
        given.append((head.href, doc_no))
    session.flush()
    return Numbering(numbers, given)
