"""The Chinese words the notices use for codes stored in English or as keys.

The result and follow-up codes are the lifecycle's standard set; their
order is the order of the statistics, and a code the database holds that is
not in it still shows, after them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from dualrandom.core.model import ObjectFilter
from dualrandom.draws import DrawState, role_label
from dualrandom.lifecycle.codes import FOLLOW_UPS, RESULT_CODES

__all__ = [
    "DRAW_STATES",
    "ENTROPY_SOURCES",
    "EXCLUSION_REASONS",
    "FOLLOW_UPS",
    "ID_TYPES",
    "RESULT_CODES",
    "TASK_STATES",
    "chinese",
    "filter_text",
    "ordered_codes",
    "role_label",
]

# The task states whose result may be shown: entered results are published
# only after review (谁检查、谁录入、谁公开, with the review in between).
PUBLISHED_TASK_STATES = frozenset({"reviewed", "published"})

TASK_STATES = {
    "drawn": "待检查",
    "notified": "已告知",
    "in_inspection": "检查中",
    "result_entered": "结果审核中",
    "reviewed": "结果已公示",
    "published": "结果已公示",
    "substituted": "已替补",
    "cancelled": "已取消",
}

DRAW_STATES: dict[str, str] = {state: state.label for state in DrawState}

ENTROPY_SOURCES = {
    "dice": "现场掷骰",
    "beacon": "公共随机信标",
    "typed": "现场公开输入",
    "declared": "定时无人值守抽取",
}

# A committed description is "中文 (English)"; the notices show the Chinese.
_ENGLISH_ASIDE = re.compile(r"\s*\([\x20-\x7e]*\)\s*$")


def chinese(description: str) -> str:
    """The Chinese part of a bilingual text "中文 (English)" as the draws commit it."""
    return _ENGLISH_ASIDE.sub("", description)

EXCLUSION_REASONS = {
    "status": "登记状态不在抽查范围（注销、吊销等）",
    "lookback": "近期已被抽查（回溯期内）",
    "annual_cap": "已达年度抽查次数上限",
    "item_cap": "已达该事项年度频次上限",
}

ID_TYPES = {"uscc": "统一社会信用代码", "other": "对象编号"}

_FILTER_KEYS = {
    "type": "主体类型",
    "district": "区域",
    "industry": "行业代码",
    "status": "登记状态",
    "department": "监管部门",
    "tag": "标签",
    "list": "名录",
}
_LISTS = {"abnormal": "经营异常名录", "serious_illegal": "严重违法失信名单"}


def filter_text(where: ObjectFilter, departments: Mapping[str, str]) -> str:
    """A public description of a filter. Never call it on a filter that uses
    the risk class: callers check ``risk_class`` first (see plan notices)."""
    if "risk_class" in where.fields():
        raise ValueError("a filter on the risk class is never described publicly")
    parts = []
    for key, values in where.clauses:
        if key == "list":
            shown = [_LISTS.get(v, v) for v in values]
        elif key == "department":
            shown = [departments.get(v, v) for v in values]
        elif key == "industry":
            shown = [f"{v}*" for v in values]
        else:
            shown = list(values)
        parts.append(f"{_FILTER_KEYS[key]}：{'、'.join(shown)}")
    return "；".join(parts) or "全部检查对象"


def ordered_codes(codes: Iterable[str], standard: tuple[str, ...]) -> list[str]:
    """The standard codes first in their order, then any others sorted."""
    present = set(codes)
    known = [c for c in standard if c in present]
    return known + sorted(present - set(standard))


# Result codes that report a problem found (the rest: none found, or the
# business is gone), for the "problems found" column of the statistics.
PROBLEM_CODES = frozenset(
    {
        "发现问题待后续处理",
        "未按规定公示应当公示的信息",
        "公示信息隐瞒真实情况弄虚作假",
        "通过登记的住所(经营场所)无法联系",
        "发现问题经责令已改正",
        "不配合检查情节严重",
    }
)
