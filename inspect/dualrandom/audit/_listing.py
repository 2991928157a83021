"""Reading the log: entries by who did what, to which plan, and when (``audit log``,
the console's 操作日志)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from dualrandom.tables import AuditEntryRow

__all__ = ["Page", "distinct_values", "entries"]


@dataclass(frozen=True, slots=True)
class Page:
    """A page of entries, newest first, and how many entries match in all."""

    total: int
    entries: list[AuditEntryRow]


def _about_plan(plan: str) -> ColumnElement[bool]:
    """The entries about a plan: its rules (``P``), its draws (``P#n``), their tasks
    (``P#n/v``) and its scheduled steps (``P/step``)."""
    column = AuditEntryRow.subject
    return or_(
        column == plan,
        column.startswith(f"{plan}#", autoescape=True),
        column.startswith(f"{plan}/", autoescape=True),
    )


def entries(
    session: Session,
    *,
    plan: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    subject: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    offset: int = 0,
    limit: int = 100,
) -> Page:
    """Entries by who did what: ``plan`` every entry about that plan, ``actor``
    exactly, ``action`` and ``subject`` as prefixes (``draw.`` matches every draw
    step), ``since`` inclusive and ``until`` exclusive; newest first, ``limit``
    of them from ``offset``."""
    where: list[ColumnElement[bool]] = []
    if plan:
        where.append(_about_plan(plan))
    if actor:
        where.append(AuditEntryRow.actor == actor)
    if action:
        where.append(AuditEntryRow.action.startswith(action, autoescape=True))
    if subject:
        where.append(AuditEntryRow.subject.startswith(subject, autoescape=True))
    if since is not None:
        where.append(AuditEntryRow.at >= since)
    if until is not None:
        where.append(AuditEntryRow.at < until)
    total = session.scalar(select(func.count()).select_from(AuditEntryRow).where(*where)) or 0
    query = (
        select(AuditEntryRow)
        .where(*where)
        .order_by(AuditEntryRow.seq.desc())
        .offset(offset)
        .limit(limit)
    )
    return Page(int(total), list(session.scalars(query)))


def distinct_values(session: Session, column: str) -> list[str]:
    """The distinct actors or actions in the log, sorted: what a filter may offer."""
    field = {"actor": AuditEntryRow.actor, "action": AuditEntryRow.action}[column]
    return sorted(session.scalars(select(field).distinct()))
