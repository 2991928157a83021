"""Fairness over a fixed range of seeds (deterministic): object inclusion
frequencies and officer team loads must pass a chi-square goodness-of-fit
test. Critical values use the Wilson-Hilferty approximation, so no scipy."""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Sequence

from dualrandom.core import DrawInputs, draw, prepare
from dualrandom.core.model import TeamRules
from dualrandom.core.teams import VisitPlan, assign_teams
from tests.core.factories import item, obj, officer, plan

Z_999 = 3.090232  # standard normal quantile for 1 - 0.001


def chi2_critical(df: int, z: float = Z_999) -> float:
    """Upper quantile of chi-square(df) by Wilson-Hilferty (good to ~1 % here)."""
    h = 2 / (9 * df)
    return float(df * (1 - h + z * math.sqrt(h)) ** 3)


def chi2(observed: Sequence[int], expected: Sequence[float]) -> float:
    return sum((o - e) ** 2 / e for o, e in zip(observed, expected, strict=True))


def test_wilson_hilferty_matches_known_quantiles() -> None:
    # chi2.ppf(0.999, df) from tables: 10 -> 29.588, 59 -> 98.324, 100 -> 149.449
    for df, table in ((10, 29.588), (59, 98.324), (100, 149.449)):
        assert abs(chi2_critical(df) - table) / table < 0.01


def _seed(i: int) -> bytes:
    return hashlib.sha256(f"fairness {i}".encode()).digest()


def test_object_inclusion_is_uniform_within_a_stratum() -> None:
    objects = [obj(f"9121{i:04d}" if i % 3 else f"盘锦-摊位-{i:03d}") for i in range(60)]
    p = plan(team=TeamRules(size=2, load_cap=None))
    inputs = DrawInputs(
        p, {"SCJG-01": item("SCJG-01", ratio="1/10")}, objects, [officer(f"S{i}") for i in range(3)]
    )
    prep = prepare(inputs)
    runs = 4000
    counts: Counter[str] = Counter()
    for i in range(runs):
        counts.update(r.object_id for r in draw(prep, _seed(i)).selected)
    assert sum(counts.values()) == runs * 6
    observed = [counts[o.id] for o in objects]
    statistic = chi2(observed, [runs * 6 / 60] * 60)
    assert statistic < chi2_critical(59), statistic


def test_officer_team_loads_are_uniform_among_equals() -> None:
    officers = sorted((officer(f"S{i:02d}") for i in range(10)), key=lambda o: o.cert_no)
    p = plan(team=TeamRules(size=2, load_cap=None))
    items = {"SCJG-01": item("SCJG-01")}
    visits = [VisitPlan(obj(f"O{v}"), ("SCJG-01",)) for v in range(5)]
    loads: Counter[str] = Counter()
    firsts: Counter[str] = Counter()
    runs = 4000
    for i in range(runs):
        teams = assign_teams(p, items, visits, officers, {}, {}, _seed(i))
        for team in teams:
            loads.update(m.officer for m in team.members)
            firsts[team.members[0].officer] += 1
    total = runs * 5 * 2
    statistic = chi2([loads[o.cert_no] for o in officers], [total / 10] * 10)
    assert statistic < chi2_critical(9), statistic
    statistic = chi2([firsts[o.cert_no] for o in officers], [runs * 5 / 10] * 10)
    assert statistic < chi2_critical(9), statistic


def test_loads_under_a_binding_cap_stay_balanced() -> None:
    """With the cap binding (20 slots, 10 officers, cap 2) every officer ends
    with exactly 2 visits whatever the seed: the cap, not luck, decides."""
    officers = [officer(f"S{i:02d}") for i in range(10)]
    p = plan(team=TeamRules(size=2, load_cap=2))
    visits = [VisitPlan(obj(f"O{v:02d}"), ("SCJG-01",)) for v in range(10)]
    for i in range(50):
        teams = assign_teams(p, {"SCJG-01": item("SCJG-01")}, visits, officers, {}, {}, _seed(i))
        loads = Counter(m.officer for t in teams for m in t.members)
        assert set(loads.values()) == {2}
