"""Canonical JSON of a plan and the items it names (docs/SPEC.md §4).

Sorted keys, no insignificant whitespace, UTF-8 (NFC) without escaping
non-ASCII, no floats: ratios are exact fraction strings such as ``"1/20"``,
dates ISO 8601. Every key is ASCII, so code-point key order is also the
RFC 8785 (JCS) order and this is JCS output for these documents.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from fractions import Fraction
from typing import Any

from dualrandom.core.encoding import ALGORITHM, check_algorithm, check_text, sha256_hex
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

__all__ = ["fraction_text", "parse_fraction", "parse_plan", "plan_canonical", "plan_digest"]

Json = dict[str, Any]


def fraction_text(value: Fraction) -> str:
    """A ratio as ``numerator/denominator`` in lowest terms, e.g. ``"1/20"``."""
    return f"{value.numerator}/{value.denominator}"


def parse_fraction(text: str) -> Fraction:
    num, sep, den = text.partition("/")
    if not sep or not num.isascii() or not den.isascii():
        raise ValueError(f"ratio {text!r} is not numerator/denominator")
    value = Fraction(int(num), int(den))
    if fraction_text(value) != text:
        raise ValueError(f"ratio {text!r} is not in lowest terms")
    return value


def _filter(f: ObjectFilter) -> Json:
    return {key: sorted(set(values)) for key, values in f.clauses}


def _item(item: ItemRecord) -> Json:
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


def _plan(p: Plan) -> Json:
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
        "strata": [_stratum(s) for s in sorted(p.strata, key=lambda s: s.name)],
        "team": _team(p.team),
        "title": p.title,
        "window": {"end": p.window_end.isoformat(), "start": p.window_start.isoformat()},
        "year": p.year,
    }


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
    text = json.dumps(
        document, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
    )
    return text.encode("utf-8")


def plan_canonical(
    plan: Plan, items: Mapping[str, ItemRecord], algorithm: str = ALGORITHM
) -> bytes:
    """The canonical JSON of ``plan`` with the records of the items it names
    (SPEC §4; DR-2 §17: the same document with ``"algorithm":"DR-2"``)."""
    missing = [code for code in plan.items if code not in items]
    if missing:
        raise NotFoundError(f"plan {plan.id!r} names unknown item(s): {', '.join(missing)}")
    return _dumps(
        {
            "algorithm": check_algorithm(algorithm),
            "items": [_item(items[code]) for code in sorted(plan.items)],
            "plan": _plan(plan),
        }
    )


def plan_digest(plan: Plan, items: Mapping[str, ItemRecord], algorithm: str = ALGORITHM) -> str:
    return sha256_hex(plan_canonical(plan, items, algorithm))


def _filter_of(data: Json) -> ObjectFilter:
    return ObjectFilter.of(data)


def _date(text: str) -> date:
    return date.fromisoformat(text)


def parse_plan(data: bytes, algorithm: str = ALGORITHM) -> tuple[Plan, dict[str, ItemRecord]]:
    """Inverse of :func:`plan_canonical`; refuses non-canonical bytes."""
    doc = json.loads(data.decode("utf-8"))
    if doc.get("algorithm") != check_algorithm(algorithm):
        raise ValueError(
            f"plan document is for algorithm {doc.get('algorithm')!r}, not {algorithm}"
        )
    items = {
        i["code"]: ItemRecord(
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
            scope=_filter_of(i["scope"]),
        )
        for i in doc["items"]
    }
    p = doc["plan"]
    plan = Plan(
        id=p["id"],
        title=p["title"],
        year=p["year"],
        batch=p["batch"],
        kind=p["kind"],
        department=p["department"],
        items=tuple(p["items"]),
        window_start=_date(p["window"]["start"]),
        window_end=_date(p["window"]["end"]),
        co_departments=tuple(p["co_departments"]),
        scope=_filter_of(p["scope"]),
        strata=tuple(
            Stratum(
                name=s["name"],
                where=_filter_of(s["where"]),
                ratio=None if s["ratio"] is None else parse_fraction(s["ratio"]),
                min_count=s["min"],
                max_count=s["max"],
            )
            for s in p["strata"]
        ),
        exclusions=Exclusions(
            statuses=tuple(p["exclusions"]["statuses"]),
            lookback_months=p["exclusions"]["lookback_months"],
            annual_cap=p["exclusions"]["annual_cap"],
        ),
        team=TeamRules(
            size=p["team"]["size"],
            leader=p["team"]["leader"],
            district=p["team"]["district"],
            load_cap=p["team"]["load_cap"],
            require=tuple(
                TeamRequirement(department=r["department"], count=r["count"])
                for r in p["team"]["require"]
            ),
            conflict_rules=tuple(p["team"]["conflict_rules"]),
        ),
        schedule=p["schedule"],
        prepare_days_before=p["prepare_days_before"],
        entropy=p["entropy"],
        publication=Publication(
            inspector_names=p["publication"]["inspector_names"],
            mask_person_names=p["publication"]["mask_person_names"],
        ),
    )
    if plan_canonical(plan, items, algorithm) != data:
        raise ValueError("plan document is not in canonical form")
    return plan, items
