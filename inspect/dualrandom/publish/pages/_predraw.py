"""The pre-draw notice (抽取前公告): the commitment, published before the randomness."""

from __future__ import annotations

from dualrandom.draws import DrawState
from dualrandom.publish import paths
from dualrandom.publish.labels import EXCLUSION_REASONS
from dualrandom.publish.pages._build import Build, Table
from dualrandom.publish.read import DrawRecord
from dualrandom.publish.shape import facts_json, head_json, quota_rows
from dualrandom.publish.shape.contexts import CountRow, Digest, DrawFacts, NoticeHead, PreDrawPage

__all__ = ["write_predraw"]

DIGEST_LABELS = (
    ("plan", "抽查计划和事项（plan.json）"),
    ("objects", "检查对象名录库（合并摘要 O）"),
    ("objects_public", "检查对象名录库公开部分（P）"),
    ("objects_internal", "检查对象名录库内部部分（I，不公开内容）"),
    ("inspectors", "执法检查人员名录库（不公开内容）"),
    ("conflicts", "回避关系（不公开内容）"),
    ("history", "历史检查记录（不公开内容）"),
)

REGISTRY_LABELS = (
    ("objects", "检查对象名录库"),
    ("inspectors", "执法检查人员名录库"),
    ("conflicts", "回避关系"),
)


def write_predraw(build: Build, record: DrawRecord, facts: DrawFacts, head: NoticeHead) -> None:
    c = record.commitment
    quotas = quota_rows(record, actual=False)
    stem = paths.draw_dir(record.plan_id, record.attempt) + "predraw"
    table = Table(
        "抽取前公告：抽取数量",
        stem,
        ["事项编码", "事项", "分层", "检查对象数", "比例", "抽取数", "备选数", "不足数"],
        {"notice": head_json(head), "draw": facts_json(facts), "digests": c["digests"]},
        "quotas",
    )
    downloads = build.table(
        table,
        quotas,
        lambda q: [q.item, q.item_name, q.stratum, q.pool, q.ratio, q.k, q.reserve, q.shortfall],
        lambda q: {
            "item": q.item,
            "stratum": q.stratum,
            "risk_aggregate": q.aggregate,
            "pool_size": q.pool,
            "ratio": q.ratio,
            "k": q.k,
            "reserve": q.reserve,
            "shortfall": q.shortfall,
        },
    )
    page = PreDrawPage(
        head=head,
        draw=facts,
        software=c["software"],
        registry_versions=tuple(
            CountRow(label, c["registry_versions"][key], "") for key, label in REGISTRY_LABELS
        ),
        digests=tuple(Digest(label, c["digests"][key]) for key, label in DIGEST_LABELS),
        quotas=quotas,
        exclusions=tuple(
            CountRow(EXCLUSION_REASONS.get(r, r), n, "") for r, n in sorted(c["exclusions"].items())
        ),
        outside_strata=c["outside_strata"],
        draw_time=_draw_time(record, facts),
        downloads=downloads,
    )
    build.page("predraw.html.j2", head.href, page=page)


def _draw_time(record: DrawRecord, facts: DrawFacts) -> str:
    if record.drawn_at is not None:
        return "本次抽取已经完成，见抽查对象名单公告。"
    if record.state == DrawState.WITHDRAWN:
        return "本次抽取未进行。"
    return (
        f"抽取将在检查期限开始（{facts.window_start.isoformat()}）之前公开进行；"
        f"公共随机数在本公告公布之后产生，产生方式见下。"
    )
