"""One scheduler per database.

- PostgreSQL: each instance asks for a session-level advisory lock on a
  connection of its own; the holder schedules, the others stand by and take
  over the moment it goes away (the server drops the lock with its session).
- SQLite: an embedded database has no such lock, and a second scheduler is
  a mistake rather than a standby: it refuses to start, naming the holder.
  The lock is an ``flock`` on a file beside the database, which the kernel
  releases when the holder dies, however it dies.

The ledger makes a step run once even without this lock; the lock keeps two
schedulers from doing each other's work in the first place.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from dualrandom.app import App
from dualrandom.errors import SchedulerBusyError

__all__ = ["instance_lock", "lock_file"]


@contextmanager
def instance_lock(
    app: App, *, on_wait: Callable[[str], None], poll_seconds: float = 5.0
) -> Iterator[str]:
    """Hold the scheduler lock for the duration of the block; yields what it holds."""
    if app.engine.dialect.name == "postgresql":
        with _advisory_lock(app, on_wait, poll_seconds) as held:
            yield held
    else:
        with _file_lock(lock_file(app)) as held:
            yield held


def lock_file(app: App) -> Path:
    database = app.engine.url.database
    if database and database != ":memory:":
        return Path(database + ".scheduler.lock")
    return app.settings.var_dir / "scheduler.lock"


@contextmanager
def _file_lock(path: Path) -> Iterator[str]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
            raise SchedulerBusyError(
                f"a scheduler is already running on this SQLite database ({holder}; lock file "
                f"{path}). Only one may run on SQLite: stop that one first, or use PostgreSQL "
                "for a hot standby"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, _holder().encode("utf-8"), 0)
        yield f"lock file {path}"
    finally:
        os.close(fd)  # closing releases the flock


def _holder() -> str:
    since = datetime.now(UTC).isoformat(timespec="seconds")
    return f"pid {os.getpid()} on {socket.gethostname()} since {since}"


def _key(database: str, schema: str) -> int:
    digest = hashlib.sha256(f"dual-random/scheduler/{database}/{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def _advisory_lock(app: App, on_wait: Callable[[str], None], poll: float) -> Iterator[str]:
    with app.engine.connect() as conn:
        database, schema = conn.execute(text("SELECT current_database(), current_schema()")).one()
        key = _key(database, schema)
        told = False
        while not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
            conn.commit()  # never sit idle inside a transaction while standing by
            if not told:
                on_wait(
                    f"another scheduler holds the lock of {database}.{schema}; standing by "
                    "to take over when it stops"
                )
                told = True
            time.sleep(poll)
        conn.commit()
        try:
            yield f"PostgreSQL advisory lock {key} on {database}.{schema}"
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            conn.commit()
