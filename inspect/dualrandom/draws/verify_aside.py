"""What ``dualrandom verify`` has a second process check while it reads and re-runs the draw.

Of the auditor tier's work, four checks need nothing but bytes this process
has read already: the beacon round's signature (py_ecc's import and a
pairing), the snapshot digests of the object snapshot's two parts (SPEC §15)
and the risk-class root (SPEC §18) — together a third of a verification.
For a bundle of 100,000 objects or more a child Python (``python -m
dualrandom.draws.verify_aside``) is sent those bytes (through a pipe: never
read again from disk) and answers each on a line of its own, as it has it,
while this process reads the snapshot into the table the draw is re-run from
(verify_dr2 reads it before it asks for the first answer).

The child makes each with the function this process would use
(beacon.verify_round, core.buckets.file_digest, risk_commitment over
verify_dr2.risk_rows_of). Whatever it does not answer (it cannot start,
fails, or answers nonsense) is made here: a verification claims exactly
what it did before. A digest or root it answers is only compared with the
commitment, so a wrong one is a MISMATCH; its verdict on the signature is
taken as this process's own would be (the child is this package, run again).
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import threading
import weakref
from collections.abc import Callable
from typing import IO, Any

from dualrandom.beacon import KNOWN_CHAINS, Chain, follow_verdict, signature_verdict
from dualrandom.children import Answers, start_python, stop
from dualrandom.core.buckets import file_digest
from dualrandom.core.risk import risk_commitment, risk_rows
from dualrandom.core.table import ObjectTable
from dualrandom.draws.bundle_dr2 import SNAPSHOTS

__all__ = ["IN_PARALLEL_FROM", "Aside"]

IN_PARALLEL_FROM = 100_000  # objects; a smaller bundle's checks are made by this process
_CHILD = ("-m", "dualrandom.draws.verify_aside")  # the arguments of the child's Python
# The table name of each part, as the bundle's digests of it are made (verify_dr2._digests).
_TABLES = {part: SNAPSHOTS[f"objects-{part}.tsv"][1] for part in ("public", "internal")}


class Aside:
    """The checks of an auditor bundle's snapshot parts and round, answered by the
    child where one runs, else made here when asked for.

    ``salt`` is the salt key (None if unreadable: the re-run refuses it);
    ``signed`` the pinned chain's hash and the round's JSON (None if the chain
    is not a known one)."""

    def __init__(
        self, parts: dict[str, bytes], salt: bytes | None, signed: tuple[str, str] | None
    ) -> None:
        """``parts``: the public part, and the internal part if the bundle has it
        (a child is started only then, for IN_PARALLEL_FROM objects or more)."""
        self._parts, self._salt, self._signed = parts, salt, signed
        internal = parts.get("internal", b"")
        large = internal.count(b"\n") - 1 >= IN_PARALLEL_FROM
        child = start_python(*_CHILD) if large else None
        self._answers = _answers(child)
        if child is not None:
            weakref.finalize(self, stop, child)
            public = parts["public"]
            salt_hex = None if salt is None else salt.hex()
            request: dict[str, object] = {"salt": salt_hex, "sizes": [len(public)]}
            if signed is not None:
                request["round"] = {"chain": signed[0], "json": signed[1]}
            header = json.dumps(request).encode("utf-8") + b"\n"
            # A thread writes (the pipe holds 64 KiB) while this process reads the snapshot.
            threading.Thread(
                target=_send, args=(child.stdin, header, public, internal), daemon=True
            ).start()

    def digest(self, part: str) -> str:
        """The snapshot digest of ``part`` (public or internal), as file_digest makes it."""
        made = self._answers.get(part)
        if isinstance(made, str) and len(made) == 64:
            return made
        return file_digest(_TABLES[part], self._parts[part])

    def check_round(self, chain: Chain, verify_here: Callable[[], None]) -> None:
        """Raise the child's refusal of the round's signature under ``chain`` (a
        BeaconError, as verify_round raises it) or return if it verified; where it
        gave no verdict on that chain's round, ``verify_here()`` decides."""
        asked = self._signed is not None and self._signed[0] == chain.chain_hash
        follow_verdict(self._answers.get("round") if asked else None, verify_here)

    def risk_root(self, salt: bytes, table: ObjectTable) -> dict[str, Any]:
        """The risk commitment's JSON under ``salt``, made from ``table`` (the internal
        part read) if the child gave none under that salt (ValueError, as
        risk_commitment raises, for rows it refuses)."""
        made = self._answers.get("risk") if salt == self._salt else None
        root, leaves = (made.get(k) if isinstance(made, dict) else None for k in ("root", "leaves"))
        if isinstance(root, str) and len(root) == 64 and isinstance(leaves, int):
            return {"root": root, "leaves": leaves}
        return risk_commitment(salt, risk_rows(table)).as_json()


def _answers(child: subprocess.Popen[bytes] | None) -> Answers:
    return Answers(child)  # a seam for the tests, which record what the child answered


def _send(pipe: IO[bytes] | None, *parts: bytes) -> None:
    assert pipe is not None
    try:
        with pipe:
            for part in parts:
                pipe.write(part)
    except OSError:
        pass  # the child is gone: what it did not answer is made here


def main() -> None:
    """The child: a request as a JSON line, the public part, the internal part, on
    stdin; each answer as a JSON line ``{name: value}`` on stdout, as it is made.
    Input it cannot take (a part without its final LF, rows risk_rows_of refuses)
    ends it: this process makes the rest and reports the error."""
    from dualrandom.draws.verify_dr2 import risk_rows_of

    gc.disable()  # millions of short-lived values, no cycles among them
    stdin = sys.stdin.buffer
    request = json.loads(stdin.readline())

    def say(name: str, value: object) -> None:
        sys.stdout.write(json.dumps({name: value}) + "\n")
        sys.stdout.flush()

    if request.get("round") is not None:  # first: it is asked for as soon as the digests
        chain, raw = KNOWN_CHAINS[request["round"]["chain"]], request["round"]["json"]
        say("round", signature_verdict(chain, raw.encode("utf-8")))
    public = stdin.read(request["sizes"][0])
    say("public", file_digest(_TABLES["public"], public))
    del public
    internal = stdin.read()
    say("internal", file_digest(_TABLES["internal"], internal))
    if request["salt"] is not None:
        salt = bytes.fromhex(request["salt"])
        say("risk", risk_commitment(salt, risk_rows_of(internal)).as_json())


if __name__ == "__main__":
    main()
