"""The team slot model and officer eligibility (docs/SPEC.md §9.1–9.2).

A team is a list of typed slots. Each slot asks for one officer of a given
department (or of any of the visit's departments), and carries at most one role: leader (组长) or
specialist for one specialty. Distinct slots take distinct officers, which
is what makes team assignment a bipartite b-matching (a max-flow problem).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from dualrandom.core.model import (
    ConflictRecord,
    InspectorRecord,
    ItemRecord,
    ObjectRecord,
    Plan,
)

__all__ = [
    "SlotSpec",
    "base_eligible",
    "ineligibility",
    "pair_conflicts",
    "team_slots",
]


@dataclass(frozen=True, slots=True)
class SlotSpec:
    """One team slot: the departments its officer may come from (one for a
    department slot; the visit's departments for a free slot) and at most
    one role."""

    departments: tuple[str, ...]
    leader: bool = False
    specialty: str | None = None

    @property
    def role(self) -> str:
        if self.leader:
            return "leader"
        if self.specialty is not None:
            return f"specialist:{self.specialty}"
        return "member"

    def fits(self, officer: InspectorRecord) -> bool:
        return (
            officer.department in self.departments
            and (not self.leader or officer.leader)
            and (self.specialty is None or self.specialty in officer.specialties)
        )

    def describe(self) -> str:
        return f"{self.role} of {' or '.join(self.departments)}"


Role = tuple[bool, str | None]  # (leader, specialty)


def _attach(
    departments: list[str | None],
    roles: list[Role | None],
    preferred: Collection[str],
    role: Role,
) -> None:
    """Put a role on the first role-less slot of a preferred department, else
    on the first role-less free slot, else on a new free slot at the end."""
    passes: tuple[Callable[[str | None], bool], ...] = (
        lambda d: d is not None and d in preferred,
        lambda d: d is None,
    )
    for wanted in passes:
        for index, department in enumerate(departments):
            if roles[index] is None and wanted(department):
                roles[index] = role
                return
    departments.append(None)
    roles.append(role)


def team_slots(
    plan: Plan, items: Sequence[ItemRecord], staffed_departments: Collection[str]
) -> tuple[SlotSpec, ...]:
    """The slots of one visit carrying ``items`` (SPEC §9.1).

    Department demand: each ``team.require`` count, and at least one officer
    of each department whose item the visit carries, if that department has
    any officer in the inspector registry (``staffed_departments``). The team
    starts with max(team.size, total demand) slots: department slots in
    department order, then free slots, which take an officer of any of the
    visit's departments (those of its items and of ``team.require``, and the
    initiating department), never of an uninvolved one. Roles, a leader if ``team.leader`` and then one
    specialist per distinct item specialty, go to distinct slots; a role that
    finds no slot of its own department and no free slot adds a free slot."""
    demand = {r.department: r.count for r in plan.team.require}
    for item in items:
        if item.department in staffed_departments:
            demand[item.department] = max(demand.get(item.department, 0), 1)
    involved = tuple(sorted({i.department for i in items} | set(demand) | {plan.department}))
    specialties: dict[str, set[str]] = {}
    for item in items:
        if item.specialty:
            specialties.setdefault(item.specialty, set()).add(item.department)
    wanted: list[tuple[Role, Collection[str]]] = []
    if plan.team.leader:
        wanted.append(((True, None), {plan.department}))
    wanted += [((False, s), specialties[s]) for s in sorted(specialties)]
    departments: list[str | None] = [d for d in sorted(demand) for _ in range(demand[d])]
    departments += [None] * (plan.team.size - len(departments))
    roles: list[Role | None] = [None] * len(departments)
    for role, preferred in wanted:
        _attach(departments, roles, preferred, role)
    return tuple(
        SlotSpec((d,) if d is not None else involved, *(r if r is not None else (False, None)))
        for d, r in zip(departments, roles, strict=True)
    )


def base_eligible(officer: InspectorRecord, plan: Plan, district: str) -> str | None:
    """Why ``officer`` may not inspect any object of ``district`` (rules E1–E4),
    or None. These rules depend on the object only through its district."""
    start, end = plan.window_start, plan.window_end
    if not officer.available_during(start, end):
        return "not on duty or unavailable during the window"
    if officer.cert_valid_until < end:
        return f"certificate expires before {end.isoformat()}"
    if plan.team.district == "same" and officer.district not in ("", district):
        return "assigned to another district (team.district = same)"
    if (
        "home_district" in plan.team.conflict_rules
        and officer.home_district
        and officer.home_district == district
    ):
        return "lives in the object's district (home_district)"
    return None


def pair_conflicts(
    plan: Plan,
    conflicts: Sequence[ConflictRecord],
    previous_team: Collection[str],
) -> dict[str, str]:
    """Officers barred from one object by rules E5–E6 (cert_no → reason).
    ``conflicts`` are the declared conflicts of that object."""
    barred: dict[str, str] = {}
    rules = plan.team.conflict_rules
    if "previous_team" in rules:
        for cert_no in previous_team:
            barred[cert_no] = "on the object's previous team"
    if "declared" in rules:
        for record in conflicts:
            if record.applies_during(plan.window_start, plan.window_end):
                barred[record.cert_no] = f"declared conflict ({record.relation})"
    return barred


def ineligibility(
    officer: InspectorRecord,
    spec: SlotSpec,
    plan: Plan,
    obj: ObjectRecord,
    barred: dict[str, str],
) -> str | None:
    """The first reason ``officer`` cannot fill ``spec`` on ``obj``, or None."""
    if officer.department not in spec.departments:
        return f"not in department {' or '.join(spec.departments)}"
    if spec.leader and not officer.leader:
        return "not leader-qualified"
    if spec.specialty is not None and spec.specialty not in officer.specialties:
        return f"without specialty {spec.specialty}"
    return base_eligible(officer, plan, obj.district) or barred.get(officer.cert_no)
