"""The DR-2 bundle: the files of a DR-2 draw, in two tiers (docs/BUNDLE.md Part II).

No database here: :class:`Dr2Draw` holds everything a bundle is made from,
as stored, and checks at construction that the parts are the ones the
commitment pinned (the digests of SPEC §15–§17, the risk root of §18, the
pinned round, the dice format). :func:`bundle_files` lays them out:

* **public** — anyone may have it. The commitment, the plan, the pinned
  beacon round, the dice, the public part of the object snapshot (no names,
  addresses, risk classes), ``quotas.tsv`` (the committed quota summary,
  SPEC §24), the public files of §21 and ``bundle.json`` (the seed and the
  three digests of §22). Nothing personal: no internal part, inspectors,
  conflicts, history, audit files or salt key.
* **auditor** — adds the internal part, the inspector, conflict and history
  snapshots, the six audit files and the salt key: enough to re-run the
  whole draw (§23.3).

Both tiers carry ``verify.py`` (stdlib only), a README in Chinese and
English and ``MANIFEST.sha256``.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from dualrandom.core.buckets import file_digest
from dualrandom.core.canonical import combine_object_digests
from dualrandom.core.encoding import DR2, canonical_json
from dualrandom.core.public import PUBLIC_FILE_NAMES, public_digest
from dualrandom.core.result import FILE_NAMES, internal_digest, result_digest_dr2
from dualrandom.core.risk import risk_commitment
from dualrandom.core.seed import check_dice, derive_seed_dr2
from dualrandom.draws.addendum import ADDENDUM, SubstitutionRound, addendum
from dualrandom.errors import DrawStateError, IntegrityError

__all__ = [
    "AUDITOR_FILES",
    "BEACON_FILE",
    "DICE_FILE",
    "MANIFEST",
    "PUBLIC_FILES",
    "SALT_FILE",
    "SNAPSHOT_FILE",
    "TIERS",
    "Dr2Draw",
    "bundle_files",
    "gzipped",
    "manifest",
    "snapshot_path",
    "unpacked",
]

TIERS = ("public", "auditor")
MANIFEST = "MANIFEST.sha256"
BEACON_FILE = "beacon-round.json"
DICE_FILE = "dice.txt"
SALT_FILE = "salt-key.txt"
# The public part of the object snapshot (SPEC §16): the same for every draw on
# one registry version, so the notice site publishes it once, content-addressed
# (snapshot_path), and a bundle may leave it out. MANIFEST.sha256 never lists
# it: the verifiers check it against the commitment's objects_public digest.
SNAPSHOT_FILE = "objects-public.tsv.gz"
# Snapshot files: bundle name -> (Dr2Draw attribute, table name of SPEC §15, commitment key).
SNAPSHOTS = {
    "objects-public.tsv": ("objects_public", "objects-public", "objects_public"),
    "objects-internal.tsv": ("objects_internal", "objects-internal", "objects_internal"),
    "inspectors.tsv": ("inspectors", "inspectors", "inspectors"),
    "conflicts.tsv": ("conflicts", "conflicts", "conflicts"),
    "history.tsv": ("history", "history", "history"),
}
# Committed output files (SPEC §17): bundle name -> (table name, commitment key).
COMMITTED_OUTPUTS = {
    "quotas.tsv": ("quotas", "quotas"),
    "exclusions.tsv": ("exclusions", "exclusions"),
    "outside.tsv": ("outside", "outside"),
    "exclusions-public.tsv": ("exclusions-public", "exclusions_public"),
}
# Every file of a tier besides the public files of §21 (which depend on the plan).
PUBLIC_FILES = (
    "README.txt",
    "verify.py",
    "bundle.json",
    "commitment.json",
    "plan.json",
    BEACON_FILE,
    DICE_FILE,
    "quotas.tsv",
    ADDENDUM,
)
AUDITOR_FILES = (
    *PUBLIC_FILES,
    "objects-internal.tsv.gz",
    "inspectors.tsv",
    "conflicts.tsv",
    "history.tsv",
    *FILE_NAMES,
    SALT_FILE,
)
_DIGEST_KEYS = frozenset(
    {
        "plan",
        "objects",
        "objects_public",
        "objects_internal",
        "inspectors",
        "conflicts",
        "history",
        "quotas",
        "exclusions",
        "outside",
        "exclusions_public",
    }
)


def _refuse(zh: str, en: str) -> IntegrityError:
    return IntegrityError(f"DR-2 数据包：{zh}", f"DR-2 bundle: {en}")


@dataclass(frozen=True)
class Dr2Draw:
    """Everything a DR-2 bundle is made from, as stored; checked at construction."""

    commitment: bytes
    plan: bytes
    objects_public: bytes
    objects_internal: bytes  # SPEC §16 snapshot parts
    inspectors: bytes
    conflicts: bytes
    history: bytes
    beacon_round: bytes  # the round JSON as obtained
    dice: str  # recorded dice, "" if none
    salt_key: bytes = field(repr=False)  # 32 bytes; auditor tier only
    audit_files: Mapping[str, bytes] = field(repr=False)  # result.files()
    public_files: Mapping[str, bytes] = field(repr=False)  # result.public_files()
    attempt: int = 1
    # The substitutions recorded since the draw, in order (SPEC §26).
    substitutions: tuple[SubstitutionRound, ...] = ()

    def __post_init__(self) -> None:
        document = self.commitment_json
        digests = document["digests"]
        self._check_digests(digests)
        self._check_files(digests)
        self._check_risk(document)
        round_number = self.round_number
        pinned = document.get("beacon", {}).get("round")
        if round_number != pinned:
            raise _refuse(
                f"信标轮次为第 {round_number} 轮，承诺锁定的是第 {pinned} 轮",
                f"the beacon round is {round_number}, the commitment pinned {pinned}",
            )
        expected = document.get("dice", {}).get("expected")
        if not isinstance(expected, bool):
            raise _refuse("承诺中没有 dice.expected", "the commitment has no dice.expected")
        try:
            check_dice(self.dice, expected)
        except ValueError as exc:
            raise _refuse(f"骰子记录无效：{exc}", f"the recorded dice are invalid: {exc}") from None

    # -- reading ---------------------------------------------------------------

    @property
    def commitment_json(self) -> dict[str, Any]:
        try:
            document = json.loads(self.commitment.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise _refuse(f"commitment.json 无法读取：{exc}", f"commitment.json: {exc}") from None
        if not isinstance(document, dict) or document.get("algorithm") != DR2:
            raise _refuse(
                "commitment.json 不是 DR-2 承诺", "commitment.json is not a DR-2 commitment"
            )
        if (canonical_json(document) + "\n").encode("utf-8") != self.commitment:
            raise _refuse("commitment.json 不是规范 JSON", "commitment.json is not canonical JSON")
        digests = document.get("digests")
        if not isinstance(digests, dict) or set(digests) != _DIGEST_KEYS:
            raise _refuse(
                "commitment.json 的 digests 成员不对", "commitment.json: wrong members in digests"
            )
        return document

    @property
    def commitment_hash(self) -> str:
        return hashlib.sha256(self.commitment).hexdigest()

    @property
    def round_number(self) -> int:
        round_doc = self._round_document()
        return int(round_doc["round"])

    @property
    def randomness(self) -> bytes:
        """SHA-256 of the round's signature (the signature itself is checked by the verifiers)."""
        return hashlib.sha256(bytes.fromhex(self._round_document()["signature"])).digest()

    def _round_document(self) -> dict[str, Any]:
        try:
            document = json.loads(self.beacon_round.decode("utf-8-sig"))
            number, signature = document["round"], document["signature"]
            bytes.fromhex(signature)
        except (UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
            raise _refuse(
                f"信标轮次 JSON 无法读取：{exc}", f"the beacon round JSON cannot be read: {exc}"
            ) from None
        if not isinstance(number, int) or isinstance(number, bool):
            raise _refuse("信标轮次号不是整数", "the beacon round number is not an integer")
        return dict(document)

    @property
    def seed(self) -> bytes:
        expected = bool(self.commitment_json["dice"]["expected"])
        return derive_seed_dr2(self.commitment_hash, self.randomness, self.dice, expected)

    @property
    def public_digest(self) -> str:
        return public_digest(self.public_files)

    @property
    def internal_digest(self) -> str:
        return internal_digest(self.audit_files)

    @property
    def result_digest(self) -> str:
        return result_digest_dr2(self.public_digest, self.internal_digest)

    # -- checks ------------------------------------------------------------------

    def _check_digests(self, digests: Mapping[str, str]) -> None:
        if hashlib.sha256(self.plan).hexdigest() != digests["plan"]:
            raise _refuse("plan.json 的摘要与承诺不符", "plan.json does not match the commitment")
        for name, (attribute, table, key) in SNAPSHOTS.items():
            if file_digest(table, getattr(self, attribute)) != digests[key]:
                raise _refuse(f"{name} 的摘要与承诺不符", f"{name} does not match the commitment")
        combined = combine_object_digests(
            digests["objects_public"], digests["objects_internal"], DR2
        )
        if combined != digests["objects"]:
            raise _refuse(
                "承诺中的对象摘要不是两部分摘要的组合",
                "the commitment's objects digest does not combine its two parts",
            )

    def _check_files(self, digests: Mapping[str, str]) -> None:
        if set(self.audit_files) != set(FILE_NAMES):
            raise _refuse(
                f"审计文件应为 {', '.join(FILE_NAMES)}",
                f"the audit files must be {', '.join(FILE_NAMES)}",
            )
        names = set(self.public_files)
        if not set(PUBLIC_FILE_NAMES[:4]) <= names <= set(PUBLIC_FILE_NAMES):
            raise _refuse(
                f"公开文件应为 {', '.join(PUBLIC_FILE_NAMES)}",
                f"the public files must be {', '.join(PUBLIC_FILE_NAMES)}",
            )
        if (
            "outside.tsv" in names
            and self.public_files["outside.tsv"] != self.audit_files["outside.tsv"]
        ):
            raise _refuse("公开的 outside.tsv 与审计文件不同", "the public outside.tsv differs")
        everything = {**self.audit_files, **self.public_files}
        for name, (table, key) in COMMITTED_OUTPUTS.items():
            if file_digest(table, everything[name]) != digests[key]:
                raise _refuse(f"{name} 的摘要与承诺不符", f"{name} does not match the commitment")

    def _check_risk(self, document: Mapping[str, Any]) -> None:
        risk = document.get("risk_commitment")
        if not isinstance(risk, dict):
            raise _refuse("承诺中没有 risk_commitment", "the commitment has no risk_commitment")
        try:
            again = risk_commitment(self.salt_key, risk_rows_of(self.objects_internal))
        except ValueError as exc:
            raise _refuse(
                f"盐密钥或内部名录无效：{exc}", f"salt key or internal part: {exc}"
            ) from None
        if again.as_json() != {"root": risk.get("root"), "leaves": risk.get("leaves")}:
            raise _refuse(
                "用盐密钥和内部名录算出的风险分类根与承诺不符",
                "the risk root from the salt key and the internal part differs from the commitment",
            )


def risk_rows_of(objects_internal: bytes) -> list[tuple[str, str]]:
    """(escaped id, risk class) per row of the internal part, in file order.

    The tree is keyed by the unescaped id; ids needing escapes are rare, so
    rows are unescaped only when they contain a backslash."""
    from dualrandom.core.encoding import unescape

    lines = objects_internal.decode("utf-8").split("\n")[1:-1]
    rows = []
    for line in lines:
        first = line.find("\t")
        object_id = line[:first]
        rows.append(
            (unescape(object_id) if "\\" in object_id else object_id, line[first + 1 : first + 2])
        )
    return rows


def _bundle_json(draw: Dr2Draw, tier: str) -> bytes:
    document = draw.commitment_json
    summary = {
        "algorithm": DR2,
        "tier": tier,
        "plan": document.get("plan", {}).get("id"),
        "attempt": document.get("attempt", draw.attempt),
        "commitment_hash": draw.commitment_hash,
        "beacon_round": draw.round_number,
        "beacon_demo": bool(document["beacon"].get("chain", {}).get("demo", False)),
        "dice": draw.dice,
        "seed": draw.seed.hex(),
        "public_digest": draw.public_digest,
        "internal_digest": draw.internal_digest,
        "result_digest": draw.result_digest,
        "snapshot": {
            "digest": document["digests"]["objects_public"],
            "file": SNAPSHOT_FILE,
            "published": snapshot_path(document["digests"]["objects_public"]),
        },
    }
    return (json.dumps(summary, ensure_ascii=False, sort_keys=True, indent=1) + "\n").encode()


def bundle_files(draw: Dr2Draw, tier: str) -> dict[str, bytes]:
    """The files of the ``tier`` bundle ("public" or "auditor"), by name."""
    if tier not in TIERS:
        raise DrawStateError(
            f"数据包层级 {tier!r} 无效，应为 {' 或 '.join(TIERS)}",
            f"tier {tier!r} is not one of {', '.join(TIERS)}",
        )
    package = resources.files("dualrandom.draws")
    files: dict[str, bytes] = {
        "README.txt": package.joinpath("bundle_readme_dr2.txt").read_bytes(),
        "verify.py": package.joinpath("verify_standalone.py").read_bytes(),
        "bundle.json": _bundle_json(draw, tier),
        "commitment.json": draw.commitment,
        "plan.json": draw.plan,
        BEACON_FILE: draw.beacon_round,
        DICE_FILE: draw.dice.encode("ascii") + b"\n",
        SNAPSHOT_FILE: gzipped(draw.objects_public),
        "quotas.tsv": draw.audit_files["quotas.tsv"],
        **draw.public_files,
        ADDENDUM: _addendum(draw, public=tier == "public"),
    }
    if tier == "auditor":
        files |= {
            "objects-internal.tsv.gz": gzipped(draw.objects_internal),
            "inspectors.tsv": draw.inspectors,
            "conflicts.tsv": draw.conflicts,
            "history.tsv": draw.history,
            **draw.audit_files,
            SALT_FILE: draw.salt_key.hex().encode("ascii") + b"\n",
        }
    files[MANIFEST] = manifest(files)
    return files


def _addendum(draw: Dr2Draw, *, public: bool) -> bytes:
    plan = json.loads(draw.plan)
    return addendum(
        draw.substitutions,
        draw.public_files["selection.tsv"],
        draw.result_digest,
        public=public,
        department=str(plan["plan"]["department"]),
    )


def gzipped(data: bytes) -> bytes:
    """gzip with no file name and mtime 0: the same bytes for the same snapshot."""
    return gzip.compress(data, compresslevel=6, mtime=0)


def unpacked(files: Mapping[str, bytes]) -> dict[str, bytes]:
    """The bundle's files with every ``NAME.gz`` decompressed under ``NAME``.

    Raises ValueError when a .gz file is not gzip data."""
    out = {}
    for name, data in files.items():
        if name.endswith(".gz"):
            try:
                out[name.removesuffix(".gz")] = gzip.decompress(data)
            except (OSError, EOFError, zlib.error) as exc:
                raise ValueError(f"{name}: not gzip data ({exc})") from None
        else:
            out[name] = data
    return out


def manifest(files: Mapping[str, bytes]) -> bytes:
    """``sha256sum`` format: one "<hex>  <name>" line per file, by name; not the
    manifest itself, nor the snapshot (checked against the commitment instead)."""
    return "".join(
        f"{hashlib.sha256(files[n]).hexdigest()}  {n}\n"
        for n in sorted(files)
        if n not in (MANIFEST, SNAPSHOT_FILE)
    ).encode("utf-8")


def snapshot_path(digest: str) -> str:
    """Where the notice site publishes the public part of the object snapshot whose
    committed digest (SPEC §15, ``objects_public``) is ``digest``, from its root."""
    return f"snapshots/{digest}.tsv.gz"
