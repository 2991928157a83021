"""Sample sizes (docs/SPEC.md §7.3): exact integer arithmetic on fractions."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

__all__ = ["Quota", "quota_size", "reserve_size"]


@dataclass(frozen=True, slots=True)
class Quota:
    """The sample size of one (item, stratum) pool, known before the seed."""

    item: str
    stratum: str
    pool_size: int
    ratio: Fraction
    min_count: int
    max_count: int | None
    k: int
    shortfall: int
    reserve: int


def _ceil_fraction(value: Fraction) -> int:
    return -((-value.numerator) // value.denominator)


def quota_size(
    ratio: Fraction, pool_size: int, min_count: int, max_count: int | None
) -> tuple[int, int]:
    """``(k, shortfall)``: k = min(N, clamp(ceil(ratio × N), min, max)).

    The shortfall is how far the pool falls short of the minimum (min − N
    when N < min). It is reported, never silently absorbed. Because ratio > 0,
    ceil(ratio × N) ≥ 1 whenever N ≥ 1: no non-empty pool is exempt."""
    if not 0 < ratio <= 1:
        raise ValueError(f"ratio {ratio} is not in (0, 1]")
    wanted = max(_ceil_fraction(ratio * pool_size), min_count)
    if max_count is not None:
        wanted = min(wanted, max_count)
    return min(pool_size, wanted), max(0, min_count - pool_size)


def reserve_size(k: int, pool_size: int) -> int:
    """Published reserve length: max(3, ceil(k / 10)), capped by what is left."""
    return min(pool_size - k, max(3, -(-k // 10)))
