"""The substitution addendum of a DR-2 bundle, ``substitutions.tsv`` (SPEC §26).

Every substitution recorded after a draw (a drawn object found 注销 or
无法联系 before its visit, replaced by the reserve rule of SPEC §8.3) is one
or more lines of the addendum, in the order recorded, each chained to the one
before from the draw's result digest. :func:`addendum` writes it from the
recorded rounds; :func:`check_addendum` replays SPEC §8.3 on it. The
standalone ``verify.py`` holds its own copy of the check (``check2_addendum``)
and must report every finding in the same words.

No database here: a pure function of the bundle's files.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from dualrandom.core.encoding import escape, split_lines, tagged_hash, unescape
from dualrandom.core.tickets import target_ticket

__all__ = [
    "ADDENDUM",
    "ADDENDUM_HEADER",
    "REASONS",
    "AddendumCheck",
    "SubstitutionRound",
    "addendum",
    "chain_heads",
    "check_addendum",
    "reason_code",
]

ADDENDUM = "substitutions.tsv"
ADDENDUM_HEADER = (
    "round",
    "at",
    "item",
    "stratum",
    "removed",
    "removed_visit",
    "replacement",
    "visit",
    "reason",
    "by",
    "chain",
)
# The reasons SPEC §8.3 allows, as the addendum writes them.
REASONS = ("注销", "无法联系")
T_SUBSTITUTION = b"DR-2/substitution\x00"
_AT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
_CHAINED = (0, 1, 2, 4, 5, 6, 7, 8)  # the fields the chain covers: not stratum, by


def reason_code(text: str) -> str | None:
    """The allowed reason a substitution's reason text starts with, or None."""
    return next((r for r in REASONS if text.strip().startswith(r)), None)


@dataclass(frozen=True)
class SubstitutionRound:
    """One recorded substitution: when, why, by whom, and the replacements made
    (stratum, item, removed, replacement or None, new visit number or None)."""

    at: str  # YYYY-MM-DDTHH:MM:SSZ
    reason: str  # one of REASONS
    actor: str
    replacements: tuple[tuple[str, str, str, str | None, int | None], ...]


def _chain(previous: bytes, fields: Sequence[str]) -> bytes:
    return tagged_hash(T_SUBSTITUTION, [previous, *(fields[i].encode("utf-8") for i in _CHAINED)])


def _selection(data: bytes) -> dict[tuple[str, str], tuple[str, str]]:
    """(item, id) -> (ticket, stratum as written: "" for a risk stratum), from selection.tsv."""
    rows = split_lines(data, ("item", "id", "ticket", "stratum", "rank"), "selection.tsv")
    return {(unescape(f[0]), unescape(f[1])): (f[2], unescape(f[3])) for f in rows}


UNREADABLE = "not a table of SPEC §26 (UTF-8, LF, the header, 11 fields a line, §2.1 escapes)"


def _rows(data: bytes) -> list[list[str]] | None:
    """The addendum's rows, raw fields; None unless strictly in the §2.1 line format."""
    try:
        text = data.decode("utf-8")
        lines = text[:-1].split("\n")
        rows = [line.split("\t") for line in lines[1:]]
        for f in rows:
            for value in f:
                unescape(value)
    except ValueError:
        return None
    if "\r" in text or text.startswith("\ufeff") or not text.endswith("\n"):
        return None
    if lines[0] != "\t".join(ADDENDUM_HEADER) or any(len(f) != len(ADDENDUM_HEADER) for f in rows):
        return None
    return rows


def _visit_numbers(tickets: dict[str, str]) -> dict[str, int]:
    order = sorted(tickets, key=lambda x: (int(tickets[x], 16), x))
    return {x: n for n, x in enumerate(order, start=1)}


def addendum(
    rounds: Sequence[SubstitutionRound],
    selection_tsv: bytes,
    result_digest: str,
    *,
    public: bool,
    department: str,
) -> bytes:
    """``substitutions.tsv`` of a tier. Public: a risk stratum's name left empty (as in
    selection.tsv) and ``by`` the plan's department instead of a person's name."""
    selected = _selection(selection_tsv)
    visits = _visit_numbers({x: t for (_, x), (t, _) in selected.items()})
    previous = bytes.fromhex(result_digest)
    lines = []
    for number, substitution in enumerate(rounds, start=1):
        for stratum, item, removed, replacement, visit in substitution.replacements:
            shown = selected[(item, removed)][1] if public else stratum
            fields = [
                str(number),
                substitution.at,
                escape(item),
                escape(shown),
                escape(removed),
                str(visits[removed]),
                escape(replacement or ""),
                "" if visit is None else str(visit),
                substitution.reason,
                escape(department if public else substitution.actor),
            ]
            previous = _chain(previous, fields)
            lines.append("\t".join([*fields, previous.hex()]))
    return ("\t".join(ADDENDUM_HEADER) + "\n" + "".join(line + "\n" for line in lines)).encode()


def chain_heads(
    rounds: Sequence[SubstitutionRound], selection_tsv: bytes, result_digest: str
) -> list[str]:
    """The substitution head (SPEC §26) after each round."""
    lines = addendum(rounds, selection_tsv, result_digest, public=True, department="-")
    ends = [f.split("\t") for f in lines.decode("utf-8").split("\n")[1:-1]]
    heads: dict[str, str] = {}
    for f in ends:
        heads[f[0]] = f[10]
    previous = result_digest
    out = []
    for number in range(1, len(rounds) + 1):
        previous = heads.get(str(number), previous)  # a round with no line keeps the head
        out.append(previous)
    return out


@dataclass
class AddendumCheck:
    """What :func:`check_addendum` found: findings (one line each), rows checked by
    the reserve rule in full and rows whose pool this tier cannot see."""

    findings: list[str] = field(default_factory=list)
    rounds: int = 0
    full: int = 0
    part: int = 0

    @property
    def claim(self) -> str:
        if not self.full + self.part:
            return "no substitutions"
        return (
            f"{self.full + self.part} substitutions in {self.rounds} rounds "
            f"({self.full} by the reserve rule, {self.part} as visits only)"
        )


def check_addendum(
    data: bytes,
    selected: Sequence[tuple[str, str, str, str, int | None]],
    reserve: Sequence[tuple[str, str, int, str]],
    seed: bytes,
    result_digest: str,
    department: str | None,
) -> AddendumCheck:
    """Replay SPEC §8.3 (and §26) on ``substitutions.tsv``.

    ``selected``: (item, id, ticket, stratum, rank) per drawn pair, the stratum
    "" (rank None) where this tier cannot see it; ``reserve``: (stratum, item,
    rank, id) of every reserve member this tier sees; ``department``: the plan's
    department, which the public tier writes as ``by`` (None: auditor tier)."""
    out = AddendumCheck()

    def find(line: int, column: str, value: str, reason: str) -> None:
        out.findings.append(f"{ADDENDUM}:{line} [{column}] {value!r}: {reason}")

    rows = _rows(data)
    if rows is None:
        out.findings.append(f"{ADDENDUM}: {UNREADABLE}")
        return out
    sel = {(i, x): (h, rank) for i, x, _, h, rank in selected}
    tickets = {x: t for _, x, t, _, _ in selected}
    number_of = _visit_numbers(tickets)
    items_of: dict[str, list[str]] = defaultdict(list)
    for i, x, _, _, _ in selected:
        items_of[x].append(i)
    queues: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
    for h, i, rank, x in reserve:
        queues[(h, i)].append((rank, x))
    known_reserve = {x for _, _, _, x in reserve}
    previous = bytes.fromhex(result_digest)
    groups: list[list[tuple[int, list[str]]]] = []
    last_round, last_at = 0, ""
    for line, f in enumerate(rows, start=2):
        chained = _chain(previous, f)
        if f[10] != chained.hex():
            find(line, "chain", f[10], "not H(T_SUBST; previous chain, this line)")
        previous = bytes.fromhex(f[10]) if re.fullmatch(r"[0-9a-f]{64}", f[10]) else chained
        if f[0] == str(last_round) and groups:
            groups[-1].append((line, f))
            first = groups[-1][0][1]
            for column, n in (("at", 1), ("reason", 8), ("by", 9)):
                if f[n] != first[n]:
                    find(line, column, f[n], f"differs within round {f[0]}")
            continue
        if f[0] != str(last_round + 1):
            find(line, "round", f[0], f"the next round is {last_round + 1}")
        last_round += 1
        groups.append([(line, f)])
        if not _AT.fullmatch(f[1]) or f[1] < last_at:
            find(line, "at", f[1], "not YYYY-MM-DDTHH:MM:SSZ at or after the round before")
        else:
            last_at = f[1]
        if f[8] not in REASONS:
            find(line, "reason", f[8], f"not one of {'、'.join(REASONS)}")
        if department is not None and unescape(f[9]) != department:
            find(line, "by", f[9], "the public tier names the plan's department")
        elif not f[9]:
            find(line, "by", f[9], "empty")
    out.rounds = len(groups)
    removed_before: set[str] = set()
    used: set[str] = set()
    next_visit = len(number_of) + 1
    for group in groups:
        parsed = [
            (line, unescape(f[2]), unescape(f[3]), unescape(f[4]), unescape(f[6]), f)
            for line, f in group
        ]
        new = {x for _, _, _, x, _, _ in parsed}
        gone = removed_before | new
        pairs = set()
        for line, i, h, x, _, f in parsed:
            if (i, x) in pairs:
                find(line, "removed", x, f"listed twice for item {i}")
            pairs.add((i, x))
            if x in removed_before:
                find(line, "removed", x, "already removed in an earlier round")
            if x not in number_of:
                find(line, "removed", x, "not a visit of the draw")
            elif f[5] != str(number_of[x]):
                find(line, "removed_visit", f[5], f"its visit is {number_of[x]}")
            if (i, x) not in sel:
                find(line, "item", i, f"{x} was not drawn for this item")
            elif sel[(i, x)][0] != h:
                find(line, "stratum", h, f"{x} was drawn in stratum {sel[(i, x)][0]!r}")
        for line, _, _, x, _, _ in parsed:
            missing = [i for i in items_of.get(x, []) if (i, x) not in pairs]
            if missing:
                find(line, "removed", x, f"drawn for item {missing[0]} too, which has no line")
                pairs |= {(i, x) for i in missing}
        pools: dict[tuple[str, str], list[tuple[int, int, str]]] = defaultdict(list)
        for line, i, h, x, rep, _ in parsed:
            seen_rank = sel.get((i, x), ("", None))[1]
            if h and seen_rank is not None:
                pools[(h, i)].append((line, seen_rank, rep))
                out.full += 1
                continue
            out.part += 1
            if rep and (rep in number_of or rep in gone or rep in used):
                find(line, "replacement", rep, "already a visit of the draw")
            elif rep and rep in known_reserve:
                find(line, "replacement", rep, "a reserve member of another pool")
        for (h, i), members in pools.items():
            ranks = [rank for _, rank, _ in members]
            if ranks != sorted(ranks):
                find(members[0][0], "removed", h, f"the removed of item {i} not in rank order")
            queue = [
                x
                for _, x in sorted(queues[(h, i)])
                if x not in gone and x not in number_of and x not in used
            ]
            for n, (line, _, rep) in enumerate(members):
                expected = queue[n] if n < len(queue) else ""
                if rep != expected:
                    find(line, "replacement", rep, f"SPEC §8.3 gives {expected!r}")
        chosen = sorted(
            {rep for _, _, _, _, rep, _ in parsed if rep},
            key=lambda x: (target_ticket(seed, x), x),
        )
        numbers = {x: next_visit + n for n, x in enumerate(chosen)}
        for line, _, _, _, rep, f in parsed:
            expected = str(numbers[rep]) if rep else ""
            if f[7] != expected:
                find(line, "visit", f[7], f"the new visit is {expected!r}")
        next_visit += len(chosen)
        used |= set(chosen)
        removed_before = gone
    return out
