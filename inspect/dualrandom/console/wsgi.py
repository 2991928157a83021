"""The console for a WSGI server: ``gunicorn 'dualrandom.console.wsgi:app'``.

The configuration is read as the command line reads it: ``$DUALRANDOM_CONFIG``
or ./config.toml, and ``$DUALRANDOM_DATABASE_URL``.
"""

from __future__ import annotations

from dualrandom.app import App
from dualrandom.console.factory import create_app

application = App.from_config()
application.require_schema()
app = create_app(application)
