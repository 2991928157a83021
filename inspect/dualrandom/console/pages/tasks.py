"""检查任务与结果: an inspector's own tasks, a plan's tasks, entering a result,
importing a results file, the reviewer's approval, and publishing."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import and_, bindparam, select
from werkzeug.wrappers import Response

from dualrandom.console.auth import allow, current_user, may_act_on, may_see
from dualrandom.console.checked import warn
from dualrandom.console.forms import ActionForm, ResultForm, ResultsFileForm
from dualrandom.console.pages.common import (
    PAGE_SIZE,
    Pager,
    page_number,
    problem_rows,
    saved_upload,
    visible_plan,
    visible_plans,
)
from dualrandom.console.web import consistent, db, fail, now, settings, today
from dualrandom.draws import DrawState, latest_draw
from dualrandom.errors import NotFoundError, UserError, ValidationError
from dualrandom.lifecycle import (
    BULK_FROM,
    LABELS,
    ResultEntry,
    TaskView,
    count_inspector_tasks,
    count_tasks,
    import_results,
    inspector_task,
    inspector_tasks,
    move_many,
    set_result,
    standing_draw,
    state_counts,
    task_view,
    task_views,
    working_calendar,
)
from dualrandom.publish import publish_site
from dualrandom.tables import DrawMemberRow, DrawRow, InspectionTaskRow

bp = Blueprint("tasks", __name__)

_READERS = ("operator", "reviewer", "auditor")
_MINE_PAGE = 50  # task cards a page on a phone
_STEPS = {"notified": "告知", "in_inspection": "开始检查", "reviewed": "审核通过"}


@bp.route("/my/tasks")
@allow("inspector")
def mine() -> str:
    session, cert = db(), current_user().cert_no
    pager = Pager(
        page_number(),
        count_inspector_tasks(session, cert),
        _MINE_PAGE,
        lambda n: url_for("tasks.mine", page=n),
    )
    found = inspector_tasks(session, cert, offset=pager.offset, limit=_MINE_PAGE)
    for draw in {draw.id: draw for draw, _ in found}.values():
        warn(draw, [view.visit for d, view in found if d is draw])
    tasks = [(draw.plan_id, view) for draw, view in found]
    return render_template("tasks_mine.html", tasks=tasks, pager=pager)


@bp.route("/plans/<plan_id>/tasks")
@allow(*_READERS)
def plan_tasks(plan_id: str) -> str:
    stored = visible_plan(plan_id)
    session = db()
    state = request.args.get("state", "")
    states = (state,) if state in LABELS else ()
    draw = standing_draw(session, plan_id)
    counts = state_counts(session, draw)
    total = sum(counts.get(s, 0) for s in states) if states else sum(counts.values())
    pager = Pager(
        page_number(),
        total,
        PAGE_SIZE,
        lambda n: url_for("tasks.plan_tasks", plan_id=plan_id, page=n, state=state or None),
    )
    _, found = task_views(session, plan_id, states=states, offset=pager.offset, limit=PAGE_SIZE)
    warn(draw, [t.visit for t in found])
    counts = {s: counts.get(s, 0) for s in LABELS}
    return render_template(
        "tasks_plan.html",
        plan=stored.plan,
        draw=draw,
        tasks=found,
        pager=pager,
        state=state,
        counts=counts,
        may_act=may_act_on(current_user(), stored.plan),
        action=ActionForm(),
        steps=_STEPS,
    )


@bp.route("/plans/<plan_id>/tasks/move/<to>", methods=["POST"])
@allow("operator", "reviewer")
def move(plan_id: str, to: str) -> Response:
    """Every task of the plan in the step's starting state, moved at once."""
    stored = visible_plan(plan_id)
    user = current_user()
    if to not in _STEPS or not ActionForm().validate_on_submit():
        abort(400)
    if (to == "reviewed") != (user.role == "reviewer"):
        abort(403)  # operators notify and start; only reviewers approve
    if user.role == "operator" and not may_act_on(user, stored.plan):
        abort(403)
    visits = request.form.getlist("visit")
    refs = [f"#{v}" for v in visits if v.isdigit()]
    moved = move_many(
        db(), plan_id, refs, to, from_states=BULK_FROM[to], now=now(), actor=user.username
    )
    flash(f"{len(moved)} 项任务已{_STEPS[to]}。", "success")
    target = "tasks.review_plan" if to == "reviewed" else "tasks.plan_tasks"
    return redirect(url_for(target, plan_id=plan_id))


@dataclass(frozen=True)
class _Found:
    plan_id: str
    task: TaskView


def _task(plan_id: str, visit: int) -> _Found:
    """The task if the user may see it: an inspector only on their own team."""
    user = current_user()
    session = db()
    if user.role == "inspector":
        mine = inspector_task(session, user.cert_no, plan_id, visit)
        if mine is None:
            abort(404)
        draw, view = mine
    else:
        visible_plan(plan_id)
        try:
            draw = standing_draw(session, plan_id)
            view = task_view(session, plan_id, visit)
        except NotFoundError:
            abort(404)
    warn(draw, [view.visit])
    return _Found(plan_id, view)


# Built once: every result an inspector enters asks it.
_ON_TEAM = (
    select(DrawRow.id)
    .join(DrawMemberRow, DrawMemberRow.draw_id == DrawRow.id)
    .join(
        InspectionTaskRow,
        and_(
            InspectionTaskRow.draw_id == DrawRow.id,
            InspectionTaskRow.visit == bindparam("visit"),
        ),
    )
    .where(
        DrawRow.plan_id == bindparam("plan_id"),
        DrawRow.state == DrawState.DRAWN,
        DrawMemberRow.cert_no == bindparam("cert_no"),
        DrawMemberRow.visit == bindparam("visit"),
    )
    .limit(1)
)


def _on_team(cert_no: str, plan_id: str, visit: int) -> bool:
    """Whether the officer ``cert_no`` is on the team of the task of visit
    ``visit`` of the plan's drawn draw: :func:`inspector_task`'s test, without
    reading the task's view (a result entered reads no page)."""
    found = db().scalar(_ON_TEAM, {"plan_id": plan_id, "cert_no": cert_no, "visit": visit})
    return found is not None


@bp.route("/plans/<plan_id>/tasks/<int:visit>", methods=["GET", "POST"])
@allow("operator", "reviewer", "auditor", "inspector")
def task(plan_id: str, visit: int) -> Response | str | tuple[str, int]:
    user = current_user()
    posted = request.method == "POST"
    # A POST that enters the result redirects and shows nothing: the task's view
    # (and the check of what it shows) is read only for a page that shows it.
    # Who may open the task is decided first, as for the page: 404 otherwise.
    if not posted:
        found: _Found | None = _task(plan_id, visit)
    elif user.role == "inspector":
        if not _on_team(user.cert_no, plan_id, visit):
            abort(404)
        found = None
    else:
        found = _task(plan_id, visit)
    may_enter = user.role == "inspector" or (
        user.role == "operator" and may_act_on(user, visible_plan(plan_id).plan)
    )
    form = ResultForm()
    error: UserError | None = None
    if posted:
        if not may_enter:
            abort(403)
        if form.validate_on_submit():
            entry = ResultEntry(
                plan_id,
                f"#{visit}",
                form.checked_on.data,
                form.result.data,
                form.follow_up.data,
                (form.note.data or "").strip(),
            )
            session = db()
            try:
                calendar = working_calendar(
                    session, settings().lifecycle, now=now(), actor=current_user().username
                )
                _, day, provisional = set_result(
                    session,
                    entry,
                    calendar=calendar,
                    settings=settings().lifecycle,
                    today=today(),
                    now=now(),
                    actor=user.username,
                )
            except UserError as exc:
                fail()
                error = exc
            else:
                flash(
                    f"已录入第 {visit} 户的检查结果；请于 {day.isoformat()}"
                    f"{'（暂定）' if provisional else ''} 前公示。",
                    "success",
                )
                home = "tasks.mine" if user.role == "inspector" else "tasks.plan_tasks"
                return redirect(
                    url_for(home, plan_id=plan_id) if home != "tasks.mine" else url_for(home)
                )
        else:
            fail()
    if found is None:
        found = _task(plan_id, visit)
    if not posted and found.task.checked_on:
        form.checked_on.data = found.task.checked_on
        form.result.data = found.task.result
        form.follow_up.data = found.task.follow_up
    problems = problem_rows(error.problems) if isinstance(error, ValidationError) else []
    return render_template(
        "task.html",
        plan_id=plan_id,
        task=found.task,
        form=form,
        may_enter=may_enter and found.task.state not in ("published", "substituted", "cancelled"),
        error=error,
        problems=problems,
    ), (422 if error else 200)


@bp.route("/results/import", methods=["GET", "POST"])
@allow("operator")
def results_import() -> Response | str | tuple[str, int]:
    form = ResultsFileForm()
    if not form.validate_on_submit():
        return render_template("results_import.html", form=form, problems=[], error=None)
    path = saved_upload(form.file.data, "results")
    user, session = current_user(), db()
    try:
        calendar = working_calendar(
            session, settings().lifecycle, now=now(), actor=current_user().username
        )
        summary = import_results(
            session,
            path,
            calendar=calendar,
            settings=settings().lifecycle,
            today=today(),
            now=now(),
            actor=user.username,
        )
        foreign = sorted(
            {s.split("#")[0] for s, _, _ in summary.entered}
            - {p.plan.id for p in visible_plans() if may_act_on(user, p.plan)}
        )
        if foreign:
            raise UserError(
                f"文件含有不属于本部门计划的结果：{'、'.join(foreign)}；未写入任何数据",
                f"the file has results of plans of other departments: {', '.join(foreign)}",
            )
    except UserError as exc:
        fail()
        problems = problem_rows(exc.problems) if isinstance(exc, ValidationError) else []
        return render_template("results_import.html", form=form, problems=problems, error=exc), 422
    finally:
        path.unlink(missing_ok=True)
    flash(f"已从 {summary.source} 录入 {len(summary.entered)} 项检查结果。", "success")
    return redirect(url_for("tasks.results_import"))


@bp.route("/review")
@allow("reviewer")
def review() -> str:
    session = db()
    waiting = []
    for stored in visible_plans():
        row = latest_draw(session, stored.plan.id)
        if row is not None and row.state == DrawState.DRAWN:
            n = count_tasks(session, row, ("result_entered",))
            if n:
                waiting.append((stored.plan, n))
    return render_template("review.html", waiting=waiting)


@bp.route("/plans/<plan_id>/review")
@allow("reviewer")
def review_plan(plan_id: str) -> str:
    stored = visible_plan(plan_id)
    draw, found = task_views(db(), plan_id, states=("result_entered",), limit=500)
    warn(draw, [t.visit for t in found])
    return render_template("review_plan.html", plan=stored.plan, tasks=found, action=ActionForm())


@bp.route("/publish", methods=["GET", "POST"])
@allow("operator", "reviewer")
@consistent
def publish() -> Response | str:
    """The public site (一公开), rebuilt: reviewed results become published."""
    session = db()
    if request.method == "POST":
        if not ActionForm().validate_on_submit():
            abort(400)
        config = settings()
        report = publish_site(
            session,
            config.site_dir,
            timezone=config.timezone,
            site=config.site,
            actor=current_user().username,
            now=now(),
        )
        for chinese, _ in report.warnings:
            flash(chinese, "warning")
        flash(
            f"已发布公示网站：{report.notices} 份公告，{report.objects} 个检查对象页面。",
            "success",
        )
        return redirect(url_for("tasks.publish"))
    waiting = []
    for stored in visible_plans():
        row = latest_draw(session, stored.plan.id)
        if (
            row is not None
            and row.state == DrawState.DRAWN
            and may_see(current_user(), stored.plan)
        ):
            waiting.append((stored.plan, count_tasks(session, row, ("reviewed",))))
    return render_template("publish.html", waiting=waiting, action=ActionForm())
