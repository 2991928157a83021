"""The application factory: configuration, blueprints, the request's life."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Flask
from flask_wtf.csrf import CSRFProtect
from jinja2 import StrictUndefined
from sqlalchemy.exc import IntegrityError
from werkzeug.middleware.proxy_fix import ProxyFix

from dualrandom.app import App
from dualrandom.audit import os_user
from dualrandom.console import auth, web
from dualrandom.console.pages import BLUEPRINTS
from dualrandom.console.pages.common import install_errors
from dualrandom.console.templating import register_filters
from dualrandom.lifecycle import refresh_calendar

__all__ = ["create_app"]

Clock = Callable[[], datetime]


def _system_clock() -> datetime:
    return datetime.now(UTC)


def _secret_key(path: Path) -> bytes:
    """The key that signs cookies and CSRF tokens: made once, readable by its owner only."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(secrets.token_bytes(32))
    return path.read_bytes()


def _seed_calendar(app: App, now: datetime) -> None:
    """Load the working-day years the installed package knows, once, at start: the
    pages then only read the calendar, and workers starting together do not race
    to write it (the one that loses finds the years there)."""
    try:
        with app.transaction() as session:
            refresh_calendar(session, app.settings.lifecycle, now=now, actor=os_user())
    except IntegrityError:
        pass  # another worker loaded them first


def create_app(
    app: App,
    *,
    clock: Clock | None = None,
    secret_key: bytes | None = None,
    testing: bool = False,
) -> Flask:
    """The console on the composition root ``app`` (settings, engine, sessions).

    ``clock`` gives the current time (tests pin and move it); ``secret_key``
    replaces the key file of ``[console] secret_key_file``.
    """
    settings = app.settings.console
    flask = Flask(__name__)
    flask.config.update(
        SECRET_KEY=secret_key or _secret_key(app.settings.console_key_file),
        TESTING=testing,
        MAX_CONTENT_LENGTH=settings.upload_max_mb * 1024 * 1024,
        SESSION_COOKIE_NAME="dr_csrf",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_hours),
        WTF_CSRF_TIME_LIMIT=settings.session_hours * 3600,
        WTF_CSRF_SSL_STRICT=settings.secure_cookies,
        TEMPLATES_AUTO_RELOAD=False,
    )
    flask.jinja_env.undefined = StrictUndefined
    flask.jinja_env.autoescape = True
    flask.jinja_env.trim_blocks = True
    flask.jinja_env.lstrip_blocks = True
    flask.extensions["dualrandom"] = web.Context(app, clock or _system_clock)
    register_filters(flask, app.settings.timezone)
    web.install(flask)
    auth.install(flask)  # who may open a page is decided before the CSRF token is checked
    CSRFProtect(flask)
    install_errors(flask)
    for blueprint in BLUEPRINTS:
        flask.register_blueprint(blueprint)
    _seed_calendar(app, (clock or _system_clock)())
    if settings.proxy_hops:
        hops = settings.proxy_hops
        flask.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            flask.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )
    return flask
