"""The draw result and its canonical output files (docs/SPEC.md §10)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dualrandom.core.encoding import (
    ALGORITHM,
    TAG_RESULT,
    escape,
    escape_list,
    fmt_int,
    join_lines,
    tagged_hash,
)
from dualrandom.core.plan_json import fraction_text
from dualrandom.core.pools import Exclusion
from dualrandom.core.quotas import Quota
from dualrandom.core.seed import Digests
from dualrandom.core.teams import Member
from dualrandom.core.tickets import ticket_hex

__all__ = ["FILE_NAMES", "DrawResult", "Selected", "Visit"]

FILE_NAMES = (
    "quotas.tsv",
    "result.tsv",
    "reserve.tsv",
    "teams.tsv",
    "exclusions.tsv",
    "outside.tsv",
)


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
    """Everything a DR-1 draw decides, as plain values."""

    seed: bytes
    digests: Digests
    quotas: tuple[Quota, ...]
    selected: tuple[Selected, ...]
    reserve: tuple[Selected, ...]
    visits: tuple[Visit, ...]
    exclusions: tuple[Exclusion, ...]
    outside: tuple[str, ...]
    algorithm: str = ALGORITHM

    @property
    def shortfalls(self) -> tuple[Quota, ...]:
        return tuple(q for q in self.quotas if q.shortfall > 0)

    def files(self) -> dict[str, bytes]:
        """The canonical output files, by name (SPEC §10)."""
        return {
            "quotas.tsv": quotas_tsv(self.quotas),
            "result.tsv": _selected_tsv(self.selected),
            "reserve.tsv": _selected_tsv(self.reserve),
            "teams.tsv": _teams_tsv(self.visits),
            "exclusions.tsv": _exclusions_tsv(self.exclusions),
            "outside.tsv": join_lines(("id",), (escape(i) for i in self.outside)),
        }

    @property
    def digest(self) -> str:
        """SHA-256("DR-1/result" 0x00 ‖ lp(name) ‖ lp(bytes) for each file in
        FILE_NAMES order): one value that pins every output byte."""
        return result_digest(self.files())


def result_digest(files: Mapping[str, bytes]) -> str:
    fields: list[bytes] = []
    for name in FILE_NAMES:
        fields += [name.encode("ascii"), files[name]]
    return tagged_hash(TAG_RESULT, fields).hex()


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
        ("stratum", "item", "rank", "id", "ticket"),
        (
            f"{escape(r.stratum)}\t{escape(r.item)}\t{r.rank}\t{escape(r.object_id)}\t"
            f"{r.ticket_hex}"
            for r in ordered
        ),
    )


def _teams_tsv(visits: tuple[Visit, ...]) -> bytes:
    header = (
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
    return join_lines(header, lines)


def _exclusions_tsv(rows: tuple[Exclusion, ...]) -> bytes:
    ordered = sorted(rows, key=lambda e: (e.stratum, e.item, e.object_id))
    return join_lines(
        ("stratum", "item", "id", "reasons"),
        (
            f"{escape(e.stratum)}\t{escape(e.item)}\t{escape(e.object_id)}\t" + ";".join(e.reasons)
            for e in ordered
        ),
    )
