"""事项与计划: the item list, the plans, and loading a plan from a TOML file or a form.

A plan is checked by the library exactly as ``rules check`` checks a file of
the rules folder (:func:`dualrandom.rules.check_plan_text`), with every
problem on its line. Loading it stores it (``rules.plan`` in the audit log,
under the user's name) and writes it into the rules folder as
``plans/<id>.toml``, so the folder and the database keep saying the same.
Before a change that would force a prepared draw to be superseded the page
warns, and loads only once that is acknowledged.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from dualrandom.console.auth import allow, current_user, may_act_on
from dualrandom.console.forms import ActionForm, PlanForm, PlanTextForm, ResultsFileForm
from dualrandom.console.pages.common import (
    ProblemRow,
    problem_rows,
    saved_upload,
    visible_plan,
    visible_plans,
)
from dualrandom.console.web import db, fail, settings, today
from dualrandom.draws import draw_outdated_by_plan, plan_draws
from dualrandom.errors import RulesError, UserError, ValidationError
from dualrandom.registry import import_items
from dualrandom.rules import check_items_text, check_plan_text, load_items, save_items, save_plans
from dualrandom.rules.describe import filter_label, ratio_label, window_label

bp = Blueprint("plans", __name__)

_READERS = ("admin", "operator", "reviewer", "auditor")


@bp.route("/plans")
@allow(*_READERS)
def index() -> str:
    session = db()
    plans = visible_plans()
    latest = {s.plan.id: plan_draws(session, s.plan.id)[:1] for s in plans}
    return render_template(
        "plans.html",
        plans=plans,
        latest=latest,
        may_load=current_user().role == "operator",
    )


@bp.route("/items")
@allow(*_READERS)
def items() -> str:
    return _items_page()


def _items_page(problems: list[ProblemRow] | None = None, error: UserError | None = None) -> str:
    return render_template(
        "items.html",
        items=load_items(db()).values(),
        ratio_label=ratio_label,
        filter_label=filter_label,
        may_load=current_user().role in ("admin", "operator"),
        form=ResultsFileForm(formdata=None),
        problems=problems or [],
        error=error,
    )


@bp.route("/items", methods=["POST"])
@allow("admin", "operator")
def load_items_file() -> Response | tuple[str, int]:
    """The item list (一单) from ``items.toml`` or a spreadsheet (docs/FORMATS.md)."""
    form = ResultsFileForm()
    if not form.validate_on_submit():
        abort(400)
    upload, actor = form.file.data, current_user().username
    name = Path(upload.filename or "items").name
    session = db()
    try:
        if name.lower().endswith(".toml"):
            found = check_items_text(session, name, upload.read(2_000_000))
            changes = save_items(session, found, f"console:{name}", actor=actor)
            added, changed = len(changes.added), len(changes.changed)
        else:
            path = saved_upload(upload, "items")
            try:
                summary = import_items(
                    session,
                    path,
                    today=today(),
                    actor=actor,
                    max_unpacked=settings().imports.max_unpacked_bytes,
                )
            finally:
                path.unlink(missing_ok=True)
            added, changed = len(summary.added), len(summary.changed)
    except UserError as exc:
        fail()
        rows = problem_rows(exc.problems) if isinstance(exc, ValidationError) else []
        return _items_page(rows, exc), 422
    flash(f"已载入抽查事项清单：新增 {added} 项，修改 {changed} 项。", "success")
    return redirect(url_for("plans.items"))


@bp.route("/plans/<plan_id>")
@allow(*_READERS)
def show(plan_id: str) -> str:
    stored = visible_plan(plan_id)
    session = db()
    known = load_items(session)
    return render_template(
        "plan.html",
        stored=stored,
        plan=stored.plan,
        items=[known[c] for c in stored.plan.items if c in known],
        draws=plan_draws(session, plan_id),
        may_act=may_act_on(current_user(), stored.plan),
        ratio_label=ratio_label,
        filter_label=filter_label,
        window_label=window_label,
    )


def _item_choices() -> list[SelectChoice]:
    return [SelectChoice(code, f"{code} {item.name}") for code, item in load_items(db()).items()]


@bp.route("/plans/new", methods=["GET"])
@allow("operator")
def new() -> str:
    form = PlanForm()
    form.items.choices = _item_choices()
    if not form.year.data:
        form.year.data = today().year + 1
    return render_template("plan_new.html", form=form, text_form=PlanTextForm(formdata=None))


@bp.route("/plans/compose", methods=["POST"])
@allow("operator")
def compose() -> str | tuple[str, int]:
    """The form's plan as TOML, then checked like an uploaded file."""
    form = PlanForm()
    form.items.choices = _item_choices()
    if not form.validate_on_submit():
        fail()
        return render_template(
            "plan_new.html", form=form, text_form=PlanTextForm(formdata=None)
        ), 400
    text = plan_toml(form, current_user().department)
    return _checked(f"{form.id.data}.toml", text)


@bp.route("/plans/check", methods=["POST"])
@allow("operator")
def check() -> str | tuple[str, int]:
    """An uploaded file (``upload``) or the text of the page (``name``, ``text``), checked."""
    if not ActionForm().validate_on_submit():
        abort(400)
    upload = request.files.get("upload")
    if upload and upload.filename:
        name = Path(upload.filename).name
        raw = upload.read(2_000_000)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("utf-8", "replace")
    else:
        name, text = request.form.get("name", "").strip(), request.form.get("text", "")
    if not name or not text.strip():
        abort(400)
    return _checked(name, text)


def _checked(name: str, text: str) -> str | tuple[str, int]:
    fail()  # a check writes nothing
    session, user = db(), current_user()
    try:
        located = check_plan_text(session, name, text.encode("utf-8"))
    except RulesError as exc:
        return render_template(
            "plan_check.html",
            name=name,
            text=text,
            problems=problem_rows(exc.problems),
            plan=None,
            outdated=None,
            form=PlanTextForm(data={"name": name, "text": text}),
            foreign=False,
        ), 422
    plan = located.value
    return render_template(
        "plan_check.html",
        name=name,
        text=text,
        problems=[],
        plan=plan,
        outdated=draw_outdated_by_plan(session, plan),
        foreign=plan.department != user.department,
        form=PlanTextForm(data={"name": name, "text": text}),
        window_label=window_label,
    )


@bp.route("/plans/load", methods=["POST"])
@allow("operator")
def load() -> Response | str | tuple[str, int]:
    form = PlanTextForm()
    if not form.validate_on_submit():
        abort(400)
    session, user = db(), current_user()
    name, text = form.name.data, form.text.data
    try:
        located = check_plan_text(session, name, text.encode("utf-8"))
    except RulesError:
        return _checked(name, text)
    plan = located.value
    if not may_act_on(user, plan):
        abort(403)
    outdated = draw_outdated_by_plan(session, plan)
    if outdated is not None and not form.confirm.data:
        fail()
        flash("此计划已准备的抽取将须作废：请勾选“我已知晓”后再载入。", "warning")
        return _checked(name, text)
    changes = save_plans(session, [plan], f"console:{name}", actor=user.username)
    _write_rules_file(f"{plan.id}.toml", text)
    what = "新增" if changes.added else ("更新" if changes.changed else "未变化")
    flash(f"计划 {plan.id} 已载入（{what}）。", "success")
    return redirect(url_for("plans.show", plan_id=plan.id))


def _write_rules_file(name: str, text: str) -> None:
    """The plan into rules/plans/, atomically, so `rules check` sees what the console loaded."""
    folder = settings().rules_dir / "plans"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    scratch = target.with_suffix(".toml.part")
    scratch.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    scratch.replace(target)


def _quote(text: str) -> str:
    """A TOML basic string."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = "".join(c if c >= " " or c == "\t" else f"\\u{ord(c):04x}" for c in escaped)
    return f'"{escaped}"'


def plan_toml(form: PlanForm, department: str) -> str:
    """The TOML of the common plan the form describes (docs/FORMATS.md), for the checker."""
    co = [
        c.strip()
        for c in (form.co_departments.data or "").replace("，", ",").split(",")
        if c.strip()
    ]
    lines = [
        f"id = {_quote(form.id.data.strip())}",
        f"title = {_quote(form.title.data.strip())}",
        f"year = {form.year.data}",
        f"batch = {_quote(form.batch.data)}",
        f"type = {_quote(form.kind.data)}",
        f"department = {_quote(department)}",
    ]
    if co:
        lines.append(f"co_departments = [{', '.join(_quote(c) for c in co)}]")
    lines += [
        f"items = [{', '.join(_quote(i) for i in form.items.data)}]",
        f"entropy = {_quote(form.entropy.data)}",
        "",
        "[window]",
        f"start = {form.window_start.data.isoformat()}",
        f"end = {form.window_end.data.isoformat()}",
        "",
        "[[stratum]]",
        'name = "全部"',
        f"ratio = {_quote(form.ratio.data.strip())}",
        "",
        "[team]",
        f"size = {form.team_size.data}",
        f"leader = {'true' if form.leader.data else 'false'}",
    ]
    return "\n".join(lines) + "\n"
