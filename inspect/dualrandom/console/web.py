"""The life of one request: its transaction, its clock, its security headers.

One request is one unit of work: the first call of :func:`db` opens a
transaction with :meth:`App.transaction`; it commits when the response is
ready, and rolls back when the view raised or called :func:`fail` (a form
whose input the library refused writes nothing, like a failed command).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g, request
from sqlalchemy.orm import Session

from dualrandom.app import App
from dualrandom.config import Settings
from dualrandom.publish import consistent_reads

__all__ = ["Context", "consistent", "db", "fail", "install", "now", "settings", "today"]


@dataclass(frozen=True)
class Context:
    app: App
    clock: Any  # () -> aware datetime


def _context() -> Context:
    context: Context = current_app.extensions["dualrandom"]
    return context


def settings() -> Settings:
    return _context().app.settings


def now() -> datetime:
    """The request's instant (UTC), the same for the whole request."""
    if "_now" not in g:
        g._now = _context().clock()
    moment: datetime = g._now
    return moment


def today() -> date:
    return now().astimezone(settings().timezone).date()


class _Rollback(Exception):
    """Handed to the transaction's context manager to make it roll back."""


F = TypeVar("F", bound=Callable[..., Any])


def consistent(view: F) -> F:
    """Decorator: the view's transaction is one snapshot (publishing reads for a while)."""
    view._consistent = True  # type: ignore[attr-defined]
    return view


def db() -> Session:
    """The request's session, in its one transaction (opened on first use)."""
    if "_unit" not in g:
        manager = _context().app.transaction()
        session = manager.__enter__()
        g._unit = (manager, session)
        view = current_app.view_functions.get(request.endpoint or "")
        if getattr(view, "_consistent", False):
            consistent_reads(session)
    unit: Session = g._unit[1]
    return unit


def fail() -> None:
    """Roll the request's transaction back at its end: nothing it did is kept."""
    g._failed = True


def _finish(failed: bool) -> None:
    unit: tuple[AbstractContextManager[Session], Session] | None = g.pop("_unit", None)
    if unit is None:
        return
    manager = unit[0]
    if failed:
        manager.__exit__(_Rollback, _Rollback(), None)
    else:
        manager.__exit__(None, None, None)


# No inline script or style anywhere: everything comes from /static.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def _headers(response: Response) -> Response:
    headers = response.headers
    headers["Content-Security-Policy"] = CSP
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "same-origin"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
    if settings().console.secure_cookies:
        headers["Strict-Transport-Security"] = "max-age=31536000"
    if request.endpoint != "static":
        headers["Cache-Control"] = "no-store"
    return response


def install(flask: Flask) -> None:
    @flask.after_request
    def _commit(response: Response) -> Response:
        _finish(bool(g.get("_failed")) or response.status_code >= 500)
        return _headers(response)

    @flask.teardown_request
    def _rollback(_exc: BaseException | None) -> None:
        _finish(True)  # only if an exception kept _commit from running
