"""A stored draw against what it committed to (docs/AUDIT.md, "Draws").

The stored files of a draw (``draw_files``) are what its bundle publishes;
its rows (visits, team members, inspection tasks) are what the notices, the
console and the lifecycle read. Both must say the same:

1. every file's bytes give its stored SHA-256; ``commitment.json`` is the
   row's commitment, with the row's hash; ``plan.json`` and ``history.tsv``
   give the committed digests; a DR-1 draw's seed follows from its digests,
   entropy and secret; a DR-2 draw's from its commitment, the pinned beacon
   round it stored (whose signature must verify for the pinned chain) and
   its dice (SPEC §19);
2. the files give the result digest — DR-1 over the six audit files, DR-2
   over the public and the internal digest (``draws.algorithm`` says which)
   — and it is the row's (the log's ``draw.run`` entry is checked against the
   row by :mod:`dualrandom.integrity._log`);
3. every ticket in ``result.tsv`` and ``reserve.tsv`` follows from the seed;
4. the rows are recomputed from the files and compared: the visits (number,
   object, ticket, items, departments, strata) from ``result.tsv`` and the
   plan's items, numbered in (ticket, id) order as the draw numbers them; the
   team members from ``teams.tsv``; one inspection task per visit for its
   object. Visits added later by substitution must be the ones the log's
   ``draw.substitute`` entries recorded.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualrandom.audit import Finding
from dualrandom.beacon import accept_round
from dualrandom.core import (
    DR2,
    FILE_NAMES,
    derive_seed,
    derive_seed_dr2,
    file_digest,
    internal_digest,
    parse_plan,
    public_digest,
    result_digest,
    result_digest_dr2,
    secret_commitment,
    target_ticket,
    ticket_hex,
)
from dualrandom.core.encoding import iter_lines, unescape
from dualrandom.core.public import PUBLIC_FILE_NAMES
from dualrandom.core.result import SELECTED_FIELDS, TEAM_FIELDS
from dualrandom.core.seed import Digests
from dualrandom.draws import BEACON_ROUND_FILE, beacon_pin
from dualrandom.errors import BeaconError
from dualrandom.integrity._log import DrawEntries
from dualrandom.tables import DrawFileRow, DrawMemberRow, DrawRow, DrawVisitRow, InspectionTaskRow

__all__ = ["draw_findings", "stored_files"]


class _Unreadable(Exception):
    """A stored file that cannot be read as what it should be: one finding, then stop."""

    def __init__(self, finding: Finding) -> None:
        self.finding = finding


@dataclass(frozen=True, slots=True)
class _Visit:
    object_id: str
    ticket: str
    items: str
    departments: str
    strata: str


class _Draw:
    """One draw being checked: its name, its files, and how findings name its rows."""

    def __init__(self, row: DrawRow, files: dict[str, bytes]) -> None:
        self.row, self.files = row, files
        self.name = f"{row.plan_id}#{row.attempt}"
        self.findings: list[Finding] = []

    def add(
        self,
        code: str,
        table: str,
        where: str,
        column: str,
        expected: object,
        found: object,
        zh: str,
        en: str,
    ) -> None:
        row = f"{self.name} {where}".strip()
        self.findings.append(
            Finding(code, table, row, column, _text(expected), _text(found), zh, en)
        )

    def lines(self, name: str, header: Sequence[str]) -> list[list[str]]:
        return list(self.rows(name, header))

    def rows(self, name: str, header: Sequence[str]) -> Iterator[list[str]]:
        """The file's rows one at a time (a draw's teams.tsv has 100,000), once the
        whole file is known to be readable."""
        if name not in self.files:
            raise _Unreadable(self._missing(name))
        rows = iter_lines(self.files[name], header, name)
        try:
            first = next(rows, None)  # iter_lines checks every line before the first
        except ValueError as exc:
            raise _Unreadable(
                Finding(
                    "draw.file-unreadable",
                    "draw_files",
                    f"{self.name} {name}",
                    "content",
                    "",
                    "",
                    f"存储的文件无法读取：{exc}",
                    f"the stored file cannot be read: {exc}",
                )
            ) from None
        return itertools.chain(() if first is None else (first,), rows)

    def _missing(self, name: str) -> Finding:
        return Finding(
            "draw.file-missing",
            "draw_files",
            f"{self.name} {name}",
            "name",
            name,
            "",
            "抽取结果的存储文件缺失",
            "a stored file of the draw is missing",
        )


def _text(value: object) -> str:
    return "" if value is None else str(value)


def stored_files(session: Session, row: DrawRow) -> dict[str, tuple[bytes, str]]:
    """The draw's stored files: name -> (content, stored SHA-256)."""
    query = select(DrawFileRow.name, DrawFileRow.content, DrawFileRow.sha256).where(
        DrawFileRow.draw_id == row.id
    )
    return {name: (content, sha256) for name, content, sha256 in session.execute(query)}


def draw_findings(
    session: Session,
    row: DrawRow,
    logged: DrawEntries,
    files: dict[str, tuple[bytes, str]] | None = None,
) -> list[Finding]:
    """Every way the stored draw ``row`` (drawn or superseded) contradicts its files
    (``files``: as :func:`stored_files` reads them, if the caller has)."""
    if files is None:
        files = stored_files(session, row)
    draw = _Draw(row, {name: content for name, (content, _) in files.items()})
    for name, (content, sha256) in sorted(files.items()):
        actual = hashlib.sha256(content).hexdigest()
        if actual != sha256:
            draw.add(
                "draw.file-hash",
                "draw_files",
                name,
                "sha256",
                actual,
                sha256,
                "文件内容与其存储的 SHA-256 不符：文件被修改",
                "the file does not give its stored SHA-256: it was changed",
            )
    try:
        _commitment(draw)
        _digest(draw)
        visits = _visits(draw)
        _tickets(draw)
        _rows(session, draw, visits, logged)
    except _Unreadable as unreadable:
        draw.findings.append(unreadable.finding)
    except (ValueError, KeyError) as exc:  # a stored file that no draw would have written
        draw.add(
            "draw.file-unreadable",
            "draw_files",
            "",
            "content",
            "",
            f"{type(exc).__name__}: {exc}",
            f"存储的抽取文件无法读取：{exc}",
            f"a stored file of the draw cannot be read: {exc}",
        )
    return draw.findings


def _commitment(draw: _Draw) -> None:
    row, files = draw.row, draw.files
    for name in ("commitment.json", "plan.json", "history.tsv"):
        if name not in files:
            raise _Unreadable(draw._missing(name))
    data = files["commitment.json"]
    if data != row.commitment.encode("utf-8"):
        draw.add(
            "draw.commitment",
            "draw_files",
            "commitment.json",
            "content",
            "draws.commitment",
            "differs",
            "存储的承诺文件与抽取记录的承诺不同",
            "the stored commitment file differs from the draw's commitment",
        )
    if hashlib.sha256(data).hexdigest() != row.commitment_hash:
        draw.add(
            "draw.commitment",
            "draws",
            "",
            "commitment_hash",
            hashlib.sha256(data).hexdigest(),
            row.commitment_hash,
            "承诺哈希与承诺文件不符",
            "the commitment hash does not match the commitment file",
        )
    history = (
        file_digest("history", files["history.tsv"])
        if row.algorithm == DR2
        else hashlib.sha256(files["history.tsv"]).hexdigest()
    )
    for column, actual, stored in (
        ("plan_digest", hashlib.sha256(files["plan.json"]).hexdigest(), row.plan_digest),
        ("history_digest", history, row.history_digest),
    ):
        if actual != stored:
            draw.add(
                "draw.input-digest",
                "draws",
                "",
                column,
                actual,
                stored,
                "已承诺的输入摘要与存储的文件不符",
                "a committed input digest does not match the stored file",
            )
    if row.algorithm != DR2:
        _dr1_seed(draw)
    else:
        _dr2_seed(draw)


def _dr2_seed(draw: _Draw) -> None:
    """DR-2: the stored round is the pinned one, its signature verifies, and the
    seed follows from the commitment, that round's randomness and the dice (SPEC §19)."""
    row = draw.row
    raw = draw.files.get(BEACON_ROUND_FILE)
    if raw is None:
        raise _Unreadable(draw._missing(BEACON_ROUND_FILE))
    commitment = json.loads(row.commitment)
    try:
        beacon = accept_round(beacon_pin(commitment), raw, allow_demo=True)
    except BeaconError as exc:
        draw.add(
            "draw.beacon",
            "draw_files",
            BEACON_ROUND_FILE,
            "content",
            "",
            str(exc).splitlines()[0],
            f"存储的信标轮次不是承诺锁定的那一轮，或其签名不成立：{exc}",
            f"the stored beacon round is not the pinned one, or its signature fails: {exc}",
        )
        return
    try:
        expected = bool(commitment["dice"]["expected"])
        seed = derive_seed_dr2(row.commitment_hash, beacon.randomness, row.entropy or "", expected)
    except ValueError as exc:  # dice that the commitment does not allow
        seed_text = f"{type(exc).__name__}: {exc}"
    else:
        seed_text = seed.hex()
    if seed_text != row.seed:
        draw.add(
            "draw.seed",
            "draws",
            "",
            "seed",
            seed_text,
            row.seed,
            "种子不是由承诺、锁定的信标轮次和骰子得出的",
            "the seed does not follow from the commitment, the pinned beacon round and the dice",
        )


def _dr1_seed(draw: _Draw) -> None:
    """DR-1: the revealed secret matches its commitment and the seed follows (SPEC §5)."""
    row = draw.row
    if row.secret is None or row.entropy is None or row.seed is None:
        draw.add(
            "draw.seed",
            "draws",
            "",
            "secret",
            "revealed",
            "none",
            "已抽取的 DR-1 抽取缺少秘密值、公开随机数或种子",
            "a drawn DR-1 draw lacks its secret, entropy or seed",
        )
        return
    secret = bytes.fromhex(row.secret)
    if secret_commitment(secret) != row.secret_hash:
        draw.add(
            "draw.seed",
            "draws",
            "",
            "secret",
            row.secret_hash,
            secret_commitment(secret),
            "公开的秘密值与其承诺不符",
            "the revealed secret does not match its commitment",
        )
    digests = Digests(
        row.plan_digest,
        row.objects_digest,
        row.inspectors_digest,
        row.conflicts_digest,
        row.history_digest,
    )
    seed = derive_seed(digests, row.entropy, secret).hex()
    if seed != row.seed:
        draw.add(
            "draw.seed",
            "draws",
            "",
            "seed",
            seed,
            row.seed,
            "种子不是由已承诺的摘要、公开随机数和秘密值得出的",
            "the seed does not follow from the committed digests, the entropy and the secret",
        )


def _digest(draw: _Draw) -> None:
    """The result digest from the stored files (SPEC §10 / §22) is the row's."""
    row, files = draw.row, draw.files
    for name in FILE_NAMES:
        if name not in files:
            raise _Unreadable(draw._missing(name))
    if row.algorithm == DR2:
        public = {n: files[n] for n in PUBLIC_FILE_NAMES if n in files and n != "outside.tsv"}
        for name in PUBLIC_FILE_NAMES[:4]:
            if name not in public:
                raise _Unreadable(draw._missing(name))
        if _outside_is_public(files["plan.json"]):
            public["outside.tsv"] = files["outside.tsv"]
        digest = result_digest_dr2(public_digest(public), internal_digest(files))
    else:
        digest = result_digest(files)
    if digest != row.result_digest:
        draw.add(
            "draw.result-digest",
            "draw_files",
            "",
            "result_digest",
            row.result_digest,
            digest,
            "存储的结果文件得不出已记录的结果摘要：结果文件被修改",
            "the stored result files do not give the recorded result digest: they were changed",
        )


def _outside_is_public(plan_bytes: bytes) -> bool:
    """outside.tsv is a public file when no stratum uses the risk class (SPEC §21.6)."""
    plan, _ = parse_plan(plan_bytes, DR2)
    return not any("risk_class" in stratum.where.fields() for stratum in plan.strata)


def _tickets(draw: _Draw) -> None:
    seed = bytes.fromhex(draw.row.seed or "")
    for name in ("result.tsv", "reserve.tsv"):
        for line, fields in enumerate(draw.lines(name, SELECTED_FIELDS), start=2):
            object_id = unescape(fields[3])
            expected = ticket_hex(target_ticket(seed, object_id))
            if fields[4] != expected:
                draw.add(
                    "draw.ticket",
                    "draw_files",
                    f"{name}:{line}",
                    "ticket",
                    expected,
                    fields[4],
                    f"{object_id} 的票号不是由种子得出的",
                    f"the ticket of {object_id} does not follow from the seed",
                )


def _visits(draw: _Draw) -> list[_Visit]:
    """The drawn visits as result.tsv and the plan's items say, in visit order
    (ticket, then id: SPEC §8.2)."""
    _, items = parse_plan(draw.files["plan.json"], draw.row.algorithm)
    chosen: dict[str, set[str]] = defaultdict(set)
    strata: dict[str, set[str]] = defaultdict(set)
    tickets: dict[str, str] = {}
    for fields in draw.lines("result.tsv", SELECTED_FIELDS):
        stratum, item, object_id = unescape(fields[0]), unescape(fields[1]), unescape(fields[3])
        chosen[object_id].add(item)
        strata[object_id].add(stratum)
        tickets[object_id] = fields[4]
    order = sorted(chosen, key=lambda i: (int(tickets[i], 16), i))
    return [
        _Visit(
            i,
            tickets[i],
            ";".join(sorted(chosen[i])),
            ";".join(sorted({items[c].department for c in chosen[i] if c in items})),
            ";".join(sorted(strata[i])),
        )
        for i in order
    ]


def _rows(session: Session, draw: _Draw, visits: list[_Visit], logged: DrawEntries) -> None:
    row = draw.row
    stored = {
        number: _Visit(object_id, ticket, items, departments, visit_strata)
        for number, object_id, ticket, items, departments, visit_strata in session.execute(
            select(
                DrawVisitRow.number,
                DrawVisitRow.object_id,
                DrawVisitRow.ticket,
                DrawVisitRow.items,
                DrawVisitRow.departments,
                DrawVisitRow.strata,
            ).where(DrawVisitRow.draw_id == row.id)
        )
    }
    substituted = _substituted(logged)
    for number, drawn in enumerate(visits, start=1):
        _compare_visit(draw, number, drawn, stored.get(number))
    for number in sorted(set(stored) - set(range(1, len(visits) + 1))):
        _extra_visit(draw, number, stored[number], substituted.get(number))
    _members(session, draw, len(visits))
    _tasks(session, draw, {n: v.object_id for n, v in stored.items()}, len(visits))


def _compare_visit(draw: _Draw, number: int, drawn: _Visit, stored: _Visit | None) -> None:
    where = f"visit {number}"
    if stored is None:
        draw.add(
            "draw.visit-missing",
            "draw_visits",
            where,
            "number",
            drawn.object_id,
            "no row",
            "抽中的检查对象在数据库中没有对应的走访记录",
            "a drawn object has no visit row in the database",
        )
        return
    for column in ("object_id", "ticket", "items", "departments", "strata"):
        expected, found = getattr(drawn, column), getattr(stored, column)
        if expected != found:
            draw.add(
                "draw.visit",
                "draw_visits",
                where,
                column,
                expected,
                found,
                "走访记录与抽取结果（result.tsv）不符：数据库中的抽取结果被改动",
                "the visit row contradicts the drawn result (result.tsv): the stored result was changed",
            )


def _substituted(logged: DrawEntries) -> dict[int, dict[str, Any]]:
    """The visits the log's draw.substitute entries added, by number."""
    found: dict[int, dict[str, Any]] = {}
    for _, details in logged.substitutions:
        for visit in details.get("visits") or []:
            if isinstance(visit, dict) and isinstance(visit.get("number"), int):
                found[visit["number"]] = visit
    return found


def _extra_visit(draw: _Draw, number: int, stored: _Visit, logged: dict[str, Any] | None) -> None:
    where = f"visit {number}"
    if logged is None:
        draw.add(
            "draw.visit-extra",
            "draw_visits",
            where,
            "object_id",
            "no row",
            stored.object_id,
            "数据库中多出一个走访，既不在抽取结果中，也没有替补记录",
            "a visit that is neither in the drawn result nor recorded by a substitution",
        )
        return
    items = ";".join(logged.get("items") or [])
    for column, expected, found in (
        ("object_id", logged.get("object_id"), stored.object_id),
        ("items", items, stored.items),
    ):
        if expected != found:
            draw.add(
                "draw.visit",
                "draw_visits",
                where,
                column,
                expected,
                found,
                "替补走访与审计日志的替补记录（draw.substitute）不符",
                "the substitution visit contradicts the log's draw.substitute entry",
            )


def _team_lines(draw: _Draw) -> Iterator[tuple[tuple[int, int], tuple[str, str, str, int]]]:
    for fields in draw.rows("teams.tsv", TEAM_FIELDS):
        key = (int(fields[0]), int(fields[5]))
        yield key, (unescape(fields[6]), unescape(fields[7]), unescape(fields[8]), int(fields[9]))


def _members(session: Session, draw: _Draw, drawn_visits: int) -> None:
    """The team members of the drawn visits, slot by slot, as teams.tsv lists them.

    The stored members are held once, each repeated role, officer and
    department as one string, and the file is read against them a line at a
    time: a 50,000-visit draw is checked in tens of MiB, not hundreds."""
    shared: dict[str, str] = {}
    stored = {
        (visit, slot): (
            shared.setdefault(role, role),
            shared.setdefault(cert_no, cert_no),
            shared.setdefault(department, department),
            position,
        )
        for visit, slot, role, cert_no, department, position in session.execute(
            select(
                DrawMemberRow.visit,
                DrawMemberRow.slot,
                DrawMemberRow.role,
                DrawMemberRow.cert_no,
                DrawMemberRow.department,
                DrawMemberRow.position,
            ).where(DrawMemberRow.draw_id == draw.row.id, DrawMemberRow.visit <= drawn_visits)
        )
    }
    differ: list[tuple[tuple[int, int], Any, Any]] = []
    for key, want in _team_lines(draw):
        have = stored.pop(key, None)
        if want != have:
            differ.append((key, want, have))
    differ += [(key, None, have) for key, have in stored.items()]
    for key, want, have in sorted(differ, key=lambda d: d[0]):
        draw.add(
            "draw.member",
            "draw_members",
            f"visit {key[0]} slot {key[1]}",
            "role, cert_no, department, position",
            _member(want),
            _member(have),
            "检查组成员与抽取结果（teams.tsv）不符：数据库中的检查组被改动",
            "the team member contradicts the drawn teams (teams.tsv): the stored team was changed",
        )


def _member(value: tuple[str, str, str, int] | None) -> str:
    return "no row" if value is None else json.dumps(list(value), ensure_ascii=False)


def _tasks(session: Session, draw: _Draw, visits: dict[int, str], drawn_visits: int) -> None:
    """One inspection task per visit, for the visit's object; a reserve visit's task
    (and only it) names the visit it replaces."""
    tasks = {
        visit: (object_id, replaces)
        for visit, object_id, replaces in session.execute(
            select(
                InspectionTaskRow.visit,
                InspectionTaskRow.object_id,
                InspectionTaskRow.replaces_visit,
            ).where(InspectionTaskRow.draw_id == draw.row.id)
        )
    }
    for number in sorted(visits.keys() | tasks.keys()):
        where = f"visit {number}"
        if number not in tasks or number not in visits:
            draw.add(
                "draw.task",
                "inspection_tasks",
                where,
                "visit",
                "a task" if number in visits else "no task",
                "no task" if number in visits else "a task",
                "检查任务与走访不是一一对应",
                "inspection tasks and visits do not correspond one to one",
            )
            continue
        object_id, replaces = tasks[number]
        if object_id != visits[number]:
            draw.add(
                "draw.task",
                "inspection_tasks",
                where,
                "object_id",
                visits[number],
                object_id,
                "检查任务的对象与抽中的走访不同",
                "the task's object is not the visit's",
            )
        if (replaces is None) != (number <= drawn_visits):
            draw.add(
                "draw.task",
                "inspection_tasks",
                where,
                "replaces_visit",
                "empty" if number <= drawn_visits else "the replaced visit",
                _text(replaces),
                "只有替补走访的任务才可指明被替补的走访",
                "only a reserve visit's task names a replaced visit",
            )
