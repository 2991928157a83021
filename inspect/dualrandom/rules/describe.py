"""Plain-text renderings of plans for people: ratios as percentages, filters
as ``key = a, b``. Nothing here is parsed back; the stored form is in core.plan_json."""

from __future__ import annotations

from fractions import Fraction

from dualrandom.core.model import ObjectFilter, Plan, Stratum

__all__ = ["filter_label", "ratio_label", "strata_label", "window_label"]


def ratio_label(ratio: Fraction | None, *, missing: str = "按事项比例 item ratio") -> str:
    """``5%`` when the percentage is an exact decimal, else the fraction ``1/3``."""
    if ratio is None:
        return missing
    percent = ratio * 100
    denominator = percent.denominator
    for factor in (2, 5):
        while denominator % factor == 0:
            denominator //= factor
    if denominator != 1:
        return f"{ratio.numerator}/{ratio.denominator}"
    whole, rest = divmod(percent.numerator, percent.denominator)
    if not rest:
        return f"{whole}%"
    digits = 0
    while (percent * 10**digits).denominator != 1:
        digits += 1
    scaled = percent.numerator * 10**digits // percent.denominator
    text = str(scaled).rjust(digits + 1, "0")
    return f"{text[:-digits]}.{text[-digits:]}%"


def filter_label(where: ObjectFilter) -> str:
    """``type = 企业, 个体工商户; district = 东区``, or ``全部对象 all objects``."""
    if not where.clauses:
        return "全部对象 all objects"
    return "; ".join(f"{key} = {', '.join(values)}" for key, values in where.clauses)


def _stratum_label(stratum: Stratum) -> str:
    bounds = [f"min {stratum.min_count}"] if stratum.min_count else []
    if stratum.max_count is not None:
        bounds.append(f"max {stratum.max_count}")
    extra = f", {', '.join(bounds)}" if bounds else ""
    return f"{stratum.name} {ratio_label(stratum.ratio)}{extra}"


def strata_label(plan: Plan) -> str:
    return "; ".join(_stratum_label(stratum) for stratum in plan.strata)


def window_label(plan: Plan) -> str:
    return f"{plan.window_start.isoformat()} – {plan.window_end.isoformat()}"
