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

A build may start from the live site (:class:`Previous`): a file whose bytes
are those the live site already has is not written, and a page whose key
(a digest of everything its bytes are made from, given by the caller) is the
one the live file was rendered from is not even rendered. When the build
ends, the files it kept are hard-linked from the live site into the staging
folder, so the staging folder is a whole site and is swapped in as before;
when nothing at all changed, :attr:`Tally.unchanged` says so and the live
site can stay as it is (no file written, linked or moved). Files are never
changed in place (every write creates a new file), so a file shared by two
sites through a hard link is never altered under either of them.

A caller can also key a whole group of files (:meth:`SiteWriter.grouped`,
:meth:`SiteWriter.reuse_group`): a draw's notices, or every object page, are
then kept without even reading what they are made from. A group kept whole
is not listed file by file unless the build needs it: when every group is
kept whole and every other file is the live one, the build is the live
site, decided without a record per file (:meth:`SiteWriter.finish`).

The keys live in the site's marker file (``.dualrandom-site``) with the
digest of the ``SHA256SUMS`` they belong to: keys that do not belong to the
live ``SHA256SUMS`` are not used.
"""

from __future__ import annotations

import hashlib
import heapq
import os
import re
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from dualrandom.errors import IntegrityError
from dualrandom.publish.write._swap import FILE_MODE, FOLDER_MODE, MARKER

__all__ = ["MANIFEST", "MARKER_TEXT", "MAX_PAGE_BYTES", "Previous", "SiteWriter", "Tally"]

MAX_PAGE_BYTES = 1_000_000
WRITERS = 2
IN_FLIGHT = 512  # files queued for the writer threads at most: bounds memory
MANIFEST = "SHA256SUMS"
MARKER_TEXT = "a site published by dual-random\n"
_KEYS = "keys/2 of SHA256SUMS "  # the format of the lines below it; another is not read
_SAFE = r"[A-Za-z0-9_][A-Za-z0-9_.-]*(?:/[A-Za-z0-9_][A-Za-z0-9_.-]*)*"
_SAFE_PATH = re.compile(_SAFE)
# A marker line of a file in a group, as a build writes it: key size group path.
# Possessive: each field is maximal anyway, so no backtracking can change what
# matches, and the repetition keeps no stack entry per line (68 MiB at 200,000).
_MEMBER = rf"[^ \n]++ [0-9]++ [^ \n]++ {_SAFE}"
_MEMBER_LINES = re.compile(rf"{_MEMBER}(?:\n{_MEMBER})*+")


@dataclass(frozen=True, slots=True)
class Tally:
    pages: int
    files: int
    bytes: int
    manifest_sha256: str
    written: int = 0  # files written by this build (the others were the live site's)
    unchanged: bool = False  # every file is the live site's: nothing to swap in


class Previous:
    """The live site a build starts from: each file's digest and size, and each
    page's key, as its marker file and ``SHA256SUMS`` say.

    The marker's lines of files in groups (10^5 object pages) are checked
    and their paths read when the site is loaded, but their keys, sizes and
    groups are parsed only when a build needs them one by one: a build that
    keeps every group whole never does (:meth:`SiteWriter.finish`)."""

    def __init__(
        self,
        root: Path,
        digests: dict[str, str],
        groups: dict[str, tuple[str, str]],
        canonical: bool,
        ungrouped: tuple[dict[str, str], dict[str, int]],
        member_lines: list[str],
        member_order: list[str],
    ) -> None:
        self.root, self.digests, self.groups, self.canonical = root, digests, groups, canonical
        self.loose_keys, self.loose_sizes = ungrouped  # files in no group, SHA256SUMS too
        self.member_lines = member_lines  # sorted by path, as a build writes them
        self.member_order, self.member_paths = member_order, set(member_order)
        self._parsed: tuple[dict[str, str], dict[str, int], dict[str, list[str]]] | None = None

    @property
    def keys(self) -> dict[str, str]:
        return self._members_parsed()[0]

    @property
    def sizes(self) -> dict[str, int]:
        return self._members_parsed()[1]

    @property
    def members(self) -> dict[str, list[str]]:
        """group -> its files"""
        return self._members_parsed()[2]

    def key_of(self, path: str) -> str | None:
        if path in self.loose_sizes:
            return self.loose_keys.get(path)
        return self.keys.get(path) if path in self.member_paths else None

    def size_of(self, path: str) -> int:
        return self.loose_sizes[path] if path in self.loose_sizes else self.sizes[path]

    def member_bytes(self) -> int:
        """The bytes of every file in a group."""
        return sum(int(line.split(" ", 2)[1]) for line in self.member_lines)

    def _members_parsed(self) -> tuple[dict[str, str], dict[str, int], dict[str, list[str]]]:
        if self._parsed is None:
            files = [line.split(" ", 3) for line in self.member_lines]  # checked when loaded
            key_of, size_of, group_of, paths = zip(*files, strict=True) if files else ((),) * 4
            sizes = {**self.loose_sizes, **dict(zip(paths, map(int, size_of), strict=True))}
            keys = {**self.loose_keys}
            keys.update((path, key) for key, path in zip(key_of, paths, strict=True) if key != "-")
            members: dict[str, list[str]] = {}
            for group, path in zip(group_of, paths, strict=True):
                members.setdefault(group, []).append(path)
            self._parsed = keys, sizes, members
        return self._parsed

    @classmethod
    def load(cls, root: Path) -> Previous | None:
        """The live site at ``root``, or None when it has no keys that belong to
        its ``SHA256SUMS`` (an older site, or one changed by hand)."""
        try:
            sums = (root / MANIFEST).read_bytes()
            marker = (root / MARKER).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            return None
        if len(marker) < 2 or marker[1] != _KEYS + hashlib.sha256(sums).hexdigest():
            return None
        try:
            return cls._parse(root, sums, marker[2:])
        except ValueError:  # not a marker this version wrote: build everything
            return None

    @classmethod
    def _parse(cls, root: Path, sums: bytes, marker: list[str]) -> Previous | None:
        digests: dict[str, str] = {}
        lines = sums.decode("utf-8").splitlines()
        for line in lines:
            digest, _, path = line.partition("  ")
            digests[path] = digest
        listed = list(digests)
        canonical = (
            len(listed) == len(lines) and listed == sorted(listed) and sums.endswith(b"\n")
        ) or not sums
        groups: dict[str, tuple[str, str]] = {}
        loose: list[list[str]] = []
        member_lines: list[str] = []
        for line in marker:
            if line.startswith("@ "):
                _, name, key, note = line.split(" ", 3)
                groups[name] = (key, note)
            elif " - " in line:  # 'key size - path': in no group (a few hundred)
                loose.append(line.split(" ", 3))
            else:
                member_lines.append(line)
        if any(len(fields) != 4 or fields[2] != "-" for fields in loose):
            raise ValueError("a marker line that is not 'key size group path'")
        if member_lines and not _MEMBER_LINES.fullmatch("\n".join(member_lines)):
            raise ValueError("a marker line that is not 'key size group path'")
        loose_sizes = {path: int(size) for _, size, _, path in loose}
        loose_keys = {path: key for key, _, _, path in loose if key != "-"}
        member_order = [line.rpartition(" ")[2] for line in member_lines]
        member_paths = set(member_order)
        if (
            len(member_paths) != len(member_order)
            or member_order != sorted(member_order)
            or len(loose_sizes) + len(member_paths) != len(digests)
            or not digests.keys() >= loose_sizes.keys()
            or not digests.keys() >= member_paths
            or loose_sizes.keys() & member_paths
        ):
            return None  # the marker's files are not those of SHA256SUMS, once each
        digests[MANIFEST], loose_sizes[MANIFEST] = hashlib.sha256(sums).hexdigest(), len(sums)
        return cls(
            root, digests, groups, canonical, (loose_keys, loose_sizes), member_lines, member_order
        )


@dataclass(slots=True)
class Group:
    """What the caller notes about a group of files, kept with its key."""

    summary: str = ""


def _safe(path: str) -> bool:
    return bool(_SAFE_PATH.fullmatch(path)) and ".." not in path.split("/")


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

    def __init__(self, root: Path, previous: Previous | None = None) -> None:
        self.root, self.previous = root, previous
        self._kept: list[str] = []  # files of the live site this build keeps as they are
        self._keys: dict[str, str] = {}
        self._written = 0
        self._group = ""  # the group files are written into now, if any
        self._groups: dict[str, tuple[str, str]] = {}
        self._members: dict[str, str] = {}  # path -> its group
        self._threads = ThreadPoolExecutor(WRITERS, thread_name_prefix="site-writer")
        self._queued: deque[tuple[str, Future[str]]] = deque()
        self._digests: dict[str, str] = {}
        self._sizes: dict[str, int] = {}
        self._taken: set[str] = set()
        self._bytes = 0
        self._folders: set[Path] = set()
        self._whole: list[str] = []  # groups of the live site kept whole, their files not listed

    def _target(self, path: str) -> Path:
        self._check(path)
        target = self.root / path
        if target.parent not in self._folders:  # one mkdir per folder, not per file
            self._make_folder(target.parent)
        return target

    def _check(self, path: str) -> None:
        """A safe path, not written before in this build (and in the current group)."""
        if self._group:
            self._members[path] = self._group
        if not _safe(path):
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

    def reuse(self, path: str, key: str) -> bool:
        """Keep the live site's file at ``path`` if it was made from ``key``:
        True means the caller need not make it (the file counts as written)."""
        previous = self.previous
        if previous is None or previous.key_of(path) != key:
            return False
        self._check(path)  # its folder is made when it is linked, if ever
        self._keys[path] = key
        self._keep(path)
        return True

    @contextmanager
    def grouped(self, name: str, key: str) -> Iterator[Group]:
        """Files written in the block form the group ``name`` made from ``key``;
        what the caller notes in the group is kept with it (no spaces)."""
        if self._group or " " in name or not name:
            raise ValueError(f"group {name!r} inside {self._group!r}")
        group = Group()
        self._group = name
        try:
            yield group
        finally:
            self._group = ""
        self._groups[name] = (key, group.summary or "-")

    def reuse_group(self, name: str, key: str) -> str | None:
        """Keep every file of the live site's group ``name`` if it was made from
        ``key``; returns what was noted with it, or None (make the files)."""
        previous = self.previous
        if previous is None or name not in previous.groups or previous.groups[name][0] != key:
            return None
        self._groups[name] = previous.groups[name]
        if not self._group and name not in self._whole:
            self._whole.append(name)  # its files are listed only if finish needs them
        else:
            self._keep_group(name)  # raises: a file written twice
        note = previous.groups[name][1]
        return "" if note == "-" else note

    def _keep_group(self, name: str) -> None:
        """Keep every file of the live site's group ``name``, one record each."""
        previous = self.previous
        assert previous is not None
        members = previous.members.get(name, [])
        keys, digests, sizes_of = previous.keys, previous.digests, previous.sizes
        if self._group or self._taken.intersection(members) or not all(map(_safe, members)):
            for path in members:  # one by one: _check raises for the first bad path
                self._check(path)
                self._members[path] = name
                if path in keys:
                    self._keys[path] = keys[path]
                self._keep(path)
        else:  # every file at once (a group is up to 10^5 object pages), as above
            self._taken.update(members)
            self._members.update(dict.fromkeys(members, name))
            self._keys.update({p: keys[p] for p in members if p in keys})
            self._kept += members
            self._digests.update({p: digests[p] for p in members})
            sizes = {p: sizes_of[p] for p in members}
            self._sizes.update(sizes)
            self._bytes += sum(sizes.values())

    def _list_whole(self) -> None:
        """Give the files of the groups kept whole their records, one by one."""
        whole, self._whole = self._whole, []
        for name in whole:
            self._keep_group(name)

    def _keep(self, path: str) -> None:
        assert self.previous is not None
        self._kept.append(path)
        self._record(path, self.previous.digests[path], self.previous.size_of(path))

    def write(self, path: str, data: bytes, key: str = "") -> int:
        """Queue one file for writing; returns its size. ``key``, when given, is
        what the file is made from (see :meth:`reuse`)."""
        if path.endswith(".html") and len(data) > MAX_PAGE_BYTES:
            raise IntegrityError(
                f"页面 {path} 有 {len(data)} 字节，超过上限 {MAX_PAGE_BYTES}",
                f"page {path} is {len(data)} bytes, over {MAX_PAGE_BYTES}",
            )
        target = self._target(path)
        if key:
            self._keys[path] = key
        previous = self.previous
        if previous is not None and previous.digests.get(path) == hashlib.sha256(data).hexdigest():
            self._keep(path)  # the live site has these bytes already
            return len(data)
        self._written += 1
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
    def open(self, path: str, key: str = "") -> Iterator[IO[bytes]]:
        """A binary file to stream a large download into (never a page); ``key``
        as for :meth:`write`. When the live site has the same bytes, the file
        streamed into the staging folder is dropped and the live one kept."""
        target = self._target(path)
        if key:
            self._keys[path] = key
        with target.open("w+b") as handle:
            os.fchmod(handle.fileno(), FILE_MODE)
            yield handle
            handle.flush()
            handle.seek(0)
            digest, size = hashlib.sha256(), 0
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
        previous = self.previous
        if previous is not None and previous.digests.get(path) == digest.hexdigest():
            target.unlink()  # the live site has these bytes already: keep its file
            self._keep(path)
            return
        self._written += 1
        self._record(path, digest.hexdigest(), size)

    def _record(self, path: str, digest: str, size: int) -> None:
        self._digests[path] = digest
        self._sizes[path] = size
        self._bytes += size

    def size(self, path: str) -> int:
        if path not in self._sizes:
            self._list_whole()
        return self._sizes[path]

    @property
    def pages(self) -> list[str]:
        """Every HTML page written so far, sorted. When every group of the live
        site is kept whole, their pages are the live marker's, not listed one
        by one (the sitemap of every publication asks)."""
        previous = self.previous
        if self._whole and previous is not None and self._every_group_whole(previous):
            loose = sorted(p for p in self._taken if p.endswith(".html"))
            members = (p for p in previous.member_order if p.endswith(".html"))
            return list(heapq.merge(loose, members))
        self._list_whole()
        return sorted(p for p in self._taken if p.endswith(".html"))

    def _page_count(self) -> int:
        return sum(1 for p in self._taken if p.endswith(".html"))

    def finish(self) -> Tally:
        """Write the manifest (``sha256sum`` format, by path) and the keys, link the
        files kept from the live site, and return the tally."""
        self.flush()
        previous = self.previous
        if self._whole:
            if previous is not None and self._same_as_live(previous):
                return self._unchanged(previous)
            if previous is not None and self._written and self._every_group_whole(previous):
                return self._spliced(previous)
            self._list_whole()
        pages = self._page_count()
        if previous is not None and self._written == 0 and self._same_files(previous):
            # Every file is the live one, digest for digest: so is SHA256SUMS.
            data = (previous.root / MANIFEST).read_bytes()
        else:
            lines = "".join(f"{self._digests[p]}  {p}\n" for p in sorted(self._digests))
            data = lines.encode("utf-8")
        self.write(MANIFEST, data)
        self.flush()
        sha256sums = hashlib.sha256(data).hexdigest()
        unchanged = (
            previous is not None and self._written == 0 and previous.digests.keys() == self._taken
        )
        if unchanged:
            assert previous is not None
            if not self._same_keys(previous):  # same bytes, new keys
                _replace_file(previous.root / MARKER, self._marker(sha256sums))
        else:
            self._link_kept(self._kept)
            _replace_file(self.root / MARKER, self._marker(sha256sums))
        tally = Tally(pages, len(self._digests), self._bytes, sha256sums, self._written, unchanged)
        return tally

    def _same_as_live(self, previous: Previous) -> bool:
        """With groups kept whole: whether this build is the live site, file for
        file and key for key — every group kept whole with its key, every other
        file the live one with its digest and key, none written."""
        return (
            self._written == 0
            and not self._members  # no group made anew
            and previous.canonical
            and set(self._whole) == previous.groups.keys()
            and self._groups == previous.groups
            and self._taken == previous.loose_sizes.keys() - {MANIFEST}
            and all(previous.digests.get(p) == d for p, d in self._digests.items())
            and self._keys == previous.loose_keys
        )

    def _every_group_whole(self, previous: Previous) -> bool:
        """Whether this build keeps every group of the live site whole, makes none
        anew, and writes none of their files otherwise."""
        return (
            not self._members
            and previous.canonical
            and set(self._whole) == previous.groups.keys()
            and self._taken.isdisjoint(previous.member_paths)
        )

    def _spliced(self, previous: Previous) -> Tally:
        """Finish a build that keeps every group of the live site whole and wrote
        other files (a notice added): the groups' lines of ``SHA256SUMS`` and of
        the marker are the live site's, merged in path order with the lines of
        the other files — the same bytes as listing every file, without a
        record per file of a group (10^5 object pages)."""
        members, digests = previous.member_order, previous.digests
        loose = sorted(self._digests)  # SHA256SUMS does not list itself
        listed = heapq.merge(
            ((p, f"{digests[p]}  {p}\n") for p in members),
            ((p, f"{self._digests[p]}  {p}\n") for p in loose),
        )
        data = "".join(line for _, line in listed).encode("utf-8")
        self.write(MANIFEST, data)
        self.flush()
        sha256sums = hashlib.sha256(data).hexdigest()
        self._link_kept([*self._kept, *members])
        marked = heapq.merge(
            zip(members, (f"{line}\n" for line in previous.member_lines), strict=True),
            ((p, self._marker_line(p)) for p in loose),
        )
        marker = [*self._marker_head(sha256sums), *(line for _, line in marked)]
        _replace_file(self.root / MARKER, "".join(marker).encode("utf-8"))
        pages = self._page_count() + sum(1 for p in members if p.endswith(".html"))
        files, size = len(self._digests) + len(members), self._bytes + previous.member_bytes()
        return Tally(pages, files, size, sha256sums, self._written, False)

    def _unchanged(self, previous: Previous) -> Tally:
        """The tally of a build that is the live site: SHA256SUMS and the marker
        stay as they are, and the groups' files are counted, not listed."""
        data = (previous.root / MANIFEST).read_bytes()
        self.write(MANIFEST, data)  # the live one: kept
        self.flush()
        assert self._written == 0
        live = [p for p in previous.digests if p != MANIFEST]
        pages = sum(1 for p in live if p.endswith(".html"))
        size = self._bytes + previous.member_bytes()
        sha256sums = hashlib.sha256(data).hexdigest()
        return Tally(pages, len(previous.digests), size, sha256sums, 0, True)

    def _same_files(self, previous: Previous) -> bool:
        """Whether this build's files are the live site's, with the same digests
        (SHA256SUMS itself aside)."""
        live = previous.digests
        return (
            previous.canonical
            and len(live) == len(self._digests) + 1
            and all(live.get(p) == d for p, d in self._digests.items())
        )

    def _same_keys(self, previous: Previous) -> bool:
        """Whether the marker would say what the live one says (keys, groups, members)."""
        members: dict[str, list[str]] = {}
        for path, group in self._members.items():
            members.setdefault(group, []).append(path)
        return (
            previous.keys == self._keys
            and previous.groups == self._groups
            and {g: sorted(m) for g, m in previous.members.items()}
            == {g: sorted(m) for g, m in members.items()}
        )

    def _marker(self, sha256sums: str) -> bytes:
        lines = self._marker_head(sha256sums)
        lines += (self._marker_line(p) for p in sorted(self._digests) if p != MANIFEST)
        return "".join(lines).encode("utf-8")

    def _marker_head(self, sha256sums: str) -> list[str]:
        lines = [MARKER_TEXT, f"{_KEYS}{sha256sums}\n"]
        lines += (f"@ {name} {key} {note}\n" for name, (key, note) in sorted(self._groups.items()))
        return lines

    def _marker_line(self, path: str) -> str:
        return f"{self._keys.get(path, '-')} {self._sizes[path]} {self._members.get(path, '-')} {path}\n"

    def _link_kept(self, kept: Sequence[str]) -> None:
        """Hard-link ``kept``, files of the live site, into the staging folder.

        A build that keeps 2 x 10^5 files links each of them: folder by folder,
        through the two folders' descriptors and the bare file names (no
        path object and no walk down the path per file)."""
        if not kept:
            return
        assert self.previous is not None
        by_folder: dict[str, list[str]] = {}
        for path in kept:
            folder, _, name = path.rpartition("/")
            by_folder.setdefault(folder, []).append(name)
        link = os.link
        for folder, names in by_folder.items():
            target = self.root / folder if folder else self.root
            if target not in self._folders:
                self._make_folder(target)
            source = self.previous.root / folder if folder else self.previous.root
            source_fd = os.open(source, os.O_RDONLY | os.O_DIRECTORY)
            try:
                target_fd = os.open(target, os.O_RDONLY | os.O_DIRECTORY)
                try:
                    for name in names:
                        link(name, name, src_dir_fd=source_fd, dst_dir_fd=target_fd)
                finally:
                    os.close(target_fd)
            finally:
                os.close(source_fd)


def _replace_file(target: Path, data: bytes) -> None:
    """Write ``target`` whole or not at all (a new file renamed over it)."""
    temporary = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    temporary.write_bytes(data)
    temporary.chmod(FILE_MODE)
    temporary.replace(target)
