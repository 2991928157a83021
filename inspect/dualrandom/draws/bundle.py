"""The bundle: every file an outsider needs to check a draw (docs/BUNDLE.md).

Two tiers. The **public** bundle lets anyone check the seed, every published
ticket and the selection in every stratum whose attributes are public; it
holds no risk class, no inspector data and no history (which names
officers). The **auditor** bundle adds what it takes to re-run the whole
draw, teams included. Both carry ``verify.py``, a standalone checker that
needs only the Python standard library, and a SHA-256 manifest.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from dualrandom import audit
from dualrandom.core import DR2, objects_snapshot
from dualrandom.core.canonical import conflicts_snapshot, inspectors_snapshot
from dualrandom.core.encoding import escape, join_lines, split_lines, unescape
from dualrandom.core.model import ConflictRecord, InspectorRecord
from dualrandom.draws import bundle_dr2
from dualrandom.draws._inputs import draw_files, draw_registries
from dualrandom.draws.bundle_dr2 import MANIFEST, manifest
from dualrandom.draws.protocol import get_draw
from dualrandom.draws.states import DrawState
from dualrandom.draws.stored import dr2_draw_values
from dualrandom.errors import DrawStateError, IntegrityError
from dualrandom.tables import DrawRow

__all__ = ["TIERS", "ExportReport", "export_bundle", "public_strata"]

TIERS = ("public", "auditor")
RESULT_FILES = ("quotas.tsv", "result.tsv", "reserve.tsv", "exclusions.tsv", "outside.tsv")
INTERNAL_HEADER = ("item", "id", "ticket")


@dataclass(frozen=True, slots=True)
class ExportReport:
    path: Path
    tier: str
    files: int
    bytes: int


def export_bundle(
    session: Session,
    plan_id: str,
    out: Path,
    *,
    tier: str = "public",
    attempt: int | None = None,
    dr1_public_with_personal_data: bool = False,
    snapshot: bool = True,
) -> ExportReport:
    """Write the bundle of a drawn (or superseded) draw into the folder ``out``.

    The folder is built beside ``out`` and moved into place at the end, so a
    crash leaves either the previous bundle or the new one, never half of one.

    The public tier of a DR-1 draw is refused: DR-1 pins the SHA-256 of a public
    snapshot that holds every object's name and address, so its public bundle
    cannot leave them out (issue 9). ``dr1_public_with_personal_data`` writes it
    all the same, only to test the verifiers on the DR-1 public bundles already
    published; nothing that publishes passes it.

    ``snapshot=False`` leaves a DR-2 bundle's ``objects-public.tsv.gz`` out: the
    notice site publishes it once per registry version (docs/BUNDLE.md), and the
    verifiers take it with ``--snapshot``. MANIFEST.sha256 never lists it, so the
    other files are the same either way.
    """
    if tier not in TIERS:
        raise DrawStateError(
            f"数据包级别 {tier!r} 应为 {'、'.join(TIERS)} 之一",
            f"tier {tier!r} is not one of {', '.join(TIERS)}",
        )
    row = get_draw(session, plan_id, attempt)
    if row.state not in (DrawState.DRAWN, DrawState.SUPERSEDED):
        raise DrawStateError(
            f"计划 {plan_id} 第 {row.attempt} 次抽取的状态是{DrawState(row.state).label}，"
            "尚未抽取，没有可导出的数据包",
            f"plan {plan_id} attempt {row.attempt} is {row.state}, not drawn; nothing to export",
        )
    if row.algorithm != DR2 and tier == "public" and not dr1_public_with_personal_data:
        raise DrawStateError(
            f"计划 {plan_id} 第 {row.attempt} 次抽取使用 DR-1 算法，其公开数据包必须包含全部检查对象的"
            "名称和地址（个体工商户的名称就是个人姓名），因此不再提供公开数据包。"
            "请导出审计数据包（--tier auditor），交纪检监察等有权核验的机构核验",
            f"plan {plan_id} attempt {row.attempt} was drawn with DR-1, whose public bundle "
            "must carry every object's name and address (a 个体工商户's name is a person's "
            "name), so none is written; export the auditor tier (--tier auditor) for those "
            "entitled to check it",
        )
    files = (
        _dr2_bundle_files(session, row, tier)
        if row.algorithm == DR2
        else _bundle_files(session, row, tier)
    )
    if not snapshot and row.algorithm == DR2:
        del files[bundle_dr2.SNAPSHOT_FILE]
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for name, data in files.items():
            (staging / name).write_bytes(data)
        if out.exists():
            shutil.rmtree(out)
        staging.replace(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return ExportReport(out, tier, len(files), sum(len(d) for d in files.values()))


def _dr2_bundle_files(session: Session, row: DrawRow, tier: str) -> dict[str, bytes]:
    """docs/BUNDLE.md Part II, plus the files that anchor the draw in the audit log."""
    files = bundle_dr2.bundle_files(dr2_draw_values(session, row), tier)
    del files[MANIFEST]
    files |= audit.bundle_anchor(session, row)  # checkpoint.json, inclusion.json (docs/AUDIT.md)
    files[MANIFEST] = manifest(files)
    return files


def _bundle_files(session: Session, row: DrawRow, tier: str) -> dict[str, bytes]:
    stored = draw_files(session, row.id)
    commitment = json.loads(stored["commitment.json"])
    records, inspectors, conflicts = draw_registries(session, row)
    objects = objects_snapshot(records)
    if objects.digest != row.objects_digest:
        raise IntegrityError(
            f"检查对象名录库第 {row.objects_version} 版的摘要已与计划 {row.plan_id} 承诺的不一致",
            f"objects version {row.objects_version} no longer has the digest committed by {row.plan_id}",
        )
    files: dict[str, bytes] = {
        "bundle.json": _bundle_json(row, tier),
        "commitment.json": stored["commitment.json"],
        "plan.json": stored["plan.json"],
        "objects-public.tsv": objects.public_bytes,
        "quotas.tsv": stored["quotas.tsv"],
        "outside.tsv": stored["outside.tsv"],
    }
    if tier == "auditor":
        files |= {
            name: stored[name]
            for name in ("result.tsv", "reserve.tsv", "exclusions.tsv", "teams.tsv", "history.tsv")
        }
        files |= _auditor_registries(row, inspectors, conflicts, objects.internal_bytes)
    else:
        hidden = {name for name, public in public_strata(commitment).items() if not public}
        files |= _public_results(stored, hidden)
    files["verify.py"] = (
        resources.files("dualrandom.draws").joinpath("verify_standalone.py").read_bytes()
    )
    files["README.txt"] = (
        resources.files("dualrandom.draws").joinpath("bundle_readme.txt").read_bytes()
    )
    files |= audit.bundle_anchor(session, row)  # checkpoint.json, inclusion.json (docs/AUDIT.md)
    files[MANIFEST] = manifest(files)
    return files


def _bundle_json(row: DrawRow, tier: str) -> bytes:
    document: dict[str, Any] = {
        "algorithm": row.algorithm,
        "tier": tier,
        "plan": row.plan_id,
        "attempt": row.attempt,
        "state": row.state,
        "entropy": row.entropy,
        "secret": row.secret,
        "seed": row.seed,
        "result_digest": row.result_digest,
        "supersede_reason": row.supersede_reason or None,
    }
    return (json.dumps(document, ensure_ascii=False, sort_keys=True, indent=1) + "\n").encode(
        "utf-8"
    )


def _auditor_registries(
    row: DrawRow,
    inspectors: Sequence[InspectorRecord],
    conflicts: Sequence[ConflictRecord],
    internal: bytes,
) -> dict[str, bytes]:
    officers, declared = inspectors_snapshot(inspectors), conflicts_snapshot(conflicts)
    if (officers.digest, declared.digest) != (row.inspectors_digest, row.conflicts_digest):
        raise IntegrityError(
            f"计划 {row.plan_id} 所用的执法检查人员名录库或回避名单版本已与其摘要不一致",
            f"the inspector or conflict registry version of {row.plan_id} no longer matches its digest",
        )
    return {
        "objects-internal.tsv": internal,
        "inspectors.tsv": officers.data,
        "conflicts.tsv": declared.data,
    }


def public_strata(commitment: dict[str, Any]) -> dict[str, bool]:
    """Stratum name -> whether its membership can be checked from public data."""
    return {q["stratum"]: bool(q["publicly_verifiable"]) for q in commitment["quotas"]}


def _public_results(stored: dict[str, bytes], hidden: set[str]) -> dict[str, bytes]:
    """Drop the rows of risk-class strata from the result files; list their
    drawn objects (item, id, ticket) without stratum or rank instead."""
    out: dict[str, bytes] = {}
    internal: list[tuple[str, str, str]] = []
    for name, header in (
        ("result.tsv", ("stratum", "item", "rank", "id", "ticket")),
        ("reserve.tsv", ("stratum", "item", "rank", "id", "ticket")),
        ("exclusions.tsv", ("stratum", "item", "id", "reasons")),
    ):
        kept = []
        for fields in split_lines(stored[name], header, name):
            if unescape(fields[0]) not in hidden:
                kept.append("\t".join(fields))
            elif name == "result.tsv":
                internal.append((unescape(fields[1]), unescape(fields[3]), fields[4]))
        out[name] = join_lines(header, kept)
    out["result-internal-strata.tsv"] = join_lines(
        INTERNAL_HEADER, (f"{escape(i)}\t{escape(o)}\t{t}" for i, o, t in sorted(internal))
    )
    return out

