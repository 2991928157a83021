"""The public check of a DR-2 draw (docs/SPEC.md §23): what anyone can verify
from the public tier alone — the plan document, the public part of the object
snapshot, the public files and the seed — without any risk class.

    public_check(plan_document, objects_public, files, seed, committed=…, quotas=…)
        -> PublicCheck(pools, findings, selected, decided)

Per pool the account is ``full`` (a public stratum: pool, quota, selection
and reserve recomputed) or ``bounds`` (a risk stratum: tickets, counts and
its group's cutoff bounds checked); ``auditor`` is the word a verifier uses
for a pool it could not check at all in its tier. Every difference is a
finding (a :class:`dualrandom.errors.Problem`: file, line, column, value,
reason in Chinese and English), in a fixed order, so two verifiers that
mirror this module report the same findings.

The caller checks beforehand what this module takes as given: the plan
document's and the public part's digests against the commitment, the seed
against the commitment, beacon and dice, and afterwards the public digest
of ``files`` with the internal digest against the result digest.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import partial
from typing import Any

import numpy as np
import numpy.typing as npt

from dualrandom.core.buckets import file_digest
from dualrandom.core.canonical import OBJECT_LAYOUTS
from dualrandom.core.encoding import (
    DR2,
    escape,
    escape_list,
    join_lines,
    parse_bool,
    split_lines,
    unescape,
    unescape_list,
)
from dualrandom.core.model import ItemRecord, ObjectRecord, Plan
from dualrandom.core.plan_json import parse_plan
from dualrandom.core.pools import REASONS
from dualrandom.core.public import (
    _SIGNATURE_FIELDS,
    BOUNDS_FIELDS,
    EXCLUSIONS_PUBLIC_FIELDS,
    OUTSIDE_FIELDS,
    PUBLIC_FILE_NAMES,
    RESERVE_PUBLIC_FIELDS,
    SELECTION_FIELDS,
    Facts,
    PublicView,
    check_risk_only_in_strata,
    filter_attributes,
)
from dualrandom.core.quotas import Quota, quota_size, reserve_size
from dualrandom.core.seed import CommittedDigests
from dualrandom.core.selection import smallest
from dualrandom.core.tickets import target_tickets, ticket_hex
from dualrandom.errors import Problem, UserError

__all__ = ["AUDITOR", "BOUNDS", "FULL", "PoolAccount", "PublicCheck", "public_check"]

FULL, BOUNDS, AUDITOR = "full", "bounds", "auditor"
PLAN_FILE, OBJECTS_FILE = "plan", "objects-public"  # how findings name the two inputs


@dataclass(frozen=True, slots=True)
class PoolAccount:
    """How far the public tier checked the pool of (item, stratum)."""

    item: str
    stratum: str
    check: str  # FULL, BOUNDS or AUDITOR


@dataclass(frozen=True, slots=True)
class PublicCheck:
    """The outcome: per-pool accounts, every finding, and how many of the
    ``selected`` rows of selection.tsv the public check ``decided`` in full
    (selections in public strata, and forced selections of covered candidates
    below their groups' lowest cutoff)."""

    pools: tuple[PoolAccount, ...]
    findings: tuple[Problem, ...]
    selected: int
    decided: int

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def share(self) -> Fraction:
        """decided / selected (1 when nothing was selected)."""
        return Fraction(self.decided, self.selected) if self.selected else Fraction(1)

    def counts(self) -> dict[str, int]:
        """Pools per account, e.g. {"full": 4, "bounds": 12, "auditor": 0}."""
        return {word: sum(p.check == word for p in self.pools) for word in (FULL, BOUNDS, AUDITOR)}


class _Failed(Exception):
    """The inputs cannot be read far enough to check anything more."""


@dataclass
class _Findings:
    items: list[Problem] = field(default_factory=list)

    def add(self, file: str, line: int | None, column: str, value: str, zh: str, en: str) -> None:
        self.items.append(Problem(file, line, column, value, zh, en))


class _Objects:
    """The public part: ids in file (= id) order, and per row the number of its
    signature (fields 3-10), whose Facts and status are kept once."""

    def __init__(self, ids: list[str], sig: list[int], facts: list[Facts], status: list[str]):
        self.ids = ids
        self.row = {object_id: n for n, object_id in enumerate(ids)}
        self.sig = np.array(sig, dtype=np.int64)
        self.sig_facts, self.sig_status = facts, status

    def facts(self, object_id: str) -> Facts | None:
        row = self.row.get(object_id)
        return None if row is None else self.sig_facts[int(self.sig[row])]

    def status(self, object_id: str) -> str:
        return self.sig_status[int(self.sig[self.row[object_id]])]

    def rows(self, wanted: Callable[[Facts, str], bool]) -> npt.NDArray[np.intp]:
        """The rows (in id order) whose facts and status satisfy ``wanted``."""
        by_sig = np.array(
            [wanted(f, s) for f, s in zip(self.sig_facts, self.sig_status, strict=True)] or [False]
        )
        return np.flatnonzero(by_sig[self.sig]) if len(self.ids) else np.zeros(0, dtype=np.intp)


def _read_objects(
    data: bytes, plan: Plan, items: Mapping[str, ItemRecord], out: _Findings
) -> tuple[PublicView, _Objects]:
    """The public part's rows, the view of the plan they make, and their facts.

    A row's facts depend only on fields 3-10 (type … tags), so each row is
    keyed by that slice of its line and only distinct slices are parsed
    (a registry of millions of rows has far fewer)."""
    header = "\t".join(OBJECT_LAYOUTS[DR2][0])
    lines = _lines(data, header, out)
    # Facts and the exclusion check read the filter fields and the status alone:
    # rows that agree on those share one record. Every field is still read and
    # checked, once per distinct value of its column.
    keep = sorted({_SIGNATURE_FIELDS.index(a) for a in (*filter_attributes(plan, items), "status")})
    columns: list[dict[str, object]] = [{} for _ in _SIGNATURE_FIELDS]
    projected: dict[str, tuple[str, ...]] = {}  # the fields 3-10 of a line -> its kept fields
    prototypes: dict[tuple[str, ...], ObjectRecord] = {}
    numbers: dict[tuple[str, ...], int] = {}
    sig, ids = [], []
    for number, line in enumerate(lines, start=2):
        first = line.find("\t")
        second = line.find("\t", first + 1)
        key = line[second + 1 : line.rfind("\t")]
        if line.count("\t") != len(OBJECT_LAYOUTS[DR2][0]) - 1 or first <= 0:
            out.add(OBJECTS_FILE, number, "", line, "字段数不对", "wrong number of fields")
            raise _Failed
        kept = projected.get(key)
        if kept is None:
            parts = key.split("\t")
            try:
                for index, raw in enumerate(parts):
                    if raw not in columns[index]:
                        columns[index][raw] = _field(index, raw)
            except ValueError as exc:
                out.add(OBJECTS_FILE, number, "", line[:first], f"对象无法读取：{exc}",
                        f"bad object: {exc}")  # fmt: skip
                raise _Failed from None
            kept = projected[key] = tuple(parts[i] for i in keep)
            if kept not in prototypes:
                numbers[kept] = len(numbers)
                prototypes[kept] = _prototype(tuple(parts))
        sig.append(numbers[kept])
        ids.append(unescape(line[:first]))
        if len(ids) > 1 and ids[-1] <= ids[-2]:  # SPEC §16: sorted by id, ids unique
            same = ids[-1] == ids[-2]
            out.add(OBJECTS_FILE, number, "", line[:first],
                    "重复的 id" if same else "行未按 id 排序",
                    "duplicate key" if same else "rows out of order")  # fmt: skip
            raise _Failed
    view = PublicView(plan, items, prototypes.values())
    records = list(prototypes.values())  # in signature-number order
    facts = [view.facts(record) for record in records]
    return view, _Objects(ids, sig, facts, [record.status.value for record in records])


def _lines(data: bytes, header: str, out: _Findings) -> list[str]:
    """The row lines of the public part, after checking its encoding and header."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        out.add(OBJECTS_FILE, None, "", "", f"不是 UTF-8：{exc}", f"not UTF-8: {exc}")
        raise _Failed from None
    if not text.endswith("\n") or not text.startswith(header + "\n"):
        out.add(OBJECTS_FILE, 1, "", text.partition("\n")[0], "表头不对或末行没有换行符",
                "wrong header, or the last line does not end with LF")  # fmt: skip
        raise _Failed
    body = text[len(header) + 1 : -1]
    return body.split("\n") if body else []


# A valid value of each of the fields 3-10, to check one field of a row alone.
_VALID = ("企业", "C", "-", "存续", "0", "0", "", "")


def _field(index: int, raw: str) -> object:
    """Check one field (3-10) of a public row as a record does; ValueError if bad."""
    return _prototype((*_VALID[:index], raw, *_VALID[index + 1 :]))


def _prototype(signature: tuple[str, ...]) -> ObjectRecord:
    """A record with the filter-relevant fields of a public row. Its risk class
    is a placeholder that nothing reads: PublicView matches only filters
    without their risk clause."""
    kind, industry, district, status, abnormal, serious, departments, tags = signature
    return ObjectRecord(
        id="-",
        name="",
        type=kind,  # type: ignore[arg-type]
        industry=unescape(industry),
        district=unescape(district),
        status=status,  # type: ignore[arg-type]
        risk_class="A",  # type: ignore[arg-type]
        abnormal_list=parse_bool(abnormal),
        serious_illegal_list=parse_bool(serious),
        departments=unescape_list(departments),
        tags=unescape_list(tags),
    )


# -- reading the public files ---------------------------------------------------


def _ticket(text: str) -> int:
    if len(text) != 16 or text != text.lower() or not all(c in "0123456789abcdef" for c in text):
        raise ValueError(f"ticket {text!r} is not 16 lowercase hex digits")
    return int(text, 16)


def _count(text: str) -> int:
    if not text.isascii() or not text.isdigit() or (len(text) > 1 and text[0] == "0"):
        raise ValueError(f"{text!r} is not a canonical decimal count")
    return int(text)


def _reasons(text: str) -> tuple[str, ...]:
    reasons = tuple(text.split(";"))
    if (
        not text
        or any(r not in REASONS for r in reasons)
        or list(reasons) != sorted(set(reasons), key=REASONS.index)
    ):
        raise ValueError(f"reasons {text!r} are not reason codes in the order {';'.join(REASONS)}")
    return reasons


Row = tuple[Any, ...]


def _selection_row(f: list[str]) -> Row:
    stratum, rank = unescape(f[3]), f[4]
    if (stratum == "") != (rank == ""):
        raise ValueError("stratum and rank are both given or both empty")
    return (unescape(f[0]), unescape(f[1]), _ticket(f[2]), stratum, _count(rank) if rank else None)


def _selection_line(r: Row) -> str:
    rank = "" if r[4] is None else str(r[4])
    return f"{escape(r[0])}\t{escape(r[1])}\t{ticket_hex(r[2])}\t{escape(r[3])}\t{rank}"


def _reserve_row(f: list[str]) -> Row:
    return (unescape(f[0]), unescape(f[1]), _count(f[2]), unescape(f[3]), _ticket(f[4]))


def _reserve_line(r: Row) -> str:
    return f"{escape(r[0])}\t{escape(r[1])}\t{r[2]}\t{escape(r[3])}\t{ticket_hex(r[4])}"


def _exclusion_row(f: list[str]) -> Row:
    return (unescape(f[0]), unescape(f[1]), _reasons(f[2]))


def _exclusion_line(r: Row) -> str:
    return f"{escape(r[0])}\t{escape(r[1])}\t{';'.join(r[2])}"


def _bounds_row(f: list[str]) -> Row:
    low = _ticket(f[3]) if f[3] else None
    high = _ticket(f[4]) if f[4] else None
    return (unescape(f[0]), unescape_list(f[1]), unescape_list(f[2]), low, high, _count(f[5]))


def _bounds_line(r: Row) -> str:
    low, high = ("" if t is None else ticket_hex(t) for t in (r[3], r[4]))
    group, strata = escape_list(r[1], "group"), escape_list(r[2], "strata")
    return f"{escape(r[0])}\t{group}\t{strata}\t{low}\t{high}\t{r[5]}"


def _outside_row(f: list[str]) -> Row:
    return (unescape(f[0]),)


def _outside_line(r: Row) -> str:
    return escape(r[0])


@dataclass(frozen=True, slots=True)
class _Layout:
    fields: tuple[str, ...]
    read: Callable[[list[str]], Row]
    write: Callable[[Row], str]
    key: Callable[[Row], tuple[Any, ...]]


_LAYOUTS = {
    "selection.tsv": _Layout(
        SELECTION_FIELDS, _selection_row, _selection_line, lambda r: (r[0], r[1])
    ),
    "reserve-public.tsv": _Layout(
        RESERVE_PUBLIC_FIELDS, _reserve_row, _reserve_line, lambda r: (r[0], r[1], r[2])
    ),
    "exclusions-public.tsv": _Layout(
        EXCLUSIONS_PUBLIC_FIELDS, _exclusion_row, _exclusion_line, lambda r: (r[0], r[1])
    ),
    "bounds.tsv": _Layout(BOUNDS_FIELDS, _bounds_row, _bounds_line, lambda r: (r[0], r[2])),
    "outside.tsv": _Layout(OUTSIDE_FIELDS, _outside_row, _outside_line, lambda r: r),
}


def _read_file(name: str, data: bytes, out: _Findings) -> list[tuple[int, Row]]:
    """The rows of a public file with their line numbers; every unreadable,
    repeated or misplaced row and any other departure from the canonical
    bytes is a finding (and an unreadable row is left out)."""
    layout = _LAYOUTS[name]
    try:
        raw = split_lines(data, layout.fields, name)
    except ValueError as exc:
        out.add(name, None, "", "", f"文件无法读取：{exc}", f"cannot be read: {exc}")
        return []
    rows: list[tuple[int, Row]] = []
    before = len(out.items)
    previous: tuple[Any, ...] | None = None
    for line, fields in enumerate(raw, start=2):
        try:
            row = layout.read(fields)
        except ValueError as exc:
            out.add(name, line, "", "\t".join(fields), f"行无法读取：{exc}", f"bad row: {exc}")
            continue
        key = layout.key(row)
        if previous is not None and key <= previous:
            out.add(
                name, line, "", "\t".join(fields),
                "行的顺序不对或重复出现", "row out of order or repeated",
            )  # fmt: skip
        previous = key if previous is None or key > previous else previous
        rows.append((line, row))
    if len(out.items) == before:
        again = join_lines(layout.fields, (layout.write(row) for _, row in rows))
        if again != data:
            out.add(name, None, "", "", "文件不是规范格式", "the file is not in canonical form")
    return rows


# -- the checks -----------------------------------------------------------------


class _Check:
    def __init__(
        self,
        view: PublicView,
        objects: _Objects,
        seed: bytes,
        files: dict[str, list[tuple[int, Row]]],
        out: _Findings,
    ) -> None:
        self.view, self.objects, self.out = view, objects, out
        self.files = files
        in_scope = objects.rows(lambda f, _: f.in_scope)
        self.tickets = np.zeros(len(objects.ids), dtype=np.uint64)  # 0 outside the plan scope
        self.tickets[in_scope] = target_tickets(seed, [objects.ids[r] for r in in_scope.tolist()])
        self.excluded = {(r[0], r[1]) for _, r in files["exclusions-public.tsv"]}
        self.selected = {(r[0], r[1]): r for _, r in files["selection.tsv"]}
        self.bounds = {(r[0], r[2]): r for _, r in files["bounds.tsv"]}  # by (item, strata)
        self.decided = 0

    def fail(self, file: str, line: int | None, column: str, value: str, zh: str, en: str) -> None:
        self.out.add(file, line, column, value, zh, en)

    def ticket(self, object_id: str) -> int:
        """The ticket of an object of the public part in plan scope."""
        return int(self.tickets[self.objects.row[object_id]])

    # selection.tsv -------------------------------------------------------------

    def selection(self) -> None:
        name = "selection.tsv"
        for line, (item, object_id, ticket, stratum, _) in self.files[name]:
            facts = self._candidate(name, line, item, object_id)
            if facts is None:
                continue
            if self.ticket(object_id) != ticket:
                self.fail(name, line, "ticket", ticket_hex(ticket),
                          f"签号应为 {ticket_hex(self.ticket(object_id))}",
                          f"the ticket is {ticket_hex(self.ticket(object_id))}")  # fmt: skip
            if (item, object_id) in self.excluded:
                self.fail(name, line, "id", object_id, "该对象已被排除，不能被抽中",
                          "the object is excluded for this item and cannot be selected")  # fmt: skip
            if stratum:
                if stratum not in self.view.public_strata:
                    self.fail(name, line, "stratum", stratum, "不是公开的分层",
                              "is not a public stratum")  # fmt: skip
                elif facts.public_stratum != stratum:
                    self.fail(name, line, "stratum", stratum, "对象不属于该分层",
                              "the object is not in this stratum")  # fmt: skip
            elif facts.public_stratum is not None:
                self.fail(name, line, "stratum", "", f"对象属于公开分层 {facts.public_stratum}，应当列出",
                          f"the object is in the public stratum {facts.public_stratum!r}; name it")  # fmt: skip
            else:
                self._upper_bound(line, item, object_id, ticket, facts)

    def _candidate(self, name: str, line: int, item: str, object_id: str) -> Facts | None:
        """The object's facts if it may appear for ``item`` at all, else a finding."""
        if item not in self.view.items:
            self.fail(name, line, "item", item, "计划中没有该抽查事项", "the plan has no such item")
            return None
        facts = self.objects.facts(object_id)
        if facts is None:
            self.fail(
                name, line, "id", object_id, "名录中没有该对象", "no such object in the registry"
            )
            return None
        if not facts.in_scope or item not in facts.items:
            self.fail(name, line, "id", object_id, "对象不在该事项的抽查范围内",
                      "the object is outside the scope of the plan or the item")  # fmt: skip
            return None
        return facts

    def _group_tickets(self, item: str, facts: Facts, column: int) -> list[int]:
        rows = (self.bounds.get((item, self.view.groups[g].strata)) for g in facts.groups)
        return [row[column] for row in rows if row is not None and row[column] is not None]

    def _upper_bound(self, line: int, item: str, object_id: str, ticket: int, facts: Facts) -> None:
        name = "selection.tsv"
        if not facts.groups:
            self.fail(name, line, "id", object_id, "无论风险分类如何，该对象都不属于任何分层",
                      "the object is in no stratum whatever its risk class")  # fmt: skip
            return
        highs = self._group_tickets(item, facts, 4)
        if not highs or ticket > max(highs):
            top = ticket_hex(max(highs)) if highs else "-"
            self.fail(name, line, "ticket", ticket_hex(ticket),
                      f"签号高于其分层组的最高分界签号 {top}",
                      f"the ticket is above the highest cutoff {top} of the object's group")  # fmt: skip

    # public strata: recomputed in full -------------------------------------------

    def public_strata(self, quotas: Mapping[tuple[str, str], Quota] | None) -> None:
        selected_rows: dict[tuple[str, str], dict[str, tuple[int, Row]]] = defaultdict(dict)
        for line, row in self.files["selection.tsv"]:
            if row[3] in self.view.public_strata:
                selected_rows[(row[0], row[3])][row[1]] = (line, row)
        reserve_rows: dict[tuple[str, str], list[tuple[int, Row]]] = defaultdict(list)
        for line, row in self.files["reserve-public.tsv"]:
            if row[0] not in self.view.public_strata:
                self.fail("reserve-public.tsv", line, "stratum", row[0], "不是公开的分层",
                          "is not a public stratum")  # fmt: skip
            else:
                reserve_rows[(row[1], row[0])].append((line, row))
        for item in self.view.items:
            excluded = np.zeros(len(self.objects.ids) + 1, dtype=bool)
            for i, object_id in self.excluded:
                if i == item and object_id in self.objects.row:
                    excluded[self.objects.row[object_id]] = True
            for name, stratum in self.view.public_strata.items():
                rows = self.objects.rows(partial(_in_public_pool, item, name))
                rows = rows[~excluded[rows]]  # in id order
                pool = [self.objects.ids[r] for r in rows.tolist()]
                ratio = stratum.ratio if stratum.ratio is not None else self.view.items[item].ratio
                k, _ = quota_size(ratio, len(pool), stratum.min_count, stratum.max_count)
                extra = reserve_size(k, len(pool))
                committed = quotas.get((item, name)) if quotas is not None else None
                if quotas is not None and (
                    committed is None or (committed.pool_size, committed.k) != (len(pool), k)
                ):
                    shown = "-" if committed is None else f"{committed.pool_size}/{committed.k}"
                    self.fail("selection.tsv", None, "stratum", name,
                              f"事项 {item}：公开对象得出抽取池 {len(pool)} 个、应抽 {k} 个，与承诺的 {shown} 不符",
                              f"item {item}: the public part gives a pool of {len(pool)} and k = {k}, "
                              f"the commitment says {shown}")  # fmt: skip
                order = smallest(self.tickets[rows], k + extra).tolist()
                ranked = [pool[p] for p in order]
                self._compare_selection(item, name, ranked[:k], selected_rows[(item, name)])
                self._compare_reserve(item, name, ranked[k:], k, reserve_rows[(item, name)])
                self.decided += sum(1 for i in ranked[:k] if i in selected_rows[(item, name)])

    def _compare_selection(
        self, item: str, stratum: str, expected: list[str], rows: dict[str, tuple[int, Row]]
    ) -> None:
        for rank, object_id in enumerate(expected, start=1):
            found = rows.get(object_id)
            if found is None:
                self.fail("selection.tsv", None, "id", object_id,
                          f"事项 {item} 分层 {stratum} 应抽中该对象（第 {rank} 名）",
                          f"item {item}, stratum {stratum}: this object must be selected (rank {rank})")  # fmt: skip
            elif found[1][4] != rank:
                self.fail("selection.tsv", found[0], "rank", str(found[1][4]),
                          f"名次应为 {rank}", f"the rank is {rank}")  # fmt: skip
        wanted = set(expected)
        for object_id, (line, _) in rows.items():
            if object_id not in wanted:
                self.fail("selection.tsv", line, "id", object_id,
                          f"事项 {item} 分层 {stratum} 不应抽中该对象",
                          f"item {item}, stratum {stratum}: this object is not selected")  # fmt: skip

    def _compare_reserve(
        self, item: str, stratum: str, expected: list[str], k: int, rows: list[tuple[int, Row]]
    ) -> None:
        want = [(stratum, item, k + n, object_id, self.ticket(object_id))
                for n, object_id in enumerate(expected, start=1)]  # fmt: skip
        got = [row for _, row in rows]
        if got != want:
            line = next((ln for (ln, r), w in zip(rows, want, strict=False) if r != w), None)
            if line is None and len(rows) > len(want):
                line = rows[len(want)][0]
            self.fail("reserve-public.tsv", line, "", f"{item} {stratum}",
                      f"备选名单应为 {'、'.join(expected) or '空'}",
                      f"the reserve is {', '.join(expected) or 'empty'}")  # fmt: skip

    # exclusions-public.tsv ------------------------------------------------------

    def exclusions(self) -> None:
        name = "exclusions-public.tsv"
        statuses = set(self.view.plan.exclusions.statuses)
        for line, (item, object_id, reasons) in self.files[name]:
            facts = self._candidate(name, line, item, object_id)
            if facts is None:
                continue
            if facts.public_stratum is None and not facts.covered:
                self.fail(name, line, "id", object_id, "该排除记录会泄露对象所属分层，不应公开",
                          "this row would reveal the object's stratum and must not be public")  # fmt: skip
            if ("status" in reasons) != (self.objects.status(object_id) in statuses):
                self.fail(name, line, "reasons", ";".join(reasons),
                          "status 原因与对象的登记状态不符",
                          "the status reason does not agree with the object's status")  # fmt: skip
        listed = self.objects.rows(
            lambda f, status: f.in_scope and status in statuses
            and (f.public_stratum is not None or f.covered)
        )  # fmt: skip
        for row in listed.tolist():
            object_id = self.objects.ids[row]
            facts = self.objects.sig_facts[self.objects.sig[row]]
            for item in facts.items:
                if (item, object_id) not in self.excluded:
                    self.fail(name, None, "id", object_id,
                              f"该对象的登记状态应使其在事项 {item} 中被排除",
                              f"the object's status excludes it from item {item}; it is not listed")  # fmt: skip

    # bounds.tsv and the forced selections ---------------------------------------

    def bounds_file(self, quotas: Mapping[tuple[str, str], Quota] | None) -> None:
        name = "bounds.tsv"
        expected = {(item, g.strata): i for item in self.view.items for i, g in enumerate(self.view.groups)}  # fmt: skip
        risk_selected: dict[str, list[Row]] = defaultdict(list)
        in_group: dict[tuple[str, int], set[int]] = defaultdict(set)  # selected tickets
        for _, row in self.files["selection.tsv"]:
            if not row[3]:
                risk_selected[row[0]].append(row)
                for number in (self.objects.facts(row[1]) or _NONE).groups:
                    in_group[(row[0], number)].add(row[2])
        for line, (item, filters, strata, low, high, drawn) in self.files[name]:
            index = expected.get((item, tuple(strata)))
            if index is None:
                self.fail(name, line, "strata", ";".join(strata), "计划中没有这个事项与分层组",
                          "the plan has no such item and group of strata")  # fmt: skip
                continue
            group = self.view.groups[index]
            if tuple(filters) != group.filters:
                self.fail(name, line, "group", group.field, "分层组的筛选条件不符",
                          "the group's filters are not these")  # fmt: skip
            if quotas is not None:
                total = sum(quotas[(item, s)].k for s in group.strata if (item, s) in quotas)
                if total != drawn:
                    self.fail(name, line, "drawn", str(drawn), f"承诺的应抽数量之和为 {total}",
                              f"the committed quotas add up to {total}")  # fmt: skip
            self._bound_values(line, low, high, drawn, in_group[(item, index)])
        for item, strata in sorted(set(expected) - set(self.bounds)):
            self.fail(name, None, "strata", ";".join(strata), f"缺少事项 {item} 的这一分层组",
                      f"the row of item {item} and this group is missing")  # fmt: skip
        for item in self.view.items:
            total = sum(
                self.bounds[(item, g.strata)][5]
                for g in self.view.groups
                if (item, g.strata) in self.bounds
            )
            if total != len(risk_selected[item]):
                self.fail(name, None, "drawn", str(total),
                          f"事项 {item} 的风险分层共列出 {len(risk_selected[item])} 个抽中对象，与 {total} 不符",
                          f"item {item}: selection.tsv lists {len(risk_selected[item])} objects "
                          f"of risk strata, the bounds add up to {total}")  # fmt: skip

    def _bound_values(
        self, line: int, low: int | None, high: int | None, drawn: int, in_group: set[int]
    ) -> None:
        name = "bounds.tsv"
        if drawn == 0:
            if low is not None or high is not None:
                self.fail(name, line, "low", "", "未抽取时分界签号应为空",
                          "with nothing drawn the cutoffs are empty")  # fmt: skip
            return
        if low is None or high is None or low > high:
            self.fail(name, line, "low", "", "分界签号缺失或最低高于最高",
                      "a cutoff is missing or the low one is above the high one")  # fmt: skip
            return
        for column, value in (("low", low), ("high", high)):
            if value not in in_group:
                self.fail(name, line, column, ticket_hex(value),
                          "分界签号不是该组任何抽中对象的签号",
                          "the cutoff is not the ticket of a selected object of the group")  # fmt: skip

    def forced(self) -> None:
        """Every covered candidate below its group's lowest cutoff must be selected."""
        for item in self.view.items:
            for index, group in enumerate(self.view.groups):
                rows = self.objects.rows(partial(_covered_candidate, item, index))
                bounds = self.bounds.get((item, group.strata))
                low = None if bounds is None else bounds[3]
                if low is not None:
                    rows = rows[self.tickets[rows] < low]
                for object_id in (self.objects.ids[r] for r in rows.tolist()):
                    if (item, object_id) not in self.excluded:
                        self._forced(item, object_id, low)

    def _forced(self, item: str, object_id: str, low: int | None) -> None:
        if low is None:
            self.fail("bounds.tsv", None, "drawn", "0",
                      f"对象 {object_id} 在事项 {item} 的抽取池中，但其分层组未抽取任何对象",
                      f"object {object_id} is in a pool of item {item}, yet its group drew nothing")  # fmt: skip
        elif (item, object_id) in self.selected:
            self.decided += 1
        else:
            ticket = self.ticket(object_id)
            self.fail("selection.tsv", None, "id", object_id,
                      f"事项 {item}：签号 {ticket_hex(ticket)} 低于最低分界签号 {ticket_hex(low)}，必须抽中",
                      f"item {item}: the ticket {ticket_hex(ticket)} is below the lowest "
                      f"cutoff {ticket_hex(low)}, so the object must be selected")  # fmt: skip

    def outside(self) -> None:
        if self.view.has_risk_strata:
            return
        rows = self.objects.rows(lambda f, _: f.in_scope and f.public_stratum is None)
        expected = [self.objects.ids[r] for r in rows.tolist()]
        got = [r[0] for _, r in self.files["outside.tsv"]]
        if got != expected:
            missing, extra = sorted(set(expected) - set(got)), sorted(set(got) - set(expected))
            self.fail("outside.tsv", None, "id", ", ".join([*missing, *extra][:5]),
                      f"分层之外的对象应为 {len(expected)} 个（缺 {len(missing)}，多 {len(extra)}）",
                      f"{len(expected)} objects are outside every stratum "
                      f"({len(missing)} missing, {len(extra)} not outside)")  # fmt: skip


_NONE = Facts(False, (), None, (), False)


def _in_public_pool(item: str, stratum: str, facts: Facts, _status: str) -> bool:
    return facts.public_stratum == stratum and item in facts.items


def _covered_candidate(item: str, group: int, facts: Facts, _status: str) -> bool:
    return (
        facts.covered
        and facts.public_stratum is None
        and item in facts.items
        and facts.groups == (group,)
    )


def _file_set(view: PublicView, files: Mapping[str, bytes], out: _Findings) -> list[str]:
    """The public files this draw must have; a missing or unexpected file is a finding."""
    wanted = list(PUBLIC_FILE_NAMES[:4]) + ([] if view.has_risk_strata else ["outside.tsv"])
    for name in wanted:
        if name not in files:
            out.add(name, None, "", "", "缺少该公开文件", "the public file is missing")
    for name in sorted(set(files) - set(wanted)):
        out.add(name, None, "", "", "不应公开该文件", "this file must not be public")
    return [name for name in wanted if name in files]


def _committed(
    view: PublicView, files: Mapping[str, bytes], committed: CommittedDigests, out: _Findings
) -> None:
    """The public files fixed at prepare must carry the committed digests."""
    pinned = [("exclusions-public.tsv", "exclusions-public", committed.exclusions_public)]
    if not view.has_risk_strata:
        pinned.append(("outside.tsv", "outside", committed.outside))
    for name, table, digest in pinned:
        if name in files and file_digest(table, files[name]) != digest:
            out.add(name, None, "", "", "与抽取前承诺的摘要不符",
                    "does not match the digest committed before the draw")  # fmt: skip


def public_check(
    plan_document: bytes,
    objects_public: bytes,
    files: Mapping[str, bytes],
    seed: bytes,
    *,
    committed: CommittedDigests | None = None,
    quotas: Sequence[Quota] | None = None,
) -> PublicCheck:
    """Check a DR-2 draw from its public tier (SPEC §23); never raises for bad content.

    ``files``: the public files by name (PUBLIC_FILE_NAMES). ``committed``
    (the commitment's digests) adds the check that exclusions-public.tsv
    (and outside.tsv when public) are the files fixed before the draw;
    ``quotas`` (the commitment's quota summary) adds the checks of every
    public pool's size and k and of each group's ``drawn``."""
    out = _Findings()
    try:
        plan, items = parse_plan(plan_document, DR2)
        check_risk_only_in_strata(plan, items)
    except (ValueError, KeyError, TypeError, UserError) as exc:
        out.add(PLAN_FILE, None, "", "", f"抽查计划无法读取：{exc}", f"cannot be read: {exc}")
        return PublicCheck((), tuple(out.items), 0, 0)
    accounts = tuple(
        PoolAccount(item, s.name, FULL if s.public else BOUNDS)
        for item in sorted(plan.items)
        for s in sorted(plan.strata, key=lambda s: s.name)
    )
    try:
        view, objects = _read_objects(objects_public, plan, items, out)
    except _Failed:
        return PublicCheck(accounts, tuple(out.items), 0, 0)
    present = _file_set(view, files, out)
    rows = {
        name: _read_file(name, files[name], out) if name in present else [] for name in _LAYOUTS
    }
    if committed is not None:
        _committed(view, files, committed, out)
    by_pool = None if quotas is None else {(q.item, q.stratum): q for q in quotas}
    check = _Check(view, objects, seed, rows, out)
    check.selection()
    check.public_strata(by_pool)
    check.exclusions()
    check.bounds_file(by_pool)
    check.forced()
    check.outside()
    return PublicCheck(accounts, tuple(out.items), len(rows["selection.tsv"]), check.decided)
