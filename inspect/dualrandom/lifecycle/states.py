"""The states of an inspection task and the transitions between them.

    drawn → notified → in_inspection → result_entered → reviewed → published

A result may be entered straight from ``drawn`` or ``notified`` (many
departments record notice and visit only on paper) and entered again to
correct it, which sends a reviewed result back for review. Before the visit
(``drawn``, ``notified``) a task may be **substituted** — its object is
deregistered or unreachable and a reserve object takes its place
(SPEC §8.3); any open task may be **cancelled** with a reason. Published,
substituted and cancelled are final.
"""

from __future__ import annotations

from collections.abc import Mapping

from dualrandom.sheets import Reason

__all__ = [
    "BULK_FROM",
    "FINAL",
    "LABELS",
    "OPEN",
    "STATES",
    "TRANSITIONS",
    "transition_problem",
    "transition_reason",
]

STATES = (
    "drawn",
    "notified",
    "in_inspection",
    "result_entered",
    "reviewed",
    "published",
    "substituted",
    "cancelled",
)
# What the regulators call each state (the public notices say less: they
# show a result only once it is reviewed, see publish/labels.py).
LABELS: Mapping[str, str] = {
    "drawn": "已抽取",
    "notified": "已告知",
    "in_inspection": "检查中",
    "result_entered": "结果已录入",
    "reviewed": "结果已审核",
    "published": "结果已公示",
    "substituted": "已替补",
    "cancelled": "已取消",
}
FINAL = ("published", "substituted", "cancelled")
OPEN = tuple(s for s in STATES if s not in FINAL)

TRANSITIONS: Mapping[str, tuple[str, ...]] = {
    "drawn": ("notified", "in_inspection", "result_entered", "substituted", "cancelled"),
    "notified": ("in_inspection", "result_entered", "substituted", "cancelled"),
    "in_inspection": ("result_entered", "cancelled"),
    "result_entered": ("result_entered", "reviewed", "cancelled"),
    "reviewed": ("result_entered", "published", "cancelled"),
    "published": (),
    "substituted": (),
    "cancelled": (),
}


# A step taken for every task of a plan at once moves the tasks in these states:
# notify the drawn, start the notified, approve the entered results.
BULK_FROM: Mapping[str, tuple[str, ...]] = {
    "notified": ("drawn",),
    "in_inspection": ("notified",),
    "reviewed": ("result_entered",),
}


def transition_reason(state: str, to: str) -> Reason | None:
    """Why a task in ``state`` cannot become ``to`` (Chinese, English), or None."""
    allowed = TRANSITIONS.get(state, ())
    if to in allowed:
        return None
    name = LABELS.get(state, state)
    if not allowed:
        return Reason(f"任务{name}（{state}），已是最终状态", f"it is {state}, which is final")
    names = "、".join(f"{LABELS[s]}（{s}）" for s in allowed)
    return Reason(
        f"任务{name}（{state}），只能变为：{names}",
        f"it is {state}; from {state} it can become {', '.join(allowed)}",
    )


def transition_problem(state: str, to: str) -> str | None:
    """Why a task in ``state`` cannot become ``to``, or None (in English)."""
    reason = transition_reason(state, to)
    return reason.en if reason else None
