"""Writes the files of one build into its staging folder and keeps the tally.

Files are written by a few threads while the build goes on: a site is 10^5
small files, writing is the slowest part of a build on a busy disk, and a
thread waiting for the disk does not hold up rendering the next page. An
error in any write stops the build (it surfaces at the next write or at
:meth:`SiteWriter.finish`).

Every path is checked against a strict pattern before anything is written:
paths come from ids (sanitised in :mod:`dualrandom.publish.names`), and a
path that slipped through unsanitised is a bug that must stop the build, not
a file written somewhere unexpected. Every HTML page is at most
:data:`MAX_PAGE_BYTES`; the paginators keep far below it, and this is the
guard that proves it. Folders are made 0755 and files 0644 whatever the
umask (a web server running as another user reads them).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from dualrandom.errors import IntegrityError
from dualrandom.publish.write._swap import FILE_MODE, FOLDER_MODE

__all__ = ["MANIFEST", "MAX_PAGE_BYTES", "SiteWriter", "Tally"]

MAX_PAGE_BYTES = 1_000_000
WRITERS = 2
IN_FLIGHT = 512  # files queued for the writer threads at most: bounds memory
MANIFEST = "SHA256SUMS"
_SAFE_PATH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*")


@dataclass(frozen=True, slots=True)
class Tally:
    pages: int
    files: int
    bytes: int
    manifest_sha256: str


def _write_file(target: Path, data: bytes) -> str:
    """In a writer thread: hash and write one file (both release the GIL)."""
    digest = hashlib.sha256(data).hexdigest()
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        os.fchmod(descriptor, FILE_MODE)  # the umask may have taken bits away
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view) :]
    finally:
        os.close(descriptor)
    return digest


class SiteWriter:
    """Files of one site build, written under ``root`` (the staging folder).

    Use it as a context manager: leaving the block waits for every queued
    write (and stops the threads) whether the build succeeded or not.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._threads = ThreadPoolExecutor(WRITERS, thread_name_prefix="site-writer")
        self._queued: deque[tuple[str, Future[str]]] = deque()
        self._digests: dict[str, str] = {}
        self._sizes: dict[str, int] = {}
        self._taken: set[str] = set()
        self._bytes = 0
        self._folders: set[Path] = set()

    def _target(self, path: str) -> Path:
        if not _SAFE_PATH.fullmatch(path) or ".." in path.split("/"):
            raise IntegrityError(
                f"拒绝写入不安全的网站路径 {path!r}",
                f"refusing to write the unsafe site path {path!r}",
            )
        if path in self._taken:
            raise IntegrityError(
                f"同一次生成中网站路径 {path!r} 被写了两次",
                f"the site path {path!r} was written twice in one build",
            )
        self._taken.add(path)
        target = self.root / path
        if target.parent not in self._folders:  # one mkdir per folder, not per file
            self._make_folder(target.parent)
        return target

    def _make_folder(self, folder: Path) -> None:
        """``folder`` and the folders above it up to the root, each 0755."""
        if folder == self.root or folder in self._folders:
            return
        self._make_folder(folder.parent)
        folder.mkdir(exist_ok=True)
        folder.chmod(FOLDER_MODE)
        self._folders.add(folder)

    def __enter__(self) -> SiteWriter:
        return self

    def __exit__(self, *_: object) -> None:
        self._threads.shutdown(wait=True, cancel_futures=True)

    def write(self, path: str, data: bytes) -> int:
        """Queue one file for writing; returns its size."""
        if path.endswith(".html") and len(data) > MAX_PAGE_BYTES:
            raise IntegrityError(
                f"页面 {path} 有 {len(data)} 字节，超过上限 {MAX_PAGE_BYTES}",
                f"page {path} is {len(data)} bytes, over {MAX_PAGE_BYTES}",
            )
        target = self._target(path)
        self._sizes[path] = len(data)
        self._queued.append((path, self._threads.submit(_write_file, target, data)))
        while len(self._queued) > IN_FLIGHT:
            self._settle()
        return len(data)

    def _settle(self) -> None:
        path, written = self._queued.popleft()
        self._record(path, written.result(), self._sizes[path])

    def flush(self) -> None:
        """Wait until every queued file is written (raising a write's error)."""
        while self._queued:
            self._settle()

    @contextmanager
    def open(self, path: str) -> Iterator[IO[bytes]]:
        """A binary file to stream a large download into (never a page)."""
        target = self._target(path)
        with target.open("w+b") as handle:
            os.fchmod(handle.fileno(), FILE_MODE)
            yield handle
            handle.flush()
            handle.seek(0)
            digest, size = hashlib.sha256(), 0
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
        self._record(path, digest.hexdigest(), size)

    def _record(self, path: str, digest: str, size: int) -> None:
        self._digests[path] = digest
        self._sizes[path] = size
        self._bytes += size

    def size(self, path: str) -> int:
        return self._sizes[path]

    @property
    def pages(self) -> list[str]:
        """Every HTML page written so far, sorted."""
        return sorted(p for p in self._taken if p.endswith(".html"))

    def finish(self) -> Tally:
        """Write the manifest (``sha256sum`` format, by path) and return the tally."""
        self.flush()
        lines = "".join(f"{self._digests[p]}  {p}\n" for p in sorted(self._digests))
        data = lines.encode("utf-8")
        pages = len(self.pages)
        self.write(MANIFEST, data)
        self.flush()
        return Tally(pages, len(self._digests), self._bytes, hashlib.sha256(data).hexdigest())
