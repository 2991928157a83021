"""Facts and headings of the notices: titles, issuers, dates.

The headings come without their document numbers (文号): those are given
once and stored (:mod:`dualrandom.publish.numbers`), and put in by the
build. Every date is the notice's own (the commitment's time, the draw's
time, the last reviewed result's time), never the build's.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from dualrandom.draws import DrawState
from dualrandom.publish import paths
from dualrandom.publish.labels import DRAW_STATES, ENTROPY_SOURCES, chinese
from dualrandom.publish.read import Catalog, DrawRecord
from dualrandom.publish.shape.contexts import Download, DrawFacts, Link, NoticeHead, Supersession
from dualrandom.rules.store import StoredPlan

__all__ = ["draw_facts", "draw_heads", "items_head", "notice_heads", "plan_heads"]


def _local(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date()


def _issuer(catalog: Catalog, department: str, co: list[str]) -> str:
    return "、".join(catalog.department(code) for code in [department, *co])


def _target(record: DrawRecord) -> str:
    """Where a reference to a draw leads: its notice, or its pre-draw notice."""
    if record.has_notice:
        return paths.notice(record.plan_id, record.attempt)
    return paths.predraw(record.plan_id, record.attempt)


def _supersessions(
    record: DrawRecord, catalog: Catalog, tz: ZoneInfo
) -> tuple[Supersession | None, Supersession | None]:
    before = after = None
    if record.supersedes_id is not None:
        earlier = catalog.draw(record.supersedes_id)
        before = Supersession(
            earlier.attempt,
            _target(earlier),
            record.supersede_reason,
            _local(record.prepared_at, tz),
        )
    later = catalog.replacement(record)
    if later is not None:
        after = Supersession(
            later.attempt, _target(later), later.supersede_reason, _local(later.prepared_at, tz)
        )
    return before, after


def draw_facts(
    record: DrawRecord,
    catalog: Catalog,
    tz: ZoneInfo,
    bundle: Download | None,
    snapshot: Download | None = None,
) -> DrawFacts:
    plan, (start, end) = record.plan, record.window
    before, after = _supersessions(record, catalog, tz)
    pid, attempt = record.plan_id, record.attempt
    return DrawFacts(
        plan_id=pid,
        plan_title=plan["title"],
        attempt=attempt,
        year=plan["year"],
        batch=plan["batch"],
        kind=plan["kind"],
        window_start=start,
        window_end=end,
        department=catalog.department(plan["department"]),
        co_departments=tuple(catalog.department(c) for c in plan["co_departments"]),
        state=record.state,
        state_label=DRAW_STATES.get(record.state, record.state),
        algorithm=record.algorithm,
        prepared_at=record.prepared_at,
        drawn_at=record.drawn_at,
        commitment_hash=record.commitment_hash,
        secret_commitment=record.commitment.get("secret_commitment", ""),
        entropy_source=ENTROPY_SOURCES.get(record.entropy_source, record.entropy_source),
        entropy_description=chinese(record.commitment["entropy"]["description"]),
        entropy=record.entropy,
        secret=record.secret,
        seed=record.seed,
        result_digest=record.result_digest,
        visits=record.visits,
        predraw=Link("抽取前公告", paths.predraw(pid, attempt)),
        notice=Link("抽查对象名单", paths.notice(pid, attempt)) if record.has_notice else None,
        results=Link("抽查结果公示", paths.results(pid, attempt)) if record.results else None,
        stats=Link("抽查情况统计", paths.stats(pid, attempt)) if record.has_notice else None,
        bundle=bundle,
        snapshot=snapshot,
        supersedes=before,
        superseded_by=after,
        **_beacon(record.commitment),
    )


def _beacon(commitment: dict[str, Any]) -> dict[str, Any]:
    """A DR-2 commitment's pinned round, for the notices; nothing for DR-1."""
    beacon = commitment.get("beacon")
    if beacon is None:
        return {}
    return {
        "beacon_round": beacon["round"],
        "beacon_time": datetime.fromisoformat(beacon["round_time"]),
        "beacon_chain": beacon["chain"]["label"].split("/")[0].strip(),  # its Chinese name
        "beacon_demo": bool(beacon["chain"]["demo"]),
        "dice_expected": bool(commitment["dice"]["expected"]),
    }


def draw_heads(
    facts: DrawFacts, record: DrawRecord, catalog: Catalog, tz: ZoneInfo
) -> dict[str, NoticeHead]:
    """The headings of the notices one draw has so far, by kind."""
    plan = record.plan
    issuer = _issuer(catalog, plan["department"], plan["co_departments"])
    codes = (plan["department"], *plan["co_departments"])
    suffix = f"（第{record.attempt}次抽取）" if record.attempt > 1 else ""

    def head(
        kind: str, title: str, href: str, moment: datetime, status: str, summary: str
    ) -> NoticeHead:
        return NoticeHead(
            kind,
            f"{_titled(facts.plan_title, title)}{suffix}",
            "",  # numbered by the build
            issuer,
            _local(moment, tz),
            href,
            facts.year,
            facts.batch,
            codes,
            status,
            summary,
            moment,
        )

    heads = {
        "predraw": head(
            "predraw",
            "抽取前公告",
            facts.predraw.href,
            record.prepared_at,
            "已撤回" if record.state == DrawState.WITHDRAWN else "",
            f"承诺值 {record.commitment_hash[:16]}…，抽取前公布。",
        )
    }
    if facts.notice is not None and record.drawn_at is not None:
        status = "已作废" if record.state == DrawState.SUPERSEDED else ""
        heads["draw"] = head(
            "draw",
            "抽查对象名单",
            facts.notice.href,
            record.drawn_at,
            status,
            f"共抽取 {record.visits} 户检查对象，随机种子 {record.seed[:16]}…",
        )
        latest = max(record.drawn_at, record.results_updated or record.drawn_at)
        heads["stats"] = head(
            "stats",
            "抽查情况统计",
            paths.stats(*_ids(record)),
            latest,
            status,
            "抽取与检查结果统计。",
        )
    if facts.results is not None and record.results_updated is not None:
        heads["result"] = head(
            "result",
            "抽查结果公示",
            facts.results.href,
            record.results_updated,
            "",
            f"已公示 {record.results} 户检查对象的检查结果。",
        )
    return heads


def _titled(plan_title: str, what: str) -> str:
    """ "…双随机抽查" + "抽查对象名单" reads "…双随机抽查对象名单", not "抽查抽查"."""
    if plan_title.endswith("抽查") and what.startswith("抽查"):
        return plan_title + what.removeprefix("抽查")
    return plan_title + what


def _ids(record: DrawRecord) -> tuple[str, int]:
    return record.plan_id, record.attempt


def plan_heads(catalog: Catalog, tz: ZoneInfo) -> list[tuple[NoticeHead, list[StoredPlan]]]:
    """One plan notice per (year, initiating department), with its plans by batch."""
    groups: dict[tuple[int, str], list[StoredPlan]] = defaultdict(list)
    for stored in catalog.plans:
        groups[(stored.plan.year, stored.plan.department)].append(stored)
    notices = []
    for (year, department), plans in sorted(groups.items()):
        plans.sort(key=lambda s: (s.plan.window_start, s.plan.id))
        latest = max(s.loaded_at for s in plans)
        codes = sorted({department} | {c for s in plans for c in s.plan.co_departments})
        head = NoticeHead(
            "plan",
            f"{catalog.department(department)}{year}年度“双随机、一公开”抽查工作计划",
            "",  # numbered by the build
            catalog.department(department),
            _local(latest, tz),
            paths.plan_notice(year, department),
            year,
            "",
            (department, *[c for c in codes if c != department]),
            "",
            f"{year}年度共 {len(plans)} 个抽查批次。",
            latest,
        )
        notices.append((head, plans))
    return notices


def items_head(catalog: Catalog, tz: ZoneInfo) -> NoticeHead | None:
    if not catalog.items or catalog.items_updated is None:
        return None
    day = _local(catalog.items_updated, tz)
    return NoticeHead(
        "items",
        "随机抽查事项清单",
        "",  # the item list has no number: no one department issues it
        "各检查主体部门",
        day,
        paths.ITEMS,
        day.year,
        "",
        (),
        "",
        f"共 {len(catalog.items)} 个抽查事项。",
        catalog.items_updated,
    )


def notice_heads(catalog: Catalog, tz: ZoneInfo) -> list[NoticeHead]:
    """The heading of every notice a build publishes that carries a number."""
    heads = [
        head
        for record in catalog.draws
        for head in draw_heads(draw_facts(record, catalog, tz, None), record, catalog, tz).values()
    ]
    return heads + [head for head, _ in plan_heads(catalog, tz)]
