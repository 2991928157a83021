"""What changed in a registry between two of its versions: added, removed, changed rows.

Rows are versioned, never overwritten (:mod:`dualrandom.tables`), so the
difference between versions ``old`` and ``new`` is read from the rows that
began or ended between them, in key order, a key at a time: memory stays
bounded by ``limit`` however many rows changed. Personal fields (phone,
ID number, legal representative, home district) and the internal risk
class are compared but never returned: a change to one is named, its values
are not.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row, and_, or_, select
from sqlalchemy.orm import Session

from dualrandom.errors import NotFoundError, UserError
from dualrandom.registry._store import _BOOKKEEPING, KEYS, TABLES
from dualrandom.registry.snapshot import get_version

__all__ = ["HIDDEN_FIELDS", "RowChange", "VersionDiff", "version_diff"]

# Compared, but their values are never shown.
HIDDEN_FIELDS = frozenset(
    {"legal_representative", "phone", "id_number", "home_district", "risk_class"}
)


@dataclass(frozen=True, slots=True)
class RowChange:
    """One key's change: ``before``/``after`` hold the shown fields that differ
    (all shown fields for an added or removed row); ``hidden`` names the hidden
    fields that changed."""

    key: tuple[str, ...]
    label: str  # the row's name (object or officer), for people
    before: dict[str, str]
    after: dict[str, str]
    hidden: tuple[str, ...] = ()


@dataclass
class VersionDiff:
    kind: str
    old: int
    new: int
    key_columns: tuple[str, ...]
    added: list[RowChange] = field(default_factory=list)
    removed: list[RowChange] = field(default_factory=list)
    changed: list[RowChange] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: {"added": 0, "removed": 0, "changed": 0})


def version_diff(
    session: Session, kind: str, old: int, new: int, *, limit: int = 200
) -> VersionDiff:
    """The rows of the ``kind`` registry added, removed and changed from version
    ``old`` to version ``new``; at most ``limit`` of each are listed, all are counted."""
    if kind not in TABLES:
        raise NotFoundError(
            f"名录 {kind!r} 没有版本比较；可比较：{'、'.join(TABLES)}",
            f"registry {kind!r} has no version diff; one of {', '.join(TABLES)}",
        )
    if old >= new:
        raise UserError(
            f"请选择较早的版本与较晚的版本（{old} 不早于 {new}）",
            f"choose an older and a newer version ({old} is not before {new})",
        )
    for number in (old, new):
        get_version(session, kind, number)  # NotFoundError names a missing one
    table = TABLES[kind]
    keys = KEYS[kind]
    shown = [c.name for c in table.columns if c.name not in _BOOKKEEPING]
    diff = VersionDiff(kind, old, new, tuple(keys))
    began = and_(table.c.version_from > old, table.c.version_from <= new)
    ended = and_(table.c.version_to > old, table.c.version_to <= new)
    query = (
        select(table)
        .where(or_(began, ended))
        .order_by(*(table.c[k] for k in keys), table.c.version_from)
        .execution_options(yield_per=5000)
    )
    for key, rows in _by_key(session.execute(query), keys):
        _classify(diff, key, rows, shown, limit)
    return diff


def _by_key(
    rows: Iterator[Row[Any]], keys: Sequence[str]
) -> Iterator[tuple[tuple[str, ...], list[Any]]]:
    current: tuple[str, ...] | None = None
    group: list[Any] = []
    for row in rows:
        key = tuple(str(row._mapping[k]) for k in keys)
        if key != current and group:
            yield current, group  # type: ignore[misc]
            group = []
        current = key
        group.append(row._mapping)
    if group and current is not None:
        yield current, group


def _held(row: Any, version: int) -> bool:
    open_then = row["version_to"] is None or row["version_to"] > version
    return bool(row["version_from"] <= version and open_then and not row["gone"])


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def _classify(
    diff: VersionDiff, key: tuple[str, ...], rows: list[Any], shown: list[str], limit: int
) -> None:
    before: Any = next((r for r in rows if _held(r, diff.old)), None)
    after: Any = next((r for r in rows if _held(r, diff.new)), None)
    if before is None and after is None:
        return
    label = _text((after if after is not None else before).get("name", ""))
    visible = [f for f in shown if f not in HIDDEN_FIELDS and f not in diff.key_columns]
    if before is None:
        assert after is not None
        kind, change = "added", RowChange(key, label, {}, {f: _text(after[f]) for f in visible})
    elif after is None:
        kind, change = "removed", RowChange(key, label, {f: _text(before[f]) for f in visible}, {})
    else:
        differ = [f for f in shown if before[f] != after[f]]
        if not differ:
            return
        open_fields = [f for f in differ if f not in HIDDEN_FIELDS]
        kind = "changed"
        change = RowChange(
            key,
            label,
            {f: _text(before[f]) for f in open_fields},
            {f: _text(after[f]) for f in open_fields},
            tuple(f for f in differ if f in HIDDEN_FIELDS),
        )
    diff.counts[kind] += 1
    listed: list[RowChange] = getattr(diff, kind)
    if len(listed) < limit:
        listed.append(change)
