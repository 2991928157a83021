"""What a draw drew, for the regulators who run it: business, items and team by name.

Internal, never published in this form: the notices mask or leave out
officers' names (docs/PUBLISH.md), while the people who organise the visits
need them. Business names are read as of the objects version the draw used
and officers' names as of its inspectors version, so the view keeps saying
what was drawn after a registry changed; item names come from the draw's
own plan.json. No certificate number, phone or risk class is read.

``draw show`` and ``tasks list`` print these values, and the console shows
them: the columns (:data:`VISIT_COLUMNS`) and the JSON (:func:`visit_json`)
are defined once, here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session, aliased

from dualrandom.core import parse_plan
from dualrandom.core.model import ItemRecord
from dualrandom.draws._inputs import draw_files, split_list
from dualrandom.errors import IntegrityError
from dualrandom.memo import DigestMemo
from dualrandom.tables import DrawMemberRow, DrawRow, DrawVisitRow, InspectorRow, ObjectRow

__all__ = [
    "UNKNOWN_ITEM",
    "VISIT_COLUMNS",
    "Officer",
    "VisitItem",
    "VisitView",
    "draw_summary",
    "plan_items",
    "role_label",
    "visit_cells",
    "visit_count",
    "visit_json",
    "visit_views",
]

# Column headers of a visit, in the order of visit_cells().
VISIT_COLUMNS = ("序号", "对象编号", "对象名称", "检查事项", "检查部门", "检查组", "随机值")


def role_label(role: str) -> str:
    """The Chinese name of a team role as the core writes it (docs/SPEC.md §9.1)."""
    if role == "leader":
        return "组长"
    if role.startswith("specialist:"):
        return f"{role.removeprefix('specialist:')}专业"
    return "组员"


@dataclass(frozen=True, slots=True)
class Officer:
    """One officer of a visit's team: name, department, role (``leader`` …)."""

    name: str
    department: str
    role: str

    @property
    def label(self) -> str:
        """``张三（组长，SCJG）``"""
        return f"{self.name}（{role_label(self.role)}，{self.department}）"


# What stands for an item's name when the draw's own plan has no item of that
# code: the record was changed behind the library's back (the integrity check
# names the row); the page still shows the code rather than fail.
UNKNOWN_ITEM = "【计划中无此事项 / not an item of this draw's plan】"


@dataclass(frozen=True, slots=True)
class VisitItem:
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class VisitView:
    """One visit of a draw: the business, the items drawn for it and its team."""

    number: int
    object_id: str
    name: str
    ticket: str
    items: tuple[VisitItem, ...]
    departments: tuple[str, ...]
    team: tuple[Officer, ...]


_PLANS: DigestMemo[dict[str, ItemRecord]] = DigestMemo(32)


def plan_items(data: bytes, algorithm: str) -> dict[str, ItemRecord]:
    """The items of a stored plan.json, parsed once per content (the records are
    frozen; the dict is a copy)."""
    return dict(_PLANS.get(data, lambda: parse_plan(data, algorithm)[1], algorithm))


def visit_views(
    session: Session,
    row: DrawRow,
    *,
    offset: int = 0,
    limit: int | None = None,
    numbers: Sequence[int] | None = None,
) -> list[VisitView]:
    """The visits of the draw ``row`` in visit order, reserve visits included;
    ``offset`` and ``limit`` page through a large one; ``numbers``, if given,
    keeps only those visits."""
    items = plan_items(draw_files(session, row.id, ("plan.json",))["plan.json"], row.algorithm)
    # The page of visits first, then their names: joining first would look up the
    # names of every visit before the page is cut (50,000 for a provincial batch).
    page = select(DrawVisitRow).where(DrawVisitRow.draw_id == row.id)
    if numbers is not None:
        page = page.where(DrawVisitRow.number.in_(list(numbers)))
    paged = page.order_by(DrawVisitRow.number).offset(offset).limit(limit).subquery()
    visit_row = aliased(DrawVisitRow, paged)
    query = (
        select(visit_row, ObjectRow.name)
        .join(
            ObjectRow,
            and_(
                ObjectRow.object_id == visit_row.object_id,
                ObjectRow.held_in(row.objects_version),
            ),
            isouter=True,
        )
        .order_by(visit_row.number)
    )
    visits = session.execute(query).all()
    teams = _teams(session, row, [visit.number for visit, _ in visits])
    views = []
    for visit, name in visits:
        if name is None:
            raise IntegrityError(
                f"{row.plan_id} 第 {row.attempt} 次抽取的第 {visit.number} 户 {visit.object_id} "
                f"不在其所用的检查对象名录第 {row.objects_version} 版中",
                f"{row.plan_id}#{row.attempt} visit {visit.number}: object {visit.object_id!r} "
                f"is not in objects version {row.objects_version}",
            )
        codes = split_list(visit.items)
        views.append(
            VisitView(
                number=visit.number,
                object_id=visit.object_id,
                name=name,
                ticket=visit.ticket,
                items=tuple(
                    VisitItem(code, items[code].name if code in items else UNKNOWN_ITEM)
                    for code in codes
                ),
                departments=split_list(visit.departments),
                team=teams.get(visit.number, ()),
            )
        )
    return views


def visit_count(session: Session, row: DrawRow) -> int:
    """How many visits the draw has, reserve visits included: its highest visit
    number, since visits are numbered 1…n without a gap (the draw numbers them, a
    substitution takes the next number). Read from the primary key's index, not
    by counting the rows: a page of a 50,000-visit batch asks for it every time.
    (A row deleted behind the library's back is the integrity check's to name.)"""
    query = select(func.max(DrawVisitRow.number)).where(DrawVisitRow.draw_id == row.id)
    return int(session.scalar(query) or 0)


def _among(numbers: Sequence[int]) -> ColumnElement[bool]:
    """The members of these visits: a range for a page, a list for scattered ones
    (an inspector's visits lie all over a provincial batch)."""
    low, high = min(numbers), max(numbers)
    if high - low + 1 <= 2 * len(numbers):
        return DrawMemberRow.visit.between(low, high)
    return DrawMemberRow.visit.in_(sorted(set(numbers)))


def _teams(session: Session, row: DrawRow, numbers: Sequence[int]) -> dict[int, tuple[Officer, ...]]:
    if not numbers:
        return {}
    query = (
        select(DrawMemberRow.visit, InspectorRow.name, DrawMemberRow.department, DrawMemberRow.role)
        .join(
            InspectorRow,
            and_(
                InspectorRow.cert_no == DrawMemberRow.cert_no,
                InspectorRow.held_in(row.inspectors_version),
            ),
        )
        .where(DrawMemberRow.draw_id == row.id, _among(numbers))
        .order_by(DrawMemberRow.visit, DrawMemberRow.slot)
    )
    teams: dict[int, list[Officer]] = defaultdict(list)
    for visit, name, department, role in session.execute(query):
        teams[visit].append(Officer(name, department, role))
    return {visit: tuple(team) for visit, team in teams.items()}


def visit_cells(visit: VisitView) -> list[str]:
    """One visit as the text of the columns :data:`VISIT_COLUMNS`."""
    return [
        str(visit.number),
        visit.object_id,
        visit.name,
        "；".join(f"{item.code} {item.name}" for item in visit.items),
        "、".join(visit.departments),
        "、".join(officer.label for officer in visit.team),
        visit.ticket,
    ]


def visit_json(visit: VisitView) -> dict[str, Any]:
    return {
        "number": visit.number,
        "object_id": visit.object_id,
        "name": visit.name,
        "ticket": visit.ticket,
        "items": [{"code": item.code, "name": item.name} for item in visit.items],
        "departments": list(visit.departments),
        "team": [
            {
                "name": officer.name,
                "department": officer.department,
                "role": officer.role,
                "role_label": role_label(officer.role),
            }
            for officer in visit.team
        ],
    }


def draw_summary(session: Session, row: DrawRow) -> dict[str, Any]:
    """What ``draw show --json`` prints: the draw, its seed and every visit with
    its business, items and team by name (internal: no certificate numbers)."""
    return {
        "plan": row.plan_id,
        "attempt": row.attempt,
        "state": row.state,
        "algorithm": row.algorithm,
        "commitment_hash": row.commitment_hash,
        "entropy_source": row.entropy_source,
        "entropy": row.entropy,
        "seed": row.seed,
        "result_digest": row.result_digest,
        "prepared_at": row.prepared_at.isoformat(),
        "drawn_at": row.drawn_at.isoformat() if row.drawn_at else None,
        "supersede_reason": row.supersede_reason or None,
        "visits": [visit_json(v) for v in visit_views(session, row)],
    }
