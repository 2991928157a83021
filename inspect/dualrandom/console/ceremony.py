"""The ceremony's one door to the draw protocol.

The ceremony pages call nothing else of :mod:`dualrandom.draws`: prepare
(commit), publish the commitment, show what was committed, take the dice
and draw. A beacon plan is drawn with DR-2: the commitment pins a future
round of the public beacon (no operator secret); the witnesses' dice are
entered on the projector screen, echoed roll by roll, confirmed by a second
person with their own password and recorded before the round's time; once
the round exists it is obtained (an uploaded file, the relays, or the demo
chain) and the draw made. A plan stored before DR-2 (entropy dice or typed)
keeps the DR-1 flow: the confirmed entropy and the operator secret draw at once.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from dualrandom import audit
from dualrandom.beacon import obtain_round
from dualrandom.config import Settings
from dualrandom.core import DR2, DrawResult
from dualrandom.draws import (
    RecordedDice,
    SecretStore,
    beacon_pin,
    dice_expected,
    prepare_draw,
    prepared_draw,
    public_entropy,
    record_ceremony_dice,
    recorded_ceremony_dice,
    run_draw,
    write_commitment_notice,
)
from dualrandom.errors import DrawStateError
from dualrandom.publish import PublishReport, publish_site
from dualrandom.tables import DrawRow

__all__ = [
    "MIN_ROLLS",
    "Committed",
    "committed",
    "dice_rolls",
    "draw_dr2",
    "prepare",
    "publish_commitment",
    "run",
]

MIN_ROLLS = 20
_ROLLS = re.compile(r"[1-6]+")


@dataclass(frozen=True)
class Committed:
    """What the projector shows of a prepared draw: the commitment's digests and quotas."""

    attempt: int
    state: str
    commitment_hash: str
    digests: dict[str, str]
    registry_versions: dict[str, int]
    quotas: list[dict[str, Any]]
    entropy_source: str
    entropy_description: str
    secret_commitment: str
    prepared_at: str
    supersedes: dict[str, Any] | None
    round_time: datetime | None  # the pinned beacon round's time (DR-2); None in DR-1
    algorithm: str = ""
    beacon_round: int | None = None  # DR-2: the pinned round's number
    chain_label: str = ""  # DR-2: the pinned chain
    demo: bool = False  # DR-2: the demo chain (演示链), whose key is public
    dice_expected: bool = False  # DR-2: whether the witnesses' dice go into the seed
    ceremony_at: str = ""  # DR-2: when the ceremony was to start
    dice: RecordedDice | None = None  # DR-2: the dice recorded so far, if any

    @property
    def dr2(self) -> bool:
        return self.algorithm == DR2


def committed(row: DrawRow, session: Session | None = None) -> Committed:
    """The commitment's facts; with ``session``, a DR-2 draw's recorded dice too."""
    data = json.loads(row.commitment)
    beacon = data.get("beacon") if row.algorithm == DR2 else None
    pin = beacon_pin(data) if beacon else None
    expected = dice_expected(row)
    return Committed(
        attempt=row.attempt,
        state=row.state,
        commitment_hash=row.commitment_hash,
        digests=data["digests"],
        registry_versions=data["registry_versions"],
        quotas=data["quotas"],
        entropy_source=data["entropy"]["source"],
        entropy_description=data["entropy"]["description"],
        secret_commitment=data.get("secret_commitment", ""),  # "" for DR-2: no secret
        prepared_at=data["prepared_at"],
        supersedes=data.get("supersedes"),
        round_time=pin.time if pin else None,
        algorithm=row.algorithm,
        beacon_round=pin.round if pin else None,
        chain_label=str(beacon["chain"]["label"]) if beacon else "",
        demo=bool(beacon["chain"]["demo"]) if beacon else False,
        dice_expected=expected,
        ceremony_at=str(data.get("ceremony_at", "")),
        dice=recorded_ceremony_dice(session, row) if session is not None and expected else None,
    )


def prepare(
    session: Session,
    plan_id: str,
    *,
    settings: Settings,
    now: datetime,
    actor: str,
    reason: str | None,
    ceremony_at: datetime | None = None,
) -> DrawRow:
    """``draw prepare``: commit, and write the commitment notice under var/.

    A beacon plan gets DR-2, pinning the first round after ``ceremony_at``
    plus ``[beacon] margin_seconds`` (default: the plan's scheduled draw
    time); a plan stored before DR-2 keeps DR-1."""
    prepared = prepare_draw(
        session,
        plan_id,
        secrets=SecretStore(settings.secrets_dir),
        now=now,
        actor=actor,
        supersede_reason=reason,
        ceremony_at=ceremony_at,
        beacon=settings.beacon,
    )
    write_commitment_notice(settings.var_dir, prepared.draw)
    return prepared.draw


def publish_commitment(
    session: Session, *, settings: Settings, now: datetime, actor: str
) -> PublishReport:
    """``dualrandom publish``: the site, with the pre-draw notice (抽取前公告)."""
    return publish_site(
        session,
        settings.site_dir,
        timezone=settings.timezone,
        site=settings.site,
        actor=actor,
        now=now,
    )


def dice_rolls(text: str) -> str:
    """The witnesses' rolls as one string of digits 1-6 (spaces dropped), at least
    :data:`MIN_ROLLS` of them; DrawStateError names what is wrong."""
    rolls = "".join(text.split())
    if not _ROLLS.fullmatch(rolls or "x"):
        bad = next((c for c in rolls if c not in "123456"), "")
        raise DrawStateError(
            f"骰子点数只能是 1–6 的数字，不能有 {bad!r}；请重新录入",
            f"dice rolls are digits 1-6, not {bad!r}; enter them again",
        )
    if len(rolls) < MIN_ROLLS:
        raise DrawStateError(
            f"只录入了 {len(rolls)} 次掷骰，至少需要 {MIN_ROLLS} 次",
            f"{len(rolls)} rolls entered; at least {MIN_ROLLS} are needed",
        )
    return rolls


def run(
    session: Session,
    plan_id: str,
    entropy: str,
    *,
    settings: Settings,
    now: datetime,
    actor: str,
    confirmed_by: str,
) -> tuple[DrawRow, DrawResult | None]:
    """``draw run`` with the entropy typed by ``actor`` and confirmed by ``confirmed_by``
    (both named in the audit log before the draw's own entry). DR-2: the dice are
    only recorded (before the round's time); :func:`draw_dr2` draws later."""
    row = prepared_draw(session, plan_id)
    if row.algorithm == DR2:
        record_dice(session, row, entropy, now=now, actor=actor, confirmed_by=confirmed_by)
        return row, None
    value = dice_rolls(entropy) if row.entropy_source == "dice" else public_entropy(entropy)
    audit.append(
        session,
        "draw.entropy_confirmed",
        f"{plan_id}#{row.attempt}",
        {"entropy": value, "entered_by": actor, "confirmed_by": confirmed_by},
        actor=confirmed_by,
        at=now,
    )
    return run_draw(
        session, plan_id, value, secrets=SecretStore(settings.secrets_dir), now=now, actor=actor
    )


def record_dice(
    session: Session, row: DrawRow, typed: str, *, now: datetime, actor: str, confirmed_by: str
) -> RecordedDice:
    """DR-2: the witnesses' dice, typed by ``actor`` and confirmed by ``confirmed_by``,
    recorded in the audit log before the pinned round's time."""
    if not dice_expected(row):
        raise DrawStateError(
            "此次抽取的承诺不使用骰子，无需录入", "this draw's commitment takes no dice"
        )
    rolls = dice_rolls(typed)
    if recorded_ceremony_dice(session, row) is not None:
        raise DrawStateError(
            "骰子已录入并复核，不能再改", "the dice were already recorded and confirmed"
        )
    recorded = record_ceremony_dice(session, row, rolls, now=now, actor=actor)
    audit.append(
        session,
        "draw.entropy_confirmed",
        f"{row.plan_id}#{row.attempt}",
        {"dice": rolls, "entered_by": actor, "confirmed_by": confirmed_by},
        actor=confirmed_by,
        at=now,
    )
    return recorded


def draw_dr2(
    session: Session,
    plan_id: str,
    *,
    round_file: bytes | None,
    settings: Settings,
    now: datetime,
    actor: str,
) -> tuple[DrawRow, DrawResult]:
    """DR-2's draw, once the pinned round exists: the uploaded round JSON, else the
    relays (asked once: a request never waits), else the demo chain with allow_demo.
    Refused before the round's time and, when dice are expected, before they are recorded."""
    row = prepared_draw(session, plan_id)
    if row.algorithm != DR2:
        raise DrawStateError(
            "此次抽取不是信标抽取（DR-2），请在投影屏幕录入公开随机数",
            "this draw is not a beacon draw (DR-2); enter the entropy on the projector screen",
        )
    pin = beacon_pin(json.loads(row.commitment))
    if now < pin.time:
        raise DrawStateError(
            f"锁定的信标第 {pin.round} 轮将于 {pin.time.isoformat()} 产生，现在尚不存在；"
            "请在该时刻之后再点击抽取",
            f"the pinned beacon round {pin.round} will be produced at {pin.time.isoformat()}; "
            "it does not exist yet. Draw after that time",
        )
    recorded = recorded_ceremony_dice(session, row) if dice_expected(row) else None
    if dice_expected(row) and recorded is None:
        raise DrawStateError(
            "骰子未在信标轮次产生前录入，不能抽取；请填写理由重新准备（公开记录）",
            "the dice were not recorded before the round's time; nothing can be drawn. "
            "Prepare again with a reason (on public record)",
        )
    beacon = settings.beacon
    raw = (
        round_file
        if round_file
        else obtain_round(pin, relays=beacon.relays, allow_demo=beacon.allow_demo)
    )
    return run_draw(
        session,
        plan_id,
        recorded.dice if recorded else "",
        secrets=SecretStore(settings.secrets_dir),
        now=now,
        actor=actor,
        beacon_round=raw,
        allow_demo=beacon.allow_demo,
        dice_at=recorded.at if recorded else None,
    )
