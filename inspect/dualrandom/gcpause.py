"""Pause Python's cycle collector while a draw works on a whole registry.

A draw over a province holds millions of small objects (ids, texts, tuples)
at once and allocates millions more. CPython's cyclic garbage collector is
triggered by allocations, and each full collection walks every container
that is alive, so at a million objects it runs again and again over the
same registry: 17 % of ``draw run``'s CPU time at 1,000,000 objects
(22.7 s → 18.8 s of user time, bench/profile_draw.py). The draw creates no
reference cycles that matter (its values are plain data, freed by reference
counting); whatever cycle there is is collected once the pause ends.

:func:`gc_paused` nests and is safe across threads (the console serves
requests on several): the collector is switched off by the first of
overlapping pauses and back on by the last, and only if it was on before.
"""

from __future__ import annotations

import functools
import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

__all__ = ["gc_paused", "paused"]

_lock = threading.Lock()
_depth = 0
_was_enabled = False

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cycle collector off for the ``with`` block (see the module's docstring)."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()


def paused(function: Callable[P, R]) -> Callable[P, R]:
    """Decorate ``function`` to run with the cycle collector paused."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with gc_paused():
            return function(*args, **kwargs)

    return wrapper
