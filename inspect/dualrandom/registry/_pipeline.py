"""Checking a large objects file in a second process while this one writes it.

An import of a million objects does two kinds of work of about the same
size: reading and checking the file, and writing and hashing its rows. Only
the writing has to happen here, in the caller's transaction. So for a large
file :class:`CheckingProcess` starts a second Python process that runs the
very same :func:`~._read.check_file` and sends each batch, as the values
the database columns take, through a pipe while this process writes them
and builds the object snapshot of a full import from the same values.

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
import queue
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

from dualrandom.errors import ValidationError
from dualrandom.registry._checks import Context, Unique, checks_for
from dualrandom.registry._columns import COLUMNS, ROW_KEYS
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
    ) -> None:
        """Have the child start checking ``source`` (its hash is not needed yet)."""
        job = _Job(
            kind,
            str(source.path),
            source.sha256,
            source.size,
            source.encoding,
            context.today,
            context.departments,
            progress is not None,
        )
        try:
            pickle.dump(job, self.to_child)
            self.to_child.close()
        except OSError as exc:
            raise CheckFailed(f"the checking process is gone: {exc}") from None
        self.kind, self.progress = kind, progress

    def batches(self, unique: bool = True) -> Iterator[dict[str, list[Any]]]:
        """Each batch the child sends, as the values of the database columns (as
        ``Field.to_db`` gives them). When the generator is done, :attr:`rows` holds the
        number of rows. Raises CheckFailed at the first problem, and if the child fails;
        without ``unique``, a key that occurs twice is not looked for (the caller does)."""
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
                if unique:
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
    sender = _Sender(out)
    try:
        job: _Job = pickle.load(jobs)
        result: tuple[Any, ...] = ("done", _check(job, sender))
    except ValidationError:
        result = ("failed", "the file has problems")
    except BaseException as exc:
        result = ("failed", f"checking the file failed: {exc!r}")
    sender.send(result)
    sender.close()


class _Sender:
    """The child's messages, written to the pipe by a thread of its own.

    The two processes take turns being the slower one, batch by batch; with
    the pipe's 64 KiB alone, the child would wait for the parent to read each
    batch before it checks the next, and each would wait for the other about
    a second in an import of a million objects. Up to ``AHEAD`` messages wait
    here instead, and the thread writes them (without the GIL) while this one
    checks.
    """

    AHEAD = 32  # messages (a batch is one, of about 1.5 MiB for 5,000 objects)

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.queue: queue.Queue[bytes | None] = queue.Queue(self.AHEAD)
        self.broken: BaseException | None = None
        # The writer needs the GIL only between two messages; without a shorter
        # switch interval it could wait 5 ms for it while the pipe runs dry.
        sys.setswitchinterval(0.0005)
        self.thread = threading.Thread(target=self._write, name="registry-send", daemon=True)
        self.thread.start()

    def send(self, message: Any, unshared: Any = None) -> None:
        """Pickle ``message`` and, if given, ``unshared`` after it: one write to the pipe.
        ``unshared`` is pickled without the memo, which for values that hold no object
        twice only costs."""
        if self.broken is not None:
            raise self.broken
        data = io.BytesIO()
        pickle.Pickler(data, protocol=pickle.HIGHEST_PROTOCOL).dump(message)
        if unshared is not None:
            pickler = pickle.Pickler(data, protocol=pickle.HIGHEST_PROTOCOL)
            pickler.fast = True
            pickler.dump(unshared)
        self.queue.put(data.getvalue())

    def _write(self) -> None:
        while (data := self.queue.get()) is not None:
            if self.broken is None:
                try:
                    self.out.write(data)
                    self.out.flush()
                except BaseException as exc:  # the parent is gone: drop the rest
                    self.broken = exc

    def close(self) -> None:
        """Once every message is written."""
        self.queue.put(None)
        self.thread.join()


def _check(job: _Job, sender: _Sender) -> int:
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
        sender.send(("batch", {name: values.pop(name) for name in shared}), values)

    def progress(step: str, done: int, total: int) -> None:
        sender.send(("progress", step, done, total))

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
