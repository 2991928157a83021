"""The drawn objects of one draw, with their public names and their task state.

Names are read as of the registry version the draw used, so a notice keeps
saying what was drawn even after a business renamed itself. Only public
columns are selected; personal columns (legal representative, phones) and
the risk class are never read. Inspector names are read only for a plan
that publishes them, and then only name, department and role: the
certificate number is a join key and never leaves the query.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from dualrandom.errors import IntegrityError
from dualrandom.publish.labels import PUBLISHED_TASK_STATES, role_label
from dualrandom.publish.names import display_name
from dualrandom.publish.read._catalog import DrawRecord
from dualrandom.tables import (
    DrawMemberRow,
    DrawVisitRow,
    InspectionTaskRow,
    InspectorRow,
    ObjectRow,
)

__all__ = ["Visit", "read_visits"]

CHUNK = 10_000


class Visit(NamedTuple):
    """One drawn object of one draw (a tuple: 10^5 of them are sorted and spilled)."""

    draw_id: int
    number: int
    object_id: str
    id_type: str
    name: str  # as published: masked where the plan says so
    registered_name: str  # as registered: for the object page, masked there if any plan masks
    type: str
    district: str
    ticket: str
    items: tuple[str, ...]
    departments: tuple[str, ...]  # codes
    state: str  # the inspection task's state ("" when no task exists)
    reason: str
    replaced_by: int | None
    checked_on: date | None
    result: str  # a published result code, else ""
    follow_up: str
    inspectors: tuple[str, ...]


def object_as_of(version: int) -> Any:
    """Join condition: the object row that held in registry ``version``."""
    return and_(
        ObjectRow.object_id == DrawVisitRow.object_id,
        ObjectRow.version_from <= version,
        or_(ObjectRow.version_to.is_(None), ObjectRow.version_to > version),
        ObjectRow.gone.is_(False),
    )


def visit_query(version: int) -> Select[*tuple[Any, ...]]:
    """Visits with the public object columns as of ``version`` and the task columns."""
    return (
        select(
            DrawVisitRow.number,
            DrawVisitRow.object_id,
            DrawVisitRow.ticket,
            DrawVisitRow.items,
            DrawVisitRow.departments,
            ObjectRow.name,
            ObjectRow.type,
            ObjectRow.id_type,
            ObjectRow.district,
            InspectionTaskRow.state,
            InspectionTaskRow.reason,
            InspectionTaskRow.replaced_by_visit,
            InspectionTaskRow.checked_on,
            InspectionTaskRow.result_code,
            InspectionTaskRow.follow_up,
        )
        .select_from(DrawVisitRow)
        .join(ObjectRow, object_as_of(version), isouter=True)
        .join(
            InspectionTaskRow,
            and_(
                InspectionTaskRow.draw_id == DrawVisitRow.draw_id,
                InspectionTaskRow.visit == DrawVisitRow.number,
            ),
            isouter=True,
        )
    )


def _split(text: str) -> tuple[str, ...]:
    return tuple(part for part in text.split(";") if part)


def to_visit(row: Sequence[Any], record: DrawRecord, inspectors: tuple[str, ...] = ()) -> Visit:
    (
        number,
        object_id,
        ticket,
        items,
        departments,
        name,
        kind,
        id_type,
        district,
        state,
        reason,
        replaced_by,
        checked_on,
        result,
        follow_up,
    ) = row
    if name is None:
        raise IntegrityError(
            f"{record.plan_id}#{record.attempt} 第 {number} 户：检查对象 {object_id!r} "
            f"不在检查对象名录库第 {record.objects_version} 版中",
            f"{record.plan_id}#{record.attempt} visit {number}: object {object_id!r} is not in "
            f"objects version {record.objects_version}",
        )
    shown = state in PUBLISHED_TASK_STATES and bool(result)
    return Visit(
        draw_id=record.id,
        number=number,
        object_id=object_id,
        id_type=id_type,
        name=display_name(name, kind, mask=record.mask_names),
        registered_name=name,
        type=kind,
        district=district,
        ticket=ticket,
        items=_split(items),
        departments=_split(departments),
        state=state or "",
        reason=reason or "",
        replaced_by=replaced_by,
        checked_on=checked_on if shown else None,
        result=result if shown else "",
        follow_up=follow_up if shown else "",
        inspectors=inspectors,
    )


def read_visits(session: Session, record: DrawRecord) -> Iterator[Visit]:
    """Every visit of the draw in visit order, streamed in chunks."""
    team = _inspectors(session, record) if record.inspector_names else {}
    query = (
        visit_query(record.objects_version)
        .where(DrawVisitRow.draw_id == record.id)
        .order_by(DrawVisitRow.number)
        .execution_options(yield_per=CHUNK)
    )
    for row in session.execute(query):
        yield to_visit(row, record, team.get(row[0], ()))


def _inspectors(session: Session, record: DrawRecord) -> dict[int, tuple[str, ...]]:
    version = record.inspectors_version
    as_of = and_(
        InspectorRow.cert_no == DrawMemberRow.cert_no,
        InspectorRow.version_from <= version,
        or_(InspectorRow.version_to.is_(None), InspectorRow.version_to > version),
    )
    rows = session.execute(
        select(DrawMemberRow.visit, InspectorRow.name, DrawMemberRow.role)
        .join(InspectorRow, as_of)
        .where(DrawMemberRow.draw_id == record.id)
        .order_by(DrawMemberRow.visit, DrawMemberRow.slot)
    ).all()
    team: dict[int, list[str]] = defaultdict(list)
    for visit, name, role in rows:
        team[visit].append(f"{name}（{role_label(role)}）")
    return {visit: tuple(names) for visit, names in team.items()}
