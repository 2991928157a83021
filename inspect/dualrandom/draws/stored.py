"""A stored draw taken up again: its preparation, and everything a DR-2 bundle is made of.

:func:`stored_preparation` re-prepares a stored draw from its own plan.json
and history.tsv and the registries as of the versions it recorded (DR-2 with
its stored salt key), and refuses unless that gives exactly what the draw
committed to. :func:`dr2_draw_values` gathers a drawn DR-2 draw's values for
its verification bundle: the commitment, the snapshots rebuilt from the
registry versions the commitment names (each checked against its committed
digest), the beacon round as obtained, the dice, the salt key (auditors
only) and the audit and public files.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualrandom.core import DR2, Preparation, prepare
from dualrandom.core.public import PUBLIC_FILE_NAMES, public_digest
from dualrandom.core.result import FILE_NAMES, internal_digest, result_digest_dr2
from dualrandom.db import as_utc
from dualrandom.draws._inputs import draw_files, stored_inputs
from dualrandom.draws.addendum import REASONS, SubstitutionRound, chain_heads, reason_code
from dualrandom.draws.bundle_dr2 import Dr2Draw
from dualrandom.draws.protocol import BEACON_ROUND_FILE, SALT_KEY_FILE
from dualrandom.draws.states import DrawState
from dualrandom.errors import DrawStateError, IntegrityError
from dualrandom.tables import AuditEntryRow, DrawRow

__all__ = ["dr2_draw_values", "stored_preparation", "stored_salt_key", "stored_substitutions"]


def stored_salt_key(session: Session, row: DrawRow) -> bytes:
    """The risk-class salt key K a DR-2 draw was prepared with (auditor tier only)."""
    data = draw_files(session, row.id, [SALT_KEY_FILE]).get(SALT_KEY_FILE)
    if data is None:
        raise IntegrityError(
            f"计划 {row.plan_id} 第 {row.attempt} 次抽取缺少风险分类盐值密钥 {SALT_KEY_FILE}",
            f"draw {row.plan_id}#{row.attempt} lacks its risk salt key {SALT_KEY_FILE}",
        )
    return bytes.fromhex(data.decode("ascii").strip())


def stored_preparation(session: Session, row: DrawRow) -> Preparation:
    """The preparation of the stored draw ``row``, from its own files and registry
    versions; IntegrityError unless it gives the committed digests (and, DR-2, risk root)."""
    inputs = stored_inputs(session, row)
    if row.algorithm != DR2:
        prep = prepare(inputs)
    else:
        prep = prepare(inputs, algorithm=DR2, salt_key=stored_salt_key(session, row))
        commitment = json.loads(row.commitment)
        assert prep.committed is not None and prep.risk is not None
        again = {**prep.committed.as_json(), "risk_commitment": prep.risk.as_json()}
        was = {**commitment["digests"], "risk_commitment": commitment["risk_commitment"]}
        changed = sorted(name for name in was if again.get(name) != was[name])
        if changed:
            raise IntegrityError(
                f"抽取 {row.plan_id}#{row.attempt} 的存储输入得不出其承诺的摘要：{', '.join(changed)}",
                f"the stored inputs of draw {row.plan_id}#{row.attempt} do not give its committed "
                f"digests: {', '.join(changed)}",
            )
    return prep


def dr2_draw_values(session: Session, row: DrawRow) -> Dr2Draw:
    """The values of a drawn (or superseded) DR-2 draw for its bundle; the snapshots
    are rebuilt from the registry versions it recorded and checked against the
    committed digests (:func:`stored_preparation`)."""
    if row.algorithm != DR2:
        raise DrawStateError(
            f"抽取 {row.plan_id}#{row.attempt} 不是 DR-2 抽取", f"draw {row.plan_id}#{row.attempt} is not DR-2"
        )
    if row.state not in (DrawState.DRAWN, DrawState.SUPERSEDED):
        raise DrawStateError(
            f"抽取 {row.plan_id}#{row.attempt} 尚未抽取（{row.state}）",
            f"draw {row.plan_id}#{row.attempt} has not been drawn ({row.state})",
        )
    prep = stored_preparation(session, row)
    files = draw_files(session, row.id)
    missing = [n for n in ("commitment.json", BEACON_ROUND_FILE, *FILE_NAMES) if n not in files]
    if missing:
        raise IntegrityError(
            f"抽取 {row.plan_id}#{row.attempt} 缺少文件 {', '.join(missing)}",
            f"draw {row.plan_id}#{row.attempt} lacks the file(s) {', '.join(missing)}",
        )
    return Dr2Draw(
        commitment=files["commitment.json"],
        plan=prep.plan_bytes,
        objects_public=prep.objects.public_bytes,
        objects_internal=prep.objects.internal_bytes,
        inspectors=prep.inspectors.data,
        conflicts=prep.conflicts.data,
        history=prep.history.data,
        beacon_round=files[BEACON_ROUND_FILE],
        dice=row.entropy or "",
        salt_key=stored_salt_key(session, row),
        audit_files={name: files[name] for name in FILE_NAMES},
        public_files=_public_files(files, row),
        attempt=row.attempt,
        substitutions=_chained(session, row, files),
    )


def _chained(
    session: Session, row: DrawRow, files: Mapping[str, bytes]
) -> tuple[SubstitutionRound, ...]:
    """The stored substitutions, refused unless each gives the head its log entry recorded."""
    rounds = stored_substitutions(session, row)
    assert row.result_digest is not None
    heads = chain_heads(rounds, files["selection.tsv"], row.result_digest)
    for n, (recorded, head) in enumerate(zip(_recorded_heads(session, row), heads, strict=True)):
        if recorded is not None and recorded != head:
            raise IntegrityError(
                f"抽取 {row.plan_id}#{row.attempt} 的第 {n + 1} 次替补与其审计记录的链值不符",
                f"substitution {n + 1} of {row.plan_id}#{row.attempt} does not give the chain "
                "head its audit entry recorded",
            )
    return rounds


def _entries(session: Session, row: DrawRow) -> list[AuditEntryRow]:
    return list(
        session.scalars(
            select(AuditEntryRow)
            .where(
                AuditEntryRow.action == "draw.substitute",
                AuditEntryRow.subject == f"{row.plan_id}#{row.attempt}",
            )
            .order_by(AuditEntryRow.seq)
        )
    )


def _recorded_heads(session: Session, row: DrawRow) -> list[str | None]:
    return [json.loads(e.payload).get("chain") for e in _entries(session, row)]


def stored_substitutions(session: Session, row: DrawRow) -> tuple[SubstitutionRound, ...]:
    """The substitutions of a draw as its ``draw.substitute`` audit entries recorded
    them, in log order (SPEC §26): when, the allowed reason, who, the replacements."""
    rounds = []
    for entry in _entries(session, row):
        payload = json.loads(entry.payload)
        reason = reason_code(str(payload.get("reason", "")))
        if reason is None:
            raise IntegrityError(
                f"抽取 {row.plan_id}#{row.attempt} 的替补记录（审计日志第 {entry.seq} 条）原因"
                f"不是 {'、'.join(REASONS)} 之一",
                f"the substitution of {row.plan_id}#{row.attempt} (audit entry {entry.seq}) "
                f"has a reason that is not one of {', '.join(REASONS)}",
            )
        at = as_utc(entry.at)
        rounds.append(
            SubstitutionRound(
                at=at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                reason=reason,
                actor=entry.actor,
                replacements=tuple(
                    (r["stratum"], r["item"], r["removed"], r["replacement"], r["visit"])
                    for r in payload["replacements"]
                ),
            )
        )
    return tuple(rounds)


def _public_files(files: Mapping[str, bytes], row: DrawRow) -> dict[str, bytes]:
    """The draw's public files (SPEC §21). ``outside.tsv`` is stored once, for the
    audit tier; it is public as well exactly when no stratum uses the risk class
    (§21.6), and the result digest the run recorded, which covers the public files
    (§22), says which of the two it was."""
    public = {n: files[n] for n in PUBLIC_FILE_NAMES if n in files and n != "outside.tsv"}
    internal = internal_digest({name: files[name] for name in FILE_NAMES})
    for candidate in (public, public | {"outside.tsv": files["outside.tsv"]}):
        if result_digest_dr2(public_digest(candidate), internal) == row.result_digest:
            return candidate
    raise IntegrityError(
        f"抽取 {row.plan_id}#{row.attempt} 存储的结果文件与记录的结果摘要不一致",
        f"the stored result files of {row.plan_id}#{row.attempt} do not give its recorded result digest",
    )
