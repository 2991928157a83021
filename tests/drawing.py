"""One way for every test to make a DR-2 draw: the demo beacon chain signs the pinned round.

The demo chain's key is public (dualrandom.beacon.demo), so a test can sign
any round it pins; the library accepts such a round only with
``allow_demo=True``, which the helper passes, and the commitment says
``"demo": true``. The dice are rolled at the ceremony, before the pinned
round's time; the round is given once its time has come.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy.orm import Session

from dualrandom.beacon import Pin, sign_demo_round
from dualrandom.config import BeaconSettings
from dualrandom.core import DrawResult
from dualrandom.draws import SecretStore, beacon_pin, dice_expected, prepare_draw, run_draw
from dualrandom.tables import DrawRow

DEMO_BEACON = BeaconSettings(chain="demo", allow_demo=True)
DICE = "16253443526161524334"  # 20 rolls, as witnesses would type them
CEREMONY_AFTER = timedelta(minutes=10)


@cache
def demo_round(number: int) -> bytes:
    """The demo chain's round ``number`` as a relay would serve it (signing is slow: cached)."""
    return sign_demo_round(number).to_json()


def pin_of(row: DrawRow) -> Pin:
    return beacon_pin(json.loads(row.commitment))


@dataclass(frozen=True)
class Drawn:
    row: DrawRow
    result: DrawResult


def prepare_dr2(
    session: Session,
    plan_id: str,
    *,
    secrets: SecretStore,
    now: datetime,
    actor: str = "tester",
    ceremony_at: datetime | None = None,
    supersede_reason: str | None = None,
) -> DrawRow:
    """Commit to a DR-2 draw pinned to the demo chain, the ceremony 10 minutes after ``now``."""
    return prepare_draw(
        session,
        plan_id,
        secrets=secrets,
        now=now,
        actor=actor,
        ceremony_at=ceremony_at or now + CEREMONY_AFTER,
        beacon=DEMO_BEACON,
        supersede_reason=supersede_reason,
    ).draw


def run_dr2(
    session: Session,
    plan_id: str,
    row: DrawRow,
    *,
    secrets: SecretStore,
    actor: str = "tester",
    dice: str | None = None,
    beacon_round: bytes | None = None,
) -> tuple[DrawRow, DrawResult]:
    """Run a prepared DR-2 draw: dice recorded at the ceremony, the round signed and given
    at its time."""
    pin = pin_of(row)
    ceremony = datetime.fromisoformat(json.loads(row.commitment)["ceremony_at"])
    if dice is None:
        dice = DICE if dice_expected(row) else ""
    return run_draw(
        session,
        plan_id,
        dice,
        secrets=secrets,
        now=pin.time + timedelta(seconds=1),
        actor=actor,
        beacon_round=demo_round(pin.round) if beacon_round is None else beacon_round,
        allow_demo=True,
        dice_at=ceremony,
    )


def draw_dr2(
    session: Session,
    plan_id: str,
    *,
    secrets: SecretStore,
    now: datetime,
    actor: str = "tester",
    dice: str | None = None,
    supersede_reason: str | None = None,
) -> tuple[DrawRow, DrawResult]:
    """Prepare and run a DR-2 draw of ``plan_id`` on the demo chain."""
    row = prepare_dr2(
        session, plan_id, secrets=secrets, now=now, actor=actor, supersede_reason=supersede_reason
    )
    return run_dr2(session, plan_id, row, secrets=secrets, actor=actor, dice=dice)
