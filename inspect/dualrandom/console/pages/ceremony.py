"""抽取仪式: prepare, publish the commitment, the projector screen, the draw, the record.

Every call into the draw protocol goes through :mod:`dualrandom.console.ceremony`.
The entropy typed on the projector screen is echoed roll by roll and must be
confirmed by a second person, who signs in to the form with their own
password; the draw runs only then, and the audit log names both.
"""

from __future__ import annotations

import math
from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from dualrandom import audit
from dualrandom.accounts import LoginRefused, check_password_of
from dualrandom.beacon.rounds import MAX_ROUND_BYTES
from dualrandom.console import ceremony
from dualrandom.console.auth import allow, current_user, may_act_on
from dualrandom.console.checked import warn
from dualrandom.console.forms import ActionForm, BeaconDrawForm, PrepareForm, RunForm
from dualrandom.console.pages.common import acting_plan, visible_plan
from dualrandom.console.web import consistent, db, fail, now, settings
from dualrandom.core import DR2
from dualrandom.core.model import Plan
from dualrandom.draws import DrawState, get_draw, latest_draw, plan_draws, visit_count, visit_views
from dualrandom.errors import DualRandomError

bp = Blueprint("ceremony", __name__, url_prefix="/plans/<plan_id>/ceremony")

_VIEWERS = ("operator", "reviewer", "auditor")
# Who may confirm the entropy beside the operator: anyone signed in to watch the draw.
_CONFIRMERS = ("operator", "reviewer", "auditor")
_REVEAL = 200


@bp.route("/")
@allow(*_VIEWERS)
def index(plan_id: str) -> str:
    stored = visible_plan(plan_id)
    draws = plan_draws(db(), plan_id)
    latest = draws[0] if draws else None
    return render_template(
        "ceremony.html",
        plan=stored.plan,
        latest=latest,
        facts=ceremony.committed(latest, db()) if latest else None,
        may_act=may_act_on(current_user(), stored.plan),
        prepare_form=PrepareForm(),
        action=ActionForm(),
        DrawState=DrawState,
    )


@bp.route("/prepare", methods=["POST"])
@allow("operator")
def prepare(plan_id: str) -> Response:
    acting_plan(plan_id)
    form = PrepareForm()
    if not form.validate_on_submit():
        abort(400)
    previous = latest_draw(db(), plan_id)
    reason = (form.reason.data or "").strip() or None
    if previous is None:
        reason = None
    elif reason is None:
        fail()
        flash("此计划已有抽取记录；重新准备须填写理由（将公开）。", "error")
        return redirect(url_for("ceremony.index", plan_id=plan_id))
    local = form.ceremony_at.data  # a datetime-local: in the configured time zone
    try:
        row = ceremony.prepare(
            db(),
            plan_id,
            settings=settings(),
            now=now(),
            actor=current_user().username,
            reason=reason,
            ceremony_at=local.replace(tzinfo=settings().timezone) if local else None,
        )
    except DualRandomError as exc:
        fail()
        flash(exc.message, "error")
        return redirect(url_for("ceremony.index", plan_id=plan_id))
    pinned = ""
    if row.algorithm == DR2:
        facts = ceremony.committed(row)
        chain = f"{facts.chain_label}（演示链）" if facts.demo else facts.chain_label
        pinned = f"已锁定信标 {chain} 第 {facts.beacon_round} 轮（{facts.round_time}）。"
    flash(
        f"已生成第 {row.attempt} 次抽取的承诺。{pinned}请公布抽取前公告，再组织抽取仪式。",
        "success",
    )
    return redirect(url_for("ceremony.index", plan_id=plan_id))


@bp.route("/publish", methods=["POST"])
@allow("operator")
@consistent
def publish(plan_id: str) -> Response:
    acting_plan(plan_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    report = ceremony.publish_commitment(
        db(), settings=settings(), now=now(), actor=current_user().username
    )
    flash(f"已公布：公示网站现有 {report.notices} 份公告。", "success")
    return redirect(url_for("ceremony.index", plan_id=plan_id))


@bp.route("/screen")
@allow(*_VIEWERS)
def screen(plan_id: str) -> str:
    """The projector: the committed facts and the dice entry, or the revealed result."""
    stored = visible_plan(plan_id)
    row = latest_draw(db(), plan_id)
    if row is None:
        abort(404)
    visits = visit_views(db(), row, limit=_REVEAL) if row.state == DrawState.DRAWN else []
    warn(row, visits)
    facts = ceremony.committed(row, db())
    return render_template(
        "ceremony_screen.html",
        plan=stored.plan,
        row=row,
        facts=facts,
        remaining=_seconds_until(facts.round_time),
        visits=visits,
        form=RunForm(),
        draw_form=BeaconDrawForm(),
        may_act=may_act_on(current_user(), stored.plan) and row.state == DrawState.PREPARED,
        min_rolls=ceremony.MIN_ROLLS,
        error=None,
        shown=_REVEAL,
    )


@bp.route("/run", methods=["POST"])
@allow("operator")
def run(plan_id: str) -> Response | tuple[str, int]:
    stored = acting_plan(plan_id)
    form = RunForm()
    user = current_user()
    error: DualRandomError | None = None
    if not form.validate_on_submit():
        abort(400)
    try:
        confirmer = check_password_of(
            db(),
            form.confirmer.data,
            form.confirmer_password.data,
            now=now(),
            settings=settings().console,
        )
        if confirmer.id == user.id or confirmer.role not in _CONFIRMERS:
            raise LoginRefused(
                "复核须由另一位操作员、审核人员或纪检监督人员以本人账户确认",
                "the entropy is confirmed by another operator, reviewer or auditor",
            )
        ceremony.run(
            db(),
            plan_id,
            form.dice.data,
            settings=settings(),
            now=now(),
            actor=user.username,
            confirmed_by=confirmer.username,
        )
    except LoginRefused as exc:
        error = exc  # a wrong password is counted and kept; nothing was drawn
    except DualRandomError as exc:
        fail()
        error = exc
    if error is not None:
        return _screen_again(stored.plan, form, error)
    return redirect(url_for("ceremony.screen", plan_id=plan_id))


@bp.route("/draw", methods=["POST"])
@allow("operator")
def draw(plan_id: str) -> Response | tuple[str, int]:
    """DR-2: draw once the pinned round exists (never waits for it)."""
    stored = acting_plan(plan_id)
    form = BeaconDrawForm()
    if not form.validate_on_submit():
        abort(400)
    upload = form.round_file.data
    raw = upload.read(MAX_ROUND_BYTES + 1) if upload else None
    try:
        ceremony.draw_dr2(
            db(),
            plan_id,
            round_file=raw or None,
            settings=settings(),
            now=now(),
            actor=current_user().username,
        )
    except DualRandomError as exc:
        fail()
        return _screen_again(stored.plan, RunForm(), exc)
    return redirect(url_for("ceremony.screen", plan_id=plan_id))


def _seconds_until(moment: datetime | None) -> int | None:
    """Whole seconds from the server's clock to ``moment`` (0 once past): the projector
    counts down from this, not from its own clock, which may be wrong."""
    if moment is None:
        return None
    return max(0, math.ceil((moment - now()).total_seconds()))


def _screen_again(plan: Plan, form: RunForm, error: DualRandomError) -> tuple[str, int]:
    row = get_draw(db(), plan.id)
    facts = ceremony.committed(row, db())
    return render_template(
        "ceremony_screen.html",
        plan=plan,
        row=row,
        facts=facts,
        remaining=_seconds_until(facts.round_time),
        visits=[],
        form=form,
        draw_form=BeaconDrawForm(),
        may_act=row.state == DrawState.PREPARED,
        min_rolls=ceremony.MIN_ROLLS,
        error=error,
        shown=_REVEAL,
    ), 422


@bp.route("/record")
@allow(*_VIEWERS)
def record(plan_id: str) -> str:
    """抽取记录: what was committed, drawn and by whom, with room for signatures."""
    stored = visible_plan(plan_id)
    row = latest_draw(db(), plan_id)
    if row is None or row.state not in (DrawState.DRAWN, DrawState.SUPERSEDED):
        abort(404)
    subject = f"{plan_id}#{row.attempt}"
    visits = visit_views(db(), row, limit=_REVEAL)
    warn(row, visits)
    trail = [
        entry
        for entry in audit.entries(db(), action="draw.", subject=subject, limit=50).entries
        if entry.subject == subject
    ]
    return render_template(
        "ceremony_record.html",
        plan=stored.plan,
        row=row,
        facts=ceremony.committed(row, db()),
        visits=visits,
        shown=_REVEAL,
        total=visit_count(db(), row),
        trail=list(reversed(trail)),
    )
