"""抽取结果: a draw's facts, its visits with names and teams (paged), substitutions,
the other attempts of its plan, and its exports: visits as CSV, bundles as ZIP."""

from __future__ import annotations

import io
import shutil
import tempfile
from pathlib import Path

from flask import Blueprint, abort, render_template, url_for
from werkzeug.wrappers import Response

from dualrandom.console.auth import allow, current_user
from dualrandom.console.checked import warn
from dualrandom.console.pages.common import PAGE_SIZE, Pager, page_number, visible_plan
from dualrandom.console.web import db, settings
from dualrandom.draws import (
    VISIT_COLUMNS,
    DrawState,
    export_bundle,
    get_draw,
    plan_draws,
    visit_cells,
    visit_count,
    visit_views,
)
from dualrandom.errors import NotFoundError
from dualrandom.integrity import require_exportable
from dualrandom.lifecycle import find_task, tasks_of
from dualrandom.publish import write_csv
from dualrandom.publish.write import zip_folder
from dualrandom.tables import DrawRow

bp = Blueprint("draws", __name__, url_prefix="/plans/<plan_id>/draws")

_READERS = ("admin", "operator", "reviewer", "auditor")


def _draw(plan_id: str, attempt: int, *, seen: bool = False) -> DrawRow:
    if not seen:
        visible_plan(plan_id)
    try:
        return get_draw(db(), plan_id, attempt)
    except NotFoundError:
        abort(404)


@bp.route("/<int:attempt>")
@allow(*_READERS)
def show(plan_id: str, attempt: int) -> str:
    stored = visible_plan(plan_id)
    row = _draw(plan_id, attempt, seen=True)
    session = db()
    total = visit_count(session, row)
    number = page_number()
    pager = Pager(
        number,
        total,
        PAGE_SIZE,
        lambda n: url_for("draws.show", plan_id=plan_id, attempt=attempt, page=n),
    )
    visits = visit_views(session, row, offset=pager.offset, limit=PAGE_SIZE) if total else []
    warn(row, visits)
    substituted = tasks_of(session, row, ["substituted"]) if row.state != DrawState.PREPARED else []
    # the reserve visit that took each one's place (a few: one per substitution)
    reserves = {
        t.visit: find_task(session, row, f"#{t.replaced_by_visit}")
        for t in substituted
        if t.replaced_by_visit is not None
    }
    return render_template(
        "draw.html",
        plan=stored.plan,
        row=row,
        visits=visits,
        pager=pager,
        attempts=plan_draws(session, plan_id),
        substituted=substituted,
        reserves=reserves,
        auditor=current_user().role == "auditor",
    )


@bp.route("/<int:attempt>/visits.csv")
@allow(*_READERS)
def visits_csv(plan_id: str, attempt: int) -> Response:
    row = _draw(plan_id, attempt)
    if row.state == DrawState.PREPARED:
        abort(404)
    # An export is checked in full every time, before anything is written.
    require_exportable(db(), plan_id, attempt, site=settings().site_dir)
    out = io.BytesIO()
    write_csv(out, VISIT_COLUMNS, (visit_cells(v) for v in visit_views(db(), row)))
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{plan_id}-{attempt}-visits.csv"'},
    )


@bp.route("/<int:attempt>/bundle-<tier>.zip")
@allow("operator", "reviewer", "auditor")
def bundle(plan_id: str, attempt: int, tier: str) -> Response:
    """The verification bundle (docs/BUNDLE.md); the auditor tier to auditors only."""
    if tier not in ("public", "auditor"):
        abort(404)
    if tier == "auditor" and current_user().role != "auditor":
        abort(403)
    row = _draw(plan_id, attempt)
    if row.state == DrawState.PREPARED:
        abort(404)
    require_exportable(db(), plan_id, attempt, site=settings().site_dir)
    scratch = Path(tempfile.mkdtemp(prefix="dr-bundle-"))
    try:
        folder = scratch / f"{plan_id}-{attempt}-{tier}"
        export_bundle(db(), plan_id, folder, tier=tier, attempt=attempt)
        out = io.BytesIO()
        zip_folder(folder, out, prefix=folder.name, moment=row.drawn_at or row.prepared_at)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return Response(
        out.getvalue(),
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{folder.name}.zip"'},
    )
