"""Substitution: a drawn object found deregistered (注销) or unreachable (无法联系)
before its visit is replaced by reserve objects, by the core's published rule
(``dualrandom.core.substitute``, SPEC §8.3) — never by anyone's choice.

The draw is re-run from its stored inputs (plan and history files, the
registries as of the versions it drew from) and must reproduce its stored
result digest. Substitutions may come in several rounds: each round applies
the rule to the draw as it stands — objects removed in earlier rounds out
of the selection, their reserve visits counted as visits — so a reserve
object is never taken twice and no officer exceeds the plan's load cap.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dualrandom import audit
from dualrandom.core import (
    DR2,
    DrawResult,
    Member,
    Preparation,
    Replacement,
    Visit,
    draw,
    substitute,
)
from dualrandom.draws import draw_files, stored_preparation
from dualrandom.draws.addendum import REASONS, SubstitutionRound, chain_heads, reason_code
from dualrandom.draws.stored import stored_substitutions
from dualrandom.errors import IntegrityError, TaskStateError
from dualrandom.lifecycle.states import transition_reason
from dualrandom.lifecycle.tasks import find_task, move, standing_draw, subject, tasks_of
from dualrandom.tables import DrawMemberRow, DrawRow, DrawVisitRow, InspectionTaskRow

__all__ = ["SubstitutionReport", "rebuild", "substitute_objects"]


@dataclass(frozen=True)
class SubstitutionReport:
    plan_id: str
    attempt: int
    replacements: tuple[Replacement, ...]
    visits: tuple[Visit, ...]


def rebuild(session: Session, row: DrawRow) -> tuple[Preparation, DrawResult]:
    """Re-run a stored draw from its inputs; refuse if it does not come out the same."""
    prep = stored_preparation(session, row)
    assert row.seed is not None
    result = draw(prep, bytes.fromhex(row.seed))
    if result.digest != row.result_digest:
        raise IntegrityError(
            f"抽取 {row.plan_id}#{row.attempt} 重新运行后与存储的结果不一致，拒绝替补"
            "（请用 dualrandom audit verify 检查存储的名录库）",
            f"draw {row.plan_id}#{row.attempt} does not re-run to its stored result; "
            "substitution refused (check the stored registries with 'dualrandom audit verify')",
        )
    return prep, result


def _stored_visit(session: Session, draw_id: int, number: int) -> Visit:
    visit = session.get(DrawVisitRow, (draw_id, number))
    assert visit is not None
    members = session.scalars(
        select(DrawMemberRow)
        .where(DrawMemberRow.draw_id == draw_id, DrawMemberRow.visit == number)
        .order_by(DrawMemberRow.slot)
    )
    team = tuple(Member(m.slot, m.role, m.cert_no, m.department, m.position) for m in members)
    return Visit(
        number,
        visit.object_id,
        int(visit.ticket, 16),
        tuple(visit.items.split(";")),
        tuple(visit.departments.split(";")),
        team,
    )


def _check(draw_row: DrawRow, tasks: Sequence[InspectionTaskRow], reason: str) -> None:
    if not reason.strip():
        raise TaskStateError(
            "替补须说明原因，例如 --reason 注销 或 --reason 无法联系",
            "a substitution needs a reason, e.g. --reason 注销 or --reason 无法联系",
        )
    if reason_code(reason) is None:
        raise TaskStateError(
            f"替补原因须以 {' 或 '.join(REASONS)} 开头（SPEC §8.3 只允许这两种），"
            f"而不是 {reason.strip()!r}",
            f"a substitution's reason must start with {' or '.join(REASONS)} "
            f"(the only two SPEC §8.3 allows), not {reason.strip()!r}",
        )
    if len({t.visit for t in tasks}) != len(tasks):
        raise TaskStateError("同一任务列出了两次", "a task is named twice")
    for task in tasks:
        problem = transition_reason(task.state, "substituted")
        if problem:
            raise TaskStateError(
                f"任务 {subject(draw_row, task)}（{task.object_id}）不能替补：{problem.zh}；"
                "替补只用于检查前发现已不存在的对象",
                f"task {subject(draw_row, task)} ({task.object_id}) cannot be substituted: "
                f"{problem.en}; substitution is for objects found gone before the visit",
            )
        if task.replaces_visit is not None:
            raise TaskStateError(
                f"任务 {subject(draw_row, task)} 本身就是替补对象，规则不再替补它："
                "请说明原因后取消",
                f"task {subject(draw_row, task)} is itself a reserve visit; the rule does not "
                "replace it again: cancel it with a reason",
            )


def substitute_objects(
    session: Session,
    plan_id: str,
    refs: Sequence[str],
    reason: str,
    *,
    now: datetime,
    actor: str,
) -> SubstitutionReport:
    """Replace the named tasks' objects by reserve objects; new visits get new tasks."""
    row = standing_draw(session, plan_id)
    tasks = [find_task(session, row, ref) for ref in refs]
    _check(row, tasks, reason)
    prep, result = rebuild(session, row)
    standing = tasks_of(session, row)
    earlier = {t.object_id for t in standing if t.state == "substituted"}
    current = replace(
        result,
        selected=tuple(s for s in result.selected if s.object_id not in earlier),
        visits=result.visits
        + tuple(_stored_visit(session, row.id, t.visit) for t in standing if t.replaces_visit),
    )
    removed = {t.object_id for t in tasks}
    outcome = substitute(prep, result.seed, current, earlier | removed)
    new_tasks = _store_visits(session, row, outcome.replacements, outcome.visits, tasks, now)
    for task in tasks:
        _retire(session, row, task, outcome.replacements, new_tasks, reason.strip(), now, actor)
    replacements = [_replacement_json(r, new_tasks) for r in outcome.replacements]
    payload: dict[str, object] = {
        "reason": reason.strip(),
        "removed": sorted(removed),
        "replacements": replacements,
        "visits": [
            {"number": v.number, "object_id": v.object_id, "items": list(v.items)}
            for v in outcome.visits
        ],
    }
    if row.algorithm == DR2:
        payload["chain"] = _chain_head(session, row, replacements, reason, now, actor)
    audit.append(session, "draw.substitute", f"{plan_id}#{row.attempt}", payload, actor=actor, at=now)
    session.flush()
    return SubstitutionReport(plan_id, row.attempt, outcome.replacements, outcome.visits)


def _chain_head(
    session: Session,
    row: DrawRow,
    replacements: Sequence[dict[str, object]],
    reason: str,
    now: datetime,
    actor: str,
) -> str:
    """The substitution head of SPEC §26 once this substitution is added: anyone
    holding it can tell a later bundle whose addendum was rewritten."""
    this = SubstitutionRound(
        at=now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        reason=reason_code(reason) or "",
        actor=actor,
        replacements=tuple(
            (str(r["stratum"]), str(r["item"]), str(r["removed"]), r["replacement"], r["visit"])  # type: ignore[misc]
            for r in replacements
        ),
    )
    selection = draw_files(session, row.id, ["selection.tsv"])["selection.tsv"]
    assert row.result_digest is not None
    rounds = (*stored_substitutions(session, row), this)
    return chain_heads(rounds, selection, row.result_digest)[-1]


def _replacement_json(r: Replacement, new_tasks: dict[str, InspectionTaskRow]) -> dict[str, object]:
    task = new_tasks.get(r.replacement or "")
    return {
        "stratum": r.stratum,
        "item": r.item,
        "removed": r.removed,
        "replacement": r.replacement,
        "visit": task.visit if task else None,
    }


def _store_visits(
    session: Session,
    row: DrawRow,
    replacements: Sequence[Replacement],
    visits: Sequence[Visit],
    tasks: Sequence[InspectionTaskRow],
    now: datetime,
) -> dict[str, InspectionTaskRow]:
    """The new visits, their teams and their tasks, by object id."""
    visit_of = {t.object_id: t.visit for t in tasks}
    replaced: dict[str, list[Replacement]] = defaultdict(list)
    for r in replacements:
        if r.replacement is not None:
            replaced[r.replacement].append(r)
    created = {}
    for visit in visits:
        mine = replaced[visit.object_id]
        session.add(
            DrawVisitRow(
                draw_id=row.id,
                number=visit.number,
                object_id=visit.object_id,
                ticket=f"{visit.ticket:016x}",
                items=";".join(visit.items),
                departments=";".join(visit.departments),
                strata=";".join(sorted({r.stratum for r in mine})),
            )
        )
        session.add_all(
            DrawMemberRow(
                draw_id=row.id,
                visit=visit.number,
                slot=m.slot,
                cert_no=m.officer,
                department=m.department,
                role=m.role,
                position=m.position,
            )
            for m in visit.team
        )
        task = InspectionTaskRow(
            draw_id=row.id,
            visit=visit.number,
            object_id=visit.object_id,
            state="drawn",
            replaces_visit=min(visit_of[r.removed] for r in mine),
            updated_at=now,
        )
        session.add(task)
        created[visit.object_id] = task
    session.flush()
    return created


def _retire(
    session: Session,
    row: DrawRow,
    task: InspectionTaskRow,
    replacements: Sequence[Replacement],
    new_tasks: dict[str, InspectionTaskRow],
    reason: str,
    now: datetime,
    actor: str,
) -> None:
    mine = [r for r in replacements if r.removed == task.object_id]
    visits = sorted(new_tasks[r.replacement].visit for r in mine if r.replacement in new_tasks)
    details = {"replacements": [_replacement_json(r, new_tasks) for r in mine]}
    move(session, row, task, "substituted", now=now, actor=actor, reason=reason, details=details)
    task.replaced_by_visit = visits[0] if visits else None
