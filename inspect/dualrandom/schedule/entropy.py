"""The witnesses' dice of a scheduled DR-2 draw, or the operator's public entropy of a
DR-1 one (``[scheduler] entropy = "plan"``).

DR-2: the dice are recorded in the audit log (``draw.dice``) before the pinned
beacon round's time, and the draw step uses them.

The commitment was published at prepare time naming the source (dice,
beacon, typed); the value is entered afterwards — never before the
commitment exists — and is kept on the draw step's ledger row and in the
audit log. The draw step runs at its time once the value is there.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualrandom import audit
from dualrandom.core import DR2
from dualrandom.draws import DrawState, latest_draw, public_entropy, record_ceremony_dice
from dualrandom.errors import DrawStateError
from dualrandom.tables import StepRunRow

__all__ = ["supply_entropy"]


def supply_entropy(
    session: Session, plan_id: str, value: str, *, now: datetime, actor: str
) -> StepRunRow:
    row = session.scalars(
        select(StepRunRow).where(StepRunRow.plan_id == plan_id, StepRunRow.step == "draw")
    ).first()
    latest = latest_draw(session, plan_id)
    if row is None or row.state == "done" or latest is None or latest.state != DrawState.PREPARED:
        raise DrawStateError(
            f"计划 {plan_id} 没有等待录入随机数的定时抽取（见 dualrandom scheduler status）；"
            "随机数在承诺公布之后录入",
            f"plan {plan_id} has no scheduled draw waiting for entropy "
            "(see 'dualrandom scheduler status'); the value is entered after the commitment",
        )
    if latest.algorithm == DR2:
        dice = record_ceremony_dice(session, latest, value, now=now, actor=actor)
        row.entropy = dice.dice
        session.flush()
        return row
    text = public_entropy(value)
    if latest.entropy_source == "declared":
        raise DrawStateError(
            f"计划 {plan_id} 的抽取在准备时已公布其公开值，无需录入",
            f"the draw of {plan_id} declared its public value at prepare time; nothing to enter",
        )
    previous = row.entropy or None
    row.entropy = text
    audit.append(
        session,
        "schedule.entropy",
        f"{plan_id}/draw",
        {
            "source": latest.entropy_source,
            "value": text,
            "replaces": previous,
            "commitment_hash": latest.commitment_hash,
        },
        actor=actor,
        at=now,
    )
    session.flush()
    return row
