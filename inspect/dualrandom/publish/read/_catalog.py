"""The small things every page needs, read once: departments, items, plans, draws.

A draw is described as it was drawn: its plan and items come from the
``plan.json`` it committed to (the plan may have been edited since), its
publication settings too. The audit log is read only for the dates of the
item list; the site's own ``publish.site`` entries are never read, so
publishing twice gives the same site.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dualrandom.core.model import ItemRecord
from dualrandom.db import as_utc
from dualrandom.draws import DrawState
from dualrandom.errors import IntegrityError
from dualrandom.publish.labels import PUBLISHED_TASK_STATES
from dualrandom.rules.store import StoredPlan, list_plans, load_items
from dualrandom.tables import (
    AuditEntryRow,
    DepartmentRow,
    DrawFileRow,
    DrawRow,
    DrawVisitRow,
    InspectionTaskRow,
)

__all__ = ["Catalog", "DrawRecord", "read_catalog"]


@dataclass(frozen=True, slots=True)
class DrawRecord:
    """One row of ``draws`` with the plan document it committed to."""

    id: int
    plan_id: str
    attempt: int
    state: str
    algorithm: str
    objects_version: int
    inspectors_version: int
    prepared_at: datetime
    drawn_at: datetime | None
    commitment: dict[str, Any]
    commitment_hash: str
    entropy_source: str
    entropy: str
    secret: str
    seed: str
    result_digest: str
    supersedes_id: int | None
    supersede_reason: str
    plan: dict[str, Any]  # the "plan" member of plan.json
    items: dict[str, dict[str, Any]]  # the items of plan.json, by code
    visits: int
    results: int  # published results
    results_updated: datetime | None

    @property
    def has_notice(self) -> bool:
        return self.state in (DrawState.DRAWN, DrawState.SUPERSEDED)

    @property
    def mask_names(self) -> bool:
        return bool(self.plan["publication"]["mask_person_names"])

    @property
    def inspector_names(self) -> bool:
        return bool(self.plan["publication"]["inspector_names"])

    @property
    def window(self) -> tuple[date, date]:
        window = self.plan["window"]
        return date.fromisoformat(window["start"]), date.fromisoformat(window["end"])


@dataclass(frozen=True, slots=True)
class Catalog:
    departments: dict[str, str]  # code -> name
    items: dict[str, ItemRecord]
    items_updated: datetime | None
    plans: list[StoredPlan]
    draws: list[DrawRecord]  # by (plan id, attempt)

    def department(self, code: str) -> str:
        return self.departments.get(code, code)

    def draw(self, draw_id: int) -> DrawRecord:
        for record in self.draws:
            if record.id == draw_id:
                return record
        raise IntegrityError(
            f"引用了编号为 {draw_id} 的抽取，但它不存在",
            f"draw {draw_id} is referred to but does not exist",
        )

    def replacement(self, record: DrawRecord) -> DrawRecord | None:
        """The later attempt that superseded or withdrew ``record``."""
        return next((d for d in self.draws if d.supersedes_id == record.id), None)


def read_catalog(session: Session) -> Catalog:
    departments = dict(session.execute(select(DepartmentRow.code, DepartmentRow.name)).all())
    updated = session.scalar(
        select(func.max(AuditEntryRow.at)).where(AuditEntryRow.action == "rules.item")
    )
    return Catalog(
        departments=departments,
        items=load_items(session),
        items_updated=as_utc(updated) if updated else None,
        plans=list_plans(session),
        draws=_draws(session),
    )


def _draws(session: Session) -> list[DrawRecord]:
    documents = dict(
        session.execute(
            select(DrawFileRow.draw_id, DrawFileRow.content).where(DrawFileRow.name == "plan.json")
        ).all()
    )
    visits = dict(
        session.execute(select(DrawVisitRow.draw_id, func.count()).group_by(DrawVisitRow.draw_id)).all()
    )
    published = session.execute(
        select(InspectionTaskRow.draw_id, func.count(), func.max(InspectionTaskRow.updated_at))
        .where(InspectionTaskRow.state.in_(PUBLISHED_TASK_STATES), InspectionTaskRow.result_code != "")
        .group_by(InspectionTaskRow.draw_id)
    ).all()
    results = {draw_id: (count, as_utc(latest)) for draw_id, count, latest in published}
    rows = session.scalars(select(DrawRow).order_by(DrawRow.plan_id, DrawRow.attempt))
    return [_record(row, documents, visits.get(row.id, 0), results.get(row.id)) for row in rows]


def _record(
    row: DrawRow, documents: dict[int, bytes], visits: int, results: tuple[int, datetime] | None
) -> DrawRecord:
    if row.id not in documents:
        raise IntegrityError(
            f"抽取 {row.plan_id}#{row.attempt} 没有存储的 plan.json",
            f"draw {row.plan_id}#{row.attempt} has no stored plan.json",
        )
    if hashlib.sha256(row.commitment.encode("utf-8")).hexdigest() != row.commitment_hash:
        raise IntegrityError(
            f"抽取 {row.plan_id}#{row.attempt} 的承诺已与其哈希值不一致",
            f"the commitment of {row.plan_id}#{row.attempt} no longer matches its hash",
        )
    document = json.loads(documents[row.id])
    return DrawRecord(
        id=row.id,
        plan_id=row.plan_id,
        attempt=row.attempt,
        state=row.state,
        algorithm=row.algorithm,
        objects_version=row.objects_version,
        inspectors_version=row.inspectors_version,
        prepared_at=as_utc(row.prepared_at),
        drawn_at=as_utc(row.drawn_at) if row.drawn_at else None,
        commitment=json.loads(row.commitment),
        commitment_hash=row.commitment_hash,
        entropy_source=row.entropy_source,
        entropy=row.entropy or "",
        secret=row.secret or "",
        seed=row.seed or "",
        result_digest=row.result_digest or "",
        supersedes_id=row.supersedes_id,
        supersede_reason=row.supersede_reason,
        plan=document["plan"],
        items={item["code"]: item for item in document["items"]},
        visits=visits,
        results=results[0] if results else 0,
        results_updated=results[1] if results else None,
    )
