"""The statistics notice of a draw: drawn vs pool, progress, results, with SVG charts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from fractions import Fraction

from dualrandom.publish import paths
from dualrandom.publish.labels import RESULT_CODES, TASK_STATES, ordered_codes
from dualrandom.publish.pages._build import Build, Table
from dualrandom.publish.read import DrawRecord, Visit
from dualrandom.publish.shape import bar_chart, facts_json, head_json, percent, quota_rows
from dualrandom.publish.shape.contexts import (
    BarChart,
    CountRow,
    DrawFacts,
    NoticeHead,
    QuotaRow,
    StatsPage,
)

__all__ = ["write_stats"]

PROGRESS = ("待检查", "已告知", "检查中", "结果审核中", "结果已公示", "已替补", "已取消")


def write_stats(
    build: Build,
    record: DrawRecord,
    facts: DrawFacts,
    head: NoticeHead,
    visits: list[Visit],
    published: list[Visit],
) -> None:
    quotas = quota_rows(record, actual=True)
    results = Counter(v.result for v in published)
    codes = ordered_codes(results, RESULT_CODES)
    result_rows = tuple(
        CountRow(code, results[code], percent(results[code], len(published))) for code in codes
    )
    progress = Counter(
        "结果已公示" if v.result else TASK_STATES.get(v.state, "待检查") for v in visits
    )
    states = tuple(
        CountRow(label, progress[label], percent(progress[label], len(visits)))
        for label in PROGRESS
        if progress[label]
    )
    charts = [_quota_chart(quotas)]
    if result_rows:
        charts.append(
            bar_chart(
                "results",
                "检查结果分布",
                "已公示检查结果按标准结果代码的户数",
                [(r.label, r.count, f"{r.count} 户（{r.share}）") for r in result_rows],
            )
        )
    stem = paths.draw_dir(record.plan_id, record.attempt) + "stats"
    table = Table(
        "抽查情况统计",
        stem,
        ["类别", "项目", "数量", "占比"],
        {"notice": head_json(head), "draw": facts_json(facts)},
        "rows",
    )
    lines = (
        [("抽取", f"{q.item} {q.stratum}", q.k, q.ratio) for q in quotas]
        + [("进度", s.label, s.count, s.share) for s in states]
        + [("结果", r.label, r.count, r.share) for r in result_rows]
    )
    downloads = build.table(
        table,
        lines,
        list,
        lambda line: dict(zip(("category", "label", "count", "share"), line, strict=True)),
    )
    page = StatsPage(head, facts, quotas, result_rows, states, tuple(charts), downloads)
    build.page("stats.html.j2", head.href, page=page)


def _quota_chart(quotas: Sequence[QuotaRow]) -> BarChart:
    totals: dict[str, list[int]] = {}
    for q in quotas:
        pool_k = totals.setdefault(q.item, [0, 0])
        pool_k[0] += q.pool
        pool_k[1] += q.k
    bars = []
    for item, (pool, k) in sorted(totals.items()):
        share = Fraction(k, pool) if pool else Fraction(0)
        bars.append((item, int(share * 10000), f"{k}/{pool}（{percent(k, pool)}）"))
    return bar_chart("quotas", "各事项实际抽查比例", "各抽查事项抽取数占检查对象数的比例", bars)
