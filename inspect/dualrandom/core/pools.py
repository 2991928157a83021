"""Pools and exclusions (docs/SPEC.md §7): who can be drawn for which item,
and, for everyone who cannot, the reason codes. All of it is fixed before the
seed exists."""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from dualrandom.core.model import (
    HistoryRecord,
    ItemRecord,
    ObjectRecord,
    Plan,
    Stratum,
)
from dualrandom.core.table import Coded, ObjectTable, Picked

__all__ = [
    "FILTER_COLUMNS",
    "REASONS",
    "Exclusion",
    "Pools",
    "build_pools",
    "months_before",
]

# Reason codes, in the order they are listed on an exclusion.
REASONS = ("status", "lookback", "annual_cap", "item_cap")
ANY_ITEM = None  # the item of the pseudo-inspection made from last_inspected


@dataclass(frozen=True, slots=True)
class Exclusion:
    """An object that matched an item's pool but may not be drawn for it."""

    item: str
    stratum: str
    object_id: str
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Pools:
    """Pool members per (item, stratum) in id order, exclusions sorted by
    (item, stratum, id), and the plan-scope objects outside every stratum."""

    members: Mapping[tuple[str, str], Sequence[str]]  # ``Picked``: read from ``table``
    exclusions: tuple[Exclusion, ...]
    outside: tuple[str, ...]
    # The members again, as rows of ``table`` (ascending, so in id order).
    rows: Mapping[tuple[str, str], npt.NDArray[np.intp]]
    table: ObjectTable


def months_before(day: date, months: int) -> date:
    """Calendar months back from ``day``, clamping the day of month to the
    length of the target month (2027-03-31 minus 1 month is 2027-02-28)."""
    index = day.year * 12 + (day.month - 1) - months
    year, month0 = divmod(index, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day.day, last))


def _history_events(history: Iterable[HistoryRecord]) -> dict[str, list[tuple[str | None, date]]]:
    """Per object, the inspections its history records."""
    events: dict[str, list[tuple[str | None, date]]] = defaultdict(list)
    for record in history:
        events[record.object_id].append((record.item_code, record.date))
    return events


# The columns each filter key reads (ObjectColumns field names, which are also the
# database's and the Spark schema's): a filter's verdict, like a record's, depends
# on these alone, so the engines decide it once per combination of their values.
FILTER_COLUMNS: dict[str, tuple[str, ...]] = {
    "type": ("type",),
    "district": ("district",),
    "industry": ("industry",),
    "risk_class": ("risk_class",),
    "status": ("status",),
    "department": ("departments",),
    "tag": ("tags",),
    "list": ("abnormal_list", "serious_illegal_list"),
}


def _reasons(
    status: str,
    item: ItemRecord,
    plan: Plan,
    events: Sequence[tuple[str | None, date]],
    cutoff: date | None,
) -> tuple[str, ...]:
    rules = plan.exclusions
    same_item = [when for code, when in events if code is ANY_ITEM or code == item.code]
    this_year = [code for code, when in events if when.year == plan.year]
    reasons = []
    if status in rules.statuses:
        reasons.append("status")
    if cutoff is not None and any(when >= cutoff for when in same_item):
        reasons.append("lookback")
    if rules.annual_cap is not None and len(this_year) >= rules.annual_cap:
        reasons.append("annual_cap")
    if item.max_per_year is not None:
        count = sum(1 for code in this_year if code is ANY_ITEM or code == item.code)
        if count >= item.max_per_year:
            reasons.append("item_cap")
    return tuple(reasons)


def build_pools(
    plan: Plan,
    items: Mapping[str, ItemRecord],
    objects: Sequence[ObjectRecord],
    history: Iterable[HistoryRecord],
) -> Pools:
    """Assign every plan-scope object to its stratum and, per item, either to
    the (item, stratum) pool or to the exclusion list. ``objects`` in any
    order (an :class:`ObjectTable` is read as it is).

    Registries hold millions of objects but only hundreds of distinct
    (type, district, risk class …) combinations, so the filters are decided
    once per combination of the columns they read, on the record of the first
    object that has it; only the objects with inspections on record (history
    or a last inspection date) have their exclusion reasons worked out one by
    one. The answer depends on those values alone, so this is exact."""
    table = ObjectTable.of(objects)
    ids = table.ids
    events = _history_events(history)
    lookback = plan.exclusions.lookback_months
    cutoff = months_before(plan.window_start, lookback) if lookback > 0 else None
    codes = sorted(plan.items)
    strata = sorted(plan.strata, key=lambda s: s.name)
    filters = [plan.scope, *(s.where for s in strata), *(items[c].scope for c in codes)]
    names = sorted({"status", *(n for f in filters for k in f.fields() for n in FILTER_COLUMNS[k])})
    keys = [(c, s.name) for c in codes for s in strata]
    index = {key: n for n, key in enumerate(keys)}
    # Rows grouped by the values the verdict reads, and per group its verdict.
    group, first = table.groups(names)
    verdicts = [
        _verdict(table.record(row), plan, items, codes, strata, index) for row in first.tolist()
    ]
    # The objects with inspections on record: their reasons are worked out one by one.
    inspected = table.codes("last_inspected")
    never = [code for code, value in enumerate(_values(table, "last_inspected")) if value is None]
    special = ~np.isin(inspected, never)
    rows_inspected = np.array(table.find_rows(list(events)), dtype=np.intp)
    special[rows_inspected[rows_inspected >= 0]] = True
    rows: list[list[npt.NDArray[np.intp]]] = [[] for _ in keys]
    excluded: list[tuple[str, str, npt.NDArray[np.intp], tuple[str, ...]]] = []
    outside: list[npt.NDArray[np.intp]] = []
    # The rows of each group in row order (a stable sort), the special ones apart.
    plain = np.flatnonzero(~special)
    order = plain[np.argsort(group[plain], kind="stable")]
    bounds = np.searchsorted(group[order], np.arange(len(verdicts) + 1))
    no_events: list[tuple[str | None, date]] = []
    for number, verdict in enumerate(verdicts):
        members = order[bounds[number] : bounds[number + 1]]
        if verdict is None or not len(members):
            continue
        if verdict is _OUTSIDE:
            outside.append(members)
            continue
        for pool, item, stratum, status in verdict:
            reasons = _reasons(status, item, plan, no_events, cutoff)
            if reasons:
                excluded.append((item.code, stratum, members, reasons))
            else:
                rows[pool].append(members)
    last_inspected = table.columns.last_inspected
    for row in np.flatnonzero(special).tolist():
        verdict = verdicts[group[row]]
        if verdict is None:
            continue
        one = np.array([row], dtype=np.intp)
        if verdict is _OUTSIDE:
            outside.append(one)
            continue
        found = list(events.get(ids[row], ()))
        on = last_inspected[row]
        if on is not None:
            found.append((ANY_ITEM, on))
        for pool, item, stratum, status in verdict:
            reasons = _reasons(status, item, plan, found, cutoff)
            if reasons:
                excluded.append((item.code, stratum, one, reasons))
            else:
                rows[pool].append(one)
    exclusions = [
        (code, stratum, row, reasons)
        for code, stratum, members, reasons in excluded
        for row in members.tolist()
    ]
    # Rows are in id order, so sorting by (item, stratum, row) is by (item, stratum, id).
    exclusions.sort(key=lambda e: (e[0], e[1], e[2]))
    pool_rows = {key: _sorted_rows(rows[n]) for key, n in index.items()}
    return Pools(
        members={key: Picked(ids, r) for key, r in pool_rows.items()},
        exclusions=tuple(Exclusion(c, s, ids[r], reasons) for c, s, r, reasons in exclusions),
        outside=tuple(map(ids.__getitem__, _sorted_rows(outside).tolist())),
        rows=pool_rows,
        table=table,
    )


def _sorted_rows(parts: list[npt.NDArray[np.intp]]) -> npt.NDArray[np.intp]:
    return np.sort(np.concatenate(parts)) if parts else np.empty(0, dtype=np.intp)


def _values(table: ObjectTable, name: str) -> Sequence[object]:
    """The distinct values of a column, indexed by the codes ``table.codes`` gives."""
    column = getattr(table.columns, name)
    return column.values if isinstance(column, Coded) else Coded.of(column).values


# Per combination of values: None (out of the plan's scope), _OUTSIDE (in scope, in
# no stratum), or per item whose scope it is in: (pool number, item, stratum, status).
_Verdict = tuple[tuple[int, ItemRecord, str, str], ...] | None
_OUTSIDE: _Verdict = ((-1, None, "", ""),)  # type: ignore[assignment]


def _verdict(
    obj: ObjectRecord,
    plan: Plan,
    items: Mapping[str, ItemRecord],
    codes: Sequence[str],
    strata: Sequence[Stratum],
    index: Mapping[tuple[str, str], int],
) -> _Verdict:
    """The verdict on ``obj`` (see _Verdict)."""
    if not plan.scope.matches(obj):
        return None
    found = [s for s in strata if s.where.matches(obj)]
    if len(found) > 1:
        names = ", ".join(s.name for s in found)
        raise ValueError(f"object {obj.id!r} matches more than one stratum: {names}")
    if not found:
        return _OUTSIDE
    stratum = found[0].name
    return tuple(
        (index[(code, stratum)], items[code], stratum, str(obj.status))
        for code in codes
        if items[code].scope.matches(obj)
    )
