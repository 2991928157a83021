"""The risk-class root of a bundle, made by a second process while the verifier re-runs the draw.

``dualrandom verify`` checks the risk-class root of an auditor bundle (SPEC
§18): a salted SHA-256 leaf per object, about a sixth of the verification,
which nothing else needs. For a large bundle a child Python
(``python -m dualrandom.draws.verify_aside``) is sent the internal part of
the object snapshot (the bytes this process read, through a pipe: never read
again from disk) and builds the root while this process re-runs the draw.
It reads the (id, risk class) rows with the function that reads them into
the table the draw is re-run from (verify_dr2.risk_rows_of), a chunk at a
time. If the child cannot run, fails or answers nonsense, this process
builds the root itself from its table: a verification claims exactly what
it did before, and an answer is only compared with the commitment's root.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import threading
import weakref
from typing import IO, Any

from dualrandom.children import answer, start_python, stop
from dualrandom.core.risk import risk_commitment, risk_rows
from dualrandom.core.table import ObjectTable

__all__ = ["IN_PARALLEL_FROM", "RiskRoot"]

IN_PARALLEL_FROM = 100_000  # objects; a smaller bundle's root is built by this process
_CHILD = ("-m", "dualrandom.draws.verify_aside")  # the arguments of the child's Python


class RiskRoot:
    """The risk commitment (its JSON) under ``salt`` of the objects of ``internal``,
    the internal part that ``table`` was read from."""

    def __init__(self, internal: bytes, salt: bytes, table: ObjectTable) -> None:
        self._table, self._salt = table, salt
        self._child = start_python(*_CHILD) if len(table) >= IN_PARALLEL_FROM else None
        if self._child is not None:
            weakref.finalize(self, stop, self._child)
            # A thread writes (the pipe holds 64 KiB) while this process re-runs the draw.
            header = salt.hex().encode() + b"\n"
            threading.Thread(
                target=_send, args=(self._child.stdin, header, internal), daemon=True
            ).start()

    def as_json(self) -> dict[str, Any]:
        """The commitment's JSON, from the child if it gives one, else made here
        (ValueError, as risk_commitment raises, for rows it refuses)."""
        made = _answer(self._child) if self._child is not None else None
        if made is not None:
            return made
        return risk_commitment(self._salt, risk_rows(self._table)).as_json()


def _send(pipe: IO[bytes] | None, *parts: bytes) -> None:
    assert pipe is not None
    try:
        with pipe:
            for part in parts:
                pipe.write(part)
    except OSError:
        pass  # the child is gone: the root is made here


def _answer(child: subprocess.Popen[bytes]) -> dict[str, Any] | None:
    made = answer(child)
    root, leaves = (made.get(k) if isinstance(made, dict) else None for k in ("root", "leaves"))
    if isinstance(root, str) and len(root) == 64 and isinstance(leaves, int):
        return {"root": root, "leaves": leaves}
    return None


def main() -> None:
    """The child: the salt key's hex on a line, then the internal part, on stdin;
    the commitment's JSON on stdout."""
    from dualrandom.draws.verify_dr2 import risk_rows_of

    gc.disable()  # millions of short-lived values, no cycles among them
    stdin = sys.stdin.buffer
    salt = bytes.fromhex(stdin.readline().decode())
    made = risk_commitment(salt, risk_rows_of(stdin.read()))
    sys.stdout.write(json.dumps(made.as_json()) + "\n")


if __name__ == "__main__":
    main()
