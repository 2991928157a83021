"""Which prepared draws a new registry version, or a changed plan, leaves behind.

A prepared draw has committed to the digests of its inputs; ``draw run``
refuses when any of them changed (SPEC §5). An importer asks this module
after a registry import, and whoever loads a changed plan asks it before, so
the clerk is warned that the prepared draw will have to be superseded,
instead of finding out at the ceremony.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualrandom.core import DR2
from dualrandom.core.model import Plan
from dualrandom.core.plan_json import plan_digest
from dualrandom.draws.protocol import latest_draw
from dualrandom.draws.states import DrawState
from dualrandom.rules import load_items
from dualrandom.tables import DrawRow, RegistryVersionRow

__all__ = ["draw_outdated_by_plan", "prepared_draws_outdated"]

_COMMITTED = {
    "objects": DrawRow.objects_digest,
    "inspectors": DrawRow.inspectors_digest,
    "conflicts": DrawRow.conflicts_digest,
}


_VERSION = {
    "objects": DrawRow.objects_version,
    "inspectors": DrawRow.inspectors_version,
    "conflicts": DrawRow.conflicts_version,
}


def prepared_draws_outdated(session: Session, kind: str, digest: str) -> list[tuple[str, int]]:
    """(plan, attempt) of every prepared draw that committed to another digest of the
    ``kind`` registry than ``digest``, by plan."""
    committed = _COMMITTED[kind]
    query = (
        select(DrawRow.plan_id, DrawRow.attempt)
        .where(DrawRow.state == DrawState.PREPARED, DrawRow.algorithm != DR2, committed != digest)
        .order_by(DrawRow.plan_id, DrawRow.attempt)
    )
    outdated = [(plan_id, attempt) for plan_id, attempt in session.execute(query)]
    # DR-2 commits to bucketed digests; the registry version it recorded keeps the
    # digest ``digest`` is comparable with
    version = _VERSION[kind]
    query = (
        select(DrawRow.plan_id, DrawRow.attempt)
        .join(
            RegistryVersionRow,
            (RegistryVersionRow.kind == kind) & (RegistryVersionRow.number == version),
            isouter=True,
        )
        .where(DrawRow.state == DrawState.PREPARED, DrawRow.algorithm == DR2)
        .where((RegistryVersionRow.digest.is_(None)) | (RegistryVersionRow.digest != digest))
    )
    outdated += [(plan_id, attempt) for plan_id, attempt in session.execute(query)]
    return sorted(outdated)


def draw_outdated_by_plan(session: Session, plan: Plan) -> DrawRow | None:
    """The prepared draw of ``plan.id`` that loading ``plan`` would force to be
    superseded (it committed to another plan digest), or None."""
    row = latest_draw(session, plan.id)
    if row is None or row.state != DrawState.PREPARED:
        return None
    return None if row.plan_digest == plan_digest(plan, load_items(session), row.algorithm) else row
