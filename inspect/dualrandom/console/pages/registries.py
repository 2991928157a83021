"""名录库: upload a registry file, see every problem, import; versions and their differences.

An upload is first imported inside a transaction that is then rolled back:
the clerk sees every problem (nothing is written), or what the import would
do, and confirms. The confirmed import runs the same library function again
on the same file, kept meanwhile under var/console-uploads/.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from dualrandom.console.auth import allow, current_user
from dualrandom.console.forms import ActionForm, RegistryForm
from dualrandom.console.pages.common import problem_rows, saved_upload
from dualrandom.console.templating import KIND_LABELS
from dualrandom.console.web import db, fail, now, settings, today
from dualrandom.draws import prepared_draws_outdated
from dualrandom.errors import UserError, ValidationError
from dualrandom.registry import (
    REGISTRY_KINDS,
    current_version,
    import_registry,
    list_versions,
    registry_counts,
    version_diff,
)

bp = Blueprint("registries", __name__, url_prefix="/registries")

_READERS = ("admin", "operator", "reviewer", "auditor")
_UPLOADS = "registry"
_COMMITTED = ("objects", "inspectors", "conflicts")  # what a prepared draw commits to
_TOKEN = re.compile(r"tmp[a-z0-9_]{4,20}\.(csv|xlsx|txt|tsv)")


def _kind(kind: str) -> str:
    if kind not in REGISTRY_KINDS:
        abort(404)
    return kind


def _upload_path(token: str) -> Path:
    """The kept upload named by ``token`` (its file name, nothing else)."""
    if not _TOKEN.fullmatch(token):
        abort(400)
    path = settings().var_dir / "console-uploads" / _UPLOADS / token
    if not path.is_file():
        abort(410)
    return path


@bp.route("/")
@allow(*_READERS)
def index() -> str:
    session = db()
    current = {kind: current_version(session, kind) for kind in REGISTRY_KINDS}
    return render_template(
        "registries.html",
        kinds=REGISTRY_KINDS,
        current=current,
        form=RegistryForm(),
        may_import=current_user().role in ("admin", "operator"),
    )


def _check_page(kind: str, **given: Any) -> str:
    values: dict[str, Any] = {
        "original": "",
        "problems": [],
        "error": None,
        "errors": {},
        "summary": None,
        "token": "",
        "partial": False,
        "confirm": None,
        "outdated": [],
    }
    return render_template("registry_check.html", kind=kind, **(values | given))


@bp.route("/<kind>/check", methods=["POST"])
@allow("admin", "operator")
def check(kind: str) -> str | tuple[str, int]:
    """Import the upload and roll it back: every problem, or what it would change."""
    _kind(kind)
    form = RegistryForm()
    if not form.validate_on_submit():
        fail()
        return _check_page(kind, form=form, errors=form.errors), 400
    path = saved_upload(form.file.data, _UPLOADS)
    original = Path(form.file.data.filename or path.name).name
    fail()  # whatever happens, this request writes nothing
    try:
        summary = import_registry(
            db(),
            kind,
            path,
            today=today(),
            partial=form.partial.data,
            at=now(),
            actor=current_user().username,
            max_unpacked=settings().imports.max_unpacked_bytes,
        )
        outdated = prepared_draws_outdated(db(), kind, summary.digest) if kind in _COMMITTED else []
    except ValidationError as exc:
        path.unlink(missing_ok=True)
        return _check_page(
            kind,
            original=original,
            problems=problem_rows(exc.problems),
            error=exc,
            errors={},
        ), 422
    except UserError as exc:
        path.unlink(missing_ok=True)
        return _check_page(kind, original=original, problems=[], error=exc, errors={}), 422
    return _check_page(
        kind,
        original=original,
        summary=summary,
        token=path.name,
        partial=form.partial.data,
        confirm=ActionForm(),
        outdated=outdated,
        errors={},
    )


@bp.route("/<kind>/import", methods=["POST"])
@allow("admin", "operator")
def import_(kind: str) -> Response | tuple[str, int]:
    _kind(kind)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    path = _upload_path(request.form.get("token", ""))
    partial = request.form.get("partial") == "1"
    try:
        summary = import_registry(
            db(),
            kind,
            path,
            today=today(),
            partial=partial,
            at=now(),
            actor=current_user().username,
            max_unpacked=settings().imports.max_unpacked_bytes,
        )
    except UserError as exc:
        fail()
        path.unlink(missing_ok=True)
        problems = problem_rows(exc.problems) if isinstance(exc, ValidationError) else []
        return _check_page(kind, original="", problems=problems, error=exc, errors={}), 422
    path.unlink(missing_ok=True)
    flash(
        f"已导入{KIND_LABELS[kind]}第 {summary.number} 版：新增 {summary.added}，修改 {summary.changed}，"
        f"注销或移除 {summary.gone}，现有 {summary.total} 条。",
        "success",
    )
    return redirect(url_for("registries.versions", kind=kind))


@bp.route("/<kind>")
@allow(*_READERS)
def versions(kind: str) -> str:
    session = db()
    _kind(kind)
    found = list(reversed(list_versions(session, kind)))
    counts = registry_counts(session, kind) if found else {}
    return render_template("registry_versions.html", kind=kind, versions=found, counts=counts)


@bp.route("/<kind>/diff")
@allow(*_READERS)
def diff(kind: str) -> str:
    _kind(kind)
    old, new = request.args.get("old", ""), request.args.get("new", "")
    if not (old.isdigit() and new.isdigit()):
        abort(400)
    result = version_diff(db(), kind, int(old), int(new), limit=200)
    return render_template("registry_diff.html", kind=kind, diff=result)
