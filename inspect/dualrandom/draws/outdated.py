"""Which prepared draw a change of its plan would leave behind.

A prepared draw has committed to its plan's digest; ``draw run`` refuses
once the stored plan differs (SPEC §5). Whoever loads a changed plan asks
this first, so the clerk is warned before the change, not at the ceremony.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from dualrandom.core.model import Plan
from dualrandom.core.plan_json import plan_digest
from dualrandom.draws.protocol import latest_draw
from dualrandom.draws.states import DrawState
from dualrandom.rules import load_items
from dualrandom.tables import DrawRow

__all__ = ["draw_outdated_by_plan"]


def draw_outdated_by_plan(session: Session, plan: Plan) -> DrawRow | None:
    """The prepared draw of ``plan.id`` that loading ``plan`` would force to be
    superseded (it committed to another plan digest), or None."""
    row = latest_draw(session, plan.id)
    if row is None or row.state != DrawState.PREPARED:
        return None
    return None if row.plan_digest == plan_digest(plan, load_items(session)) else row
