"""监管工作台: the web console of the regulators who run the draws (issue 13).

A Flask application over the library: every page calls the same functions as
the command line, inside one transaction per request
(:meth:`dualrandom.app.App.transaction`), and every action is written to the
audit log under the signed-in user's name. Pages are rendered on the server
(Jinja2, autoescaped, StrictUndefined); htmx, vendored under ``static/``,
swaps in a page of a long list without a reload.

    web         the request's transaction, the clock, security headers
    auth        signing in and out; the roles each page allows; departments
    forms       the forms (Flask-WTF: every POST carries a CSRF token)
    ceremony    the one module the ceremony pages call the draw protocol through
    pages/      one blueprint per area: dashboard, registries, plans, ceremony,
                draws, tasks, audit, admin

``create_app(app)`` builds the Flask application on an :class:`~dualrandom.app.App`;
``dualrandom console`` serves it, and ``dualrandom.console.wsgi:app`` is the
entry point for gunicorn (docs/CONSOLE.md).
"""

from __future__ import annotations

from dualrandom.console.factory import create_app

__all__ = ["create_app"]
