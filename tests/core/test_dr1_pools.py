"""Exclusions, month arithmetic, quotas and reserve sizes (SPEC §7)."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dualrandom.core import months_before, quota_size, reserve_size
from dualrandom.core.model import Exclusions, HistoryRecord, Stratum
from dualrandom.core.pools import build_pools
from tests.core.factories import item, obj, plan, where


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2027, 1, 4), 12, date(2026, 1, 4)),
        (date(2027, 3, 31), 1, date(2027, 2, 28)),
        (date(2028, 3, 31), 1, date(2028, 2, 29)),
        (date(2027, 5, 31), 3, date(2027, 2, 28)),
        (date(2027, 1, 31), 2, date(2026, 11, 30)),
        (date(2027, 7, 15), 0, date(2027, 7, 15)),
        (date(2027, 7, 15), 30, date(2025, 1, 15)),
    ],
)
def test_months_before_clamps_the_day(day: date, months: int, expected: date) -> None:
    assert months_before(day, months) == expected


@pytest.mark.parametrize(
    ("ratio", "n", "low", "high", "expected"),
    [
        ("1/20", 100, 0, None, (5, 0)),
        ("1/20", 101, 0, None, (6, 0)),
        ("1/20", 1, 0, None, (1, 0)),
        ("1/20", 0, 0, None, (0, 0)),
        ("3/100", 100, 0, None, (3, 0)),  # exact: no float rounding up to 4
        ("1/100", 50, 3, None, (3, 0)),
        ("1/100", 2, 3, None, (2, 1)),  # shortfall reported, never hidden
        ("1/2", 1000, 0, 200, (200, 0)),
        ("1", 7, 0, None, (7, 0)),
    ],
)
def test_quota_formula(
    ratio: str, n: int, low: int, high: int | None, expected: tuple[int, int]
) -> None:
    assert quota_size(Fraction(ratio), n, low, high) == expected


@given(
    st.fractions(min_value=Fraction(1, 10**6), max_value=1),
    st.integers(0, 10**7),
    st.integers(0, 50),
    st.none() | st.integers(1, 500),
)
def test_quota_properties(ratio: Fraction, n: int, low: int, high: int | None) -> None:
    if high is not None and high < max(low, 1):
        high = max(low, 1)
    k, shortfall = quota_size(ratio, n, low, high)
    assert 0 <= k <= n
    assert (k >= 1) == (n >= 1)  # no non-empty pool is exempt
    assert k >= ratio * n or k == n or (high is not None and k == high)
    assert shortfall == max(0, low - n)
    reserve = reserve_size(k, n)
    assert 0 <= reserve <= n - k
    assert reserve == min(n - k, max(3, -(-k // 10)))


def test_quota_rejects_a_zero_ratio() -> None:
    with pytest.raises(ValueError):
        quota_size(Fraction(0), 10, 0, None)


def _pools(objects: list, history: list, **plan_kw: object):  # type: ignore[no-untyped-def, type-arg]
    items = {"A": item("A", max_per_year=1), "B": item("B", scope=where(type=["企业"]))}
    p = plan(items=("A", "B"), **plan_kw)
    return build_pools(p, items, sorted(objects, key=lambda o: o.id), history)


def test_exclusion_reasons_and_boundaries() -> None:
    objects = [
        obj("O-status", status="注销"),
        obj("O-cutoff", last_inspected=None),
        obj("O-before", last_inspected=date(2026, 1, 3)),
        obj("O-legacy", last_inspected=date(2026, 1, 4)),
        obj("O-year"),
        obj("O-item", type="个体工商户"),
    ]
    history = [
        HistoryRecord("O-cutoff", "A", date(2026, 1, 4)),  # exactly at the cut-off: counts
        HistoryRecord("O-year", "B", date(2027, 1, 2)),  # this year, other item
        HistoryRecord("O-item", "A", date(2025, 6, 1)),
    ]
    pools = _pools(objects, history, exclusions=Exclusions(lookback_months=12, annual_cap=2))
    reasons = {(e.item, e.object_id): e.reasons for e in pools.exclusions}
    assert reasons == {
        ("A", "O-status"): ("status",),
        ("B", "O-status"): ("status",),
        ("A", "O-cutoff"): ("lookback",),
        ("A", "O-legacy"): ("lookback",),  # last_inspected counts for every item
        ("B", "O-legacy"): ("lookback",),
        ("B", "O-year"): ("lookback",),
    }
    assert pools.members[("A", "全部")] == ("O-before", "O-item", "O-year")
    assert pools.members[("B", "全部")] == ("O-before", "O-cutoff")


def test_annual_and_item_caps() -> None:
    objects = [obj("O1"), obj("O2")]
    history = [
        HistoryRecord("O1", "B", date(2027, 1, 2)),
        HistoryRecord("O2", "A", date(2027, 1, 1)),
        HistoryRecord("O2", "A", date(2026, 12, 31)),  # last year: not counted
    ]
    pools = _pools(objects, history, exclusions=Exclusions(annual_cap=1))
    reasons = {(e.item, e.object_id): e.reasons for e in pools.exclusions}
    assert reasons == {
        ("A", "O1"): ("annual_cap",),
        ("B", "O1"): ("annual_cap",),
        ("A", "O2"): ("annual_cap", "item_cap"),
        ("B", "O2"): ("annual_cap",),
    }


def test_objects_outside_every_stratum_are_reported() -> None:
    strata = (Stratum("A类", where(risk_class=["A"])), Stratum("D类", where(risk_class=["D"])))
    objects = [obj("O1", risk_class="A"), obj("O2", risk_class="B"), obj("O3", risk_class="D")]
    objects.append(obj("O4", risk_class="B", type="其他"))
    pools = _pools(objects, [], strata=strata, scope=where(type=["企业"]))
    assert pools.outside == ("O2",)  # O4 is outside the plan scope altogether
    assert pools.members[("A", "A类")] == ("O1",)
    assert pools.members[("B", "D类")] == ("O3",)
