"""The columns of each registry file, exactly as docs/FORMATS.md lists them.

A test reads the tables in FORMATS.md and compares them with :data:`COLUMNS`,
so the documentation a clerk reads and the headers the importer accepts
cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from datetime import date
from enum import StrEnum

from dualrandom.core.canonical import ObjectColumns
from dualrandom.core.model import (
    DEPARTMENT_LEVELS,
    METHODS,
    InspectorStatus,
    ItemClass,
    ObjectStatus,
    ObjectType,
    Relation,
    RiskClass,
)
from dualrandom.sheets import (
    Choice,
    Code,
    Column,
    DateRanges,
    Day,
    Flag,
    Industry,
    PositiveInt,
    Ratio,
    ResidentId,
    Text,
    TextList,
)

__all__ = ["COLUMNS", "KINDS", "OBJECT_FIELDS", "REGISTRY_KINDS", "ROW_KEYS"]

# The founding of the People's Republic: no registered entity is older.
EARLIEST_ESTABLISHED = date(1949, 10, 1)

RELATION_WORDS = {
    "kin": Relation.KIN,
    "former_employer": Relation.FORMER_EMPLOYER,
    "shareholding": Relation.SHAREHOLDING,
    "gift": Relation.GIFT,
    "prior_case": Relation.PRIOR_CASE,
    "other": Relation.OTHER,
}


def _values(enum: type[StrEnum]) -> list[str]:
    return [str(member) for member in enum]


DEPARTMENTS = (
    Column("code", "部门代码", Code(), required=True),
    Column("name", "部门名称", Text(100, name=True), required=True),
    Column("level", "层级", Choice(DEPARTMENT_LEVELS), required=True),
)

OBJECTS = (
    Column("id", "统一社会信用代码", Text(64), required=True, attribute="object_id"),
    Column(
        "id_type",
        "代码类型",
        Choice(
            {"uscc": "uscc", "统一社会信用代码": "uscc", "other": "other", "其他": "other"},
            default="uscc",
        ),
    ),
    Column("name", "名称", Text(200, name=True), required=True, also=("企业名称",)),
    Column("type", "类型", Choice(_values(ObjectType)), required=True, also=("主体类型",)),
    Column("industry", "行业代码", Industry(), required=True, also=("国民经济行业分类",)),
    Column("district", "片区", Text(50, memo=True), required=True, also=("所属区域",)),
    Column("registration_authority", "登记机关", Text(100, memo=True)),
    Column("address", "住所", Text(200), also=("地址",)),
    Column("status", "登记状态", Choice(_values(ObjectStatus)), required=True, also=("状态",)),
    Column("established", "成立日期", Day(not_before=EARLIEST_ESTABLISHED)),
    Column("risk_class", "信用风险分类", Choice(_values(RiskClass)), required=True),
    Column("abnormal_list", "经营异常名录", Flag()),
    Column("serious_illegal_list", "严重违法失信名单", Flag()),
    Column("departments", "监管部门", TextList(32, element=Code())),
    Column("tags", "标签", TextList(50)),
    Column("last_inspected", "上次检查日期", Day()),
    Column("legal_representative", "法定代表人", Text(50, name=True)),
    Column("phone", "联系电话", Text(30)),
)

INSPECTORS = (
    Column("cert_no", "执法证号", Text(32), required=True),
    Column("name", "姓名", Text(50, name=True), required=True),
    Column("department", "所属部门", Code(), required=True, also=("部门",)),
    Column("post", "职务", Text(50, memo=True)),
    Column("specialties", "专业领域", TextList(50), also=("专管类型",)),
    Column("leader", "可任组长", Flag()),
    Column("expert", "专家", Flag()),
    Column("cert_valid_until", "证件有效期至", Day(), required=True),
    Column("status", "在岗状态", Choice(_values(InspectorStatus)), required=True, also=("状态",)),
    Column("unavailable", "不可用日期", DateRanges()),
    Column("district", "负责片区", Text(50, memo=True)),
    Column("home_district", "居住片区", Text(50, memo=True)),
    Column("id_number", "身份证号", ResidentId()),
    Column("phone", "联系电话", Text(30)),
)

CONFLICTS = (
    Column("cert_no", "执法证号", Text(32), required=True),
    Column("object_id", "统一社会信用代码", Text(64), required=True, also=("对象代码",)),
    Column(
        "relation",
        "回避类型",
        Choice(
            {**{str(r): str(r) for r in Relation}, **{k: str(v) for k, v in RELATION_WORDS.items()}}
        ),
        required=True,
    ),
    Column("valid_from", "起始日期", Day()),
    Column("valid_until", "截止日期", Day()),
    Column("note", "说明", Text(200)),
)

ITEMS = (
    Column("code", "事项编码", Code(), required=True),
    Column("name", "抽查事项", Text(200, name=True), required=True),
    Column("sub_item", "抽查子项", Text(200)),
    Column("legal_basis", "检查依据", Text(2000), required=True),
    Column("department", "检查主体", Code(), required=True),
    Column("class", "事项类别", Choice(_values(ItemClass)), required=True, attribute="item_class"),
    Column("methods", "检查方式", TextList(10, element=Choice(METHODS)), required=True),
    Column("specialty", "专业要求", Text(50)),
    Column("ratio", "抽查比例", Ratio(), required=True),
    Column("max_per_year", "年度频次上限", PositiveInt()),
)

COLUMNS: Mapping[str, tuple[Column, ...]] = {
    "departments": DEPARTMENTS,
    "objects": OBJECTS,
    "inspectors": INSPECTORS,
    "conflicts": CONFLICTS,
    "items": ITEMS,
}

# The columns that identify a row: no two rows of a file may share them.
ROW_KEYS = {
    "departments": ("code",),
    "objects": ("id",),
    "inspectors": ("cert_no",),
    "conflicts": ("cert_no", "object_id", "relation"),
    "items": ("code",),
}

# The kinds ``registry import`` accepts, in the order a fresh installation loads them.
REGISTRY_KINDS = ("departments", "objects", "inspectors", "conflicts")
KINDS = (*REGISTRY_KINDS, "items")


# The columns of an objects file that hold the fields of ObjectColumns (same names).
OBJECT_FIELDS = tuple(f.name for f in fields(ObjectColumns))
