"""The ceremony's one door to the draw protocol (the seam for DR-2).

The ceremony pages call nothing else of :mod:`dualrandom.draws`: prepare
(commit), publish the commitment, show what was committed, take the public
entropy and draw. Today that is the DR-1 protocol: the entropy is the
witnesses' dice (or a typed value), entered on the projector screen, echoed
roll by roll, and confirmed by a second person with their own password
before the irreversible run. When the beacon protocol (DR-2) lands, this
module pins and obtains the drand round, and the pages keep their shape.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from dualrandom import audit
from dualrandom.config import Settings
from dualrandom.core import DrawResult
from dualrandom.draws import (
    SecretStore,
    prepare_draw,
    prepared_draw,
    public_entropy,
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


def committed(row: DrawRow) -> Committed:
    data = json.loads(row.commitment)
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
        round_time=None,
    )


def prepare(
    session: Session,
    plan_id: str,
    *,
    settings: Settings,
    now: datetime,
    actor: str,
    reason: str | None,
) -> DrawRow:
    """``draw prepare``: commit, and write the commitment notice under var/.

    NOT YET DR-2: the console's ceremony still runs the DR-1 protocol (operator
    secret + witnesses' dice), also for beacon plans, until its pages pin and
    wait for the beacon round; the command line (``dualrandom draw``) and the
    scheduler draw beacon plans with DR-2."""
    prepared = prepare_draw(
        session,
        plan_id,
        secrets=SecretStore(settings.secrets_dir),
        now=now,
        actor=actor,
        supersede_reason=reason,
        entropy_source="dice",  # DR-1 until the console's ceremony is wired to DR-2
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
) -> tuple[DrawRow, DrawResult]:
    """``draw run`` with the entropy typed by ``actor`` and confirmed by ``confirmed_by``
    (both named in the audit log before the draw's own entry)."""
    row = prepared_draw(session, plan_id)
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
