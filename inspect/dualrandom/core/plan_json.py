"""The one JSON codec of plans and items, and their canonical bytes (docs/SPEC.md §4).

:func:`plan_to_json` and :func:`item_to_json` turn a plan and an item into
plain JSON values with the keys of SPEC §4; :func:`plan_from_json` and
:func:`item_from_json` are their exact inverses. No floats: ratios are exact
fraction strings such as ``"1/20"`` (:func:`fraction_text`, read back by
:func:`parse_fraction`), dates ISO 8601. A plan keeps its strata in the
order of its file, which notices show; the canonical document sorts them by
name. Storage (``rules.store``), the plan's audit entries and ``plan show
--json`` use these values; the draw hashes :func:`plan_canonical`.

Canonical bytes: sorted keys, no insignificant whitespace, UTF-8 (NFC)
without escaping non-ASCII, no floats. Every key is ASCII, so code-point key
order is also the RFC 8785 (JCS) order and this is JCS output for these
documents.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from fractions import Fraction
from typing import Any

from dualrandom.core.encoding import (
    ALGORITHM,
    canonical_json,
    check_algorithm,
    check_text,
    sha256_hex,
)
from dualrandom.core.model import (
    Exclusions,
    ItemRecord,
    ObjectFilter,
    Plan,
    Publication,
    Stratum,
    TeamRequirement,
    TeamRules,
)
from dualrandom.errors import NotFoundError

__all__ = [
    "fraction_text",
    "item_from_json",
    "item_to_json",
    "parse_fraction",
    "parse_plan",
    "plan_canonical",
    "plan_digest",
    "plan_from_json",
    "plan_to_json",
]

Json = dict[str, Any]


def fraction_text(value: Fraction) -> str:
    """A ratio as ``numerator/denominator`` in lowest terms, e.g. ``"1/20"``."""
    return f"{value.numerator}/{value.denominator}"


def parse_fraction(text: str) -> Fraction:
    """Inverse of :func:`fraction_text`; refuses any other spelling."""
    num, sep, den = text.partition("/")
    if not sep or not num.isascii() or not den.isascii():
        raise ValueError(f"ratio {text!r} is not numerator/denominator")
    try:
        value = Fraction(int(num), int(den))
    except ZeroDivisionError:
        raise ValueError(f"ratio {text!r} has a zero denominator") from None
    if fraction_text(value) != text:
        raise ValueError(f"ratio {text!r} is not in lowest terms")
    return value


def _ratio(value: str | None) -> Fraction | None:
    return None if value is None else parse_fraction(value)


def _filter(f: ObjectFilter) -> Json:
    return {key: sorted(set(values)) for key, values in f.clauses}


def item_to_json(item: ItemRecord) -> Json:
    return {
        "class": str(item.item_class),
        "code": item.code,
        "department": item.department,
        "legal_basis": item.legal_basis,
        "max_per_year": item.max_per_year,
        "methods": sorted(set(item.methods)),
        "name": item.name,
        "ratio": fraction_text(item.ratio),
        "scope": _filter(item.scope),
        "specialty": item.specialty,
        "sub_item": item.sub_item,
    }


def item_from_json(i: Mapping[str, Any]) -> ItemRecord:
    """Inverse of :func:`item_to_json`; ValueError/KeyError on a malformed value."""
    return ItemRecord(
        code=i["code"],
        name=i["name"],
        legal_basis=i["legal_basis"],
        department=i["department"],
        item_class=i["class"],
        methods=tuple(i["methods"]),
        ratio=parse_fraction(i["ratio"]),
        sub_item=i["sub_item"],
        specialty=i["specialty"],
        max_per_year=i["max_per_year"],
        scope=ObjectFilter.of(i["scope"]),
    )


def _stratum(s: Stratum) -> Json:
    return {
        "max": s.max_count,
        "min": s.min_count,
        "name": s.name,
        "ratio": None if s.ratio is None else fraction_text(s.ratio),
        "where": _filter(s.where),
    }


def _team(t: TeamRules) -> Json:
    return {
        "conflict_rules": sorted(set(t.conflict_rules)),
        "district": t.district,
        "leader": t.leader,
        "load_cap": t.load_cap,
        "require": [
            {"count": r.count, "department": r.department}
            for r in sorted(t.require, key=lambda r: r.department)
        ],
        "size": t.size,
    }


def plan_to_json(p: Plan) -> Json:
    """The plan's JSON values, its strata in the plan's own order."""
    return {
        "batch": p.batch,
        "co_departments": sorted(set(p.co_departments)),
        "department": p.department,
        "entropy": str(p.entropy),
        "exclusions": {
            "annual_cap": p.exclusions.annual_cap,
            "lookback_months": p.exclusions.lookback_months,
            "statuses": sorted(set(p.exclusions.statuses)),
        },
        "id": p.id,
        "items": sorted(p.items),
        "kind": str(p.kind),
        "prepare_days_before": p.prepare_days_before,
        "publication": {
            "inspector_names": p.publication.inspector_names,
            "mask_person_names": p.publication.mask_person_names,
        },
        "schedule": p.schedule,
        "scope": _filter(p.scope),
        "strata": [_stratum(s) for s in p.strata],
        "team": _team(p.team),
        "title": p.title,
        "window": {"end": p.window_end.isoformat(), "start": p.window_start.isoformat()},
        "year": p.year,
    } | ({"dice": True} if p.dice else {})


def plan_from_json(p: Mapping[str, Any]) -> Plan:
    """Inverse of :func:`plan_to_json`; ValueError/KeyError on a malformed value."""
    team, exclusions = p["team"], p["exclusions"]
    return Plan(
        id=p["id"],
        title=p["title"],
        year=p["year"],
        batch=p["batch"],
        kind=p["kind"],
        department=p["department"],
        items=tuple(p["items"]),
        window_start=date.fromisoformat(p["window"]["start"]),
        window_end=date.fromisoformat(p["window"]["end"]),
        co_departments=tuple(p["co_departments"]),
        scope=ObjectFilter.of(p["scope"]),
        strata=tuple(
            Stratum(
                name=s["name"],
                where=ObjectFilter.of(s["where"]),
                ratio=_ratio(s["ratio"]),
                min_count=s["min"],
                max_count=s["max"],
            )
            for s in p["strata"]
        ),
        exclusions=Exclusions(
            statuses=tuple(exclusions["statuses"]),
            lookback_months=exclusions["lookback_months"],
            annual_cap=exclusions["annual_cap"],
        ),
        team=TeamRules(
            size=team["size"],
            leader=team["leader"],
            district=team["district"],
            load_cap=team["load_cap"],
            require=tuple(
                TeamRequirement(department=r["department"], count=r["count"])
                for r in team["require"]
            ),
            conflict_rules=tuple(team["conflict_rules"]),
        ),
        schedule=p["schedule"],
        prepare_days_before=p["prepare_days_before"],
        entropy=p["entropy"],
        dice=p.get("dice", False) is True,
        publication=Publication(
            inspector_names=p["publication"]["inspector_names"],
            mask_person_names=p["publication"]["mask_person_names"],
        ),
    )


def _check_strings(value: object, path: str) -> None:
    if isinstance(value, str):
        check_text(value, path)
    elif isinstance(value, dict):
        for key, inner in value.items():
            _check_strings(inner, f"{path}.{key}")
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            _check_strings(inner, f"{path}[{index}]")


def _dumps(document: Json) -> bytes:
    _check_strings(document, "plan")
    return canonical_json(document).encode("utf-8")


def plan_canonical(
    plan: Plan, items: Mapping[str, ItemRecord], algorithm: str = ALGORITHM
) -> bytes:
    """The canonical JSON of ``plan`` with the records of the items it names
    (SPEC §4; DR-2 §17: the same document with ``"algorithm":"DR-2"``)."""
    missing = [code for code in plan.items if code not in items]
    if missing:
        raise NotFoundError(
            f"计划 {plan.id!r} 列出了不存在的检查事项：{'、'.join(missing)}",
            f"plan {plan.id!r} names unknown item(s): {', '.join(missing)}",
        )
    document = plan_to_json(plan)
    document["strata"].sort(key=lambda s: s["name"])
    return _dumps(
        {
            "algorithm": check_algorithm(algorithm),
            "items": [item_to_json(items[code]) for code in sorted(plan.items)],
            "plan": document,
        }
    )


def plan_digest(plan: Plan, items: Mapping[str, ItemRecord], algorithm: str = ALGORITHM) -> str:
    return sha256_hex(plan_canonical(plan, items, algorithm))


def parse_plan(data: bytes, algorithm: str = ALGORITHM) -> tuple[Plan, dict[str, ItemRecord]]:
    """Inverse of :func:`plan_canonical`; refuses non-canonical bytes."""
    doc = json.loads(data.decode("utf-8"))
    if doc.get("algorithm") != check_algorithm(algorithm):
        raise ValueError(
            f"plan document is for algorithm {doc.get('algorithm')!r}, not {algorithm}"
        )
    items = {i["code"]: item_from_json(i) for i in doc["items"]}
    plan = plan_from_json(doc["plan"])
    if plan_canonical(plan, items, algorithm) != data:
        raise ValueError("plan document is not in canonical form")
    return plan, items
