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
import json
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from dualrandom import audit
from dualrandom.beacon import Pin, admit_round, round_after
from dualrandom.bulk import inserter
from dualrandom.config import BeaconSettings
from dualrandom.core import (
    DR2,
    DrawResult,
    Preparation,
    derive_seed,
    derive_seed_dr2,
    draw,
    prepare,
    record_dice,
    secret_commitment,
)
from dualrandom.core.encoding import ALGORITHM
from dualrandom.db import as_utc, larger_page_cache
from dualrandom.draws._commitment import (
    ENTROPY_DESCRIPTIONS,
    beacon_chain,
    beacon_pin,
    build_commitment,
    build_commitment_dr2,
    commitment_bytes,
)
from dualrandom.draws._inputs import Alongside, Gathered, gather, start_digests
from dualrandom.draws.engine_pg import check_engine, draw_pg, prepare_pg
from dualrandom.draws.secrets import SecretStore
from dualrandom.draws.states import DrawState
from dualrandom.errors import DrawStateError, IntegrityError, NotFoundError
from dualrandom.gcpause import paused
from dualrandom.rules.store import load_plan
from dualrandom.tables import (
    AuditEntryRow,
    Base,
    DrawFileRow,
    DrawMemberRow,
    DrawRow,
    DrawVisitRow,
    InspectionTaskRow,
)

__all__ = [
    "BEACON_ROUND_FILE",
    "SALT_KEY_FILE",
    "Prepared",
    "RecordedDice",
    "beacon_pin",
    "dice_expected",
    "get_draw",
    "latest_draw",
    "latest_draws",
    "plan_draws",
    "prepare_draw",
    "prepared_draw",
    "public_entropy",
    "record_ceremony_dice",
    "recorded_ceremony_dice",
    "run_draw",
]


BEACON_ROUND_FILE = "beacon-round.json"  # the pinned round's JSON, byte for byte as obtained
SALT_KEY_FILE = "risk-salt-key.hex"  # DR-2's risk-class salt key K (SPEC §18): auditors only


@dataclass(frozen=True)
class Prepared:
    draw: DrawRow
    preparation: Preparation
    secret_path: str  # DR-1's operator secret file; "" for DR-2, which has no secret


@paused
def prepare_draw(
    session: Session,
    plan_id: str,
    *,
    secrets: SecretStore,
    now: datetime,
    actor: str,
    entropy_source: str | None = None,
    supersede_reason: str | None = None,
    ceremony_at: datetime | None = None,
    beacon: BeaconSettings | None = None,
    engine: str = "python",
) -> Prepared:
    """Commit to a draw of ``plan_id``; refuses a second one without a reason.

    A plan whose entropy is ``beacon`` is drawn with DR-2 (SPEC Part II): it
    pins the first beacon round after ``ceremony_at`` plus the configured
    margin, and there is no operator secret. Any other source is DR-1, kept
    for the draws made before DR-2 (``rules check`` refuses it for new plans).
    ``engine`` "postgresql" reads the object registry inside PostgreSQL (DR-1 only,
    draws.engine_pg); the commitment is byte for byte the same.
    """
    previous = latest_draw(session, plan_id)
    _check_may_prepare(plan_id, previous, supersede_reason)
    source = entropy_source or str(load_plan(session, plan_id).entropy)
    check_engine(session, engine, DR2 if source == "beacon" else ALGORITHM)
    in_database = engine == "postgresql"
    gathered = gather(session, plan_id, objects=not in_database)
    source = entropy_source or str(gathered.inputs.plan.entropy)
    if source == "beacon":
        return _prepare_dr2(
            session,
            gathered,
            previous,
            secrets=secrets,
            now=now,
            actor=actor,
            supersede_reason=supersede_reason,
            ceremony_at=ceremony_at,
            beacon=beacon or BeaconSettings(),
        )
    prep = _prepare_dr1(session, gathered, in_database)
    if source not in ENTROPY_DESCRIPTIONS:
        raise DrawStateError(
            f"公开随机数来源 {source!r} 不是 {'、'.join(ENTROPY_DESCRIPTIONS)} 之一",
            f"entropy source {source!r} is not one of {', '.join(ENTROPY_DESCRIPTIONS)}",
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
    row = _record_prepared(
        session,
        gathered,
        prep,
        previous,
        attempt=attempt,
        algorithm=ALGORITHM,
        secret_hash=secret_hash,
        entropy_source=source,
        commitment=data,
        commitment_hash=commitment_hash,
        now=now,
        supersede_reason=supersede_reason if supersedes else None,
        files={},
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


def _prepare_dr2(
    session: Session,
    gathered: Gathered,
    previous: DrawRow | None,
    *,
    secrets: SecretStore,
    now: datetime,
    actor: str,
    supersede_reason: str | None,
    ceremony_at: datetime | None,
    beacon: BeaconSettings,
) -> Prepared:
    plan = gathered.inputs.plan
    if ceremony_at is None:
        raise DrawStateError(
            f"计划 {plan.id} 没有排定抽取时间；请用 --ceremony-at 给出公开抽取仪式的时间"
            "（如 2027-01-04T09:30+08:00）",
            f"plan {plan.id} has no scheduled draw time; give the public ceremony's time with "
            "--ceremony-at (e.g. 2027-01-04T09:30+08:00)",
        )
    if ceremony_at.utcoffset() is None or ceremony_at < now:
        raise DrawStateError(
            f"抽取仪式时间 {ceremony_at.isoformat()} 无时区或早于现在 {now.isoformat()}："
            "锁定的信标轮次必须在承诺之后才产生",
            f"the ceremony time {ceremony_at.isoformat()} has no time zone or is before now "
            f"({now.isoformat()}): the pinned beacon round must come after the commitment",
        )
    chain = beacon_chain(beacon)
    pin = Pin(chain, round_after(chain, ceremony_at, timedelta(seconds=beacon.margin_seconds)))
    salt_key = secrets.token(32)
    prep = prepare(gathered.inputs, algorithm=DR2, salt_key=salt_key)
    attempt = (previous.attempt + 1) if previous else 1
    supersedes = (
        {"attempt": previous.attempt, "reason": supersede_reason}
        if previous and supersede_reason
        else None
    )
    commitment = build_commitment_dr2(
        prep,
        attempt=attempt,
        versions=gathered.versions,
        pin=pin,
        dice_expected=plan.dice,
        prepared_at=now,
        ceremony_at=ceremony_at,
        supersedes=supersedes,
    )
    data, commitment_hash = commitment_bytes(commitment)
    row = _record_prepared(
        session,
        gathered,
        prep,
        previous,
        attempt=attempt,
        algorithm=DR2,
        secret_hash="",
        entropy_source="beacon",
        commitment=data,
        commitment_hash=commitment_hash,
        now=now,
        supersede_reason=supersede_reason if supersedes else None,
        files={SALT_KEY_FILE: salt_key.hex().encode("ascii") + b"\n"},
    )
    audit.append(
        session,
        "draw.prepare",
        f"{plan.id}#{attempt}",
        {
            "commitment_hash": commitment_hash,
            "supersedes": supersedes,
            "algorithm": DR2,
            "beacon": {
                "chain": chain.chain_hash,
                "label": chain.label,
                "demo": chain.is_demo,
                "round": pin.round,
                "round_time": commitment["beacon"]["round_time"],
            },
            "dice_expected": plan.dice,
            "ceremony_at": commitment["ceremony_at"],
        },
        actor=actor,
        at=now,
    )
    return Prepared(row, prep, "")


def _record_prepared(
    session: Session,
    gathered: Gathered,
    prep: Preparation,
    previous: DrawRow | None,
    *,
    attempt: int,
    algorithm: str,
    secret_hash: str,
    entropy_source: str,
    commitment: bytes,
    commitment_hash: str,
    now: datetime,
    supersede_reason: str | None,
    files: dict[str, bytes],
) -> DrawRow:
    """The draws row of a new commitment and its stored files (both algorithms);
    an earlier attempt still waiting to be run is withdrawn."""
    if previous and previous.state == DrawState.PREPARED:
        previous.state = DrawState.WITHDRAWN
    row = DrawRow(
        plan_id=gathered.inputs.plan.id,
        attempt=attempt,
        state=DrawState.PREPARED,
        algorithm=algorithm,
        objects_version=gathered.versions["objects"],
        inspectors_version=gathered.versions["inspectors"],
        conflicts_version=gathered.versions["conflicts"],
        plan_digest=prep.digests.plan,
        objects_digest=prep.digests.objects,
        inspectors_digest=prep.digests.inspectors,
        conflicts_digest=prep.digests.conflicts,
        history_digest=prep.digests.history,
        secret_hash=secret_hash,
        entropy_source=entropy_source,
        commitment=commitment.decode("utf-8"),
        commitment_hash=commitment_hash,
        prepared_at=now,
        supersedes_id=previous.id if supersede_reason is not None and previous else None,
        supersede_reason=supersede_reason or "",
    )
    session.add(row)
    session.flush()
    _store_files(
        session,
        row.id,
        {
            "commitment.json": commitment,
            "plan.json": prep.plan_bytes,
            "history.tsv": prep.history.data,
            **files,
        },
    )
    return row


def _check_may_prepare(plan_id: str, previous: DrawRow | None, reason: str | None) -> None:
    if reason is not None and not reason.strip():
        raise DrawStateError(
            "--reason 须写明为何作废此前的抽取",
            "--reason must say why the earlier draw is superseded",
        )
    if previous is None:
        if reason is not None:
            raise DrawStateError(
                f"计划 {plan_id} 没有可作废的此前抽取",
                f"plan {plan_id} has no earlier draw to supersede",
            )
        return
    if reason is None:
        drawn = previous.state == DrawState.DRAWN
        done = "was drawn" if drawn else "is already prepared"
        raise DrawStateError(
            f"计划 {plan_id} 第 {previous.attempt} 次抽取{'已完成' if drawn else '已准备'}；"
            "只能用 --supersede --reason 说明理由后重新抽取，两次抽取都保留在公开记录中",
            f"plan {plan_id} {done} (attempt {previous.attempt}); a new draw is possible only "
            "with --supersede --reason TEXT, and both stay on public record",
        )


@paused
def run_draw(
    session: Session,
    plan_id: str,
    entropy: str,
    *,
    secrets: SecretStore,
    now: datetime,
    actor: str,
    beacon_round: bytes | None = None,
    allow_demo: bool = False,
    dice_at: datetime | None = None,
    engine: str = "python",
) -> tuple[DrawRow, DrawResult]:
    """Derive the seed and draw; refuses if inputs changed.

    DR-2 (the draw's ``algorithm``): ``entropy`` is the witnesses' dice as
    typed ("" when the commitment expects none) and ``beacon_round`` the
    pinned round's JSON from any relay or file, accepted only if it is the
    pinned round of the pinned chain and its signature verifies (the demo
    chain only with ``allow_demo``); ``dice_at`` is when the dice were
    recorded (default ``now``), which must be before the round's time. DR-1:
    ``entropy`` is the public value, and the operator secret is revealed."""
    row = prepared_draw(session, plan_id)
    check_engine(session, engine, row.algorithm)
    if row.algorithm == DR2:
        return _run_dr2(
            session,
            row,
            entropy,
            beacon_round,
            now=now,
            dice_at=dice_at or now,
            actor=actor,
            allow_demo=allow_demo,
        )
    entropy = public_entropy(entropy)
    in_database = engine == "postgresql"
    # The objects' digests are made alongside, from every stored field; the draw
    # itself reads no name or address (registry.parallel).
    gathered = gather(session, plan_id, objects=not in_database, digests=row.algorithm)
    prep = _prepare_dr1(session, gathered, in_database)
    _check_unchanged(row, gathered.versions, prep)
    secret = secrets.load(plan_id, row.attempt)
    if secret_commitment(secret) != row.secret_hash:
        raise IntegrityError(
            f"{secrets.path(plan_id, row.attempt)} 中的操作员密钥与承诺不符",
            f"the secret in {secrets.path(plan_id, row.attempt)} does not match the commitment",
        )
    seed = derive_seed(prep.digests, entropy, secret)
    if in_database:
        result = draw_pg(session, prep, gathered.versions["objects"], seed)
    else:
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


def _prepare_dr1(session: Session, gathered: Gathered, in_database: bool) -> Preparation:
    if in_database:
        return prepare_pg(session, gathered.inputs, gathered.versions["objects"])
    return prepare(gathered.inputs, object_digests=gathered.object_digests)


def dice_expected(row: DrawRow) -> bool:
    """Whether a DR-2 draw's commitment expects the witnesses' dice."""
    return row.algorithm == DR2 and bool(json.loads(row.commitment)["dice"]["expected"])


def _run_dr2(
    session: Session,
    row: DrawRow,
    typed_dice: str,
    raw_round: bytes | None,
    *,
    now: datetime,
    dice_at: datetime,
    actor: str,
    allow_demo: bool,
) -> tuple[DrawRow, DrawResult]:
    commitment = json.loads(row.commitment)
    pin = beacon_pin(commitment)
    expected = bool(commitment["dice"]["expected"])
    dice = record_dice(typed_dice, expected)
    if expected and dice_at >= pin.time:
        raise DrawStateError(
            f"骰子须在锁定的信标轮次产生（{pin.time.isoformat()}）之前记录；现在已是 "
            f"{dice_at.isoformat()}，掷骰结果可能是看到信标后选定的。请以 --supersede --reason "
            "重新准备（公开记录）",
            f"the dice must be recorded before the pinned round's time ({pin.time.isoformat()}); "
            f"they were recorded at {dice_at.isoformat()}, so they could have been chosen after "
            "seeing the beacon. "
            "Prepare again with --supersede --reason TEXT (on public record)",
        )
    if now < pin.time:
        raise DrawStateError(
            f"锁定的信标第 {pin.round} 轮将于 {pin.time.isoformat()} 产生，现在（{now.isoformat()}）"
            "尚不存在；请在该时刻之后抽取",
            f"the pinned beacon round {pin.round} will be produced at {pin.time.isoformat()}; "
            f"it does not exist yet ({now.isoformat()}). Draw after that time",
        )
    if raw_round is None:
        raise DrawStateError(
            f"没有提供锁定的第 {pin.round} 轮信标数据",
            f"the pinned beacon round {pin.round} was not given",
        )
    # Every check of the round but its signature's here; the objects' digests and the
    # signature are made by a second process meanwhile (registry.parallel), from rows
    # held still from here on. A refused round is reported before anything else.
    beacon = admit_round(pin, raw_round, allow_demo=allow_demo)
    alongside = start_digests(session, DR2, signed=(pin, beacon, raw_round))
    try:
        prep = _prepare_again(session, row, alongside)
    except Exception:
        alongside.check_round()
        raise
    alongside.check_round()
    seed = derive_seed_dr2(row.commitment_hash, beacon.randomness, dice, expected)
    result = draw(prep, seed)
    _record_dr2(session, row, result, dice=dice, raw_round=raw_round, now=now)
    audit.append(
        session,
        "draw.run",
        f"{row.plan_id}#{row.attempt}",
        {
            "algorithm": DR2,
            "beacon_round": beacon.number,
            "beacon_randomness": beacon.randomness.hex(),
            "beacon_chain": pin.chain.chain_hash,
            "demo": pin.chain.is_demo,
            "dice": dice,
            "seed": seed.hex(),
            "result_digest": result.digest,
            "visits": len(result.visits),
            "supersedes_attempt": _superseded_attempt(session, row),
        },
        actor=actor,
        at=now,
    )
    return row, result


@dataclass(frozen=True)
class RecordedDice:
    dice: str
    at: datetime


def record_ceremony_dice(
    session: Session, row: DrawRow, typed: str, *, now: datetime, actor: str
) -> RecordedDice:
    """Record the witnesses' dice of a prepared DR-2 draw in the audit log, before the
    pinned round's time, so that a draw interrupted later (a relay down) runs with them."""
    pin = beacon_pin(json.loads(row.commitment))
    dice = record_dice(typed, dice_expected(row))
    if now >= pin.time:
        raise DrawStateError(
            f"信标第 {pin.round} 轮已于 {pin.time.isoformat()} 产生，骰子必须在此之前记录；"
            "请以 --supersede --reason 重新准备（公开记录）",
            f"beacon round {pin.round} was produced at {pin.time.isoformat()}; the dice must be "
            "recorded before it. Prepare again with --supersede --reason TEXT (on public record)",
        )
    audit.append(
        session,
        "draw.dice",
        f"{row.plan_id}#{row.attempt}",
        {"dice": dice, "commitment_hash": row.commitment_hash, "beacon_round": pin.round},
        actor=actor,
        at=now,
    )
    return RecordedDice(dice, now)


def recorded_ceremony_dice(session: Session, row: DrawRow) -> RecordedDice | None:
    """The dice last recorded for this draw by :func:`record_ceremony_dice`, if any."""
    entry = session.scalars(
        select(AuditEntryRow)
        .where(AuditEntryRow.action == "draw.dice", AuditEntryRow.subject == f"{row.plan_id}#{row.attempt}")
        .order_by(AuditEntryRow.seq.desc())
        .limit(1)
    ).first()
    if entry is None:
        return None
    payload = json.loads(entry.payload)
    if payload.get("commitment_hash") != row.commitment_hash:
        return None
    at = as_utc(entry.at)
    return RecordedDice(payload["dice"], at)


def _prepare_again(session: Session, row: DrawRow, alongside: Alongside) -> Preparation:
    """The DR-2 preparation from today's inputs; refuses unless it gives exactly
    the committed digests.

    The risk-class root is not made again (a SHA-256 Merkle leaf per object):
    the draw does not read the salt key or the root, and the ids and risk
    classes under the root are those of the object digest checked here. The
    salt key is checked against the root where it is used (the auditor
    bundle and its verification)."""
    gathered = gather(session, row.plan_id, digests=DR2, alongside=alongside)  # as in run_draw
    prep = prepare(
        gathered.inputs, algorithm=DR2, risk_root=False, object_digests=gathered.object_digests
    )
    _check_unchanged(row, gathered.versions, prep)
    commitment: dict[str, Any] = json.loads(row.commitment)
    assert prep.committed is not None
    now = prep.committed.as_json()
    was = commitment["digests"]
    changed = sorted(name for name in was if was[name] != now.get(name))
    if changed:
        raise _inputs_changed(row, changed)
    return prep


def _record_dr2(
    session: Session,
    row: DrawRow,
    result: DrawResult,
    *,
    dice: str,
    raw_round: bytes,
    now: datetime,
) -> None:
    row.state, row.entropy = DrawState.DRAWN, dice
    row.seed, row.result_digest, row.drawn_at = result.seed.hex(), result.digest, now
    if row.supersedes_id is not None:
        _supersede(session, row, now)
    audit_files = result.files()
    public = {n: data for n, data in result.public_files().items() if n not in audit_files}
    if any(audit_files[n] != data for n, data in result.public_files().items() if n in audit_files):
        raise IntegrityError(
            "某个公开文件与同名的审计文件不一致",
            "a public file differs from the audit file of the same name",
        )
    _store_files(session, row.id, {BEACON_ROUND_FILE: raw_round, **public})
    _store_rows(session, row, result, now)


def _inputs_changed(row: DrawRow, changed: list[str]) -> DrawStateError:
    return DrawStateError(
        f"自 draw prepare 以来 {'、'.join(changed)} 已变化（计划 {row.plan_id} 第 {row.attempt} 次"
        "抽取），承诺已不成立；请用 --supersede --reason 理由 重新准备",
        f"{', '.join(changed)} changed since 'draw prepare' of {row.plan_id} "
        f"(attempt {row.attempt}); the commitment no longer holds. Prepare again with "
        "--supersede --reason TEXT",
    )


def prepared_draw(session: Session, plan_id: str) -> DrawRow:
    """The plan's draw waiting to be run; DrawStateError says what to do if there is none.

    ``draw run`` asks this before it asks anyone for the entropy."""
    row = latest_draw(session, plan_id)
    if row is None or row.state != DrawState.PREPARED:
        state = "has no draw" if row is None else f"attempt {row.attempt} is {row.state}"
        zh = "没有抽取" if row is None else f"第 {row.attempt} 次抽取的状态是{DrawState(row.state).label}"
        again = " --supersede --reason 理由" if row is not None else ""
        raise DrawStateError(
            f"计划 {plan_id} {zh}；请先运行 dualrandom draw prepare {plan_id}{again}",
            f"plan {plan_id} {state}; run 'dualrandom draw prepare {plan_id}' first"
            + (" with --supersede --reason TEXT" if row is not None else ""),
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
        raise _inputs_changed(row, changed)


def _record(
    session: Session, row: DrawRow, result: DrawResult, *, secret: bytes, entropy: str, now: datetime
) -> None:
    row.state, row.secret, row.entropy = DrawState.DRAWN, secret.hex(), entropy
    row.seed, row.result_digest, row.drawn_at = result.seed.hex(), result.digest, now
    if row.supersedes_id is not None:
        _supersede(session, row, now)
    _store_rows(session, row, result, now)


def _store_rows(session: Session, row: DrawRow, result: DrawResult, now: datetime) -> None:
    """The audit files and the visits, team members and inspection tasks of a drawn draw."""
    with larger_page_cache(session):
        _store_files(session, row.id, result.files())
        _store_visits(session, row, result, now)


def _store_visits(session: Session, row: DrawRow, result: DrawResult, now: datetime) -> None:
    strata: dict[str, set[str]] = {}
    for selected in result.selected:
        strata.setdefault(selected.object_id, set()).add(selected.stratum)
    visits, members = result.visits, [(v.number, m) for v in result.visits for m in v.team]
    numbers, objects = [v.number for v in visits], [v.object_id for v in visits]
    # A column at a time, in bulk (dualrandom.bulk): a provincial batch has 50,000
    # visits, 100,000 team members and 50,000 tasks.
    _insert(
        session,
        DrawVisitRow,
        {"draw_id": row.id},
        number=numbers,
        object_id=objects,
        ticket=[f"{v.ticket:016x}" for v in visits],
        items=[";".join(v.items) for v in visits],
        departments=[";".join(v.departments) for v in visits],
        strata=[";".join(sorted(strata[v.object_id])) for v in visits],
    )
    _insert(
        session,
        DrawMemberRow,
        {"draw_id": row.id},
        visit=[number for number, _ in members],
        slot=[m.slot for _, m in members],
        cert_no=[m.officer for _, m in members],
        department=[m.department for _, m in members],
        role=[m.role for _, m in members],
        position=[m.position for _, m in members],
    )
    _insert(
        session,
        InspectionTaskRow,
        {"draw_id": row.id},
        visit=numbers,
        object_id=objects,
        updated_at=[now] * len(visits),
    )


def _insert(
    session: Session, model: type[Base], constants: dict[str, Any], **columns: list[Any]
) -> None:
    """The rows given as ``columns`` (one list each), every row with the ``constants``
    and the model's own defaults for the rest (as the ORM would give them)."""
    if not next(iter(columns.values())):
        return
    table: Table = model.__table__  # type: ignore[assignment]
    inserter(session, table, list(columns), constants)(list(columns.values()))


def _supersede(session: Session, row: DrawRow, now: datetime) -> None:
    """Mark the earlier draw superseded and cancel its open inspection tasks."""
    earlier = session.get(DrawRow, row.supersedes_id)
    if earlier is None or earlier.state != DrawState.DRAWN:
        return
    earlier.state = DrawState.SUPERSEDED
    reason = f"draw superseded by attempt {row.attempt}: {row.supersede_reason}"
    # One statement: a provincial batch has 50,000 tasks (as ORM objects, about 2 s).
    session.execute(
        update(InspectionTaskRow)
        .where(
            InspectionTaskRow.draw_id == earlier.id,
            InspectionTaskRow.state.not_in(("published", "cancelled")),
        )
        .values(state="cancelled", reason=reason, updated_at=now)
    )


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


def latest_draws(session: Session, plan_ids: Collection[str]) -> dict[str, DrawRow]:
    """:func:`latest_draw` of each of ``plan_ids`` that has one, in one query."""
    if not plan_ids:
        return {}
    query = (
        select(DrawRow)
        .where(DrawRow.plan_id.in_(sorted(plan_ids)))
        .order_by(DrawRow.plan_id, DrawRow.attempt)
    )
    return {row.plan_id: row for row in session.scalars(query)}  # the last attempt stays


def plan_draws(session: Session, plan_id: str) -> list[DrawRow]:
    """Every attempt of the plan's draw, latest first: superseded and withdrawn ones too."""
    query = select(DrawRow).where(DrawRow.plan_id == plan_id).order_by(DrawRow.attempt.desc())
    return list(session.scalars(query))


def _attempt_query(numbered: bool) -> Select[DrawRow]:
    query = select(DrawRow).where(DrawRow.plan_id == bindparam("plan_id"))
    if numbered:
        query = query.where(DrawRow.attempt == bindparam("attempt"))
    return query.order_by(DrawRow.attempt.desc()).limit(1)


# Built once: a console page asks for a plan's draw on nearly every request.
_ATTEMPT = {numbered: _attempt_query(numbered) for numbered in (False, True)}


def _attempt(session: Session, plan_id: str, attempt: int | None) -> DrawRow | None:
    query = _ATTEMPT[attempt is not None]
    return session.scalars(query, {"plan_id": plan_id, "attempt": attempt}).first()


def get_draw(session: Session, plan_id: str, attempt: int | None = None) -> DrawRow:
    """The latest (or the given) attempt of a plan's draw."""
    row = _attempt(session, plan_id, attempt)
    if row is None:
        count = session.scalar(
            select(func.count()).select_from(DrawRow).where(DrawRow.plan_id == plan_id)
        )
        what = f"attempt {attempt}" if attempt is not None and count else "no draw"
        zh = f"没有第 {attempt} 次抽取" if attempt is not None and count else "还没有抽取"
        raise NotFoundError(
            f"计划 {plan_id!r} {zh}；请运行 dualrandom draw prepare {plan_id}",
            f"plan {plan_id!r} has {what}; run 'dualrandom draw prepare {plan_id}'",
        )
    return row
