"""Bottom-k selection by order key (ticket, id) (docs/SPEC.md §8)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["smallest"]


def smallest(tickets: npt.NDArray[np.uint64], m: int) -> npt.NDArray[np.intp]:
    """Positions of the ``m`` smallest entries of ``tickets`` in increasing
    order of (ticket, position).

    Callers pass tickets in id order, so position order is id order and the
    tie-break is the one the specification states. Partitioning first keeps
    this O(N) for a small m; every entry tied with the m-th ticket is kept
    as a candidate, so ties are broken exactly, not by partition order."""
    n = len(tickets)
    m = min(m, n)
    if m <= 0:
        return np.empty(0, dtype=np.intp)
    if m < n:
        threshold = np.partition(tickets, m - 1)[m - 1]
        candidates = np.flatnonzero(tickets <= threshold)
    else:
        candidates = np.arange(n, dtype=np.intp)
    order = np.lexsort((candidates, tickets[candidates]))
    return candidates[order][:m]
