"""The DR-2 public check (SPEC §23): it accepts every honest draw and catches
the tampering its bounds can see.

The tampering is done on the files' text, as an outsider with a text editor
would, never through the core's writers.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import date
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dualrandom.core import DrawInputs, draw, prepare
from dualrandom.core.model import HistoryRecord, ObjectRecord, Plan, Stratum
from dualrandom.core.plan_json import plan_canonical
from dualrandom.core.public import PublicView
from dualrandom.core.public_check import BOUNDS, FULL, PublicCheck, public_check
from dualrandom.core.result import DrawResult
from dualrandom.core.tickets import target_ticket
from tests.core.factories import item, obj, officer, plan, where
from tests.core.vector_inputs import (
    CONFLICTS,
    HISTORY,
    INSPECTORS,
    ITEMS,
    OBJECTS,
    PLAN,
    PLAN_MIXED,
    SALT_KEY,
)

SEED = hashlib.sha256(b"public check").digest()


@dataclass(frozen=True)
class Drawn:
    """An honest draw and everything its public tier holds."""

    plan_bytes: bytes
    objects_public: bytes
    files: dict[str, bytes]
    seed: bytes
    result: DrawResult
    prep: Any

    def check(self, **changed: bytes | None) -> PublicCheck:
        files = {**self.files, **{k.replace("_", "-") + ".tsv": v for k, v in changed.items()}}
        files = {k: v for k, v in files.items() if v is not None}
        return public_check(
            self.plan_bytes,
            self.objects_public,
            files,
            self.seed,
            committed=self.prep.committed,
            quotas=self.prep.quotas,
        )

    def lines(self, name: str) -> list[str]:
        return self.files[name].decode().split("\n")[:-1]


def drawn(inputs: DrawInputs, seed: bytes = SEED) -> Drawn:
    prep = prepare(inputs, algorithm="DR-2", salt_key=SALT_KEY)
    result = draw(prep, seed)
    return Drawn(
        prep.plan_bytes, prep.objects.public_bytes, result.public_files(), seed, result, prep
    )


def joined(lines: list[str]) -> bytes:
    header, *rows = lines
    return ("\n".join([header, *sorted(rows)]) + "\n").encode()


def vector(plan_: Plan = PLAN) -> Drawn:
    return drawn(DrawInputs(plan_, ITEMS, OBJECTS, INSPECTORS, CONFLICTS, HISTORY))


def findings(check: PublicCheck) -> list[str]:
    return [f"{p.file}:{p.row} {p.reason_en}" for p in check.findings]


# -- honest draws ---------------------------------------------------------------


def test_honest_vector_draw_passes_with_bounds_for_every_pool() -> None:
    d = vector()
    check = d.check()
    assert check.ok, findings(check)
    assert check.counts() == {"full": 0, "bounds": 6, "auditor": 0}
    assert check.selected == len(d.result.selected)
    assert 0 < check.decided <= check.selected


def test_honest_mixed_draw_recomputes_the_public_stratum_in_full() -> None:
    d = vector(PLAN_MIXED)
    check = d.check()
    assert check.ok, findings(check)
    assert {(p.stratum, p.check) for p in check.pools} == {
        ("合作社及其他", FULL),
        ("低风险", BOUNDS),
        ("中高风险", BOUNDS),
    }
    public_rows = [r for r in d.result.selected if r.stratum == "合作社及其他"]
    assert public_rows and check.decided >= len(public_rows)
    assert "合作社及其他" in d.files["reserve-public.tsv"].decode()


# -- attacks --------------------------------------------------------------------


def _never_drawn(d: Drawn, item_code: str, above: int) -> str:
    """An object in the item's scope, not selected for it, whose ticket is above ``above``."""
    chosen = {r.object_id for r in d.result.selected if r.item == item_code}
    excluded = {e.object_id for e in d.result.exclusions if e.item == item_code}
    for o in sorted(OBJECTS, key=lambda o: o.id):
        if o.id in chosen or o.id in excluded or not ITEMS[item_code].scope.matches(o):
            continue
        if target_ticket(d.seed, o.id) > above:
            return o.id
    raise AssertionError("no such object in the vectors")


def _highest_cutoff(d: Drawn, item_code: str) -> int:
    rows = [line.split("\t") for line in d.lines("bounds.tsv")[1:]]
    return max(int(r[4], 16) for r in rows if r[0] == item_code and r[4])


def test_a_risk_object_replaced_by_one_never_drawn_is_caught() -> None:
    d = vector()
    victim = next(r for r in d.result.selected if r.item == "SCJG-01")
    intruder = _never_drawn(d, "SCJG-01", _highest_cutoff(d, "SCJG-01"))
    lines = d.lines("selection.tsv")
    lines = [
        f"SCJG-01\t{intruder}\t{target_ticket(d.seed, intruder):016x}\t\t"
        if line.startswith(f"SCJG-01\t{victim.object_id}\t")
        else line
        for line in lines
    ]
    check = d.check(selection=joined(lines))
    assert not check.ok
    assert any("above the highest cutoff" in f for f in findings(check)), findings(check)


def test_a_dropped_forced_selection_is_caught_even_with_the_counts_fixed() -> None:
    d = vector()
    check = d.check()
    lows = {}
    for line in d.lines("bounds.tsv")[1:]:
        item_code, group, _, low, _, _ = line.split("\t")
        lows[(item_code, group)] = int(low, 16) if low else None
    # A selected 企业/个体工商户 (covered: its groups list A-D) below both groups' lows.
    forced = next(
        r
        for r in sorted(d.result.selected, key=lambda r: r.ticket)
        if r.object_id.startswith(("91", "92"))
        and all(low is None or r.ticket < low for (i, _), low in lows.items() if i == r.item)
    )
    lines = [
        line
        for line in d.lines("selection.tsv")
        if not line.startswith(f"{forced.item}\t{forced.object_id}\t")
    ]
    bounds, fixed = [], False
    for line in d.lines("bounds.tsv"):
        fields = line.split("\t")
        if not fixed and fields[0] == forced.item and fields[5] not in ("drawn", "0", "1"):
            fields[5] = str(int(fields[5]) - 1)  # keep the count in step
            fixed = True
        bounds.append("\t".join(fields))
    tampered = d.check(selection=joined(lines), bounds=joined(bounds))
    assert check.ok and not tampered.ok
    assert any("must be selected" in f for f in findings(tampered)), findings(tampered)


def test_tampered_tickets_order_and_leaks_are_caught() -> None:
    d = vector(PLAN_MIXED)
    lines = d.lines("selection.tsv")
    first = lines[1].split("\t")
    wrong_ticket = [lines[0], "\t".join([*first[:2], "0" * 16, *first[3:]]), *lines[2:]]
    assert "the ticket is" in " ".join(findings(d.check(selection=joined(wrong_ticket))))
    swapped = [lines[0], lines[2], lines[1], *lines[3:]]
    text = ("\n".join(swapped) + "\n").encode()
    assert "row out of order" in " ".join(findings(d.check(selection=text)))
    # An exclusion of an object whose row would reveal its stratum (not covered).
    exclusions = d.lines("exclusions-public.tsv")
    leak = joined([*exclusions, "SCJG-01\t93211100MA2L15838Q\tlookback"])
    found = " ".join(findings(d.check(exclusions_public=leak)))
    assert "does not match the digest committed" in found
    risky = vector()
    outside = b"id\n"
    assert "must not be public" in " ".join(findings(risky.check(outside=outside)))


def test_a_changed_public_stratum_is_recomputed_and_caught() -> None:
    d = vector(PLAN_MIXED)
    selected = next(r for r in d.result.selected if r.stratum == "合作社及其他")
    other = (
        "93211100MA2L71271N" if selected.object_id != "93211100MA2L71271N" else "93211100MA2L15838Q"
    )
    lines = [
        line.replace(selected.object_id, other).replace(
            f"{selected.ticket:016x}", f"{target_ticket(d.seed, other):016x}"
        )
        if line.startswith(f"SCJG-01\t{selected.object_id}\t")
        else line
        for line in d.lines("selection.tsv")
    ]
    check = d.check(selection=joined(lines))
    assert any("must be selected" in f for f in findings(check)), findings(check)
    assert any("is not selected" in f for f in findings(check)), findings(check)


def test_unreadable_inputs_are_findings_not_crashes() -> None:
    d = vector()
    assert not public_check(b"{}", d.objects_public, d.files, d.seed).ok
    assert not public_check(d.plan_bytes, b"nonsense", d.files, d.seed).ok
    check = d.check(bounds=b"item\tgroup\n")
    assert "cannot be read" in " ".join(findings(check))
    missing = {k: v for k, v in d.files.items() if k != "bounds.tsv"}
    assert not public_check(d.plan_bytes, d.objects_public, missing, d.seed).ok


# -- properties: random small draws ------------------------------------------------

TYPES = ("企业", "个体工商户", "农民专业合作社")
DISTRICTS = ("大洼区", "兴隆台区")
STRATA_TEMPLATES = {
    "risk only": (
        Stratum("AB", where(risk_class=["A", "B"])),
        Stratum("CD", where(risk_class=["C", "D"]), ratio=Fraction(1, 2), min_count=1),
    ),
    "vector-like": (
        Stratum("AB", where(risk_class=["A", "B"])),
        Stratum("CD", where(risk_class=["C", "D"], type=["企业", "个体工商户"]), min_count=1),
    ),
    "mixed": (
        Stratum("合作社", where(type=["农民专业合作社"]), min_count=1),
        Stratum("AB", where(risk_class=["A", "B"], type=["企业", "个体工商户"])),
        Stratum("CD", where(risk_class=["C", "D"], type=["企业", "个体工商户"]), max_count=2),
    ),
    "public only": (Stratum("大洼", where(district=["大洼区"]), min_count=2),),
    "by district": (
        Stratum("大洼ABC", where(risk_class=["A", "B", "C"], district=["大洼区"])),
        Stratum("大洼D", where(risk_class=["D"], district=["大洼区"]), ratio=Fraction(1, 1)),
        Stratum("兴隆台", where(district=["兴隆台区"])),
    ),
}


@st.composite
def small_draws(draw_: st.DrawFn) -> DrawInputs:
    count = draw_(st.integers(min_value=1, max_value=24))
    objects = [
        obj(
            f"O{n:02d}",
            district=draw_(st.sampled_from(DISTRICTS)),
            type=draw_(st.sampled_from(TYPES)),
            industry=draw_(st.sampled_from(("F5211", "H6210"))),
            risk_class=draw_(st.sampled_from("ABCD")),
            status=draw_(st.sampled_from(("存续", "存续", "存续", "注销"))),
        )
        for n in range(count)
    ]
    history = [
        HistoryRecord(f"O{n:02d}", "I1", date(2026, 6, 1))
        for n in draw_(st.lists(st.integers(0, count - 1), max_size=4, unique=True))
    ]
    items = {
        "I1": item("I1", ratio=draw_(st.sampled_from(("1/2", "1/3")))),
        "I2": item("I2", ratio="1/2", scope=where(industry=["H62"])),
    }
    strata = STRATA_TEMPLATES[draw_(st.sampled_from(sorted(STRATA_TEMPLATES)))]
    plan_ = plan(("I1", "I2"), strata=strata, exclusions=replace(PLAN.exclusions, annual_cap=None))
    officers = [officer(f"2111000{n}") for n in range(4)]
    return DrawInputs(plan_, items, objects, officers, (), history)


PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(small_draws(), st.binary(min_size=32, max_size=32))
def test_every_honest_draw_passes_the_public_check(inputs: DrawInputs, seed: bytes) -> None:
    d = drawn(inputs, seed)
    check = d.check()
    assert check.ok, findings(check)
    public = {s.name for s in inputs.plan.strata if s.public}
    assert {p.stratum for p in check.pools if p.check == FULL} == public
    in_public = sum(r.stratum in public for r in d.result.selected)
    assert in_public <= check.decided <= check.selected == len(d.result.selected)
    view = PublicView(inputs.plan, inputs.items, inputs.objects)
    assert all(len(view.facts(o).groups) <= 1 for o in inputs.objects)  # one pair of bounds each


def test_strata_sharing_objects_are_one_group_so_bounds_reveal_no_class() -> None:
    """In the vector plan 低风险 (A/B, any type) and 中高风险 (C/D of 企业/个体工商户)
    have different filters but share every 企业: with a bound pair each, a 企业
    drawn above 低风险's cutoff would be known to be C or D. They are one group."""
    view = PublicView(PLAN, ITEMS, OBJECTS)
    assert [g.strata for g in view.groups] == [("中高风险", "低风险")]
    assert view.groups[0].field == '{"type":["个体工商户","企业"]};{}'
    apart = PublicView(PLAN, ITEMS, [o for o in OBJECTS if str(o.type) == "农民专业合作社"])
    assert [g.strata for g in apart.groups] == [("中高风险",), ("低风险",)]


def _scope_of(inputs: DrawInputs, o: ObjectRecord, item_code: str) -> bool:
    return inputs.plan.scope.matches(o) and inputs.items[item_code].scope.matches(o)


@PROPERTY
@given(small_draws(), st.binary(min_size=32, max_size=32))
def test_a_swapped_selection_is_caught_wherever_a_bound_sees_it(
    inputs: DrawInputs, seed: bytes
) -> None:
    """For every selected object x of a risk stratum and every object z never
    drawn for that item: replace x by z (ticket recomputed). The swap must be
    reported when z's ticket is above every cutoff of the item, when z cannot
    be a risk-stratum candidate of the item at all, or when x lies below every
    cutoff of the item while every class would put it in some stratum."""
    d = drawn(inputs, seed)
    risk = {s.name: s for s in inputs.plan.strata if not s.public}
    by_id = {o.id: o for o in inputs.objects}
    bounds = [line.split("\t") for line in d.lines("bounds.tsv")[1:]]
    for x in [r for r in d.result.selected if r.stratum in risk]:
        highs = [int(b[4], 16) for b in bounds if b[0] == x.item and b[4]]
        lows = [int(b[3], 16) for b in bounds if b[0] == x.item and b[3]]
        chosen = {r.object_id for r in d.result.selected if r.item == x.item}
        excluded = {e.object_id for e in d.result.exclusions if e.item == x.item}
        published = {  # exclusions the public sees
            line.split("\t")[1]
            for line in d.lines("exclusions-public.tsv")[1:]
            if line.startswith(f"{x.item}\t")
        }
        obj_x = by_id[x.object_id]
        classes_x = {
            c
            for s in risk.values()
            for c in dict(s.where.clauses)["risk_class"]
            if replace(
                s.where, clauses=tuple(kv for kv in s.where.clauses if kv[0] != "risk_class")
            ).matches(obj_x)
        }
        x_forced = classes_x >= set("ABCD") and x.ticket < min(lows) and x.object_id not in excluded
        for z in inputs.objects:
            if z.id in chosen:
                continue
            ticket_z = target_ticket(seed, z.id)
            in_public_stratum = any(s.where.matches(z) for s in inputs.plan.strata if s.public)
            visible = (
                x_forced
                or ticket_z > max(highs)
                or not _scope_of(inputs, z, x.item)
                or in_public_stratum
                or z.id in published
            )
            if not visible:
                continue
            lines = [
                f"{x.item}\t{z.id}\t{ticket_z:016x}\t\t"
                if line.startswith(f"{x.item}\t{x.object_id}\t")
                else line
                for line in d.lines("selection.tsv")
            ]
            assert not d.check(selection=joined(lines)).ok, (x, z.id)


def test_plans_with_risk_in_a_scope_are_refused_by_the_check() -> None:
    d = vector()
    risky = {**ITEMS, "ZJ-02": replace(ITEMS["ZJ-02"], scope=where(risk_class=["C", "D"]))}
    check = public_check(plan_canonical(PLAN, risky, "DR-2"), d.objects_public, d.files, d.seed)
    assert [p.reason_en for p in check.findings] == [
        "cannot be read: 风险分类只能用于分层，不能用于抽查范围：item ZJ-02\n"
        "the risk class may only define strata, not a scope: item ZJ-02"
    ]


@pytest.mark.parametrize("name", ["selection.tsv", "bounds.tsv", "exclusions-public.tsv"])
def test_every_byte_of_a_public_file_matters(name: str) -> None:
    d = vector(PLAN_MIXED)
    data = d.files[name]
    for position in range(len(data.split(b"\n", 1)[0]) + 1, len(data), 7):
        changed = data[:position] + bytes([data[position] ^ 1]) + data[position + 1 :]
        key = name.removesuffix(".tsv").replace("-", "_")
        assert not d.check(**{key: changed}).ok, (name, position)
