"""The slot model, the seeded officer order and infeasibility messages (SPEC §9)."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dualrandom.core import DrawInputs, OfficerOrder, SlotSpec, draw, team_slots
from dualrandom.core.model import TeamRequirement, TeamRules
from dualrandom.errors import InfeasibleError
from tests.core import reference
from tests.core.factories import item, obj, officer, plan

SCJG, ZJ = ("SCJG",), ("ZJ",)


def _slots(  # type: ignore[no-untyped-def]
    team: TeamRules,
    items: list,  # type: ignore[type-arg]
    staffed: frozenset[str] = frozenset({"SCJG", "ZJ"}),
    **kw: object,
):
    return team_slots(plan(team=team, **kw), items, staffed)


def test_single_department_leader_and_specialist() -> None:
    slots = _slots(TeamRules(size=2, leader=True), [item("A", specialty="食品")])
    assert slots == (SlotSpec(SCJG, leader=True), SlotSpec(SCJG, specialty="食品"))
    assert [s.role for s in slots] == ["leader", "specialist:食品"]


def test_joint_visit_takes_one_officer_per_department() -> None:
    team = TeamRules(size=2, leader=True, require=(TeamRequirement("SCJG", 1),))
    items = [item("A"), item("B", "ZJ", specialty="特种设备")]
    slots = _slots(team, items, co_departments=("ZJ",))
    assert slots == (SlotSpec(SCJG, leader=True), SlotSpec(ZJ, specialty="特种设备"))


def test_free_slots_take_only_involved_departments() -> None:
    slots = _slots(TeamRules(size=3), [item("A"), item("B", "ZJ")])
    assert slots == (SlotSpec(SCJG), SlotSpec(ZJ), SlotSpec(("SCJG", "ZJ")))


def test_team_grows_to_fit_departments_and_roles() -> None:
    items = [item("A", specialty="食品"), item("B", "ZJ", specialty="特种设备"), item("C", "SYJ")]
    slots = _slots(TeamRules(size=2, leader=True), items, frozenset({"SCJG", "ZJ", "SYJ"}))
    everyone = ("SCJG", "SYJ", "ZJ")
    assert slots == (
        SlotSpec(SCJG, leader=True),
        SlotSpec(("SYJ",)),
        SlotSpec(ZJ, specialty="特种设备"),
        SlotSpec(everyone, specialty="食品"),  # no SCJG slot left: a free slot is added
    )
    slots = _slots(
        TeamRules(size=2, leader=True), [item("A", specialty="食品"), item("D", specialty="广告")]
    )
    assert [s.role for s in slots] == ["leader", "specialist:广告", "specialist:食品"]


def test_leader_of_a_visit_without_the_initiating_department() -> None:
    slots = _slots(TeamRules(size=2, leader=True), [item("B", "ZJ")], co_departments=("ZJ",))
    assert slots == (SlotSpec(ZJ), SlotSpec(("SCJG", "ZJ"), leader=True))


def test_free_slots_never_take_an_uninvolved_department() -> None:
    slots = _slots(TeamRules(size=3), [item("A")], frozenset({"SCJG", "ZJ", "SYJ"}))
    assert slots == (SlotSpec(SCJG), SlotSpec(SCJG), SlotSpec(SCJG))


def test_department_without_inspectors_gets_no_slot() -> None:
    slots = _slots(TeamRules(size=2), [item("A"), item("B", "ZJ")], frozenset({"SCJG"}))
    assert slots == (SlotSpec(SCJG), SlotSpec(("SCJG", "ZJ")))


def test_required_counts_come_first_in_department_order() -> None:
    team = TeamRules(size=4, require=(TeamRequirement("ZJ", 2), TeamRequirement("SCJG", 1)))
    slots = _slots(team, [item("A")])
    assert [s.departments for s in slots] == [SCJG, ZJ, ZJ, ("SCJG", "ZJ")]


@given(st.binary(min_size=32, max_size=32), st.text(min_size=1, max_size=6), st.integers(0, 40))
def test_officer_order_is_a_permutation_matching_the_reference(
    seed: bytes, object_id: str, n: int
) -> None:
    order = OfficerOrder(seed, object_id, n)
    got = [order.at(t) for t in range(n)]
    assert sorted(got) == list(range(n))  # type: ignore[type-var]
    assert order.at(n) is None
    assert got == reference.officer_order(seed, object_id, n, n)


def test_officer_order_is_lazy_and_prefix_stable() -> None:
    seed = hashlib.sha256(b"lazy").digest()
    partial = OfficerOrder(seed, "X", 1000)
    assert partial.at(2) is not None and len(partial.order) == 3
    full = reference.officer_order(seed, "X", 1000, 3)
    assert partial.order == full


def test_no_eligible_officer_message_counts_the_reasons() -> None:
    p = plan(items=("B",), team=TeamRules(size=2, conflict_rules=("declared",)))
    inspectors = [
        officer("Z1", "ZJ", specialties=("特种设备",), status="休假"),
        officer("Z2", "ZJ"),
        officer("S1"),
    ]
    items = {"B": item("B", "ZJ", ratio="1", specialty="特种设备")}
    with pytest.raises(InfeasibleError) as caught:
        draw(DrawInputs(p, items, [obj("盘锦-摊位-007", id_type="other")], inspectors), bytes(32))
    message = str(caught.value)
    assert "盘锦-摊位-007" in message and "specialist:特种设备" in message
    assert "1 not on duty or unavailable during the window" in message
    assert "1 without specialty 特种设备" in message and "1 not in department ZJ" in message


def test_hall_violator_message_names_objects_and_capacity() -> None:
    p = plan(team=TeamRules(size=2, leader=True, load_cap=1))
    inspectors = [officer("S1", leader=True), officer("S2"), officer("S3"), officer("S4")]
    objects = [obj("O1"), obj("O2"), obj("O3")]
    with pytest.raises(InfeasibleError) as caught:
        draw(DrawInputs(p, {"SCJG-01": item("SCJG-01", ratio="1")}, objects, inspectors), bytes(32))
    message = str(caught.value)
    assert "leader of SCJG" in message and "S1" in message
    assert "visit(s) left under the load cap" in message
    assert "3 not leader-qualified" in message
