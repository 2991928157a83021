"""Gather a draw's inputs from the database: the one path from storage to the core.

History (the input of look-back, annual-cap and previous-team rules) is the
visits of every standing draw (state ``drawn``) of another plan whose check
window starts before this plan's, each dated by that plan's window start.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualrandom.core import DrawInputs
from dualrandom.core.model import HistoryRecord, ItemRecord, Plan
from dualrandom.errors import DrawStateError, NotFoundError
from dualrandom.registry.snapshot import (
    conflicts_as_of,
    current_version,
    inspectors_as_of,
    objects_as_of,
)
from dualrandom.rules.store import load_items, load_plan
from dualrandom.tables import DrawMemberRow, DrawRow, DrawVisitRow

__all__ = ["Gathered", "gather", "split_list"]


@dataclass(frozen=True)
class Gathered:
    inputs: DrawInputs
    versions: dict[str, int]  # registry kind -> version number (0: never imported)


def split_list(text: str) -> tuple[str, ...]:
    return tuple(part for part in text.split(";") if part)


def gather(session: Session, plan_id: str) -> Gathered:
    """The plan, its items, the current registries and the history, as core values."""
    plan = load_plan(session, plan_id)
    versions = _versions(session)
    inputs = DrawInputs(
        plan=plan,
        items=_items(session, plan),
        objects=objects_as_of(session, versions["objects"]),
        inspectors=inspectors_as_of(session, versions["inspectors"]),
        conflicts=conflicts_as_of(session, versions["conflicts"]) if versions["conflicts"] else (),
        history=history_before(session, plan),
    )
    return Gathered(inputs, versions)


def _versions(session: Session) -> dict[str, int]:
    versions = {}
    for kind in ("objects", "inspectors", "conflicts"):
        version = current_version(session, kind)
        if version is None and kind != "conflicts":
            raise DrawStateError(
                f"the {kind} registry is empty; import it first with "
                f"'dualrandom registry import {kind} FILE'"
            )
        versions[kind] = version.number if version else 0
    return versions


def _items(session: Session, plan: Plan) -> dict[str, ItemRecord]:
    stored = load_items(session)
    missing = [code for code in plan.items if code not in stored]
    if missing:
        raise NotFoundError(
            f"plan {plan.id!r} names item(s) {', '.join(missing)} that are not loaded; "
            "run 'dualrandom rules load'"
        )
    return {code: stored[code] for code in plan.items}


def history_before(session: Session, plan: Plan) -> list[HistoryRecord]:
    """Visits of standing draws of plans whose window starts before ``plan``'s."""
    records: list[HistoryRecord] = []
    standing = session.scalars(
        select(DrawRow).where(DrawRow.state == "drawn", DrawRow.plan_id != plan.id).order_by(DrawRow.id)
    )
    for draw in standing:
        other = load_plan(session, draw.plan_id)
        if other.window_start < plan.window_start:
            records.extend(_draw_history(session, draw.id, other))
    return records


def _draw_history(session: Session, draw_id: int, plan: Plan) -> list[HistoryRecord]:
    officers: dict[int, list[str]] = defaultdict(list)
    for member in session.scalars(select(DrawMemberRow).where(DrawMemberRow.draw_id == draw_id)):
        officers[member.visit].append(member.cert_no)
    return [
        HistoryRecord(visit.object_id, item, plan.window_start, tuple(officers[visit.number]))
        for visit in session.scalars(select(DrawVisitRow).where(DrawVisitRow.draw_id == draw_id))
        for item in split_list(visit.items)
    ]
