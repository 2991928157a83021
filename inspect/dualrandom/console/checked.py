"""What the console shows of a draw, checked before it is trusted (:mod:`dualrandom.integrity`).

Exports and publications run the full check every time, before they write
(``require_exportable``; ``publish_site`` runs ``require_intact``). A page
that shows a draw's visits and teams shows them with a warning when the
record contradicts itself:

- the draw as a whole is checked with :func:`dualrandom.integrity.require_intact`
  for that draw (its stored files, digests and tickets against its rows, the
  log's entries for it, the log's chain after the site's checkpoints). For a
  provincial batch of 50,000 visits that costs seconds and a few hundred MiB
  for a moment, so it runs in the background, one check at a time per
  server (a lock file under ``var/console-checks/``), and its outcome is
  kept there for :data:`KEEP_SECONDS` for every worker process, keyed by
  the draw's row as read (a changed seed, digest or state is a new key),
  with a fingerprint of each visit's stored rows (the visit, its team
  members, its task's object) as they were when the check passed. Until a
  draw's first check is done, its pages say that what they show is not
  checked yet; once an outcome is old, it stands while the next check runs;
- every page compares the visits it shows with those fingerprints, made from
  the very rows its views were read from (no query of its own): a visit row
  or a team member changed in the database since the check shows the
  warning on the very next request, names the visit, and drops the kept
  outcome, so that the next check names the finding.

What a kept outcome cannot see until it is renewed (or the draw's row
changes): a changed stored file, or a row of a visit no page has shown since.
The outcome files sit under ``var/`` beside the draw secrets: the check is
against changes in the database, not by whoever can write the server's files.
"""

from __future__ import annotations

import base64
import contextlib
import ctypes
import fcntl
import gc
import json
import os
import threading
import time
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, g
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dualrandom.app import App
from dualrandom.draws import DrawState, VisitView, stored_visits, visit_fingerprint
from dualrandom.errors import IntegrityError
from dualrandom.integrity import require_intact, site_anchors
from dualrandom.tables import DrawRow, DrawVisitRow

__all__ = ["KEEP_SECONDS", "DrawWarning", "draw_warning", "kept", "warn", "warnings"]

KEEP_SECONDS = 600.0
# What a failed check refuses:
SHOW = ("采信本页所示的抽取数据", "trusting the draw this page shows")
_CHUNK = 5_000  # visits read at a time while fingerprinting a whole draw


@dataclass(frozen=True)
class DrawWarning:
    """Why what a page shows of a draw cannot be trusted, Chinese first."""

    message: str
    english: str


@dataclass(frozen=True)
class _Outcome:
    key: list[str]
    at: float  # time.time() when checked
    refusal: tuple[str, str] | None  # (Chinese, English)
    prints: dict[int, int]  # visit number → fingerprint of its stored rows, when the check passed

    def dump(self) -> str:
        flat = array("Q", [x for pair in sorted(self.prints.items()) for x in pair])
        return json.dumps(
            {
                "key": self.key,
                "at": self.at,
                "refusal": self.refusal,
                "prints": base64.b64encode(flat.tobytes()).decode("ascii"),
            }
        )

    @classmethod
    def load(cls, text: str) -> _Outcome:
        data = json.loads(text)
        flat = array("Q")
        flat.frombytes(base64.b64decode(data["prints"]))
        refusal = tuple(data["refusal"]) if data["refusal"] else None
        return cls(
            [str(k) for k in data["key"]],
            float(data["at"]),
            refusal,
            dict(zip(flat[0::2], flat[1::2], strict=True)),
        )


def _key(row: DrawRow) -> list[str]:
    values = (row.id, row.state, row.commitment_hash, row.result_digest, row.seed, row.entropy)
    return [str(v) for v in (*values, row.secret)]


def _fingerprints(session: Session, row: DrawRow) -> dict[int, int]:
    """The fingerprint of every visit's stored rows (:func:`visit_fingerprint`),
    read in chunks by the reader the pages' views are built with."""
    last = session.scalar(
        select(func.max(DrawVisitRow.number)).where(DrawVisitRow.draw_id == row.id)
    )
    found: dict[int, int] = {}
    for low in range(1, (last or 0) + 1, _CHUNK):
        chunk = range(low, low + _CHUNK)
        for visit, members in stored_visits(session, row, numbers=chunk, names=False):
            found[visit[0]] = visit_fingerprint(visit[1:6], (m[1:6] for m in members), visit[6])
    return found


def _check(session: Session, row: DrawRow, site: Path) -> _Outcome:
    # The fingerprints first, then the check: rows changed in between fail the
    # check; rows changed before are in the fingerprints and fail it too.
    prints = _fingerprints(session, row)
    try:
        require_intact(session, what=SHOW, anchors=site_anchors(site, SHOW), draws=[row])
    except IntegrityError as exc:
        return _Outcome(_key(row), time.time(), (exc.message, exc.english), {})
    return _Outcome(_key(row), time.time(), None, prints)


def _give_back() -> None:
    """Return the check's passing memory to the system (glibc keeps freed heap otherwise)."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: kept until reused
        ctypes.CDLL("libc.so.6").malloc_trim(0)


class _Kept:
    """The outcomes a process holds, by draw, and the checks it has under way."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.folder = app.settings.var_dir / "console-checks"
        self.lock = threading.Lock()
        self.outcomes: dict[int, _Outcome] = {}
        self.running: dict[int, threading.Thread] = {}

    def outcome(self, row: DrawRow) -> _Outcome | None:
        """The outcome for ``row`` as read now, if one is held; a check is started
        when none is, or it is older than :data:`KEEP_SECONDS` (the old one
        stands meanwhile: the fingerprints still compare every visit shown)."""
        key = _key(row)
        with self.lock:
            found = self.outcomes.get(row.id)
            if found is not None and found.key != key:
                found = None
            stale = found is None or time.time() - found.at > KEEP_SECONDS
            if stale and row.id not in self.running:
                thread = threading.Thread(
                    target=self._renew, args=(row.id, key), name=f"check-draw-{row.id}", daemon=True
                )
                self.running[row.id] = thread
                thread.start()
        return found

    def _renew(self, draw_id: int, key: list[str]) -> None:
        found: _Outcome | None = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with (self.folder / f"draw-{draw_id}.lock").open("w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)  # one check at a time on this server
                found = self._shared(draw_id, key) or self._compute(draw_id, key)
        except Exception as exc:  # a check that cannot finish is not a pass
            refusal = (
                f"完整性核验未能完成：{type(exc).__name__}",
                f"the integrity check could not finish: {type(exc).__name__}: {exc}",
            )
            found = _Outcome(key, time.time(), refusal, {})
        finally:
            with self.lock:
                if found is not None:
                    self.outcomes[draw_id] = found
                del self.running[draw_id]

    def _shared(self, draw_id: int, key: list[str]) -> _Outcome | None:
        """The outcome another process of this server kept, if it is for ``key`` and fresh."""
        path = self.folder / f"draw-{draw_id}.json"
        try:
            found = _Outcome.load(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        fresh = found.key == key and time.time() - found.at <= KEEP_SECONDS
        return found if fresh else None

    def _compute(self, draw_id: int, key: list[str]) -> _Outcome | None:
        try:
            with self.app.transaction() as session:
                row = session.get(DrawRow, draw_id)
                if row is None or _key(row) != key:
                    return None  # changed meanwhile: the next page starts another check
                found = _check(session, row, self.app.settings.site_dir)
        finally:
            _give_back()
        path = self.folder / f"draw-{draw_id}.json"
        scratch = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        scratch.write_text(found.dump(), encoding="utf-8")
        scratch.replace(path)
        return found

    def forget(self, row: DrawRow) -> None:
        """Drop the outcome for ``row`` here and for the other processes."""
        with self.lock:
            self.outcomes.pop(row.id, None)
        (self.folder / f"draw-{row.id}.json").unlink(missing_ok=True)

    def settle(self) -> None:
        """Wait for the checks under way (tests; a server never waits)."""
        while True:
            with self.lock:
                running = list(self.running.values())
            if not running:
                return
            for thread in running:
                thread.join()


def kept() -> _Kept:
    """The outcomes of the console being served (one set per process)."""
    found: _Kept | None = current_app.extensions.get("dualrandom.checked")
    if found is None:
        found = current_app.extensions.setdefault(
            "dualrandom.checked", _Kept(current_app.extensions["dualrandom"].app)
        )
    return found


def draw_warning(row: DrawRow, shown: Iterable[VisitView]) -> DrawWarning | None:
    """The warning a page must show with the visits ``shown`` of the draw ``row``
    (as read for this page, with the fingerprints of the rows they were read
    from); None when the draw passed its check and those visits' rows are as
    they were when it did. A prepared draw has no rows to check."""
    if row.state not in (DrawState.DRAWN, DrawState.SUPERSEDED):
        return None
    outcome = kept().outcome(row)
    if outcome is None:
        return DrawWarning(
            f"{row.plan_id} 第 {row.attempt} 次抽取的完整性核验正在进行，尚未完成："
            "本页所示内容尚未经过核验。请稍后刷新",
            f"the integrity check of {row.plan_id}#{row.attempt} is under way: what this page "
            "shows is not checked yet. Reload in a moment",
        )
    if outcome.refusal is not None:
        return DrawWarning(*outcome.refusal)
    now = {visit.number: visit.fingerprint for visit in shown}
    changed = sorted(n for n, found in now.items() if found != outcome.prints.get(n))
    if not changed:
        return None
    kept().forget(row)
    listed = "、".join(str(n) for n in changed[:10]) + ("等" if len(changed) > 10 else "")
    return DrawWarning(
        f"审计核验：{row.plan_id} 第 {row.attempt} 次抽取的第 {listed} 户的记录"
        "在核验通过后被改动，本页所示内容不可信。请运行 dualrandom audit verify 查看详情",
        f"audit check: the stored rows of {row.plan_id}#{row.attempt} visit(s) "
        f"{', '.join(str(n) for n in changed[:10])} changed after the draw passed its check; "
        "what this page shows cannot be trusted. Run 'dualrandom audit verify' for details",
    )


def warn(row: DrawRow, shown: Iterable[VisitView]) -> None:
    """Check what the page shows of ``row`` (:func:`draw_warning`); the warning,
    if any, is shown at the top of the page (``_base.html``)."""
    found = draw_warning(row, shown)
    if found is not None:
        listed: list[DrawWarning] = g.setdefault("integrity_warnings", [])
        if found not in listed:
            listed.append(found)


def warnings() -> list[DrawWarning]:
    """The warnings :func:`warn` found during this request."""
    listed: list[DrawWarning] = g.get("integrity_warnings", [])
    return listed
