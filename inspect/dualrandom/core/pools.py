"""Pools and exclusions (docs/SPEC.md §7): who can be drawn for which item,
and, for everyone who cannot, the reason codes. All of it is fixed before the
seed exists."""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from dualrandom.core.model import (
    HistoryRecord,
    ItemRecord,
    ObjectFilter,
    ObjectRecord,
    Plan,
    Stratum,
)

R = TypeVar("R")

__all__ = [
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

    members: Mapping[tuple[str, str], tuple[str, ...]]
    exclusions: tuple[Exclusion, ...]
    outside: tuple[str, ...]


def months_before(day: date, months: int) -> date:
    """Calendar months back from ``day``, clamping the day of month to the
    length of the target month (2027-03-31 minus 1 month is 2027-02-28)."""
    index = day.year * 12 + (day.month - 1) - months
    year, month0 = divmod(index, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day.day, last))


def _events(
    objects: Sequence[ObjectRecord], history: Iterable[HistoryRecord]
) -> dict[str, list[tuple[str | None, date]]]:
    """Per object, its inspections: every history record, plus the legacy
    ``last_inspected`` date as an inspection of every item."""
    events: dict[str, list[tuple[str | None, date]]] = defaultdict(list)
    for record in history:
        events[record.object_id].append((record.item_code, record.date))
    for obj in objects:
        if obj.last_inspected is not None:
            events[obj.id].append((ANY_ITEM, obj.last_inspected))
    return events


# The value of each filter key on an object: a filter's verdict depends on these alone.
_FIELDS: dict[str, Callable[[ObjectRecord], object]] = {
    "type": lambda o: o.type,
    "district": lambda o: o.district,
    "industry": lambda o: o.industry,
    "risk_class": lambda o: o.risk_class,
    "status": lambda o: o.status,
    "department": lambda o: o.departments,
    "tag": lambda o: o.tags,
    "list": lambda o: o.lists,
}


def _memoised(
    keys: Iterable[str], decide: Callable[[ObjectRecord], R]
) -> Callable[[ObjectRecord], R]:
    """``decide`` evaluated once per distinct combination of the fields it reads.

    Registries hold millions of objects but only hundreds of distinct
    (type, district, risk class …) combinations, so matching every object
    against every stratum filter would repeat the same work millions of
    times. The answer is a function of those fields, so caching is exact."""
    getters = [_FIELDS[key] for key in sorted(set(keys))]
    cache: dict[tuple[object, ...], R] = {}

    def decided(obj: ObjectRecord) -> R:
        signature = tuple(get(obj) for get in getters)
        if signature not in cache:
            cache[signature] = decide(obj)
        return cache[signature]

    return decided


def _stratum_finder(strata: Sequence[Stratum]) -> Callable[[ObjectRecord], Stratum | None]:
    def find(obj: ObjectRecord) -> Stratum | None:
        found = [s for s in strata if s.where.matches(obj)]
        if len(found) > 1:
            names = ", ".join(s.name for s in found)
            raise ValueError(f"object {obj.id!r} matches more than one stratum: {names}")
        return found[0] if found else None

    return _memoised((key for s in strata for key in s.where.fields()), find)


def _filter_matcher(f: ObjectFilter) -> Callable[[ObjectRecord], bool]:
    return _memoised(f.fields(), f.matches)


def _reasons(
    obj: ObjectRecord,
    item: ItemRecord,
    plan: Plan,
    events: Sequence[tuple[str | None, date]],
    cutoff: date | None,
) -> tuple[str, ...]:
    rules = plan.exclusions
    same_item = [when for code, when in events if code is ANY_ITEM or code == item.code]
    this_year = [code for code, when in events if when.year == plan.year]
    reasons = []
    if str(obj.status) in rules.statuses:
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
    the (item, stratum) pool or to the exclusion list. ``objects`` must be in
    id order (the caller sorts once)."""
    events = _events(objects, history)
    lookback = plan.exclusions.lookback_months
    cutoff = months_before(plan.window_start, lookback) if lookback > 0 else None
    codes = sorted(plan.items)
    strata = sorted(plan.strata, key=lambda s: s.name)
    members: dict[tuple[str, str], list[str]] = {(c, s.name): [] for c in codes for s in strata}
    exclusions: list[Exclusion] = []
    outside: list[str] = []
    no_events: list[tuple[str | None, date]] = []
    in_scope = _filter_matcher(plan.scope)
    stratum_of = _stratum_finder(strata)
    item_scopes = {code: _filter_matcher(items[code].scope) for code in codes}
    for obj in objects:
        if not in_scope(obj):
            continue
        stratum = stratum_of(obj)
        if stratum is None:
            outside.append(obj.id)
            continue
        for code in codes:
            item = items[code]
            if not item_scopes[code](obj):
                continue
            reasons = _reasons(obj, item, plan, events.get(obj.id, no_events), cutoff)
            if reasons:
                exclusions.append(Exclusion(code, stratum.name, obj.id, reasons))
            else:
                members[(code, stratum.name)].append(obj.id)
    exclusions.sort(key=lambda e: (e.item, e.stratum, e.object_id))
    return Pools(
        members={key: tuple(ids) for key, ids in members.items()},
        exclusions=tuple(exclusions),
        outside=tuple(outside),
    )
