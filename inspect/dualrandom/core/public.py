"""DR-2's public tier: what may be published about a draw, and how it is digested
(docs/SPEC.md §21–§22).

Risk classes are never published, but strata may be defined by them. So the
public files say everything about *public* strata (whose ``where`` does not
use the risk class) and, about risk strata, only what holds whatever the
classes are: which objects were selected (without their stratum), the
smallest and largest cutoff ticket per *group* of risk strata (strata that
share their non-risk filter, or that one object of the registry could
belong to, joined transitively), and the exclusions of objects whose
stratum membership is no secret. :class:`PublicView` holds these definitions once;
the draw (:func:`public_outputs`) and the public check
(core/public_check.py) both use it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Protocol

from dualrandom.core.encoding import (
    TAG2_PUBLIC,
    escape,
    escape_list,
    join_lines,
    tagged_hash,
)
from dualrandom.core.model import ItemRecord, ObjectFilter, ObjectRecord, Plan, RiskClass, Stratum
from dualrandom.core.pools import Exclusion
from dualrandom.core.table import ObjectTable
from dualrandom.core.tickets import ticket_hex
from dualrandom.errors import UserError

__all__ = [
    "ALL_CLASSES",
    "BOUNDS_FIELDS",
    "EXCLUSIONS_PUBLIC_FIELDS",
    "OUTSIDE_FIELDS",
    "PUBLIC_FILE_NAMES",
    "RESERVE_PUBLIC_FIELDS",
    "SELECTION_FIELDS",
    "Facts",
    "PoolRow",
    "PublicOutputs",
    "PublicView",
    "RiskGroup",
    "check_risk_only_in_strata",
    "filter_json",
    "non_risk",
    "public_digest",
    "public_exclusions",
    "public_outputs",
]

ALL_CLASSES = frozenset(c.value for c in RiskClass)
PUBLIC_FILE_NAMES = (
    "selection.tsv",
    "reserve-public.tsv",
    "exclusions-public.tsv",
    "bounds.tsv",
    "outside.tsv",  # only when no stratum uses the risk class
)
SELECTION_FIELDS = ("item", "id", "ticket", "stratum", "rank")
RESERVE_PUBLIC_FIELDS = ("stratum", "item", "rank", "id", "ticket")
EXCLUSIONS_PUBLIC_FIELDS = ("item", "id", "reasons")
BOUNDS_FIELDS = ("item", "group", "strata", "low", "high", "drawn")
OUTSIDE_FIELDS = ("id",)


def non_risk(f: ObjectFilter) -> ObjectFilter:
    """``f`` without its ``risk_class`` clause."""
    return ObjectFilter(tuple((key, values) for key, values in f.clauses if key != "risk_class"))


def filter_json(f: ObjectFilter) -> str:
    """The canonical JSON (SPEC §4) of the non-risk part of ``f``: a group's name."""
    document = {key: sorted(set(values)) for key, values in non_risk(f).clauses}
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _classes(stratum: Stratum) -> frozenset[str]:
    return frozenset(dict(stratum.where.clauses).get("risk_class", ()))


def check_risk_only_in_strata(plan: Plan, items: Mapping[str, ItemRecord]) -> None:
    """DR-2 lets the risk class define strata only (SPEC §17): a plan or item
    scope that used it would make a public pool's membership reveal classes."""
    where = [f"plan {plan.id}"] if "risk_class" in plan.scope.fields() else []
    where += [f"item {code}" for code in plan.items if "risk_class" in items[code].scope.fields()]
    if where:
        raise UserError(
            f"风险分类只能用于分层，不能用于抽查范围：{'、'.join(where)}",
            f"the risk class may only define strata, not a scope: {', '.join(where)}",
        )


@dataclass(frozen=True, slots=True)
class RiskGroup:
    """Risk strata whose cutoffs are published together (SPEC §21.1): ``filters``
    the canonical JSON texts of their non-risk filters (sorted, distinct),
    ``strata`` their sorted names, ``classes`` the risk classes they list."""

    filters: tuple[str, ...]
    strata: tuple[str, ...]
    classes: frozenset[str]

    @property
    def field(self) -> str:
        """The ``group`` field of bounds.tsv: ``filters`` as a list field (§2.1)."""
        return escape_list(self.filters, "group")


@dataclass(frozen=True, slots=True)
class Facts:
    """What the public tier knows about one object of the public part.

    ``items``: the items whose scope it matches (empty when it is outside the
    plan scope); ``public_stratum``: the public stratum it is in, if any;
    ``groups``: the index of the risk group of its candidate strata (the risk
    strata whose non-risk filter it matches) — empty when it has none, and
    one group at most for an object the view was built with; ``covered``:
    its candidate strata list all of A-D, so the object is in some stratum
    whatever its class."""

    in_scope: bool
    items: tuple[str, ...]
    public_stratum: str | None
    groups: tuple[int, ...]
    covered: bool


# The object fields that any filter reads (risk_class aside): Facts depend on these alone.
_SIGNATURE_FIELDS = (
    "type",
    "industry",
    "district",
    "status",
    "abnormal_list",
    "serious_illegal_list",
    "departments",
    "tags",
)


# Filter key -> the object fields it reads (SPEC §4's filter semantics).
_FIELDS_OF_KEY = {
    "type": ("type",),
    "district": ("district",),
    "industry": ("industry",),
    "status": ("status",),
    "list": ("abnormal_list", "serious_illegal_list"),
    "department": ("departments",),
    "tag": ("tags",),
}


def filter_attributes(plan: Plan, items: Mapping[str, ItemRecord]) -> tuple[str, ...]:
    """The object fields (of ``_SIGNATURE_FIELDS``) that any filter of the plan reads
    — its scope, its items' scopes, its strata — besides the risk class."""
    used = frozenset().union(
        plan.scope.fields(),
        *(items[code].scope.fields() for code in plan.items),
        *(s.where.fields() for s in plan.strata),
    )
    return tuple(a for key, attrs in _FIELDS_OF_KEY.items() if key in used for a in attrs)


class _Joined:
    """Union-find over the risk strata (by index): which are one group."""

    def __init__(self, count: int) -> None:
        self.parent = list(range(count))

    def root(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def join(self, indexes: Sequence[int]) -> None:
        for i in indexes[1:]:
            self.parent[self.root(i)] = self.root(indexes[0])


class PublicView:
    """A plan as the public tier sees it, given the objects of the registry:
    public strata, risk groups, and the :class:`Facts` of any object, all
    read without a risk class. ``objects`` (any order, public fields only)
    decide which risk strata one object could belong to together."""

    def __init__(
        self, plan: Plan, items: Mapping[str, ItemRecord], objects: Iterable[ObjectRecord]
    ) -> None:
        check_risk_only_in_strata(plan, items)
        self.plan = plan
        self.items = {code: items[code] for code in sorted(plan.items)}
        self.public_strata = {
            s.name: s for s in sorted(plan.strata, key=lambda s: s.name) if s.public
        }
        self._scope = non_risk(plan.scope)
        self._item_scopes = [(code, non_risk(item.scope)) for code, item in self.items.items()]
        self._risk = sorted((s for s in plan.strata if not s.public), key=lambda s: s.name)
        self._risk_filters = [non_risk(s.where) for s in self._risk]
        # Facts read only the fields the plan's filters use: objects that agree on
        # those share their facts, so each such combination is decided once.
        self._read = attrgetter(*filter_attributes(plan, items), "id")  # "id" dropped
        self.groups = self._group(objects)
        self.group_of = {name: i for i, g in enumerate(self.groups) for name in g.strata}
        self._cache: dict[tuple[object, ...], Facts] = {}

    @property
    def has_risk_strata(self) -> bool:
        return bool(self.groups)

    def _projection(self, obj: ObjectRecord) -> tuple[object, ...]:
        """The values of the fields the plan's filters read (risk class aside)."""
        values: tuple[object, ...] = self._read(obj)
        return values[:-1]

    def _candidates(self, obj: ObjectRecord) -> list[int]:
        """Indexes of the risk strata whose non-risk filter the object matches."""
        return [i for i, f in enumerate(self._risk_filters) if f.matches(obj)]

    def _group(self, objects: Iterable[ObjectRecord]) -> tuple[RiskGroup, ...]:
        """Join risk strata with the same non-risk filter, and those that one object
        in plan scope could belong to (so no object is under two groups' bounds);
        the groups in order of their first stratum name."""
        keys = [filter_json(s.where) for s in self._risk]
        joined = _Joined(len(self._risk))
        for key in set(keys):
            joined.join([i for i, k in enumerate(keys) if k == key])
        seen: set[tuple[object, ...]] = set()
        if isinstance(objects, ObjectTable):  # one record per distinct signature
            objects = (record for _, record in objects.prototypes(_SIGNATURE_FIELDS))
        for obj in objects:
            signature = self._projection(obj)
            if signature not in seen:
                seen.add(signature)
                if self._scope.matches(obj):
                    joined.join(self._candidates(obj))
        members: dict[int, list[int]] = defaultdict(list)
        for i in range(len(self._risk)):
            members[joined.root(i)].append(i)
        groups = (
            RiskGroup(
                filters=tuple(sorted({keys[i] for i in indexes})),
                strata=tuple(self._risk[i].name for i in indexes),
                classes=frozenset().union(*(_classes(self._risk[i]) for i in indexes)),
            )
            for indexes in members.values()
        )
        return tuple(sorted(groups, key=lambda g: g.strata))

    def facts(self, obj: ObjectRecord) -> Facts:
        """The object's public facts; its risk class is never read."""
        signature = self._projection(obj)
        known = self._cache.get(signature)
        if known is None:
            known = self._cache[signature] = self._decide(obj)
        return known

    def _decide(self, obj: ObjectRecord) -> Facts:
        if not self._scope.matches(obj):
            return Facts(False, (), None, (), False)
        items = tuple(code for code, scope in self._item_scopes if scope.matches(obj))
        public = [name for name, s in self.public_strata.items() if s.where.matches(obj)]
        candidates = self._candidates(obj)
        groups = tuple(sorted({self.group_of[self._risk[i].name] for i in candidates}))
        classes = frozenset().union(*(_classes(self._risk[i]) for i in candidates))
        return Facts(True, items, public[0] if public else None, groups, classes >= ALL_CLASSES)


@dataclass(frozen=True, slots=True)
class PublicOutputs:
    """The public files of a DR-2 draw (SPEC §21), as canonical bytes."""

    selection: bytes
    reserve: bytes
    exclusions: bytes
    bounds: bytes
    outside: bytes | None  # None when a stratum uses the risk class

    def files(self) -> dict[str, bytes]:
        """By name, in PUBLIC_FILE_NAMES order (outside.tsv only when public)."""
        contents = (self.selection, self.reserve, self.exclusions, self.bounds, self.outside)
        return {
            name: data
            for name, data in zip(PUBLIC_FILE_NAMES, contents, strict=True)
            if data is not None
        }

    @property
    def digest(self) -> str:
        return public_digest(self.files())


def public_digest(files: Mapping[str, bytes]) -> str:
    """H(T_PUBLIC; name, bytes, …) over the public files in PUBLIC_FILE_NAMES
    order; ``outside.tsv`` enters only when present (SPEC §22)."""
    unknown = set(files) - set(PUBLIC_FILE_NAMES)
    missing = [name for name in PUBLIC_FILE_NAMES[:4] if name not in files]
    if unknown or missing:
        raise ValueError(
            f"public files: missing {missing or 'none'}, unexpected {sorted(unknown) or 'none'}"
        )
    fields: list[bytes] = []
    for name in PUBLIC_FILE_NAMES:
        if name in files:
            fields += [name.encode("ascii"), files[name]]
    return tagged_hash(TAG2_PUBLIC, fields).hex()


class PoolRow(Protocol):
    """A selected or reserve row as the public files read it (core.result.Selected)."""

    @property
    def stratum(self) -> str: ...
    @property
    def item(self) -> str: ...
    @property
    def rank(self) -> int: ...
    @property
    def object_id(self) -> str: ...
    @property
    def ticket(self) -> int: ...


def _selection_tsv(view: PublicView, selected: Iterable[PoolRow]) -> bytes:
    rows = sorted(selected, key=lambda r: (r.item, r.object_id))
    lines = []
    for r in rows:
        public = r.stratum in view.public_strata
        stratum, rank = (escape(r.stratum), str(r.rank)) if public else ("", "")
        lines.append(
            f"{escape(r.item)}\t{escape(r.object_id)}\t{ticket_hex(r.ticket)}\t{stratum}\t{rank}"
        )
    return join_lines(SELECTION_FIELDS, lines)


def _reserve_tsv(view: PublicView, reserve: Iterable[PoolRow]) -> bytes:
    rows = sorted(
        (r for r in reserve if r.stratum in view.public_strata),
        key=lambda r: (r.stratum, r.item, r.rank),
    )
    return join_lines(
        RESERVE_PUBLIC_FIELDS,
        (
            f"{escape(r.stratum)}\t{escape(r.item)}\t{r.rank}\t{escape(r.object_id)}\t"
            f"{ticket_hex(r.ticket)}"
            for r in rows
        ),
    )


def public_exclusions(
    plan: Plan,
    items: Mapping[str, ItemRecord],
    objects: Sequence[ObjectRecord],
    exclusions: Sequence[Exclusion],
) -> bytes:
    """``exclusions-public.tsv`` (SPEC §21.3): known at prepare, so committed then.
    ``objects``: the whole registry, any order (only public fields are read)."""
    return _exclusions_tsv(PublicView(plan, items, objects), exclusions, objects)


def _exclusions_tsv(
    view: PublicView, exclusions: Sequence[Exclusion], objects: Iterable[ObjectRecord]
) -> bytes:
    excluded = {e.object_id for e in exclusions}
    covered = _covered(view, excluded, objects)
    rows = sorted(
        (e for e in exclusions if e.stratum in view.public_strata or e.object_id in covered),
        key=lambda e: (e.item, e.object_id),
    )
    return join_lines(
        EXCLUSIONS_PUBLIC_FIELDS,
        (f"{escape(e.item)}\t{escape(e.object_id)}\t{';'.join(e.reasons)}" for e in rows),
    )


def _covered(view: PublicView, ids: set[str], objects: Iterable[ObjectRecord]) -> set[str]:
    """Those of ``ids`` whose objects' candidate strata list all of A-D."""
    if not isinstance(objects, ObjectTable):
        return {o.id for o in objects if o.id in ids and view.facts(o).covered}
    # A table: look the rows up, and decide once per distinct signature.
    columns = [getattr(objects.columns, name) for name in _SIGNATURE_FIELDS]
    known: dict[tuple[object, ...], bool] = {}
    found = set()
    wanted = list(ids)
    for object_id, row in zip(wanted, objects.find_rows(wanted), strict=True):
        if row < 0:
            continue
        key = tuple(column[row] for column in columns)
        if key not in known:
            known[key] = view.facts(objects.record(row)).covered
        if known[key]:
            found.add(object_id)
    return found


def _bounds_tsv(view: PublicView, selected: Iterable[PoolRow]) -> bytes:
    cutoffs: dict[tuple[str, int], list[int]] = defaultdict(list)  # (item, group) -> k-th tickets
    drawn: dict[tuple[str, int], int] = defaultdict(int)
    by_pool: dict[tuple[str, str], list[PoolRow]] = defaultdict(list)
    for r in selected:
        if r.stratum in view.group_of:
            by_pool[(r.item, r.stratum)].append(r)
    for (item, stratum), rows in by_pool.items():
        key = (item, view.group_of[stratum])
        cutoffs[key].append(max(rows, key=lambda r: r.rank).ticket)
        drawn[key] += len(rows)
    lines = []
    for item in view.items:
        for index, group in enumerate(view.groups):
            tickets = cutoffs.get((item, index), [])
            low, high = (
                (ticket_hex(min(tickets)), ticket_hex(max(tickets))) if tickets else ("", "")
            )
            lines.append(
                f"{escape(item)}\t{group.field}\t{escape_list(group.strata, 'strata')}\t"
                f"{low}\t{high}\t{drawn.get((item, index), 0)}"
            )
    return join_lines(BOUNDS_FIELDS, lines)


def public_outputs(
    plan: Plan,
    items: Mapping[str, ItemRecord],
    objects: Sequence[ObjectRecord],
    selected: Sequence[PoolRow],
    reserve: Sequence[PoolRow],
    exclusions: Sequence[Exclusion],
    outside: Sequence[str],
) -> PublicOutputs:
    """The public files of a draw from its audit values (SPEC §21).

    ``objects``: the whole registry, any order (only the public fields are
    read); ``selected``/``reserve`` are the rows of result.tsv/reserve.tsv
    (core.result.Selected)."""
    view = PublicView(plan, items, objects)
    return PublicOutputs(
        selection=_selection_tsv(view, selected),
        reserve=_reserve_tsv(view, reserve),
        exclusions=_exclusions_tsv(view, exclusions, objects),
        bounds=_bounds_tsv(view, selected),
        outside=None
        if view.has_risk_strata
        else join_lines(OUTSIDE_FIELDS, (escape(i) for i in sorted(outside))),
    )
