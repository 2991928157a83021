"""The entry points: ``prepare`` (everything fixed before the seed exists),
``draw`` (the seeded part) and ``substitute`` (the published replacement
rule). Pure functions of their arguments (docs/SPEC.md).

Both algorithms run through the very same pools, quotas, tickets, selection,
reserve and teams; DR-2 (SPEC §14–§22) only digests differently, commits
more at prepare (the seed-independent output files, the risk-class Merkle
root) and adds the public files to the result.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np
import numpy.typing as npt

from dualrandom.core.buckets import file_digest
from dualrandom.core.canonical import (
    ObjectSnapshot,
    Snapshot,
    history_snapshot,
    inspectors_snapshot,
    sorted_objects_snapshot,
)
from dualrandom.core.conflicts import conflict_snapshot, conflicts_by_object
from dualrandom.core.encoding import DR1, DR2, check_algorithm, sha256_hex
from dualrandom.core.model import (
    ConflictRecord,
    HistoryRecord,
    InspectorRecord,
    ItemRecord,
    ObjectRecord,
    Plan,
)
from dualrandom.core.plan_json import plan_canonical
from dualrandom.core.pools import Exclusion, build_pools
from dualrandom.core.public import check_risk_only_in_strata, public_exclusions, public_outputs
from dualrandom.core.quotas import Quota, quota_size, reserve_size
from dualrandom.core.result import (
    DrawResult,
    Selected,
    Visit,
    output_digests,
    seed_independent_files,
)
from dualrandom.core.risk import RiskCommitment, risk_commitment, risk_rows
from dualrandom.core.seed import CommittedDigests, Digests
from dualrandom.core.selection import smallest
from dualrandom.core.table import ObjectTable, Picked
from dualrandom.core.teams import VisitPlan, assign_teams
from dualrandom.core.tickets import target_tickets

__all__ = [
    "DrawInputs",
    "Preparation",
    "Replacement",
    "Substitution",
    "draw",
    "draw_selected",
    "pool_quota",
    "prepare",
    "staff_visits",
    "substitute",
]


@dataclass(frozen=True)
class DrawInputs:
    """Everything a draw reads besides the seed. Record order is irrelevant."""

    plan: Plan
    items: Mapping[str, ItemRecord]
    objects: Sequence[ObjectRecord]
    inspectors: Sequence[InspectorRecord]
    conflicts: Sequence[ConflictRecord] = ()
    history: Sequence[HistoryRecord] = ()


@dataclass(frozen=True)
class Preparation:
    """What is known and committed before the seed: canonical snapshots and
    digests, pools, quotas, exclusions, objects outside every stratum; in
    DR-2 also ``committed`` (the commitment's ``digests`` object), ``risk``
    (the risk-class Merkle root) and the ``salt_key`` it was made with
    (auditor tier only, never public)."""

    inputs: DrawInputs
    plan_bytes: bytes
    objects: ObjectSnapshot
    inspectors: Snapshot
    conflicts: Snapshot
    history: Snapshot
    digests: Digests
    quotas: tuple[Quota, ...]
    pools: Mapping[tuple[str, str], Sequence[str]]
    exclusions: tuple[Exclusion, ...]
    outside: tuple[str, ...]
    sorted_objects: ObjectTable = field(repr=False)
    sorted_inspectors: tuple[InspectorRecord, ...] = field(repr=False)
    algorithm: str = DR1
    committed: CommittedDigests | None = None
    risk: RiskCommitment | None = None
    salt_key: bytes | None = field(default=None, repr=False)
    # The pools again, as rows of ``sorted_objects`` (ascending: in id order).
    pool_rows: Mapping[tuple[str, str], npt.NDArray[np.intp]] = field(
        default_factory=dict, repr=False, compare=False
    )


def pool_quota(plan: Plan, item: ItemRecord, stratum_name: str, pool_size: int) -> Quota:
    """The quota of the (item, stratum) pool of ``pool_size`` members (SPEC §7.3)."""
    stratum = next(s for s in plan.strata if s.name == stratum_name)
    ratio = stratum.ratio if stratum.ratio is not None else item.ratio
    k, shortfall = quota_size(ratio, pool_size, stratum.min_count, stratum.max_count)
    return Quota(
        item=item.code,
        stratum=stratum_name,
        pool_size=pool_size,
        ratio=ratio,
        min_count=stratum.min_count,
        max_count=stratum.max_count,
        k=k,
        shortfall=shortfall,
        reserve=reserve_size(k, pool_size),
    )


def prepare(
    inputs: DrawInputs,
    *,
    algorithm: str = DR1,
    salt_key: bytes | None = None,
    risk_root: bool = True,
    object_digests: Callable[[], tuple[str, str]] | None = None,
) -> Preparation:
    """Canonicalise and digest the inputs and compute pools and quotas.

    DR-2 needs ``salt_key``, 32 fresh random bytes the caller draws
    (``os.urandom(32)``) for the risk-class commitment, and refuses a plan
    or item whose scope uses the risk class (SPEC §17). ``risk_root=False``
    (DR-2 only): no salt key and no risk commitment (``risk`` is None), for
    a caller that draws from a preparation whose root is committed already:
    the draw never reads the root, and the risk classes it does read are
    pinned by the object digest (SPEC §16).

    ``object_digests``: the object snapshot's (public, internal) digests made
    elsewhere from the very rows of ``inputs.objects`` as stored, while this
    makes the other snapshots and the pools (``registry.snapshot.object_digests``,
    in a second process); called after them. The objects may then leave
    names and addresses ``Unread``: only the snapshot reads them."""
    plan = inputs.plan
    check_algorithm(algorithm)
    if algorithm == DR2:
        if salt_key is None and risk_root:
            raise ValueError("a DR-2 prepare needs a 32-byte salt key (os.urandom(32))")
        check_risk_only_in_strata(plan, inputs.items)
    plan_bytes = plan_canonical(plan, inputs.items, algorithm)
    # Columns, not a record per object: a registry of millions is read column by
    # column below, and records are made only for the few objects drawn.
    objects = ObjectTable.of(inputs.objects)
    inspectors = tuple(sorted(inputs.inspectors, key=lambda o: o.cert_no))
    if object_digests is None:
        object_snapshot = sorted_objects_snapshot(objects.columns, algorithm)
    inspector_snapshot = inspectors_snapshot(inspectors, algorithm)
    conflict_file = conflict_snapshot(inputs.conflicts, algorithm)
    history = history_snapshot(inputs.history, algorithm)
    try:
        pools = build_pools(plan, inputs.items, objects, inputs.history)
    except Exception:
        if object_digests is not None:  # a value the snapshot refuses is reported
            object_digests()  # by it first, as when it is made above
        raise
    quotas = tuple(
        pool_quota(plan, inputs.items[item], stratum, len(members))
        for (item, stratum), members in sorted(pools.members.items())
    )
    if algorithm == DR2:  # what the commitment pins besides the inputs (SPEC §17)
        fixed = output_digests(seed_independent_files(quotas, pools.exclusions, pools.outside))
        exclusions = public_exclusions(plan, inputs.items, objects, pools.exclusions)
    if object_digests is not None:  # made meanwhile, from the stored rows
        object_snapshot = sorted_objects_snapshot(
            objects.columns, algorithm, digests=object_digests()
        )
    digests = Digests(
        plan=sha256_hex(plan_bytes),
        objects=object_snapshot.digest,
        inspectors=inspector_snapshot.digest,
        conflicts=conflict_file.digest,
        history=history.digest,
    )
    committed = risk = None
    if algorithm == DR2:
        committed = CommittedDigests(
            plan=digests.plan,
            objects=object_snapshot.digest,
            objects_public=object_snapshot.public_digest,
            objects_internal=object_snapshot.internal_digest,
            inspectors=digests.inspectors,
            conflicts=digests.conflicts,
            history=digests.history,
            **fixed,
            exclusions_public=file_digest("exclusions-public", exclusions),
        )
        if risk_root and salt_key is not None:
            risk = risk_commitment(salt_key, risk_rows(objects))
    return Preparation(
        inputs=inputs,
        plan_bytes=plan_bytes,
        objects=object_snapshot,
        inspectors=inspector_snapshot,
        conflicts=conflict_file,
        history=history,
        digests=digests,
        quotas=quotas,
        pools=pools.members,
        exclusions=pools.exclusions,
        outside=pools.outside,
        sorted_objects=objects,
        sorted_inspectors=inspectors,
        algorithm=algorithm,
        committed=committed,
        risk=risk,
        salt_key=salt_key,
        pool_rows=pools.rows,
    )


def _select(
    prep: Preparation, seed: bytes
) -> tuple[list[Selected], list[Selected], dict[str, int]]:
    """Bottom-k per (item, stratum) by (target ticket, id), and the reserve.

    Each drawable object's ticket is computed once (an object may be in the
    pools of several items), in row order, which is id order; per pool, a
    bounded selection over that pool's tickets (``smallest``), ties by id."""
    ids = prep.sorted_objects.ids
    pools = [prep.pool_rows[(quota.item, quota.stratum)] for quota in prep.quotas]
    drawable = np.sort(np.concatenate(pools)) if pools else np.empty(0, dtype=np.intp)
    if len(drawable):  # an object in the pools of several items is drawable once
        drawable = drawable[np.concatenate(([True], drawable[1:] != drawable[:-1]))]
    drawable_ids = Picked(ids, drawable)  # read when needed: not a string per object
    tickets = target_tickets(seed, drawable_ids)
    # Where each row is among the drawable ones: one look-up a pool member (a binary
    # search of ten million rows for each missed the CPU's caches at every step).
    position = np.empty(len(ids), dtype=np.intp)  # only drawable rows are read
    position[drawable] = np.arange(len(drawable))
    selected: list[Selected] = []
    reserve: list[Selected] = []
    for quota, rows in zip(prep.quotas, pools, strict=True):
        # Rows ascend, so positions in ``where`` ascend too and break ticket ties by id.
        where = position[rows]
        ranked = where[smallest(tickets[where], quota.k + quota.reserve)]
        for rank, p in enumerate(ranked.tolist(), start=1):
            row = Selected(quota.stratum, quota.item, rank, drawable_ids[p], int(tickets[p]))
            (selected if rank <= quota.k else reserve).append(row)
    ticket_of = {row.object_id: row.ticket for row in selected}
    return selected, reserve, ticket_of


def _previous_teams(history: Iterable[HistoryRecord]) -> dict[str, frozenset[str]]:
    """Per object, the officers of its latest history record(s)."""
    latest: dict[str, tuple[date, set[str]]] = {}
    for record in history:
        seen = latest.get(record.object_id)
        if seen is None or record.date > seen[0]:
            latest[record.object_id] = (record.date, set(record.officers))
        elif record.date == seen[0]:
            seen[1].update(record.officers)
    return {object_id: frozenset(officers) for object_id, (_, officers) in latest.items()}


def _visits(
    prep: Preparation,
    seed: bytes,
    chosen: Mapping[str, Collection[str]],
    ticket_of: Mapping[str, int],
    used: Mapping[str, int] | None = None,
    first_number: int = 1,
) -> tuple[Visit, ...]:
    """One visit per chosen object, in (ticket, id) order, with its team."""
    table = prep.sorted_objects
    by_id = dict(zip(chosen, table.records(chosen), strict=True))
    return staff_visits(
        prep.inputs, prep.sorted_inspectors, seed, chosen, by_id, ticket_of, used, first_number
    )


def staff_visits(
    inputs: DrawInputs,
    inspectors: Sequence[InspectorRecord],
    seed: bytes,
    chosen: Mapping[str, Collection[str]],
    records: Mapping[str, ObjectRecord],
    ticket_of: Mapping[str, int],
    used: Mapping[str, int] | None = None,
    first_number: int = 1,
) -> tuple[Visit, ...]:
    """One visit per chosen object (id -> item codes drawn for it), in (ticket, id)
    order, with its team (SPEC §8.2, §9). ``records`` holds at least the chosen
    objects and ``inspectors`` is sorted by certificate number; ``inputs.objects``
    is not read, so an engine that selected elsewhere (Spark) staffs here."""
    order = sorted(chosen, key=lambda i: (ticket_of[i], i))
    plans = [VisitPlan(records[i], tuple(sorted(chosen[i]))) for i in order]
    teams = assign_teams(
        inputs.plan,
        inputs.items,
        plans,
        inspectors,
        conflicts_by_object(inputs.conflicts, chosen),
        _previous_teams(inputs.history),
        seed,
        used,
    )
    return tuple(
        Visit(
            number=n,
            object_id=p.obj.id,
            ticket=ticket_of[p.obj.id],
            items=p.items,
            departments=tuple(sorted({inputs.items[c].department for c in p.items})),
            team=team.members,
        )
        for n, (p, team) in enumerate(zip(plans, teams, strict=True), start=first_number)
    )


def draw(inputs: DrawInputs | Preparation, seed: bytes) -> DrawResult:
    """The seeded part: selection, reserve, visits and teams, the same code for
    both algorithms; a DR-2 result also gets its public files (SPEC §21).
    (DrawInputs alone means a DR-1 prepare; pass the Preparation for DR-2.)"""
    prep = inputs if isinstance(inputs, Preparation) else prepare(inputs)
    selected, reserve, _ = _select(prep, seed)
    return draw_selected(prep, seed, selected, reserve)


def draw_selected(
    prep: Preparation, seed: bytes, selected: Sequence[Selected], reserve: Sequence[Selected]
) -> DrawResult:
    """The draw from its selection and reserve (SPEC §8.1, made by :func:`draw` or by
    another engine, e.g. a database): visits, teams and, in DR-2, the public files.
    ``prep.sorted_objects`` needs to hold only the selected and reserve objects."""
    ticket_of = {row.object_id: row.ticket for row in selected}
    # An object is drawn once per item at most: a tuple of its items (48 bytes
    # for one) where a set takes 216, for each of tens of thousands of visits.
    chosen: dict[str, tuple[str, ...]] = {}
    for row in selected:
        chosen[row.object_id] = (*chosen.get(row.object_id, ()), row.item)
    result = DrawResult(
        seed=seed,
        digests=prep.digests,
        quotas=prep.quotas,
        selected=tuple(selected),
        reserve=tuple(reserve),
        visits=_visits(prep, seed, chosen, ticket_of),
        exclusions=prep.exclusions,
        outside=prep.outside,
        algorithm=prep.algorithm,
    )
    return _with_public_files(prep, result) if prep.algorithm == DR2 else result


def _with_public_files(prep: Preparation, result: DrawResult) -> DrawResult:
    """Add the public files, after checking the draw reproduced the output files
    the commitment pinned before the seed existed (SPEC §17)."""
    if prep.committed is None:
        raise ValueError("a DR-2 draw needs a DR-2 preparation (with its salt key)")
    public = public_outputs(
        prep.inputs.plan,
        prep.inputs.items,
        prep.sorted_objects,
        result.selected,
        result.reserve,
        result.exclusions,
        result.outside,
    )
    again = {
        **output_digests(seed_independent_files(result.quotas, result.exclusions, result.outside)),
        "exclusions_public": file_digest("exclusions-public", public.exclusions),
    }
    pinned = prep.committed.as_json()
    if any(pinned[table] != digest for table, digest in again.items()):
        raise ValueError("the draw did not reproduce the output files committed at prepare")
    return replace(result, public=public)


@dataclass(frozen=True, slots=True)
class Replacement:
    """A drawn object found deregistered or unreachable before its visit,
    and the reserve object that replaces it (None: the reserve ran out)."""

    stratum: str
    item: str
    removed: str
    replacement: str | None


@dataclass(frozen=True, slots=True)
class Substitution:
    replacements: tuple[Replacement, ...]
    visits: tuple[Visit, ...]


def _replacements(result: DrawResult, removed: frozenset[str]) -> list[Replacement]:
    visited = {v.object_id for v in result.visits}
    reserves: dict[tuple[str, str], list[str]] = defaultdict(list)
    for row in sorted(result.reserve, key=lambda r: r.rank):
        if row.object_id not in removed and row.object_id not in visited:
            reserves[(row.stratum, row.item)].append(row.object_id)
    out = []
    for row in sorted(result.selected, key=lambda r: (r.stratum, r.item, r.rank)):
        if row.object_id in removed:
            queue = reserves[(row.stratum, row.item)]
            out.append(
                Replacement(row.stratum, row.item, row.object_id, queue.pop(0) if queue else None)
            )
    return out


def substitute(
    inputs: DrawInputs | Preparation,
    seed: bytes,
    result: DrawResult,
    removed: Iterable[str],
) -> Substitution:
    """Replace drawn objects found 注销 / 无法联系 before the visit (SPEC §8.3).

    Per (item, stratum), the removed objects in rank order take the reserve
    objects in rank order, skipping reserve objects that are removed too or
    already visited. Each replacement object gets one new visit carrying
    the items it replaces, staffed by the team procedure with every
    officer's load cap reduced by the visits that stay in the draw. The
    result depends on the set ``removed``, not on its order."""
    prep = inputs if isinstance(inputs, Preparation) else prepare(inputs)
    gone = frozenset(removed)
    replacements = _replacements(result, gone)
    ticket_of = {row.object_id: row.ticket for row in result.reserve}
    chosen: dict[str, set[str]] = defaultdict(set)
    for r in replacements:
        if r.replacement is not None:
            chosen[r.replacement].add(r.item)
    used: dict[str, int] = defaultdict(int)
    for visit in result.visits:
        if visit.object_id not in gone:
            for member in visit.team:
                used[member.officer] += 1
    first = max((v.number for v in result.visits), default=0) + 1
    visits = _visits(prep, seed, chosen, ticket_of, used, first) if chosen else ()
    return Substitution(tuple(replacements), visits)
