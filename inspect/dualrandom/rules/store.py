"""Items and plans in the database: the functions other parts call.

``save_items`` and ``save_plans`` upsert: a new or changed item or plan is
written and gets one audit entry (``rules.item`` / ``rules.plan``) holding
its full new content, so the log alone shows every version that was ever in
force; an unchanged one is neither rewritten nor logged. Nothing is ever
deleted: past draws name their plan and items, and an item or plan dropped
from the files stays readable (``rules load`` reports it as no longer in the
files). Like every service function these take the caller's session and
never commit.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualrandom import audit
from dualrandom.core.encoding import canonical_json
from dualrandom.core.model import ItemRecord, Plan
from dualrandom.core.plan_json import (
    item_from_json,
    item_to_json,
    plan_digest,
    plan_from_json,
    plan_to_json,
)
from dualrandom.db import as_utc
from dualrandom.errors import IntegrityError, NotFoundError, Problem, RulesError
from dualrandom.memo import DigestMemo
from dualrandom.tables import DepartmentRow, ItemRow, PlanRow
from dualrandom.tomlfile import Hint, hint

__all__ = [
    "NO_DEPARTMENTS",
    "Changes",
    "StoredPlan",
    "get_plan",
    "list_plans",
    "load_items",
    "load_plan",
    "plan_source",
    "save_items",
    "save_plans",
]


# Why nothing can be checked against the departments: (Chinese, English) for a Problem.
NO_DEPARTMENTS = Hint(
    "数据库中还没有任何部门；请先运行 dualrandom registry import departments FILE",
    "the database has no departments; run 'dualrandom registry import departments FILE' first",
)


@dataclass(frozen=True, slots=True)
class Changes:
    """What a save did, by item code or plan id."""

    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()

    def __add__(self, other: Changes) -> Changes:
        return Changes(
            self.added + other.added,
            self.changed + other.changed,
            self.unchanged + other.unchanged,
        )


@dataclass(frozen=True, slots=True)
class StoredPlan:
    """A plan as stored: ``source`` is its storage JSON, ``digest`` the DR-1
    plan digest (docs/SPEC.md), which covers the items it names too."""

    plan: Plan
    source: str
    digest: str
    loaded_at: datetime


# -- items -----------------------------------------------------------------


# Columns of the items table that hold an item's JSON value as it is.
_ITEM_VALUES = (
    "code",
    "name",
    "sub_item",
    "legal_basis",
    "department",
    "specialty",
    "ratio",
    "max_per_year",
)


def _item_columns(item: ItemRecord) -> dict[str, Any]:
    value = item_to_json(item)
    return {key: value[key] for key in _ITEM_VALUES} | {
        "item_class": value["class"],
        "methods": ";".join(value["methods"]),
        "scope": canonical_json(value["scope"]),
    }


def _item_from_row(row: ItemRow) -> ItemRecord:
    return item_from_json(
        {key: getattr(row, key) for key in _ITEM_VALUES}
        | {
            "class": row.item_class,
            "methods": row.methods.split(";") if row.methods else [],
            "scope": json.loads(row.scope),
        }
    )


def save_items(
    session: Session, items: Sequence[ItemRecord], source: str, *, actor: str
) -> Changes:
    """Add or update ``items`` (read from ``source``, a file name); log each change.

    Raises RulesError, writing nothing, when a code repeats or an item's
    department is not in the departments table.
    """
    _check_items(session, items, source)
    rows = {row.code: row for row in session.scalars(select(ItemRow))}
    added, changed, unchanged = [], [], []
    for item in sorted(items, key=lambda i: i.code):
        columns, row = _item_columns(item), rows.get(item.code)
        if row is None:
            session.add(ItemRow(**columns))
            payload = _item_payload("added", source, item)
            audit.append(session, "rules.item", item.code, payload, actor=actor)
            added.append(item.code)
        elif {key: getattr(row, key) for key in columns} != columns:
            payload = _item_payload("changed", source, item, previous=_item_from_row(row))
            for key, value in columns.items():
                setattr(row, key, value)
            audit.append(session, "rules.item", item.code, payload, actor=actor)
            changed.append(item.code)
        else:
            unchanged.append(item.code)
    session.flush()
    return Changes(tuple(added), tuple(changed), tuple(unchanged))


def _item_payload(
    change: str, source: str, item: ItemRecord, previous: ItemRecord | None = None
) -> dict[str, Any]:
    payload = {"change": change, "source": source, "item": item_to_json(item)}
    if previous is not None:
        payload["previous"] = item_to_json(previous)
    return payload


def _check_items(session: Session, items: Sequence[ItemRecord], source: str) -> None:
    known = sorted(session.scalars(select(DepartmentRow.code)))
    problems, seen = [], set()
    if not known:
        problems.append(Problem(source, None, "department", "", *NO_DEPARTMENTS))
    for item in items:
        if item.code in seen:
            problems.append(
                Problem(source, None, "code", item.code, "列出了两次", "is listed twice")
            )
        seen.add(item.code)
        if known and item.department not in known:
            close = hint(item.department, known)
            problems.append(
                Problem(
                    source,
                    None,
                    "department",
                    item.department,
                    f"不在部门名录中{close.zh}",
                    f"is not in the departments registry{close.en}",
                )
            )
    if problems:
        raise RulesError(problems)


def load_items(session: Session) -> dict[str, ItemRecord]:
    """Every stored item, by code (in code order)."""
    rows = session.scalars(select(ItemRow).order_by(ItemRow.code))
    return {row.code: _item_from_row(row) for row in rows}


# -- plans -----------------------------------------------------------------


def plan_source(plan: Plan) -> str:
    """The stored text of a plan: the canonical JSON of the core's plan JSON
    (``dualrandom.core.plan_json``; migration 0005 brought older databases to it)."""
    return canonical_json(plan_to_json(plan))


def save_plans(session: Session, plans: Sequence[Plan], source: str, *, actor: str) -> Changes:
    """Add or update ``plans`` (read from ``source``); log each change.

    The stored digest is the DR-1 plan digest, which covers the records of
    the items the plan names, so save the items first. A plan whose file did
    not change is logged again when one of its items did.
    """
    items = load_items(session)
    added, changed, unchanged = [], [], []
    for plan in sorted(plans, key=lambda p: p.id):
        text, digest = plan_source(plan), plan_digest(plan, items)
        row = session.get(PlanRow, plan.id)
        if row is not None and row.source == text and row.digest == digest:
            unchanged.append(plan.id)
            continue
        payload = {
            "change": "added" if row is None else "changed",
            "source": source,
            "digest": digest,
            "previous_digest": None if row is None else row.digest,
            "plan": plan_to_json(plan),
        }
        if row is None:
            row = PlanRow(id=plan.id)
            session.add(row)
            added.append(plan.id)
        else:
            changed.append(plan.id)
        row.title, row.year, row.batch = plan.title, plan.year, plan.batch
        row.source, row.digest, row.loaded_at = text, digest, datetime.now(UTC)
        audit.append(session, "rules.plan", plan.id, payload, actor=actor)
    session.flush()
    return Changes(tuple(added), tuple(changed), tuple(unchanged))


# A plan's storage JSON, read back on every page that lists plans: parsed once per content.
_SOURCES: DigestMemo[Plan] = DigestMemo(256)


def _stored(row: PlanRow) -> StoredPlan:
    source = row.source
    try:
        plan = _SOURCES.get(source, lambda: plan_from_json(json.loads(source)))
    except (ValueError, KeyError, TypeError) as exc:
        raise IntegrityError(
            f"存储的计划 {row.id!r} 无法读回：{exc}",
            f"stored plan {row.id!r} cannot be read back: {exc}",
        ) from None
    return StoredPlan(plan, row.source, row.digest, as_utc(row.loaded_at))


def get_plan(session: Session, plan_id: str) -> StoredPlan:
    """The stored plan ``plan_id`` with its digest; NotFoundError lists the known ids."""
    row = session.get(PlanRow, plan_id)
    if row is None:
        known = list(session.scalars(select(PlanRow.id).order_by(PlanRow.id)))
        if not known:
            raise NotFoundError(
                f"没有计划 {plan_id!r}：尚未载入任何计划；请运行 dualrandom rules load",
                f"no plan {plan_id!r}: no plans are loaded; run 'dualrandom rules load'",
            )
        close = difflib.get_close_matches(plan_id, known, n=1)
        guess = f" (did you mean {close[0]!r}?)" if close else ""
        guess_zh = f"（是否应为 {close[0]!r}？）" if close else ""
        raise NotFoundError(
            f"没有计划 {plan_id!r}{guess_zh}；已载入的计划：{'、'.join(known)}",
            f"no plan {plan_id!r}{guess}; known plans: {', '.join(known)}",
        )
    return _stored(row)


def load_plan(session: Session, plan_id: str) -> Plan:
    """The stored plan ``plan_id``; NotFoundError names it and lists the known ids."""
    return get_plan(session, plan_id).plan


def list_plans(session: Session, year: int | None = None) -> list[StoredPlan]:
    """Stored plans, of ``year`` only if given, by year then id."""
    query = select(PlanRow).order_by(PlanRow.year, PlanRow.id)
    if year is not None:
        query = query.where(PlanRow.year == year)
    return [_stored(row) for row in session.scalars(query)]


def stored_ids(session: Session) -> Mapping[str, frozenset[str]]:
    """Codes of every stored item and ids of every stored plan."""
    return {
        "items": frozenset(session.scalars(select(ItemRow.code))),
        "plans": frozenset(session.scalars(select(PlanRow.id))),
    }
