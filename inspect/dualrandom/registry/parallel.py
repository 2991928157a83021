"""The object snapshot's digests, made by a second process while this one draws.

A draw reads the object registry for two things: the columns its rules read
(``snapshot.object_table_as_of(..., particulars=False)``), and every stored
field, for the canonical snapshot's digests (``snapshot.object_digests``,
one chunk held at a time). For a large registry :func:`object_digests_alongside`
gives the second read to a child Python process
(``python -m dualrandom.registry.parallel``) on a connection of its own, so
that the two run on two cores; a small one is read twice by this process.
DR-2 splits the digests (:func:`internal_digest_alongside`): the drawing
process hashes the public part from the columns it holds, and the child reads
and hashes only the internal part's six fields, and checks the beacon round's
signature.

Both reads must see the same rows, so the registry is held still before the
child starts: on SQLite this process's transaction holds the write lock from
its first statement (BEGIN IMMEDIATE, ``dualrandom.db``), so nothing is
committed until it ends; on PostgreSQL it takes ``LOCK TABLE object_rows IN
SHARE MODE``, which lets reads through and holds every write to the objects
back until this transaction ends. The child reads the committed rows; so does
this process, unless its transaction has written something already (a test,
or someone editing the rows before drawing in the same transaction): then it
makes the digests itself, from what it reads.

If the child cannot start, fails or is killed, this process makes the
digests itself, in the same way: a value the core refuses is then reported
exactly as it always was.
"""

from __future__ import annotations

import base64
import functools
import gc
import json
import select
import subprocess
import sys
import weakref
from collections.abc import Callable
from typing import IO, Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from dualrandom.beacon.verify import follow_verdict
from dualrandom.children import answer, start_python, stop
from dualrandom.core.encoding import DR2
from dualrandom.registry.snapshot import get_version, internal_object_digest, object_digests

__all__ = ["IN_PARALLEL_FROM", "Aside", "internal_digest_alongside", "object_digests_alongside"]

# Registries smaller than this are read twice by the one process: starting a
# second Python (about 0.3 s) would cost more than it saves.
IN_PARALLEL_FROM = 100_000

Digests = Callable[[], tuple[str, str]]
_CHILD = ("-m", "dualrandom.registry.parallel")  # the arguments of the child's Python


def object_digests_alongside(session: Session, version: int, algorithm: str) -> Digests:
    """The (public, internal) digests of the objects as of ``version``, as a
    function to call once this process has read what it needs; in a child
    process meanwhile if the registry is large and the database a file or a
    server. Holds the objects still first (see the module's docstring)."""
    here = functools.partial(object_digests, session, version, algorithm)
    child = _child(session, version, {"algorithm": algorithm})
    if child is None:
        return here

    def digests() -> tuple[str, str]:
        made = _result(child)
        if made is None or made[0] is None:
            return here()
        return made[0], made[1]

    weakref.finalize(digests, stop, child)  # dropped uncalled (an error): no child left
    return digests


def internal_digest_alongside(
    session: Session, version: int, *, signed: tuple[str, bytes] | None = None
) -> Aside:
    """DR-2: the digest of the objects' internal part alone, as
    :func:`object_digests_alongside` makes both. The public part holds no name
    or address, so the drawing process makes it from the columns it reads
    (core.canonical.ObjectDigestStream(internal=False)), and the second process
    reads and hashes only what the draw does not.

    ``signed`` (a known chain's hash and a round's JSON bytes): the second
    process also checks the round's signature (``beacon.verify_round``: py_ecc's
    import and a pairing, most of a second), first; :meth:`Aside.check_round`
    gives its verdict. It runs this very package (children.start_python): its
    verdict is this process's own check, made on the other core."""

    def here() -> str:
        return internal_object_digest(session, version)[0]

    request: dict[str, object] = {"algorithm": DR2, "public": False}
    if signed is not None:
        request["round"] = {"chain": signed[0], "json": signed[1].decode("utf-8")}
    return Aside(_child(session, version, request), here)


class Aside:
    """What the second process answers for a DR-2 draw, read once: the internal
    digest (made here if it gave none) and its verdict on the round's signature."""

    def __init__(self, child: subprocess.Popen[bytes] | None, here: Callable[[], str]) -> None:
        self._child = child
        self._here = here
        if child is not None:  # dropped unread (an error): no child left behind
            weakref.finalize(self, stop, child)

    def internal(self) -> str:
        """The internal part's digest: the child's, waited for, else made here."""
        made = _result(self._child) if self._child is not None else None
        return made[1] if made is not None else self._here()

    def buckets_if_answered(self) -> bytes | None:
        """The bucket of every row as the child found them, if it has answered
        already (this does not wait for it); None otherwise, or if it gave none.
        For the public part's digest, which need not hash them again."""
        child = self._child
        if child is None or child.stdout is None:
            return None
        if child not in _ANSWERS and not _readable(child.stdout):
            return None  # still at work
        made = _answer(child)
        buckets = made.get("buckets") if isinstance(made, dict) else None
        try:
            return base64.b64decode(buckets, validate=True) if isinstance(buckets, str) else None
        except ValueError:
            return None

    def check_round(self, verify_here: Callable[[], None]) -> None:
        """Raise the child's refusal of the round's signature (a BeaconError, as
        ``beacon.verify_round`` raises it), or return if it verified; where it
        gave no verdict (no child, or it failed), ``verify_here()`` decides."""
        verdict = _answer(self._child) if self._child is not None else None
        follow_verdict(verdict.get("round") if isinstance(verdict, dict) else None, verify_here)


def _readable(pipe: IO[bytes]) -> bool:
    """Whether ``pipe`` has something to read now (no wait); False where that
    cannot be told (a platform whose select takes no pipes)."""
    try:
        return bool(select.select([pipe], [], [], 0)[0])
    except (OSError, ValueError):
        return False


def _child(
    session: Session, version: int, request: dict[str, object]
) -> subprocess.Popen[bytes] | None:
    """The objects held still, and a child started to read them (None: read here)."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(text("LOCK TABLE object_rows IN SHARE MODE"))
    url = bind.engine.url
    in_memory = url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")
    if (
        in_memory
        or _written(session)
        or get_version(session, "objects", version).total < IN_PARALLEL_FROM
    ):
        return None
    url_text = url.render_as_string(hide_password=False)
    return _start({"url": url_text, "version": version, **request})


def _written(session: Session) -> bool:
    """Whether this transaction has written anything yet: the child would not see
    it (it reads what is committed), so then this process reads for itself."""
    connection = session.connection()  # SQLite: BEGIN IMMEDIATE, if not begun yet
    if connection.dialect.name == "postgresql":
        assigned = text("SELECT pg_current_xact_id_if_assigned() IS NOT NULL")
        return bool(session.execute(assigned).scalar_one())
    begun = connection.info.get("changes_at_begin")  # dualrandom.db records it
    driver: Any = connection.connection.driver_connection
    return begun is None or driver.total_changes != begun


def _start(request: dict[str, object]) -> subprocess.Popen[bytes] | None:
    child = start_python(*_CHILD)
    if child is None:
        return None
    assert child.stdin is not None
    try:
        child.stdin.write(json.dumps(request).encode())
        child.stdin.close()
    except OSError:
        stop(child)
        return None
    return child


_ANSWERS: weakref.WeakKeyDictionary[subprocess.Popen[bytes], Any] = weakref.WeakKeyDictionary()


def _answer(child: subprocess.Popen[bytes]) -> Any:
    """The child's answer (children.answer), read once however often asked for."""
    if child not in _ANSWERS:
        _ANSWERS[child] = answer(child)
    return _ANSWERS[child]


def _result(child: subprocess.Popen[bytes]) -> tuple[str | None, str] | None:
    """The child's digests (the public one None if it made the internal part
    alone), or None if it gave none."""
    made = _answer(child)
    public, internal = (
        made.get(k) if isinstance(made, dict) else None for k in ("public", "internal")
    )
    if not (isinstance(internal, str) and len(internal) == 64):
        return None
    if public is None or (isinstance(public, str) and len(public) == 64):
        return public, internal
    return None


def main() -> None:
    """The child: a request as JSON on stdin, the digests as JSON on stdout."""
    from dualrandom.db import make_engine

    gc.disable()  # millions of short-lived values, no cycles among them
    request = json.load(sys.stdin)
    engine = make_engine(request["url"], read_only=True)
    made: dict[str, object] = {}
    if "round" in request:  # first: the drawing process needs it before its seed
        made["round"] = _signature_verdict(request["round"])
    with Session(engine) as session:
        if request.get("public", True):
            public, internal = object_digests(session, request["version"], request["algorithm"])
            json.dump({**made, "public": public, "internal": internal}, sys.stdout)
        else:
            internal, buckets = internal_object_digest(session, request["version"])
            made["buckets"] = base64.b64encode(buckets).decode("ascii")
            json.dump({**made, "internal": internal}, sys.stdout)


def _signature_verdict(signed: dict[str, str]) -> dict[str, str | None]:
    """The child: beacon.verify_round's verdict on a round of a known chain."""
    from dualrandom.beacon import KNOWN_CHAINS, signature_verdict

    return signature_verdict(KNOWN_CHAINS[signed["chain"]], signed["json"].encode("utf-8"))


if __name__ == "__main__":
    main()
