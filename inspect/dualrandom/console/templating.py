"""Filters and globals every console template may use."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, g, url_for

from dualrandom.accounts import ROLE_LABELS
from dualrandom.console.checked import warnings
from dualrandom.db import as_utc
from dualrandom.draws import DrawState, role_label
from dualrandom.lifecycle import LABELS as TASK_LABELS

__all__ = ["register_filters", "task_link"]

DRAW_LABELS = {state.value: state.label for state in DrawState}
KIND_LABELS = {
    "objects": "检查对象名录",
    "inspectors": "执法检查人员名录",
    "conflicts": "回避关系名录",
    "departments": "部门名录",
}


def task_link(plan_id: str, visit: int) -> str:
    """The link of a task's page, as url_for makes it, built once per plan and
    request and the visit number put in place of the rule's last part
    (``<int:visit>``): a list links up to 500 tasks, and url_for took longer than
    the rest of a row."""
    links: dict[str, str] = g.setdefault("_task_links", {})
    head = links.get(plan_id)
    if head is None:
        head = links[plan_id] = url_for("tasks.task", plan_id=plan_id, visit=0).removesuffix("0")
    return f"{head}{int(visit)}"


def register_filters(flask: Flask, timezone: ZoneInfo) -> None:
    def local(moment: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
        if moment is None:
            return ""
        return as_utc(moment).astimezone(timezone).strftime(pattern)

    def day(value: date | None) -> str:
        return "" if value is None else f"{value.year}年{value.month}月{value.day}日"

    flask.jinja_env.filters.update(
        local=local,
        day=day,
        role=lambda role: ROLE_LABELS.get(role, role),
        team_role=role_label,
        task_state=lambda state: TASK_LABELS.get(state, state),
        draw_state=lambda state: DRAW_LABELS.get(state, state),
        registry=lambda kind: KIND_LABELS.get(kind, kind),
    )
    flask.jinja_env.globals["task_link"] = task_link

    @flask.context_processor
    def _user() -> dict[str, object]:
        return {
            "user": g.get("user"),
            "KIND_LABELS": KIND_LABELS,
            "integrity_warnings": warnings,
        }
