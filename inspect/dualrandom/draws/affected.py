"""Which prepared draws a new registry version leaves behind.

A prepared draw has committed to the digests of its inputs; ``draw run``
refuses when any of them changed (SPEC §5). An importer asks this module
after a registry import, so the clerk is warned at once that the prepared
draw will have to be superseded, instead of at the ceremony.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualrandom.tables import DrawRow

__all__ = ["prepared_draws_outdated"]

_COMMITTED = {
    "objects": DrawRow.objects_digest,
    "inspectors": DrawRow.inspectors_digest,
    "conflicts": DrawRow.conflicts_digest,
}


def prepared_draws_outdated(session: Session, kind: str, digest: str) -> list[tuple[str, int]]:
    """(plan, attempt) of every prepared draw that committed to another digest of the
    ``kind`` registry than ``digest``, by plan."""
    committed = _COMMITTED[kind]
    query = (
        select(DrawRow.plan_id, DrawRow.attempt)
        .where(DrawRow.state == "prepared", committed != digest)
        .order_by(DrawRow.plan_id, DrawRow.attempt)
    )
    return [(plan_id, attempt) for plan_id, attempt in session.execute(query)]
