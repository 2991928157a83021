"""Pool sizes and quotas of a draw, as the public may see them.

Quotas come from the commitment. A stratum whose membership depends on the
risk class is never named: its rows are summed per item into one
"按信用风险分类分层" row (names such as "A类" would tell which class an
object drawn there has), so only public strata appear one by one.
"""

from __future__ import annotations

from dualrandom.core.plan_json import parse_fraction
from dualrandom.publish.read import DrawRecord
from dualrandom.publish.shape.contexts import QuotaRow
from dualrandom.rules.describe import ratio_label

__all__ = ["percent", "quota_rows"]

RISK_AGGREGATE = "按信用风险分类分层（{n} 层）合计"


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "—"


def quota_rows(record: DrawRecord, actual: bool) -> tuple[QuotaRow, ...]:
    """Public strata one by one; risk-class strata summed per item."""
    rows: list[QuotaRow] = []
    quotas = record.commitment["quotas"]
    for code in sorted({q["item"] for q in quotas}):
        name = record.items.get(code, {}).get("name", "")
        mine = [q for q in quotas if q["item"] == code]
        for q in (q for q in mine if q["publicly_verifiable"]):
            ratio = (
                percent(q["k"], q["pool_size"])
                if actual
                else ratio_label(parse_fraction(q["ratio"]))
            )
            rows.append(
                QuotaRow(
                    code,
                    name,
                    q["stratum"],
                    False,
                    q["pool_size"],
                    ratio,
                    q["k"],
                    q["reserve"],
                    q["shortfall"],
                )
            )
        hidden = [q for q in mine if not q["publicly_verifiable"]]
        if hidden:
            pool, k = sum(q["pool_size"] for q in hidden), sum(q["k"] for q in hidden)
            rows.append(
                QuotaRow(
                    code,
                    name,
                    RISK_AGGREGATE.format(n=len(hidden)),
                    True,
                    pool,
                    percent(k, pool) if actual else "按分层确定",
                    k,
                    sum(q["reserve"] for q in hidden),
                    sum(q["shortfall"] for q in hidden),
                )
            )
    return tuple(rows)
