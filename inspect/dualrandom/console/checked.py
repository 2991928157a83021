"""What the console shows of a draw, checked before it is trusted (:mod:`dualrandom.integrity`).

Exports and publications run the full check every time, before they write
(``require_exportable``; ``publish_site`` runs ``require_intact``). A page
that shows a draw's visits and teams shows them with a warning when the
record contradicts itself:

- the draw as a whole is checked with :func:`dualrandom.integrity.require_intact`
  for that draw (its stored files, digests and tickets against its rows, the
  log's entries for it, the log's chain after the site's checkpoints). For a
  provincial batch of 50,000 visits that costs seconds, so each server
  process checks in the background and keeps the outcome for
  :data:`KEEP_SECONDS`, keyed by the draw's row as read (a changed seed,
  digest or state is a new key), and with it a fingerprint of each visit's
  stored rows (the visit, its team members, its task's object) as they were
  when the check passed. Until a draw's first check is done, its pages say
  that what they show is not checked yet; once a kept outcome is old, it
  stands while the next check runs;
- every page compares the visits it shows with those fingerprints, one
  small query: a visit row or a team member changed in the database since
  the check shows the warning on the very next request, names the visit,
  and drops the kept outcome, so that the next check names the finding.

What a kept outcome cannot see until it is renewed (or the draw's row
changes): a changed stored file, or a row of a visit no page has shown since.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, g
from sqlalchemy import select
from sqlalchemy.orm import Session

from dualrandom.app import App
from dualrandom.draws import DrawState
from dualrandom.errors import IntegrityError
from dualrandom.integrity import require_intact, site_anchors
from dualrandom.tables import DrawMemberRow, DrawRow, DrawVisitRow, InspectionTaskRow

__all__ = ["KEEP_SECONDS", "DrawWarning", "draw_warning", "kept", "warn", "warnings"]

KEEP_SECONDS = 300.0
SHOW = ("显示", "display")  # what the check names when it refuses


@dataclass(frozen=True)
class DrawWarning:
    """Why what a page shows of a draw cannot be trusted, Chinese first."""

    message: str
    english: str


@dataclass(frozen=True)
class _Outcome:
    at: float  # time.monotonic() when checked
    refusal: IntegrityError | None
    prints: dict[int, bytes]  # visit number → fingerprint of its stored rows, when the check passed


_Key = tuple[object, ...]


def _key(row: DrawRow) -> _Key:
    return (
        row.id,
        row.state,
        row.commitment_hash,
        row.result_digest,
        row.seed,
        row.entropy,
        row.secret,
    )


def _fingerprints(
    session: Session, draw_id: int, numbers: Sequence[int] | None
) -> dict[int, bytes]:
    """The fingerprint (SHA-256) of each visit's stored rows: all visits, or ``numbers``."""
    visits = select(
        DrawVisitRow.number,
        DrawVisitRow.object_id,
        DrawVisitRow.ticket,
        DrawVisitRow.items,
        DrawVisitRow.departments,
        DrawVisitRow.strata,
    ).where(DrawVisitRow.draw_id == draw_id)
    members = select(
        DrawMemberRow.visit,
        DrawMemberRow.slot,
        DrawMemberRow.cert_no,
        DrawMemberRow.department,
        DrawMemberRow.role,
        DrawMemberRow.position,
    ).where(DrawMemberRow.draw_id == draw_id)
    tasks = select(InspectionTaskRow.visit, InspectionTaskRow.object_id).where(
        InspectionTaskRow.draw_id == draw_id
    )
    if numbers is not None:
        wanted = sorted(set(numbers))
        visits = visits.where(DrawVisitRow.number.in_(wanted))
        members = members.where(DrawMemberRow.visit.in_(wanted))
        tasks = tasks.where(InspectionTaskRow.visit.in_(wanted))
    parts: dict[int, list[str]] = defaultdict(list)
    for number, *cells in session.execute(visits.order_by(DrawVisitRow.number)):
        parts[number].append("V\t" + "\t".join(str(c) for c in cells))
    for visit, *member in session.execute(
        members.order_by(DrawMemberRow.visit, DrawMemberRow.slot)
    ):
        parts[visit].append("M\t" + "\t".join(str(c) for c in member))
    for visit, object_id in session.execute(tasks):
        parts[visit].append(f"T\t{object_id}")
    return {
        number: hashlib.sha256("\n".join(lines).encode("utf-8")).digest()
        for number, lines in parts.items()
    }


class _Kept:
    """One process's outcomes, by draw, and the checks under way."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.outcomes: dict[int, _Outcome] = {}  # by draw id, with the key it was checked for
        self.keys: dict[int, _Key] = {}
        self.running: dict[int, threading.Thread] = {}

    def outcome(self, row: DrawRow) -> _Outcome | None:
        """The kept outcome for ``row`` as read now; a check started if there is
        none, or it is older than :data:`KEEP_SECONDS` (the old one is kept meanwhile:
        the fingerprints still compare every visit shown)."""
        key = _key(row)
        with self.lock:
            found = self.outcomes.get(row.id) if self.keys.get(row.id) == key else None
            stale = found is None or time.monotonic() - found.at > KEEP_SECONDS
            if stale and row.id not in self.running:
                thread = threading.Thread(
                    target=self._check, args=(row.id, key), name=f"check-draw-{row.id}", daemon=True
                )
                self.running[row.id] = thread
                thread.start()
        return found

    def _check(self, draw_id: int, key: _Key) -> None:
        found: _Outcome | None = None
        try:
            with self.app.transaction() as session:
                row = session.get(DrawRow, draw_id)
                if row is not None and _key(row) == key:  # else: the next page checks again
                    found = _check(session, row, self.app.settings.site_dir)
        except Exception as exc:  # a check that cannot finish is not a pass
            refusal = IntegrityError(
                f"完整性核验未能完成：{type(exc).__name__}",
                f"the integrity check could not finish: {type(exc).__name__}: {exc}",
            )
            found = _Outcome(time.monotonic(), refusal, {})
        finally:
            with self.lock:
                if found is not None:
                    self.outcomes[draw_id], self.keys[draw_id] = found, key
                del self.running[draw_id]

    def forget(self, row: DrawRow) -> None:
        with self.lock:
            self.outcomes.pop(row.id, None)
            self.keys.pop(row.id, None)

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
    """The process's kept outcomes for the console being served."""
    context = current_app.extensions["dualrandom"]
    found: _Kept = current_app.extensions.setdefault("dualrandom.checked", _Kept(context.app))
    return found


def _check(session: Session, row: DrawRow, site: Path) -> _Outcome:
    # The fingerprints first, then the check: rows changed in between fail the
    # check; rows changed before are in the fingerprints and fail it too.
    prints = _fingerprints(session, row.id, None)
    try:
        require_intact(session, what=SHOW, anchors=site_anchors(site, SHOW), draws=[row])
    except IntegrityError as exc:
        return _Outcome(time.monotonic(), exc, {})
    return _Outcome(time.monotonic(), None, prints)


def draw_warning(session: Session, row: DrawRow, shown: Iterable[int]) -> DrawWarning | None:
    """The warning a page must show with the visits ``shown`` (numbers) of the
    draw ``row``; None when the draw passes its check and those visits' rows
    are as they were when it did. A prepared draw has no rows to check."""
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
        return DrawWarning(outcome.refusal.message, outcome.refusal.english)
    numbers = sorted(set(shown))
    if not numbers:
        return None
    now = _fingerprints(session, row.id, numbers)
    changed = [n for n in numbers if now.get(n) != outcome.prints.get(n)]
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


def warn(session: Session, row: DrawRow, shown: Iterable[int]) -> None:
    """Check what the page shows of ``row`` (:func:`draw_warning`); the warning,
    if any, is shown at the top of the page (``_base.html``)."""
    found = draw_warning(session, row, shown)
    if found is not None:
        listed: list[DrawWarning] = g.setdefault("integrity_warnings", [])
        if found not in listed:
            listed.append(found)


def warnings() -> list[DrawWarning]:
    """The warnings :func:`warn` found during this request."""
    listed: list[DrawWarning] = g.get("integrity_warnings", [])
    return listed
