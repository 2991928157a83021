"""What ``registry versions`` and ``registry show`` report: versions and counts.

Counts are by non-personal fields only; the risk class is internal and is not
counted either, so the output can be shown on a screen in a draw ceremony.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Table, func, select
from sqlalchemy.orm import Session

from dualrandom.errors import NotFoundError
from dualrandom.registry._columns import REGISTRY_KINDS
from dualrandom.registry._store import TABLES
from dualrandom.tables import DepartmentRow, RegistryVersionRow

__all__ = ["COUNTED_BY", "list_versions", "registry_counts"]

COUNTED_BY = {
    "objects": ("status", "type", "district"),
    "inspectors": ("department", "status", "district"),
    "conflicts": ("relation",),
    "departments": ("level",),
}


def _known(kind: str) -> None:
    if kind not in REGISTRY_KINDS:
        raise NotFoundError(
            f"没有名录库 {kind!r}；可选：{'、'.join(REGISTRY_KINDS)}",
            f"unknown registry {kind!r}; one of: {', '.join(REGISTRY_KINDS)}",
        )


def list_versions(session: Session, kind: str | None = None) -> list[RegistryVersionRow]:
    """Every version, oldest first, of one registry or of all."""
    query = select(RegistryVersionRow).order_by(RegistryVersionRow.kind, RegistryVersionRow.number)
    if kind is not None:
        _known(kind)
        query = query.where(RegistryVersionRow.kind == kind)
    return list(session.scalars(query))


def registry_counts(session: Session, kind: str) -> dict[str, dict[str, int]]:
    """Current rows of ``kind`` counted by each of its :data:`COUNTED_BY` fields,
    plus ``"rows"``: how many rows are current and, for versioned registries, gone."""
    _known(kind)
    if kind == "departments":
        table: Table = DepartmentRow.__table__  # type: ignore[assignment]
        live: list[ColumnElement[bool]] = []
    else:
        table = TABLES[kind]
        live = [table.c.version_to.is_(None), table.c.gone.is_(False)]
    counts = {field: _grouped(session, table, field, live) for field in COUNTED_BY[kind]}
    counts["rows"] = _rows(session, table, versioned=bool(live))
    return counts


def _grouped(
    session: Session, table: Table, field: str, live: list[ColumnElement[bool]]
) -> dict[str, int]:
    column = table.c[field]
    query = select(column, func.count()).where(*live).group_by(column).order_by(column)
    return {str(value): int(n) for value, n in session.execute(query)}


def _rows(session: Session, table: Table, versioned: bool) -> dict[str, int]:
    if not versioned:
        return {"current": int(session.scalar(select(func.count()).select_from(table)) or 0)}
    query = (
        select(table.c.gone, func.count())
        .where(table.c.version_to.is_(None))
        .group_by(table.c.gone)
    )
    by_gone = {bool(gone): int(n) for gone, n in session.execute(query)}
    return {"current": by_gone.get(False, 0), "gone": by_gone.get(True, 0)}
