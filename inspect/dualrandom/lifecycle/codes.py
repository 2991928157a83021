"""The standard result and follow-up codes of a random inspection (docs/FORMATS.md)."""

from __future__ import annotations

from dualrandom.sheets import Reason

__all__ = ["FOLLOW_UPS", "NO_FOLLOW_UP", "RESULT_CODES", "result_problem", "result_reason"]

# The standard set used by the national and provincial platforms.
RESULT_CODES = (
    "未发现问题",
    "发现问题待后续处理",
    "未按规定公示应当公示的信息",
    "公示信息隐瞒真实情况弄虚作假",
    "通过登记的住所(经营场所)无法联系",
    "发现问题经责令已改正",
    "未发现开展本次抽查涉及的经营活动",
    "已关闭停业或正在组织清算",
    "不配合检查情节严重",
    "注销",
    "被吊销",
    "被撤销",
    "迁出",
)
NO_FOLLOW_UP = "无需后续处置"
FOLLOW_UPS = (NO_FOLLOW_UP, "责令改正", "移送办案机构", "抄告相关部门", "其他")

# Results that say nothing needs doing, and the one that says something does.
_NOTHING_TO_DO = ("未发现问题", "未发现开展本次抽查涉及的经营活动")
_PENDING = "发现问题待后续处理"


def result_reason(result: str, follow_up: str) -> Reason | None:
    """Why a result and a follow-up contradict each other (Chinese, English), or None."""
    if result in _NOTHING_TO_DO and follow_up != NO_FOLLOW_UP:
        return Reason(
            f"检查结果“{result}”的后续处置应为“{NO_FOLLOW_UP}”",
            f"the result {result} needs the follow-up {NO_FOLLOW_UP}",
        )
    if result == _PENDING and follow_up == NO_FOLLOW_UP:
        return Reason(
            f"检查结果“{_PENDING}”需要“{NO_FOLLOW_UP}”以外的后续处置",
            f"the result {_PENDING} needs a follow-up other than {NO_FOLLOW_UP}",
        )
    return None


def result_problem(result: str, follow_up: str) -> str | None:
    """Why a result and a follow-up contradict each other, or None (in English)."""
    reason = result_reason(result, follow_up)
    return reason.en if reason else None
