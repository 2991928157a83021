"""The draw result, its canonical output files (docs/SPEC.md §10) and its digest:
DR-1's over the six audit files, DR-2's over the public and the internal
digest (§22)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from dualrandom.core.buckets import file_digest
from dualrandom.core.encoding import (
    ALGORITHM,
    DR2,
    TAG2_INTERNAL,
    TAG2_RESULT,
    TAG_RESULT,
    digest_bytes,
    escape,
    escape_list,
    fmt_int,
    join_lines,
    tagged_hash,
)
from dualrandom.core.plan_json import fraction_text
from dualrandom.core.pools import Exclusion
from dualrandom.core.public import PublicOutputs
from dualrandom.core.quotas import Quota
from dualrandom.core.seed import Digests
from dualrandom.core.teams import Member
from dualrandom.core.tickets import ticket_hex

__all__ = [
    "FILE_NAMES",
    "OUTPUT_TABLES",
    "SELECTED_FIELDS",
    "TEAM_FIELDS",
    "DrawResult",
    "Selected",
    "Visit",
    "internal_digest",
    "output_digests",
    "result_digest",
    "result_digest_dr2",
    "seed_independent_files",
]

FILE_NAMES = (
    "quotas.tsv",
    "result.tsv",
    "reserve.tsv",
    "teams.tsv",
    "exclusions.tsv",
    "outside.tsv",
)
# The header of result.tsv and reserve.tsv, and of teams.tsv (SPEC §10).
SELECTED_FIELDS = ("stratum", "item", "rank", "id", "ticket")
TEAM_FIELDS = (
    "visit",
    "id",
    "ticket",
    "items",
    "departments",
    "slot",
    "role",
    "officer",
    "department",
    "position",
)
# The seed-independent output files a DR-2 commitment pins, and their table names (SPEC §17).
OUTPUT_TABLES = {"quotas.tsv": "quotas", "exclusions.tsv": "exclusions", "outside.tsv": "outside"}


@dataclass(frozen=True, slots=True)
class Selected:
    """A drawn (or reserve) object of one (item, stratum) pool. ``rank`` is
    1-based in the pool's order; reserve ranks continue after k."""

    stratum: str
    item: str
    rank: int
    object_id: str
    ticket: int

    @property
    def ticket_hex(self) -> str:
        return ticket_hex(self.ticket)


@dataclass(frozen=True, slots=True)
class Visit:
    """One visit (one per drawn object) with all its items and its team."""

    number: int
    object_id: str
    ticket: int
    items: tuple[str, ...]
    departments: tuple[str, ...]
    team: tuple[Member, ...]


@dataclass(frozen=True, slots=True)
class DrawResult:
    """Everything a draw decides, as plain values; a DR-2 result also carries
    its public files (``public``, SPEC §21)."""

    seed: bytes
    digests: Digests
    quotas: tuple[Quota, ...]
    selected: tuple[Selected, ...]
    reserve: tuple[Selected, ...]
    visits: tuple[Visit, ...]
    exclusions: tuple[Exclusion, ...]
    outside: tuple[str, ...]
    algorithm: str = ALGORITHM
    public: PublicOutputs | None = None
    # files() made once: a provincial batch's files are megabytes, asked for
    # by the digest and by whoever stores them (a value of the fields above).
    _files: dict[str, bytes] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    @property
    def shortfalls(self) -> tuple[Quota, ...]:
        return tuple(q for q in self.quotas if q.shortfall > 0)

    def files(self) -> dict[str, bytes]:
        """The canonical output files, by name (SPEC §10)."""
        if not self._files:
            fixed = seed_independent_files(self.quotas, self.exclusions, self.outside)
            seeded = {
                "result.tsv": _selected_tsv(self.selected),
                "reserve.tsv": _selected_tsv(self.reserve),
                "teams.tsv": _teams_tsv(self.visits),
            }
            self._files.update(
                (name, fixed[name] if name in fixed else seeded[name]) for name in FILE_NAMES
            )
        return dict(self._files)

    def public_files(self) -> dict[str, bytes]:
        """The DR-2 public files by name (SPEC §21); empty for DR-1."""
        return {} if self.public is None else self.public.files()

    @property
    def digest(self) -> str:
        """One value that pins every output byte. DR-1: SHA-256("DR-1/result" 0x00
        ‖ lp(name) ‖ lp(bytes) for each file in FILE_NAMES order). DR-2:
        H(T_RESULT; public digest, internal digest) (SPEC §22)."""
        if self.algorithm != DR2:
            return result_digest(self.files())
        if self.public is None:
            raise ValueError("a DR-2 result needs its public files for its digest")
        return result_digest_dr2(self.public.digest, internal_digest(self.files()))


def internal_digest(files: Mapping[str, bytes]) -> str:
    """DR-2's digest of the six audit files: H(T_INTERNAL; name, bytes, …) in
    FILE_NAMES order (DR-1's result digest with the DR-2 tag)."""
    return _files_digest(TAG2_INTERNAL, files)


def result_digest_dr2(public_digest: str, internal_digest: str) -> str:
    """H(T_RESULT; public digest, internal digest), each as 32 raw bytes (SPEC §22)."""
    return tagged_hash(
        TAG2_RESULT, (digest_bytes(public_digest), digest_bytes(internal_digest))
    ).hex()


def seed_independent_files(
    quotas: tuple[Quota, ...], exclusions: tuple[Exclusion, ...], outside: tuple[str, ...]
) -> dict[str, bytes]:
    """quotas.tsv, exclusions.tsv and outside.tsv: fixed at prepare (SPEC §7, §10)."""
    return {
        "quotas.tsv": quotas_tsv(quotas),
        "exclusions.tsv": _exclusions_tsv(exclusions),
        "outside.tsv": join_lines(("id",), (escape(i) for i in outside)),
    }


def output_digests(files: Mapping[str, bytes]) -> dict[str, str]:
    """The DR-2 digests of quotas.tsv, exclusions.tsv and outside.tsv, keyed as
    the commitment's ``digests`` object keys them (``quotas`` …) (SPEC §17)."""
    return {table: file_digest(table, files[name]) for name, table in OUTPUT_TABLES.items()}


def _files_digest(tag: bytes, files: Mapping[str, bytes]) -> str:
    fields: list[bytes] = []
    for name in FILE_NAMES:
        fields += [name.encode("ascii"), files[name]]
    return tagged_hash(tag, fields).hex()


def result_digest(files: Mapping[str, bytes]) -> str:
    """DR-1's result digest (SPEC §10)."""
    return _files_digest(TAG_RESULT, files)


def quotas_tsv(quotas: tuple[Quota, ...]) -> bytes:
    rows = sorted(quotas, key=lambda q: (q.stratum, q.item))
    return join_lines(
        ("stratum", "item", "pool_size", "ratio", "min", "max", "k", "shortfall", "reserve"),
        (
            "\t".join(
                (
                    escape(q.stratum),
                    escape(q.item),
                    str(q.pool_size),
                    fraction_text(q.ratio),
                    str(q.min_count),
                    fmt_int(q.max_count),
                    str(q.k),
                    str(q.shortfall),
                    str(q.reserve),
                )
            )
            for q in rows
        ),
    )


def _selected_tsv(rows: tuple[Selected, ...]) -> bytes:
    ordered = sorted(rows, key=lambda r: (r.stratum, r.item, r.rank))
    return join_lines(
        SELECTED_FIELDS,
        (
            f"{escape(r.stratum)}\t{escape(r.item)}\t{r.rank}\t{escape(r.object_id)}\t"
            f"{r.ticket_hex}"
            for r in ordered
        ),
    )


def _teams_tsv(visits: tuple[Visit, ...]) -> bytes:
    lines = []
    for v in sorted(visits, key=lambda v: v.number):
        head = (
            f"{v.number}\t{escape(v.object_id)}\t{ticket_hex(v.ticket)}\t"
            f"{escape_list(v.items, 'items')}\t{escape_list(v.departments, 'departments')}"
        )
        for m in v.team:
            lines.append(
                f"{head}\t{m.slot}\t{escape(m.role)}\t{escape(m.officer)}\t"
                f"{escape(m.department)}\t{m.position}"
            )
    return join_lines(TEAM_FIELDS, lines)


def _exclusions_tsv(rows: tuple[Exclusion, ...]) -> bytes:
    ordered = sorted(rows, key=lambda e: (e.stratum, e.item, e.object_id))
    return join_lines(
        ("stratum", "item", "id", "reasons"),
        (
            f"{escape(e.stratum)}\t{escape(e.item)}\t{escape(e.object_id)}\t" + ";".join(e.reasons)
            for e in ordered
        ),
    )
