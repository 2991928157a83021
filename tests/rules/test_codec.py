"""The plan codec and the stored text round-trip every plan and item exactly, with no floats."""

from __future__ import annotations

import json
from datetime import date, timedelta
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from dualrandom.core.encoding import canonical_json
from dualrandom.core.model import (
    CONFLICT_RULES,
    DISTRICT_RULES,
    DrawKind,
    EntropySource,
    Exclusions,
    ItemClass,
    ItemRecord,
    ObjectFilter,
    ObjectStatus,
    ObjectType,
    Plan,
    Publication,
    Stratum,
    TeamRequirement,
    TeamRules,
)
from dualrandom.core.plan_json import (
    fraction_text,
    item_from_json,
    item_to_json,
    parse_fraction,
    plan_from_json,
    plan_to_json,
)
from dualrandom.rules.store import plan_source

CODES = st.from_regex(r"[A-Z]{1,4}-[0-9]{2}", fullmatch=True)
DEPARTMENTS = ["SCJG", "ZJ", "SYJ", "GS", "AJ"]
TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=20
)
RATIOS = st.fractions(min_value=Fraction(1, 10_000), max_value=1, max_denominator=10_000)


def filters() -> st.SearchStrategy[ObjectFilter]:
    values = {
        "type": st.sampled_from(list(ObjectType)),
        "district": st.sampled_from(["东区", "西区", "南区"]),
        "industry": st.sampled_from(["F", "F52", "C13", "I64"]),
        "tag": TEXT,
    }
    optional = {key: st.lists(strategy, min_size=1, max_size=3) for key, strategy in values.items()}
    return st.fixed_dictionaries({}, optional=optional).map(ObjectFilter.of)


@st.composite
def strata(draw: st.DrawFn) -> tuple[Stratum, ...]:
    """Disjoint strata: each takes its own risk classes."""
    classes = draw(st.permutations("ABCD"))
    cuts = sorted(draw(st.sets(st.integers(1, 3), max_size=3)))
    groups = [classes[a:b] for a, b in zip([0, *cuts], [*cuts, 4], strict=True)]
    result = []
    for index, group in enumerate(groups):
        extra = draw(
            st.fixed_dictionaries(
                {}, optional={"district": st.lists(st.sampled_from(["东区", "西区"]), min_size=1)}
            )
        )
        where = ObjectFilter.of({"risk_class": group, **extra})
        low = draw(st.integers(0, 5))
        high = draw(st.none() | st.integers(max(low, 1), 500))
        result.append(Stratum(f"S{index}", where, draw(st.none() | RATIOS), low, high))
    return tuple(result)


@st.composite
def plans(draw: st.DrawFn) -> Plan:
    department = draw(st.sampled_from(DEPARTMENTS))
    co = draw(st.lists(st.sampled_from([d for d in DEPARTMENTS if d != department]), unique=True))
    size = draw(st.integers(2, 5))
    required = draw(st.lists(st.sampled_from([department, *co]), unique=True, max_size=size))
    year = draw(st.integers(2000, 2200))
    start = date(year, 1, 1) + timedelta(days=draw(st.integers(0, 300)))
    return Plan(
        id=draw(st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True)),
        title=draw(TEXT.filter(str.strip)),
        year=year,
        batch=draw(st.sampled_from(["Q1", "Q4", "H2", "B12"])),
        kind=draw(st.sampled_from(list(DrawKind))),
        department=department,
        items=tuple(draw(st.lists(CODES, min_size=1, max_size=5, unique=True))),
        window_start=start,
        window_end=start + timedelta(days=draw(st.integers(0, 60))),
        co_departments=tuple(co),
        scope=draw(filters()),
        strata=draw(st.just((Stratum("全部"),)) | strata()),
        exclusions=Exclusions(
            statuses=tuple(draw(st.sets(st.sampled_from(list(ObjectStatus))))),
            lookback_months=draw(st.integers(0, 36)),
            annual_cap=draw(st.none() | st.integers(1, 4)),
        ),
        team=TeamRules(
            size=size,
            leader=draw(st.booleans()),
            district=draw(st.sampled_from(sorted(DISTRICT_RULES))),
            load_cap=draw(st.none() | st.integers(1, 50)),
            require=tuple(TeamRequirement(d, 1) for d in required),
            conflict_rules=tuple(draw(st.sets(st.sampled_from(sorted(CONFLICT_RULES))))),
        ),
        schedule=draw(st.sampled_from(["manual", "quarterly", "0 9 1 1,4,7,10 *"])),
        prepare_days_before=draw(st.integers(0, 30)),
        entropy=draw(st.sampled_from(list(EntropySource))),
        publication=Publication(draw(st.booleans()), draw(st.booleans())),
    )


items = st.builds(
    ItemRecord,
    code=CODES,
    name=TEXT,
    legal_basis=TEXT,
    department=st.sampled_from(DEPARTMENTS),
    item_class=st.sampled_from(list(ItemClass)),
    methods=st.sets(st.sampled_from(["现场检查", "书面检查", "网络监测"]), min_size=1).map(tuple),
    ratio=RATIOS,
    sub_item=TEXT | st.just(""),
    specialty=st.sampled_from(["", "食品", "特种设备"]),
    max_per_year=st.none() | st.integers(1, 4),
    scope=filters(),
)


def has_float(value: object) -> bool:
    if isinstance(value, dict):
        return any(has_float(v) for v in value.values())
    if isinstance(value, list):
        return any(has_float(v) for v in value)
    return isinstance(value, float)


@given(plans())
def test_every_plan_round_trips_through_its_stored_text(plan: Plan) -> None:
    text = plan_source(plan)
    assert plan_from_json(json.loads(text)) == plan
    assert plan_from_json(plan_to_json(plan)) == plan
    assert not has_float(json.loads(text))
    assert canonical_json(json.loads(text)) == text


@given(items)
def test_every_item_round_trips(item: ItemRecord) -> None:
    value = item_to_json(item)
    assert item_from_json(json.loads(canonical_json(value))) == item
    assert not has_float(value)


@given(RATIOS)
def test_ratios_are_exact_fraction_text(ratio: Fraction) -> None:
    assert parse_fraction(fraction_text(ratio)) == ratio
    assert fraction_text(Fraction(5, 100)) == "1/20" and fraction_text(Fraction(1)) == "1/1"
