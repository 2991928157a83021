"""``dualrandom verify``: re-check a bundle from its files alone, with the core.

The checks, in order; the first failure is reported with the file (and
line) where the bundle and the recomputation part:

1. the manifest: every file present, none added, every SHA-256 equal;
2. the committed digests: plan, objects (public part, and internal part
   where present), and in an auditor bundle inspectors, conflicts, history;
3. the revealed secret against its commitment, and the seed derivation;
4. every published ticket (result, reserve, internal strata, teams), counted
   as the bundle's ``verify.py`` counts them;
5. public bundle: the selection and reserve of every publicly verifiable
   stratum, from the public objects and the published exclusions;
   auditor bundle: the whole draw re-run, every result file byte for byte.

A second, independent implementation ships in every bundle as ``verify.py``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dualrandom.core import (
    draw,
    parse_plan,
    quota_size,
    reserve_size,
    secret_commitment,
)
from dualrandom.core.canonical import (
    OBJECT_PUBLIC_FIELDS,
    combine_object_digests,
    parse_conflicts,
    parse_inspectors,
    parse_objects,
)
from dualrandom.core.encoding import join_lines, sha256_hex, split_lines, unescape
from dualrandom.core.model import ObjectRecord
from dualrandom.core.result import TEAM_FIELDS
from dualrandom.core.seed import Digests, derive_seed
from dualrandom.core.tickets import target_ticket, ticket_hex
from dualrandom.draws._inputs import inputs_from_files
from dualrandom.draws.bundle import public_strata
from dualrandom.draws.bundle_dr2 import BEACON_FILE, MANIFEST
from dualrandom.draws.verify_dr2 import verify_dr2
from dualrandom.gcpause import paused

__all__ = ["Mismatch", "Verification", "verify_bundle"]


class Mismatch(Exception):
    """The bundle and the recomputation differ; the message says where."""


@dataclass
class Verification:
    tier: str
    checks: list[str] = field(default_factory=list)
    failure: str | None = None
    verdict: str = ""  # DR-2: the one line saying exactly what was checked
    mismatches: tuple[str, ...] = ()  # DR-2: the code of every mismatch, in order

    @property
    def ok(self) -> bool:
        return self.failure is None


@paused  # a 1M bundle is millions of small objects at once, as in a draw
def verify_bundle(folder: Path, snapshot: Path | None = None) -> Verification:
    """Run every check; stop at the first difference (DR-1). A DR-2 bundle
    (docs/BUNDLE.md Part II) is checked by :mod:`dualrandom.draws.verify_dr2`,
    which reports every difference and a verdict saying what was checked;
    ``snapshot`` is where its object snapshot is, when not in the folder
    (a DR-1 bundle always carries its own)."""
    if _declared_algorithm(folder) == "DR-2":
        dr2 = verify_dr2(folder, _declared_tier(folder), snapshot)
        codes = tuple(code for code, _ in dr2.mismatches)
        checks = [*dr2.checks, dr2.verdict] if dr2.ok else dr2.checks
        return Verification(dr2.tier, checks, dr2.failure, dr2.verdict, codes)
    report = Verification(tier=_declared_tier(folder))
    try:
        for check in _checks(folder, report):
            report.checks.append(check)
    except Mismatch as exc:
        report.failure = str(exc)
    except (ValueError, KeyError, json.JSONDecodeError) as exc:
        report.failure = f"unreadable bundle: {exc}"
    return report


def _declared_algorithm(folder: Path) -> str:
    """bundle.json's algorithm; a bundle whose bundle.json cannot be read is DR-2
    when it has a beacon round (DR-1 has none), so that it is checked, and refused,
    as verify.py refuses it."""
    try:
        return str(json.loads((folder / "bundle.json").read_text(encoding="utf-8"))["algorithm"])
    except (OSError, ValueError, KeyError, TypeError):
        return "DR-2" if (folder / BEACON_FILE).is_file() else "unknown"


def _declared_tier(folder: Path) -> str:
    """The tier the bundle says it is, for the report (checked later)."""
    try:
        return str(json.loads((folder / "bundle.json").read_text(encoding="utf-8"))["tier"])
    except (OSError, ValueError, KeyError, TypeError):
        return "unknown"


def _checks(folder: Path, report: Verification) -> Iterator[str]:
    files = _read_manifest(folder)
    yield f"manifest: {len(files)} files, every SHA-256 matches"
    meta, commitment = json.loads(files["bundle.json"]), json.loads(files["commitment.json"])
    digests = _check_digests(files, commitment)
    yield (
        "digests: plan, objects"
        + (", inspectors, conflicts, history" if report.tier == "auditor" else "")
        + " match the commitment"
    )
    secret = bytes.fromhex(meta["secret"])
    _equal(
        secret_commitment(secret),
        commitment["secret_commitment"],
        "bundle.json: the secret does not match its commitment",
    )
    seed = derive_seed(digests, meta["entropy"], secret)
    _equal(
        seed.hex(),
        meta["seed"],
        "bundle.json: the seed does not follow from the digests, entropy and secret",
    )
    yield f"seed {seed.hex()} follows from the committed digests, the entropy and the secret"
    count = _check_tickets(files, seed)
    yield f"tickets: all {count} published tickets recomputed"
    if report.tier == "auditor":
        yield _rerun(files, seed, meta)
    else:
        yield _public_selection(files, commitment, seed)


def _read_manifest(folder: Path) -> dict[str, bytes]:
    if not (folder / MANIFEST).is_file():
        raise Mismatch(f"{folder}: no {MANIFEST}; is this a bundle folder?")
    listed: dict[str, str] = {}
    for number, line in enumerate(
        (folder / MANIFEST).read_text(encoding="utf-8").splitlines(), start=1
    ):
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64 or "/" in name:
            raise Mismatch(f"{MANIFEST}:{number}: not a '<sha256>  <name>' line")
        listed[name] = digest
    present = {p.name for p in folder.iterdir() if p.is_file()} - {MANIFEST}
    for name in sorted(present ^ listed.keys()):
        raise Mismatch(
            f"{name}: {'not in the manifest' if name in present else 'listed in the manifest but missing'}"
        )
    files = {name: (folder / name).read_bytes() for name in sorted(listed)}
    for name, data in files.items():
        if hashlib.sha256(data).hexdigest() != listed[name]:
            raise Mismatch(f"{name}: its SHA-256 differs from the manifest (the file was changed)")
    return files


def _check_digests(files: dict[str, bytes], commitment: dict[str, Any]) -> Digests:
    committed = commitment["digests"]
    _equal(
        sha256_hex(files["plan.json"]),
        committed["plan"],
        "plan.json: digest differs from the commitment",
    )
    public = sha256_hex(files["objects-public.tsv"])
    _equal(
        public,
        committed["objects_public"],
        "objects-public.tsv: digest differs from the commitment",
    )
    internal = committed["objects_internal"]
    if "objects-internal.tsv" in files:
        internal = sha256_hex(files["objects-internal.tsv"])
        _equal(
            internal,
            committed["objects_internal"],
            "objects-internal.tsv: digest differs from the commitment",
        )
    _equal(
        combine_object_digests(public, internal),
        committed["objects"],
        "commitment.json: the objects digest does not combine its two parts",
    )
    for name, key in (
        ("inspectors.tsv", "inspectors"),
        ("conflicts.tsv", "conflicts"),
        ("history.tsv", "history"),
    ):
        if name in files:
            _equal(
                sha256_hex(files[name]),
                committed[key],
                f"{name}: digest differs from the commitment",
            )
    return Digests(
        committed["plan"],
        committed["objects"],
        committed["inspectors"],
        committed["conflicts"],
        committed["history"],
    )


def _check_tickets(files: dict[str, bytes], seed: bytes) -> int:
    count = 0
    for name, header, id_col, ticket_col in (
        ("result.tsv", ("stratum", "item", "rank", "id", "ticket"), 3, 4),
        ("reserve.tsv", ("stratum", "item", "rank", "id", "ticket"), 3, 4),
        ("result-internal-strata.tsv", ("item", "id", "ticket"), 1, 2),
        # the auditor tier's teams: a ticket per officer row, as verify.py counts them
        ("teams.tsv", TEAM_FIELDS, 1, 2),
    ):
        if name not in files:
            continue
        for line, fields in enumerate(split_lines(files[name], header, name), start=2):
            expected = ticket_hex(target_ticket(seed, unescape(fields[id_col])))
            _equal(
                fields[ticket_col],
                expected,
                f"{name}:{line}: ticket of {unescape(fields[id_col])!r} should be {expected}",
            )
            count += 1
    return count


def _rerun(files: dict[str, bytes], seed: bytes, meta: dict[str, Any]) -> str:
    inputs = inputs_from_files(
        files,
        objects=parse_objects(files["objects-public.tsv"], files["objects-internal.tsv"]),
        inspectors=parse_inspectors(files["inspectors.tsv"]),
        conflicts=parse_conflicts(files["conflicts.tsv"]),
    )
    result = draw(inputs, seed)
    for name, data in result.files().items():
        _same_bytes(name, files[name], data)
    _equal(
        result.digest, meta["result_digest"], "bundle.json: result_digest differs from the re-run"
    )
    return (
        f"re-run: {len(result.visits)} visits, selection, reserve, exclusions and teams identical"
    )


def _public_selection(files: dict[str, bytes], commitment: dict[str, Any], seed: bytes) -> str:
    plan, items = parse_plan(files["plan.json"])
    objects = _public_objects(files["objects-public.tsv"])
    excluded = {
        (unescape(f[1]), unescape(f[0]), unescape(f[2]))
        for f in split_lines(
            files["exclusions.tsv"], ("stratum", "item", "id", "reasons"), "exclusions.tsv"
        )
    }
    published = _rows_by_pool(files)
    public = public_strata(commitment)
    checked = 0
    for quota in commitment["quotas"]:
        if not public[quota["stratum"]]:
            continue
        stratum = next(s for s in plan.strata if s.name == quota["stratum"])
        item = items[quota["item"]]
        pool = sorted(
            o.id
            for o in objects
            if plan.scope.matches(o)
            and item.scope.matches(o)
            and stratum.where.matches(o)
            and (item.code, stratum.name, o.id) not in excluded
        )
        where = f"quotas.tsv: {stratum.name}/{item.code}"
        _equal(len(pool), quota["pool_size"], f"{where}: pool size should be {len(pool)}")
        ratio = stratum.ratio if stratum.ratio is not None else item.ratio
        k, _ = quota_size(ratio, len(pool), stratum.min_count, stratum.max_count)
        _equal(k, quota["k"], f"{where}: k should be {k}")
        ranked = sorted(pool, key=lambda i: (target_ticket(seed, i), i.encode("utf-8")))
        expected = ranked[: k + reserve_size(k, len(pool))]
        actual = published.get((stratum.name, item.code), [])
        _equal(
            actual,
            expected,
            f"result.tsv/reserve.tsv: selection of {stratum.name}/{item.code} should be {expected[:5]}…",
        )
        checked += 1
    _check_hidden_counts(files, commitment, public)
    return f"selection: {checked} publicly verifiable (item, stratum) pools recomputed; risk-class strata checked by ticket and count only"


def _public_objects(public_bytes: bytes) -> tuple[ObjectRecord, ...]:
    """Objects from the public part; the risk class is unknown to the public,
    so a placeholder is used, and no public stratum ever reads it."""
    ids = [f[0] for f in split_lines(public_bytes, OBJECT_PUBLIC_FIELDS, "objects-public.tsv")]
    placeholder = join_lines(("id", "risk_class"), (f"{i}\tA" for i in ids))
    return parse_objects(public_bytes, placeholder)


def _rows_by_pool(files: dict[str, bytes]) -> dict[tuple[str, str], list[str]]:
    rows: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for name in ("result.tsv", "reserve.tsv"):
        for f in split_lines(files[name], ("stratum", "item", "rank", "id", "ticket"), name):
            rows.setdefault((unescape(f[0]), unescape(f[1])), []).append(
                (int(f[2]), unescape(f[3]))
            )
    return {key: [i for _, i in sorted(value)] for key, value in rows.items()}


def _check_hidden_counts(
    files: dict[str, bytes], commitment: dict[str, Any], public: dict[str, bool]
) -> None:
    counts: dict[str, int] = {}
    for f in split_lines(
        files["result-internal-strata.tsv"], ("item", "id", "ticket"), "result-internal-strata.tsv"
    ):
        counts[unescape(f[0])] = counts.get(unescape(f[0]), 0) + 1
    for item in sorted({q["item"] for q in commitment["quotas"]}):
        wanted = sum(
            q["k"] for q in commitment["quotas"] if q["item"] == item and not public[q["stratum"]]
        )
        _equal(
            counts.get(item, 0),
            wanted,
            f"result-internal-strata.tsv: item {item} should list {wanted} objects",
        )


def _equal(actual: object, expected: object, message: str) -> None:
    if actual != expected:
        raise Mismatch(message)


def _same_bytes(name: str, published: bytes, recomputed: bytes) -> None:
    if published == recomputed:
        return
    ours, theirs = recomputed.split(b"\n"), published.split(b"\n")
    line = next(
        (n for n, (a, b) in enumerate(zip(ours, theirs, strict=False), start=1) if a != b),
        min(len(ours), len(theirs)),
    )
    raise Mismatch(f"{name}:{line}: the re-run differs from the published file")
