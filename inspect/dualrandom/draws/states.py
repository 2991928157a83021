"""The states of a draw (one attempt of one plan's draw).

    prepared → drawn → superseded
        ↘ withdrawn

``prepare`` commits to a draw (**prepared**); ``run`` reveals the secret and
draws (**drawn**). A later attempt exists only through an explicit
supersede with a reason: a prepared attempt it replaces is **withdrawn**
at once; a drawn one stands until the new attempt is drawn, then it is
**superseded**. Every attempt stays on record and public.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["DrawState"]


class DrawState(StrEnum):
    PREPARED = "prepared"
    DRAWN = "drawn"
    SUPERSEDED = "superseded"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        """The state's name in the notices and on screen."""
        return _LABELS[self]


_LABELS = {
    DrawState.PREPARED: "已承诺，待抽取",
    DrawState.DRAWN: "已抽取",
    DrawState.SUPERSEDED: "已作废",
    DrawState.WITHDRAWN: "已撤回",
}
