"""The visits of every draw, sorted by object id, without a second database pass.

Each draw's visits, read once for its notices, are sorted by object id and
spilled to a scratch file in chunks; the object pages then merge the runs
(``heapq.merge``) in code-point order of the id and, within an object, in
draw order. Memory holds one chunk per draw, not every visit of the site.
"""

from __future__ import annotations

import heapq
import pickle
from collections.abc import Iterator, Sequence
from pathlib import Path

from dualrandom.publish.read._visits import Visit

__all__ = ["Runs"]

CHUNK = 5_000


def _read(path: Path) -> Iterator[Visit]:
    with path.open("rb") as source:
        while True:
            try:
                chunk: list[Visit] = pickle.load(source)
            except EOFError:
                return
            yield from (Visit(*row) for row in chunk)


class Runs:
    """Sorted runs of visits in ``folder``, one file per draw."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.paths: list[Path] = []
        self.objects: set[str] = set()

    def add(self, draw_id: int, visits: Sequence[Visit]) -> None:
        path = self.folder / f"visits-{draw_id}.pickle"
        ordered = sorted(visits, key=lambda v: (v.object_id, v.number))
        with path.open("wb") as sink:
            for start in range(0, len(ordered), CHUNK):
                rows = [tuple(v) for v in ordered[start : start + CHUNK]]
                pickle.dump(rows, sink, protocol=pickle.HIGHEST_PROTOCOL)
        self.paths.append(path)
        self.objects.update(v.object_id for v in visits)

    def merged(self) -> Iterator[Visit]:
        """Every visit, by (object id in code-point order, draw, visit number)."""
        runs = [_read(path) for path in self.paths]
        return heapq.merge(*runs, key=lambda v: (v.object_id, v.draw_id, v.number))
