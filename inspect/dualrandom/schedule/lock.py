"""One scheduler per database; ``scheduler catch-up`` takes the same lock.

- PostgreSQL: each instance asks for a session-level advisory lock on a
  connection of its own; the holder schedules, the others stand by and take
  over the moment it goes away (the server drops the lock with its session).
- SQLite: an embedded database has no such lock, and a second scheduler is
  a mistake rather than a standby: it refuses to start, naming the holder.
  The lock is an ``flock`` on a file beside the database, which the kernel
  releases when the holder dies, however it dies.
- ``scheduler catch-up`` (role ``catch-up``) holds the lock while it works:
  concurrent catch-ups take turns (seeding the calendar and appending to the
  audit log one at a time), and a scheduler waits for a catch-up to finish.
  While a scheduler holds the lock, a catch-up refuses: that scheduler runs
  the due steps itself.

The holder says who it is — the role, process and host — in the lock file
(SQLite) or as the ``application_name`` of its connection (PostgreSQL), so
a waiter knows whether it waits for a catch-up or a scheduler. The ledger
makes a step run once even without this lock; the lock keeps two schedulers
from doing each other's work in the first place.
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

from sqlalchemy import Connection, text

from dualrandom.app import App
from dualrandom.errors import SchedulerBusyError

__all__ = ["ROLES", "instance_lock", "lock_file"]

ROLES = ("run", "catch-up")
_PREFIX = "dualrandom scheduler "  # + role: how a holder names itself


@contextmanager
def instance_lock(
    app: App,
    *,
    on_wait: Callable[[str], None],
    poll_seconds: float = 5.0,
    role: str = "run",
) -> Iterator[str]:
    """Hold the scheduler lock for the duration of the block; yields what it holds."""
    if role not in ROLES:
        raise ValueError(f"role {role!r} is not one of {ROLES}")
    if app.engine.dialect.name == "postgresql":
        with _advisory_lock(app, role, on_wait, poll_seconds) as held:
            yield held
    else:
        with _file_lock(lock_file(app), role, on_wait, poll_seconds) as held:
            yield held


def lock_file(app: App) -> Path:
    database = app.engine.url.database
    if database and database != ":memory:":
        return Path(database + ".scheduler.lock")
    return app.settings.var_dir / "scheduler.lock"


def _me(role: str) -> str:
    """Who holds the lock; at most 63 characters, PostgreSQL's application_name."""
    return f"{_PREFIX}{role}, pid {os.getpid()} on {socket.gethostname()}"[:63]


def _must_wait(role: str, holder: str, standby: bool, where: str) -> str:
    """What to tell a waiter about ``holder``; raises when it must not wait."""
    if holder.startswith(_PREFIX + "catch-up"):
        return (
            f"补做正持有调度器锁（{holder}），等待其结束 "
            f"(a catch-up holds the scheduler lock ({holder}); waiting for it to finish)"
        )
    if role == "run" and standby:
        return (
            f"另一调度器持有 {where} 的锁（{holder}），本调度器热备，待其停止后接替 "
            f"(another scheduler holds the lock of {where} ({holder}); standing by to take "
            "over when it stops)"
        )
    if role == "run":
        raise SchedulerBusyError(
            f"此 SQLite 数据库上已有调度器在运行（{holder}；锁文件 {where}）。SQLite 上只能运行一个："
            "请先停止它，或改用 PostgreSQL 以便热备",
            f"a scheduler is already running on this SQLite database ({holder}; lock file "
            f"{where}). Only one may run on SQLite: stop that one first, or use PostgreSQL "
            "for a hot standby",
        )
    raise SchedulerBusyError(
        f"调度器正在运行（{holder}），到期的步骤由它自行执行，无需 scheduler catch-up",
        f"a scheduler is running ({holder}); it runs the due steps itself, so there is "
        "nothing for 'scheduler catch-up' to do",
    )


@contextmanager
def _file_lock(path: Path, role: str, on_wait: Callable[[str], None], poll: float) -> Iterator[str]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        told = ""
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
                if holder:  # empty: the holder has just taken it, or is leaving
                    told = _tell(on_wait, told, _must_wait(role, holder, False, str(path)))
                time.sleep(poll)
        os.ftruncate(fd, 0)
        since = datetime.now(UTC).isoformat(timespec="seconds")
        os.pwrite(fd, f"{_me(role)} since {since}".encode(), 0)
        try:
            yield f"lock file {path}"
        finally:
            os.ftruncate(fd, 0)  # a waiter never reads a holder that has gone
    finally:
        os.close(fd)  # closing releases the flock


def _tell(on_wait: Callable[[str], None], told: str, message: str) -> str:
    """Say what a waiter waits for, once for each different thing."""
    if message != told:
        on_wait(message)
    return message


def _key(database: str, schema: str) -> int:
    digest = hashlib.sha256(f"dual-random/scheduler/{database}/{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _pg_holder(conn: Connection, key: int) -> str | None:
    """The application_name of the session holding the advisory lock ``key``
    (None: nobody now; "" when it gave no name)."""
    row = conn.execute(
        text(
            "SELECT coalesce(a.application_name, '') FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND l.classid::bigint = :high AND l.objid::bigint = :low"
        ),
        {"high": (key >> 32) & 0xFFFFFFFF, "low": key & 0xFFFFFFFF},
    ).first()
    return None if row is None else str(row[0])


@contextmanager
def _advisory_lock(
    app: App, role: str, on_wait: Callable[[str], None], poll: float
) -> Iterator[str]:
    with app.engine.connect() as conn:
        conn.execute(text("SELECT set_config('application_name', :me, false)"), {"me": _me(role)})
        database, schema = conn.execute(text("SELECT current_database(), current_schema()")).one()
        key, told = _key(database, schema), ""
        while not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
            holder = _pg_holder(conn, key)
            conn.commit()  # never sit idle inside a transaction while waiting
            if holder is not None:
                where = f"{database}.{schema}"
                told = _tell(on_wait, told, _must_wait(role, holder or "?", True, where))
            time.sleep(poll)
        conn.commit()
        try:
            yield f"PostgreSQL advisory lock {key} on {database}.{schema}"
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            conn.commit()
