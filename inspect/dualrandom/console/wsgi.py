"""The console for a WSGI server: ``gunicorn 'dualrandom.console.wsgi:app'``.

The configuration is read as the command line reads it: ``$DUALRANDOM_CONFIG``
or ./config.toml, and ``$DUALRANDOM_DATABASE_URL``.

Safe with ``gunicorn --preload`` (the application is built once, in the master,
and the workers share its memory): the connections the start opened are
closed before any worker forks, so no two processes ever share one, the
templates are compiled once, and the objects made at start are moved out of the garbage collector's reach
(``gc.freeze``), so that its passes in a worker do not copy the pages they sit on.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc

from dualrandom.app import App
from dualrandom.console.factory import create_app


def _return_big_blocks() -> None:
    """Have glibc give every block of 1 MiB or more back to the system when it is
    freed. Its threshold otherwise rises to the largest block freed so far: after
    the first sign-in, each thread's 19 MiB of argon2 work memory is kept in its
    heap for good (8 threads, 2 workers: some 300 MiB held for nothing)."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: its own allocator
        ctypes.CDLL("libc.so.6").mallopt(-3, 1 << 20)  # M_MMAP_THRESHOLD


_return_big_blocks()
application = App.from_config()
application.require_schema()
app = create_app(application)
for name in app.jinja_env.list_templates():  # compiled once, before the workers fork
    app.jinja_env.get_template(name)
application.engine.dispose()  # each worker opens its own connections
gc.freeze()
