"""A draw's inputs, the one path from storage to the core.

:func:`gather` assembles the inputs of a new draw: the stored plan and
items, the current registries and the history. :func:`stored_inputs` gives
the inputs a stored draw was drawn from: its own plan.json and history.tsv
and the registries as of the versions it recorded. :func:`inputs_from_files`
is what both that and a bundle's re-run build on.

History (the input of look-back, annual-cap and previous-team rules) is the
visits of every standing draw (state ``drawn``) of another plan whose check
window starts before this plan's, each dated by that plan's window start.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualrandom.beacon import BeaconRound, Pin, verify_round
from dualrandom.core import DR1, DR2, DrawInputs, parse_history, parse_plan
from dualrandom.core.canonical import public_object_digest
from dualrandom.core.model import (
    ConflictRecord,
    HistoryRecord,
    InspectorRecord,
    ItemRecord,
    ObjectRecord,
    Plan,
)
from dualrandom.core.table import ObjectTable
from dualrandom.draws.states import DrawState
from dualrandom.errors import DrawStateError, NotFoundError
from dualrandom.registry.parallel import (
    Aside,
    internal_digest_alongside,
    object_digests_alongside,
)
from dualrandom.registry.snapshot import (
    conflict_table_as_of,
    current_version,
    inspectors_as_of,
    object_table_as_of,
)
from dualrandom.rules.store import load_items, load_plan
from dualrandom.tables import DrawFileRow, DrawMemberRow, DrawRow, DrawVisitRow

__all__ = [
    "Alongside",
    "Gathered",
    "draw_files",
    "draw_registries",
    "gather",
    "inputs_from_files",
    "split_list",
    "start_digests",
    "stored_inputs",
]


@dataclass(frozen=True)
class Gathered:
    inputs: DrawInputs
    versions: dict[str, int]  # registry kind -> version number (0: never imported)
    # With gather(digests=...): the objects' snapshot digests, made alongside
    # (registry.parallel), for core.prepare(object_digests=...).
    object_digests: Callable[[], tuple[str, str]] | None = None


def split_list(text: str) -> tuple[str, ...]:
    return tuple(part for part in text.split(";") if part)


@dataclass(frozen=True)
class Alongside:
    """The objects' snapshot digests, started before any object is read (which
    holds them still: registry.parallel); ``digests(table)`` is then what
    core.prepare calls for them, given the table the draw read meanwhile.
    ``check_round()`` raises if the round given to :func:`start_digests` is
    refused (its signature checked alongside too), and must be called before
    its randomness is used."""

    versions: dict[str, int]
    digests: Callable[[ObjectTable], Callable[[], tuple[str, str]]]
    check_round: Callable[[], None] = lambda: None


def start_digests(
    session: Session, algorithm: str, *, signed: tuple[Pin, BeaconRound, bytes] | None = None
) -> Alongside:
    """Start making the current objects' snapshot digests in ``algorithm`` alongside
    (``registry.parallel``), for a later ``gather(..., alongside=...)``: the
    second process reads while this one does something else first. ``signed``
    (DR-2): a round admitted (``beacon.admit_round``) from its JSON bytes; the
    second process checks its signature too, first (py_ecc's import and a
    pairing: most of a second this process need not spend)."""
    versions = _versions(session)
    version = versions["objects"]
    if algorithm == DR2:
        # The public part holds no name or address: it is made here, from the columns
        # the draw reads; only the internal part is read and hashed alongside.
        chain_round = None if signed is None else (signed[0].chain.chain_hash, signed[2])
        aside = internal_digest_alongside(session, version, signed=chain_round)
        check_round = _round_check(aside, signed) if signed is not None else lambda: None
        return Alongside(versions, functools.partial(_dr2_digests, aside), check_round)
    both = object_digests_alongside(session, version, algorithm)
    return Alongside(versions, lambda _: both)


def _dr2_digests(aside: Aside, table: ObjectTable) -> Callable[[], tuple[str, str]]:
    """The public part's digest made here, with the rows' buckets if the second
    process has found them already (no hash a row twice), then the internal one's."""
    return lambda: (
        public_object_digest(table.columns, aside.buckets_if_answered()),
        aside.internal(),
    )


def _round_check(aside: Aside, signed: tuple[Pin, BeaconRound, bytes]) -> Callable[[], None]:
    pin, beacon, _ = signed
    return functools.partial(aside.check_round, functools.partial(verify_round, pin.chain, beacon))


def gather(
    session: Session,
    plan_id: str,
    *,
    objects: bool = True,
    digests: str | None = None,
    alongside: Alongside | None = None,
) -> Gathered:
    """The plan, its items, the current registries and the history, as core values.
    ``objects=False``: no object is read (the in-database engine reads the object
    registry itself, as of ``versions["objects"]``); the inputs hold none.
    ``digests`` (an algorithm): the objects are read without names and
    addresses, which no draw reads, and their snapshot's digests in that
    algorithm are made alongside from all the stored fields; ``alongside``:
    the same, started already (``start_digests``)."""
    plan = load_plan(session, plan_id)
    if alongside is None and objects and digests is not None:
        alongside = start_digests(session, digests)  # before any row is read: holds them still
    versions = alongside.versions if alongside is not None else _versions(session)
    read = versions if objects and alongside is None else {**versions, "objects": 0}
    table, inspectors, conflicts = _registries(session, read)
    made = None
    if alongside is not None:
        table = object_table_as_of(session, versions["objects"], particulars=False)
        made = alongside.digests(table)
    inputs = DrawInputs(
        plan=plan,
        items=_items(session, plan),
        objects=table,
        inspectors=inspectors,
        conflicts=conflicts,
        history=history_before(session, plan),
    )
    return Gathered(inputs, versions, made)


def stored_inputs(session: Session, row: DrawRow) -> DrawInputs:
    """The inputs the stored draw ``row`` was (or will be) drawn from."""
    objects, inspectors, conflicts = draw_registries(session, row)
    return inputs_from_files(
        draw_files(session, row.id, ["plan.json", "history.tsv"]),
        objects=objects,
        inspectors=inspectors,
        conflicts=conflicts,
        algorithm=row.algorithm,
    )


def inputs_from_files(
    files: Mapping[str, bytes],
    *,
    objects: Sequence[ObjectRecord],
    inspectors: Sequence[InspectorRecord],
    conflicts: Sequence[ConflictRecord],
    algorithm: str = DR1,
) -> DrawInputs:
    """A draw's inputs from its files plan.json and history.tsv and the registries."""
    plan, items = parse_plan(files["plan.json"], algorithm)
    return DrawInputs(
        plan=plan,
        items=items,
        objects=objects,
        inspectors=inspectors,
        conflicts=conflicts,
        history=parse_history(files["history.tsv"]),
    )


def draw_files(
    session: Session, draw_id: int, names: Collection[str] | None = None
) -> dict[str, bytes]:
    """The stored files of a draw (plan, history, commitment, results), by name;
    only those in ``names`` if given (a result file of a large draw is megabytes)."""
    query = select(DrawFileRow).where(DrawFileRow.draw_id == draw_id)
    if names is not None:
        query = query.where(DrawFileRow.name.in_(list(names)))
    return {f.name: f.content for f in session.scalars(query)}


# The objects as columns (an ObjectTable, a sequence of records made on demand):
# a registry of millions never becomes millions of records.
Registries = tuple[Sequence[ObjectRecord], list[InspectorRecord], Sequence[ConflictRecord]]


def draw_registries(session: Session, row: DrawRow) -> Registries:
    """The registries as of the versions the stored draw ``row`` recorded."""
    versions = {
        "objects": row.objects_version,
        "inspectors": row.inspectors_version,
        "conflicts": row.conflicts_version,
    }
    return _registries(session, versions)


def _registries(session: Session, versions: Mapping[str, int]) -> Registries:
    """The registries as of ``versions`` (conflicts 0: none was ever imported;
    objects 0: not read)."""
    return (
        object_table_as_of(session, versions["objects"]) if versions["objects"] else (),
        inspectors_as_of(session, versions["inspectors"]),
        conflict_table_as_of(session, versions["conflicts"]) if versions["conflicts"] else [],
    )


def _versions(session: Session) -> dict[str, int]:
    versions = {}
    for kind in ("objects", "inspectors", "conflicts"):
        version = current_version(session, kind)
        if version is None and kind != "conflicts":
            raise DrawStateError(
                f"名录库 {kind} 为空；请先运行 dualrandom registry import {kind} FILE 导入",
                f"the {kind} registry is empty; import it first with "
                f"'dualrandom registry import {kind} FILE'",
            )
        versions[kind] = version.number if version else 0
    return versions


def _items(session: Session, plan: Plan) -> dict[str, ItemRecord]:
    stored = load_items(session)
    missing = [code for code in plan.items if code not in stored]
    if missing:
        raise NotFoundError(
            f"计划 {plan.id!r} 列出的检查事项 {'、'.join(missing)} 尚未载入；"
            "请运行 dualrandom rules load",
            f"plan {plan.id!r} names item(s) {', '.join(missing)} that are not loaded; "
            "run 'dualrandom rules load'",
        )
    return {code: stored[code] for code in plan.items}


def history_before(session: Session, plan: Plan) -> list[HistoryRecord]:
    """Visits of standing draws of plans whose window starts before ``plan``'s."""
    records: list[HistoryRecord] = []
    standing = session.scalars(
        select(DrawRow)
        .where(DrawRow.state == DrawState.DRAWN, DrawRow.plan_id != plan.id)
        .order_by(DrawRow.id)
    )
    for draw in standing:
        other = load_plan(session, draw.plan_id)
        if other.window_start < plan.window_start:
            records.extend(_draw_history(session, draw.id, other))
    return records


def _draw_history(session: Session, draw_id: int, plan: Plan) -> list[HistoryRecord]:
    officers: dict[int, list[str]] = defaultdict(list)
    for member in session.scalars(select(DrawMemberRow).where(DrawMemberRow.draw_id == draw_id)):
        officers[member.visit].append(member.cert_no)
    return [
        HistoryRecord(visit.object_id, item, plan.window_start, tuple(officers[visit.number]))
        for visit in session.scalars(select(DrawVisitRow).where(DrawVisitRow.draw_id == draw_id))
        for item in split_list(visit.items)
    ]
