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

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Integer, Row, Select, and_, bindparam, func, select
from sqlalchemy.orm import Session, aliased

from dualrandom.core import parse_plan
from dualrandom.core.model import ItemRecord
from dualrandom.draws._inputs import draw_files, split_list
from dualrandom.errors import IntegrityError
from dualrandom.memo import DigestMemo
from dualrandom.tables import (
    DrawFileRow,
    DrawMemberRow,
    DrawRow,
    DrawVisitRow,
    InspectionTaskRow,
    InspectorRow,
    ObjectRow,
)

__all__ = [
    "TASK_CELLS",
    "UNKNOWN_ITEM",
    "VISIT_COLUMNS",
    "Officer",
    "Picked",
    "VisitItem",
    "VisitView",
    "draw_summary",
    "plan_items",
    "role_label",
    "stored_visits",
    "visit_cells",
    "visit_count",
    "visit_fingerprint",
    "visit_json",
    "visit_records",
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
    # of the stored rows this view was read from (visit_fingerprint): not shown
    fingerprint: int = field(default=0, compare=False, repr=False)


_PLANS: DigestMemo[dict[str, ItemRecord]] = DigestMemo(32)


def plan_items(data: bytes, algorithm: str) -> dict[str, ItemRecord]:
    """The items of a stored plan.json, parsed once per content (the records are
    frozen; the dict is a copy)."""
    return dict(_PLANS.get(data, lambda: parse_plan(data, algorithm)[1], algorithm))


# The items of a draw's plan.json by (draw, the file's stored SHA-256): a page
# reads the 64-character digest, not the file, and the file only when the
# digest is new. A parse is kept only if the content has the stored digest:
# a file changed behind the library's back (its digest left alone) is parsed
# on every view, never kept under the digest of the one that was drawn.
_DRAW_ITEMS: dict[tuple[int, str], dict[str, ItemRecord]] = {}
_DRAW_ITEMS_KEPT = 64


_PLAN_FILE = (DrawFileRow.draw_id == bindparam("draw_id"), DrawFileRow.name == "plan.json")
_PLAN_DIGEST = select(DrawFileRow.sha256).where(*_PLAN_FILE)


def _draw_items(session: Session, row: DrawRow) -> dict[str, ItemRecord]:
    digest = session.scalar(_PLAN_DIGEST, {"draw_id": row.id})
    found = _DRAW_ITEMS.get((row.id, digest or ""))
    if found is not None:
        return found
    data = session.scalar(select(DrawFileRow.content).where(*_PLAN_FILE), {"draw_id": row.id})
    if data is None:
        data = draw_files(session, row.id, ("plan.json",))["plan.json"]  # its own error
    items = plan_items(data, row.algorithm)
    if digest is not None and hashlib.sha256(data).hexdigest() == digest:
        if len(_DRAW_ITEMS) >= _DRAW_ITEMS_KEPT:
            _DRAW_ITEMS.clear()  # a server shows a handful of draws: no order kept
        _DRAW_ITEMS[(row.id, digest)] = items
    return items


def visit_fingerprint(visit: Sequence[Any], members: Iterable[Sequence[Any]], task: Any) -> int:
    """The fingerprint (SHA-256, first 8 bytes) of one visit's stored rows, each as
    read from the database in a fixed order: the visit (object, ticket, items,
    departments, strata), its members by slot (slot, certificate, department,
    role, position), its task's object (None: no task row). The console keeps
    the fingerprints of a draw that passed its integrity check and compares
    those of every visit it shows (:mod:`dualrandom.console.checked`)."""
    lines = ["V\t" + "\t".join(map(str, visit))]
    lines += ["M\t" + "\t".join(map(str, member)) for member in members]
    if task is not None:
        lines.append(f"T\t{task}")
    return int.from_bytes(hashlib.sha256("\n".join(lines).encode("utf-8")).digest()[:8])


@dataclass(frozen=True)
class Picked:
    """Which visits of a draw to read, chosen by the database: ``statement``
    selects their numbers (built once, with bind parameters: a page of a
    draw's tasks, an officer's page of tasks), ``params`` are its values. The
    reads run it inside their own statements: no list of numbers is sent back
    and forth, and no statement is built anew for each page."""

    statement: Select[int]
    params: Mapping[str, Any]


# Which visits: a list of numbers, a range of them, or Picked.
Numbers = Sequence[int] | Picked
# A stored row as read: its columns in the order of the statement that read it.
Stored = Row[*tuple[Any, ...]]
_VISIT_CELLS = ("number", "object_id", "ticket", "items", "departments", "strata")
_MEMBER_CELLS = (
    DrawMemberRow.visit,
    DrawMemberRow.slot,
    DrawMemberRow.cert_no,
    DrawMemberRow.department,
    DrawMemberRow.role,
    DrawMemberRow.position,
)
_EVERY = 2**62  # the limit of a read without one
# The task's columns its view shows (lifecycle.view.TaskView, in its order), read
# with the visit by the same statement: a task page asks no statement of its own.
TASK_CELLS = (
    "state",
    "checked_on",
    "result_code",
    "follow_up",
    "deadline",
    "deadline_provisional",
    "reason",
    "replaces_visit",
    "replaced_by_visit",
)
_Reads = tuple[Select[*tuple[Any, ...]], Select[*tuple[Any, ...]]]
_READS: dict[tuple[object, bool], _Reads] = {}


def _reads(how: object, names: bool) -> _Reads:
    """The two statements that read visits picked ``how`` (None: all, a page,
    "range", "list", or a Picked's statement), with names or not: built once
    each (building them took longer than running them) and kept."""
    found = _READS.get((how, names))
    if found is None:
        found = _READS[(how, names)] = _build_reads(how, names)
    return found


def _build_reads(how: object, names: bool) -> _Reads:
    number = DrawVisitRow.number
    wanted = select(DrawVisitRow).where(DrawVisitRow.draw_id == bindparam("draw_id"))
    if how == "range":
        wanted = wanted.where(number.between(bindparam("low"), bindparam("high")))
    elif how == "list":
        wanted = wanted.where(number.in_(bindparam("numbers", expanding=True)))
    elif isinstance(how, Select):
        wanted = wanted.where(number.in_(how))
    paged = wanted.order_by(number).offset(bindparam("offset")).limit(bindparam("limit")).subquery()
    task = aliased(InspectionTaskRow)
    visits = select(
        *(paged.c[name] for name in _VISIT_CELLS),  # paged.c.items is a method
        task.object_id,
        *([ObjectRow.name, *(getattr(task, name) for name in TASK_CELLS)] if names else []),
    ).join(
        task,
        and_(task.draw_id == bindparam("draw_id"), task.visit == paged.c["number"]),
        isouter=True,
    )
    members = select(*_MEMBER_CELLS, *([InspectorRow.name] if names else [])).where(
        DrawMemberRow.draw_id == bindparam("draw_id"),
        DrawMemberRow.visit.in_(select(paged.c["number"])),
    )
    if names:
        visits = visits.join(
            ObjectRow,
            and_(
                ObjectRow.object_id == paged.c["object_id"],
                ObjectRow.held_in(bindparam("objects_version", type_=Integer)),
            ),
            isouter=True,
        )
        members = members.join(
            InspectorRow,
            and_(
                InspectorRow.cert_no == DrawMemberRow.cert_no,
                InspectorRow.held_in(bindparam("inspectors_version", type_=Integer)),
            ),
            isouter=True,
        )
    return (
        visits.order_by(paged.c["number"]),
        members.order_by(DrawMemberRow.visit, DrawMemberRow.slot),
    )


def stored_visits(
    session: Session,
    row: DrawRow,
    *,
    offset: int = 0,
    limit: int | None = None,
    numbers: Numbers | range | None = None,
    names: bool = True,
) -> Iterator[tuple[Stored, list[Stored]]]:
    """Each visit's stored row and its members' rows, in visit order, read in two
    statements (the visits with their task's object, the members), with the
    business's and the officers' names if ``names``."""
    params: dict[str, Any] = {
        "draw_id": row.id,
        "offset": offset,
        "limit": _EVERY if limit is None else limit,
        "objects_version": row.objects_version,
        "inspectors_version": row.inspectors_version,
    }
    how: object = None
    if isinstance(numbers, range):
        how, params["low"], params["high"] = "range", numbers.start, numbers.stop - 1
    elif isinstance(numbers, Picked):
        how = numbers.statement
        params.update(numbers.params)
    elif numbers is not None:
        how, params["numbers"] = "list", sorted(set(numbers))
    read_visits, read_members = _reads(how, names)
    visits = session.execute(read_visits, params).all()
    if not visits:
        return
    low, high = visits[0][0], visits[-1][0]
    if how != "range" and high - low + 1 <= 2 * len(visits):
        # The visits lie together (a page of a draw, or of its tasks): their
        # members are read by range, not by running the page's selection again
        # (an offset deep into a batch of 50,000 was most of its cost); members
        # of visits in between that are not shown are read and left out.
        read_members = _reads("range", names)[1]
        params = {**params, "low": low, "high": high, "offset": 0, "limit": _EVERY}
    teams: dict[int, list[Stored]] = defaultdict(list)
    for member in session.execute(read_members, params):
        teams[member[0]].append(member)
    for visit in visits:
        yield visit, teams.get(visit[0], [])


def visit_views(
    session: Session,
    row: DrawRow,
    *,
    offset: int = 0,
    limit: int | None = None,
    numbers: Numbers | None = None,
) -> list[VisitView]:
    """The visits of the draw ``row`` in visit order, reserve visits included;
    ``offset`` and ``limit`` page through a large one; ``numbers``, if given,
    keeps only those visits (a list, or a statement that selects them)."""
    found = visit_records(session, row, offset=offset, limit=limit, numbers=numbers)
    return [view for view, _ in found]


def visit_records(
    session: Session,
    row: DrawRow,
    *,
    offset: int = 0,
    limit: int | None = None,
    numbers: Numbers | None = None,
) -> list[tuple[VisitView, tuple[Any, ...] | None]]:
    """:func:`visit_views`, each with its task's :data:`TASK_CELLS` as read by the
    same statement (None: the visit has no task)."""
    items = _draw_items(session, row)
    # A batch's visits repeat a few item and department lists: each is split once.
    item_lists: dict[str, tuple[VisitItem, ...]] = {}
    department_lists: dict[str, tuple[str, ...]] = {}
    records = []
    for visit, members in stored_visits(session, row, offset=offset, limit=limit, numbers=numbers):
        number, object_id, ticket, codes, departments, _strata, task_object, name = visit[:8]
        if name is None:
            raise IntegrityError(
                f"{row.plan_id} 第 {row.attempt} 次抽取的第 {number} 户 {object_id} "
                f"不在其所用的检查对象名录第 {row.objects_version} 版中",
                f"{row.plan_id}#{row.attempt} visit {number}: object {object_id!r} "
                f"is not in objects version {row.objects_version}",
            )
        visit_items = item_lists.get(codes)
        if visit_items is None:
            visit_items = item_lists[codes] = tuple(
                VisitItem(code, items[code].name if code in items else UNKNOWN_ITEM)
                for code in split_list(codes)
            )
        visit_departments = department_lists.get(departments)
        if visit_departments is None:
            visit_departments = department_lists[departments] = split_list(departments)
        view = VisitView(
            number,
            object_id,
            name,
            ticket,
            visit_items,
            visit_departments,
            # an officer not in the inspectors version is left out, as before;
            # the fingerprint has the member's row all the same
            tuple(Officer(m[6], m[3], m[4]) for m in members if m[6] is not None),
            visit_fingerprint(visit[1:6], [m[1:6] for m in members], task_object),
        )
        records.append((view, None if task_object is None else tuple(visit[8:])))
    return records


def visit_count(session: Session, row: DrawRow) -> int:
    """How many visits the draw has, reserve visits included: its highest visit
    number, since visits are numbered 1…n without a gap (the draw numbers them, a
    substitution takes the next number). Read from the primary key's index, not
    by counting the rows: a page of a 50,000-visit batch asks for it every time.
    (A row deleted behind the library's back is the integrity check's to name.)"""
    query = select(func.max(DrawVisitRow.number)).where(DrawVisitRow.draw_id == row.id)
    return int(session.scalar(query) or 0)


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
