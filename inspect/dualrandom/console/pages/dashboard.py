"""工作概况: this year's batches and their next step, deadlines by department, registries."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, redirect, render_template, url_for
from werkzeug.wrappers import Response

from dualrandom.console.auth import SIGNED_IN, allow, current_user, may_see
from dualrandom.console.web import db, now, settings, today
from dualrandom.draws import DrawState, latest_draws
from dualrandom.lifecycle import deadline_summary, deadlines, working_calendar
from dualrandom.registry import REGISTRY_KINDS, list_versions
from dualrandom.rules import list_plans, load_plan
from dualrandom.schedule import BatchTimes, StepStatus, batch_times
from dualrandom.tables import DrawRow, RegistryVersionRow

bp = Blueprint("dashboard", __name__)

_STEP_LABELS = {"prepare": "准备（生成承诺）", "draw": "抽取", "publish": "公示"}


@dataclass(frozen=True)
class BatchLine:
    times: BatchTimes
    title: str
    department: str
    draw: DrawRow | None
    next_step: StepStatus | None

    @property
    def state(self) -> str:
        return self.draw.state if self.draw else "planned"

    @property
    def step_label(self) -> str:
        return _STEP_LABELS[self.next_step.step] if self.next_step else ""


def _next_step(times: BatchTimes) -> StepStatus | None:
    steps = [s for s in (times.prepare, times.draw, times.publish) if s is not None]
    return next((s for s in steps if s.state != "done"), None)


@dataclass(frozen=True)
class RegistryLine:
    kind: str
    current: RegistryVersionRow | None
    versions: int


@bp.route("/")
@allow(*SIGNED_IN)
def index() -> Response | str:
    user = current_user()
    if user.role == "inspector":
        return redirect(url_for("tasks.mine"))
    session, moment = db(), now()
    year = today().year
    stored = list_plans(session)  # read once: the batches, the deadlines and who sees what
    shown = {s.plan.id: s for s in stored if may_see(user, s.plan)}
    years = sorted({s.plan.year for s in shown.values()} | {year})
    year = (
        year
        if any(s.plan.year == year for s in shown.values())
        else max((y for y in years if y >= year), default=year)
    )
    # The calendar once (seeded first if the package knows more years), for the
    # step times and the deadlines alike.
    calendar = working_calendar(
        session, settings().lifecycle, now=moment, actor=current_user().username
    )
    times = [
        t
        for t in batch_times(session, settings(), year, moment, calendar=calendar, plans=stored)
        if t.plan_id in shown
    ]
    draws = latest_draws(session, [t.plan_id for t in times])
    batches = [
        BatchLine(
            t,
            shown[t.plan_id].plan.title,
            shown[t.plan_id].plan.department,
            draws.get(t.plan_id),
            _next_step(t),
        )
        for t in times
    ]
    summary = deadline_summary(
        session,
        calendar,
        settings().lifecycle,
        today(),
        plans={s.plan.id: s.plan for s in stored},
    )
    if user.department and user.role != "admin":
        summary = [s for s in summary if s.department == user.department]
    versions: dict[str, list[RegistryVersionRow]] = {kind: [] for kind in REGISTRY_KINDS}
    for version in list_versions(session):  # every registry's versions, oldest first
        versions.setdefault(version.kind, []).append(version)
    registries = [
        RegistryLine(kind, versions[kind][-1] if versions[kind] else None, len(versions[kind]))
        for kind in REGISTRY_KINDS
    ]
    return render_template(
        "dashboard.html",
        year=year,
        batches=batches,
        summary=summary,
        registries=registries,
        DrawState=DrawState,
    )


@bp.route("/deadlines")
@allow("admin", "operator", "reviewer", "auditor")
def overdue() -> str:
    """Every open task past or near its deadline, red first, by department."""
    session, user = db(), current_user()
    calendar = working_calendar(
        session, settings().lifecycle, now=now(), actor=current_user().username
    )
    plans: dict[str, bool] = {}

    def seen(plan_id: str) -> bool:
        if plan_id not in plans:
            plans[plan_id] = may_see(user, load_plan(session, plan_id))
        return plans[plan_id]

    rows = [
        r
        for r in deadlines(session, calendar, settings().lifecycle, today())
        if r.level and seen(r.plan_id)
    ]
    rows.sort(key=lambda r: (r.department, r.level != "red", r.deadline, r.plan_id, r.visit))
    return render_template(
        "deadlines.html",
        rows=rows[:1000],
        total=len(rows),
        warn=settings().lifecycle.warn_working_days,
    )
