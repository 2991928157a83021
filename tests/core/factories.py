"""Small builders for core tests: valid records with few keystrokes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from fractions import Fraction
from typing import Any

from dualrandom.core.model import (
    InspectorRecord,
    ItemRecord,
    ObjectFilter,
    ObjectRecord,
    Plan,
    Stratum,
    TeamRules,
)

WINDOW = (date(2027, 1, 4), date(2027, 3, 31))


def obj(object_id: str, district: str = "大洼区", **kw: Any) -> ObjectRecord:
    fields: dict[str, Any] = {
        "name": f"名称{object_id}",
        "type": "企业",
        "industry": "F5211",
        "status": "存续",
        "risk_class": "B",
    }
    fields.update(kw)
    return ObjectRecord(id=object_id, district=district, **fields)


def officer(cert_no: str, department: str = "SCJG", **kw: Any) -> InspectorRecord:
    fields: dict[str, Any] = {
        "name": f"检查员{cert_no}",
        "cert_valid_until": date(2030, 12, 31),
        "status": "在岗",
    }
    fields.update(kw)
    return InspectorRecord(cert_no=cert_no, department=department, **fields)


def item(code: str, department: str = "SCJG", ratio: str = "1/10", **kw: Any) -> ItemRecord:
    fields: dict[str, Any] = {
        "name": f"事项{code}",
        "legal_basis": "《企业信息公示暂行条例》第十四条",
        "item_class": "一般",
        "methods": ("现场检查",),
    }
    fields.update(kw)
    return ItemRecord(code=code, department=department, ratio=Fraction(ratio), **fields)


def plan(
    items: Sequence[str] = ("SCJG-01",),
    team: TeamRules | None = None,
    strata: Sequence[Stratum] = (Stratum("全部"),),
    **kw: Any,
) -> Plan:
    fields: dict[str, Any] = {
        "title": "2027年第一季度双随机抽查",
        "year": 2027,
        "batch": "Q1",
        "kind": "不定向",
        "department": "SCJG",
        "window_start": WINDOW[0],
        "window_end": WINDOW[1],
    }
    fields.update(kw)
    return Plan(
        id=fields.pop("id", "2027-Q1"),
        items=tuple(items),
        team=team or TeamRules(),
        strata=tuple(strata),
        **fields,
    )


def where(**clauses: Sequence[str]) -> ObjectFilter:
    return ObjectFilter.of(clauses)
