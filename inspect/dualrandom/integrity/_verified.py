"""Draws already checked, remembered outside the database (docs/AUDIT.md, "Before publishing").

The check of a stored draw (:func:`dualrandom.integrity._draws.draw_findings`)
is a pure function of what it reads: the draw's row, its stored files, its
visit, team-member and task rows, the log's entries about it, and the code
that checks. A **fingerprint** is the SHA-256 of all of that, read from the
database afresh on every check: every stored file hashed, every row encoded
by the database itself (:func:`rows_digest`) — nothing is taken from a mark
the database keeps. A draw whose fingerprint is one that passed the whole
check before gives the same answer again, so it is not checked again; any
byte changed in any of its inputs gives another fingerprint, and the draw is
checked in full.

The fingerprints that passed are kept in a file beside the published site
(``.<site>.verified``), never in the database the check distrusts, and are
never published. The file is as trusted as the program and its ``var``
folder (the DR-1 secrets live there too): whoever can write it could also
change the code. ``dualrandom audit verify`` does not use it.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

import dualrandom
from dualrandom.integrity._log import DrawEntries
from dualrandom.tables import DrawRow

__all__ = ["FORMAT", "Verified", "code_digest", "draw_fingerprint", "rows_digest"]

FORMAT = "dual-random/verified-draws/v1"


def rows_digest(
    session: Session, table: str, columns: Sequence[str], draw_id: int, order: Sequence[str]
) -> str:
    """The SHA-256 of the rows of ``table`` with ``draw_id``, in ``order``, encoded
    by the database so that two different sets of rows never give the same
    bytes (a value holding a separator, a NUL, a number stored as text, NULL
    against an empty string).

    The encoding is done inside the database, in C: a 400,000-row table is
    read in well under a second, where fetching its rows into Python takes
    several. ``table``, ``columns`` and ``order`` are names from this code,
    never user input.

    PostgreSQL: each value as the hex of its text, or ``~`` for NULL. SQLite:
    each row as a JSON array (``json_array``), which is one-to-one for the
    integers, texts and NULLs these columns hold — a text is quoted with
    every quote, backslash and control character (NUL included) escaped, an
    integer is its decimal digits, NULL is ``null`` — and three times cheaper
    than the hex of every value. A real number is not (JSON prints 15
    digits, and ``-0.0`` as ``0.0``) and a blob is refused by JSON: when the
    rows hold either, which no code of ours writes, they are read into
    Python instead, each value as its type and its exact value."""
    dialect = session.get_bind().dialect.name
    where, by = f"WHERE draw_id = {int(draw_id)}", ", ".join(order)
    if dialect == "postgresql":
        values = " || ".join(
            f"(CASE WHEN {c} IS NULL THEN '~' ELSE encode(convert_to({c}::text, 'UTF8'), 'hex') END || ';')"
            for c in columns
        )
        query = (
            f"SELECT encode(sha256(convert_to(coalesce(string_agg({values}, '|' ORDER BY {by}), ''), "
            f"'UTF8')), 'hex') FROM {table} {where}"
        )
        return str(session.execute(text(query)).scalar_one())
    if dialect != "sqlite":
        raise ValueError(f"no row digest for the {dialect} dialect")
    inexact = " OR ".join(f"typeof({c}) IN ('real', 'blob')" for c in columns)
    if session.execute(text(f"SELECT 1 FROM {table} {where} AND ({inexact}) LIMIT 1")).first():
        return _exact_rows_digest(session, table, columns, where, by)
    listed = ", ".join(columns)
    # The rows as bytes: a text that is not UTF-8 is passed through, not decoded.
    query = (
        f"SELECT CAST(json_group_array(json_array({listed})) AS BLOB) "
        f"FROM (SELECT {listed} FROM {table} {where} ORDER BY {by})"
    )
    encoded = session.execute(text(query)).scalar_one()
    return hashlib.sha256(b"json\n" + bytes(encoded)).hexdigest()


def _exact_rows_digest(
    session: Session, table: str, columns: Sequence[str], where: str, by: str
) -> str:
    """SQLite rows holding a real or a blob: each value as its type and its bytes,
    a real as the float Python reads (whose ``repr`` gives it back exactly: the
    text SQLite prints has 15 digits), hashed through ``repr`` a chunk at a time."""
    values = ", ".join(
        f"typeof({c}), CASE WHEN typeof({c}) = 'real' THEN {c} ELSE CAST({c} AS BLOB) END"
        for c in columns
    )
    query = text(f"SELECT {values} FROM {table} {where} ORDER BY {by}")
    digest = hashlib.sha256(b"typed\n")
    for rows in session.execute(query.execution_options(yield_per=10_000)).partitions():
        digest.update(repr([tuple(row) for row in rows]).encode("ascii"))
    return digest.hexdigest()


VISITS = ("number", "object_id", "ticket", "items", "departments", "strata")
MEMBERS = ("visit", "slot", "role", "cert_no", "department", "position")
TASKS = ("visit", "object_id", "replaces_visit")


def code_digest() -> str:
    """The SHA-256 of every Python file of the package: the checking code. Any
    change to it makes every fingerprint new."""
    root = Path(dualrandom.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        data = path.read_bytes()
        digest.update(f"{path.relative_to(root).as_posix()} {len(data)}\n".encode())
        digest.update(data)
    return digest.hexdigest()


def draw_fingerprint(
    session: Session,
    row: DrawRow,
    logged: DrawEntries,
    files: dict[str, tuple[bytes, str]],
    code: str,
) -> str:
    """Everything :func:`draw_findings` reads about ``row`` — its columns, its
    files (as ``stored_files`` read them: each one's content is hashed here),
    the log's entries about it, its visit, member and task rows — and the
    checking ``code``, as one digest."""
    parts: list[object] = [
        FORMAT,
        code,
        [(a.key, getattr(row, a.key)) for a in DrawRow.__mapper__.column_attrs],
        sorted(
            (name, hashlib.sha256(content).hexdigest(), sha256)
            for name, (content, sha256) in files.items()
        ),
        (logged.prepares, logged.runs, logged.substitutions),
        rows_digest(session, "draw_visits", VISITS, row.id, ("number",)),
        rows_digest(session, "draw_members", MEMBERS, row.id, ("visit", "slot")),
        rows_digest(session, "inspection_tasks", TASKS, row.id, ("visit",)),
    ]
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()


class Verified:
    """The fingerprints of draws that passed the whole check, kept in ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.known: set[str] = set()
        self.passed: set[str] = set()  # those that passed (again) in this check
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return  # none yet, or not one this code wrote: check everything
        if isinstance(data, dict) and data.get("format") == FORMAT:
            self.known = {f for f in data.get("draws", []) if isinstance(f, str)}

    def save(self) -> None:
        """Keep the fingerprints that passed this check (the others are stale)."""
        data = json.dumps({"format": FORMAT, "draws": sorted(self.passed)}, indent=0)
        temporary = self.path.with_name(f"{self.path.name}.tmp-{os.getpid()}")
        temporary.write_text(data + "\n", encoding="utf-8")
        temporary.replace(self.path)
