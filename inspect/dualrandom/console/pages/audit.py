"""操作日志: the hash-chained audit log, filtered by who, what, which subject and when;
校验: the whole record checked as ``dualrandom audit verify`` checks it."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from flask import Blueprint, render_template, request, url_for

from dualrandom import audit
from dualrandom.console.auth import allow
from dualrandom.console.pages.common import Pager, page_number, problem_rows
from dualrandom.console.web import db, settings
from dualrandom.integrity import verify_site_record

bp = Blueprint("audit", __name__, url_prefix="/audit")

_SIZE = 50


def _day(text: str) -> datetime | None:
    """A local day's start (YYYY-MM-DD) as an instant; None if not a date."""
    try:
        day = datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        return None
    return datetime.combine(day, time(), tzinfo=settings().timezone).astimezone(UTC)


def _given(filters: dict[str, str]) -> dict[str, Any]:
    return {key: value for key, value in filters.items() if value}


@bp.route("/")
@allow("admin", "auditor")
def index() -> str:
    session = db()
    actors = audit.distinct_values(session, "actor")
    actions = audit.distinct_values(session, "action")
    actor = request.args.get("actor", "")
    action = request.args.get("action", "")
    subject = request.args.get("subject", "").strip()[:100]
    since = _day(request.args.get("since", ""))
    until = _day(request.args.get("until", ""))
    filters = {
        "actor": actor if actor in actors else "",
        "action": action if action in actions or action.endswith(".") else "",
        "subject": subject,
        "since": request.args.get("since", "") if since else "",
        "until": request.args.get("until", "") if until else "",
    }
    number = page_number()
    page = audit.entries(
        session,
        actor=filters["actor"] or None,
        action=filters["action"] or None,
        subject=subject or None,
        since=since,
        until=until + timedelta(days=1) if until else None,
        offset=(number - 1) * _SIZE,
        limit=_SIZE,
    )
    pager = Pager(
        number,
        page.total,
        _SIZE,
        lambda n: url_for("audit.index", page=n, **_given(filters)),
    )
    return render_template(
        "audit.html",
        page=page,
        pager=pager,
        filters=filters,
        actors=actors,
        actions=actions,
        chain=None,
    )


@bp.route("/verify")
@allow("admin", "auditor")
def verify() -> str:
    """What ``dualrandom audit verify`` checks, by the same function: the chain, the
    log against the site's checkpoints, its rules about draws, every stored draw
    and (unless ``?registries=0``, as ``--skip-registries``) every registry version."""
    registries = request.args.get("registries", "1") != "0"
    report = verify_site_record(db(), settings().site_dir, registries=registries)
    return render_template(
        "audit_verify.html",
        report=report,
        registries=registries,
        problems=problem_rows([f.problem() for f in report.findings]),
        seconds=sum(report.seconds.values()),
    )
