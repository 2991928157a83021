"""Every registry version against its digest, recomputed from the stored rows.

The objects, inspector and conflict registries keep every version's rows
(``version_from``/``version_to``), so each version's canonical snapshot can
be rebuilt and hashed (:func:`dualrandom.registry.snapshot.registry_digest`,
the one definition of the digest). Departments are upserted, not versioned:
only their latest version can be recomputed. A DR-1 draw's committed input
digests are its registry versions' digests, so the draw row's version
numbers are checked too.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualrandom.audit import Finding
from dualrandom.core import DR2, combine_object_digests, conflicts_snapshot, inspectors_snapshot
from dualrandom.registry.snapshot import (
    conflict_table_as_of,
    inspectors_as_of,
    object_digests,
    registry_digest,
)
from dualrandom.tables import DrawRow, RegistryVersionRow

__all__ = ["VERSIONED", "draw_version_findings", "registry_findings"]

VERSIONED = ("objects", "inspectors", "conflicts")


def registry_findings(session: Session) -> list[Finding]:
    """Every stored version whose rows no longer give its digest."""
    versions = list(
        session.scalars(
            select(RegistryVersionRow).order_by(RegistryVersionRow.kind, RegistryVersionRow.number)
        )
    )
    latest_departments = max((v.number for v in versions if v.kind == "departments"), default=None)
    findings = []
    for version in versions:
        if version.kind not in VERSIONED and version.number != latest_departments:
            continue  # an earlier department list is not kept
        try:
            digest = registry_digest(
                session, version.kind, version.number if version.kind in VERSIONED else None
            )
        except ValueError as exc:  # a row no import would have accepted
            findings.append(
                Finding(
                    "registry.invalid",
                    "registry_versions",
                    f"{version.kind} v{version.number}",
                    "rows",
                    "valid rows",
                    str(exc),
                    f"名录库该版本的存储数据中有无效的行：{exc}",
                    f"the stored rows of this registry version include an invalid one: {exc}",
                )
            )
            continue
        if digest != version.digest:
            findings.append(
                Finding(
                    "registry.digest",
                    "registry_versions",
                    f"{version.kind} v{version.number}",
                    "digest",
                    version.digest,
                    digest,
                    "名录库该版本的存储数据得不出其摘要：名录数据被修改",
                    "the stored rows of this registry version do not give its digest: they were changed",
                )
            )
    return findings


def draw_version_findings(session: Session, draw: DrawRow) -> list[Finding]:
    """A DR-1 draw's committed registry digests are those of the versions it names."""
    if draw.algorithm == DR2:
        return _dr2_version_findings(session, draw)
    digests = {
        (v.kind, v.number): v.digest
        for v in session.scalars(
            select(RegistryVersionRow).where(RegistryVersionRow.kind.in_(VERSIONED))
        )
    }
    findings = []
    for kind in VERSIONED:
        number, committed = getattr(draw, f"{kind}_version"), getattr(draw, f"{kind}_digest")
        if kind == "conflicts" and number == 0:
            continue  # no conflict list was ever imported
        stored = digests.get((kind, number))
        if stored != committed:
            findings.append(
                Finding(
                    "draw.registry",
                    "draws",
                    f"{draw.plan_id}#{draw.attempt}",
                    f"{kind}_version",
                    committed,
                    f"v{number}: {stored or 'no such version'}",
                    "抽取记录所指的名录库版本与其承诺的摘要不符",
                    "the registry version the draw names does not have the digest it committed",
                )
            )
    return findings


def _dr2_digest(session: Session, kind: str, number: int) -> str:
    if kind == "objects":
        # As draw run makes it: streamed from the stored rows, each value checked
        # by the canonical writer, one chunk held at a time.
        return combine_object_digests(*object_digests(session, number, DR2), DR2)
    if kind == "inspectors":
        officers = sorted(inspectors_as_of(session, number), key=lambda o: o.cert_no)
        return inspectors_snapshot(officers, DR2).digest
    return conflict_table_as_of(session, number).snapshot(DR2).digest


def _dr2_version_findings(session: Session, draw: DrawRow) -> list[Finding]:
    """DR-2 commits bucketed digests (SPEC §15): the snapshots of the versions the draw
    names, rebuilt and digested as DR-2 does, must give them."""
    numbers = {kind: getattr(draw, f"{kind}_version") for kind in VERSIONED}
    known = {
        (v.kind, v.number)
        for v in session.scalars(
            select(RegistryVersionRow).where(RegistryVersionRow.kind.in_(VERSIONED))
        )
    }
    findings = []
    for kind in VERSIONED:
        number, committed = numbers[kind], getattr(draw, f"{kind}_digest")
        if kind == "conflicts" and number == 0:
            digest = conflicts_snapshot([], DR2).digest
        elif (kind, number) not in known:
            digest = "no such version"
        else:
            try:
                digest = _dr2_digest(session, kind, number)
            except ValueError:
                continue  # an invalid stored row: registry.invalid names it

        if digest != committed:
            findings.append(
                Finding(
                    "draw.registry",
                    "draws",
                    f"{draw.plan_id}#{draw.attempt}",
                    f"{kind}_version",
                    committed,
                    f"v{number}: {digest}",
                    "抽取记录所指的名录库版本与其承诺的摘要不符",
                    "the registry version the draw names does not have the digest it committed",
                )
            )
    return findings
