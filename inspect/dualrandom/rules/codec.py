"""The storage form of items and plans: plain JSON values, exact and float-free.

``plan_from_json(plan_to_json(p)) == p`` for every plan, and likewise for
items. Ratios are exact fraction text (``"1/20"``), dates ISO 8601; every
field is written, defaults included, so a stored plan never depends on
what the defaults were when it was loaded. The keys follow the TOML keys of
docs/FORMATS.md. This is the storage form only: the draw's own canonical
bytes are defined in docs/SPEC.md.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from fractions import Fraction
from typing import Any

from dualrandom.core.encoding import canonical_json
from dualrandom.core.model import (
    DrawKind,
    EntropySource,
    Exclusions,
    ItemClass,
    ItemRecord,
    ObjectFilter,
    Plan,
    Publication,
    Stratum,
    TeamRequirement,
    TeamRules,
)

__all__ = [
    "PLAN_FORMAT",
    "filter_from_json",
    "filter_to_json",
    "item_from_json",
    "item_to_json",
    "plan_from_json",
    "plan_source",
    "plan_to_json",
    "ratio_from_text",
    "ratio_text",
]

PLAN_FORMAT = "dual-random/plan/1"
_FRACTION = re.compile(r"([0-9]+)/([0-9]+)\Z")


def ratio_text(ratio: Fraction) -> str:
    """Exact text of a ratio, always ``n/d`` (``"1/20"``, ``"1/1"``)."""
    return f"{ratio.numerator}/{ratio.denominator}"


def ratio_from_text(text: str) -> Fraction:
    match = _FRACTION.match(text)
    if not match or int(match.group(2)) == 0:
        raise ValueError(f"stored ratio {text!r} is not a fraction n/d")
    return Fraction(int(match.group(1)), int(match.group(2)))


def _optional_ratio(ratio: Fraction | None) -> str | None:
    return None if ratio is None else ratio_text(ratio)


def filter_to_json(where: ObjectFilter) -> dict[str, list[str]]:
    return where.as_dict()


def filter_from_json(value: Mapping[str, list[str]]) -> ObjectFilter:
    return ObjectFilter.of(value)


def item_to_json(item: ItemRecord) -> dict[str, Any]:
    return {
        "code": item.code,
        "name": item.name,
        "sub_item": item.sub_item,
        "legal_basis": item.legal_basis,
        "department": item.department,
        "class": str(item.item_class),
        "methods": list(item.methods),
        "specialty": item.specialty,
        "ratio": ratio_text(item.ratio),
        "max_per_year": item.max_per_year,
        "scope": filter_to_json(item.scope),
    }


def item_from_json(value: Mapping[str, Any]) -> ItemRecord:
    return ItemRecord(
        code=value["code"],
        name=value["name"],
        sub_item=value["sub_item"],
        legal_basis=value["legal_basis"],
        department=value["department"],
        item_class=ItemClass(value["class"]),
        methods=tuple(value["methods"]),
        specialty=value["specialty"],
        ratio=ratio_from_text(value["ratio"]),
        max_per_year=value["max_per_year"],
        scope=filter_from_json(value["scope"]),
    )


def plan_to_json(plan: Plan) -> dict[str, Any]:
    return {
        "format": PLAN_FORMAT,
        "id": plan.id,
        "title": plan.title,
        "year": plan.year,
        "batch": plan.batch,
        "type": str(plan.kind),
        "department": plan.department,
        "co_departments": list(plan.co_departments),
        "items": list(plan.items),
        "schedule": plan.schedule,
        "prepare_days_before": plan.prepare_days_before,
        "entropy": str(plan.entropy),
        "window": {"start": plan.window_start.isoformat(), "end": plan.window_end.isoformat()},
        "scope": filter_to_json(plan.scope),
        "stratum": [_stratum_to_json(stratum) for stratum in plan.strata],
        "exclusions": {
            "statuses": list(plan.exclusions.statuses),
            "lookback_months": plan.exclusions.lookback_months,
            "annual_cap": plan.exclusions.annual_cap,
        },
        "team": _team_to_json(plan.team),
        "publication": {
            "inspector_names": plan.publication.inspector_names,
            "mask_person_names": plan.publication.mask_person_names,
        },
    }


def plan_source(plan: Plan) -> str:
    """The stored text of a plan: canonical JSON (sorted keys, no spaces, UTF-8)."""
    return canonical_json(plan_to_json(plan))


def _stratum_to_json(stratum: Stratum) -> dict[str, Any]:
    return {
        "name": stratum.name,
        "where": filter_to_json(stratum.where),
        "ratio": _optional_ratio(stratum.ratio),
        "min": stratum.min_count,
        "max": stratum.max_count,
    }


def _team_to_json(team: TeamRules) -> dict[str, Any]:
    return {
        "size": team.size,
        "leader": team.leader,
        "district": team.district,
        "load_cap": team.load_cap,
        "require": [{"department": r.department, "count": r.count} for r in team.require],
        "conflict_rules": list(team.conflict_rules),
    }


def plan_from_json(value: Mapping[str, Any]) -> Plan:
    """The inverse of :func:`plan_to_json`; ValueError/KeyError on a malformed value."""
    if value.get("format") != PLAN_FORMAT:
        raise ValueError(f"stored plan format {value.get('format')!r} is not {PLAN_FORMAT!r}")
    window, exclusions = value["window"], value["exclusions"]
    return Plan(
        id=value["id"],
        title=value["title"],
        year=value["year"],
        batch=value["batch"],
        kind=DrawKind(value["type"]),
        department=value["department"],
        items=tuple(value["items"]),
        window_start=date.fromisoformat(window["start"]),
        window_end=date.fromisoformat(window["end"]),
        co_departments=tuple(value["co_departments"]),
        scope=filter_from_json(value["scope"]),
        strata=tuple(_stratum_from_json(stratum) for stratum in value["stratum"]),
        exclusions=Exclusions(
            statuses=tuple(exclusions["statuses"]),
            lookback_months=exclusions["lookback_months"],
            annual_cap=exclusions["annual_cap"],
        ),
        team=_team_from_json(value["team"]),
        schedule=value["schedule"],
        prepare_days_before=value["prepare_days_before"],
        entropy=EntropySource(value["entropy"]),
        publication=Publication(
            inspector_names=value["publication"]["inspector_names"],
            mask_person_names=value["publication"]["mask_person_names"],
        ),
    )


def _stratum_from_json(value: Mapping[str, Any]) -> Stratum:
    ratio = value["ratio"]
    return Stratum(
        name=value["name"],
        where=filter_from_json(value["where"]),
        ratio=None if ratio is None else ratio_from_text(ratio),
        min_count=value["min"],
        max_count=value["max"],
    )


def _team_from_json(value: Mapping[str, Any]) -> TeamRules:
    return TeamRules(
        size=value["size"],
        leader=value["leader"],
        district=value["district"],
        load_cap=value["load_cap"],
        require=tuple(TeamRequirement(r["department"], r["count"]) for r in value["require"]),
        conflict_rules=tuple(value["conflict_rules"]),
    )
