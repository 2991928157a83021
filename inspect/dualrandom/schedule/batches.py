"""The batches of one year run in order.

A draw's history — the input of the look-back and annual-cap rules — is the
standing draws of the plans whose check window starts earlier, frozen at
prepare time (``draws/_inputs.py``). A batch that prepared while an earlier
batch's draw was still pending would commit to a history without that draw,
and an object capped at one inspection a year could be drawn twice. So no
step of a scheduled batch runs while the draw of an earlier scheduled batch
of its year is pending: not drawn by the scheduler nor by hand.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualrandom.draws import DrawState
from dualrandom.rules.store import list_plans, load_plan
from dualrandom.schedule.timeline import is_scheduled
from dualrandom.tables import DrawRow

__all__ = ["done_by_hand", "earlier_pending"]


def _standing(session: Session, plan_ids: Iterable[str]) -> dict[str, set[str]]:
    """The live states (prepared, drawn) of each plan's draws."""
    rows = session.execute(
        select(DrawRow.plan_id, DrawRow.state).where(
            DrawRow.plan_id.in_(list(plan_ids)), DrawRow.state.in_((DrawState.PREPARED, DrawState.DRAWN))
        )
    )
    found: dict[str, set[str]] = {}
    for plan_id, state in rows:
        found.setdefault(plan_id, set()).add(state)
    return found


def earlier_pending(session: Session, plan_id: str) -> str | None:
    """Why a step of ``plan_id`` must wait for an earlier batch, or None."""
    plan = load_plan(session, plan_id)
    earlier = [
        p.id
        for p in (stored.plan for stored in list_plans(session, plan.year))
        if is_scheduled(p) and p.window_start < plan.window_start
    ]
    if not earlier:
        return None
    standing = _standing(session, earlier)
    pending = [p for p in earlier if DrawState.DRAWN not in standing.get(p, set())]
    if not pending:
        return None
    return (
        f"等待本年度较早的批次 {'、'.join(pending)} 先抽取（同一年度的批次按顺序抽取）"
        f"(waiting for the draw of the earlier batch {', '.join(pending)}; "
        "the batches of a year are drawn in order)"
    )


def done_by_hand(session: Session, plan_ids: Iterable[str]) -> dict[tuple[str, str], str]:
    """(plan, step) → what was done by hand (``draw prepare`` / ``draw run``)
    for the prepare and draw steps whose work is already done."""
    done: dict[tuple[str, str], str] = {}
    for plan_id, states in _standing(session, plan_ids).items():
        done[(plan_id, "prepare")] = DrawState.PREPARED
        if DrawState.DRAWN in states:
            done[(plan_id, "draw")] = DrawState.DRAWN
    return done
