"""Checks that look beyond one cell: across columns, rows, files and the database.

Each check adds problems to the batch it is given and writes nothing. The
database is consulted only through :class:`Context`, which the importer fills
from the caller's session.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from dualrandom.registry._columns import ROW_KEYS
from dualrandom.registry._uscc import uscc_problems
from dualrandom.sheets import Batch, Reason, in_the_future

__all__ = ["Check", "Context", "Unique", "checks_for"]

Check = Callable[[Batch], None]


@dataclass(frozen=True, slots=True)
class Context:
    """What the checks need to know about the world outside the file."""

    today: date
    departments: frozenset[str]
    # (kind, ids) -> the ids that are in that registry now, gone or not
    registered: Callable[[str, Collection[str]], set[str]]


def checks_for(kind: str, context: Context) -> list[Check]:
    """The checks of one file of ``kind``; each call starts with no rows seen."""
    checks: list[Check] = [Unique(ROW_KEYS[kind])]
    if kind == "objects":
        checks += [
            uscc_ids,
            not_after("established", context.today),
            known_departments("departments", context.departments),
        ]
    elif kind in ("inspectors", "items"):
        checks.append(known_departments("department", context.departments))
    elif kind == "conflicts":
        checks += [
            registered("cert_no", "inspectors", context),
            registered("object_id", "objects", context),
            in_order("valid_from", "valid_until"),
        ]
    return checks


class Unique:
    """No two rows of one file share a key; both rows of a pair are reported."""

    def __init__(self, key: Sequence[str]) -> None:
        self.key = tuple(key)
        self.first_row: dict[Any, int] = {}
        self.reported: set[Any] = set()

    def __call__(self, batch: Batch) -> None:
        columns = [batch.values[name] for name in self.key]
        keys = list(zip(*columns, strict=True)) if len(columns) > 1 else columns[0]
        fresh = dict(zip(keys, batch.rows, strict=True))
        if len(fresh) == len(batch) and self.first_row.keys().isdisjoint(fresh):
            self.first_row.update(fresh)  # the usual case, checked at C speed
            return
        for index, key in enumerate(keys):
            if _complete(key):  # an empty or bad key cell is reported already
                self._one(batch, index, key)

    def _one(self, batch: Batch, index: int, key: Any) -> None:
        row = batch.rows[index]
        first = self.first_row.setdefault(key, row)
        if first == row:
            return
        shown = " / ".join(key) if isinstance(key, tuple) else str(key)
        if isinstance(key, tuple):
            zh_what, en_what = "键（" + " + ".join(map(batch.label, self.key)) + "）", "key"
        else:
            zh_what = en_what = batch.label(self.key[0])
        repeats = Reason(f"与第 {first} 行的{zh_what}重复", f"repeats the {en_what} of row {first}")
        batch.problem(index, self.key[0], repeats, shown)
        if key not in self.reported:  # the first row of the pair, once
            self.reported.add(key)
            repeated = Reason(f"在第 {row} 行重复出现", f"is repeated on row {row}")
            batch.problem(index, self.key[0], repeated, shown, row=first)


def _complete(key: Any) -> bool:
    return all(key) if isinstance(key, tuple) else bool(key)


def _flag(batch: Batch, column: str, reasons: dict[Any, Reason]) -> None:
    """Report every cell of ``column`` whose value has a reason in ``reasons``.

    The checks below judge each distinct value once, so a column of a
    million cells costs a set and, only when something is wrong, one scan.
    """
    if reasons:
        for index, value in enumerate(batch.values[column]):
            if value in reasons:
                batch.problem(index, column, reasons[value])


def uscc_ids(batch: Batch) -> None:
    """An id of type ``uscc`` must carry a valid check character (GB 32100-2015)."""
    ids, id_types = batch.values["id"], batch.values["id_type"]
    if all(ids) and set(id_types) == {"uscc"}:
        indexes: Sequence[int] = range(len(ids))
    else:
        pairs = enumerate(zip(ids, id_types, strict=True))
        indexes = [i for i, (code, kind) in pairs if code and kind == "uscc"]
    for position, reason in uscc_problems([ids[i] for i in indexes]):
        batch.problem(indexes[position], "id", reason)


def not_after(column: str, today: date) -> Check:
    reason = in_the_future(today)

    def check(batch: Batch) -> None:
        late = {day for day in set(batch.values[column]) if day is not None and day > today}
        _flag(batch, column, dict.fromkeys(late, reason))

    return check


def known_departments(column: str, departments: frozenset[str]) -> Check:
    """Department codes, one per cell or a list, must be in the departments table."""

    def unknown(value: str | tuple[str, ...] | None) -> list[str]:
        codes = (value,) if isinstance(value, str) else (value or ())
        return sorted(code for code in codes if code and code not in departments)

    def check(batch: Batch) -> None:
        reasons = {
            value: _unknown_departments(unknown(value))
            for value in set(batch.values[column])
            if unknown(value)
        }
        _flag(batch, column, reasons)

    return check


def _unknown_departments(codes: list[str]) -> Reason:
    listed = ", ".join(codes)
    return Reason(
        f"部门 {listed} 不存在；请先导入 departments.csv，或更正部门代码",
        f"names unknown department {listed}; import departments.csv first or correct the code",
    )


_REGISTRY_NAMES = {"objects": "检查对象名录库", "inspectors": "执法检查人员名录库"}


def registered(column: str, kind: str, context: Context) -> Check:
    """Ids in ``column`` must be in the ``kind`` registry, now (gone or not) or
    written earlier in the same transaction."""
    reason = Reason(f"不在{_REGISTRY_NAMES[kind]}中", f"is not in the {kind} registry")

    def check(batch: Batch) -> None:
        ids = set(batch.values[column]) - {None, ""}
        _flag(batch, column, dict.fromkeys(ids - context.registered(kind, ids), reason))

    return check


def in_order(start: str, end: str) -> Check:
    """A date range must not end before it starts."""

    def check(batch: Batch) -> None:
        for index, (first, last) in enumerate(
            zip(batch.values[start], batch.values[end], strict=True)
        ):
            if first is not None and last is not None and last < first:
                label, day = batch.label(start), first.isoformat()
                reason = Reason(f"早于{label} {day}", f"is before {label} {day}")
                batch.problem(index, end, reason)

    return check
