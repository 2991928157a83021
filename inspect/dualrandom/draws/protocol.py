"""The draw protocol: prepare (commit), run (reveal and draw), supersede.

1. :func:`prepare_draw` freezes the inputs, computes pools and quotas, makes
   an operator secret and records the commitment, before any randomness.
2. :func:`run_draw` refuses if any input changed since prepare, reveals the
   secret, derives the seed from it and the public entropy, draws, and
   stores the result — all in the caller's one transaction.
3. A second draw of a plan exists only through ``supersede_reason``; the
   earlier one is kept, marked, and both stay in the audit log and public.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from dualrandom import audit
from dualrandom.core import DrawResult, Preparation, derive_seed, draw, prepare, secret_commitment
from dualrandom.core.encoding import ALGORITHM
from dualrandom.draws._commitment import ENTROPY_DESCRIPTIONS, build_commitment, commitment_bytes
from dualrandom.draws._inputs import gather
from dualrandom.draws.secrets import SecretStore
from dualrandom.draws.states import DrawState
from dualrandom.errors import DrawStateError, IntegrityError, NotFoundError
from dualrandom.tables import DrawFileRow, DrawMemberRow, DrawRow, DrawVisitRow, InspectionTaskRow

__all__ = [
    "Prepared",
    "get_draw",
    "latest_draw",
    "plan_draws",
    "prepare_draw",
    "prepared_draw",
    "public_entropy",
    "run_draw",
]


@dataclass(frozen=True)
class Prepared:
    draw: DrawRow
    preparation: Preparation
    secret_path: str


def prepare_draw(
    session: Session,
    plan_id: str,
    *,
    secrets: SecretStore,
    now: datetime,
    actor: str,
    entropy_source: str | None = None,
    supersede_reason: str | None = None,
) -> Prepared:
    """Commit to a draw of ``plan_id``; refuses a second one without a reason."""
    previous = latest_draw(session, plan_id)
    _check_may_prepare(plan_id, previous, supersede_reason)
    gathered = gather(session, plan_id)
    prep = prepare(gathered.inputs)
    source = entropy_source or str(gathered.inputs.plan.entropy)
    if source not in ENTROPY_DESCRIPTIONS:
        raise DrawStateError(
            f"entropy source {source!r} is not one of {', '.join(ENTROPY_DESCRIPTIONS)}"
        )
    attempt = (previous.attempt + 1) if previous else 1
    secret = secrets.create(plan_id, attempt)
    secret_hash = secret_commitment(secret)
    supersedes = (
        {"attempt": previous.attempt, "reason": supersede_reason}
        if previous and supersede_reason
        else None
    )
    commitment = build_commitment(
        prep,
        attempt=attempt,
        versions=gathered.versions,
        secret_hash=secret_hash,
        entropy_source=source,
        prepared_at=now,
        supersedes=supersedes,
    )
    data, commitment_hash = commitment_bytes(commitment)
    if previous and previous.state == DrawState.PREPARED:
        previous.state = DrawState.WITHDRAWN
    row = DrawRow(
        plan_id=plan_id,
        attempt=attempt,
        state=DrawState.PREPARED,
        algorithm=ALGORITHM,
        objects_version=gathered.versions["objects"],
        inspectors_version=gathered.versions["inspectors"],
        conflicts_version=gathered.versions["conflicts"],
        plan_digest=prep.digests.plan,
        objects_digest=prep.digests.objects,
        inspectors_digest=prep.digests.inspectors,
        conflicts_digest=prep.digests.conflicts,
        history_digest=prep.digests.history,
        secret_hash=secret_hash,
        entropy_source=source,
        commitment=data.decode("utf-8"),
        commitment_hash=commitment_hash,
        prepared_at=now,
        supersedes_id=previous.id if supersedes and previous else None,
        supersede_reason=supersede_reason or "",
    )
    session.add(row)
    session.flush()
    _store_files(
        session,
        row.id,
        {
            "commitment.json": data,
            "plan.json": prep.plan_bytes,
            "history.tsv": prep.history.data,
        },
    )
    audit.append(
        session,
        "draw.prepare",
        f"{plan_id}#{attempt}",
        {"commitment_hash": commitment_hash, "supersedes": supersedes},
        actor=actor,
        at=now,
    )
    return Prepared(row, prep, str(secrets.path(plan_id, attempt)))


def _check_may_prepare(plan_id: str, previous: DrawRow | None, reason: str | None) -> None:
    if reason is not None and not reason.strip():
        raise DrawStateError("--reason must say why the earlier draw is superseded")
    if previous is None:
        if reason is not None:
            raise DrawStateError(f"plan {plan_id} has no earlier draw to supersede")
        return
    if reason is None:
        done = "was drawn" if previous.state == DrawState.DRAWN else "is already prepared"
        raise DrawStateError(
            f"plan {plan_id} {done} (attempt {previous.attempt}); a new draw is possible only "
            "with --supersede --reason TEXT, and both stay on public record"
        )


def run_draw(
    session: Session,
    plan_id: str,
    entropy: str,
    *,
    secrets: SecretStore,
    now: datetime,
    actor: str,
) -> tuple[DrawRow, DrawResult]:
    """Reveal the secret, derive the seed and draw; refuses if inputs changed."""
    row = prepared_draw(session, plan_id)
    entropy = public_entropy(entropy)
    gathered = gather(session, plan_id)
    prep = prepare(gathered.inputs)
    _check_unchanged(row, gathered.versions, prep)
    secret = secrets.load(plan_id, row.attempt)
    if secret_commitment(secret) != row.secret_hash:
        raise IntegrityError(
            f"the secret in {secrets.path(plan_id, row.attempt)} does not match the commitment"
        )
    seed = derive_seed(prep.digests, entropy, secret)
    result = draw(prep, seed)
    _record(session, row, result, secret=secret, entropy=entropy, now=now)
    audit.append(
        session,
        "draw.run",
        f"{plan_id}#{row.attempt}",
        {
            "seed": seed.hex(),
            "entropy": entropy,
            "result_digest": result.digest,
            "visits": len(result.visits),
            "supersedes_attempt": _superseded_attempt(session, row),
        },
        actor=actor,
        at=now,
    )
    return row, result


def prepared_draw(session: Session, plan_id: str) -> DrawRow:
    """The plan's draw waiting to be run; DrawStateError says what to do if there is none.

    ``draw run`` asks this before it asks anyone for the entropy."""
    row = latest_draw(session, plan_id)
    if row is None or row.state != DrawState.PREPARED:
        state = "has no draw" if row is None else f"attempt {row.attempt} is {row.state}"
        raise DrawStateError(
            f"plan {plan_id} {state}; run 'dualrandom draw prepare {plan_id}' first"
            + (" with --supersede --reason TEXT" if row is not None else "")
        )
    return row


def public_entropy(text: str) -> str:
    """The public entropy exactly as the seed takes it: Unicode NFC, without
    surrounding whitespace (inner spaces count). DrawStateError if empty."""
    value = unicodedata.normalize("NFC", text.strip())
    if not value:
        raise DrawStateError(
            "公开随机数为空；请输入见证人掷出的数字或信标值",
            "the public entropy is empty; type the witnesses' value",
        )
    return value


def _check_unchanged(row: DrawRow, versions: dict[str, int], prep: Preparation) -> None:
    was = {
        "plan": row.plan_digest,
        "objects": row.objects_digest,
        "inspectors": row.inspectors_digest,
        "conflicts": row.conflicts_digest,
        "history": row.history_digest,
    }
    now = {
        "plan": prep.digests.plan,
        "objects": prep.digests.objects,
        "inspectors": prep.digests.inspectors,
        "conflicts": prep.digests.conflicts,
        "history": prep.digests.history,
    }
    changed = [name for name in was if was[name] != now[name]]
    if changed:
        raise DrawStateError(
            f"{', '.join(changed)} changed since 'draw prepare' of {row.plan_id} "
            f"(attempt {row.attempt}); the commitment no longer holds. Prepare again with "
            "--supersede --reason TEXT"
        )


def _record(
    session: Session, row: DrawRow, result: DrawResult, *, secret: bytes, entropy: str, now: datetime
) -> None:
    row.state, row.secret, row.entropy = DrawState.DRAWN, secret.hex(), entropy
    row.seed, row.result_digest, row.drawn_at = result.seed.hex(), result.digest, now
    if row.supersedes_id is not None:
        _supersede(session, row, now)
    _store_files(session, row.id, result.files())
    strata: dict[str, set[str]] = {}
    for selected in result.selected:
        strata.setdefault(selected.object_id, set()).add(selected.stratum)
    # Bulk inserts: a provincial batch has 50,000 visits; ORM objects one by one cost seconds.
    visits = [
        {
            "draw_id": row.id,
            "number": v.number,
            "object_id": v.object_id,
            "ticket": f"{v.ticket:016x}",
            "items": ";".join(v.items),
            "departments": ";".join(v.departments),
            "strata": ";".join(sorted(strata[v.object_id])),
        }
        for v in result.visits
    ]
    members = [
        {
            "draw_id": row.id,
            "visit": v.number,
            "slot": m.slot,
            "cert_no": m.officer,
            "department": m.department,
            "role": m.role,
            "position": m.position,
        }
        for v in result.visits
        for m in v.team
    ]
    tasks = [
        {"draw_id": row.id, "visit": v.number, "object_id": v.object_id, "updated_at": now}
        for v in result.visits
    ]
    for model, rows in ((DrawVisitRow, visits), (DrawMemberRow, members), (InspectionTaskRow, tasks)):
        if rows:
            session.execute(insert(model), rows)


def _supersede(session: Session, row: DrawRow, now: datetime) -> None:
    """Mark the earlier draw superseded and cancel its open inspection tasks."""
    earlier = session.get(DrawRow, row.supersedes_id)
    if earlier is None or earlier.state != DrawState.DRAWN:
        return
    earlier.state = DrawState.SUPERSEDED
    reason = f"draw superseded by attempt {row.attempt}: {row.supersede_reason}"
    for task in session.scalars(select(InspectionTaskRow).where(InspectionTaskRow.draw_id == earlier.id)):
        if task.state not in ("published", "cancelled"):
            task.state, task.reason, task.updated_at = "cancelled", reason, now


def _superseded_attempt(session: Session, row: DrawRow) -> int | None:
    earlier = session.get(DrawRow, row.supersedes_id) if row.supersedes_id else None
    return earlier.attempt if earlier else None


def _store_files(session: Session, draw_id: int, files: dict[str, bytes]) -> None:
    session.add_all(
        DrawFileRow(draw_id=draw_id, name=name, content=data, sha256=hashlib.sha256(data).hexdigest())
        for name, data in files.items()
    )


def latest_draw(session: Session, plan_id: str) -> DrawRow | None:
    """The plan's latest attempt, in whatever state; None before its first prepare."""
    return _attempt(session, plan_id, None)


def plan_draws(session: Session, plan_id: str) -> list[DrawRow]:
    """Every attempt of the plan's draw, latest first: superseded and withdrawn ones too."""
    query = select(DrawRow).where(DrawRow.plan_id == plan_id).order_by(DrawRow.attempt.desc())
    return list(session.scalars(query))


def _attempt(session: Session, plan_id: str, attempt: int | None) -> DrawRow | None:
    query = select(DrawRow).where(DrawRow.plan_id == plan_id)
    if attempt is not None:
        query = query.where(DrawRow.attempt == attempt)
    return session.scalars(query.order_by(DrawRow.attempt.desc()).limit(1)).first()


def get_draw(session: Session, plan_id: str, attempt: int | None = None) -> DrawRow:
    """The latest (or the given) attempt of a plan's draw."""
    row = _attempt(session, plan_id, attempt)
    if row is None:
        count = session.scalar(
            select(func.count()).select_from(DrawRow).where(DrawRow.plan_id == plan_id)
        )
        what = f"attempt {attempt}" if attempt is not None and count else "no draw"
        raise NotFoundError(f"plan {plan_id!r} has {what}; run 'dualrandom draw prepare {plan_id}'")
    return row
