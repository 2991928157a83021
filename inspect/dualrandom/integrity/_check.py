"""``audit verify`` and the check that publish and draw export run first.

:func:`verify_record` checks everything: the chain, the log against every
checkpoint given, the log's invariants, every stored draw, every registry
version. :func:`require_intact` is the cheaper check before a publication or
an export (docs/AUDIT.md, "Before publishing" says why it is enough):

- the chain is recomputed in full only after the newest checkpoint the site
  already published; up to it, the stored hashes must give that
  checkpoint's root (the anchor outside the database), and the draw entries
  the other checks rely on are recomputed wherever they are;
- the invariants and the draws being published or exported are checked in
  full; registry versions are not recomputed (the bundle export recomputes
  the snapshots a draw used and refuses a changed one);
- before a publication, a draw whose inputs — read and hashed again every
  time — are those of a check that passed is not recomputed
  (:mod:`dualrandom.integrity._verified`; the fingerprints live beside the
  site, outside the database).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualrandom.audit import (
    Anchor,
    Finding,
    StoredEntry,
    altered,
    anchor_findings,
    chain_findings,
    log_tree,
    read_anchors,
    refuse,
    site_checkpoint_files,
)
from dualrandom.draws import DrawState, get_draw
from dualrandom.integrity._draws import draw_findings, stored_files
from dualrandom.integrity._log import DrawEntries, draw_entries, log_findings
from dualrandom.integrity._registries import draw_version_findings, registry_findings
from dualrandom.integrity._verified import Verified, code_digest, draw_fingerprint
from dualrandom.tables import DrawRow, RegistryVersionRow

__all__ = [
    "Report",
    "require_exportable",
    "require_intact",
    "site_anchors",
    "verify_record",
    "verify_site_record",
]

T = TypeVar("T")


@dataclass
class Report:
    """What was checked, how long each part took, and every finding."""

    findings: list[Finding] = field(default_factory=list)
    entries: int = 0
    anchors: int = 0
    draws: int = 0
    unchanged: int = 0  # draws whose inputs were those of an earlier check that passed
    registry_versions: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.findings

    def timed(self, part: str, work: Callable[[], T]) -> T:
        started = time.perf_counter()
        try:
            return work()
        finally:
            self.seconds[part] = self.seconds.get(part, 0.0) + time.perf_counter() - started


def _checked_draws(session: Session, only: Sequence[DrawRow] | None) -> list[DrawRow]:
    if only is not None:
        return list(only)
    states = (DrawState.DRAWN, DrawState.SUPERSEDED)
    query = (
        select(DrawRow).where(DrawRow.state.in_(states)).order_by(DrawRow.plan_id, DrawRow.attempt)
    )
    return list(session.scalars(query))


def _draws(
    session: Session,
    report: Report,
    logged: dict[str, DrawEntries],
    only: Sequence[DrawRow] | None,
    verified: Verified | None = None,
) -> None:
    code = code_digest() if verified is not None else ""
    for row in _checked_draws(session, only):
        if row.state not in (DrawState.DRAWN, DrawState.SUPERSEDED):
            continue  # nothing drawn yet: the invariants cover it
        entries = logged.get(f"{row.plan_id}#{row.attempt}", DrawEntries())
        files = stored_files(session, row)
        if verified is None:
            report.findings += draw_findings(session, row, entries, files)
        else:
            fingerprint = draw_fingerprint(session, row, entries, files, code)
            if fingerprint in verified.known:
                report.unchanged += 1  # the very inputs that passed before: same answer
                verified.passed.add(fingerprint)
            else:
                found = draw_findings(session, row, entries, files)
                report.findings += found
                if not found:
                    verified.passed.add(fingerprint)
        report.findings += draw_version_findings(session, row)
        report.draws += 1


def verify_record(
    session: Session, *, anchors: Sequence[Anchor] = (), registries: bool = True
) -> Report:
    """Everything ``dualrandom audit verify`` checks; every finding, none hidden."""
    report = Report(anchors=len(anchors))
    report.findings += report.timed("chain", lambda: chain_findings(session))
    report.entries = report.timed("checkpoints", lambda: log_tree(session).size)
    report.findings += report.timed("checkpoints", lambda: anchor_findings(session, anchors))
    logged, _ = report.timed("invariants", lambda: draw_entries(session))
    report.findings += report.timed("invariants", lambda: log_findings(session, logged))
    report.timed("draws", lambda: _draws(session, report, logged, None))
    if registries:
        report.findings += report.timed("registries", lambda: registry_findings(session))
        report.registry_versions = len(list(session.scalars(select(RegistryVersionRow.id))))
    return report


def verify_site_record(
    session: Session,
    site: Path,
    *,
    checkpoints: Sequence[Path] = (),
    registries: bool = True,
) -> Report:
    """``dualrandom audit verify`` and the console's 校验 page: :func:`verify_record`
    against every checkpoint the published ``site`` holds and the ``checkpoints``
    kept elsewhere; a checkpoint file that cannot be read is a finding, first."""
    anchors, unreadable = read_anchors([*site_checkpoint_files(site), *checkpoints])
    report = verify_record(session, anchors=anchors, registries=registries)
    report.findings[:0] = unreadable
    return report


def _anchored_chain(
    session: Session, anchors: Sequence[Anchor], trusted: list[StoredEntry]
) -> list[Finding]:
    """The chain after the newest anchor the log agrees with, recomputed in full;
    before it, the anchors' roots (checked by the caller) and the ``trusted``
    entries, recomputed one by one."""
    size = log_tree(session).size
    start = max((a.checkpoint.size for a in anchors if a.checkpoint.size <= size), default=0)
    before = [altered(entry) for entry in trusted if entry.seq <= start]
    return chain_findings(session, start=start) + [f for f in before if f]


def require_intact(
    session: Session,
    *,
    what: tuple[str, str],
    anchors: Sequence[Anchor] = (),
    draws: Sequence[DrawRow] | None = None,
    verified: Path | None = None,
) -> Report:
    """Refuse ``what`` (Chinese, English: e.g. ("发布", "publish")) with the first
    findings while the record contradicts itself; the report when it does not.
    ``draws``: the draws to check (None: every drawn or superseded one).
    ``verified``: the file of fingerprints of draws that passed before
    (:mod:`dualrandom.integrity._verified`): a draw whose inputs are those of
    one of them is not checked again; the file is rewritten when the check
    passes."""
    report = Report(anchors=len(anchors))
    report.findings += report.timed("checkpoints", lambda: anchor_findings(session, anchors))
    report.entries = log_tree(session).size
    logged, trusted = report.timed("invariants", lambda: draw_entries(session))
    report.findings += report.timed("chain", lambda: _anchored_chain(session, anchors, trusted))
    report.findings += report.timed("invariants", lambda: log_findings(session, logged))
    known = None if verified is None else Verified(verified)
    report.timed("draws", lambda: _draws(session, report, logged, draws, known))
    if report.findings:
        raise refuse(report.findings, *what)
    if known is not None:
        known.save()
    return report


def site_anchors(site: Path, what: tuple[str, str]) -> list[Anchor]:
    """The checkpoints a published site holds; a file there that is not one refuses ``what``."""
    anchors, unreadable = read_anchors(site_checkpoint_files(site))
    if unreadable:
        raise refuse(unreadable, *what)
    return anchors


def require_exportable(
    session: Session, plan_id: str, attempt: int | None, *, site: Path
) -> Report:
    """Refuse to export a draw's bundle while the record contradicts itself (the
    draw, the log, or the checkpoints published on ``site``)."""
    what = ("导出数据包", "draw export")
    row = get_draw(session, plan_id, attempt)
    return require_intact(session, what=what, anchors=site_anchors(site, what), draws=[row])
