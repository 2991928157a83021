"""Checking a large objects file in a second process while this one writes it.

An import of a million objects does two kinds of work of about the same
size: reading and checking the file, and writing and hashing its rows. Only
the writing has to happen here, in the caller's transaction. So for a large
file :class:`CheckingProcess` starts a second Python process that runs the
very same :func:`~._read.check_file` and sends each batch, as the values
the database columns take, through a pipe while this process writes them.
Where this process writes the rows itself (SQLite), the child also builds the
object snapshot of a full import from the same values and sends its digest
at the end, while this process builds the indexes: the two then do about
the same work. If that fails, the digest is read back from the database.

That process only takes the way through a file without problems: the
uniqueness of the keys is checked here, on the batches as they arrive, and
at the first problem of any kind (or if the child fails in any way)
:meth:`CheckingProcess.check` raises :class:`CheckFailed`. The importer then
takes back what it wrote and checks the whole file again in this process,
which reports every problem exactly as it always does. So the outcome is the
same as importing in one process: the same rows, row count, digest and
problems.

The second process is an optimisation, never a requirement: with a single
CPU, or when it cannot be started, the import runs in this process alone.
"""

from __future__ import annotations

import io
import os
import pickle
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any

from dualrandom.core.canonical import ObjectColumns, ObjectSnapshotBuilder
from dualrandom.errors import ValidationError
from dualrandom.registry._checks import Context, Unique, checks_for
from dualrandom.registry._columns import COLUMNS, OBJECT_FIELDS, ROW_KEYS
from dualrandom.registry._read import Progress, check_file
from dualrandom.sheets import Batch, Day, Source

__all__ = ["PIPELINE_MIN_BYTES", "CheckFailed", "CheckingProcess", "serve"]

# Below this size a file is checked here: starting a process costs more than it saves.
PIPELINE_MIN_BYTES = 16 << 20

# The child learns the parent's import path first, then imports this module.
_BOOTSTRAP = (
    "import pickle, sys; sys.path[:] = pickle.load(sys.stdin.buffer); "
    "from dualrandom.registry._pipeline import serve; serve()"
)


class CheckFailed(Exception):
    """The file has a problem, or the checking process failed: check it here instead."""


@dataclass(frozen=True, slots=True)
class _Job:
    """What the checking process is asked to do."""

    kind: str
    path: str
    sha256: str
    size: int
    encoding: str
    today: date
    departments: frozenset[str]
    progress: bool  # send progress messages
    digest: bool = False  # also the digest of the object snapshot (a full import)


def _may_fork() -> bool:
    """Forking is safe on Linux while no other thread could hold a lock the child needs."""
    return sys.platform.startswith("linux") and threading.active_count() == 1


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class CheckingProcess:
    """The parent's end: start the child, send it the job, read its messages.

    On Linux, in a process with no other thread, the child is a fork of this
    process: it starts at once, with every module already imported, and
    leaves with ``os._exit`` without touching anything it inherited (the
    database connection above all). Elsewhere it is a new interpreter.
    """

    def __init__(
        self, to_child: IO[bytes], from_child: IO[bytes], status: Callable[[bool], int | None]
    ) -> None:
        self.to_child = to_child
        self.from_child = from_child
        self._status = status  # (stop) -> exit status, None while it runs
        self.rows = 0
        self.kind = ""
        self.progress: Progress | None = None

    @classmethod
    def start(cls, kind: str, size: int) -> CheckingProcess | None:
        """A child for a file of ``kind`` and ``size`` bytes, or None where it would not help.

        Started before the file is hashed, so that the child's start-up
        overlaps with that."""
        if kind != "objects" or size < PIPELINE_MIN_BYTES or _cpus() < 2:
            return None
        try:
            if _may_fork():
                return cls._fork()
            if Path(sys.executable or "").name.startswith("python"):
                return cls._spawn()
        except OSError:
            pass
        return None  # e.g. embedded in another program: no interpreter to start

    @classmethod
    def _fork(cls) -> CheckingProcess:
        job_read, job_write = os.pipe()
        messages_read, messages_write = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            for fd in (job_read, job_write, messages_read, messages_write):
                os.close(fd)
            raise
        if pid == 0:  # the child: it must never return into the caller's code
            code = 1
            try:
                os.close(job_write)
                os.close(messages_read)
                with (
                    io.BufferedReader(io.FileIO(job_read, "rb")) as jobs,
                    io.BufferedWriter(io.FileIO(messages_write, "wb"), 1 << 16) as out,
                ):
                    _serve(jobs, out)
                code = 0
            finally:
                os._exit(code)
        os.close(job_read)
        os.close(messages_write)

        ended: list[int] = []  # the exit status, once reaped: the pid may then be reused

        def status(stop: bool) -> int | None:
            if not ended:
                if stop:
                    with suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                done, code = os.waitpid(pid, 0 if stop else os.WNOHANG)
                if done:
                    ended.append(code)
            return ended[0] if ended else None

        reader = io.BufferedReader(io.FileIO(messages_read, "rb"), 1 << 16)
        return cls(io.BufferedWriter(io.FileIO(job_write, "wb")), reader, status)

    @classmethod
    def _spawn(cls) -> CheckingProcess:
        process = subprocess.Popen(
            [sys.executable, "-c", _BOOTSTRAP], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        assert process.stdin is not None and process.stdout is not None

        def status(stop: bool) -> int | None:
            if stop and process.poll() is None:
                process.kill()
            return process.wait() if stop else process.poll()

        pickle.dump(sys.path, process.stdin)
        process.stdin.flush()
        return cls(process.stdin, process.stdout, status)

    def begin(
        self,
        kind: str,
        source: Source,
        context: Context,
        progress: Progress | None = None,
        *,
        digest: bool = False,
    ) -> None:
        """Have the child start checking ``source`` (its hash is not needed yet); with
        ``digest`` it also builds the object snapshot of the rows it sends (:meth:`digest`)."""
        job = _Job(
            kind,
            str(source.path),
            source.sha256,
            source.size,
            source.encoding,
            context.today,
            context.departments,
            progress is not None,
            digest,
        )
        try:
            pickle.dump(job, self.to_child)
            self.to_child.close()
        except OSError as exc:
            raise CheckFailed(f"the checking process is gone: {exc}") from None
        self.kind, self.progress = kind, progress

    def batches(self) -> Iterator[dict[str, list[Any]]]:
        """Each batch the child sends, as the values of the database columns (as
        ``Field.to_db`` gives them). When the generator is done, :attr:`rows` holds the
        number of rows. Raises CheckFailed at the first problem, and if the child fails."""
        columns = COLUMNS[self.kind]
        days: dict[str, dict[Any, Any]] = {
            c.target: {} for c in columns if isinstance(c.field, Day)
        }
        targets = {c.name: c.target for c in columns}
        keys = [targets[name] for name in ROW_KEYS[self.kind]]
        seen: set[Any] = set()
        for message in self._messages():
            if message[0] == "batch":
                values: dict[str, list[Any]] = {**message[1], **self._receive()}
                _unique(values, keys, seen)
                for name, known in days.items():
                    values[name] = _mapped(values[name], known, date.fromisoformat)
                yield values
            elif message[0] == "progress" and self.progress is not None:
                self.progress(*message[1:])
            elif message[0] == "done":
                self.rows = message[1]

    def _receive(self) -> Any:
        try:
            return pickle.load(self.from_child)
        except Exception as exc:  # EOFError, or a message cut short
            code = self._status(False)
            raise CheckFailed(f"the checking process stopped ({exc!r}, status {code})") from None

    def _messages(self) -> Iterator[tuple[Any, ...]]:
        """The child's messages, up to its result."""
        while True:
            message = self._receive()
            if message[0] == "failed":
                raise CheckFailed(message[1])
            yield message
            if message[0] == "done":
                return

    def digest(self) -> str | None:
        """After :meth:`batches`: the digest of the object snapshot of every row sent, as
        ``ObjectSnapshotBuilder`` makes it (asked for in :meth:`begin`); None if the child
        could not make it."""
        try:
            message = self._receive()
        except CheckFailed:
            return None
        return message[1] if message[0] == "digest" else None

    def close(self) -> None:
        """Stop the child (if it still runs) and reap it."""
        with suppress(ChildProcessError):
            self._status(True)
        self.from_child.close()
        if not self.to_child.closed:
            with suppress(OSError):
                self.to_child.close()


def _unique(values: dict[str, list[Any]], keys: list[str], seen: set[Any]) -> None:
    """What the Unique check does, without the reporting: CheckFailed at a key seen before."""
    batch = (
        values[keys[0]] if len(keys) == 1 else list(zip(*(values[k] for k in keys), strict=True))
    )
    fresh = set(batch)
    if len(fresh) != len(batch) or not seen.isdisjoint(fresh):
        raise CheckFailed("a key occurs twice")
    seen |= fresh


# -- The child ------------------------------------------------------------------------


def serve() -> None:
    """Run in a new interpreter: read the job from stdin, write messages to stdout."""
    # Messages go to a private copy of stdout; anything printed goes to stderr.
    with io.BufferedWriter(io.FileIO(os.dup(1), "wb"), 1 << 16) as out:
        os.dup2(2, 1)
        _serve(sys.stdin.buffer, out)


def _serve(jobs: IO[bytes], out: IO[bytes]) -> None:
    import gc

    gc.disable()  # see _import._no_cycle_collection
    snapshot: ObjectSnapshotBuilder | None = None
    try:
        job: _Job = pickle.load(jobs)
        snapshot = ObjectSnapshotBuilder() if job.digest else None
        result: tuple[Any, ...] = ("done", _check(job, out, snapshot))
    except ValidationError:
        result = ("failed", "the file has problems")
    except BaseException as exc:
        result = ("failed", f"checking the file failed: {exc!r}")
    _send(out, result)
    if snapshot is not None and result[0] == "done":
        # While the parent finishes writing (SQLite builds the indexes).
        try:
            digest: tuple[Any, ...] = ("digest", snapshot.digest())
        except BaseException as exc:
            digest = ("failed", f"hashing the rows failed: {exc!r}")
        _send(out, digest)


def _send(out: IO[bytes], message: Any, fast: bool = False) -> None:
    pickler = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
    # Batches hold no cycles; where they hold no object twice, the memo only costs.
    pickler.fast = fast
    pickler.dump(message)
    out.flush()


def _check(job: _Job, out: IO[bytes], snapshot: ObjectSnapshotBuilder | None = None) -> int:
    columns = COLUMNS[job.kind]
    days: dict[str, dict[Any, Any]] = {c.target: {} for c in columns if isinstance(c.field, Day)}
    shared = [c.target for c in columns if c.field.memo]

    def accept(batch: Batch) -> None:
        values = {c.target: c.field.to_db(batch.values[c.name]) for c in columns}
        for name, known in days.items():  # dates travel as text, which pickles far faster
            values[name] = _mapped(values[name], known, date.isoformat)
        # Columns of few distinct values hold one object per value (the parsers
        # remember them): pickled with the memo, each is sent once and arrives
        # as one shared object, cheaper to send, to hash and to bind.
        _send(out, ("batch", {name: values.pop(name) for name in shared}))
        _send(out, values, fast=True)
        if snapshot is not None:  # what _import._check_here does with a batch
            snapshot.add(ObjectColumns(*(batch.values[f] for f in OBJECT_FIELDS)))

    def progress(step: str, done: int, total: int) -> None:
        _send(out, ("progress", step, done, total))

    source = Source(Path(job.path), job.sha256, job.size, job.encoding)
    context = Context(job.today, job.departments, _no_registry)
    # Keys are checked by the parent (see _unique); a problem ends the work here.
    checks = [c for c in checks_for(job.kind, context) if not isinstance(c, Unique)]
    return check_file(
        job.kind,
        source,
        context,
        accept,
        progress if job.progress else None,
        checks=checks,
        first_problem=True,
    )


def _no_registry(kind: str, ids: object) -> set[str]:
    raise AssertionError(f"a {kind} check needs the database; it is not checked in a child")


def _mapped(values: list[Any], known: dict[Any, Any], convert: Callable[[Any], Any]) -> list[Any]:
    """``convert`` of each value (None stays None), once per distinct value, remembering
    those of earlier batches in ``known``."""
    try:
        return list(map(known.__getitem__, values))
    except KeyError:
        known[None] = None
        known.update({v: convert(v) for v in set(values).difference(known)})
        return list(map(known.__getitem__, values))
