"""Team assignment against brute force on many small random instances.

For every instance, a memoised exhaustive search decides whether any team
assignment satisfies all rules, and replays the definition of SPEC §9.5
(each slot, in order, takes the first officer in the visit's seeded order
whose choice still admits a complete assignment). The implementation must
raise InfeasibleError exactly when no assignment exists, and otherwise
return exactly the defined assignment. Eligibility and the seeded order are
recomputed here from the rules, not taken from the implementation.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from collections.abc import Sequence
from datetime import date
from functools import cache

import pytest

from dualrandom.core.model import (
    ConflictRecord,
    InspectorRecord,
    ItemRecord,
    ObjectRecord,
    Plan,
    TeamRequirement,
    TeamRules,
)
from dualrandom.core.slots import SlotSpec, team_slots
from dualrandom.core.teams import VisitPlan, assign_teams
from dualrandom.errors import InfeasibleError
from tests.core import reference
from tests.core.factories import WINDOW, item, obj, officer, plan

DISTRICTS = ("甲区", "乙区")
SPECIALTIES = ("食品", "特种设备")


Instance = tuple[
    Plan,
    dict[str, ItemRecord],
    list[VisitPlan],
    list[InspectorRecord],
    list[ConflictRecord],
    dict[str, frozenset[str]],
]


def _trap(rng: random.Random) -> Instance:
    """Scarce leaders or specialists that plain greedy tends to spend on
    free slots: feasible instances on which greedy gets stuck."""
    scarce = rng.choice(("leader", "specialty"))
    items = {"A-1": item("A-1", specialty="食品" if scarce == "specialty" else "")}
    n_scarce = rng.randint(1, 3)
    cap = rng.randint(1, 3)
    size = rng.choice((2, 2, 3))
    # Often exactly as many visits as the scarce officers can serve.
    n_visits = max(2, min(5, n_scarce * cap - rng.choice((0, 0, 1))))
    n_officers = max(n_scarce + size - 1, -(-n_visits * size // cap)) + rng.randint(0, 1)
    officers = [
        officer(
            f"C{i}",
            leader=scarce == "leader" and i < n_scarce,
            specialties=("食品",) if scarce == "specialty" and i < n_scarce else (),
        )
        for i in rng.sample(range(n_officers), n_officers)
    ]
    officers.sort(key=lambda o: o.cert_no)
    rules = TeamRules(size=size, leader=scarce == "leader", load_cap=cap)
    visits = [VisitPlan(obj(f"O{v}", rng.choice(DISTRICTS)), ("A-1",)) for v in range(n_visits)]
    conflicts = [
        ConflictRecord(o.cert_no, v.obj.id, "亲属")
        for v in visits
        for o in officers
        if rng.random() < 0.05
    ]
    previous = {v.obj.id: frozenset[str]() for v in visits}
    return plan(team=rules), items, visits, officers, conflicts, previous


def _instance(rng: random.Random) -> Instance:
    if rng.random() < 0.5:
        return _trap(rng)
    items = {
        "A-1": item("A-1", "SCJG", specialty=rng.choice(("", "", "食品"))),
        "B-1": item("B-1", "ZJ", specialty=rng.choice(("", "", "特种设备"))),
    }
    officers = []
    for i in range(rng.randint(2, 8)):
        unavailable = ((date(2027, 2, 1), date(2027, 2, 3)),) if rng.random() < 0.1 else ()
        officers.append(
            officer(
                f"C{i}",
                rng.choice(("SCJG", "SCJG", "ZJ")),
                leader=rng.random() < 0.6,
                specialties=tuple(s for s in SPECIALTIES if rng.random() < 0.5),
                district=rng.choice(("", "", *DISTRICTS)),
                home_district=rng.choice(("", "", "", *DISTRICTS)),
                status="在岗" if rng.random() < 0.95 else "休假",
                unavailable=unavailable,
                cert_valid_until=date(2027, 3, 1) if rng.random() < 0.03 else date(2030, 1, 1),
            )
        )
    joint = rng.random() < 0.4
    rules = TeamRules(
        size=rng.choice((2, 2, 3)),
        leader=rng.random() < 0.4,
        district=rng.choice(("any", "same")),
        load_cap=rng.choice((1, 2, 2, 3, None)),
        require=(TeamRequirement("SCJG", 1),) if rng.random() < 0.3 else (),
        conflict_rules=tuple(
            r for r in ("declared", "previous_team", "home_district") if rng.random() < 0.6
        ),
    )
    the_plan = plan(
        items=("A-1", "B-1") if joint else ("A-1",),
        team=rules,
        co_departments=("ZJ",) if joint else (),
    )
    visits = []
    for v in range(rng.randint(1, 4)):
        codes = ("A-1", "B-1") if joint and rng.random() < 0.5 else ("A-1",)
        if joint and rng.random() < 0.3:
            codes = ("B-1",)
        visits.append(VisitPlan(obj(f"O{v}", rng.choice(DISTRICTS)), codes))
    conflicts = [
        ConflictRecord(o.cert_no, v.obj.id, "亲属")
        for v in visits
        for o in officers
        if rng.random() < 0.08
    ]
    previous = {
        v.obj.id: frozenset(o.cert_no for o in officers if rng.random() < 0.1) for v in visits
    }
    return the_plan, items, visits, officers, conflicts, previous


def _visit_eligible(
    o: InspectorRecord,
    target: ObjectRecord,
    p: Plan,
    conflicts: Sequence[ConflictRecord],
    previous: frozenset[str],
) -> bool:
    start, end = WINDOW
    if o.status != "在岗" or any(not (b < start or a > end) for a, b in o.unavailable):
        return False
    if o.cert_valid_until < end:
        return False
    if p.team.district == "same" and o.district not in ("", target.district):
        return False
    rules = p.team.conflict_rules
    if "home_district" in rules and o.home_district == target.district:
        return False
    if "previous_team" in rules and o.cert_no in previous:
        return False
    in_force = [
        c
        for c in conflicts
        if (c.valid_from is None or c.valid_from <= end)
        and (c.valid_until is None or c.valid_until >= start)
    ]
    return not (
        "declared" in rules
        and any(c.cert_no == o.cert_no and c.object_id == target.id for c in in_force)
    )


def _fits(o: InspectorRecord, spec: SlotSpec) -> bool:
    if o.department not in spec.departments:
        return False
    if spec.leader and not o.leader:
        return False
    return spec.specialty is None or spec.specialty in o.specialties


def _brute(
    p: Plan,
    items: dict[str, ItemRecord],
    visits: list[VisitPlan],
    officers: list[InspectorRecord],
    conflicts: list[ConflictRecord],
    previous: dict[str, frozenset[str]],
    seed: bytes,
) -> tuple[list[str], list[int]] | None:
    staffed = {o.department for o in officers}
    slots: list[tuple[int, SlotSpec]] = []
    candidates: list[list[int]] = []  # per visit: L as officer indices, certificate order
    for v, visit in enumerate(visits):
        specs = team_slots(p, [items[c] for c in visit.items], staffed)
        slots += [(v, s) for s in specs]
        candidates.append(
            [
                i
                for i, o in enumerate(officers)
                if _visit_eligible(o, visit.obj, p, conflicts, previous[visit.obj.id])
            ]
        )
    cap = p.team.load_cap if p.team.load_cap is not None else len(visits)
    options = [[i for i in candidates[v] if _fits(officers[i], spec)] for v, spec in slots]

    @cache
    def feasible(k: int, loads: tuple[int, ...], team: frozenset[int]) -> bool:
        if k == len(slots):
            return True
        if k > 0 and slots[k - 1][0] != slots[k][0]:
            team = frozenset()
        for i in options[k]:
            if i not in team and loads[i] < cap:
                nxt = (*loads[:i], loads[i] + 1, *loads[i + 1 :])
                if feasible(k + 1, nxt, team | {i}):
                    return True
        return False

    loads = tuple(0 for _ in officers)
    if not feasible(0, loads, frozenset()):
        return None
    chosen: list[str] = []
    positions: list[int] = []
    team: frozenset[int] = frozenset()
    for k, (v, _) in enumerate(slots):
        if k > 0 and slots[k - 1][0] != v:
            team = frozenset()
        order = reference.officer_order(
            seed, visits[v].obj.id, len(candidates[v]), len(candidates[v])
        )
        picked = None
        for t, index in enumerate(order):
            i = candidates[v][index]
            if i in options[k] and i not in team and loads[i] < cap:
                nxt = (*loads[:i], loads[i] + 1, *loads[i + 1 :])
                if feasible(k + 1, nxt, team | {i}):
                    picked = t
                    break
        assert picked is not None, "feasible() promised a completion"
        chosen.append(officers[i].cert_no)
        positions.append(picked)
        loads, team = nxt, team | {i}
    return chosen, positions


def _greedy_stuck(result: tuple[list[str], list[int]] | None) -> bool:
    return result is None


@pytest.mark.parametrize("chunk", range(8))
def test_assignment_matches_brute_force(chunk: int) -> None:
    outcomes: Counter[str] = Counter()
    for n in range(chunk * 400, chunk * 400 + 400):
        rng = random.Random(n)
        p, items, visits, officers, conflicts, previous = _instance(rng)
        seed = hashlib.sha256(f"instance {n}".encode()).digest()
        expected = _brute(p, items, visits, officers, conflicts, previous, seed)
        index: dict[str, list[ConflictRecord]] = {}
        for c in conflicts:
            index.setdefault(c.object_id, []).append(c)
        try:
            teams = assign_teams(p, items, visits, officers, index, previous, seed)
        except InfeasibleError as error:
            assert expected is None, f"instance {n}: feasible but raised {error}"
            assert str(error)
            outcomes["infeasible"] += 1
            continue
        assert expected is not None, f"instance {n}: infeasible but got {teams}"
        got = [m.officer for t in teams for m in t.members]
        got_positions = [m.position for t in teams for m in t.members]
        assert (got, got_positions) == expected, f"instance {n}"
        outcomes["feasible"] += 1
    # The generator must exercise both outcomes in every chunk.
    assert outcomes["feasible"] > 50 and outcomes["infeasible"] > 20, outcomes
