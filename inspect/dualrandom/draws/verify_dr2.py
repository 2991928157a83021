"""``dualrandom verify`` for a DR-2 bundle (docs/BUNDLE.md Part II), with the core.

The checks, in order; each failure is a MISMATCH with a code that the
stdlib-only ``verify.py`` (draws/verify_standalone.py) reports identically:

1. ``manifest`` — every file listed with its SHA-256, none missing or added,
   the tier's files present (stops here on failure);
2. ``commitment`` — commitment.json is canonical DR-2 JSON (stops);
   ``snapshot`` — the public part of the object snapshot, from the bundle
   folder or from ``--snapshot`` (a file, or a folder holding
   ``<digest>.tsv.gz`` or ``snapshots/<digest>.tsv.gz``), is there, is gzip
   data and has the committed ``objects_public`` digest (stops);
3. ``digest`` — the plan, every snapshot and every committed output file in
   the bundle against the commitment's digests, O = H(T_OBJECTS2; P, I);
4. the beacon pin: ``wrong-chain`` (the pinned chain is neither the League
   of Entropy's quicknet nor the demo chain, or its parameters differ from
   the known ones), ``demo-as-quicknet`` (the demo chain's key under a
   label or flag that does not say demo), ``beacon-round`` (malformed
   round), ``wrong-round``, ``bad-signature`` (stops: no seed without R);
5. ``dice`` — the recorded dice in the committed format (stops);
6. ``seed`` — SHA-256-tagged C, R, dice (SPEC §19) = bundle.json's seed;
7. public tier: ``public-check`` — SPEC §23.1 on every pool; auditor tier:
   ``risk-root``, ``rerun`` — the whole draw re-run, the six audit files
   and the public files byte for byte;
8. ``result-digest`` — SPEC §22 against bundle.json;
9. ``substitution`` — the addendum substitutions.tsv (SPEC §26): its chain
   from the result digest, and SPEC §8.3 replayed round after round.

The verdict line says exactly what was checked, e.g. "MATCH: manifest,
digests, beacon round 300000000, dice, seed, 6/6 pools checked (0 in full,
6 by bounds), 6 of 11 selections decided in full, tickets, counts, result
digest; signature checked".
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import operator
import re
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import chain
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np

from dualrandom.beacon import KNOWN_CHAINS, Chain, Pin, admit_round, chain_json, verify_round
from dualrandom.core import derive_seed_dr2, draw, parse_plan, prepare, public_check
from dualrandom.core.buckets import file_digest
from dualrandom.core.canonical import (
    CONFLICT_FIELDS,
    OBJECT_LAYOUTS,
    ObjectColumns,
    combine_object_digests,
    objects_written_as,
    parse_history,
    parse_inspectors,
)
from dualrandom.core.conflicts import ConflictTable
from dualrandom.core.draw import DrawInputs
from dualrandom.core.encoding import (
    DR2,
    canonical_json,
    parse_bool,
    parse_date,
    row_chunks,
    row_lines,
    split_lines,
    unescape,
    unescape_list,
)
from dualrandom.core.public import PUBLIC_FILE_NAMES, public_digest
from dualrandom.core.quotas import Quota
from dualrandom.core.result import FILE_NAMES, internal_digest, result_digest_dr2
from dualrandom.core.seed import CommittedDigests, check_dice
from dualrandom.core.table import Coded, ObjectTable, Texts, narrowest
from dualrandom.core.tickets import target_ticket
from dualrandom.draws.addendum import ADDENDUM, check_addendum
from dualrandom.draws.bundle_dr2 import (
    AUDITOR_FILES,
    BEACON_FILE,
    COMMITTED_OUTPUTS,
    DICE_FILE,
    MANIFEST,
    PUBLIC_FILES,
    SALT_FILE,
    SNAPSHOT_FILE,
    SNAPSHOTS,
    snapshot_path,
    unpacked,
)
from dualrandom.draws.verify_aside import Aside
from dualrandom.errors import BeaconError, UserError

__all__ = ["Dr2Verification", "verify_dr2"]

CHAIN_KEYS = ("demo", "genesis", "hash", "label", "period", "public_key", "scheme")
SELECTION_HEADER = ("item", "id", "ticket", "stratum", "rank")
POOL_HEADER = ("stratum", "item", "rank", "id", "ticket")
QUOTAS_HEADER = ("stratum", "item", "pool_size", "ratio", "min", "max", "k", "shortfall", "reserve")


# The snapshot as the notice site publishes it (snapshots/<digest>.tsv.gz), which
# may be put into the bundle folder as downloaded: not in the manifest either.
PUBLISHED_SNAPSHOT = re.compile(r"[0-9a-f]{64}\.tsv\.gz")


class _Stop(Exception):
    """A check failed that every later check depends on."""


@dataclass
class Dr2Verification:
    tier: str
    checks: list[str] = field(default_factory=list)
    mismatches: list[tuple[str, str]] = field(default_factory=list)  # (code, detail)
    claims: list[str] = field(default_factory=list)
    demo: bool = False
    signature: str = "NOT checked"

    @property
    def ok(self) -> bool:
        return not self.mismatches

    @property
    def codes(self) -> list[str]:
        return list(dict.fromkeys(code for code, _ in self.mismatches))

    @property
    def failure(self) -> str | None:
        if self.ok:
            return None
        return "; ".join(f"[{code}] {detail}" for code, detail in self.mismatches)

    @property
    def verdict(self) -> str:
        if not self.ok:
            return "MISMATCH: " + ", ".join(self.codes)
        demo = (
            " (DEMO beacon chain: its key is public, the round proves nothing)" if self.demo else ""
        )
        return f"MATCH{demo}: {', '.join(self.claims)}; signature {self.signature}"

    def fail(self, code: str, detail: str) -> None:
        self.mismatches.append((code, detail))


def verify_dr2(folder: Path, tier: str, snapshot: Path | None = None) -> Dr2Verification:
    """``snapshot``: the object snapshot's public part, a file or a folder holding
    it under its digest; by default the bundle's own ``objects-public.tsv.gz``."""
    report = Dr2Verification(tier)
    try:
        with contextlib.suppress(_Stop):
            _run(folder, report, snapshot)
    except (ArithmeticError, KeyError, TypeError, ValueError) as exc:
        report.fail("unreadable", f"could not be checked ({type(exc).__name__}: {exc})")
    return report


def _run(folder: Path, report: Dr2Verification, snapshot: Path | None) -> None:
    files = _manifest(folder, report)
    commitment = _commitment(files, report)
    files["objects-public.tsv"], where = _snapshot(folder, snapshot, commitment, report)
    aside = _aside(files, commitment)
    # The table the draw is re-run from, read while a second process checks the
    # rest (draws.verify_aside); what reading it raises is raised where it was before.
    objects = None
    if report.tier == "auditor":
        objects = _Read(object_table, files["objects-public.tsv"], files["objects-internal.tsv"])
    _snapshot_digest(where, files["objects-public.tsv"], commitment, aside, report)
    digests = _digests(files, commitment, aside, report)
    randomness = _beacon(files, commitment, aside, report)
    dice = _dice(files, commitment, report)
    meta = json.loads(files["bundle.json"])
    commitment_hash = hashlib.sha256(files["commitment.json"]).hexdigest()
    seed = derive_seed_dr2(commitment_hash, randomness, dice, bool(dice))
    if seed.hex() != meta.get("seed"):
        report.fail("seed", f"bundle.json: the seed is {seed.hex()}, not {meta.get('seed')}")
    else:
        report.checks.append(f"seed {seed.hex()} = H(T_SEED2; C, R, dice)")
        report.claims.append("seed")
    if objects is not None:
        _rerun(files, commitment, seed, meta, report, digests, objects, aside)
    else:
        _public(files, commitment, seed, meta, report)


def _manifest(folder: Path, report: Dr2Verification) -> dict[str, bytes]:
    if report.tier not in ("public", "auditor"):
        report.fail("manifest", f"bundle.json: tier {report.tier!r} is not public or auditor")
        raise _Stop
    listed: dict[str, str] = {}
    try:
        text = (folder / MANIFEST).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        report.fail("manifest", f"no readable {MANIFEST}")
        raise _Stop from None
    for number, line in enumerate(text.splitlines(), start=1):
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64 or "/" in name:
            report.fail("manifest", f"{MANIFEST}:{number}: not a '<sha256>  <name>' line")
            raise _Stop
        listed[name] = digest
    present = {p.name for p in folder.iterdir() if p.is_file()} - {MANIFEST, SNAPSHOT_FILE}
    present = {n for n in present if not PUBLISHED_SNAPSHOT.fullmatch(n)}  # checked by its digest
    wanted = set(AUDITOR_FILES if report.tier == "auditor" else PUBLIC_FILES)
    problems = [f"{n}: not in the manifest" for n in sorted(present - listed.keys())]
    problems += [f"{n}: listed but missing" for n in sorted(listed.keys() - present)]
    problems += [
        f"{n}: missing from the {report.tier} tier" for n in sorted(wanted - listed.keys())
    ]
    files = {n: (folder / n).read_bytes() for n in sorted(listed.keys() & present)}
    problems += [
        f"{n}: SHA-256 differs from the manifest"
        for n, data in files.items()
        if hashlib.sha256(data).hexdigest() != listed[n]
    ]
    try:
        unpacked_files = unpacked(files)
    except ValueError as exc:
        problems.append(str(exc))
    if not problems and not _canonical_bundle_json(unpacked_files["bundle.json"]):
        problems.append("bundle.json: not as BUNDLE.md writes it (sorted keys, indent 1, LF)")
    if problems:
        for problem in problems:
            report.fail("manifest", problem)
        raise _Stop
    report.checks.append(f"manifest: {len(files)} files, every SHA-256 matches")
    report.claims.append("manifest")
    return unpacked_files


def _no_float(text: str) -> Any:
    raise ValueError(f"{text}: no floating point in a bundle")


def _canonical_bundle_json(data: bytes) -> bool:
    """bundle.json is a JSON object written with sorted keys, indent 1, UTF-8 and LF
    (as bundle_dr2 writes it): the same values re-encoded are another file."""
    try:
        document = json.loads(data.decode("utf-8"), parse_float=_no_float, parse_constant=_no_float)
    except (UnicodeDecodeError, ValueError):
        return False
    text = json.dumps(document, ensure_ascii=False, sort_keys=True, indent=1) + "\n"
    return isinstance(document, dict) and text.encode("utf-8") == data


def _commitment(files: dict[str, bytes], report: Dr2Verification) -> dict[str, Any]:
    data = files["commitment.json"]
    try:
        document = json.loads(data.decode("utf-8"))
        ok = (
            isinstance(document, dict)
            and document.get("algorithm") == DR2
            and (canonical_json(document) + "\n").encode("utf-8") == data
            and isinstance(document.get("digests"), dict)
            and isinstance(document.get("beacon"), dict)
            and isinstance(document.get("dice"), dict)
        )
    except (UnicodeDecodeError, ValueError):
        ok = False
    if not ok:
        report.fail("commitment", "commitment.json is not a canonical DR-2 commitment")
        raise _Stop
    return dict(document)


def snapshot_source(folder: Path, given: Path | None, digest: str) -> Path:
    """Where the snapshot is read from: ``given`` (a file, or a folder holding
    ``<digest>.tsv.gz`` or ``snapshots/<digest>.tsv.gz``), else the bundle's own."""
    if given is None:
        own, downloaded = folder / SNAPSHOT_FILE, folder / f"{digest}.tsv.gz"
        return downloaded if downloaded.is_file() and not own.is_file() else own
    if given.is_dir():
        for candidate in (given / f"{digest}.tsv.gz", given / snapshot_path(digest)):
            if candidate.is_file():
                return candidate
        return given / f"{digest}.tsv.gz"
    return given


def _snapshot(
    folder: Path, given: Path | None, commitment: dict[str, Any], report: Dr2Verification
) -> tuple[bytes, str]:
    """The public part of the object snapshot, unpacked, and where it was read;
    :func:`_snapshot_digest` checks it against the commitment before it is used."""
    digest = commitment["digests"].get("objects_public")
    if not isinstance(digest, str) or len(digest) != 64 or set(digest) - set("0123456789abcdef"):
        report.fail("snapshot", "commitment.json: objects_public is not a SHA-256 digest")
        raise _Stop
    source = snapshot_source(folder, given, digest)
    where = source.name if given is None else str(source)
    try:
        packed = source.read_bytes()
    except OSError:
        report.fail(
            "snapshot",
            f"{where}: missing; the registry snapshot with digest {digest} is published "
            f"once on the notice site as {snapshot_path(digest)}: put it into the bundle folder "
            "or give it with --snapshot FILE",
        )
        raise _Stop from None
    try:
        return unpacked({SNAPSHOT_FILE: packed})["objects-public.tsv"], where
    except ValueError:
        report.fail("snapshot", f"{where}: not gzip data")
        raise _Stop from None


def _snapshot_digest(
    where: str, data: bytes, commitment: dict[str, Any], aside: Aside, report: Dr2Verification
) -> None:
    digest = commitment["digests"]["objects_public"]
    if not data.endswith(b"\n") or aside.digest("public") != digest:
        report.fail(
            "snapshot", f"{where}: not the snapshot the commitment names (objects_public {digest})"
        )
        raise _Stop
    report.checks.append(f"snapshot: {where} has the committed digest {digest}")


def _salt_key(files: dict[str, bytes]) -> bytes:
    return bytes.fromhex(files[SALT_FILE].decode("ascii").removesuffix("\n"))


def _aside(files: dict[str, bytes], commitment: dict[str, Any]) -> Aside:
    """The second process's checks (draws.verify_aside), started on what it needs:
    the snapshot parts, the salt key and the round of a known chain (each left
    out if unreadable: the check that reads it then reports it)."""
    parts = {"public": files["objects-public.tsv"]}
    if "objects-internal.tsv" in files:
        parts["internal"] = files["objects-internal.tsv"]
    try:
        salt: bytes | None = _salt_key(files)
    except (KeyError, ValueError):
        salt = None
    pinned = commitment["beacon"].get("chain")
    chain = pinned.get("hash") if isinstance(pinned, dict) else None
    signed = None
    if isinstance(chain, str) and chain in KNOWN_CHAINS and BEACON_FILE in files:
        with contextlib.suppress(UnicodeDecodeError):
            signed = (chain, files[BEACON_FILE].decode("utf-8"))
    return Aside(parts, salt, signed)


T = TypeVar("T")


class _Read(Generic[T]):
    """A value read now, or what reading it raised, raised again when it is taken."""

    def __init__(self, read: Callable[..., T], *arguments: bytes) -> None:
        self._value: T | None = None
        self._raised: Exception | None = None
        try:
            self._value = read(*arguments)
        except Exception as exc:  # raised again by take(), where it was
            self._raised = exc

    def take(self) -> T:
        if self._raised is not None:
            raise self._raised
        assert self._value is not None
        return self._value


def _digests(
    files: dict[str, bytes], commitment: dict[str, Any], aside: Aside, report: Dr2Verification
) -> dict[str, str]:
    """Check the digests; the bucketed digest of each snapshot file, by name (the
    public part's is the committed one: _snapshot_digest stops otherwise)."""
    committed = commitment["digests"]
    bad = []
    found = {"objects-public.tsv": str(committed["objects_public"])}
    if hashlib.sha256(files["plan.json"]).hexdigest() != committed.get("plan"):
        bad.append("plan.json")
    for name, (_, table, key) in SNAPSHOTS.items():
        if name == "objects-public.tsv":
            continue  # checked before it was used (_snapshot_digest)
        if name not in files:
            continue
        internal = name == "objects-internal.tsv"
        found[name] = aside.digest("internal") if internal else file_digest(table, files[name])
        if found[name] != committed.get(key):
            bad.append(name)
    for name, (table, key) in COMMITTED_OUTPUTS.items():
        if name in files and file_digest(table, files[name]) != committed.get(key):
            bad.append(name)
    try:
        combined = combine_object_digests(
            committed["objects_public"], committed["objects_internal"], DR2
        )
    except (KeyError, ValueError, TypeError):
        combined = None
    if combined is None or combined != committed.get("objects"):
        bad.append("commitment.json (objects = H(T_OBJECTS2; P, I))")
    for name in bad:
        report.fail("digest", f"{name}: the digest differs from the commitment")
    if not bad:
        report.checks.append("digests: plan, snapshots and committed files match the commitment")
        report.claims.append("digests")
    return found


def _known_chain(pinned: Any, report: Dr2Verification) -> Chain:
    if not isinstance(pinned, dict) or set(pinned) != set(CHAIN_KEYS):
        report.fail("wrong-chain", "the pinned chain does not have the keys of SPEC §17")
        raise _Stop
    known = KNOWN_CHAINS.get(pinned["hash"]) if isinstance(pinned["hash"], str) else None
    if known is None:
        report.fail(
            "wrong-chain",
            f"chain {pinned['hash']} is neither the League of Entropy's quicknet nor the demo chain",
        )
        raise _Stop
    expected = chain_json(known)
    if known.is_demo:
        label = pinned["label"]
        if pinned["demo"] is not True or not isinstance(label, str) or "演示" not in label:
            report.fail(
                "demo-as-quicknet",
                "the pinned chain is the demo chain (public key) but is not labelled as demo",
            )
            raise _Stop
    same = all(pinned[k] == expected[k] for k in CHAIN_KEYS if k != "label")
    if not same:
        report.fail("wrong-chain", f"the pinned parameters differ from those of {known.label}")
        raise _Stop
    return known


_FAULTS = {
    "wrong-round": "wrong-round",
    "malformed": "beacon-round",
    "randomness-mismatch": "beacon-round",
    "invalid-point": "bad-signature",
    "bad-signature": "bad-signature",
}


def _beacon(
    files: dict[str, bytes], commitment: dict[str, Any], aside: Aside, report: Dr2Verification
) -> bytes:
    beacon = commitment["beacon"]
    chain = _known_chain(beacon.get("chain"), report)
    number = beacon.get("round")
    try:  # in accept_round's order: the signature last (checked aside where it can be)
        accepted = admit_round(Pin(chain, number), files[BEACON_FILE], allow_demo=True)
        aside.check_round(chain, functools.partial(verify_round, chain, accepted))
    except BeaconError as exc:
        report.fail(_FAULTS.get(exc.fault, "wrong-chain"), f"{BEACON_FILE}: {exc.english}")
        raise _Stop from None
    report.demo = chain.is_demo
    report.signature = "checked"
    which = "the DEMO chain" if chain.is_demo else "League of Entropy quicknet"
    report.checks.append(f"beacon: round {number} of {which}, BLS signature verified")
    report.claims.append(f"beacon round {number}")
    return accepted.randomness


def _dice(files: dict[str, bytes], commitment: dict[str, Any], report: Dr2Verification) -> str:
    expected = commitment["dice"].get("expected")
    data = files[DICE_FILE]
    try:
        text = data.decode("ascii")
        if not text.endswith("\n") or not isinstance(expected, bool):
            raise ValueError("dice.txt is one line ending with LF")
        dice = check_dice(text[:-1], expected)
    except (UnicodeDecodeError, ValueError) as exc:
        report.fail("dice", f"{DICE_FILE}: {exc}")
        raise _Stop from None
    report.checks.append(f"dice: {len(dice)} rolls in the committed format")
    report.claims.append("dice")
    return dice


def _quotas(data: bytes) -> list[Quota]:
    out = []
    for f in split_lines(data, QUOTAS_HEADER, "quotas.tsv"):
        out.append(
            Quota(
                item=unescape(f[1]),
                stratum=unescape(f[0]),
                pool_size=int(f[2]),
                ratio=Fraction(f[3]),
                min_count=int(f[4]),
                max_count=int(f[5]) if f[5] else None,
                k=int(f[6]),
                shortfall=int(f[7]),
                reserve=int(f[8]),
            )
        )
    return out


def _result_digest(
    public_files: dict[str, bytes], internal: str, meta: dict[str, Any], report: Dr2Verification
) -> None:
    try:
        public = public_digest(public_files)
        result = result_digest_dr2(public, internal)
    except ValueError as exc:
        report.fail("result-digest", str(exc))
        return
    if public != meta.get("public_digest") or result != meta.get("result_digest"):
        report.fail(
            "result-digest",
            f"bundle.json: the public files and internal digest give result digest {result}, "
            f"not {meta.get('result_digest')}",
        )
        return
    report.checks.append(f"result digest {result} = H(T_RESULT2; public digest, internal digest)")
    report.claims.append("result digest")


def _public(
    files: dict[str, bytes],
    commitment: dict[str, Any],
    seed: bytes,
    meta: dict[str, Any],
    report: Dr2Verification,
) -> None:
    public_files = {n: files[n] for n in PUBLIC_FILE_NAMES if n in files}
    try:
        committed: CommittedDigests | None = CommittedDigests(**commitment["digests"])
    except (TypeError, ValueError):
        committed = None
    try:
        quotas: list[Quota] | None = _quotas(files["quotas.tsv"])
    except (ValueError, ZeroDivisionError):
        quotas = None
    check = public_check(
        files["plan.json"],
        files["objects-public.tsv"],
        public_files,
        seed,
        committed=committed,
        quotas=quotas,
    )
    counts = check.counts()
    total = len(check.pools)
    checked = counts["full"] + counts["bounds"]
    summary = (
        f"{checked}/{total} pools checked ({counts['full']} in full, {counts['bounds']} by bounds), "
        f"{check.decided} of {check.selected} selections decided in full"
    )
    if check.findings:
        for problem in check.findings:
            report.fail("public-check", str(problem))
    else:
        report.checks.append(f"public check (SPEC §23.1): {summary}, tickets and counts")
        report.claims += [summary, "tickets", "counts"]
    _result_digest(public_files, str(meta.get("internal_digest")), meta, report)
    try:
        selected = [
            (unescape(f[0]), unescape(f[1]), f[2], unescape(f[3]), int(f[4]) if f[4] else None)
            for f in split_lines(files["selection.tsv"], SELECTION_HEADER, "selection.tsv")
        ]
        reserve = _pool_rows(files["reserve-public.tsv"], "reserve-public.tsv")
        department = str(json.loads(files["plan.json"])["plan"]["department"])
    except (ValueError, KeyError, TypeError):
        return  # the public check has said what is wrong with them
    _substitutions(files, selected, reserve, seed, department, meta, report)


def _pool_rows(data: bytes, name: str) -> list[tuple[str, str, int, str]]:
    """(stratum, item, rank, id) of each row of result.tsv, reserve.tsv or reserve-public.tsv."""
    return [
        (unescape(f[0]), unescape(f[1]), int(f[2]), unescape(f[3]))
        for f in split_lines(data, POOL_HEADER, name)
    ]


def _substitutions(
    files: dict[str, bytes],
    selected: list[tuple[str, str, str, str, int | None]],
    reserve: list[tuple[str, str, int, str]],
    seed: bytes,
    department: str | None,
    meta: dict[str, Any],
    report: Dr2Verification,
) -> None:
    """SPEC §26: the addendum replays SPEC §8.3 and its chain from the result digest."""
    digest = meta.get("result_digest")
    if not isinstance(digest, str) or len(digest) != 64:
        return  # result-digest has failed
    check = check_addendum(files[ADDENDUM], selected, reserve, seed, digest.lower(), department)
    for finding in check.findings:
        report.fail("substitution", finding)
    if not check.findings:
        report.checks.append(f"substitutions (SPEC §26): {check.claim}")
        report.claims.append(check.claim)


def _rerun(
    files: dict[str, bytes],
    commitment: dict[str, Any],
    seed: bytes,
    meta: dict[str, Any],
    report: Dr2Verification,
    digests: dict[str, str],
    read: _Read[ObjectTable],
    aside: Aside,
) -> None:
    try:
        salt = _salt_key(files)
        plan, items = parse_plan(files["plan.json"], DR2)
        public_part, internal_part = files["objects-public.tsv"], files["objects-internal.tsv"]
        objects = read.take()
        inputs = DrawInputs(
            plan=plan,
            items=items,
            objects=objects,
            inspectors=parse_inspectors(files["inspectors.tsv"]),
            conflicts=_conflicts(files["conflicts.tsv"]),
            history=parse_history(files["history.tsv"]),
        )
        # The objects and conflicts were read without writing them again. The
        # objects are written again here and compared with the files byte for byte,
        # so their snapshot's digests are the files' (_snapshot, _digests), and
        # prepare takes those instead of hashing the same bytes once more; prepare
        # writes the conflicts, and a file that is not that is refused here
        # exactly as a reader that re-wrote them would refuse it.
        if not objects_written_as(objects.columns, public_part, internal_part):
            raise ValueError("objects: the snapshot is not in canonical form")
        parts = (digests["objects-public.tsv"], digests["objects-internal.tsv"])
        prep = prepare(inputs, algorithm=DR2, risk_root=False, object_digests=lambda: parts)
        if prep.conflicts.data != files["conflicts.tsv"]:
            raise ValueError("conflicts: the snapshot is not in canonical form")
    except (ValueError, KeyError, TypeError, UserError) as exc:
        report.fail("rerun", f"the auditor files cannot be read: {exc}")
        return
    assert prep.committed is not None
    failure: ValueError | UserError | None = None
    try:  # while the risk root is made aside
        result = draw(prep, seed)
    except (ValueError, UserError) as exc:
        failure = exc
    try:
        root: dict[str, Any] | None = aside.risk_root(salt, objects)
    except ValueError:  # prepare has refused such rows already
        root = None
    if root != commitment.get("risk_commitment"):
        report.fail("risk-root", "the risk root from salt-key.txt and objects-internal.tsv differs")
    else:
        report.claims.append("risk root")
    digests_failed = any(code == "digest" for code, _ in report.mismatches)
    if prep.committed.as_json() != commitment["digests"] and not digests_failed:
        report.fail("rerun", "prepare gives other committed digests than commitment.json")
    if failure is not None:
        report.fail("rerun", f"the draw cannot be re-run: {failure}")
        return
    again = {**result.files(), **result.public_files()}
    published = [*FILE_NAMES, *(n for n in PUBLIC_FILE_NAMES if n in again or n in files)]
    differ = [n for n in dict.fromkeys(published) if again.get(n) != files.get(n)]
    for name in differ:
        report.fail("rerun", f"{name}: the re-run differs from the bundle")
    pools = len(prep.quotas)
    if not differ:
        report.checks.append(
            f"re-run: {pools}/{pools} pools, {len(result.visits)} visits; "
            f"{len(again)} files byte-identical"
        )
        report.claims += [
            f"{pools}/{pools} pools re-run in full",
            "audit and public files identical",
        ]
    internal = internal_digest({n: files[n] for n in FILE_NAMES})
    if internal != meta.get("internal_digest"):
        report.fail("result-digest", "bundle.json: internal digest differs from the audit files")
        return
    _result_digest({n: files[n] for n in result.public_files()}, internal, meta, report)
    try:
        drawn = _pool_rows(files["result.tsv"], "result.tsv")
        reserve = _pool_rows(files["reserve.tsv"], "reserve.tsv")
    except ValueError:
        return  # the re-run has said what is wrong with them
    tickets = {x: f"{t:016x}" for x, t in ((x, target_ticket(seed, x)) for _, _, _, x in drawn)}
    selected: list[tuple[str, str, str, str, int | None]] = [
        (i, x, tickets[x], h, rank) for h, i, rank, x in drawn
    ]
    _substitutions(files, selected, reserve, seed, None, meta, report)


# -- Reading the auditor tier's snapshots as `draw run` holds them -------------------
#
# The object snapshot is read into columns (core.table), as draw run reads the
# registry: one list of ids, each distinct value of every other field read once
# and held once (names and addresses as one UTF-8 buffer each); no record per
# object. The values are checked as draw run's are, by the core writing the
# canonical snapshot from them (core.canonical.objects_written_as), which _rerun
# then requires to be the files byte for byte (with the ids strictly
# ascending), as a reader that wrote the records back out would.

_ROWS_AT_ONCE = 1 << 16
_TABS = operator.methodcaller("count", "\t")
# The fields held as codes into their distinct values, and how each value is read.
_CODED_READERS = {
    "id_type": unescape,
    "type": unescape,
    "industry": unescape,
    "district": unescape,
    "status": unescape,
    "abnormal_list": parse_bool,
    "serious_illegal_list": parse_bool,
    "departments": unescape_list,
    "tags": unescape_list,
    "last_inspected": parse_date,
    "risk_class": unescape,
    "registration_authority": unescape,
    "established": parse_date,
}
_TEXT_FIELDS = ("name", "address")


def _split(lines: list[str], width: int, what: str, first_line: int) -> list[tuple[str, ...]]:
    """The columns of some rows (each of ``width`` tab-separated fields)."""
    tabs = list(map(_TABS, lines))
    if tabs.count(width - 1) != len(lines):
        number = next(n for n, count in enumerate(tabs) if count != width - 1)
        raise ValueError(
            f"{what}: line {number + first_line} has {tabs[number] + 1} fields, not {width}"
        )
    fields = "\t".join(lines).split("\t") if lines else []
    return [tuple(fields[column::width]) for column in range(width)]


def _unescaped(values: tuple[str, ...]) -> list[str]:
    if "\\" in "".join(values):
        return list(map(unescape, values))
    return list(values)


def object_table(public: bytes, internal: bytes) -> ObjectTable:
    """The objects of the two DR-2 snapshot parts as an ObjectTable (ValueError if
    unreadable, or if the ids are not strictly ascending or differ between the parts;
    whether the values are canonical is for _rerun: objects_written_as)."""
    public_fields, internal_fields = OBJECT_LAYOUTS[DR2]
    # Both files a chunk of lines at a time: a million rows are never a million strings.
    public_chunks = row_chunks(public, public_fields, "objects (public)", _ROWS_AT_ONCE)
    internal_chunks = row_chunks(internal, internal_fields, "objects (internal)", _ROWS_AT_ONCE)
    first_public, first_internal = next(public_chunks, []), next(internal_chunks, [])  # checks
    if public.count(b"\n") != internal.count(b"\n"):
        raise ValueError("objects: the public and internal parts list different ids")
    ids: list[str] = []
    coded: dict[str, tuple[dict[str, int], list[Any], array[int]]] = {
        name: ({}, [], array("I")) for name in _CODED_READERS
    }
    texts: dict[str, list[Texts]] = {name: [] for name in _TEXT_FIELDS}
    chunks = zip(
        chain([first_public], public_chunks), chain([first_internal], internal_chunks), strict=True
    )
    for number, (public_lines, internal_lines) in enumerate(chunks):
        start = number * _ROWS_AT_ONCE
        columns = dict(
            zip(
                public_fields,
                _split(public_lines, len(public_fields), "objects (public)", start + 2),
                strict=True,
            )
        )
        more = _split(internal_lines, len(internal_fields), "objects (internal)", start + 2)
        if more[0] != columns["id"]:
            raise ValueError("objects: the public and internal parts list different ids")
        columns |= dict(zip(internal_fields[1:], more[1:], strict=True))
        ids += _unescaped(columns["id"])
        for name, (index, values, codes) in coded.items():
            column = columns[name]
            for raw in set(column).difference(index):
                index[raw] = len(values)
                values.append(_CODED_READERS[name](raw))
            codes.extend(map(index.__getitem__, column))
        for name, parts in texts.items():
            parts.append(Texts.of(_unescaped(columns[name])))
    if not all(map(str.__lt__, ids, ids[1:])):
        raise ValueError("objects: the snapshot is not in canonical form")
    held: dict[str, Any] = {
        name: Coded(np.frombuffer(codes, dtype=np.uint32).astype(narrowest(len(values))), values)
        for name, (_, values, codes) in coded.items()
    }
    held |= {name: Texts.joined(parts) for name, parts in texts.items()}
    return ObjectTable(ObjectColumns(id=ids, **held))


def risk_rows_of(internal: bytes) -> Iterator[tuple[str, str]]:
    """The (id, risk class) rows of the internal part, read as :func:`object_table`
    reads them (the same fields, the same functions), a chunk at a time."""
    fields = OBJECT_LAYOUTS[DR2][1]
    reader = _CODED_READERS["risk_class"]
    parts = row_chunks(internal, fields, "objects (internal)", _ROWS_AT_ONCE)
    for number, part in enumerate(parts):
        chunk = _split(part, len(fields), "objects (internal)", number * _ROWS_AT_ONCE + 2)
        classes = {raw: str(reader(raw)) for raw in set(chunk[1])}
        yield from zip(_unescaped(chunk[0]), map(classes.__getitem__, chunk[1]), strict=True)


def _conflicts(data: bytes) -> ConflictTable:
    """The declared conflicts as columns (core.conflicts), each distinct relation and
    date read once; whether the file is canonical is checked against prepare's
    snapshot (_rerun)."""
    lines = row_lines(data, CONFLICT_FIELDS, "conflicts")
    certs, objects, relations, starts, ends = _split(lines, len(CONFLICT_FIELDS), "conflicts", 2)
    dates = {raw: parse_date(raw) for raw in {*starts, *ends}}
    return ConflictTable(
        Coded.of(_unescaped(certs)),
        Texts.of(_unescaped(objects)),
        Coded.of(relations),
        Coded.of(map(dates.__getitem__, starts)),
        Coded.of(map(dates.__getitem__, ends)),
    )
