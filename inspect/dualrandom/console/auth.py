"""Who is signed in, what each role may open, and which departments' work they see.

Every view declares the roles it allows with :func:`allow` (or
:func:`public`); a view without a declaration is refused to everyone, so a
new page is closed until someone opens it on purpose. The signed-in user
comes from the ``dr_session`` cookie (a random token, only its hash is
stored: :mod:`dualrandom.accounts.sessions`).

Departments isolate: an operator acts for one department and sees only the
plans that department initiates or joins; a reviewer with a department
likewise; administrators, auditors and reviewers without a department see
every plan. Inspectors see only the tasks whose team they are on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort, g, redirect, request, url_for
from werkzeug.wrappers import Response

from dualrandom.accounts import resume
from dualrandom.console.web import db, now, settings
from dualrandom.core.model import Plan
from dualrandom.tables import UserRow

__all__ = [
    "COOKIE",
    "SIGNED_IN",
    "allow",
    "current_user",
    "install",
    "may_act_on",
    "may_see",
    "public",
    "set_session_cookie",
]

COOKIE = "dr_session"
SIGNED_IN = ("admin", "operator", "reviewer", "inspector", "auditor")
F = TypeVar("F", bound=Callable[..., Any])


def allow(*roles: str) -> Callable[[F], F]:
    """Decorator: only signed-in users of ``roles`` may open the view."""
    unknown = set(roles) - set(SIGNED_IN)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")

    def mark(view: F) -> F:
        view._roles = frozenset(roles)  # type: ignore[attr-defined]
        return view

    return mark


def public(view: F) -> F:
    """Decorator: anyone may open the view, signed in or not (the login page)."""
    view._roles = None  # type: ignore[attr-defined]
    return view


def current_user() -> UserRow:
    user: UserRow | None = g.get("user")
    if user is None:
        abort(401)
    return user


def may_see(user: UserRow, plan: Plan) -> bool:
    """Whether ``user`` may see ``plan``, its draws and its tasks."""
    if user.role in ("admin", "auditor"):
        return True
    if user.role in ("operator", "reviewer"):
        return not user.department or user.department in plan.departments
    return False


def may_act_on(user: UserRow, plan: Plan) -> bool:
    """Whether ``user`` may prepare, draw or load ``plan``: an operator of its
    initiating department."""
    return user.role == "operator" and user.department == plan.department


def set_session_cookie(response: Response, token: str) -> None:
    console = settings().console
    response.set_cookie(
        COOKIE,
        token,
        max_age=console.session_hours * 3600,
        httponly=True,
        secure=console.secure_cookies,
        samesite="Lax",
        path="/",
    )


def install(flask: Flask) -> None:
    @flask.before_request
    def _authorize() -> Response | None:
        if request.endpoint in (None, "static"):
            return None
        view = flask.view_functions.get(request.endpoint)
        if not hasattr(view, "_roles"):
            abort(403)  # undeclared: closed
        roles: frozenset[str] | None = view._roles  # type: ignore[union-attr]
        token = request.cookies.get(COOKIE)
        user = resume(db(), token, now=now(), settings=settings().console) if token else None
        g.user = user
        if roles is None:
            return None
        if user is None:
            if request.method == "GET" and not request.headers.get("HX-Request"):
                return redirect(url_for("auth.login"))
            abort(401)
        if user.role not in roles:
            abort(403)
        return None
