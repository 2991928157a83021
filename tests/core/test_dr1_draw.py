"""Selection and whole-draw properties (SPEC §6-10)."""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dualrandom.core import (
    DrawInputs,
    DrawResult,
    derive_seed,
    draw,
    prepare,
    substitute,
    target_ticket,
)
from dualrandom.core.model import ConflictRecord, HistoryRecord, Stratum, TeamRules
from dualrandom.core.selection import smallest
from dualrandom.errors import InfeasibleError
from tests.core.factories import WINDOW, item, obj, officer, plan, where
from tests.core.vector_inputs import CONFLICTS, ENTROPY, HISTORY, INSPECTORS, ITEMS, OBJECTS, SECRET
from tests.core.vector_inputs import PLAN as VECTOR_PLAN

ITEMS2 = {"A": item("A", ratio="1/5"), "B": item("B", "ZJ", ratio="1/3", specialty="特种设备")}
STRATA = (
    Stratum("低", where(risk_class=["A", "B"])),
    Stratum("高", where(risk_class=["C", "D"]), min_count=2),
)
OFFICERS = [officer(f"S{i:02d}", leader=i % 2 == 0) for i in range(8)] + [
    officer(f"Z{i:02d}", "ZJ", specialties=("特种设备",), leader=i < 3) for i in range(6)
]
JOINT = plan(
    items=("A", "B"),
    strata=STRATA,
    co_departments=("ZJ",),
    team=TeamRules(size=2, leader=True, load_cap=None),
)


def _registry(n: int, rnd: random.Random) -> list:  # type: ignore[type-arg]
    return [
        obj(
            f"9121{i:06d}" if i % 5 else f"盘锦-摊位-{i:03d}",
            rnd.choice(["大洼区", "兴隆台区"]),
            risk_class=rnd.choice("ABCD"),
            type=rnd.choice(["企业", "个体工商户"]),
        )
        for i in range(n)
    ]


def _draw(objects: Sequence, seed: bytes, **kw: object) -> DrawResult:  # type: ignore[type-arg]
    return draw(DrawInputs(kw.get("plan", JOINT), ITEMS2, objects, OFFICERS), seed)  # type: ignore[arg-type]


SEEDS = st.binary(min_size=32, max_size=32)


@given(st.lists(st.integers(0, 40), min_size=1, max_size=200), st.integers(1, 200))
def test_smallest_is_the_sorted_prefix_with_id_tie_break(values: list[int], m: int) -> None:
    tickets = np.array(values, dtype=np.uint64)  # small values: many ties
    expected = sorted(range(len(values)), key=lambda p: (values[p], p))[:m]
    assert smallest(tickets, m).tolist() == expected


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 60), SEEDS, st.randoms(use_true_random=False))
def test_draw_is_deterministic_exact_and_order_free(
    n: int, seed: bytes, rnd: random.Random
) -> None:
    objects = _registry(n, random.Random(n))
    result = _draw(objects, seed)
    shuffled = objects[:]
    rnd.shuffle(shuffled)
    assert _draw(shuffled, seed).files() == result.files()
    assert _draw(objects, seed) == result
    counts = Counter((r.item, r.stratum) for r in result.selected)
    for quota in result.quotas:
        assert counts[(quota.item, quota.stratum)] == quota.k
        assert quota.k >= min(quota.pool_size, 1)
    keys = [(r.item, r.stratum, r.object_id) for r in (*result.selected, *result.reserve)]
    assert len(keys) == len(set(keys))
    pools = prepare(DrawInputs(JOINT, ITEMS2, objects, OFFICERS)).pools
    for r in (*result.selected, *result.reserve):
        assert r.object_id in pools[(r.item, r.stratum)]
        assert r.ticket == target_ticket(seed, r.object_id)
    # One visit per drawn object, carrying every item it was drawn for.
    drawn: dict[str, set[str]] = {}
    for r in result.selected:
        drawn.setdefault(r.object_id, set()).add(r.item)
    assert {v.object_id: set(v.items) for v in result.visits} == drawn
    assert [v.ticket for v in result.visits] == sorted(v.ticket for v in result.visits)


@settings(max_examples=40, deadline=None)
@given(st.integers(5, 60), st.integers(1, 30), SEEDS)
def test_adding_objects_only_lets_newcomers_in(n: int, extra: int, seed: bytes) -> None:
    fixed = plan(items=("A",), strata=(Stratum("全部", min_count=4, max_count=4),))
    before = _registry(n, random.Random(n))
    newcomers = [obj(f"NEW{i:03d}", risk_class="B") for i in range(extra)]
    old = {r.object_id for r in _draw(before, seed, plan=fixed).selected}
    new = {r.object_id for r in _draw(before + newcomers, seed, plan=fixed).selected}
    entered = new - old
    assert entered <= {o.id for o in newcomers}
    assert len(old - new) == len(entered)
    # Displacement follows the tickets: every newcomer in beats every object out.
    for came in entered:
        for left in old - new:
            assert target_ticket(seed, came) < target_ticket(seed, left)


def test_joint_plan_visits_overlap_maximally() -> None:
    rnd = random.Random(3)
    objects = [obj(f"X{i:03d}", risk_class="B") for i in range(60)]
    items = {"A": item("A", ratio="1/5"), "C": item("C", ratio="1/10")}
    p = plan(items=("A", "C"), team=TeamRules(size=2, load_cap=None))
    result = draw(DrawInputs(p, items, objects, OFFICERS), rnd.randbytes(32))
    by_item = {c: {r.object_id for r in result.selected if r.item == c} for c in "AC"}
    assert by_item["C"] <= by_item["A"]  # same tickets: the smaller sample is nested
    assert len(result.visits) == len(by_item["A"])


def test_prepare_does_not_depend_on_the_seed() -> None:
    inputs = DrawInputs(VECTOR_PLAN, ITEMS, OBJECTS, INSPECTORS, CONFLICTS, HISTORY)
    prep = prepare(inputs)
    seed = derive_seed(prep.digests, ENTROPY, SECRET)
    assert draw(inputs, seed) == draw(prep, seed)
    assert prepare(inputs) == prep


def test_shortfall_is_reported() -> None:
    p = plan(strata=(Stratum("全部", min_count=5),))
    result = draw(
        DrawInputs(p, {"SCJG-01": item("SCJG-01")}, [obj("O1"), obj("O2")], OFFICERS), bytes(32)
    )
    (quota,) = result.shortfalls
    assert (quota.pool_size, quota.k, quota.shortfall) == (2, 2, 3)


def check_team_rules(inputs: DrawInputs, result: DrawResult) -> None:
    """Every rule of SPEC §9.2-9.3, checked on the result from scratch."""
    p = inputs.plan
    start, end = p.window_start, p.window_end
    officers = {o.cert_no: o for o in inputs.inspectors}
    objects = {o.id: o for o in inputs.objects}
    load: Counter[str] = Counter()
    for visit in result.visits:
        target = objects[visit.object_id]
        members = [officers[m.officer] for m in visit.team]
        assert len({m.cert_no for m in members}) == len(members) >= p.team.size
        depts = Counter(m.department for m in members)
        for r in p.team.require:
            assert depts[r.department] >= r.count
        staffed = {o.department for o in inputs.inspectors}
        for code in visit.items:
            it = inputs.items[code]
            if it.department in staffed:
                assert depts[it.department] >= 1
            if it.specialty:
                assert any(it.specialty in m.specialties for m in members)
        involved = {inputs.items[c].department for c in visit.items}
        involved |= {r.department for r in p.team.require} | {p.department}
        assert set(depts) <= involved
        if p.team.leader:
            assert any(m.leader for m in members)
        history = [h for h in inputs.history if h.object_id == target.id]
        latest = max((h.date for h in history), default=None)
        previous = {o for h in history if h.date == latest for o in h.officers}
        for m in members:
            load[m.cert_no] += 1
            assert m.status == "在岗" and m.available_during(start, end)
            assert m.cert_valid_until >= end
            if p.team.district == "same":
                assert m.district in ("", target.district)
            rules = p.team.conflict_rules
            if "home_district" in rules:
                assert m.home_district != target.district
            if "previous_team" in rules:
                assert m.cert_no not in previous
            if "declared" in rules:
                for c in inputs.conflicts:
                    if c.cert_no == m.cert_no and c.object_id == target.id:
                        assert not c.applies_during(start, end)
    if p.team.load_cap is not None:
        assert max(load.values(), default=0) <= p.team.load_cap


def test_vector_draw_satisfies_every_team_rule() -> None:
    inputs = DrawInputs(VECTOR_PLAN, ITEMS, OBJECTS, INSPECTORS, CONFLICTS, HISTORY)
    prep = prepare(inputs)
    check_team_rules(inputs, draw(prep, derive_seed(prep.digests, ENTROPY, SECRET)))


@settings(max_examples=30, deadline=None)
@given(st.integers(10, 80), SEEDS, st.integers(0, 2**32))
def test_random_draws_satisfy_every_team_rule(n: int, seed: bytes, salt: int) -> None:
    rnd = random.Random(salt)
    objects = _registry(n, rnd)
    conflicts = [
        ConflictRecord(o.cert_no, x.id, "亲属")
        for x in objects
        for o in OFFICERS
        if rnd.random() < 0.1
    ]
    history = [
        HistoryRecord(x.id, "A", date(2026, rnd.randint(1, 12), 1), (rnd.choice(OFFICERS).cert_no,))
        for x in objects
        if rnd.random() < 0.3
    ]
    team = TeamRules(
        size=rnd.choice([2, 3]),
        leader=rnd.random() < 0.5,
        load_cap=rnd.choice([None, 4, 8]),
        conflict_rules=("declared", "previous_team"),
    )
    inputs = DrawInputs(replace(JOINT, team=team), ITEMS2, objects, OFFICERS, conflicts, history)
    try:
        result = draw(inputs, seed)
    except InfeasibleError:
        return
    check_team_rules(inputs, result)


def test_infeasible_draw_names_the_binding_rule() -> None:
    p = plan(team=TeamRules(size=2, district="same"))
    objects = [obj("O1", "大洼区")]
    inspectors = [officer("S1", district="大洼区"), officer("S2", district="兴隆台区")]
    with pytest.raises(InfeasibleError, match=r"O1.*team\.district = same"):
        draw(DrawInputs(p, {"SCJG-01": item("SCJG-01", ratio="1")}, objects, inspectors), bytes(32))


def test_substitution_uses_the_reserve_in_rank_order() -> None:
    inputs = DrawInputs(VECTOR_PLAN, ITEMS, OBJECTS, INSPECTORS, CONFLICTS, HISTORY)
    prep = prepare(inputs)
    seed = derive_seed(prep.digests, ENTROPY, SECRET)
    result = draw(prep, seed)
    drawn = sorted({r.object_id for r in result.selected})
    visited = {v.object_id for v in result.visits}
    a = substitute(prep, seed, result, [drawn[0], drawn[1]])
    b = substitute(prep, seed, result, [drawn[1], drawn[0], drawn[0]])
    assert a == b  # a set: order and repeats do not matter
    for rep in a.replacements:
        assert rep.replacement is None or rep.replacement not in visited
        queue = [
            r.object_id
            for r in sorted(result.reserve, key=lambda r: r.rank)
            if (r.stratum, r.item) == (rep.stratum, rep.item) and r.object_id not in visited
        ]
        assert rep.replacement == (queue[0] if queue else None) or rep.replacement in queue
    assert {v.object_id for v in a.visits} == {
        r.replacement for r in a.replacements if r.replacement
    }
    assert min(v.number for v in a.visits) == len(result.visits) + 1
    # Load caps count the visits that stay.
    load = Counter(m.officer for v in result.visits if v.object_id not in drawn[:2] for m in v.team)
    load.update(m.officer for v in a.visits for m in v.team)
    assert max(load.values()) <= VECTOR_PLAN.team.load_cap  # type: ignore[operator]


def test_exhausted_reserve_gives_no_replacement() -> None:
    objects = [obj(f"X{i}") for i in range(3)]
    p = plan(strata=(Stratum("全部", min_count=3),))
    inputs = DrawInputs(p, {"SCJG-01": item("SCJG-01")}, objects, OFFICERS)
    seed = hashlib.sha256(b"x").digest()
    result = draw(inputs, seed)
    sub = substitute(inputs, seed, result, ["X1"])
    assert [(r.removed, r.replacement) for r in sub.replacements] == [("X1", None)]
    assert sub.visits == ()


def test_window_constant_is_the_factory_window() -> None:
    assert (JOINT.window_start, JOINT.window_end) == WINDOW
