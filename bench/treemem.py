"""The peak resident memory of a process and all its descendants together.

``ru_maxrss`` (getrusage, wait4) gives the largest single process's peak,
never a sum: a command that hands work to a child process (``draw run``
reads the registry's digests in a second Python) would look smaller than it
is. :class:`TreePeak` samples the summed VmRSS of the process tree every
20 ms in a thread (Linux ``/proc``); the sum counts shared library pages
once per process, so it errs on the high side.
"""

from __future__ import annotations

import threading
from pathlib import Path


def _descendants(pid: int) -> list[int]:
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                queue.extend(int(child) for child in task.read_text().split())
            except OSError:
                continue
    return found


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class TreePeak:
    """``with TreePeak(pid) as peak: ...`` then ``peak.mib``: the largest summed RSS seen."""

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        self.pid, self.interval, self.kib = pid, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.kib = max(self.kib, sum(map(_rss_kib, _descendants(self.pid))))
            self._stop.wait(self.interval)

    def __enter__(self) -> TreePeak:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def mib(self) -> float:
        return self.kib / 1024
