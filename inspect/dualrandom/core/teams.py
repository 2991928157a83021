"""Team assignment: the first feasible assignment in seeded order
(docs/SPEC.md §9.3–9.4).

Definition. Visits are taken in (target ticket, id) order and each visit's
slots in slot order. A slot takes the first officer in the visit's seeded
officer order (``OfficerOrder``) who fits the slot, is not yet on the team,
is under the load cap, and leaves every remaining slot of the whole batch
still fillable. The result depends only on the seed and the inputs.

Computation. (1) Plain greedy: if it never gets stuck it *is* the defined
assignment, since its completion proves each of its choices feasible.
(2) Otherwise complete the greedy prefix into one full assignment M by
augmenting paths; if some slot cannot be reached, the search frontier is a
Hall violator and the draw is infeasible (``InfeasibleError``). (3) Replay
the definition with M as a witness: a choice that M already makes, or that
an officer with spare capacity in M can take, is feasible at once; any
other choice is tested by one alternating-path search in M's residual
graph (Method B, incremental). The yes/no answers of these tests do not
depend on which witness M is, so neither does the result.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from dualrandom.core.model import (
    ConflictRecord,
    InspectorRecord,
    ItemRecord,
    ObjectRecord,
    Plan,
)
from dualrandom.core.slots import (
    SlotSpec,
    base_eligible,
    ineligibility,
    pair_conflicts,
    team_slots,
)
from dualrandom.core.tickets import OfficerOrder
from dualrandom.errors import InfeasibleError

__all__ = ["Member", "VisitPlan", "VisitTeam", "assign_teams"]

_FREE = -1


@dataclass(frozen=True, slots=True)
class VisitPlan:
    """One visit to staff: an object with the items drawn for it."""

    obj: ObjectRecord
    items: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Member:
    """One team member: slot index, role, officer, officer's department, and
    the position of the officer in the visit's seeded officer order."""

    slot: int
    role: str
    officer: str
    department: str
    position: int


@dataclass(frozen=True, slots=True)
class VisitTeam:
    slots: tuple[SlotSpec, ...]
    members: tuple[Member, ...]


_NOBODY: frozenset[int] = frozenset()
_NO_GAPS: list[int] = []  # never changed: gaps are only read


class _Visit:
    """A visit's candidate list L (base list minus barred officers, in
    certificate order) and its lazily generated seeded order over L."""

    __slots__ = ("barred", "base", "gaps", "obj", "order", "reasons")

    def __init__(
        self,
        obj: ObjectRecord,
        base: list[int],
        barred: dict[int, str],
        position_in_base: Mapping[int, int],
        seed: bytes,
    ) -> None:
        self.obj = obj
        self.base = base
        # Most visits bar nobody: those share one empty set and one empty list
        # (a batch of 150,000 visits, 50 MB less).
        self.reasons = barred
        self.barred = frozenset(barred) if barred else _NOBODY
        # Positions of barred officers within ``base``, ascending.
        self.gaps = (
            sorted(position_in_base[o] for o in barred if o in position_in_base) if barred else _NO_GAPS
        )
        self.order = OfficerOrder(seed, obj.id, len(base) - len(self.gaps))

    def officer_at(self, t: int) -> int | None:
        """The officer at position ``t`` of the seeded order, or None."""
        index = self.order.at(t)
        if index is None:
            return None
        for gap in self.gaps:  # map an index of L to an index of base
            if gap <= index:
                index += 1
            else:
                break
        return self.base[index]


class _Solver:
    """State of the assignment over officer indices 0…n−1 and slots 0…S−1."""

    def __init__(
        self,
        officers: Sequence[InspectorRecord],
        visits: list[_Visit],
        slot_specs: list[tuple[SlotSpec, ...]],
        caps: list[int],
    ) -> None:
        self.officers = officers
        self.visits = visits
        self.caps = caps
        self.slot_visit: list[int] = []
        self.slot_spec: list[SlotSpec] = []
        self.first_slot: list[int] = []
        for v, specs in enumerate(slot_specs):
            self.first_slot.append(len(self.slot_visit))
            self.slot_visit += [v] * len(specs)
            self.slot_spec += specs
        self.first_slot.append(len(self.slot_visit))
        self._fit_cache: dict[tuple[int, SlotSpec], list[int]] = {}

    # -- candidates ---------------------------------------------------------

    def fits(self, officer: int, spec: SlotSpec) -> bool:
        return spec.fits(self.officers[officer])

    def fitting(self, slot: int) -> tuple[tuple[int, SlotSpec], list[int]]:
        """Officers of the slot's base list who fit its spec (not yet
        excluding the visit's barred officers), with the list's cache key.
        Visits of one district share base lists, so there are few keys."""
        visit = self.visits[self.slot_visit[slot]]
        spec = self.slot_spec[slot]
        key = (id(visit.base), spec)
        fitting = self._fit_cache.get(key)
        if fitting is None:
            fitting = [o for o in visit.base if spec.fits(self.officers[o])]
            self._fit_cache[key] = fitting
        return key, fitting

    def eligible(self, slot: int) -> list[int]:
        """Every officer who may fill ``slot``, in certificate order."""
        barred = self.visits[self.slot_visit[slot]].barred
        fitting = self.fitting(slot)[1]
        return [o for o in fitting if o not in barred] if barred else fitting

    # -- phase 1: plain greedy ------------------------------------------------

    def greedy(self) -> tuple[list[int], list[int], int | None]:
        """Greedy in seeded order; returns (assignment, positions, stuck slot)."""
        assign = [_FREE] * len(self.slot_visit)
        positions = [_FREE] * len(self.slot_visit)
        load = [0] * len(self.officers)
        caps = self.caps
        for v, visit in enumerate(self.visits):
            team: set[int] = set()
            for slot in range(self.first_slot[v], self.first_slot[v + 1]):
                spec = self.slot_spec[slot]
                t = 0
                while True:
                    o = visit.officer_at(t)
                    if o is None:
                        return assign, positions, slot
                    if o not in team and load[o] < caps[o] and self.fits(o, spec):
                        break
                    t += 1
                assign[slot], positions[slot] = o, t
                team.add(o)
                load[o] += 1
        return assign, positions, None

    # -- witness M and alternating paths --------------------------------------

    def load_witness(self, assign: list[int]) -> None:
        self.m = assign[:]
        self.m_load = [0] * len(self.officers)
        self.m_slots: list[set[int]] = [set() for _ in self.officers]
        self.m_team: list[dict[int, int]] = [{} for _ in self.visits]
        self.fixed = [False] * len(assign)
        self.dead_slots: set[int] = set()
        self.dead_officers: set[int] = set()
        self.dead_keys: set[tuple[int, SlotSpec]] = set()
        self.dead_reach: set[int] = set()  # officers some dead slot could take
        for slot, o in enumerate(assign):
            if o != _FREE:
                self._place(slot, o)

    def _place(self, slot: int, o: int) -> None:
        self.m[slot] = o
        self.m_load[o] += 1
        self.m_slots[o].add(slot)
        self.m_team[self.slot_visit[slot]][o] = slot

    def _unplace(self, slot: int) -> None:
        o = self.m[slot]
        self.m[slot] = _FREE
        self.m_load[o] -= 1
        self.m_slots[o].discard(slot)
        team = self.m_team[self.slot_visit[slot]]
        if team.get(o) == slot:
            del team[o]

    def augment(self, sources: list[int], blocked: int | None) -> tuple[bool, set[int], set[int]]:
        """BFS in the residual graph of M from slots that must move (each is
        unplaced, or sits on the over-full officer ``blocked``). On success
        M is rewired along the path. Returns (found, slots seen, officers seen).

        Nodes known dead (``dead_slots``/``dead_officers``: proven unable to
        reach spare capacity in the current state) are skipped. Per shared
        candidate list, officers already seen are dropped from a working
        copy, so each expansion scans only officers not seen before plus the
        few barred for, or already on, that slot's own visit."""
        parent: dict[int, tuple[int, int] | None] = dict.fromkeys(sources)
        seen: set[int] = set(self.dead_officers)
        if blocked is not None:
            seen.add(blocked)
        unseen: dict[tuple[int, SlotSpec], list[int]] = {}
        queue = deque(sources)
        # Full officers reached, with the slot that reached them. Their slots
        # are queued only when no queued slot is left, most recently reached
        # officer first: one officer's slots usually lead to spare capacity,
        # and LIFO measured far fewer visits than re-walking, search after
        # search, the same first officers whose movable slots are used up.
        officers: deque[tuple[int, int]] = deque()
        dead_slots = self.dead_slots
        while queue or officers:
            if not queue:
                o, x = officers.pop()
                for y in self.m_slots[o]:
                    if not self.fixed[y] and y not in parent and y not in dead_slots:
                        parent[y] = (x, o)
                        queue.append(y)
                continue
            x = queue.popleft()
            v = self.slot_visit[x]
            barred = self.visits[v].barred
            team = self.m_team[v]
            key, fitting = self.fitting(x)
            pool = unseen.get(key)
            if pool is None:
                pool = [o for o in fitting if o not in seen]
            # Pass 1: an officer with spare capacity ends the search at once.
            for o in pool:
                if (
                    o not in seen
                    and o not in barred
                    and o not in team
                    and self.m_load[o] < self.caps[o]
                ):
                    self._rewire(parent, x, o)
                    return True, set(parent), seen
            # Pass 2: move through full officers, or push a team-mate aside.
            keep = []
            for o in pool:
                if o in seen:
                    continue
                if o in barred:
                    keep.append(o)
                    continue
                mate = team.get(o)
                if mate is not None:  # o is on x's team already: mate must move
                    keep.append(o)
                    if not self.fixed[mate] and mate not in parent and mate not in dead_slots:
                        parent[mate] = (x, o)
                        queue.append(mate)
                    continue
                seen.add(o)
                officers.append((o, x))
            unseen[key] = keep
        return False, set(parent), seen

    def _rewire(self, parent: Mapping[int, tuple[int, int] | None], x: int, o: int) -> None:
        """Apply the path ending with "x moves to o", last move first, so
        every officer is vacated before the next slot moves in."""
        step: tuple[int, int] | None = (x, o)
        while step is not None:
            slot, officer = step
            if self.m[slot] != _FREE:
                self._unplace(slot)
            self._place(slot, officer)
            step = parent[slot]

    def complete(self) -> int | None:
        """Extend M to every slot; return a slot that cannot be staffed."""
        for slot, o in enumerate(self.m):
            if o != _FREE:
                continue
            team = self.m_team[self.slot_visit[slot]]
            spare = next(
                (c for c in self.eligible(slot) if c not in team and self.m_load[c] < self.caps[c]),
                None,
            )
            if spare is not None:
                self._place(slot, spare)
                continue
            found, seen_slots, seen_officers = self.augment([slot], None)
            if not found:
                self.cut = (seen_slots, seen_officers)
                return slot
        return None

    def _free(self, j: int) -> None:
        """Officer j is about to gain spare capacity. The dead set stays
        dead (it is closed in the residual graph and holds no spare
        capacity) unless one of its slots could move to j."""
        if j in self.dead_reach:
            self.dead_slots, self.dead_officers = set(), set()
            self.dead_keys, self.dead_reach = set(), set()
        else:
            self.dead_officers.discard(j)

    def _bury(self, slots: set[int], officers: set[int]) -> None:
        self.dead_slots |= slots
        self.dead_officers |= officers
        for slot in slots:
            key, fitting = self.fitting(slot)
            if key not in self.dead_keys:
                self.dead_keys.add(key)
                self.dead_reach.update(fitting)

    def force(self, slot: int, c: int) -> bool:
        """Can ``slot`` take officer ``c`` with every unfixed slot still
        fillable? If so, M is changed to such an assignment.

        A failed test proves every node it reached dead: unable to reach
        spare capacity. That knowledge is kept across tests and slots until
        some officer a dead slot could move to gains capacity (``_free``)."""
        j = self.m[slot]
        self._free(j)
        team = self.m_team[self.slot_visit[slot]]
        y = team.get(c)
        if y is None and self.m_load[c] < self.caps[c]:
            self._unplace(slot)
            self._place(slot, c)
            return True
        if c in self.dead_officers or (y is not None and y in self.dead_slots):
            return False
        self._unplace(slot)
        if y is not None:  # c stays as loaded; its slot y on this team must move
            self._unplace(y)
            self._place(slot, c)
            found, seen_slots, seen_officers = self.augment([y], None)
            if not found:
                self._unplace(slot)
                self._place(y, c)
                self._place(slot, j)
        else:  # c is one over its cap: one of its slots must move
            self._place(slot, c)
            sources = sorted(s for s in self.m_slots[c] if not self.fixed[s])
            found, seen_slots, seen_officers = self.augment(sources, c)
            if not found:
                self._unplace(slot)
                self._place(slot, j)
                seen_officers.add(c)  # full again, and every slot of it is dead
        if not found:
            self._bury(seen_slots, seen_officers)
        return found

    def replay(self) -> tuple[list[int], list[int]]:
        """The defined assignment, with M as the feasibility witness."""
        assign = [_FREE] * len(self.slot_visit)
        positions = [_FREE] * len(self.slot_visit)
        load = [0] * len(self.officers)
        for v, visit in enumerate(self.visits):
            team: set[int] = set()
            for slot in range(self.first_slot[v], self.first_slot[v + 1]):
                spec = self.slot_spec[slot]
                self.fixed[slot] = True
                t = 0
                while True:
                    o = visit.officer_at(t)
                    if o is None:  # pragma: no cover - M[slot] is always a candidate
                        raise AssertionError("the witness lost feasibility")
                    if (
                        o not in team
                        and load[o] < self.caps[o]
                        and self.fits(o, spec)
                        and (o == self.m[slot] or self.force(slot, o))
                    ):
                        break
                    t += 1
                assign[slot], positions[slot] = o, t
                team.add(o)
                load[o] += 1
        return assign, positions


def _officer_bases(
    plan: Plan, officers: Sequence[InspectorRecord], districts: set[str]
) -> dict[str, list[int]]:
    """Per object district, the officers passing rules E1–E4, in certificate
    order. When no rule looks at the district, all districts share one list."""
    by_district = plan.team.district == "same" or "home_district" in plan.team.conflict_rules
    keys = sorted(districts) if by_district else [""]
    bases = {
        key: [i for i, o in enumerate(officers) if base_eligible(o, plan, key) is None]
        for key in keys
    }
    if not by_district:
        return dict.fromkeys(districts, bases[""])
    return bases


def _staffed(officers: Sequence[InspectorRecord]) -> frozenset[str]:
    return frozenset(o.department for o in officers)


def assign_teams(
    plan: Plan,
    items: Mapping[str, ItemRecord],
    visits: Sequence[VisitPlan],
    officers: Sequence[InspectorRecord],
    conflicts: Mapping[str, Sequence[ConflictRecord]],
    previous_teams: Mapping[str, frozenset[str]],
    seed: bytes,
    used: Mapping[str, int] | None = None,
) -> tuple[VisitTeam, ...]:
    """Staff ``visits`` (already in visit order) from ``officers`` (already
    in certificate order). ``conflicts`` and ``previous_teams`` are indexed
    by object id; ``used`` counts visits an officer already has in this
    batch (for substitutes). Raises InfeasibleError naming the binding rule."""
    index = {o.cert_no: i for i, o in enumerate(officers)}
    bases = _officer_bases(plan, officers, {v.obj.district for v in visits})
    positions_in = {key: {o: p for p, o in enumerate(base)} for key, base in bases.items()}
    staffed = _staffed(officers)
    states = []
    specs = []
    slot_cache: dict[tuple[str, ...], tuple[SlotSpec, ...]] = {}
    for v in visits:
        barred_by_id = pair_conflicts(
            plan, conflicts.get(v.obj.id, ()), previous_teams.get(v.obj.id, frozenset())
        )
        barred = {index[c]: why for c, why in barred_by_id.items() if c in index}
        key = v.obj.district
        states.append(_Visit(v.obj, bases[key], barred, positions_in[key], seed))
        if v.items not in slot_cache:
            slot_cache[v.items] = team_slots(plan, [items[c] for c in v.items], staffed)
        specs.append(slot_cache[v.items])
    cap = plan.team.load_cap if plan.team.load_cap is not None else len(visits)
    used = used or {}
    caps = [max(0, cap - used.get(o.cert_no, 0)) for o in officers]
    solver = _Solver(officers, states, specs, caps)
    assign, positions, stuck = solver.greedy()
    if stuck is not None:
        solver.load_witness(assign)
        failed = solver.complete()
        if failed is not None:
            raise InfeasibleError(*_explain(solver, plan, failed))
        assign, positions = solver.replay()
    teams = []
    for number, slot_specs in enumerate(specs):
        first = solver.first_slot[number]
        members = tuple(
            Member(
                slot=s,
                role=spec.role,
                officer=officers[assign[first + s]].cert_no,
                department=officers[assign[first + s]].department,
                position=positions[first + s],
            )
            for s, spec in enumerate(slot_specs)
        )
        teams.append(VisitTeam(slot_specs, members))
    return tuple(teams)


def _listing(values: Sequence[str], limit: int = 8) -> str:
    shown = ", ".join(values[:limit])
    return shown + (f", … ({len(values)} in all)" if len(values) > limit else "")


def _why_not(solver: _Solver, plan: Plan, slot: int, skip: Collection[int]) -> str:
    """Why the officers outside ``skip`` cannot fill ``slot``: counts per
    first failing rule, e.g. "3 not in department ZJ; 1 declared conflict"."""
    visit = solver.visits[solver.slot_visit[slot]]
    barred = {solver.officers[i].cert_no: why for i, why in visit.reasons.items()}
    reasons = Counter(
        ineligibility(o, solver.slot_spec[slot], plan, visit.obj, barred)
        for i, o in enumerate(solver.officers)
        if i not in skip
    )
    return "; ".join(f"{n} {why}" for why, n in sorted(reasons.items(), key=str) if why)


def _explain(solver: _Solver, plan: Plan, failed: int) -> tuple[str, str]:
    """An operator-readable reason (Chinese, English), from the slot that could
    not be reached and the residual-graph frontier around it (a Hall violator).
    The Chinese one gives the counts; the English one also each rule's count."""
    visit = solver.visits[solver.slot_visit[failed]]
    spec = solver.slot_spec[failed]
    obj = visit.obj
    if not solver.eligible(failed):
        return (
            f"检查对象 {obj.id}（片区 {obj.district}）的检查组缺一名执法检查人员："
            f"{len(solver.officers)} 名人员中没有一名符合条件（各条规则排除的人数见英文说明）",
            f"object {obj.id} (district {obj.district}) needs a {spec.describe()}: "
            f"no officer is eligible — of {len(solver.officers)} officer(s): "
            f"{_why_not(solver, plan, failed, ())}",
        )
    seen_slots, _ = solver.cut
    slots = sorted(seen_slots)
    objects = sorted({solver.visits[solver.slot_visit[s]].obj.id for s in slots})
    districts = sorted({solver.visits[solver.slot_visit[s]].obj.district for s in slots})
    kinds = Counter(solver.slot_spec[s].describe() for s in slots)
    eligible = sorted({o for s in slots for o in solver.eligible(s)})
    outside = Counter(solver.m[s] for s in range(len(solver.m)) if s not in seen_slots)
    spare = sum(max(0, solver.caps[o] - outside[o]) for o in eligible)
    names = [solver.officers[o].cert_no for o in eligible]
    need = ", ".join(f"{n} × {kind}" for kind, n in sorted(kinds.items()))
    message = (
        f"{len(objects)} object(s) in {', '.join(districts)} ({_listing(objects)}) need "
        f"{len(slots)} team slot(s) ({need}); only {len(eligible)} officer(s) are eligible "
        f"({_listing(names)}) with {spare} visit(s) left under the load cap"
    )
    chinese = (
        f"{'、'.join(districts)} 的 {len(objects)} 个检查对象（{_listing(objects)}）共需 "
        f"{len(slots)} 个检查组席位，但只有 {len(eligible)} 名执法检查人员符合条件"
        f"（{_listing(names)}），在工作量上限内共还能检查 {spare} 户"
    )
    if spare >= len(slots):
        message += "; a team cannot take the same officer twice"
        chinese += "；同一检查组不能两次选同一人"
    others = _why_not(solver, plan, failed, set(eligible))
    if others:
        message += f"; for {obj.id}, of the other officers: {others}"
        chinese += "（其余人员被排除的原因见英文说明）"
    return chinese, message
